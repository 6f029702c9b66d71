/**
 * @file validate.hpp
 * @brief The one bad-input policy every cxkit metric follows (ARCHITECTURE.md §3).
 *
 * Each input row lands in exactly one of three classes, so `n + n_missing + n_invalid` always
 * equals the number of rows given:
 * - **missing** — NaN/None/null values, or rows flagged in a missing mask: skipped and counted;
 * - **invalid** — a value outside the metric's domain (out of scale, non-integer where integers
 *   are required) or a NaN, infinite or negative weight. With `on_invalid::raise` (the default)
 *   the batch is refused as a whole and `invalid_input` names the first bad position, its value,
 *   what was expected and how many rows are bad; with `on_invalid::drop` they are counted;
 * - **valid** — everything else.
 *
 * Validation is done at the boundary, in the same pass that counts, and never again afterwards.
 */
#ifndef CXKIT_CORE_VALIDATE_HPP
#define CXKIT_CORE_VALIDATE_HPP

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

#include "cxkit/config.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/// What to do with invalid rows.
enum class on_invalid {
    raise,  ///< refuse the batch with `invalid_input` (default)
    drop,   ///< skip them and count them in `n_invalid`
};

/// Parses "raise" / "drop".
/// @throws invalid_argument naming the bad value.
inline on_invalid parse_on_invalid(const std::string& text) {
    if (text == "raise") return on_invalid::raise;
    if (text == "drop") return on_invalid::drop;
    CXKIT_THROW(invalid_argument, "on_invalid must be \"raise\" or \"drop\", got \"" + text + "\"");
}

inline const char* to_string(on_invalid policy) noexcept {
    return policy == on_invalid::raise ? "raise" : "drop";
}

/// A batch of input rows as views: values, optional weights, optional missing mask (non-zero =
/// missing, e.g. a pandas nullable array's mask). Any pointer but `values` may be null.
template <class T>
struct batch {
    const T* values = nullptr;
    std::size_t size = 0;
    const double* weights = nullptr;
    const std::uint8_t* missing = nullptr;
};

/// Valid weights: 0 (a row that counts but contributes nothing) or a number in
/// [min_weight, max_weight]. The bounds keep w² representable, so Kish's n_eff = W²/Σw² never
/// turns into inf/inf or 0/0 (1e150² = 1e300 < DBL_MAX; 1e-150² = 1e-300 > DBL_MIN).
constexpr double min_weight = 1e-150;
constexpr double max_weight = 1e150;
inline bool valid_weight(double w) noexcept {
    return w == 0.0 || (w >= min_weight && w <= max_weight);
}
/// What a valid weight is, for error messages.
inline const char* expected_weight() noexcept { return "0 or a number in [1e-150, 1e150]"; }

/// Formats a value for an error message: integers exactly, floating point with full precision.
template <class T>
std::string format_value(T v) {
    if constexpr (std::is_floating_point<T>::value) {
        if (std::isnan(v)) return "nan";
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
        return buf;
    } else if constexpr (std::is_signed<T>::value) {
        return std::to_string(static_cast<long long>(v));
    } else {
        return std::to_string(static_cast<unsigned long long>(v));
    }
}

/**
 * Classifies scores against the integer scale low..high into bins: 0..k-1 for the valid points,
 * `missing_bin() == k` and `invalid_bin() == k + 1`. `code()` is branch-free for integers, so the
 * counting kernels can use it in their inner loop.
 */
class integer_scale {
public:
    /// Largest number of scale points a state may have (keeps states small and tables dense).
    static constexpr std::int64_t max_points = 1001;

    integer_scale() = default;
    /// @throws invalid_argument unless low <= high and the scale has at most `max_points` points.
    integer_scale(std::int64_t low, std::int64_t high) : low_(low), high_(high) {
        if (!valid_range(low, high))
            CXKIT_THROW(invalid_argument, "scale must satisfy low <= high with at most " +
                                              std::to_string(max_points) + " points, got (" +
                                              std::to_string(low) + ", " + std::to_string(high) + ")");
        k_ = static_cast<std::uint32_t>(high - low + 1);
    }

    /// True when low <= high and the scale has at most `max_points` points (computed without
    /// signed overflow, so (-2^63, 2^63 - 1) is refused rather than wrapping to a small size).
    static bool valid_range(std::int64_t low, std::int64_t high) noexcept {
        return low <= high &&
               static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) < static_cast<std::uint64_t>(max_points);
    }

    std::int64_t low() const noexcept { return low_; }
    std::int64_t high() const noexcept { return high_; }
    std::uint32_t bins() const noexcept { return k_; }
    std::uint32_t missing_bin() const noexcept { return k_; }
    std::uint32_t invalid_bin() const noexcept { return k_ + 1; }
    /// Cells per group in a counting table: the valid bins, then missing, then invalid.
    std::uint32_t stride() const noexcept { return k_ + 2; }

    /// The bin of one value.
    template <class T>
    std::uint32_t code(T x) const noexcept {
        if constexpr (std::is_floating_point<T>::value) {
            if (x != x) return missing_bin();
            // Integrality is checked on x itself (x - low could round a fraction away), then the
            // integer path does the range check exactly. 2^63 bounds the int64 conversion.
            const bool integral = x == std::floor(x) && x >= T(-9223372036854775808.0) && x < T(9223372036854775808.0);
            return integral ? code(static_cast<std::int64_t>(x)) : invalid_bin();
        } else if constexpr (std::is_same<T, bool>::value) {
            return code(static_cast<int>(x));
        } else if constexpr (std::is_unsigned<T>::value && sizeof(T) == 8) {
            if (x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return invalid_bin();
            return code(static_cast<std::int64_t>(x));
        } else {
            // Unsigned wrap-around maps everything below `low` to a huge value: one compare
            // checks both ends of the scale.
            const std::uint64_t d =
                static_cast<std::uint64_t>(static_cast<std::int64_t>(x)) - static_cast<std::uint64_t>(low_);
            return d < k_ ? static_cast<std::uint32_t>(d) : invalid_bin();
        }
    }

    /// "an integer in 0..10", for error messages.
    std::string expected() const {
        return "an integer in " + std::to_string(low_) + ".." + std::to_string(high_);
    }

    bool operator==(const integer_scale& o) const noexcept { return low_ == o.low_ && high_ == o.high_; }
    bool operator!=(const integer_scale& o) const noexcept { return !(*this == o); }

private:
    std::int64_t low_ = 0;
    std::int64_t high_ = 0;
    std::uint32_t k_ = 1;
};

/// The bin of one row: missing mask and NaN first, then the value, then the weight.
template <class T, class Coder>
inline std::uint32_t row_code(const batch<T>& in, std::size_t i, const Coder& coder) noexcept {
    if (in.missing != nullptr && in.missing[i] != 0) return coder.missing_bin();
    std::uint32_t b = coder.code(in.values[i]);
    if (in.weights != nullptr && b < coder.missing_bin() && !valid_weight(in.weights[i]))
        b = coder.invalid_bin();
    return b;
}

/**
 * Throws the policy's error for a batch known to hold `n_invalid` invalid rows: finds the first
 * one (a second scan, only on this error path) and names position, value and expectation.
 * @param what  what a value is called in the message ("score", "rating", ...).
 */
template <class T, class Coder>
[[noreturn]] void throw_invalid_rows(const batch<T>& in, const Coder& coder, std::uint64_t n_invalid,
                                     const char* what) {
    std::size_t pos = 0;
    while (pos < in.size && row_code(in, pos, coder) != coder.invalid_bin()) ++pos;
    std::string head;
    if (pos < in.size && coder.code(in.values[pos]) == coder.invalid_bin()) {
        head = std::string("invalid ") + what + " at position " + std::to_string(pos) + ": " +
               format_value(in.values[pos]) + " (expected " + coder.expected() + ")";
    } else if (pos < in.size) {
        head = "invalid weight at position " + std::to_string(pos) + ": " +
               format_value(in.weights[pos]) + " (expected " + expected_weight() + ")";
    } else {
        head = std::string("invalid ") + what;
    }
    CXKIT_THROW(invalid_input, head + "; " + std::to_string(n_invalid) + " invalid row" +
                                   (n_invalid == 1 ? "" : "s") +
                                   " in total (pass on_invalid=\"drop\" to skip and count them)");
}

/// Checks a confidence level. @throws invalid_argument unless 0 < confidence < 1.
inline void check_confidence(double confidence) {
    if (!(confidence > 0.0 && confidence < 1.0))
        CXKIT_THROW(invalid_argument,
                    "confidence must be strictly between 0 and 1, got " + format_value(confidence));
}

}  // namespace core
using core::on_invalid;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_VALIDATE_HPP
