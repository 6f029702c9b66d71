// Tests of <cxkit/core/histogram.hpp>: the weighted score histogram, the accumulator base shared by
// the NPS and rating states, the merge laws (ARCHITECTURE.md §1) and the grouped add.
#include <cxkit/core/histogram.hpp>

#include <cxkit/survey/nps.hpp>
#include <cxkit/survey/rating.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using cxkit::core::on_invalid;

// Random input rows for NPS (0..10): mostly valid integer scores, some NaN (missing), some out of
// scale or non-integer (invalid), and optionally weights, some of them invalid. "Dyadic" weights
// are multiples of 1/8 up to 4, whose sums (and sums of squares) are exact in any order, so
// weighted merges can be checked for exact equality too.
struct rows {
    std::vector<double> scores;
    std::vector<double> weights;
};

rows random_rows(std::mt19937_64& rng, std::size_t n, bool dyadic) {
    std::uniform_int_distribution<int> score(0, 10), kind(0, 99), eighths(0, 32), bad_score(11, 20);
    std::uniform_real_distribution<double> cont(0.0, 3.0);
    rows r;
    r.scores.reserve(n);
    r.weights.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const int k = kind(rng);
        if (k < 80) r.scores.push_back(score(rng));
        else if (k < 87) r.scores.push_back(nan_v);
        else if (k < 93) r.scores.push_back(bad_score(rng));
        else if (k < 96) r.scores.push_back(-1.0 * bad_score(rng));
        else r.scores.push_back(score(rng) + 0.5);
        const int wk = kind(rng);
        if (wk < 2) r.weights.push_back(-1.0);
        else if (wk < 3) r.weights.push_back(nan_v);
        else r.weights.push_back(dyadic ? eighths(rng) / 8.0 : cont(rng));
    }
    return r;
}

// One batch add of rows [begin, end) with on_invalid=drop.
cxkit::nps_accumulator batch_of(const rows& r, std::size_t begin, std::size_t end, bool weighted) {
    cxkit::nps_accumulator a;
    const cxkit::core::batch<double> in{r.scores.data() + begin, end - begin,
                                        weighted ? r.weights.data() + begin : nullptr, nullptr};
    a.add(in, on_invalid::drop);
    return a;
}

// Row-by-row adds of rows [begin, end) with on_invalid=drop.
cxkit::nps_accumulator rows_of(const rows& r, std::size_t begin, std::size_t end, bool weighted) {
    cxkit::nps_accumulator a;
    for (std::size_t i = begin; i < end; ++i) a.add(r.scores[i], weighted ? r.weights[i] : 1.0, on_invalid::drop);
    return a;
}

// Field-by-field comparison: counts exactly, weight sums to `rel` relative.
void check_close(const cxkit::core::score_histogram& a, const cxkit::core::score_histogram& b, double rel) {
    CHECK(a.scale() == b.scale());
    CHECK(a.counts() == b.counts());
    CHECK(a.n_missing() == b.n_missing());
    CHECK(a.n_invalid() == b.n_invalid());
    REQUIRE(a.weights().size() == b.weights().size());
    for (std::size_t i = 0; i < a.weights().size(); ++i)
        CHECK(a.weights()[i] == doctest::Approx(b.weights()[i]).epsilon(rel));
    CHECK(a.weight_sq() == doctest::Approx(b.weight_sq()).epsilon(rel));
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// score_histogram
// ------------------------------------------------------------------------------------------------

TEST_CASE("histogram: score_histogram fields after single adds, computed by hand") {
    cxkit::core::score_histogram h(cxkit::core::integer_scale(1, 5));
    h.add_one(5, 2.0, on_invalid::raise, "score");
    h.add_one(3, 0.5, on_invalid::raise, "score");
    h.add_one(3, 1.0, on_invalid::raise, "score");
    h.add_one(nan_v, 1.0, on_invalid::raise, "score");
    h.add_one(7, 1.0, on_invalid::drop, "score");
    CHECK(h.counts() == std::vector<std::uint64_t>{0, 0, 2, 0, 1});
    CHECK(h.weights() == std::vector<double>{0, 0, 1.5, 0, 2.0});
    CHECK(h.weight_sq() == 2.0 * 2.0 + 0.5 * 0.5 + 1.0 * 1.0);
    CHECK(h.n() == 3);
    CHECK(h.n_missing() == 1);
    CHECK(h.n_invalid() == 1);
    CHECK(h.total_weight() == 3.5);
    // Kish: n_eff = W^2 / sum w^2 = 3.5^2 / 5.25
    CHECK(h.n_effective() == doctest::Approx(3.5 * 3.5 / 5.25).epsilon(1e-15));
    // The message names what a value is called.
    CHECK_THROWS_WITH_AS(h.add_one(9, 1.0, on_invalid::raise, "rating"),
                         "invalid rating 9 (expected an integer in 1..5)", cxkit::invalid_input);
}

TEST_CASE("histogram: default score_histogram is the one-point scale 0..0 and empty") {
    const cxkit::core::score_histogram h;
    CHECK(h.scale().low() == 0);
    CHECK(h.scale().high() == 0);
    CHECK(h.counts().size() == 1);
    CHECK(h.n() == 0);
    CHECK(h.total_weight() == 0.0);
    CHECK(h.n_effective() == 0.0);  // 0 when W = 0, not NaN
}

TEST_CASE("histogram: unweighted rows have n_effective == n") {
    cxkit::nps_accumulator a;
    a.add(std::vector<int>{0, 1, 2, 9, 9, 10, 7});
    CHECK(a.histogram().n_effective() == 7.0);
    CHECK(a.histogram().weight_sq() == 7.0);
    CHECK(a.histogram().total_weight() == 7.0);
}

// Kish n_eff = W² / Σw² must not degrade into inf/inf or 0/0: weights are limited to 0 or
// [1e-150, 1e150] (squares stay representable), and within that domain n_eff is invariant to
// scaling all weights. Weights outside it are invalid input, like a negative weight.
TEST_CASE("histogram: n_effective is invariant to the scale of the weights") {
    for (double w : {1e150, 1e-150, 1e100, 1e-100, 3.0}) {
        CAPTURE(w);
        cxkit::core::score_histogram h(cxkit::core::integer_scale(0, 10));
        h.add_one(9, w, on_invalid::raise, "score");
        h.add_one(3, w, on_invalid::raise, "score");
        CHECK(h.n_effective() == doctest::Approx(2.0).epsilon(1e-12));
        cxkit::nps_accumulator a;
        a.add(std::vector<int>{9, 3}, std::vector<double>{w, w});
        CHECK(a.result().n_effective == doctest::Approx(2.0).epsilon(1e-12));
        CHECK_FALSE(std::isnan(a.result().ci_low));
    }
    for (double w : {1e200, 1e-200, 2e150}) {
        CAPTURE(w);
        cxkit::nps_accumulator a;
        CHECK_THROWS_AS(a.add(std::vector<int>{9, 3}, std::vector<double>{w, w}), cxkit::invalid_input);
        a.add(std::vector<int>{9, 3}, std::vector<double>{w, 1.0}, on_invalid::drop);
        CHECK(a.n() == 1);
        CHECK(a.n_invalid() == 1);
    }
}

TEST_CASE("histogram: add_table_row takes one group's cells of a counted table") {
    const cxkit::core::integer_scale s(1, 3);  // stride 5: bins 1,2,3, missing, invalid
    cxkit::core::bin_table t = cxkit::core::make_bin_table(2, s.stride(), true);
    // group 1 (table row 2): two 3s with weights 0.5 and 1.5, one missing, one invalid
    const std::size_t at = t.row_offset(1);
    t.count[at + 2] = 2;
    t.weight[at + 2] = 2.0;
    t.weight_sq[at + 2] = 0.25 + 2.25;
    t.count[at + s.missing_bin()] = 1;
    t.count[at + s.invalid_bin()] = 1;
    t.count[t.row_offset(0) + 0] = 7;  // another group: must not leak in
    cxkit::rating_accumulator r(1, 3);
    r.add_table_row(t, 1);
    CHECK(r.histogram().counts() == std::vector<std::uint64_t>{0, 0, 2});
    CHECK(r.histogram().weights() == std::vector<double>{0, 0, 2.0});
    CHECK(r.histogram().weight_sq() == 2.5);
    CHECK(r.n_missing() == 1);
    CHECK(r.n_invalid() == 1);

    // Unweighted tables: weight = count, weight_sq = count.
    cxkit::core::bin_table u = cxkit::core::make_bin_table(1, s.stride(), false);
    CHECK_FALSE(u.weighted());
    u.count[u.row_offset(0) + 0] = 4;
    cxkit::rating_accumulator q(1, 3);
    q.add_table_row(u, 0);
    CHECK(q.histogram().weights() == std::vector<double>{4.0, 0, 0});
    CHECK(q.histogram().weight_sq() == 4.0);
}

// ------------------------------------------------------------------------------------------------
// Merge laws (ARCHITECTURE.md §1), with a seeded generator
// ------------------------------------------------------------------------------------------------

TEST_CASE("histogram: batch add equals row-by-row add") {
    std::mt19937_64 rng(20240611);
    for (int weighted = 0; weighted < 2; ++weighted) {
        const rows r = random_rows(rng, 3000, /*dyadic=*/true);
        CAPTURE(weighted);
        CHECK(batch_of(r, 0, r.scores.size(), weighted != 0) == rows_of(r, 0, r.scores.size(), weighted != 0));
    }
}

TEST_CASE("histogram: merge is associative, commutative, and the empty state is its identity") {
    std::mt19937_64 rng(7);
    for (int trial = 0; trial < 20; ++trial) {
        const bool weighted = trial % 2 == 1;
        const rows r = random_rows(rng, 900, /*dyadic=*/true);
        const auto a = batch_of(r, 0, 250, weighted);
        const auto b = batch_of(r, 250, 600, weighted);
        const auto c = batch_of(r, 600, 900, weighted);
        const cxkit::nps_accumulator e;
        CAPTURE(trial);
        CHECK((a + b) + c == a + (b + c));
        CHECK(a + b == b + a);
        CHECK(a + e == a);
        CHECK(e + a == a);
        CHECK(e + e == e);
        // merge() is operator+=.
        auto m = a;
        m.merge(b);
        CHECK(m == a + b);
    }
}

TEST_CASE("histogram: split at random points and merged equals one pass, exactly") {
    std::mt19937_64 rng(12345);
    for (int trial = 0; trial < 30; ++trial) {
        const bool weighted = trial % 3 == 2;  // dyadic weights: sums are exact in any order
        const rows r = random_rows(rng, 2000, /*dyadic=*/true);
        const auto whole = batch_of(r, 0, r.scores.size(), weighted);

        std::uniform_int_distribution<std::size_t> cut(0, r.scores.size());
        std::vector<std::size_t> cuts = {0, r.scores.size()};
        const int pieces = 1 + trial % 8;
        for (int i = 1; i < pieces; ++i) cuts.push_back(cut(rng));
        std::sort(cuts.begin(), cuts.end());

        // Merge the pieces in a random order (commutativity) into a random side (+= or +).
        std::vector<cxkit::nps_accumulator> parts;
        for (std::size_t i = 0; i + 1 < cuts.size(); ++i) parts.push_back(batch_of(r, cuts[i], cuts[i + 1], weighted));
        std::shuffle(parts.begin(), parts.end(), rng);
        cxkit::nps_accumulator merged;
        for (const auto& p : parts) merged = (trial % 2 == 0) ? merged + p : p + merged;
        CAPTURE(trial);
        CHECK(merged == whole);
        CHECK(merged.n() + merged.n_missing() + merged.n_invalid() == r.scores.size());
    }
}

TEST_CASE("histogram: with continuous weights, merge matches one pass to 1e-12 relative") {
    std::mt19937_64 rng(99);
    for (int trial = 0; trial < 10; ++trial) {
        const rows r = random_rows(rng, 5000, /*dyadic=*/false);
        const auto whole = batch_of(r, 0, 5000, true);
        auto merged = batch_of(r, 3000, 5000, true);
        merged += batch_of(r, 0, 1000, true);
        merged += batch_of(r, 1000, 3000, true);
        check_close(merged.histogram(), whole.histogram(), 1e-12);
        // Associativity to rounding as well.
        const auto a = batch_of(r, 0, 1, true), b = batch_of(r, 1, 2500, true), c = batch_of(r, 2500, 5000, true);
        check_close(((a + b) + c).histogram(), (a + (b + c)).histogram(), 1e-12);
        // Commutativity is exact: IEEE addition commutes.
        CHECK(a + b == b + a);
    }
}

TEST_CASE("histogram: merging a state into itself doubles every field") {
    cxkit::nps_accumulator a;
    a.add(std::vector<double>{9, 3, nan_v, 12}, std::vector<double>{2.0, 0.5, 1.0, 1.0}, on_invalid::drop);
    const auto before = a;
    a += a;
    CHECK(a.n() == 2 * before.n());
    CHECK(a.n_missing() == 2);
    CHECK(a.n_invalid() == 2);
    CHECK(a.histogram().weight_sq() == 2 * before.histogram().weight_sq());
    CHECK(a.histogram().weights()[9] == 4.0);
}

TEST_CASE("histogram: merging states on different scales is an invalid_argument") {
    cxkit::rating_accumulator a(1, 5), b(1, 7);
    a.add(5);
    b.add(7);
    const auto before = a;
    CHECK_THROWS_WITH_AS(a += b, "cannot merge states on different scales (1..5 and 1..7)", cxkit::invalid_argument);
    CHECK_THROWS_AS(a + b, cxkit::invalid_argument);
    CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
    CHECK(a == before);
    CHECK(a != b);
    // Same scale, different data: unequal; equal after the same adds.
    cxkit::rating_accumulator c(1, 5);
    CHECK(a != c);
    c.add(5);
    CHECK(a == c);
}

TEST_CASE("histogram: equality looks at every field") {
    cxkit::nps_accumulator base;
    base.add(9);
    auto more_missing = base;
    more_missing.add(nan_v);
    auto more_invalid = base;
    more_invalid.add(99, 1.0, on_invalid::drop);
    auto other_weight = cxkit::nps_accumulator{};
    other_weight.add(9, 1.5);
    auto zero_weight_row = base;
    zero_weight_row.add(9, 0.0);
    CHECK(base != more_missing);
    CHECK(base != more_invalid);
    CHECK(base != other_weight);
    CHECK(base != zero_weight_row);  // same weights, one more row
}

// ------------------------------------------------------------------------------------------------
// Grouped add: group_states equals per-group single-row adds
// ------------------------------------------------------------------------------------------------

namespace {

template <class C>
void check_group_states_against_rows(std::int64_t offset, bool weighted, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const std::size_t n = 4000, n_groups = 7;
    const rows r = random_rows(rng, n, /*dyadic=*/true);
    std::uniform_int_distribution<int> group(-1, static_cast<int>(n_groups) - 1);
    std::vector<C> codes(n);
    for (auto& c : codes) c = static_cast<C>(group(rng) + offset);

    const cxkit::core::batch<double> in{r.scores.data(), n, weighted ? r.weights.data() : nullptr, nullptr};
    const auto g = cxkit::core::group_states(cxkit::nps_accumulator{}, in,
                                             cxkit::core::group_codes<C>{codes.data(), offset, n_groups},
                                             on_invalid::drop);
    REQUIRE(g.groups.size() == n_groups);

    // Oracle: one state per group filled row by row; group -1 is the missing-key state.
    std::vector<cxkit::nps_accumulator> expected(n_groups);
    cxkit::nps_accumulator expected_missing_key;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t k = static_cast<std::int64_t>(codes[i]) - offset;
        auto& target = k < 0 ? expected_missing_key : expected[static_cast<std::size_t>(k)];
        target.add(r.scores[i], weighted ? r.weights[i] : 1.0, on_invalid::drop);
    }
    for (std::size_t k = 0; k < n_groups; ++k) {
        CAPTURE(k);
        CHECK(g.groups[k] == expected[k]);
    }
    CHECK(g.missing_key == expected_missing_key);
    CHECK(g.empty == cxkit::nps_accumulator{});
    std::uint64_t rows_seen = g.missing_key.n() + g.missing_key.n_missing() + g.missing_key.n_invalid();
    for (const auto& s : g.groups) rows_seen += s.n() + s.n_missing() + s.n_invalid();
    CHECK(rows_seen == n);
}

}  // namespace

TEST_CASE("histogram: group_states with int32 codes equals per-group single-row adds") {
    check_group_states_against_rows<std::int32_t>(0, false, 1);
    check_group_states_against_rows<std::int32_t>(0, true, 2);
}

TEST_CASE("histogram: group_states with int64 codes and an offset equals per-group single-row adds") {
    check_group_states_against_rows<std::int64_t>(1000, false, 3);
    check_group_states_against_rows<std::int64_t>(1000, true, 4);
    check_group_states_against_rows<std::int64_t>(-50, false, 5);
}

TEST_CASE("histogram: group_states carries the empty state's scale into every group") {
    const std::vector<int> ratings = {7, 1, 4, 7};
    const std::vector<std::int32_t> seg = {0, 1, 1, -1};
    const auto g = cxkit::core::group_states(cxkit::rating_accumulator(1, 7),
                                             cxkit::core::batch<int>{ratings.data(), ratings.size()},
                                             cxkit::core::group_codes<std::int32_t>{seg.data(), 0, 3});
    REQUIRE(g.groups.size() == 3);
    for (const auto& s : g.groups) CHECK(s.scale_high() == 7);
    CHECK(g.groups[0].n() == 1);
    CHECK(g.groups[1].n() == 2);
    CHECK(g.groups[2].n() == 0);  // an empty group: zero counts
    CHECK(std::isnan(g.groups[2].result().mean));
    CHECK(g.missing_key.n() == 1);
    CHECK(g.missing_key.histogram().counts()[6] == 1);
}

TEST_CASE("histogram: group_states example from its documentation") {
    const std::vector<std::int32_t> segment = {0, 1, 1, 0};
    const std::vector<int> score = {10, 3, 9, 7};
    auto g = cxkit::core::group_states(cxkit::nps_accumulator{}, cxkit::core::batch<int>{score.data(), score.size()},
                                       cxkit::core::group_codes<std::int32_t>{segment.data(), 0, 2});
    CHECK(g.groups[1].result().nps == 0.0);   // one promoter, one detractor
    CHECK(g.groups[0].result().nps == 50.0);  // one promoter, one passive
}

TEST_CASE("histogram: group_states with raise refuses the whole batch, with drop counts per group") {
    const std::vector<double> scores = {9, 11, 3, 2.5};
    const std::vector<std::int32_t> seg = {0, 1, 1, 0};
    const cxkit::core::batch<double> in{scores.data(), scores.size()};
    const cxkit::core::group_codes<std::int32_t> codes{seg.data(), 0, 2};
    CHECK_THROWS_WITH_AS(cxkit::core::group_states(cxkit::nps_accumulator{}, in, codes),
                         "invalid score at position 1: 11 (expected an integer in 0..10); 2 invalid rows in total "
                         "(pass on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    const auto g = cxkit::core::group_states(cxkit::nps_accumulator{}, in, codes, on_invalid::drop);
    CHECK(g.groups[0].n() == 1);
    CHECK(g.groups[0].n_invalid() == 1);
    CHECK(g.groups[1].n() == 1);
    CHECK(g.groups[1].n_invalid() == 1);
}

TEST_CASE("histogram: group_states refuses group codes out of range with out_of_range") {
    const std::vector<int> scores = {9, 8, 7};
    const std::vector<std::int64_t> seg = {100, 102, 103};  // offset 100, 3 groups: 103 -> group 3
    const cxkit::core::batch<int> in{scores.data(), scores.size()};
    CHECK_THROWS_AS(cxkit::core::group_states(cxkit::nps_accumulator{}, in,
                                              cxkit::core::group_codes<std::int64_t>{seg.data(), 100, 3}),
                    cxkit::out_of_range);
    CHECK_THROWS_AS(cxkit::core::group_states(cxkit::nps_accumulator{}, in,
                                              cxkit::core::group_codes<std::int64_t>{seg.data(), 100, 3}),
                    std::out_of_range);
    CHECK_THROWS_AS(cxkit::core::group_states(cxkit::nps_accumulator{}, in,
                                              cxkit::core::group_codes<std::int64_t>{seg.data(), 100, 3}),
                    cxkit::error);
    CHECK_NOTHROW(cxkit::core::group_states(cxkit::nps_accumulator{}, in,
                                            cxkit::core::group_codes<std::int64_t>{seg.data(), 100, 4}));
}
