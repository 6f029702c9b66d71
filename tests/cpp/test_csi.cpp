// Tests of <cxkit/survey/csi.hpp>: the index from means (the ACSI example, weights), the
// per-respondent form against textbook oracles (composite-score SE without missing answers,
// pairwise-complete covariance with them), the bootstrap, every bad-input class.
#include <cxkit/survey/csi.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "oracles.hpp"

namespace {
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using cxkit::matrix_view;

// Deterministic answers on 1..10 with some correlation between attributes (respondent mood).
std::vector<double> make_answers(std::size_t n, std::size_t k, std::uint64_t seed, double missing_share) {
    std::vector<double> x(n * k);
    std::uint64_t s = seed;
    auto next = [&] {  // 64-bit LCG (Knuth MMIX), top bits
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(s >> 11) / 9007199254740992.0;
    };
    for (std::size_t r = 0; r < n; ++r) {
        const double mood = next() * 4.0;
        for (std::size_t c = 0; c < k; ++c) {
            double v = std::floor(1.0 + mood + next() * 6.0 - static_cast<double>(c) * 0.5);
            v = std::min(10.0, std::max(1.0, v));
            x[r * k + c] = next() < missing_share ? nan_v : v;
        }
    }
    return x;
}

// Oracle without missing answers: CSI and SE of the per-respondent composite y = Σ w x.
struct oracle_csi {
    double csi, se;
};
oracle_csi composite_oracle(const std::vector<double>& x, std::size_t n, std::size_t k, const std::vector<double>& w,
                            double low, double high) {
    std::vector<double> y(n, 0.0);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < k; ++c) y[r] += w[c] * x[r * k + c];
    double mean = 0.0;
    for (double v : y) mean += v;
    mean /= static_cast<double>(n);
    double ss = 0.0;
    for (double v : y) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / static_cast<double>(n - 1));
    return {100.0 * (mean - low) / (high - low), 100.0 / (high - low) * sd / std::sqrt(static_cast<double>(n))};
}

// Oracle with missing answers: x̄ᵢ over answers; Var = Σ wᵢ wⱼ nᵢⱼ sᵢⱼ / (nᵢ nⱼ), sᵢⱼ the
// pairwise-complete covariance (two-pass over the rows answering both), 0 when nᵢⱼ < 2.
oracle_csi pairwise_oracle(const std::vector<double>& x, std::size_t n, std::size_t k, const std::vector<double>& w,
                           double low, double high) {
    std::vector<double> mean(k, 0.0), cnt(k, 0.0);
    for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t r = 0; r < n; ++r)
            if (!std::isnan(x[r * k + c])) {
                mean[c] += x[r * k + c];
                cnt[c] += 1;
            }
        mean[c] /= cnt[c];
    }
    double idx = 0.0, var = 0.0;
    for (std::size_t i = 0; i < k; ++i) idx += w[i] * (mean[i] - low);
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) {
            double mi = 0, mj = 0, nij = 0;
            for (std::size_t r = 0; r < n; ++r)
                if (!std::isnan(x[r * k + i]) && !std::isnan(x[r * k + j])) {
                    mi += x[r * k + i];
                    mj += x[r * k + j];
                    nij += 1;
                }
            if (nij < 2) continue;
            mi /= nij;
            mj /= nij;
            double s = 0;
            for (std::size_t r = 0; r < n; ++r)
                if (!std::isnan(x[r * k + i]) && !std::isnan(x[r * k + j]))
                    s += (x[r * k + i] - mi) * (x[r * k + j] - mj);
            s /= nij - 1;
            var += w[i] * w[j] * nij * s / (cnt[i] * cnt[j]);
        }
    return {100.0 * idx / (high - low), 100.0 / (high - low) * std::sqrt(var)};
}

const double z95 = 1.959963984540054;
}  // namespace

// ---- the index from means ------------------------------------------------------------------------

TEST_CASE("csi: ACSI example - three items on 1..10, equal weights") {
    // Means 8.1, 7.9, 7.5: 100 · mean((x − 1)/9) = 100 · (7.1 + 6.9 + 6.5)/27 = 75.925...
    const std::vector<double> means = {8.1, 7.9, 7.5};
    CHECK_REL(cxkit::csi(means, {}, 1.0, 10.0), 100.0 * 20.5 / 27.0, 1e-14);
    CHECK_REL(cxkit::survey::csi(means, {}), 100.0 * 20.5 / 27.0, 1e-14);  // 1..10 is the default
}

TEST_CASE("csi: weights are normalised, and scaling them changes nothing") {
    const std::vector<double> means = {4.0, 3.0, 5.0};
    const std::vector<double> w = {2.0, 1.0, 1.0};
    // 100 · (0.5 · 3/4 + 0.25 · 2/4 + 0.25 · 4/4) on 1..5
    const double expected = 100.0 * (0.5 * 0.75 + 0.25 * 0.5 + 0.25 * 1.0);
    CHECK_REL(cxkit::csi(means, w, 1.0, 5.0), expected, 1e-14);
    const std::vector<double> w10 = {20.0, 10.0, 10.0}, huge = {1e308, 5e307, 5e307};
    CHECK_REL(cxkit::csi(means, w10, 1.0, 5.0), expected, 1e-14);
    CHECK_REL(cxkit::csi(means, huge, 1.0, 5.0), expected, 1e-14);  // no overflow in the sum
    const auto nw = cxkit::survey::normalized_weights(w, 3);
    CHECK(nw == std::vector<double>{0.5, 0.25, 0.25});
    CHECK(cxkit::survey::normalized_weights({}, 4) == std::vector<double>(4, 0.25));
}

TEST_CASE("csi: the ends of the scale give 0 and 100") {
    const std::vector<double> lows = {1, 1}, highs = {10, 10};
    CHECK(cxkit::csi(lows, {}, 1.0, 10.0) == 0.0);
    CHECK(cxkit::csi(highs, {}, 1.0, 10.0) == doctest::Approx(100.0).epsilon(1e-15));
    const std::vector<double> zero_to_hundred = {0, 100};
    CHECK(cxkit::csi(zero_to_hundred, {}, 0.0, 100.0) == doctest::Approx(50.0).epsilon(1e-15));
}

TEST_CASE("csi: a NaN mean is missing - NaN index unless its weight is 0") {
    const std::vector<double> means = {8.0, nan_v, 6.0};
    CHECK(std::isnan(cxkit::csi(means, {}, 1.0, 10.0)));
    const std::vector<double> w = {1.0, 0.0, 1.0};
    CHECK_REL(cxkit::csi(means, w, 1.0, 10.0), 100.0 * (0.5 * 7 + 0.5 * 5) / 9.0, 1e-14);
    CHECK(std::isnan(cxkit::csi(std::vector<double>{}, {}, 1.0, 10.0)));
}

TEST_CASE("csi: bad means, weights and scales are refused with a named reason") {
    const std::vector<double> means = {8.0, 11.0, 6.0};
    CHECK_THROWS_WITH_AS(cxkit::csi(means, {}, 1.0, 10.0), doctest::Contains("invalid mean at position 1: 11"),
                         cxkit::invalid_input);
    CHECK_THROWS_AS(cxkit::csi(std::vector<double>{INFINITY}, {}, 1.0, 10.0), cxkit::invalid_input);
    const std::vector<double> ok = {8.0, 7.0, 6.0};
    CHECK_THROWS_WITH_AS(cxkit::csi(ok, std::vector<double>{1, -1, 1}, 1.0, 10.0),
                         doctest::Contains("invalid weight for attribute 1: -1"), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::csi(ok, std::vector<double>{1, 1, nan_v}, 1.0, 10.0),
                         doctest::Contains("attribute 2: nan"), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::csi(ok, std::vector<double>{INFINITY, 1, 1}, 1.0, 10.0),
                         doctest::Contains("attribute 0: inf"), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::csi(ok, std::vector<double>{0, 0, 0}, 1.0, 10.0), doctest::Contains("all 0"),
                         cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::csi(ok, std::vector<double>{1, 1}, 1.0, 10.0),
                         doctest::Contains("weights has 2 values but there are 3 attributes"), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::csi(ok, {}, 10.0, 1.0), doctest::Contains("scale"), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::csi(ok, {}, 5.0, 5.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::csi(ok, {}, nan_v, 5.0), cxkit::invalid_argument);
    const std::vector<std::string> names = {"q1", "q2", "q3"};
    CHECK_THROWS_WITH_AS(cxkit::survey::normalized_weights(std::vector<double>{1, -2, 1}, 3, names),
                         doctest::Contains("attribute \"q2\": -2"), cxkit::invalid_argument);
}

// ---- per respondent -------------------------------------------------------------------------------

TEST_CASE("csi: per respondent without missing answers - composite-score oracle") {
    const std::size_t n = 250, k = 3;
    const auto x = make_answers(n, k, 11, 0.0);
    for (const std::vector<double>& w : {std::vector<double>{}, std::vector<double>{0.5, 0.3, 0.2}}) {
        cxkit::csi_options o;
        o.weights = w;
        const auto r = cxkit::csi(matrix_view<double>::row_major(x.data(), n, k), o);
        const auto nw = w.empty() ? std::vector<double>(3, 1.0 / 3.0) : w;
        const auto e = composite_oracle(x, n, k, nw, 1.0, 10.0);
        CHECK_REL(r.csi, e.csi, 1e-12);
        CHECK_REL(r.std_error, e.se, 1e-10);
        CHECK_REL(r.ci_low, e.csi - z95 * e.se, 1e-10);
        CHECK_REL(r.ci_high, e.csi + z95 * e.se, 1e-10);
        CHECK(r.n == n);
        CHECK(r.n_missing == 0);
        CHECK(r.n_invalid == 0);
        CHECK(r.method == "delta");
        CHECK(r.n_boot == 0);
        REQUIRE(r.weights.size() == 3);
        CHECK_REL(r.weights[0], nw[0], 1e-15);
        REQUIRE(r.means.size() == 3);
        // The index from the reported means is the per-respondent index.
        CHECK_REL(cxkit::csi(r.means, r.weights, 1.0, 10.0), r.csi, 1e-13);
    }
}

TEST_CASE("csi: per respondent with missing answers - pairwise-complete covariance oracle") {
    const std::size_t n = 300, k = 4;
    const auto x = make_answers(n, k, 5, 0.2);
    const std::vector<double> w = {0.4, 0.3, 0.2, 0.1};
    cxkit::csi_options o;
    o.weights = {4, 3, 2, 1};
    o.confidence = 0.9;
    const auto r = cxkit::csi(matrix_view<double>::row_major(x.data(), n, k), o);
    const auto e = pairwise_oracle(x, n, k, w, 1.0, 10.0);
    CHECK_REL(r.csi, e.csi, 1e-12);
    CHECK_REL(r.std_error, e.se, 1e-10);
    CHECK_REL(r.ci_low, e.csi - 1.6448536269514722 * e.se, 1e-10);
    CHECK(r.confidence == 0.9);
    // Rows with all four answers missing (0.2^4 of them) are counted, not used.
    std::uint64_t all_missing = 0;
    for (std::size_t i = 0; i < n; ++i) {
        bool any = false;
        for (std::size_t c = 0; c < k; ++c) any = any || !std::isnan(x[i * k + c]);
        all_missing += any ? 0 : 1;
    }
    CHECK(r.n_missing == all_missing);
    CHECK(r.n + r.n_missing == n);
}

TEST_CASE("csi: row-major, column-major and integer views give the same result") {
    const std::size_t n = 60, k = 3;
    const auto x = make_answers(n, k, 3, 0.0);
    std::vector<double> cm(n * k);
    std::vector<std::int8_t> ints(n * k);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < k; ++c) {
            cm[c * n + r] = x[r * k + c];
            ints[r * k + c] = static_cast<std::int8_t>(x[r * k + c]);
        }
    const auto a = cxkit::csi(matrix_view<double>::row_major(x.data(), n, k));
    const auto b = cxkit::csi(matrix_view<double>::column_major(cm.data(), n, k));
    const auto c = cxkit::csi(matrix_view<std::int8_t>::row_major(ints.data(), n, k));
    CHECK(a.csi == b.csi);
    CHECK(a.std_error == b.std_error);
    CHECK(a.csi == c.csi);
    CHECK(a.std_error == c.std_error);
    // A reversed view (negative row stride) is the same sample in another order.
    const matrix_view<double> rev{x.data() + (n - 1) * k, n, k, -static_cast<std::ptrdiff_t>(k), 1};
    const auto d = cxkit::csi(rev);
    CHECK_REL(d.csi, a.csi, 1e-13);
    CHECK_REL(d.std_error, a.std_error, 1e-12);
}

TEST_CASE("csi: an answer off the scale raises naming row, attribute and value") {
    std::vector<double> x = {8, 9, 7, 6, 11, 5, 10, 9, 0, 7, 7, 7};  // rows 1 and 2 are bad
    cxkit::csi_options o;
    o.attributes = {"q1", "q2", "q3"};
    const auto view = matrix_view<double>::row_major(x.data(), 4, 3);
    CHECK_THROWS_WITH_AS(cxkit::csi(view, o),
                         doctest::Contains("invalid score at row 1, attribute \"q2\": 11 (expected a number in [1, 10]); "
                                           "2 invalid rows in total"),
                         cxkit::invalid_input);
    o.attributes.clear();
    CHECK_THROWS_WITH_AS(cxkit::csi(view, o), doctest::Contains("row 1, attribute 1: 11"), cxkit::invalid_input);
    const auto r = cxkit::csi(view, o, cxkit::on_invalid::drop);
    CHECK(r.n == 2);
    CHECK(r.n_invalid == 2);
    CHECK_REL(r.means[0], 7.5, 1e-15);  // rows 0 and 3 only
    CHECK_REL(r.means[1], 8.0, 1e-15);
    std::vector<double> inf = {8, INFINITY};
    CHECK_THROWS_WITH_AS(cxkit::csi(matrix_view<double>::row_major(inf.data(), 1, 2)), doctest::Contains("inf"),
                         cxkit::invalid_input);
    std::vector<int> ints = {3, 12};
    CHECK_THROWS_WITH_AS(cxkit::csi(matrix_view<int>::row_major(ints.data(), 1, 2)), doctest::Contains(": 12 "),
                         cxkit::invalid_input);
}

TEST_CASE("csi: missing answers and all-missing respondents - every row accounted for") {
    std::vector<double> x = {8, nan_v, 6,  nan_v, nan_v, nan_v,  10, 4, nan_v,  2, 50, 3};
    const auto view = matrix_view<double>::row_major(x.data(), 4, 3);
    const auto r = cxkit::csi(view, {}, cxkit::on_invalid::drop);
    CHECK(r.n == 2);
    CHECK(r.n_missing == 1);
    CHECK(r.n_invalid == 1);
    CHECK(r.n + r.n_missing + r.n_invalid == 4);
    CHECK(r.means[0] == 9.0);
    CHECK(r.means[1] == 4.0);
    CHECK(r.means[2] == 6.0);
    CHECK_REL(r.csi, 100.0 * (8.0 + 3.0 + 5.0) / 27.0, 1e-14);
    // One answer for attributes 1 and 2: no variance, so no SE.
    CHECK(std::isnan(r.std_error));
    CHECK(std::isnan(r.ci_low));
}

TEST_CASE("csi: empty input and unanswered attributes give NaN estimates, no exception") {
    const auto e = cxkit::csi(matrix_view<double>::row_major(nullptr, 0, 3));
    CHECK(std::isnan(e.csi));
    CHECK(std::isnan(e.std_error));
    CHECK(e.n == 0);
    CHECK(e.means.size() == 3);
    std::vector<double> x = {8, nan_v, 7, nan_v, 9, nan_v};  // attribute 1 never answered
    cxkit::csi_options o;
    const auto r = cxkit::csi(matrix_view<double>::row_major(x.data(), 3, 2), o);
    CHECK(std::isnan(r.csi));
    CHECK(std::isnan(r.means[1]));
    o.weights = {1, 0};  // ... unless it does not count
    const auto w = cxkit::csi(matrix_view<double>::row_major(x.data(), 3, 2), o);
    CHECK_REL(w.csi, 100.0 * 7.0 / 9.0, 1e-14);
    CHECK(w.n == 3);
    o.method = cxkit::csi_method::bootstrap;
    o.n_boot = 50;
    const auto b = cxkit::csi(matrix_view<double>::row_major(nullptr, 0, 2), o);
    CHECK(std::isnan(b.csi));
    CHECK(b.method == "bootstrap");
}

TEST_CASE("csi: bad per-respondent arguments") {
    std::vector<double> x = {8, 9};
    const auto view = matrix_view<double>::row_major(x.data(), 1, 2);
    cxkit::csi_options o;
    o.attributes = {"only one"};
    CHECK_THROWS_WITH_AS(cxkit::csi(view, o), doctest::Contains("attributes has 1 names"), cxkit::invalid_argument);
    o.attributes = {"a", "b"};
    o.weights = {1, -1};
    CHECK_THROWS_WITH_AS(cxkit::csi(view, o), doctest::Contains("attribute \"b\": -1"), cxkit::invalid_argument);
    o.weights.clear();
    o.confidence = 0;
    CHECK_THROWS_WITH_AS(cxkit::csi(view, o), doctest::Contains("confidence"), cxkit::invalid_argument);
    o.confidence = 0.95;
    o.method = cxkit::csi_method::bootstrap;
    o.n_boot = 0;
    CHECK_THROWS_WITH_AS(cxkit::csi(view, o), doctest::Contains("n_boot"), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::csi(matrix_view<double>::row_major(x.data(), 2, 0)), doctest::Contains("attribute"),
                         cxkit::invalid_argument);
    CHECK(cxkit::survey::parse_csi_method("bootstrap") == cxkit::csi_method::bootstrap);
    CHECK_THROWS_WITH_AS(cxkit::survey::parse_csi_method("jackknife"), doctest::Contains("jackknife"),
                         cxkit::invalid_argument);
}

TEST_CASE("csi: bootstrap is reproducible, thread-independent, and close to the delta method") {
    const std::size_t n = 2000, k = 3;
    const auto x = make_answers(n, k, 99, 0.1);
    const auto view = matrix_view<double>::row_major(x.data(), n, k);
    cxkit::csi_options o;
    o.method = cxkit::csi_method::bootstrap;
    o.n_boot = 1000;
    o.seed = 42;
    const auto a = cxkit::csi(view, o);
    o.threads = 2;
    const auto b = cxkit::csi(view, o);
    CHECK(a.csi == b.csi);
    CHECK(a.std_error == b.std_error);
    CHECK(a.ci_low == b.ci_low);
    CHECK(a.ci_high == b.ci_high);
    CHECK(a.method == "bootstrap");
    CHECK(a.n_boot == 1000);
    CHECK(a.seed == 42);
    o.seed = 43;
    const auto c = cxkit::csi(view, o);
    CHECK(c.csi == a.csi);  // the point estimate does not depend on the resamples
    CHECK(c.std_error != a.std_error);
    o.method = cxkit::csi_method::delta;
    const auto d = cxkit::csi(view, o);
    CHECK(d.n_boot == 0);
    // Large n: the bootstrap SE and interval agree with the delta method within Monte Carlo error.
    CHECK_REL(a.std_error, d.std_error, 0.08);
    CHECK(std::fabs(a.ci_low - d.ci_low) < 0.3 * d.std_error);
    CHECK(std::fabs(a.ci_high - d.ci_high) < 0.3 * d.std_error);
}

TEST_CASE("csi: result fields are visited in API order") {
    std::vector<std::string> names;
    cxkit::csi_result::fields([&](const char* name, auto) { names.emplace_back(name); });
    const std::vector<std::string> expected = {"csi",       "std_error", "ci_low",  "ci_high",    "n",
                                               "n_missing", "n_invalid", "method",  "confidence", "weights",
                                               "means",     "scale_low", "scale_high", "n_boot",  "seed"};
    CHECK(names == expected);
}
