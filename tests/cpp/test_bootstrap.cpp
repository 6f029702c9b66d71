// Tests of <cxkit/stats/bootstrap.hpp>: the engine and seeds are the published ones, draws are
// pinned (the same on every platform), replicates do not depend on threads, the percentile
// interval is numpy's type-7 quantile, and the bootstrap SE of a mean approaches s / sqrt(n).
#include <cxkit/stats/bootstrap.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "oracles.hpp"

namespace {
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using cxkit::stats::bootstrap_options;

// Mean of `x` over a resample given as multiplicities.
double resampled_mean(const std::vector<double>& x, cxkit::span<const std::uint32_t> counts) {
    double s = 0.0, m = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        s += counts[i] * x[i];
        m += counts[i];
    }
    return s / m;
}
}  // namespace

TEST_CASE("bootstrap: the engine is the standard mt19937_64 (10000th output of the default seed)") {
    // C++11 [rand.predef]: the 10000th consecutive invocation of a default-constructed
    // mt19937_64 produces 9981545732273789042.
    cxkit::stats::bootstrap_engine e;
    for (int i = 0; i < 9999; ++i) e();
    CHECK(e() == 9981545732273789042ULL);
}

TEST_CASE("bootstrap: replicate seeds are SplitMix64 outputs") {
    // SplitMix64 with state 0: the first output is 0xE220A8397B1DCDAF (Vigna's reference code).
    static_assert(cxkit::stats::replicate_seed(0, 0) == 0xE220A8397B1DCDAFULL, "");
    // Distinct replicates and seeds give distinct engine seeds.
    CHECK(cxkit::stats::replicate_seed(7, 0) != cxkit::stats::replicate_seed(7, 1));
    CHECK(cxkit::stats::replicate_seed(7, 0) != cxkit::stats::replicate_seed(8, 0));
}

TEST_CASE("bootstrap: resample draws are pinned, so every platform draws the same units") {
    cxkit::stats::bootstrap_engine e(42);
    std::vector<std::uint32_t> counts(10, 99);
    cxkit::stats::resample_counts(e, counts);
    CHECK(counts == std::vector<std::uint32_t>{1, 1, 1, 2, 0, 1, 1, 2, 0, 1});
    CHECK(std::accumulate(counts.begin(), counts.end(), 0u) == 10u);

    cxkit::stats::bootstrap_engine e2(cxkit::stats::replicate_seed(7, 0));
    boost::random::uniform_int_distribution<std::uint64_t> unit(0, 999);
    std::vector<std::uint64_t> draws;
    for (int i = 0; i < 8; ++i) draws.push_back(unit(e2));
    CHECK(draws == std::vector<std::uint64_t>{842, 679, 167, 831, 207, 431, 680, 825});

    std::vector<std::uint32_t> none;
    cxkit::stats::resample_counts(e, none);  // zero units: nothing drawn
    CHECK(none.empty());
}

TEST_CASE("bootstrap: replicates depend on the seed only, not on the thread count") {
    std::vector<double> x(200);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * static_cast<double>(i)) * 3.0 + 5.0;
    auto stat = [&](cxkit::span<const std::uint32_t> c) { return resampled_mean(x, c); };
    bootstrap_options o;
    o.n_boot = 301;
    o.seed = 123;
    const auto one = cxkit::stats::bootstrap_replicates(x.size(), o, stat);
    o.threads = 2;
    const auto two = cxkit::stats::bootstrap_replicates(x.size(), o, stat);
    o.threads = 0;
    const auto all = cxkit::stats::bootstrap_replicates(x.size(), o, stat);
    o.threads = 7;
    const auto seven = cxkit::stats::bootstrap_replicates(x.size(), o, stat);
    CHECK(one == two);
    CHECK(one == all);
    CHECK(one == seven);
    o.seed = 124;
    const auto other = cxkit::stats::bootstrap_replicates(x.size(), o, stat);
    CHECK(other != one);
    // Replicate b is drawn from replicate_seed(seed, b) whatever n_boot is.
    o.seed = 123;
    o.n_boot = 5;
    const auto first5 = cxkit::stats::bootstrap_replicates(x.size(), o, stat);
    CHECK(std::vector<double>(one.begin(), one.begin() + 5) == first5);
}

TEST_CASE("bootstrap: the SE of a mean approaches the textbook s / sqrt(n)") {
    const std::size_t n = 400;
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>((i * 37) % 11);  // 0..10, spread evenly
    double mean = 0.0, ss = 0.0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(n);
    for (double v : x) ss += (v - mean) * (v - mean);
    // The bootstrap SE estimates the plug-in SE sqrt(Σ(x − x̄)²/n) / sqrt(n).
    const double plug_in_se = std::sqrt(ss / static_cast<double>(n)) / std::sqrt(static_cast<double>(n));
    bootstrap_options o;
    o.n_boot = 4000;
    o.seed = 2024;
    const auto reps = cxkit::stats::bootstrap_replicates(n, o, [&](cxkit::span<const std::uint32_t> c) {
        return resampled_mean(x, c);
    });
    const auto s = cxkit::stats::summarize_replicates(reps, 0.95);
    CHECK(s.n_valid == 4000);
    // Monte Carlo error of an SD from 4000 replicates is about 1.1%: 5% is a wide margin.
    CHECK_REL(s.std_error, plug_in_se, 0.05);
    CHECK(s.ci.low < mean);
    CHECK(s.ci.high > mean);
    CHECK_REL(s.ci.high - s.ci.low, 2 * 1.959963984540054 * plug_in_se, 0.08);
}

TEST_CASE("bootstrap: percentile interval is numpy's linear (type 7) quantile") {
    const std::vector<double> sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    // numpy.percentile(range(1, 11), [2.5, 97.5, 50, 0, 100]) = 1.225, 9.775, 5.5, 1, 10
    CHECK(cxkit::stats::sorted_quantile(sorted, 0.025) == doctest::Approx(1.225).epsilon(1e-14));
    CHECK(cxkit::stats::sorted_quantile(sorted, 0.975) == doctest::Approx(9.775).epsilon(1e-14));
    CHECK(cxkit::stats::sorted_quantile(sorted, 0.5) == doctest::Approx(5.5).epsilon(1e-14));
    CHECK(cxkit::stats::sorted_quantile(sorted, 0.0) == 1.0);
    CHECK(cxkit::stats::sorted_quantile(sorted, 1.0) == 10.0);
    CHECK(std::isnan(cxkit::stats::sorted_quantile(std::vector<double>{}, 0.5)));
    const std::vector<double> one = {3.5};
    CHECK(cxkit::stats::sorted_quantile(one, 0.3) == 3.5);
}

TEST_CASE("bootstrap: summary leaves NaN replicates out and counts them") {
    // Unsorted, with NaN: valid = 4, 1, 3, 2 -> mean 2.5, SD sqrt(5/3);
    // numpy.percentile([1, 2, 3, 4], [5, 95]) = 1.15, 3.85.
    const std::vector<double> reps = {4, nan_v, 1, 3, nan_v, 2};
    const auto s = cxkit::stats::summarize_replicates(reps, 0.9);
    CHECK(s.n_valid == 4);
    CHECK_REL(s.std_error, std::sqrt(5.0 / 3.0), 1e-14);
    CHECK_REL(s.ci.low, 1.15, 1e-14);
    CHECK_REL(s.ci.high, 3.85, 1e-14);
    const std::vector<double> few = {nan_v, 2.0};
    const auto f = cxkit::stats::summarize_replicates(few, 0.95);
    CHECK(f.n_valid == 1);
    CHECK(std::isnan(f.std_error));
    CHECK(std::isnan(f.ci.low));
    CHECK(std::isnan(f.ci.high));
}

TEST_CASE("bootstrap: bad options are argument errors") {
    auto stat = [](cxkit::span<const std::uint32_t>) { return 0.0; };
    bootstrap_options o;
    o.n_boot = 1;
    CHECK_THROWS_WITH_AS(cxkit::stats::bootstrap_replicates(3, o, stat), doctest::Contains("n_boot"),
                         cxkit::invalid_argument);
    o.n_boot = bootstrap_options::max_boot + 1;
    CHECK_THROWS_AS(cxkit::stats::bootstrap_replicates(3, o, stat), cxkit::invalid_argument);
    o.n_boot = 10;
    o.confidence = 1.0;
    CHECK_THROWS_WITH_AS(cxkit::stats::bootstrap_replicates(3, o, stat), doctest::Contains("confidence"),
                         cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::stats::summarize_replicates(std::vector<double>{1, 2}, 0.0), cxkit::invalid_argument);
}

TEST_CASE("bootstrap: zero units give the statistic of an empty resample") {
    bootstrap_options o;
    o.n_boot = 3;
    const auto reps = cxkit::stats::bootstrap_replicates(0, o, [](cxkit::span<const std::uint32_t> c) {
        return c.empty() ? nan_v : 1.0;
    });
    REQUIRE(reps.size() == 3);
    CHECK(std::isnan(reps[0]));
}
