/**
 * @file matrix.hpp
 * @brief A read-only strided view of an n x k table of numbers (respondents x attributes).
 *
 * Metrics computed per respondent over several attributes (CSI, and later drivers and IPA) take
 * this view so a caller passes its storage as it is: a row-major buffer (one respondent after
 * another), a column-major one (one attribute after another, as a numpy array in Fortran order or
 * a frame's columns), or any strided slice, without cxkit imposing a container or a copy.
 */
#ifndef CXKIT_CORE_MATRIX_HPP
#define CXKIT_CORE_MATRIX_HPP

#include <cstddef>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/**
 * Element (r, c) is `data[r * row_stride + c * col_stride]`; strides count elements, not bytes,
 * and may be negative (a reversed slice). The viewed memory must outlive the view.
 */
template <class T>
struct matrix_view {
    const T* data = nullptr;
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::ptrdiff_t row_stride = 0;
    std::ptrdiff_t col_stride = 1;

    /// Respondent after respondent: element (r, c) at data[r * cols + c].
    static constexpr matrix_view row_major(const T* data, std::size_t rows, std::size_t cols) noexcept {
        return {data, rows, cols, static_cast<std::ptrdiff_t>(cols), 1};
    }
    /// Attribute after attribute: element (r, c) at data[c * rows + r].
    static constexpr matrix_view column_major(const T* data, std::size_t rows, std::size_t cols) noexcept {
        return {data, rows, cols, 1, static_cast<std::ptrdiff_t>(rows)};
    }

    constexpr const T& operator()(std::size_t r, std::size_t c) const noexcept {
        return data[static_cast<std::ptrdiff_t>(r) * row_stride + static_cast<std::ptrdiff_t>(c) * col_stride];
    }
};

}  // namespace core
using core::matrix_view;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_MATRIX_HPP
