// Tests of <cxkit/stats/welch.hpp> (Welch's unequal-variance t test from summaries) and of
// two_sided_p_t in <cxkit/stats/distributions.hpp>: against the formulas written out here, the
// worked examples of the Wikipedia article "Welch's t-test" with the values
// scipy.stats.ttest_ind(a, b, equal_var=False) gives for them (scipy 1.17), Student-t tables and
// the closed forms of the t distribution for 1 and 2 degrees of freedom.
#include <cxkit/stats/welch.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace {

using cxkit::stats::sample_summary;
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();
const double pi = std::acos(-1.0);

// Mean and unbiased variance (n - 1), two passes.
sample_summary summarize(const std::vector<double>& x) {
    sample_summary s;
    s.n = static_cast<double>(x.size());
    double sum = 0.0;
    for (double v : x) sum += v;
    s.mean = sum / s.n;
    double ss = 0.0;
    for (double v : x) ss += (v - s.mean) * (v - s.mean);
    s.variance = ss / (s.n - 1.0);
    return s;
}

// Welch (1947): SE = sqrt(va/na + vb/nb), t = (ma - mb)/SE,
// Welch-Satterthwaite df = (va/na + vb/nb)^2 / ((va/na)^2/(na - 1) + (vb/nb)^2/(nb - 1)).
struct by_hand {
    double se, t, df;
};
by_hand welch_by_hand(const sample_summary& a, const sample_summary& b) {
    const double qa = a.variance / a.n, qb = b.variance / b.n;
    return {std::sqrt(qa + qb), (a.mean - b.mean) / std::sqrt(qa + qb),
            (qa + qb) * (qa + qb) / (qa * qa / (a.n - 1.0) + qb * qb / (b.n - 1.0))};
}

// Wikipedia, "Welch's t-test", examples 1 to 3.
const std::vector<double> ex1_a = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
const std::vector<double> ex1_b = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
const std::vector<double> ex2_a = {17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8};
const std::vector<double> ex2_b = {21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8,
                                   20.7, 21.7, 21.5, 22.5, 23.6, 21.5, 22.5, 23.5, 21.5, 21.8};
const std::vector<double> ex3_a = {19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0};
const std::vector<double> ex3_b = {28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7,
                                   23.2, 17.5, 20.6, 18.0, 23.9, 21.6, 24.3, 20.4, 23.9, 13.3};

}  // namespace

TEST_CASE("welch: t, df and SE equal the formulas written out") {
    const sample_summary a{3.0, 2.0, 10.0}, b{2.0, 8.0, 5.0};
    // qa = 0.2, qb = 1.6: SE = sqrt(1.8), t = 1/sqrt(1.8), df = 3.24 / (0.04/9 + 2.56/4) = 3.24 / 0.6444...
    const auto w = cxkit::stats::welch_t(a, b);
    CHECK_REL(w.std_error, std::sqrt(1.8), 1e-15);
    CHECK_REL(w.t, 1.0 / std::sqrt(1.8), 1e-15);
    CHECK_REL(w.df, 3.24 / (0.04 / 9.0 + 2.56 / 4.0), 1e-14);
    CHECK(cxkit::stats::welch_df(a, b) == w.df);
    // Antisymmetric in the order of the samples; df symmetric.
    const auto r = cxkit::stats::welch_t(b, a);
    CHECK(r.t == -w.t);
    CHECK(r.df == w.df);
    // Equal variances and sizes: df = 2 (n - 1).
    const sample_summary c{1.0, 4.0, 12.0}, d{0.0, 4.0, 12.0};
    CHECK_REL(cxkit::stats::welch_df(c, d), 22.0, 1e-15);
    CHECK_REL(cxkit::stats::welch_t(c, d).t, 1.0 / std::sqrt(8.0 / 12.0), 1e-15);
    // One variance 0: df = n - 1 of the other sample.
    const sample_summary e{5.0, 0.0, 4.0}, f{3.0, 2.0, 7.0};
    CHECK_REL(cxkit::stats::welch_df(e, f), 6.0, 1e-15);
    // Non-integer n (effective sizes) is accepted.
    const sample_summary g{2.0, 1.0, 2.5}, h{1.0, 1.0, 3.5};
    CHECK_REL(cxkit::stats::welch_df(g, h), welch_by_hand(g, h).df, 1e-15);
}

TEST_CASE("welch: published examples - Wikipedia data with scipy ttest_ind equal_var=False") {
    struct example {
        const std::vector<double>* a;
        const std::vector<double>* b;
        double t, df, p;  // scipy.stats.ttest_ind(a, b, equal_var=False)
    };
    const example examples[] = {
        {&ex1_a, &ex1_b, -2.455356398286006, 24.988529290231416, 0.021378001462866992},
        {&ex2_a, &ex2_b, -1.5654335235985037, 9.904741248650831, 0.14884169660532817},
        {&ex3_a, &ex3_b, -2.225512039969852, 24.524634944257343, 0.035484530830010394},
    };
    for (const auto& ex : examples) {
        const sample_summary a = summarize(*ex.a), b = summarize(*ex.b);
        const by_hand h = welch_by_hand(a, b);
        const auto w = cxkit::stats::welch_t(a, b);
        CAPTURE(ex.t);
        CHECK_REL(w.t, h.t, 1e-14);
        CHECK_REL(w.df, h.df, 1e-14);
        CHECK_REL(w.std_error, h.se, 1e-14);
        CHECK_REL(w.t, ex.t, 1e-12);
        CHECK_REL(w.df, ex.df, 1e-12);
        const auto r = cxkit::stats::welch_test(a, b);
        CHECK(r.method == "welch");
        CHECK(r.confidence == 0.95);
        CHECK_REL(r.difference, a.mean - b.mean, 1e-15);
        CHECK_REL(r.statistic, ex.t, 1e-12);
        CHECK_REL(r.std_error, h.se, 1e-14);
        CHECK_REL(r.p_value, ex.p, 1e-10);
        CHECK_REL(cxkit::stats::two_sided_p_t(w.t, w.df), ex.p, 1e-10);
    }
    // The published rounding of example 1: t = -2.46, df = 25.0, p = 0.021.
    const auto w1 = cxkit::stats::welch_t(summarize(ex1_a), summarize(ex1_b));
    CHECK(std::fabs(w1.t - -2.46) < 0.005);
    CHECK(std::fabs(w1.df - 25.0) < 0.05);
}

TEST_CASE("welch: confidence interval is difference +- t_df SE, as scipy's confidence_interval") {
    const sample_summary a = summarize(ex1_a), b = summarize(ex1_b);
    const auto r = cxkit::stats::welch_test(a, b, 0.95);
    // scipy: ttest_ind(ex1_a, ex1_b, equal_var=False).confidence_interval(0.95)
    CHECK_REL(r.ci_low, -3.984096267140929, 1e-10);
    CHECK_REL(r.ci_high, -0.3492370661924069, 1e-10);
    const by_hand h = welch_by_hand(a, b);
    const double crit = cxkit::stats::t_critical(0.95, h.df);
    CHECK_REL(r.ci_low, (a.mean - b.mean) - crit * h.se, 1e-14);
    CHECK_REL(r.ci_high, (a.mean - b.mean) + crit * h.se, 1e-14);
    // Example 2 at 90 %: confidence_interval(0.9).
    const auto r2 = cxkit::stats::welch_test(summarize(ex2_a), summarize(ex2_b), 0.90);
    CHECK_REL(r2.ci_low, -3.292371814681218, 1e-10);
    CHECK_REL(r2.ci_high, 0.24237181468122082, 1e-10);
    CHECK(r2.confidence == 0.90);
    CHECK_THROWS_AS(cxkit::stats::welch_test(a, b, 1.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::stats::welch_test(a, b, 0.0), cxkit::invalid_argument);
}

TEST_CASE("welch: undefined cases give NaN") {
    const sample_summary ok{3.0, 1.0, 10.0};
    const sample_summary one{4.0, nan_v, 1.0};        // n = 1: no variance
    const sample_summary empty{};                     // n = 0
    const sample_summary flat_a{3.0, 0.0, 6.0}, flat_b{4.0, 0.0, 9.0};
    const sample_summary below_two{3.0, 1.0, 1.5};   // effective n < 2
    for (const auto& pair : {std::make_pair(ok, one), std::make_pair(one, ok), std::make_pair(ok, empty),
                             std::make_pair(empty, empty), std::make_pair(flat_a, flat_b),
                             std::make_pair(ok, below_two)}) {
        const auto w = cxkit::stats::welch_t(pair.first, pair.second);
        CHECK(std::isnan(w.t));
        CHECK(std::isnan(w.df));
        CHECK(std::isnan(w.std_error));
        CHECK(std::isnan(cxkit::stats::welch_df(pair.first, pair.second)));
        const auto r = cxkit::stats::welch_test(pair.first, pair.second);
        CHECK(std::isnan(r.statistic));
        CHECK(std::isnan(r.p_value));
        CHECK(std::isnan(r.std_error));
        CHECK(std::isnan(r.ci_low));
        CHECK(std::isnan(r.ci_high));
        CHECK(r.method == "welch");
    }
    // Both variances 0: the difference is still reported.
    const auto r = cxkit::stats::welch_test(flat_a, flat_b);
    CHECK(r.difference == -1.0);
    // A NaN variance (from a caller) does not slip through as a number.
    const sample_summary nan_var{1.0, nan_v, 5.0};
    CHECK(std::isnan(cxkit::stats::welch_t(nan_var, ok).t));
    // Equal means with positive variance: t = 0, p = 1.
    const auto z = cxkit::stats::welch_test(ok, ok);
    CHECK(z.statistic == 0.0);
    CHECK_REL(z.p_value, 1.0, 1e-15);
}

TEST_CASE("welch: two_sided_p_t against t tables and closed forms") {
    using cxkit::stats::two_sided_p_t;
    // Table values t_{0.975, df}: two-sided p = 0.05.
    CHECK_REL(two_sided_p_t(2.228138851964939, 10), 0.05, 1e-9);  // the usual 16-digit table value
    CHECK_REL(two_sided_p_t(2.228138851986274, 10), 0.05, 1e-12);  // scipy t.ppf(0.975, 10)
    CHECK_REL(two_sided_p_t(12.706204736174707, 1), 0.05, 1e-12);
    CHECK_REL(two_sided_p_t(2.7499956535672254, 30), 0.01, 1e-12);  // t_{0.995, 30}
    CHECK_REL(two_sided_p_t(-2.228138851986274, 10), 0.05, 1e-12);  // sign does not matter
    // scipy 2 * t.sf(|t|, df) for non-integer df.
    CHECK_REL(two_sided_p_t(2.0, 3.5), 0.12613852257591343, 1e-12);
    CHECK_REL(two_sided_p_t(-3.0, 7.25), 0.019134132993169097, 1e-12);
    CHECK_REL(two_sided_p_t(40.0, 2), 0.0006244146721847406, 1e-12);
    CHECK(two_sided_p_t(0.0, 5) == 1.0);
    // df = 1 (Cauchy): p = 1 - (2/pi) atan|t|; df = 2: p = 1 - |t| / sqrt(t^2 + 2).
    for (double t : {0.1, 0.5, 1.0, 2.0, 7.5, 100.0}) {
        CAPTURE(t);
        CHECK_REL(two_sided_p_t(t, 1.0), 1.0 - 2.0 / pi * std::atan(t), 1e-12);
        CHECK_REL(two_sided_p_t(t, 2.0), 1.0 - t / std::sqrt(t * t + 2.0), 1e-12);
    }
}

TEST_CASE("welch: two_sided_p_t at infinite df is the normal, and large df approaches it") {
    using cxkit::stats::two_sided_p_normal;
    using cxkit::stats::two_sided_p_t;
    for (double t : {0.0, 0.5, 1.959963984540054, 2.5, -3.0, 6.0}) {
        CAPTURE(t);
        CHECK(two_sided_p_t(t, inf_v) == two_sided_p_normal(t));
        CHECK_REL(two_sided_p_t(t, inf_v), std::erfc(std::fabs(t) / std::sqrt(2.0)), 1e-13);
    }
    CHECK_REL(two_sided_p_t(1.959963984540054, inf_v), 0.05, 1e-14);
    // scipy: 2 * t.sf(2.5, 1e6) = 0.012419489502163254 vs normal 0.012419330651552265.
    CHECK_REL(two_sided_p_t(2.5, 1e6), 0.012419489502163254, 1e-10);
    CHECK_REL(two_sided_p_t(2.5, 1e6), 0.012419330651552265, 1e-4);
}

TEST_CASE("welch: two_sided_p_t edge inputs") {
    using cxkit::stats::two_sided_p_t;
    CHECK(std::isnan(two_sided_p_t(nan_v, 5)));
    CHECK(std::isnan(two_sided_p_t(1.0, nan_v)));
    CHECK(std::isnan(two_sided_p_t(1.0, 0.0)));
    CHECK(std::isnan(two_sided_p_t(1.0, -2.0)));
    CHECK(two_sided_p_t(inf_v, 5) == 0.0);
    CHECK(two_sided_p_t(-inf_v, 5) == 0.0);
    CHECK(two_sided_p_t(inf_v, inf_v) == 0.0);
    // Monotone in |t| and in df (heavier tails at small df).
    CHECK(two_sided_p_t(2.0, 5) > two_sided_p_t(2.1, 5));
    CHECK(two_sided_p_t(2.0, 5) > two_sided_p_t(2.0, 50));
    // Very small df stays a probability.
    const double p = two_sided_p_t(3.0, 0.01);
    CHECK(p > 0.0);
    CHECK(p <= 1.0);
}
