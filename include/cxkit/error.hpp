/**
 * @file error.hpp
 * @brief The exception types cxkit throws.
 *
 * Every type derives from a standard exception, so pybind11 and plain C++ callers can catch them
 * by their standard base, and from `cxkit::error`, so a caller can catch "anything from cxkit".
 * Each carries a stable identifier (`id()`), which the Python layer maps to its exception classes:
 *
 * | C++ type                  | std base              | Python class                              |
 * |---------------------------|-----------------------|-------------------------------------------|
 * | `invalid_input`           | std::invalid_argument | `cx.InvalidInputError(cx.Error, ValueError)`  |
 * | `invalid_argument`        | std::invalid_argument | `cx.InvalidArgumentError(cx.Error, ValueError)` |
 * | `corrupt_state`           | std::invalid_argument | `cx.CorruptStateError(cx.Error, ValueError)`  |
 * | `unsupported_type`        | std::invalid_argument | `cx.UnsupportedTypeError(cx.Error, TypeError)` |
 * | `out_of_range`            | std::out_of_range     | `cx.OutOfRangeError(cx.Error, IndexError)`    |
 * | `numerical_error`         | std::runtime_error    | `cx.NumericalError(cx.Error, ArithmeticError)` |
 */
#ifndef CXKIT_ERROR_HPP
#define CXKIT_ERROR_HPP

#include <stdexcept>
#include <string>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN

/// Common base of every cxkit exception; catch it to handle all of them at once.
class error {
public:
    virtual ~error() = default;
    /// Stable identifier of the error class, e.g. "invalid_input".
    virtual const char* id() const noexcept = 0;

protected:
    error() = default;
    error(const error&) = default;
    error& operator=(const error&) = default;
};

#define CXKIT_DETAIL_DEFINE_ERROR(name, base)                                                  \
    class name : public base, public error {                                                   \
    public:                                                                                    \
        explicit name(const std::string& message) : base(message) {}                          \
        const char* id() const noexcept override { return #name; }                            \
    }

/// A data value breaks the metric's domain (score out of scale, NaN weight, negative duration...).
/// The message names the first bad position, its value, what was expected and how many are bad.
CXKIT_DETAIL_DEFINE_ERROR(invalid_input, std::invalid_argument);
/// An argument is wrong independently of the data: mismatched lengths, an option out of range,
/// merging states with different parameters.
CXKIT_DETAIL_DEFINE_ERROR(invalid_argument, std::invalid_argument);
/// Serialized bytes are truncated, corrupt, of another state family or of an unknown version.
CXKIT_DETAIL_DEFINE_ERROR(corrupt_state, std::invalid_argument);
/// An input type is not supported (e.g. strings where scores are expected).
CXKIT_DETAIL_DEFINE_ERROR(unsupported_type, std::invalid_argument);
/// An index or group code is outside the valid range.
CXKIT_DETAIL_DEFINE_ERROR(out_of_range, std::out_of_range);
/// A computation cannot be carried out numerically (e.g. a singular system).
CXKIT_DETAIL_DEFINE_ERROR(numerical_error, std::runtime_error);

#undef CXKIT_DETAIL_DEFINE_ERROR

CXKIT_NAMESPACE_END

#endif  // CXKIT_ERROR_HPP
