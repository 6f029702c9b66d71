// Tests of <cxkit/stats/mann_kendall.hpp>: S, Var S, Z, p and Sen's slope against brute force over
// all pairs written out here (the O(n^2) definitions of METRICS.md §2) and published examples.
#include <cxkit/stats/mann_kendall.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

int sgn(double v) { return (v > 0) - (v < 0); }

// Oracle: S = sum_{i<j} sgn(x_j - x_i) sgn(t_j - t_i), by the double loop.
std::int64_t brute_s(const std::vector<double>& x, const std::vector<double>& t) {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = i + 1; j < x.size(); ++j) s += sgn(x[j] - x[i]) * sgn(t[j] - t[i]);
    return s;
}

// Oracle: Kendall (1970) eq. 4.3 with tie groups counted by a map.
double brute_var(const std::vector<double>& x, const std::vector<double>& t) {
    std::map<double, double> gx, gt;
    for (double v : x) gx[v] += 1;
    for (double v : t) gt[v] += 1;
    const double n = static_cast<double>(x.size());
    double ax = 0, bx = 0, cx = 0, at = 0, bt = 0, ct = 0;
    for (auto& [v, u] : gx) {
        ax += u * (u - 1) * (2 * u + 5);
        bx += u * (u - 1) * (u - 2);
        cx += u * (u - 1);
    }
    for (auto& [v, u] : gt) {
        at += u * (u - 1) * (2 * u + 5);
        bt += u * (u - 1) * (u - 2);
        ct += u * (u - 1);
    }
    double var = (n * (n - 1) * (2 * n + 5) - ax - at) / 18.0 + cx * ct / (2 * n * (n - 1));
    if (n >= 3) var += bx * bt / (9 * n * (n - 1) * (n - 2));
    return var;
}

// Oracle: all pair slopes with t_i != t_j, sorted.
std::vector<double> all_slopes(const std::vector<double>& x, const std::vector<double>& t) {
    std::vector<double> d;
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t j = 0; j < x.size(); ++j)
            if (t[j] > t[i]) d.push_back((x[j] - x[i]) / (t[j] - t[i]));
    std::sort(d.begin(), d.end());
    return d;
}
double brute_median(std::vector<double> d) {
    if (d.empty()) return nan_v;
    std::sort(d.begin(), d.end());
    const std::size_t h = d.size() / 2;
    return d.size() % 2 ? d[h] : (d[h - 1] + d[h]) / 2.0;
}
double round_half_even(double v) { return std::nearbyint(v); }  // default FE_TONEAREST

cxkit::stats::sen_options forced(std::uint64_t window, std::uint64_t seed = 1) {
    cxkit::stats::sen_options o;
    o.max_direct_pairs = 0;  // always the randomized selection
    o.window_pairs = window;
    o.seed = seed;
    o.confidence = nan_v;
    return o;
}

}  // namespace

TEST_CASE("mann_kendall: small series against the definitions") {
    const std::vector<double> x{1, 2, 4, 3, 5};
    const auto r = cxkit::mann_kendall(cxkit::span<const double>(x));
    // pairs: all increasing except (4, 3) -> 9 concordant, 1 discordant
    CHECK(r.s == 8);
    CHECK(r.variance == doctest::Approx(5.0 * 4 * 15 / 18.0).epsilon(1e-15));
    CHECK_REL(r.statistic, 7.0 / std::sqrt(50.0 / 3.0), 1e-14);
    CHECK_REL(r.p_value, std::erfc(r.statistic / std::sqrt(2.0)), 1e-12);
    CHECK(r.tau == doctest::Approx(0.8));
    CHECK(r.slope == 1.0);  // slopes: 1,1.5,0.67,1, 2,0.5,1, -1,0.5, 2 -> median of 10 = (1 + 1)/2
    CHECK(r.n == 5);
    CHECK(r.n_missing == 0);
    CHECK(r.n_invalid == 0);
}

TEST_CASE("mann_kendall: trend decision uses the two-sided critical value") {
    const std::vector<double> x{1, 2, 4, 3, 5};
    cxkit::stats::mann_kendall_options o;
    o.confidence = 0.95;
    const auto r = cxkit::mann_kendall(cxkit::span<const double>(x), o);
    // Z = 7 / sqrt(16.667) = 1.7146 < 1.96: no trend at 95%; > 1.645: increasing at 90%
    CHECK(r.trend == "no trend");
    o.confidence = 0.90;
    CHECK(cxkit::mann_kendall(cxkit::span<const double>(x), o).trend == "increasing");
    const std::vector<double> down{5, 4, 3, 2, 1, 0, -1, -2};
    CHECK(cxkit::mann_kendall(cxkit::span<const double>(down)).trend == "decreasing");
}

TEST_CASE("mann_kendall: S and Var S against the double loop, with ties in values and times") {
    std::mt19937_64 gen(7);
    for (int rep = 0; rep < 60; ++rep) {
        const std::size_t n = 2 + static_cast<std::size_t>(gen() % 80);
        std::vector<double> x(n), t(n);
        const int levels = 1 + static_cast<int>(gen() % 6), tlevels = 1 + static_cast<int>(gen() % 40);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = static_cast<double>(gen() % levels) - 2.0;
            t[i] = rep % 3 == 0 ? static_cast<double>(i) : static_cast<double>(gen() % tlevels) * 0.5;
        }
        const auto k = cxkit::kendall_s(cxkit::span<const double>(x), cxkit::span<const double>(t));
        CHECK(k.s == brute_s(x, t));
        CHECK(k.variance == doctest::Approx(brute_var(x, t)).epsilon(1e-12));
        CHECK(k.concordant + k.discordant + k.tied_values + k.tied_times - k.tied_both == k.pairs);
    }
}

TEST_CASE("mann_kendall: METRICS.md variance when times are distinct") {
    // x ties: groups {1,1,1}, {2,2}: Var S = [n(n-1)(2n+5) - 3*2*11 - 2*1*9]/18, n = 7
    const std::vector<double> x{1, 1, 2, 1, 2, 3, 4};
    const auto r = cxkit::mann_kendall(cxkit::span<const double>(x));
    CHECK(r.variance == doctest::Approx((7.0 * 6 * 19 - 66 - 18) / 18.0).epsilon(1e-15));
    CHECK(r.s == brute_s(x, {0, 1, 2, 3, 4, 5, 6}));
}

TEST_CASE("sen_slope: direct path equals the brute-force median") {
    std::mt19937_64 gen(11);
    for (int rep = 0; rep < 40; ++rep) {
        const std::size_t n = 1 + static_cast<std::size_t>(gen() % 60);
        std::vector<double> x(n), t(n);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = std::round(std::sin(static_cast<double>(gen() % 1000)) * 10.0) / 4.0;
            t[i] = static_cast<double>(gen() % 30);
        }
        const auto r = cxkit::sen_slope(cxkit::span<const double>(x), cxkit::span<const double>(t));
        const auto d = all_slopes(x, t);
        CHECK(r.pairs == d.size());
        if (d.empty()) {
            CHECK(std::isnan(r.slope));
            CHECK(std::isnan(r.intercept));
        } else {
            CHECK(r.slope == brute_median(d));
            std::vector<double> res(n);
            for (std::size_t i = 0; i < n; ++i) res[i] = x[i] - r.slope * t[i];
            CHECK(r.intercept == brute_median(res));
        }
    }
}

TEST_CASE("sen_slope: the randomized selection is exact - ties, time ties, tiny windows, many seeds") {
    std::mt19937_64 gen(2024);
    for (int rep = 0; rep < 120; ++rep) {
        const std::size_t n = 2 + static_cast<std::size_t>(gen() % 300);
        std::vector<double> x(n), t(n);
        const int kind = rep % 5;
        for (std::size_t i = 0; i < n; ++i) {
            const double noise = static_cast<double>(gen() % 2001) / 1000.0 - 1.0;
            switch (kind) {
                case 0: x[i] = std::round(0.05 * i + 3 * noise); t[i] = static_cast<double>(i); break;  // integer ties
                case 1: x[i] = static_cast<double>(gen() % 2); t[i] = static_cast<double>(gen() % 50); break;  // binary
                case 2: x[i] = 0.1 * i + noise; t[i] = static_cast<double>(i) / 24.0; break;  // continuous
                case 3: x[i] = std::round(10 * noise) / 10.0; t[i] = std::floor(static_cast<double>(i) / 3.0); break;
                default: x[i] = 5.0; t[i] = static_cast<double>(gen() % 7); break;  // all values tied
            }
        }
        const auto d = all_slopes(x, t);
        const std::uint64_t window = 1 + gen() % 64;
        const auto r = cxkit::sen_slope(cxkit::span<const double>(x), cxkit::span<const double>(t), forced(window, gen()));
        CHECK(r.pairs == d.size());
        if (d.empty()) {
            CHECK(std::isnan(r.slope));
        } else {
            CHECK(r.slope == brute_median(d));
        }
    }
}

TEST_CASE("sen_slope: randomized selection on a large noisy series equals brute force") {
    std::mt19937_64 gen(5);
    const std::size_t n = 3000;
    std::vector<double> x(n), t(n);
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = std::round(100.0 + 0.01 * i + static_cast<double>(gen() % 1000) / 50.0);
        t[i] = static_cast<double>(i);
    }
    const auto d = all_slopes(x, t);
    cxkit::stats::sen_options o;
    o.max_direct_pairs = 0;  // default window: max(65536, 8n)
    o.confidence = 0.95;
    const auto k = cxkit::kendall_s(cxkit::span<const double>(x), cxkit::span<const double>(t));
    o.variance_s = k.variance;
    const auto r = cxkit::sen_slope(cxkit::span<const double>(x), cxkit::span<const double>(t), o);
    CHECK(r.slope == brute_median(d));
    // interval ranks as scipy.stats.theilslopes (0-based): round((N - C)/2) - 1 and round((N + C)/2)
    const double N = static_cast<double>(d.size()), C = 1.959963984540054 * std::sqrt(k.variance);
    CHECK(r.slope_low == d[static_cast<std::size_t>(round_half_even((N - C) / 2) - 1)]);
    CHECK(r.slope_high == d[static_cast<std::size_t>(round_half_even((N + C) / 2))]);
    o.max_direct_pairs = std::uint64_t{1} << 40;  // same through the direct path
    const auto direct = cxkit::sen_slope(cxkit::span<const double>(x), cxkit::span<const double>(t), o);
    CHECK(direct.slope == r.slope);
    CHECK(direct.slope_low == r.slope_low);
    CHECK(direct.slope_high == r.slope_high);
}

TEST_CASE("sen_slope: a dominant cluster of equal slopes is counted, not stored") {
    // binary values with few changes: most slopes are exactly 0
    std::mt19937_64 gen(3);
    const std::size_t n = 1500;
    std::vector<double> x(n), t(n);
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = (gen() % 10 == 0) ? 1.0 : 0.0;
        t[i] = static_cast<double>(i);
    }
    const auto d = all_slopes(x, t);
    const auto r = cxkit::sen_slope(cxkit::span<const double>(x), cxkit::span<const double>(t), forced(1000));
    CHECK(r.slope == brute_median(d));
    CHECK(r.slope == 0.0);
}

TEST_CASE("sen_slope: large epoch-like times and irregular spacing stay exact") {
    std::mt19937_64 gen(9);
    const std::size_t n = 800;
    std::vector<double> x(n), t(n);
    double now = 1.7e9;
    for (std::size_t i = 0; i < n; ++i) {
        now += static_cast<double>(1 + gen() % 5000);
        t[i] = now;
        x[i] = 1e-6 * (now - 1.7e9) + static_cast<double>(gen() % 100) / 10.0;
    }
    std::shuffle(t.begin(), t.end(), gen);  // times need not be sorted
    const auto d = all_slopes(x, t);
    const auto r = cxkit::sen_slope(cxkit::span<const double>(x), cxkit::span<const double>(t), forced(500, 77));
    CHECK(r.slope == brute_median(d));
}

TEST_CASE("mann_kendall: missing and invalid values and times") {
    const std::vector<double> x{1, nan_v, 3, inf_v, 5, 6};
    const std::vector<double> t{0, 1, nan_v, 3, 4, -inf_v};
    CHECK_THROWS_AS(cxkit::mann_kendall(cxkit::span<const double>(x), cxkit::span<const double>(t)), cxkit::invalid_input);
    try {
        cxkit::mann_kendall(cxkit::span<const double>(x), cxkit::span<const double>(t));
    } catch (const cxkit::invalid_input& e) {
        const std::string m = e.what();
        CHECK(m.find("invalid value at position 3: inf") != std::string::npos);
        CHECK(m.find("2 invalid rows") != std::string::npos);
    }
    const auto r = cxkit::mann_kendall(cxkit::span<const double>(x), cxkit::span<const double>(t), {}, cxkit::on_invalid::drop);
    CHECK(r.n == 2);  // (1 at 0), (5 at 4)
    CHECK(r.n_missing == 2);
    CHECK(r.n_invalid == 2);
    CHECK(r.slope == 1.0);
    // times = positions: gaps left by missing values are kept
    const std::vector<double> y{0, nan_v, 2, 3};
    const auto g = cxkit::mann_kendall(cxkit::span<const double>(y));
    CHECK(g.slope == 1.0);
    CHECK(g.n_missing == 1);
}

TEST_CASE("mann_kendall: empty, one point, all tied") {
    const std::vector<double> none;
    const auto e = cxkit::mann_kendall(cxkit::span<const double>(none));
    CHECK(e.n == 0);
    CHECK(e.s == 0);
    CHECK(std::isnan(e.statistic));
    CHECK(std::isnan(e.p_value));
    CHECK(std::isnan(e.slope));
    CHECK(e.trend == "no trend");
    const std::vector<double> one{4};
    CHECK(std::isnan(cxkit::mann_kendall(cxkit::span<const double>(one)).slope));
    const std::vector<double> flat{2, 2, 2, 2};
    const auto f = cxkit::mann_kendall(cxkit::span<const double>(flat));
    CHECK(f.variance == 0.0);
    CHECK(std::isnan(f.statistic));
    CHECK(f.slope == 0.0);
    CHECK(f.trend == "no trend");
}

TEST_CASE("mann_kendall: time origin shifts only the intercept") {
    const std::vector<double> x{10, 12, 13, 15, 18};
    const std::vector<double> t{0, 1, 2, 3, 4};
    cxkit::stats::mann_kendall_options o;
    const auto a = cxkit::mann_kendall(cxkit::span<const double>(x), cxkit::span<const double>(t), o);
    o.time_origin = 100.0;
    const auto b = cxkit::mann_kendall(cxkit::span<const double>(x), cxkit::span<const double>(t), o);
    CHECK(a.slope == b.slope);
    CHECK(b.intercept == doctest::Approx(a.intercept - 100.0 * a.slope));
    CHECK(a.s == b.s);
}

TEST_CASE("mann_kendall: bad options and lengths") {
    const std::vector<double> x{1, 2, 3};
    const std::vector<double> t{1, 2};
    CHECK_THROWS_AS(cxkit::mann_kendall(cxkit::span<const double>(x), cxkit::span<const double>(t)), cxkit::invalid_argument);
    cxkit::stats::mann_kendall_options o;
    o.confidence = 1.0;
    CHECK_THROWS_AS(cxkit::mann_kendall(cxkit::span<const double>(x), o), cxkit::invalid_argument);
}
