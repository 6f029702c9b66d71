// Tests of <cxkit/survey/rating.hpp>: CSAT and CES on k-point scales, with the formulas of
// METRICS.md §1 written out here (Wilson, reliability-weights variance, t interval with n_eff - 1
// degrees of freedom, Newcombe method 10, pooled two-proportion z).
#include <cxkit/survey/rating.hpp>

#include <boost/math/distributions/students_t.hpp>
#include <doctest/doctest.h>

#include "oracles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double z95 = 1.959963984540054;
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();


using oracle::bounds;
using oracle::newcombe;
using oracle::wilson;
// Two-sided Student-t critical value straight from Boost.Math (any real df).
double t_crit(double confidence, double df) {
    return boost::math::quantile(boost::math::complement(boost::math::students_t_distribution<double>(df),
                                                         (1.0 - confidence) / 2.0));
}
double p_two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

cxkit::rating_accumulator ratings(const std::vector<double>& scores, std::int64_t low = 1, std::int64_t high = 5) {
    cxkit::rating_accumulator a(low, high);
    a.add(scores);
    return a;
}

// k ratings of `good` and n - k of `bad`.
cxkit::rating_accumulator split(int k, int n, int good = 5, int bad = 2) {
    cxkit::rating_accumulator a;
    for (int i = 0; i < n; ++i) a.add(i < k ? good : bad);
    return a;
}

}  // namespace

TEST_CASE("rating: CSAT, mean, std and intervals of an unweighted sample, by hand") {
    const auto acc = ratings({5, 5, 4, 4, 4, 3, 2, 1, 5, 4});
    const auto r = acc.result();
    // Distribution 1:1, 2:1, 3:1, 4:4, 5:3; satisfied (>= 4, top-2-box) = 7 of 10.
    CHECK(r.distribution == std::vector<double>{1, 1, 1, 4, 3});
    CHECK(r.satisfied == 7.0);
    CHECK(r.satisfied_min == 4);
    CHECK(r.scale_low == 1);
    CHECK(r.scale_high == 5);
    CHECK(r.n == 10);
    CHECK(r.n_effective == 10.0);
    CHECK_REL(r.csat, 70.0, 1e-14);
    const auto w = wilson(0.7, 10.0, z95);
    CHECK_REL(r.ci_low, 100.0 * w.low, 1e-12);
    CHECK_REL(r.ci_high, 100.0 * w.high, 1e-12);
    // mean = 37 / 10; sum (x - 3.7)^2 = 7.29 + 2.89 + 0.49 + 4 * 0.09 + 3 * 1.69 = 16.1; s^2 = 16.1 / 9.
    CHECK_REL(r.mean, 3.7, 1e-14);
    CHECK_REL(r.std, std::sqrt(16.1 / 9.0), 1e-13);
    // t interval: mean -+ t_{0.975, 9} s / sqrt(10), t_{0.975, 9} = 2.2621571627982055.
    const double half = 2.2621571627982055 * std::sqrt(16.1 / 9.0) / std::sqrt(10.0);
    CHECK_REL(r.mean_ci_low, 3.7 - half, 1e-12);
    CHECK_REL(r.mean_ci_high, 3.7 + half, 1e-12);
    CHECK(r.confidence == 0.95);
}

TEST_CASE("rating: weighted std uses reliability weights, the t interval n_eff - 1 df") {
    const std::vector<double> x = {5, 4, 3, 1, 2, 5};
    const std::vector<double> w = {2.0, 1.0, 0.5, 1.0, 1.5, 0.25};
    cxkit::rating_accumulator acc;
    acc.add(x, w);
    const auto r = acc.result();
    // Written out: W = sum w, m = sum w x / W, s^2 = sum w (x - m)^2 / (W - sum w^2 / W),
    // n_eff = W^2 / sum w^2, SE = s / sqrt(n_eff), df = n_eff - 1.
    double W = 0, W2 = 0, S = 0, sat = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        W += w[i];
        W2 += w[i] * w[i];
        S += w[i] * x[i];
        if (x[i] >= 4) sat += w[i];
    }
    const double m = S / W;
    double ss = 0;
    for (std::size_t i = 0; i < x.size(); ++i) ss += w[i] * (x[i] - m) * (x[i] - m);
    const double s = std::sqrt(ss / (W - W2 / W)), n_eff = W * W / W2;
    CHECK(W == 6.25);
    CHECK(W2 == 8.5625);
    CHECK(sat == 3.25);
    CHECK_REL(r.n_effective, n_eff, 1e-14);
    CHECK_REL(r.mean, 3.32, 1e-14);  // 20.75 / 6.25
    CHECK_REL(r.mean, m, 1e-14);
    CHECK_REL(r.std, s, 1e-12);
    CHECK_REL(r.csat, 100.0 * sat / W, 1e-14);
    CHECK(r.satisfied == 3.25);
    CHECK(r.distribution == std::vector<double>{1.0, 1.5, 0.5, 1.0, 2.25});
    const auto wi = wilson(sat / W, n_eff, z95);
    CHECK_REL(r.ci_low, 100.0 * wi.low, 1e-12);
    CHECK_REL(r.ci_high, 100.0 * wi.high, 1e-12);
    const double half = t_crit(0.95, n_eff - 1.0) * s / std::sqrt(n_eff);
    CHECK_REL(r.mean_ci_low, m - half, 1e-12);
    CHECK_REL(r.mean_ci_high, m + half, 1e-12);
}

TEST_CASE("rating: with unit weights the weighted formulas reduce to the unweighted ones") {
    const std::vector<double> x = {5, 5, 4, 4, 4, 3, 2, 1, 5, 4};
    cxkit::rating_accumulator a, b;
    a.add(x);
    b.add(x, std::vector<double>(x.size(), 1.0));
    CHECK(a == b);
    const auto ra = a.result(), rb = b.result();
    CHECK(ra.std == rb.std);
    CHECK(ra.mean_ci_low == rb.mean_ci_low);
}

TEST_CASE("rating: satisfied_min is an option of result() and is checked against the scale") {
    const auto acc = ratings({5, 5, 4, 4, 4, 3, 2, 1, 5, 4});
    cxkit::rating_options top_box;
    top_box.satisfied_min = 5;
    CHECK_REL(acc.result(top_box).csat, 30.0, 1e-14);
    CHECK(acc.result(top_box).satisfied_min == 5);
    cxkit::rating_options top3;
    top3.satisfied_min = 3;
    CHECK_REL(acc.result(top3).csat, 80.0, 1e-14);
    const auto w = wilson(0.8, 10.0, z95);
    CHECK_REL(acc.result(top3).ci_low, 100.0 * w.low, 1e-12);
    cxkit::rating_options all;
    all.satisfied_min = 1;
    CHECK(acc.result(all).csat == 100.0);
    CHECK(acc.result(all).ci_high == doctest::Approx(100.0).epsilon(1e-14));

    cxkit::rating_options bad;
    bad.satisfied_min = 6;
    CHECK_THROWS_WITH_AS(acc.result(bad), "satisfied_min must be within the scale 1..5, got 6", cxkit::invalid_argument);
    bad.satisfied_min = 0;
    CHECK_THROWS_AS(acc.result(bad), cxkit::invalid_argument);
    cxkit::rating_options conf;
    conf.confidence = 1.5;
    CHECK_THROWS_AS(acc.result(conf), cxkit::invalid_argument);
}

TEST_CASE("rating: the default satisfied_min is the top-2-box of the scale") {
    CHECK(cxkit::rating_accumulator(1, 5).result().satisfied_min == 4);
    CHECK(cxkit::rating_accumulator(1, 7).result().satisfied_min == 6);
    CHECK(cxkit::rating_accumulator(0, 10).result().satisfied_min == 9);
    CHECK(cxkit::rating_accumulator(3, 3).result().satisfied_min == 3);  // one point: itself
}

TEST_CASE("rating: other scales, including negative points") {
    cxkit::rating_accumulator acc(-2, 2);
    acc.add(std::vector<int>{-2, -1, 0, 1, 2, 2});
    const auto r = acc.result();
    CHECK(r.distribution == std::vector<double>{1, 1, 1, 1, 2});
    CHECK_REL(r.mean, 2.0 / 6.0, 1e-14);
    CHECK_REL(r.csat, 50.0, 1e-14);  // >= 1
    CHECK(r.scale_low == -2);
    CHECK(acc.scale_low() == -2);
    CHECK(acc.scale_high() == 2);
    CHECK_THROWS_AS(acc.add(3), cxkit::invalid_input);
    CHECK_THROWS_AS(cxkit::rating_accumulator(5, 1), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::rating_accumulator(1, 2000), cxkit::invalid_argument);
}

TEST_CASE("rating: CES via ces() - scale 1..7, easy = 5 or more") {
    const std::vector<int> scores = {7, 6, 5, 5, 4, 3, 1, 7};
    const auto r = cxkit::ces(cxkit::span<const int>(scores));
    CHECK(r.scale_low == 1);
    CHECK(r.scale_high == 7);
    CHECK(r.satisfied_min == 5);
    CHECK(r.distribution == std::vector<double>{1, 0, 1, 1, 2, 1, 2});
    CHECK(r.satisfied == 5.0);
    CHECK_REL(r.csat, 62.5, 1e-14);
    CHECK_REL(r.mean, 38.0 / 8.0, 1e-14);
    const auto w = wilson(0.625, 8.0, z95);
    CHECK_REL(r.ci_low, 100.0 * w.low, 1e-12);
    cxkit::rating_options o;
    o.satisfied_min = 6;
    CHECK_REL(cxkit::ces(cxkit::span<const int>(scores), o).csat, 37.5, 1e-14);  // 7, 6, 7
    CHECK_THROWS_AS(cxkit::ces(cxkit::span<const int>(std::vector<int>{8})), cxkit::invalid_input);
}

TEST_CASE("rating: csat() and rating() over spans, with the invalid-row policy") {
    const std::vector<double> scores = {5, 4, nan_v, 2, 9};
    CHECK_THROWS_AS(cxkit::csat(cxkit::span<const double>(scores)), cxkit::invalid_input);
    const auto r = cxkit::csat(cxkit::span<const double>(scores), cxkit::rating_options{}, cxkit::core::on_invalid::drop);
    CHECK(r.n == 3);
    CHECK(r.n_missing == 1);
    CHECK(r.n_invalid == 1);
    CHECK(r.n + r.n_missing + r.n_invalid == scores.size());
    CHECK_REL(r.csat, 200.0 / 3.0, 1e-14);
    const auto t = cxkit::survey::rating(cxkit::span<const double>(scores), 0, 10);
    CHECK(t.n == 4);
    CHECK(t.satisfied_min == 9);
    CHECK(t.satisfied == 1.0);
}

TEST_CASE("rating: empty state gives NaN estimates, zero counts and a zero distribution") {
    const cxkit::rating_accumulator acc;
    const auto r = acc.result();
    CHECK(std::isnan(r.csat));
    CHECK(std::isnan(r.mean));
    CHECK(std::isnan(r.std));
    CHECK(std::isnan(r.ci_low));
    CHECK(std::isnan(r.ci_high));
    CHECK(std::isnan(r.mean_ci_low));
    CHECK(std::isnan(r.mean_ci_high));
    CHECK(r.n == 0);
    CHECK(r.n_effective == 0.0);
    CHECK(r.satisfied == 0.0);
    CHECK(r.distribution == std::vector<double>(5, 0.0));
}

TEST_CASE("rating: one row has a mean but no std or mean interval") {
    const auto r = ratings({4}).result();
    CHECK(r.mean == 4.0);
    CHECK(r.csat == 100.0);
    CHECK(std::isnan(r.std));
    CHECK(std::isnan(r.mean_ci_low));
    // Wilson for 1 of 1: lower bound 1 / (1 + z^2)
    CHECK_REL(r.ci_low, 100.0 / (1.0 + z95 * z95), 1e-12);
    CHECK(r.ci_high == doctest::Approx(100.0).epsilon(1e-14));
}

// Regression (see test_intervals.cpp): rounded Wilson bounds made a CSAT of 100% report
// ci_high = 99.999999999999986 (< csat) and a CSAT of 0% (7 ratings of 1) ci_low = 2.8e-15 (> csat).
// The interval must contain the estimate.
TEST_CASE("rating: the Wilson interval of CSAT 0% and 100% contains the estimate") {
    const auto all = split(10, 10).result();  // ten 5s
    CHECK(all.csat == 100.0);
    CHECK(all.ci_high == 100.0);
    CHECK(all.ci_high >= all.csat);
    const auto none = split(0, 7).result();  // seven 2s
    CHECK(none.csat == 0.0);
    CHECK(none.ci_low == 0.0);
    CHECK(none.ci_low <= none.csat);
}

TEST_CASE("rating: result() is pure") {
    auto acc = ratings({1, 2, 5});
    const auto before = acc;
    cxkit::rating_options o;
    o.satisfied_min = 2;
    (void)acc.result(o);
    (void)acc.result();
    CHECK(acc == before);
}

TEST_CASE("rating: result fields() visits the API.md fields in order") {
    std::vector<std::string> names;
    cxkit::rating_result::fields([&](const char* name, auto) { names.emplace_back(name); });
    CHECK(names == std::vector<std::string>{"csat", "satisfied", "mean", "std", "n", "n_effective", "n_missing",
                                            "n_invalid", "ci_low", "ci_high", "mean_ci_low", "mean_ci_high",
                                            "distribution", "confidence", "satisfied_min", "scale_low",
                                            "scale_high"});
}

// ------------------------------------------------------------------------------------------------
// compare_csat
// ------------------------------------------------------------------------------------------------

TEST_CASE("rating: compare_csat - Newcombe hybrid score interval and pooled z, against the formulas") {
    const auto a = split(7, 10), b = split(12, 30);  // 70% of 10, 40% of 30
    const auto c = cxkit::compare_csat(a, b);
    const double p1 = 0.7, n1 = 10, p2 = 0.4, n2 = 30;
    // Pooled two-proportion z: p = (x1 + x2)/(n1 + n2), SE = sqrt(p (1 - p)(1/n1 + 1/n2)).
    const double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    const double se = std::sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));
    CHECK(c.method == "newcombe");
    CHECK_REL(c.difference, 30.0, 1e-13);
    CHECK_REL(c.std_error, 100.0 * se, 1e-13);
    CHECK_REL(c.statistic, 0.3 / se, 1e-12);
    CHECK_REL(c.p_value, p_two_sided(0.3 / se), 1e-10);
    const auto nc = newcombe(p1, n1, p2, n2, z95);
    CHECK_REL(c.ci_low, 100.0 * nc.low, 1e-12);
    CHECK_REL(c.ci_high, 100.0 * nc.high, 1e-12);
}

TEST_CASE("rating: compare_csat reproduces Newcombe (1998) example (a), 56/70 vs 48/80") {
    const auto c = cxkit::compare_csat(split(56, 70), split(48, 80));
    CHECK_REL(c.difference, 20.0, 1e-12);
    CHECK(std::fabs(c.ci_low - 5.24) < 0.005);  // published: +0.0524 to +0.3339
    CHECK(std::fabs(c.ci_high - 33.39) < 0.005);
}

TEST_CASE("rating: compare_csat uses n_eff for weighted samples") {
    cxkit::rating_accumulator a, b;
    a.add(std::vector<int>{5, 4, 2, 1}, std::vector<double>{2.0, 1.0, 1.0, 0.5});
    b.add(std::vector<int>{5, 3, 3}, std::vector<double>{1.0, 1.0, 2.0});
    // A: satisfied 3 of W 4.5, n_eff = 4.5^2 / 6.25; B: 1 of 4, n_eff = 16 / 6.
    const double p1 = 3.0 / 4.5, n1 = 4.5 * 4.5 / 6.25, p2 = 0.25, n2 = 16.0 / 6.0;
    const auto c = cxkit::compare_csat(a.result(), b.result());
    const auto nc = newcombe(p1, n1, p2, n2, z95);
    const double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    CHECK_REL(c.difference, 100.0 * (p1 - p2), 1e-12);
    CHECK_REL(c.std_error, 100.0 * std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)), 1e-12);
    CHECK_REL(c.ci_low, 100.0 * nc.low, 1e-12);
    CHECK_REL(c.ci_high, 100.0 * nc.high, 1e-12);
}

TEST_CASE("rating: compare_csat against a benchmark - score z and the shifted Wilson interval") {
    const auto r = split(7, 10).result();
    const auto c = cxkit::compare_csat(r, 50.0);
    // z = (p - p0) / sqrt(p0 (1 - p0) / n)
    const double se = std::sqrt(0.25 / 10.0);
    CHECK(c.method == "wilson_score");
    CHECK_REL(c.difference, 20.0, 1e-13);
    CHECK_REL(c.std_error, 100.0 * se, 1e-13);
    CHECK_REL(c.statistic, 0.2 / se, 1e-12);
    CHECK_REL(c.p_value, p_two_sided(0.2 / se), 1e-10);
    const auto w = wilson(0.7, 10.0, z95);
    CHECK_REL(c.ci_low, 100.0 * w.low - 50.0, 1e-12);
    CHECK_REL(c.ci_high, 100.0 * w.high - 50.0, 1e-12);
    CHECK_THROWS_AS(cxkit::compare_csat(r, 0.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::compare_csat(r, 100.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::compare_csat(r, nan_v), cxkit::invalid_argument);
}

TEST_CASE("rating: compare_csat with an empty sample is NaN, not an error") {
    const auto c = cxkit::compare_csat(split(3, 5), cxkit::rating_accumulator{});
    CHECK(std::isnan(c.difference));
    CHECK(std::isnan(c.p_value));
    CHECK(std::isnan(c.ci_low));
    CHECK(c.method == "newcombe");
    const auto one = cxkit::compare_csat(cxkit::rating_accumulator{}.result(), 50.0);
    CHECK(std::isnan(one.difference));
}

TEST_CASE("rating: compare_csat honours satisfied_min through the options") {
    const auto a = ratings({5, 5, 4, 3}), b = ratings({5, 4, 4, 4});
    cxkit::rating_options o;
    o.satisfied_min = 5;  // top box: A 2/4, B 1/4
    const auto c = cxkit::compare_csat(a, b, o);
    CHECK_REL(c.difference, 25.0, 1e-13);
    const auto nc = newcombe(0.5, 4, 0.25, 4, z95);
    CHECK_REL(c.ci_low, 100.0 * nc.low, 1e-12);
}
