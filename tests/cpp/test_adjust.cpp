// Tests of <cxkit/stats/adjust.hpp>: Holm, Benjamini-Hochberg and Bonferroni on hand-computed
// examples (with NaN) and on the published example of Benjamini & Hochberg (1995).
#include <cxkit/stats/adjust.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using cxkit::stats::adjust_method;

void check_adjusted(const std::vector<double>& got, const std::vector<double>& expected) {
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        if (std::isnan(expected[i])) CHECK(std::isnan(got[i]));
        else CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12).scale(0.0));
    }
}

// p-values at positions 0..4, one NaN; sorted (without the NaN): 0.005 (pos 4), 0.01 (pos 0),
// 0.03 (pos 3), 0.04 (pos 1); m = 4 non-NaN p-values.
const std::vector<double> hand = {0.01, 0.04, nan_v, 0.03, 0.005};

}  // namespace

TEST_CASE("adjust: Bonferroni on a hand example with NaN - min(1, m p), m excludes the NaN") {
    check_adjusted(cxkit::stats::adjust_pvalues(hand, adjust_method::bonferroni),
                   {4 * 0.01, 4 * 0.04, nan_v, 4 * 0.03, 4 * 0.005});
}

TEST_CASE("adjust: Holm on a hand example with NaN") {
    // Step-down: (m - j + 1) p_(j) = 4(0.005), 3(0.01), 2(0.03), 1(0.04) = 0.02, 0.03, 0.06, 0.04;
    // running maximum: 0.02, 0.03, 0.06, 0.06.
    check_adjusted(cxkit::stats::adjust_pvalues(hand, adjust_method::holm), {0.03, 0.06, nan_v, 0.06, 0.02});
}

TEST_CASE("adjust: Benjamini-Hochberg on a hand example with NaN") {
    // Step-up: m p_(j) / j = 0.02/1, 0.04/2, 0.12/3, 0.16/4 = 0.02, 0.02, 0.04, 0.04;
    // running minimum from the largest: 0.04, 0.04, 0.02, 0.02.
    check_adjusted(cxkit::stats::adjust_pvalues(hand, adjust_method::bh), {0.02, 0.04, nan_v, 0.04, 0.02});
}

TEST_CASE("adjust: adjusted p-values are capped at 1 and monotone") {
    const std::vector<double> p = {0.5, 0.8};
    check_adjusted(cxkit::stats::adjust_pvalues(p, adjust_method::bonferroni), {1.0, 1.0});
    // Holm: 2(0.5) = 1, then max(1, 0.8) = 1.
    check_adjusted(cxkit::stats::adjust_pvalues(p, adjust_method::holm), {1.0, 1.0});
    // BH: 0.8 * 2/2 = 0.8, then min(0.8, 0.5 * 2/1 = 1) = 0.8.
    check_adjusted(cxkit::stats::adjust_pvalues(p, adjust_method::bh), {0.8, 0.8});
}

TEST_CASE("adjust: ties get the same adjusted value") {
    const std::vector<double> p = {0.02, 0.01, 0.02, 0.04};
    // Holm: sorted 0.01, 0.02, 0.02, 0.04 -> 0.04, 0.06, 0.04 -> max 0.06, 0.04 -> 0.06; so
    // 0.04, 0.06, 0.06, 0.06.
    check_adjusted(cxkit::stats::adjust_pvalues(p, adjust_method::holm), {0.06, 0.04, 0.06, 0.06});
    // BH: m p_(j) / j = 0.04/1, 0.08/2, 0.08/3, 0.16/4 = 0.04, 0.04, 0.02667, 0.04; step-up minimum
    // from the largest: 0.04, 0.02667, 0.02667, 0.02667; so 0.02667 for 0.01 and both 0.02s.
    check_adjusted(cxkit::stats::adjust_pvalues(p, adjust_method::bh), {0.08 / 3, 0.08 / 3, 0.08 / 3, 0.04});
}

TEST_CASE("adjust: Benjamini and Hochberg (1995) example - BH rejects 4, Holm and Bonferroni 3 at 0.05") {
    // Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B 57:289-300,
    // section 4.1: 15 p-values from a study of myocardial infarction treatment.
    const std::vector<double> p = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                                   0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000};
    const auto count_below = [](const std::vector<double>& adj, double alpha) {
        int k = 0;
        for (double a : adj) k += a <= alpha ? 1 : 0;
        return k;
    };
    const auto bh = cxkit::stats::adjust_pvalues(p, adjust_method::bh);
    CHECK(count_below(bh, 0.05) == 4);
    // By hand: m p_(j) / j for j = 4..7 is 0.035625, 0.0603, 0.0695, 0.063857; the step-up minimum
    // keeps 0.035625 for the 4th, 0.0603 for the 5th, and 0.063857 (from j = 7) for the 6th.
    CHECK(bh[3] == doctest::Approx(15 * 0.0095 / 4).epsilon(1e-12));
    CHECK(bh[4] == doctest::Approx(15 * 0.0201 / 5).epsilon(1e-12));
    CHECK(bh[5] == doctest::Approx(15 * 0.0298 / 7).epsilon(1e-12));
    CHECK(count_below(cxkit::stats::adjust_pvalues(p, adjust_method::holm), 0.05) == 3);
    CHECK(count_below(cxkit::stats::adjust_pvalues(p, adjust_method::bonferroni), 0.05) == 3);
}

TEST_CASE("adjust: empty input, all-NaN input and a single p-value") {
    CHECK(cxkit::stats::adjust_pvalues(std::vector<double>{}, adjust_method::holm).empty());
    const auto all_nan = cxkit::stats::adjust_pvalues(std::vector<double>{nan_v, nan_v}, adjust_method::bh);
    REQUIRE(all_nan.size() == 2);
    CHECK(std::isnan(all_nan[0]));
    CHECK(std::isnan(all_nan[1]));
    for (auto m : {adjust_method::holm, adjust_method::bh, adjust_method::bonferroni})
        CHECK(cxkit::stats::adjust_pvalues(std::vector<double>{0.037}, m)[0] == 0.037);
}

TEST_CASE("adjust: p-values outside 0..1 are an invalid_input naming the position") {
    CHECK_THROWS_WITH_AS(cxkit::stats::adjust_pvalues(std::vector<double>{0.1, 1.5}, adjust_method::holm),
                         "invalid p-value at position 1: 1.5 (expected a number in [0, 1])", cxkit::invalid_input);
    CHECK_THROWS_AS(cxkit::stats::adjust_pvalues(std::vector<double>{-0.01}, adjust_method::bh), cxkit::invalid_input);
    CHECK_THROWS_AS(cxkit::stats::adjust_pvalues(std::vector<double>{std::numeric_limits<double>::infinity()},
                                                 adjust_method::bonferroni),
                    cxkit::invalid_input);
}

TEST_CASE("adjust: parse_adjust_method") {
    CHECK(cxkit::stats::parse_adjust_method("holm") == adjust_method::holm);
    CHECK(cxkit::stats::parse_adjust_method("bh") == adjust_method::bh);
    CHECK(cxkit::stats::parse_adjust_method("fdr_bh") == adjust_method::bh);
    CHECK(cxkit::stats::parse_adjust_method("benjamini-hochberg") == adjust_method::bh);
    CHECK(cxkit::stats::parse_adjust_method("bonferroni") == adjust_method::bonferroni);
    CHECK_THROWS_WITH_AS(cxkit::stats::parse_adjust_method("sidak"),
                         "adjust method must be \"holm\", \"bh\" or \"bonferroni\", got \"sidak\"",
                         cxkit::invalid_argument);
}
