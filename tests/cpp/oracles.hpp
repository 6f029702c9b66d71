// Independent oracles shared by the doctest files: the published formulas written out in their
// textbook form (not cxkit's), so a test compares cxkit with the definition, never with itself.
#pragma once

#include <cxkit/error.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

/// Relative-tolerance check.
#define CHECK_REL(got, expected, rel) CHECK((got) == doctest::Approx(expected).epsilon(rel))

namespace oracle {

struct bounds {
    double low, high;
};

// Wilson (1927) score interval, textbook form:
// (2 n p + z^2 -+ z sqrt(z^2 + 4 n p (1 - p))) / (2 (n + z^2)), clipped to [0, 1].
inline bounds wilson(double p, double n, double z) {
    const double root = z * std::sqrt(z * z + 4.0 * n * p * (1.0 - p));
    const double denom = 2.0 * (n + z * z);
    return {std::max(0.0, (2.0 * n * p + z * z - root) / denom), std::min(1.0, (2.0 * n * p + z * z + root) / denom)};
}

// Newcombe (1998) method 10 from the two Wilson intervals:
// L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2), d = p1 - p2.
inline bounds newcombe(double p1, double n1, double p2, double n2, double z) {
    const bounds a = wilson(p1, n1, z), b = wilson(p2, n2, z);
    const double d = p1 - p2;
    return {d - std::hypot(p1 - a.low, b.high - p2), d + std::hypot(a.high - p1, p2 - b.low)};
}

}  // namespace oracle

// ---- Shared test helpers (not oracles) --------------------------------------------------------

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The message of the exception `f` throws, or "" when it throws none.
inline std::string what_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

/// The corrupt_state message of deserializing a copy of `data` held in a buffer of exactly its
/// size (a read past the end is a real out-of-bounds read under a sanitizer); "" if it parsed.
template <class State>
std::string corrupt_message(const std::vector<std::uint8_t>& data) {
    const std::vector<std::uint8_t> copy(data);
    try {
        (void)State::deserialize(copy.empty() ? nullptr : copy.data(), copy.size());
    } catch (const cxkit::corrupt_state& e) {
        return e.what();
    }
    return "";
}
