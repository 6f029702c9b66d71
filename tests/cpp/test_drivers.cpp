// Tests of <cxkit/product/drivers.hpp>: key drivers (METRICS.md §3 "Key drivers").
// Oracles written here, independent of cxkit's correlation/Eigen route:
// - weighted means and co-moments by a textbook two-pass in long double;
// - regressions by Gaussian elimination (partial pivoting, long double) on the weighted centred
//   cross-products of the raw data, R² = 1 − SSE/SST from the residuals;
// - Shapley values as the average over all p! orders of the R² gain of each driver (the order
//   definition, not cxkit's subset weights);
// - relative weights: the orthogonal case (ε_j = r_jy²) and one driver (ε = r²);
// - serialization: round trips, truncation and byte flips, impossible payloads, and the golden
//   file tests/golden/driver_v1.bin against an encoder written here from the documented layout.
#include <cxkit/product/drivers.hpp>

#include <boost/crc.hpp>
#include <doctest/doctest.h>

#include "oracles.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using cxkit::driver_accumulator;
using cxkit::driver_method;
using cxkit::driver_options;
using cxkit::driver_result;
using bytes = std::vector<std::uint8_t>;

struct dataset {
    std::size_t n = 0, k = 0;
    std::vector<double> x;  // row-major n x k, column 0 = target
    std::vector<double> w;
    cxkit::matrix_view<double> view() const { return cxkit::matrix_view<double>::row_major(x.data(), n, k); }
    double operator()(std::size_t r, std::size_t c) const { return x[r * k + c]; }
};

// Correlated drivers: x_j = z_j + 0.6 z_{j-1}, y = Σ b_j x_j + noise; weights in [0.5, 2).
dataset make_data(std::size_t n, std::size_t p, std::uint64_t seed, bool weighted = true) {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> nd;
    std::uniform_real_distribution<double> ud(0.5, 2.0);
    dataset d;
    d.n = n;
    d.k = p + 1;
    d.x.resize(n * d.k);
    std::vector<double> z(p);
    for (std::size_t i = 0; i < n; ++i) {
        double y = 0.0;
        for (std::size_t j = 0; j < p; ++j) {
            z[j] = nd(g);
            const double xj = 10.0 * (static_cast<double>(j) + 1.0) + z[j] + (j > 0 ? 0.6 * z[j - 1] : 0.0);
            d.x[i * d.k + j + 1] = xj;
            y += (0.2 + 0.15 * static_cast<double>(j % 4)) * xj * (j % 3 == 2 ? -1.0 : 1.0);
        }
        d.x[i * d.k] = y + 1.5 * nd(g);
        if (weighted) d.w.push_back(ud(g));
    }
    return d;
}

struct moments_oracle {
    long double w = 0;
    std::vector<long double> mean;
    std::vector<long double> com;  // k x k
};

moments_oracle two_pass(const dataset& d) {
    moments_oracle m;
    m.mean.assign(d.k, 0);
    m.com.assign(d.k * d.k, 0);
    for (std::size_t i = 0; i < d.n; ++i) {
        const long double wi = d.w.empty() ? 1 : d.w[i];
        m.w += wi;
        for (std::size_t c = 0; c < d.k; ++c) m.mean[c] += wi * d(i, c);
    }
    for (auto& v : m.mean) v /= m.w;
    for (std::size_t i = 0; i < d.n; ++i) {
        const long double wi = d.w.empty() ? 1 : d.w[i];
        for (std::size_t a = 0; a < d.k; ++a)
            for (std::size_t b = 0; b < d.k; ++b)
                m.com[a * d.k + b] += wi * (d(i, a) - m.mean[a]) * (d(i, b) - m.mean[b]);
    }
    return m;
}

// Weighted least squares of column 0 on the columns `cols` (with an intercept) by Gaussian
// elimination on the centred cross-products; returns raw coefficients and R² = 1 − SSE/SST.
struct fit {
    std::vector<long double> coef;
    long double r2 = 0;
};

fit regress(const dataset& d, const moments_oracle& m, const std::vector<std::size_t>& cols) {
    const std::size_t s = cols.size();
    fit f;
    f.coef.assign(s, 0);
    long double sst = 0;
    for (std::size_t i = 0; i < d.n; ++i) {
        const long double wi = d.w.empty() ? 1 : d.w[i];
        sst += wi * (d(i, 0) - m.mean[0]) * (d(i, 0) - m.mean[0]);
    }
    if (s == 0) return f;
    // Augmented matrix [A | b], row r at a[r * (s + 1)].
    const std::size_t width = s + 1;
    std::vector<long double> a;
    a.reserve(cols.size() * width);
    for (std::size_t r = 0; r < s; ++r) {
        for (std::size_t c = 0; c < s; ++c) a.push_back(m.com[cols[r] * d.k + cols[c]]);
        a.push_back(m.com[cols[r] * d.k + 0]);
    }
    auto at = [&](std::size_t r, std::size_t c) -> long double& { return a[r * width + c]; };
    for (std::size_t c = 0; c < s; ++c) {
        std::size_t piv = c;
        for (std::size_t r = c + 1; r < s; ++r)
            if (std::fabs(at(r, c)) > std::fabs(at(piv, c))) piv = r;
        for (std::size_t cc = 0; cc < width; ++cc) std::swap(at(c, cc), at(piv, cc));
        for (std::size_t r = 0; r < s; ++r) {
            if (r == c) continue;
            const long double factor = at(r, c) / at(c, c);
            for (std::size_t cc = c; cc < width; ++cc) at(r, cc) -= factor * at(c, cc);
        }
    }
    for (std::size_t r = 0; r < s; ++r) f.coef[r] = at(r, s) / at(r, r);
    long double sse = 0;
    for (std::size_t i = 0; i < d.n; ++i) {
        const long double wi = d.w.empty() ? 1 : d.w[i];
        long double e = d(i, 0) - m.mean[0];
        for (std::size_t r = 0; r < s; ++r) e -= f.coef[r] * (d(i, cols[r]) - m.mean[cols[r]]);
        sse += wi * e * e;
    }
    f.r2 = 1 - sse / sst;
    return f;
}

// Shapley values as the mean over all p! orders of each driver's R² gain when it joins.
std::vector<long double> shapley_by_orders(const dataset& d, const moments_oracle& m) {
    const std::size_t p = d.k - 1;
    std::map<std::size_t, long double> r2;
    auto r2_of = [&](std::size_t mask) {
        auto it = r2.find(mask);
        if (it != r2.end()) return it->second;
        std::vector<std::size_t> cols;
        for (std::size_t j = 0; j < p; ++j)
            if (mask & (std::size_t{1} << j)) cols.push_back(j + 1);
        const long double v = regress(d, m, cols).r2;
        r2[mask] = v;
        return v;
    };
    std::vector<std::size_t> order(p);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::vector<long double> phi(p, 0);
    long double orders = 0;
    do {
        std::size_t mask = 0;
        for (std::size_t j : order) {
            const long double before = r2_of(mask);
            mask |= std::size_t{1} << j;
            phi[j] += r2_of(mask) - before;
        }
        orders += 1;
    } while (std::next_permutation(order.begin(), order.end()));
    for (auto& v : phi) v /= orders;
    return phi;
}

driver_accumulator state_of(const dataset& d, unsigned threads = 1) {
    driver_accumulator a(d.k);
    a.add(d.view(), d.w.empty() ? nullptr : d.w.data(), cxkit::on_invalid::raise, threads);
    return a;
}

void check_close_states(const driver_accumulator& a, const driver_accumulator& b, double rel, bool counts = true) {
    REQUIRE(a.n_variables() == b.n_variables());
    if (counts) {
        CHECK(a.n() == b.n());
        CHECK(a.n_missing() == b.n_missing());
        CHECK(a.n_invalid() == b.n_invalid());
    }
    CHECK_REL(a.sum_weights(), b.sum_weights(), rel);
    const std::size_t k = a.n_variables();
    for (std::size_t i = 0; i < k; ++i) {
        CHECK(std::abs(a.mean(i) - b.mean(i)) <= rel * std::max(1.0, std::abs(b.mean(i))));
        for (std::size_t j = 0; j < k; ++j) {
            const double scale = std::sqrt(b.comoment(i, i) * b.comoment(j, j));
            CHECK(std::abs(a.comoment(i, j) - b.comoment(i, j)) <= rel * scale);
        }
    }
}


}  // namespace

TEST_CASE("drivers: moments equal a two-pass long double computation") {
    const dataset d = make_data(70000, 4, 11);
    const auto a = state_of(d);
    const auto m = two_pass(d);
    CHECK(a.n() == d.n);
    CHECK_REL(a.sum_weights(), static_cast<double>(m.w), 1e-13);
    for (std::size_t i = 0; i < d.k; ++i) {
        CHECK_REL(a.mean(i), static_cast<double>(m.mean[i]), 1e-13);
        for (std::size_t j = 0; j < d.k; ++j) {
            const double scale = static_cast<double>(std::sqrt(m.com[i * d.k + i] * m.com[j * d.k + j]));
            CHECK(std::abs(a.comoment(i, j) - static_cast<double>(m.com[i * d.k + j])) <= 1e-12 * scale);
        }
    }
}

TEST_CASE("drivers: merging split parts equals one pass to 1e-12 and threads do not change the state") {
    const dataset d = make_data(200000, 5, 12);
    const auto whole = state_of(d);
    CHECK(state_of(d, 2) == whole);  // fixed segments merged in order: bit-identical
    for (std::size_t cut : {std::size_t{1}, std::size_t{777}, std::size_t{65536}, std::size_t{150001}}) {
        driver_accumulator a(d.k), b(d.k);
        a.add(cxkit::matrix_view<double>::row_major(d.x.data(), cut, d.k), d.w.data());
        b.add(cxkit::matrix_view<double>::row_major(d.x.data() + cut * d.k, d.n - cut, d.k), d.w.data() + cut);
        check_close_states(a + b, whole, 1e-12);
        CHECK(a + b == b + a);  // the merge is symmetric bit for bit
    }
    // Empty state is the identity.
    driver_accumulator empty(d.k);
    CHECK(whole + empty == whole);
    CHECK(empty + whole == whole);
    // Row by row.
    driver_accumulator rows(d.k);
    for (std::size_t i = 0; i < 3000; ++i)
        rows.add_row(cxkit::core::span<const double>(d.x.data() + i * d.k, d.k), d.w[i]);
    driver_accumulator first(d.k);
    first.add(cxkit::matrix_view<double>::row_major(d.x.data(), 3000, d.k), d.w.data());
    check_close_states(rows, first, 1e-12);
}

TEST_CASE("drivers: OLS beta and R-squared equal weighted least squares on the raw data") {
    const dataset d = make_data(5000, 5, 13);
    const auto m = two_pass(d);
    const fit f = regress(d, m, {1, 2, 3, 4, 5});
    driver_options o;
    o.method = driver_method::ols;
    const driver_result r = state_of(d).result(o);
    CHECK_REL(r.r_squared, static_cast<double>(f.r2), 1e-11);
    double sum = 0.0;
    for (std::size_t j = 0; j < 5; ++j) {
        const long double sd_x = std::sqrt(m.com[(j + 1) * d.k + j + 1]), sd_y = std::sqrt(m.com[0]);
        CHECK_REL(r.beta[j], static_cast<double>(f.coef[j] * sd_x / sd_y), 1e-10);
        CHECK(r.sign[j] == (f.coef[j] > 0 ? 1.0 : -1.0));
        const double corr = static_cast<double>(m.com[j + 1] / std::sqrt(m.com[0] * m.com[(j + 1) * d.k + j + 1]));
        CHECK_REL(r.correlation[j], corr, 1e-12);
        CHECK_REL(r.weight[j], r.beta[j] * corr, 1e-12);  // Pratt's measure
        sum += r.weight[j];
    }
    CHECK_REL(sum, r.r_squared, 1e-12);
    CHECK(r.method == "ols");
}

TEST_CASE("drivers: Shapley values equal the average over all orders of the R-squared gains") {
    const dataset d = make_data(3000, 6, 14);
    const auto m = two_pass(d);
    const auto phi = shapley_by_orders(d, m);
    driver_options o;
    o.method = driver_method::shapley;
    for (unsigned threads : {1u, 2u}) {
        o.threads = threads;
        const driver_result r = state_of(d).result(o);
        double sum = 0.0, rsum = 0.0;
        for (std::size_t j = 0; j < 6; ++j) {
            CHECK(std::abs(r.weight[j] - static_cast<double>(phi[j])) <= 1e-12);
            sum += r.weight[j];
            rsum += r.rescaled[j];
        }
        CHECK_REL(sum, r.r_squared, 1e-12);
        CHECK_REL(rsum, 100.0, 1e-12);
    }
}

TEST_CASE("drivers: subset R-squared of every subset equals its regression") {
    const dataset d = make_data(2000, 13, 15, false);  // 13 drivers: the threaded walk
    const auto m = two_pass(d);
    const auto a = state_of(d);
    driver_options o;
    o.threads = 2;
    const auto all = a.all_subset_r_squared(o);
    REQUIRE(all.size() == (std::size_t{1} << 13));
    CHECK(all[0] == 0.0);
    std::mt19937_64 g(3);
    for (int t = 0; t < 60; ++t) {
        const std::size_t mask = g() & ((std::size_t{1} << 13) - 1);
        std::vector<std::size_t> cols;
        for (std::size_t j = 0; j < 13; ++j)
            if (mask & (std::size_t{1} << j)) cols.push_back(j + 1);
        const double expected = static_cast<double>(regress(d, m, cols).r2);
        CHECK(std::abs(all[mask] - expected) <= 1e-12);
        CHECK(std::abs(a.subset_r_squared(cols) - expected) <= 1e-12);
    }
    // Threads do not change the values.
    o.threads = 1;
    CHECK(a.all_subset_r_squared(o) == all);
}

TEST_CASE("drivers: relative weights of orthogonal drivers are their squared correlations") {
    // Two exactly orthogonal, centred drivers (a 2^2 factorial design) and a target.
    dataset d;
    d.k = 3;
    const double design[8][3] = {{3, -1, -1}, {5, 1, -1}, {4, -1, 1}, {9, 1, 1},
                                 {2, -1, -1}, {6, 1, -1}, {4, -1, 1}, {7, 1, 1}};
    for (const auto& row : design) d.x.insert(d.x.end(), row, row + 3);
    d.n = 8;
    const auto m = two_pass(d);
    const driver_result r = state_of(d).result();
    double sum = 0.0;
    for (std::size_t j = 0; j < 2; ++j) {
        const double corr = static_cast<double>(m.com[j + 1] / std::sqrt(m.com[0] * m.com[(j + 1) * 3 + j + 1]));
        CHECK_REL(r.weight[j], corr * corr, 1e-13);
        sum += r.weight[j];
    }
    CHECK_REL(sum, r.r_squared, 1e-13);
    CHECK(r.method == "relative_weights");
    // One driver: its weight is r².
    const dataset one = make_data(500, 1, 16);
    const auto m1 = two_pass(one);
    const double r1 = static_cast<double>(m1.com[1] / std::sqrt(m1.com[0] * m1.com[3]));
    for (auto method : {driver_method::relative_weights, driver_method::shapley, driver_method::ols}) {
        driver_options o;
        o.method = method;
        const auto res = state_of(one).result(o);
        CHECK_REL(res.weight[0], r1 * r1, 1e-12);
        CHECK_REL(res.rescaled[0], 100.0, 1e-12);
    }
}

TEST_CASE("drivers: relative weights sum to R-squared and are scale invariant") {
    const dataset d = make_data(4000, 7, 17);
    dataset scaled = d;
    for (std::size_t i = 0; i < d.n; ++i) {
        scaled.x[i * d.k + 0] = 3.0 * d(i, 0) - 50.0;
        scaled.x[i * d.k + 2] = 1000.0 * d(i, 2) + 7.0;
        scaled.w[i] = 4.0 * d.w[i];
    }
    for (auto method : {driver_method::relative_weights, driver_method::shapley, driver_method::ols}) {
        driver_options o;
        o.method = method;
        const auto a = state_of(d).result(o), b = state_of(scaled).result(o);
        double sum = 0.0;
        for (std::size_t j = 0; j < 7; ++j) {
            CHECK(std::abs(a.weight[j] - b.weight[j]) <= 1e-11);
            sum += a.weight[j];
        }
        CHECK_REL(sum, a.r_squared, 1e-12);
    }
}

TEST_CASE("drivers: integer weights equal repeated rows") {
    dataset d = make_data(300, 3, 18, false);
    dataset rep;
    rep.k = d.k;
    std::vector<double> w(d.n);
    for (std::size_t i = 0; i < d.n; ++i) {
        w[i] = static_cast<double>(i % 3);
        for (std::size_t t = 0; t < i % 3; ++t) rep.x.insert(rep.x.end(), d.x.begin() + static_cast<std::ptrdiff_t>(i * d.k),
                                                            d.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * d.k));
    }
    rep.n = rep.x.size() / rep.k;
    d.w = w;
    driver_options o;
    o.method = driver_method::shapley;
    const auto a = state_of(d).result(o), b = state_of(rep).result(o);
    for (std::size_t j = 0; j < 3; ++j) CHECK(std::abs(a.weight[j] - b.weight[j]) <= 1e-12);
    CHECK(a.n == d.n);  // weight-0 rows are counted rows
}

TEST_CASE("drivers: missing rows are dropped listwise, invalid rows raise or are dropped") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const std::vector<double> x = {1, 2, 3,   nan, 1, 1,  2, nan, 1,  1, inf, 2,  4, 1, 0,  5, 2, 2,  3, 3, 1};
    const std::vector<double> w = {1, 1, 1, 1, 1, -1, 1};
    const auto view = cxkit::matrix_view<double>::row_major(x.data(), 7, 3);
    driver_accumulator a(3);
    const std::string msg = what_of([&] { a.add(view, w.data(), cxkit::on_invalid::raise, 1, {"overall", "price", "speed"}); });
    CAPTURE(msg);
    CHECK(contains(msg, "row 3"));
    CHECK(contains(msg, "'price'"));
    CHECK(contains(msg, "inf"));
    CHECK(contains(msg, "2 invalid rows"));
    CHECK(a == driver_accumulator(3));  // refused as a whole
    a.add(view, w.data(), cxkit::on_invalid::drop);
    CHECK(a.n() == 3);
    CHECK(a.n_missing() == 2);
    CHECK(a.n_invalid() == 2);
    CHECK(a.n() + a.n_missing() + a.n_invalid() == 7);
    // The kept rows are rows 0, 4 and 6.
    driver_accumulator kept(3);
    const std::vector<double> k3 = {1, 2, 3, 4, 1, 0, 3, 3, 1};
    kept.add(cxkit::matrix_view<double>::row_major(k3.data(), 3, 3));
    check_close_states(a, kept, 1e-15, false);  // same moments; the counts differ by design
    // An invalid weight alone is named.
    const std::vector<double> w2 = {1, 1, 1, 1, 1, 1, nan};
    const std::vector<double> x2 = {1, 2, 3, 2, 1, 1, 2, 3, 1, 1, 4, 2, 4, 1, 0, 5, 2, 2, 3, 3, 1};
    driver_accumulator b(3);
    const std::string msg2 =
        what_of([&] { b.add(cxkit::matrix_view<double>::row_major(x2.data(), 7, 3), w2.data()); });
    CHECK(contains(msg2, "invalid weight at row 6"));
    CHECK_THROWS_AS(b.add(cxkit::matrix_view<double>::row_major(x2.data(), 7, 3), w2.data()), cxkit::invalid_input);
    // Wrong column count.
    CHECK_THROWS_AS(b.add(cxkit::matrix_view<double>::row_major(x2.data(), 3, 7)), cxkit::invalid_argument);
}

TEST_CASE("drivers: empty state gives NaN and zero counts") {
    const driver_accumulator a(4);
    for (auto method : {driver_method::relative_weights, driver_method::shapley, driver_method::ols}) {
        driver_options o;
        o.method = method;
        const auto r = a.result(o);
        CHECK(r.n == 0);
        CHECK(std::isnan(r.r_squared));
        REQUIRE(r.weight.size() == 3);
        for (double v : r.weight) CHECK(std::isnan(v));
    }
    CHECK_THROWS_AS(driver_accumulator(1), cxkit::invalid_argument);
    CHECK_THROWS_AS(driver_accumulator(cxkit::product::driver_max_variables + 1), cxkit::invalid_argument);
    CHECK_THROWS_AS(driver_accumulator(3) += driver_accumulator(4), cxkit::invalid_argument);
}

TEST_CASE("drivers: constant and collinear drivers raise a numerical error naming them") {
    dataset d = make_data(500, 4, 19);
    const std::vector<std::string> names = {"overall", "price", "speed", "staff", "app"};
    driver_options o;
    o.names = names;
    {
        dataset c = d;
        for (std::size_t i = 0; i < c.n; ++i) c.x[i * c.k + 3] = 2.5;  // staff constant
        const auto a = state_of(c);
        const std::string msg = what_of([&] { (void)a.result(o); });
        CAPTURE(msg);
        CHECK(contains(msg, "constant driver 'staff'"));
        CHECK_THROWS_AS((void)a.result(o), cxkit::numerical_error);
    }
    {
        dataset c = d;
        for (std::size_t i = 0; i < c.n; ++i) c.x[i * c.k + 4] = 2.0 * c(i, 1) - 0.5 * c(i, 2) + 3.0;  // app = f(price, speed)
        const auto a = state_of(c);
        for (auto method : {driver_method::relative_weights, driver_method::shapley, driver_method::ols}) {
            o.method = method;
            const std::string msg = what_of([&] { (void)a.result(o); });
            CAPTURE(msg);
            CHECK(contains(msg, "collinear"));
            CHECK(contains(msg, "'price'"));
            CHECK(contains(msg, "'speed'"));
            CHECK(contains(msg, "'app'"));
            CHECK_FALSE(contains(msg, "'staff'"));
        }
    }
    {
        dataset c = d;
        for (std::size_t i = 0; i < c.n; ++i) c.x[i * c.k] = 4.0;
        const std::string msg = what_of([&] { (void)state_of(c).result(o); });
        CHECK(contains(msg, "target 'overall' is constant"));
    }
}

TEST_CASE("drivers: correlation matrix and subset checks") {
    dataset d = make_data(400, 3, 24);
    for (std::size_t i = 0; i < d.n; ++i) d.x[i * d.k + 2] = 7.0;  // driver 2 constant
    const auto a = state_of(d);
    const auto r = a.correlation();
    const auto m = two_pass(d);
    CHECK(r[0] == 1.0);
    CHECK_REL(r[1], static_cast<double>(m.com[1] / std::sqrt(m.com[0] * m.com[5])), 1e-12);
    for (std::size_t j = 0; j < 4; ++j) {
        CHECK(std::isnan(r[2 * 4 + j]));  // the constant variable's row and column are NaN
        CHECK(std::isnan(r[j * 4 + 2]));
    }
    const auto ok = state_of(make_data(400, 3, 25));
    const std::vector<std::size_t> bad = {0}, twice = {1, 1}, out = {4};
    CHECK_THROWS_AS(ok.subset_r_squared(bad), cxkit::invalid_argument);
    CHECK_THROWS_AS(ok.subset_r_squared(twice), cxkit::invalid_argument);
    CHECK_THROWS_AS(ok.subset_r_squared(out), cxkit::invalid_argument);
    CHECK(ok.subset_r_squared(std::vector<std::size_t>{}) == 0.0);
    CHECK_THROWS_AS(a.subset_r_squared(std::vector<std::size_t>{1}), cxkit::numerical_error);
}

TEST_CASE("drivers: Shapley refuses more than 20 drivers and says why") {
    const dataset d = make_data(100, 21, 20, false);
    driver_options o;
    o.method = driver_method::shapley;
    const auto a = state_of(d);
    const std::string msg = what_of([&] { (void)a.result(o); });
    CAPTURE(msg);
    CHECK(contains(msg, "21 drivers"));
    CHECK(contains(msg, "limit is 20"));
    CHECK(contains(msg, "2^p subsets"));
    CHECK_THROWS_AS((void)a.result(o), cxkit::invalid_argument);
    o.method = driver_method::relative_weights;
    CHECK(a.result(o).weight.size() == 21);
}

TEST_CASE("drivers: bootstrap intervals are reproducible and thread independent") {
    const dataset d = make_data(400, 3, 21);
    cxkit::key_driver_options o;
    o.result.method = driver_method::shapley;
    o.bootstrap = 200;
    o.seed = 42;
    const auto view = d.view();
    const auto a = cxkit::key_drivers(view, d.w.data(), o);
    o.result.threads = 2;
    const auto b = cxkit::key_drivers(view, d.w.data(), o);
    CHECK(a.weight_lo == b.weight_lo);
    CHECK(a.weight_hi == b.weight_hi);
    CHECK(a.n_boot_valid == 200);
    for (std::size_t j = 0; j < 3; ++j) {
        CHECK(a.weight_lo[j] < a.weight[j]);
        CHECK(a.weight[j] < a.weight_hi[j]);
    }
    o.seed = 43;
    const auto c = cxkit::key_drivers(view, d.w.data(), o);
    CHECK(c.weight_lo != a.weight_lo);
    // Replicates 0 and 1 by hand: resample_counts with replicate_seed(42, b), weights times
    // multiplicities, Shapley by orders; with two replicates the percentile interval is
    // min + 0.025 (max − min) .. min + 0.975 (max − min) (type 7 quantiles).
    std::vector<std::vector<long double>> phi(2);
    for (std::uint64_t rep = 0; rep < 2; ++rep) {
        std::vector<std::uint32_t> counts(d.n);
        cxkit::stats::bootstrap_engine engine(cxkit::stats::replicate_seed(42, rep));
        cxkit::stats::resample_counts(engine, cxkit::core::span<std::uint32_t>(counts.data(), counts.size()));
        dataset rb = d;
        for (std::size_t i = 0; i < d.n; ++i) rb.w[i] = d.w[i] * counts[i];
        phi[rep] = shapley_by_orders(rb, two_pass(rb));
    }
    o.seed = 42;
    o.bootstrap = 2;
    const auto two = cxkit::key_drivers(view, d.w.data(), o);
    for (std::size_t j = 0; j < 3; ++j) {
        const double lo = static_cast<double>(std::min(phi[0][j], phi[1][j]));
        const double hi = static_cast<double>(std::max(phi[0][j], phi[1][j]));
        CHECK(std::abs(two.weight_lo[j] - (lo + 0.025 * (hi - lo))) < 1e-10);
        CHECK(std::abs(two.weight_hi[j] - (lo + 0.975 * (hi - lo))) < 1e-10);
    }
    o.bootstrap = 1;
    CHECK_THROWS_AS(cxkit::key_drivers(view, d.w.data(), o), cxkit::invalid_argument);
}

// ---- serialization ------------------------------------------------------------------------------

namespace {

// The payload of format version 1 as documented above driver_accumulator::serialize() and in
// tests/golden/README.md, encoded here independently.
struct doc_state {
    std::uint64_t k = 0, n = 0, n_missing = 0, n_invalid = 0;
    double w = 0.0;
    std::vector<double> means;
    std::vector<double> upper;  // (0,0), (0,1), .., (0,k-1), (1,1), ..
};

void put_u(bytes& b, std::uint64_t v, int size) {
    for (int i = 0; i < size; ++i) b.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
}
void put_f(bytes& b, double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    put_u(b, bits, 8);
}

bytes encode(const doc_state& s) {
    bytes payload;
    put_u(payload, s.k, 8);
    put_u(payload, s.n, 8);
    put_u(payload, s.n_missing, 8);
    put_u(payload, s.n_invalid, 8);
    put_f(payload, s.w);
    for (double v : s.means) put_f(payload, v);
    for (double v : s.upper) put_f(payload, v);
    bytes out = {'C', 'X', 'K', '1'};
    put_u(out, 5, 2);  // family driver
    put_u(out, 1, 2);  // version
    put_u(out, 0, 4);  // flags
    put_u(out, payload.size(), 8);
    boost::crc_32_type crc;
    crc.process_bytes(payload.data(), payload.size());
    put_u(out, crc.checksum(), 4);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

bytes read_golden(const char* name) {
    const std::string path = std::string(CXKIT_TEST_DATA_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The documented input of driver_v1.bin (tests/golden/README.md, make_golden.cpp): variables
// (overall, x1, x2), one batch added with on_invalid::drop.
driver_accumulator golden_built() {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const std::vector<double> x = {3, 1, 0, 5, 2, 1, 4, 3, 2, 6, 4, 2, 2, 0, 3, 4, 2, 1, nan, 1, 1, 1, inf, 1, 1, 1, 1};
    const std::vector<double> w = {1, 1, 4, 0, 1, 1, 1, 1, -1};
    driver_accumulator a(3);
    a.add(cxkit::matrix_view<double>::row_major(x.data(), 9, 3), w.data(), cxkit::on_invalid::drop);
    return a;
}

// The same state computed by hand (README): W = 8, means 3.75, 2.125, 1.625.
doc_state golden_doc() {
    doc_state s;
    s.k = 3;
    s.n = 6;
    s.n_missing = 1;
    s.n_invalid = 2;
    s.w = 8.0;
    s.means = {3.75, 2.125, 1.625};
    s.upper = {5.5, 5.25, -1.75, 8.875, 0.375, 5.875};
    return s;
}

}  // namespace

TEST_CASE("drivers: serialization round trips") {
    const dataset d = make_data(1000, 4, 22);
    const auto a = state_of(d);
    const auto b = a.serialize();
    CHECK(driver_accumulator::deserialize(b.data(), b.size()) == a);
    const driver_accumulator empty(5), none;
    for (const auto& s : {empty, none}) {
        const auto e = s.serialize();
        CHECK(driver_accumulator::deserialize(e.data(), e.size()) == s);
    }
}

TEST_CASE("drivers: truncated and flipped bytes are corrupt state") {
    const auto b = state_of(make_data(50, 2, 23)).serialize();
    for (std::size_t len = 0; len < b.size(); ++len) {
        const bytes t(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(len));
        CHECK(corrupt_message<driver_accumulator>(t).rfind("corrupt state: ", 0) == 0);
    }
    for (std::size_t i = 0; i < b.size(); ++i) {
        bytes f = b;
        f[i] ^= 0x10;
        CHECK(corrupt_message<driver_accumulator>(f).rfind("corrupt state: ", 0) == 0);
    }
}

TEST_CASE("drivers: impossible payloads are refused with a reason") {
    doc_state s = golden_doc();
    CHECK(corrupt_message<driver_accumulator>(encode(s)) == "");
    {
        doc_state t = s;
        t.k = 1;
        t.means = {1.0};
        t.upper = {1.0};
        CHECK(contains(corrupt_message<driver_accumulator>(encode(t)), "n_variables 1"));
    }
    {
        doc_state t = s;
        t.upper[3] = -1.0;  // negative variance
        CHECK(contains(corrupt_message<driver_accumulator>(encode(t)), "co-moment (1, 1)"));
    }
    {
        doc_state t = s;
        t.means[1] = std::numeric_limits<double>::infinity();
        CHECK(contains(corrupt_message<driver_accumulator>(encode(t)), "mean 1"));
    }
    {
        doc_state t = s;
        t.w = -2.0;
        CHECK(contains(corrupt_message<driver_accumulator>(encode(t)), "sum_weights"));
    }
    {
        doc_state t = s;
        t.n = 0;
        CHECK(contains(corrupt_message<driver_accumulator>(encode(t)), "without rows"));
    }
    {
        doc_state t = s;
        t.upper.pop_back();
        CHECK(contains(corrupt_message<driver_accumulator>(encode(t)), "means and co-moments"));
    }
    {
        bytes e = encode(s);
        e[6] = 2;  // version 2
        CHECK(contains(corrupt_message<driver_accumulator>(e), "unsupported format version 2"));
    }
}

TEST_CASE("drivers: golden file driver_v1.bin decodes to the documented state and is reproduced") {
    const bytes golden = read_golden("driver_v1.bin");
    CHECK(golden == encode(golden_doc()));
    const auto decoded = driver_accumulator::deserialize(golden.data(), golden.size());
    const auto built = golden_built();
    CHECK(decoded == built);
    CHECK(built.serialize() == golden);
    // The documented values against the definition (two-pass over the kept rows).
    dataset kept;
    kept.k = 3;
    kept.x = {3, 1, 0, 5, 2, 1, 4, 3, 2, 6, 4, 2, 2, 0, 3, 4, 2, 1};
    kept.w = {1, 1, 4, 0, 1, 1};
    kept.n = 6;
    const auto m = two_pass(kept);
    const doc_state doc = golden_doc();
    std::size_t u = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(static_cast<double>(m.mean[i]) == doc.means[i]);
        for (std::size_t j = i; j < 3; ++j) CHECK(static_cast<double>(m.com[i * 3 + j]) == doc.upper[u++]);
    }
}
