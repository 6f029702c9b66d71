// Tests of <cxkit/stats/distributions.hpp> against published constants (Abramowitz & Stegun
// tables; values to 17 digits from a 40-digit mpmath evaluation).
#include <cxkit/stats/distributions.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace {
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();
constexpr double rel = 1e-13;
}  // namespace

TEST_CASE("distributions: two-sided normal critical values") {
    using cxkit::stats::z_critical;
    CHECK(z_critical(0.95) == doctest::Approx(1.959963984540054).epsilon(rel));
    CHECK(z_critical(0.90) == doctest::Approx(1.6448536269514722).epsilon(rel));
    CHECK(z_critical(0.99) == doctest::Approx(2.5758293035489004).epsilon(rel));
    CHECK(z_critical(0.6826894921370859) == doctest::Approx(1.0).epsilon(1e-12));  // P(|Z| <= 1)
}

TEST_CASE("distributions: two-sided Student-t critical values") {
    using cxkit::stats::t_critical;
    // t_{0.975, df}
    CHECK(t_critical(0.95, 1) == doctest::Approx(12.706204736174704).epsilon(rel));
    CHECK(t_critical(0.95, 9) == doctest::Approx(2.2621571627982055).epsilon(rel));
    CHECK(t_critical(0.95, 10) == doctest::Approx(2.2281388519862747).epsilon(rel));
    CHECK(t_critical(0.95, 30) == doctest::Approx(2.0422724563012383).epsilon(rel));
    // The value usually quoted to 15 digits agrees to 1e-10.
    CHECK(t_critical(0.95, 10) == doctest::Approx(2.228138851964939).epsilon(1e-10));
    // df = 2 has a closed form: t_{a,2} = (2a - 1) / sqrt(2 a (1 - a)); a = 0.995 -> 9.924843200918293
    CHECK(t_critical(0.99, 2) == doctest::Approx(0.99 / std::sqrt(2.0 * 0.995 * 0.005)).epsilon(1e-12));
    CHECK(t_critical(0.99, 2) == doctest::Approx(9.924843200918293).epsilon(1e-12));
    // df near 0 (two ratings weighted 1 and 237: n_eff - 1 = 0.0084): the quantile exceeds the
    // double range (scipy: t.ppf(0.975, 0.0084) = inf), so the critical value is +inf.
    CHECK(std::isinf(t_critical(0.95, (238.0 * 238.0) / (1.0 + 237.0 * 237.0) - 1.0)));
    CHECK(t_critical(0.95, (238.0 * 238.0) / (1.0 + 237.0 * 237.0) - 1.0) > 0);
    // Non-integer df (Kish n_eff - 1) lies between its integer neighbours.
    const double t_9_5 = t_critical(0.95, 9.5);
    CHECK(t_9_5 < t_critical(0.95, 9));
    CHECK(t_9_5 > t_critical(0.95, 10));
    // df -> infinity: the normal value.
    CHECK(t_critical(0.95, 1e12) == doctest::Approx(1.959963984540054).epsilon(1e-9));
}

TEST_CASE("distributions: t_critical is NaN for df <= 0 or NaN df") {
    using cxkit::stats::t_critical;
    CHECK(std::isnan(t_critical(0.95, 0.0)));
    CHECK(std::isnan(t_critical(0.95, -3.0)));
    CHECK(std::isnan(t_critical(0.95, nan_v)));
}

TEST_CASE("distributions: bad confidence levels are an invalid_argument") {
    using cxkit::stats::t_critical;
    using cxkit::stats::z_critical;
    CHECK_THROWS_AS(z_critical(0.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(z_critical(1.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(z_critical(nan_v), cxkit::invalid_argument);
    CHECK_THROWS_AS(z_critical(-0.5), cxkit::invalid_argument);
    CHECK_THROWS_AS(t_critical(95.0, 10), cxkit::invalid_argument);
}

TEST_CASE("distributions: normal_cdf") {
    using cxkit::stats::normal_cdf;
    CHECK(normal_cdf(0.0) == doctest::Approx(0.5).epsilon(1e-15));
    CHECK(normal_cdf(1.959963984540054) == doctest::Approx(0.975).epsilon(1e-14));
    CHECK(normal_cdf(-1.959963984540054) == doctest::Approx(0.025).epsilon(1e-13));
    // Phi(x) = erfc(-x / sqrt 2) / 2
    for (double x : {-6.0, -2.5, -1.0, 0.3, 1.0, 3.0})
        CHECK(normal_cdf(x) == doctest::Approx(0.5 * std::erfc(-x / std::sqrt(2.0))).epsilon(1e-14));
    CHECK(normal_cdf(inf_v) == 1.0);
    CHECK(normal_cdf(-inf_v) == 0.0);
    CHECK(std::isnan(normal_cdf(nan_v)));
}

TEST_CASE("distributions: two_sided_p_normal") {
    using cxkit::stats::two_sided_p_normal;
    CHECK(two_sided_p_normal(0.0) == doctest::Approx(1.0).epsilon(1e-15));
    CHECK(two_sided_p_normal(1.959963984540054) == doctest::Approx(0.05).epsilon(1e-13));
    CHECK(two_sided_p_normal(-1.959963984540054) == doctest::Approx(0.05).epsilon(1e-13));
    CHECK(two_sided_p_normal(2.5758293035489004) == doctest::Approx(0.01).epsilon(1e-12));
    // Accurate in the far tail (computed from the upper tail, no 1 - Phi cancellation):
    // 2 (1 - Phi(10)) = erfc(10 / sqrt 2) = 1.523970604832105e-23 (1 - Phi would round to 0)
    CHECK(two_sided_p_normal(10.0) == doctest::Approx(1.523970604832105e-23).epsilon(1e-12).scale(0.0));
    CHECK(two_sided_p_normal(10.0) > 0.0);
    CHECK(two_sided_p_normal(inf_v) == 0.0);
    CHECK(two_sided_p_normal(-inf_v) == 0.0);
    CHECK(std::isnan(two_sided_p_normal(nan_v)));
}
