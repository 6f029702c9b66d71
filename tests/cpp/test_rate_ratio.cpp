// Tests of <cxkit/stats/rate_ratio.hpp>: the exact conditional test of two Poisson rates against
// the definitions written out here (binomial pmf from lgamma summed by hand, Clopper-Pearson bounds
// by bisection on the hand-summed tail probabilities).
#include <cxkit/stats/rate_ratio.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace {

// Binomial pmf by lgamma: C(n, x) p^x (1 - p)^(n - x).
double pmf(int x, int n, double p) {
    return std::exp(std::lgamma(n + 1.0) - std::lgamma(x + 1.0) - std::lgamma(n - x + 1.0) + x * std::log(p) +
                    (n - x) * std::log1p(-p));
}
// Two-sided p: sum of pmf(x) over x with pmf(x) <= pmf(k) (1 + 1e-7).
double p_two_sided(int k, int n, double p) {
    const double d = pmf(k, n, p) * (1 + 1e-7);
    double s = 0;
    for (int x = 0; x <= n; ++x)
        if (pmf(x, n, p) <= d) s += pmf(x, n, p);
    return std::min(1.0, s);
}
double upper_tail(int k, int n, double p) {  // P(X >= k)
    double s = 0;
    for (int x = k; x <= n; ++x) s += pmf(x, n, p);
    return s;
}
double lower_tail(int k, int n, double p) {  // P(X <= k)
    double s = 0;
    for (int x = 0; x <= k; ++x) s += pmf(x, n, p);
    return s;
}
// Clopper-Pearson by bisection: P(X >= k; low) = a/2, P(X <= k; high) = a/2.
double cp_low(int k, int n, double a) {
    if (k == 0) return 0;
    double lo = 0, hi = 1;
    for (int i = 0; i < 200; ++i) {
        const double mid = (lo + hi) / 2;
        (upper_tail(k, n, mid) < a / 2 ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
}
double cp_high(int k, int n, double a) {
    if (k == n) return 1;
    double lo = 0, hi = 1;
    for (int i = 0; i < 200; ++i) {
        const double mid = (lo + hi) / 2;
        (lower_tail(k, n, mid) > a / 2 ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
}
double to_ratio(double pi, double na, double nb) { return pi / (1 - pi) * nb / na; }

}  // namespace

TEST_CASE("rate_ratio_test: ratio, p-value and exact interval against the definitions") {
    struct case_ {
        int ca;
        double na;
        int cb;
        double nb;
    };
    const case_ cases[] = {{30, 1000, 15, 1000}, {12, 850.5, 25, 910}, {0, 100, 7, 120}, {9, 50, 0, 80},
                           {5, 10, 5, 10},       {41, 2e4, 29, 3e4},    {1, 3, 2, 7},     {100, 1e5, 140, 1.1e5}};
    for (const auto& c : cases) {
        CAPTURE(c.ca);
        CAPTURE(c.cb);
        const auto r = cxkit::rate_ratio_test(c.ca, c.na, c.cb, c.nb);
        const int n = c.ca + c.cb;
        const double pi0 = c.na / (c.na + c.nb);
        CHECK(r.method == "exact_conditional_binomial");
        CHECK(r.statistic == c.ca);
        if (c.cb > 0) CHECK_REL(r.difference, (c.ca / c.na) / (c.cb / c.nb), 1e-15);
        else CHECK(std::isinf(r.difference));
        CHECK_REL(r.p_value, p_two_sided(c.ca, n, pi0), 1e-10);
        CHECK_REL(r.ci_low, to_ratio(cp_low(c.ca, n, 0.05), c.na, c.nb), 1e-9);
        if (c.cb > 0) CHECK_REL(r.ci_high, to_ratio(cp_high(c.ca, n, 0.05), c.na, c.nb), 1e-9);
        else CHECK(std::isinf(r.ci_high));
        if (c.ca > 0 && c.cb > 0) CHECK_REL(r.std_error, std::sqrt(1.0 / c.ca + 1.0 / c.cb), 1e-15);
        else CHECK(std::isinf(r.std_error));
    }
}

TEST_CASE("rate_ratio_test: equal rates give p = 1 and an interval around 1") {
    const auto r = cxkit::rate_ratio_test(20, 500, 20, 500, 0.9);
    CHECK(r.difference == 1.0);
    CHECK(r.p_value == 1.0);
    CHECK(r.ci_low < 1.0);
    CHECK(r.ci_high > 1.0);
    CHECK(r.confidence == 0.9);
    // k = N/2: the Clopper-Pearson interval of pi is symmetric about 1/2, so the ratio bounds
    // pi/(1 - pi) are reciprocal
    CHECK_REL(r.ci_low * r.ci_high, 1.0, 1e-12);
}

TEST_CASE("rate_ratio_test: no events at all") {
    const auto r = cxkit::rate_ratio_test(0, 10, 0, 20);
    CHECK(std::isnan(r.difference));
    CHECK(std::isnan(r.p_value));
    CHECK(std::isnan(r.ci_low));
    CHECK(std::isnan(r.ci_high));
}

TEST_CASE("rate_ratio_test: large counts stay accurate") {
    // normal approximation check of the order of magnitude: 5200 vs 5000 events, equal exposure
    const auto r = cxkit::rate_ratio_test(5200, 1e6, 5000, 1e6);
    const double z = (5200.0 - 5100.0) / std::sqrt(10200.0 * 0.25);
    CHECK(r.p_value == doctest::Approx(std::erfc(z / std::sqrt(2.0))).epsilon(0.05));
    CHECK(r.ci_low < 1.04);
    CHECK(r.ci_high > 1.04);
}

TEST_CASE("rate_ratio_test: bad arguments name the argument and value") {
    CHECK_THROWS_WITH_AS(cxkit::rate_ratio_test(-1, 10, 2, 10), "count_a must be a non-negative integer count, got -1",
                         cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::rate_ratio_test(1, 10, 2.5, 10), "count_b must be a non-negative integer count, got 2.5",
                         cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::rate_ratio_test(1, 0, 2, 10), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::rate_ratio_test(1, 10, 2, std::numeric_limits<double>::infinity()), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::rate_ratio_test(1, 10, 2, 10, 1.5), cxkit::invalid_argument);
}

TEST_CASE("binomial helpers: two-sided p and Clopper-Pearson") {
    CHECK(std::isnan(cxkit::stats::binomial_two_sided_p(0, 0, 0.5)));
    CHECK_REL(cxkit::stats::binomial_two_sided_p(3, 10, 0.5), p_two_sided(3, 10, 0.5), 1e-12);
    CHECK_REL(cxkit::stats::binomial_two_sided_p(9, 10, 0.3), p_two_sided(9, 10, 0.3), 1e-12);
    CHECK_REL(cxkit::stats::binomial_two_sided_p(0, 25, 0.1), p_two_sided(0, 25, 0.1), 1e-12);
    CHECK_REL(cxkit::stats::binomial_two_sided_p(25, 25, 0.9), p_two_sided(25, 25, 0.9), 1e-12);
    const auto ci = cxkit::stats::clopper_pearson(7, 20, 0.95);
    CHECK_REL(ci.low, cp_low(7, 20, 0.05), 1e-10);
    CHECK_REL(ci.high, cp_high(7, 20, 0.05), 1e-10);
    // published: 0 of 10 -> upper bound 1 - 0.025^(1/10) = 0.3084
    CHECK_REL(cxkit::stats::clopper_pearson(0, 10, 0.95).high, 1 - std::pow(0.025, 0.1), 1e-12);
}
