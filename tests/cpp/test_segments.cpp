// Tests of <cxkit/core/segments.hpp>: merge_all and each_with_rest (every group against the merge
// of all the others), checked against the O(n^2) direct merges.
#include <cxkit/core/segments.hpp>

#include <cxkit/survey/nps.hpp>
#include <cxkit/survey/rating.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace {
std::vector<cxkit::nps_accumulator> random_groups(std::uint64_t seed, std::size_t groups) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> score(0, 10), size(0, 40);
    std::vector<cxkit::nps_accumulator> out(groups);
    for (auto& g : out) {
        const int n = size(rng);
        for (int i = 0; i < n; ++i) g.add(score(rng));
    }
    return out;
}
}  // namespace

TEST_CASE("segments: merge_all is the merge of every state, the empty state for none") {
    const auto groups = random_groups(1, 6);
    cxkit::nps_accumulator direct;
    for (const auto& g : groups) direct += g;
    CHECK(cxkit::core::merge_all(groups, cxkit::nps_accumulator{}) == direct);
    const std::vector<cxkit::nps_accumulator> none;
    CHECK(cxkit::core::merge_all(none, cxkit::nps_accumulator{}) == cxkit::nps_accumulator{});
}

TEST_CASE("segments: each_with_rest passes every group with the merge of all the others") {
    for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{8}}) {
        const auto groups = random_groups(100 + n, n);
        std::size_t calls = 0;
        const auto out = cxkit::core::each_with_rest(
            groups, cxkit::nps_accumulator{},
            [&](const cxkit::nps_accumulator& group, const cxkit::nps_accumulator& rest) {
                ++calls;
                return std::make_pair(group, rest);
            });
        REQUIRE(out.size() == n);
        CHECK(calls == n);
        for (std::size_t i = 0; i < n; ++i) {
            cxkit::nps_accumulator expected_rest;  // O(n) direct merge of the others
            for (std::size_t j = 0; j < n; ++j)
                if (j != i) expected_rest += groups[j];
            CAPTURE(i);
            CHECK(out[i].first == groups[i]);
            CHECK(out[i].second == expected_rest);  // unweighted: exact
        }
    }
}

TEST_CASE("segments: each_with_rest with no groups calls nothing") {
    const std::vector<cxkit::nps_accumulator> none;
    int calls = 0;
    const auto out = cxkit::core::each_with_rest(none, cxkit::nps_accumulator{},
                                                 [&](const cxkit::nps_accumulator&, const cxkit::nps_accumulator&) {
                                                     ++calls;
                                                     return 0;
                                                 });
    CHECK(out.empty());
    CHECK(calls == 0);
}

TEST_CASE("segments: each_with_rest with compare_nps gives segment-vs-rest comparisons") {
    // Segment 0: 6 promoters, 2 detractors; segment 1: 1 promoter, 3 detractors; segment 2: 4 passives.
    std::vector<cxkit::nps_accumulator> groups(3);
    for (int i = 0; i < 6; ++i) groups[0].add(10);
    for (int i = 0; i < 2; ++i) groups[0].add(2);
    groups[1].add(9);
    for (int i = 0; i < 3; ++i) groups[1].add(6);
    for (int i = 0; i < 4; ++i) groups[2].add(8);
    const auto cmp = cxkit::core::each_with_rest(
        groups, cxkit::nps_accumulator{},
        [](const cxkit::nps_accumulator& g, const cxkit::nps_accumulator& rest) {
            return cxkit::compare_nps(g, rest, cxkit::nps_options{0.95, cxkit::nps_method::wald});
        });
    REQUIRE(cmp.size() == 3);
    // Wald difference of NPS: segment 0 = 100 * (6 - 2)/8 = 50; rest = 100 * (1 - 3)/8 = -25.
    CHECK(cmp[0].difference == doctest::Approx(75.0));
    // Segment 1 = -50; rest = 100 * (6 - 2)/12 = 33.33.
    CHECK(cmp[1].difference == doctest::Approx(-50.0 - 100.0 * 4.0 / 12.0));
    // Segment 2 = 0; rest = 100 * (7 - 5)/12.
    CHECK(cmp[2].difference == doctest::Approx(-100.0 * 2.0 / 12.0));
}

TEST_CASE("segments: the empty state's parameters are kept (rating scale)") {
    std::vector<cxkit::rating_accumulator> groups(2, cxkit::rating_accumulator(1, 7));
    groups[0].add(7);
    groups[1].add(1);
    const auto total = cxkit::core::merge_all(groups, cxkit::rating_accumulator(1, 7));
    CHECK(total.scale_high() == 7);
    CHECK(total.n() == 2);
    // An identity on the wrong scale is refused by the merge.
    CHECK_THROWS_AS(cxkit::core::merge_all(groups, cxkit::rating_accumulator(1, 5)), cxkit::invalid_argument);
}
