/**
 * @file span.hpp
 * @brief A minimal non-owning view of contiguous elements (C++17 has no std::span).
 *
 * cxkit's batch functions take `span<const T>` so a CRM can pass any contiguous storage
 * (std::vector, arrays, memory-mapped columns) without cxkit imposing a container type.
 */
#ifndef CXKIT_CORE_SPAN_HPP
#define CXKIT_CORE_SPAN_HPP

#include <cstddef>
#include <type_traits>
#include <utility>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/// Non-owning pointer + length view, implicitly built from any container with data() and size().
template <class T>
class span {
public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using size_type = std::size_t;
    using pointer = T*;
    using iterator = T*;

    constexpr span() noexcept = default;
    constexpr span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}

    /// From any contiguous container whose data() converts to T* (std::vector, std::array, span<U>).
    template <class Container,
              class = std::enable_if_t<
                  !std::is_same<std::decay_t<Container>, span>::value &&
                  std::is_convertible<decltype(std::declval<Container&>().data()), T*>::value>>
    constexpr span(Container& c) noexcept : data_(c.data()), size_(c.size()) {}  // NOLINT(implicit)

    template <class Container,
              class = std::enable_if_t<
                  !std::is_same<std::decay_t<Container>, span>::value &&
                  std::is_convertible<decltype(std::declval<const Container&>().data()), T*>::value>,
              class = void>
    constexpr span(const Container& c) noexcept : data_(c.data()), size_(c.size()) {}  // NOLINT

    constexpr T* data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T* begin() const noexcept { return data_; }
    constexpr T* end() const noexcept { return data_ + size_; }
    /// The sub-view [offset, offset + count).
    constexpr span subspan(std::size_t offset, std::size_t count) const noexcept {
        return span(data_ + offset, count);
    }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace core
using core::span;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_SPAN_HPP
