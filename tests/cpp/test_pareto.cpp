// Tests of <cxkit/feedback/pareto.hpp>: counts, order, shares and the vital few against a
// brute-force table built here (std::map counts, explicit sort by count then code).
#include <cxkit/feedback/pareto.hpp>

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

struct row {
    std::uint32_t code;
    double count;
};

// Oracle: weighted counts per code, sorted by count desc then code asc.
std::vector<row> brute(const std::vector<int>& codes, const std::vector<double>& w, std::size_t levels) {
    std::map<int, double> m;
    std::map<int, int> seen;
    for (std::size_t i = 0; i < codes.size(); ++i) {
        if (codes[i] < 0) continue;
        m[codes[i]] += w.empty() ? 1.0 : w[i];
        seen[codes[i]] = 1;
    }
    std::vector<row> out;
    for (std::size_t c = 0; c < levels; ++c)
        if (seen.count(static_cast<int>(c))) out.push_back({static_cast<std::uint32_t>(c), m[static_cast<int>(c)]});
    std::sort(out.begin(), out.end(), [](const row& a, const row& b) {
        return a.count != b.count ? a.count > b.count : a.code < b.code;
    });
    return out;
}

}  // namespace

TEST_CASE("pareto: the textbook table - counts, shares, vital few at 80%") {
    // 50 late, 30 damaged, 10 billing, 6 rude, 4 other (codes 0..4 in name order: billing=0, damaged=1,
    // late=2, other=3, rude=4)
    std::vector<int> codes;
    for (int i = 0; i < 50; ++i) codes.push_back(2);
    for (int i = 0; i < 30; ++i) codes.push_back(1);
    for (int i = 0; i < 10; ++i) codes.push_back(0);
    for (int i = 0; i < 6; ++i) codes.push_back(4);
    for (int i = 0; i < 4; ++i) codes.push_back(3);
    const auto t = cxkit::pareto(cxkit::span<const int>(codes), 5);
    CHECK(t.category == std::vector<std::uint32_t>{2, 1, 0, 4, 3});
    CHECK(t.count == std::vector<double>{50, 30, 10, 6, 4});
    CHECK(t.rows == std::vector<std::uint64_t>{50, 30, 10, 6, 4});
    CHECK(t.share == std::vector<double>{0.5, 0.3, 0.1, 0.06, 0.04});
    CHECK(t.cumulative_share[1] == 0.8);  // 80 / 100: reaches the threshold exactly
    CHECK(t.cumulative_share[4] == 1.0);
    CHECK(t.vital_few == std::vector<std::uint8_t>{1, 1, 0, 0, 0});
    CHECK(t.n == 100);
    CHECK(t.n_missing == 0);
    CHECK(t.n_invalid == 0);
    cxkit::pareto_options o;
    o.threshold = 0.81;
    CHECK(cxkit::pareto(cxkit::span<const int>(codes), 5, {}, o).vital_few == std::vector<std::uint8_t>{1, 1, 1, 0, 0});
    o.threshold = 1.0;
    CHECK(cxkit::pareto(cxkit::span<const int>(codes), 5, {}, o).vital_few == std::vector<std::uint8_t>{1, 1, 1, 1, 1});
}

TEST_CASE("pareto: ties are broken by code, unseen categories are left out, missing codes counted") {
    const std::vector<int> codes{3, 1, -1, 3, 1, 0, -1};
    const auto t = cxkit::pareto(cxkit::span<const int>(codes), 5);
    CHECK(t.category == std::vector<std::uint32_t>{1, 3, 0});
    CHECK(t.n == 5);
    CHECK(t.n_missing == 2);
}

TEST_CASE("pareto: random weighted data against the brute-force table") {
    std::mt19937_64 gen(17);
    for (int rep = 0; rep < 30; ++rep) {
        const std::size_t n = static_cast<std::size_t>(gen() % 500), levels = 1 + gen() % 12;
        std::vector<int> codes(n);
        std::vector<double> w(n);
        for (std::size_t i = 0; i < n; ++i) {
            codes[i] = static_cast<int>(gen() % (levels + 1)) - 1;  // -1 = missing
            w[i] = static_cast<double>(gen() % 4) * 0.5;            // ties and zero weights
        }
        const auto t = cxkit::pareto(cxkit::span<const int>(codes), levels, cxkit::span<const double>(w));
        const auto b = brute(codes, w, levels);
        REQUIRE(t.category.size() == b.size());
        double total = 0;
        for (const auto& r : b) total += r.count;
        double running = 0;
        bool reached = false;
        for (std::size_t k = 0; k < b.size(); ++k) {
            CHECK(t.category[k] == b[k].code);
            CHECK(t.count[k] == b[k].count);
            running += b[k].count;
            if (total > 0) {
                CHECK_REL(t.share[k], b[k].count / total, 1e-15);
                CHECK_REL(t.cumulative_share[k], running / total, 1e-12);
                CHECK(t.vital_few[k] == (reached ? 0 : 1));
                if (running / total >= 0.8 - 1e-12) reached = true;
            } else {
                CHECK(std::isnan(t.share[k]));
                CHECK(t.vital_few[k] == 0);
            }
        }
        CHECK(t.n + t.n_missing + t.n_invalid == n);
    }
}

TEST_CASE("pareto: per period, every category in every period") {
    // periods 0 and 1; category 2 only in period 0
    const std::vector<std::int64_t> cat{0, 0, 1, 2, 1, 1, 0};
    const std::vector<std::int8_t> per{0, 0, 0, 0, 1, 1, -1};
    cxkit::feedback::coded_column<std::int64_t> c{cat.data(), 0, 3};
    cxkit::feedback::coded_column<std::int8_t> p{per.data(), 0, 2};
    const auto t = cxkit::feedback::pareto(c, p, cat.size(), nullptr);
    CHECK(t.period == std::vector<std::uint32_t>{0, 0, 0, 1, 1, 1});
    CHECK(t.category == std::vector<std::uint32_t>{0, 1, 2, 1, 0, 2});
    CHECK(t.count == std::vector<double>{2, 1, 1, 2, 0, 0});
    CHECK(t.share[3] == 1.0);
    CHECK(t.vital_few == std::vector<std::uint8_t>{1, 1, 1, 1, 0, 0});  // period 0: 0.5, 0.75, 1
    CHECK(t.n == 6);
    CHECK(t.n_missing == 1);
}

TEST_CASE("pareto: offsets map keys to codes") {
    const std::vector<std::int32_t> keys{100, 102, 102, 99};  // offset 99: codes 1, 3, 3, 0
    cxkit::feedback::coded_column<std::int32_t> c{keys.data(), 99, 4};
    cxkit::feedback::coded_column<std::int32_t> none{};
    const auto t = cxkit::feedback::pareto(c, none, keys.size(), nullptr);
    CHECK(t.category == std::vector<std::uint32_t>{3, 0, 1});
}

TEST_CASE("pareto: invalid weights raise naming position and value, or are dropped and counted") {
    const std::vector<int> codes{0, 1, 1, 0};
    const std::vector<double> w{1.0, -2.0, std::numeric_limits<double>::quiet_NaN(), 1.0};
    CHECK_THROWS_WITH_AS(cxkit::pareto(cxkit::span<const int>(codes), 2, cxkit::span<const double>(w)),
                         doctest::Contains("invalid weight at position 1: -2"), cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(cxkit::pareto(cxkit::span<const int>(codes), 2, cxkit::span<const double>(w)),
                         doctest::Contains("2 invalid rows in total"), cxkit::invalid_input);
    const auto t = cxkit::pareto(cxkit::span<const int>(codes), 2, cxkit::span<const double>(w), {}, cxkit::on_invalid::drop);
    CHECK(t.n == 2);
    CHECK(t.n_invalid == 2);
    CHECK(t.category == std::vector<std::uint32_t>{0});
}

TEST_CASE("pareto: empty input, bad threshold, codes out of range, mismatched weights") {
    const std::vector<int> none;
    const auto e = cxkit::pareto(cxkit::span<const int>(none), 3);
    CHECK(e.category.empty());
    CHECK(e.n == 0);
    const std::vector<int> codes{0, 5};
    CHECK_THROWS_AS(cxkit::pareto(cxkit::span<const int>(codes), 3), cxkit::out_of_range);
    cxkit::pareto_options o;
    o.threshold = 0.0;
    CHECK_THROWS_AS(cxkit::pareto(cxkit::span<const int>(none), 3, {}, o), cxkit::invalid_argument);
    const std::vector<double> w{1.0};
    CHECK_THROWS_AS(cxkit::pareto(cxkit::span<const int>(codes), 6, cxkit::span<const double>(w)), cxkit::invalid_argument);
}
