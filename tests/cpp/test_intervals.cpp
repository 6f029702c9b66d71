// Tests of <cxkit/stats/intervals.hpp>: Wilson and Newcombe intervals against the formulas written
// out here and against the published values of Newcombe (1998a, 1998b).
#include <cxkit/stats/intervals.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

constexpr double z95 = 1.959963984540054;  // two-sided 95% normal critical value
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

using oracle::bounds;

}  // namespace

TEST_CASE("intervals: Wilson interval equals the textbook formula") {
    for (double n : {1.0, 7.0, 20.0, 263.0, 4.6285714}) {
        for (double p : {0.0, 0.05, 0.3, 0.5, 0.92, 1.0}) {
            CAPTURE(n);
            CAPTURE(p);
            const auto w = cxkit::stats::wilson_interval(p, n, z95);
            const auto o = oracle::wilson(p, n, z95);
            CHECK(w.low == doctest::Approx(o.low).epsilon(1e-12));
            CHECK(w.high == doctest::Approx(o.high).epsilon(1e-12));
            CHECK(w.low >= 0.0);
            CHECK(w.high <= 1.0);
            CHECK(w.low <= p + 1e-15);  // exact containment at p = 0, 1: see the known-bug test below
            CHECK(w.high >= p - 1e-15);
        }
    }
}

TEST_CASE("intervals: Wilson interval reproduces Newcombe (1998a) Table I") {
    // Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of
    // seven methods. Stat Med 17:857-872. Method 3 (score), 95%.
    struct row {
        double x, n, low, high;
    };
    for (const row r : {row{81, 263, 0.2553, 0.3662}, row{15, 148, 0.0624, 0.1605}, row{0, 20, 0.0000, 0.1611},
                        row{1, 29, 0.0061, 0.1718}}) {
        CAPTURE(r.x);
        CAPTURE(r.n);
        const auto w = cxkit::stats::wilson_interval(r.x / r.n, r.n, z95);
        CHECK(std::fabs(w.low - r.low) < 0.5e-4);
        CHECK(std::fabs(w.high - r.high) < 0.5e-4);
    }
}

TEST_CASE("intervals: Wilson interval is NaN for n <= 0 and exact at the boundaries") {
    CHECK(std::isnan(cxkit::stats::wilson_interval(0.5, 0.0, z95).low));
    CHECK(std::isnan(cxkit::stats::wilson_interval(0.5, -1.0, z95).high));
    CHECK(std::isnan(cxkit::stats::wilson_interval(0.5, nan_v, z95).low));
    CHECK(cxkit::stats::wilson_interval(0.0, 10.0, z95).low == doctest::Approx(0.0).epsilon(1e-15));
    CHECK(cxkit::stats::wilson_interval(1.0, 10.0, z95).high == doctest::Approx(1.0).epsilon(1e-15));
    // p = 0, n = 10: upper bound z^2 / (n + z^2); p = 1: lower bound n / (n + z^2)
    CHECK(cxkit::stats::wilson_interval(0.0, 10.0, z95).high == doctest::Approx(z95 * z95 / (10.0 + z95 * z95)).epsilon(1e-14));
    CHECK(cxkit::stats::wilson_interval(1.0, 10.0, z95).low == doctest::Approx(10.0 / (10.0 + z95 * z95)).epsilon(1e-14));
}

// Regression: bounds computed as centre -+ half round, so for p = 0 the lower bound was not
// exactly 0 (wilson_interval(0, 7, z95).low = 2.78e-17) and for p = 1 the upper bound not exactly
// 1 (0.99999999999999989 for n = 10), and a CSAT of 100% reported ci_high < csat. The bounds must
// be exactly 0 when p == 0 and exactly 1 when p == 1.
TEST_CASE("intervals: Wilson bounds are exactly 0 at p = 0 and exactly 1 at p = 1") {
    int inexact = 0;
    for (int n = 1; n <= 1000; ++n) {
        inexact += cxkit::stats::wilson_interval(0.0, n, z95).low != 0.0 ? 1 : 0;
        inexact += cxkit::stats::wilson_interval(1.0, n, z95).high != 1.0 ? 1 : 0;
    }
    CHECK(inexact == 0);
    CHECK(cxkit::stats::wilson_interval(0.0, 7.0, z95).low == 0.0);
    CHECK(cxkit::stats::wilson_interval(1.0, 10.0, z95).high == 1.0);
}

TEST_CASE("intervals: Newcombe hybrid score interval equals method 10 written out") {
    for (double n1 : {5.0, 40.0, 333.3}) {
        for (double n2 : {3.0, 70.0}) {
            for (double p1 : {0.0, 0.2, 0.75, 1.0}) {
                for (double p2 : {0.0, 0.5, 0.9}) {
                    const auto c = cxkit::stats::newcombe_interval(p1, n1, p2, n2, z95);
                    const auto o = oracle::newcombe(p1, n1, p2, n2, z95);
                    CHECK(c.low == doctest::Approx(o.low).epsilon(1e-12));
                    CHECK(c.high == doctest::Approx(o.high).epsilon(1e-12));
                }
            }
        }
    }
}

TEST_CASE("intervals: Newcombe interval reproduces Newcombe (1998b) Table II, method 10") {
    // Newcombe RG (1998). Interval estimation for the difference between independent proportions:
    // comparison of eleven methods. Stat Med 17:873-890. Examples (a)-(h), 95%.
    struct row {
        double x1, n1, x2, n2, low, high;
    };
    for (const row r : {row{56, 70, 48, 80, 0.0524, 0.3339}, row{9, 10, 3, 10, 0.1705, 0.8090},
                        row{6, 7, 2, 7, 0.0582, 0.8062}, row{5, 56, 0, 29, -0.0381, 0.1926},
                        row{0, 10, 0, 20, -0.1611, 0.2775}, row{0, 10, 0, 10, -0.2775, 0.2775},
                        row{10, 10, 0, 20, 0.6791, 1.0000}, row{10, 10, 0, 10, 0.6075, 1.0000}}) {
        CAPTURE(r.x1);
        CAPTURE(r.x2);
        const auto c = cxkit::stats::newcombe_interval(r.x1 / r.n1, r.n1, r.x2 / r.n2, r.n2, z95);
        CHECK(std::fabs(c.low - r.low) < 0.5e-4);
        CHECK(std::fabs(c.high - r.high) < 0.5e-4);
    }
}

TEST_CASE("intervals: Newcombe interval is NaN when either sample is empty") {
    const auto c = cxkit::stats::newcombe_interval(0.5, 0.0, 0.5, 10.0, z95);
    CHECK(std::isnan(c.low));
    CHECK(std::isnan(c.high));
    CHECK(std::isnan(cxkit::stats::newcombe_interval(0.5, 10.0, 0.5, 0.0, z95).low));
}

TEST_CASE("intervals: symmetric_interval and clip") {
    const auto s = cxkit::stats::symmetric_interval(30.0, 7.5, 2.0);
    CHECK(s.low == 15.0);
    CHECK(s.high == 45.0);
    // An infinite critical value: unbounded with any spread, a point without spread.
    const auto wide = cxkit::stats::symmetric_interval(3.0, 0.5, std::numeric_limits<double>::infinity());
    CHECK(wide.low == -std::numeric_limits<double>::infinity());
    CHECK(wide.high == std::numeric_limits<double>::infinity());
    const auto point = cxkit::stats::symmetric_interval(3.0, 0.0, std::numeric_limits<double>::infinity());
    CHECK(point.low == 3.0);
    CHECK(point.high == 3.0);
    const auto n = cxkit::stats::symmetric_interval(nan_v, 1.0, 2.0);
    CHECK(std::isnan(n.low));
    CHECK(std::isnan(n.high));

    const auto c = cxkit::stats::clip({-130.0, 120.0}, -100.0, 100.0);
    CHECK(c.low == -100.0);
    CHECK(c.high == 100.0);
    const auto inside = cxkit::stats::clip({-5.0, 5.0}, -100.0, 100.0);
    CHECK(inside.low == -5.0);
    CHECK(inside.high == 5.0);
    const auto keeps_nan = cxkit::stats::clip({nan_v, 150.0}, -100.0, 100.0);
    CHECK(std::isnan(keeps_nan.low));
    CHECK(keeps_nan.high == 100.0);
    const cxkit::stats::interval def;
    CHECK(std::isnan(def.low));
    CHECK(std::isnan(def.high));
}
