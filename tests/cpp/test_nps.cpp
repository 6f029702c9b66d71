// Tests of <cxkit/survey/nps.hpp>: NPS state, result, intervals and comparisons, against the
// formulas of METRICS.md §1 written out here and the published check (Sauro & Lewis).
#include <cxkit/survey/nps.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double z95 = 1.959963984540054;   // two-sided 95%
constexpr double z90 = 1.6448536269514722;  // two-sided 90%
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// Oracle, METRICS.md §1. p, d = promoter and detractor shares, n = Kish n_eff.
struct estimate {
    double centre;  // points
    double se;      // points
};
// Wald: sigma^2 = p + d - (p - d)^2, SE = 100 sqrt(sigma^2 / n), centred on NPS = 100 (p - d).
estimate wald(double p, double d, double n) {
    const double var = p + d - (p - d) * (p - d);
    return {100.0 * (p - d), 100.0 * std::sqrt(var / n)};
}
// Adjusted Wald (Rocks 2016): p' = (p n + 0.75)/(n + 3), d' = (d n + 0.75)/(n + 3), n' = n + 3,
// sigma'^2 = p' + d' - (p' - d')^2, SE = 100 sqrt(sigma'^2 / n'), centred on NPS' = 100 (p' - d').
estimate adjusted_wald(double p, double d, double n) {
    const double pa = (p * n + 0.75) / (n + 3.0), da = (d * n + 0.75) / (n + 3.0), na = n + 3.0;
    const double var = pa + da - (pa - da) * (pa - da);
    return {100.0 * (pa - da), 100.0 * std::sqrt(var / na)};
}
// Two-sided p-value 2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2).
double p_two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

cxkit::nps_accumulator counts(int promoters, int passives, int detractors) {
    cxkit::nps_accumulator a;
    for (int i = 0; i < promoters; ++i) a.add(i % 2 == 0 ? 9 : 10);
    for (int i = 0; i < passives; ++i) a.add(i % 2 == 0 ? 7 : 8);
    for (int i = 0; i < detractors; ++i) a.add(i % 7);
    return a;
}

cxkit::nps_options with(cxkit::nps_method m, double confidence = 0.95) {
    cxkit::nps_options o;
    o.method = m;
    o.confidence = confidence;
    return o;
}


}  // namespace

// ------------------------------------------------------------------------------------------------
// Point estimate and intervals
// ------------------------------------------------------------------------------------------------

TEST_CASE("nps: published check - 50 promoters, 30 passives, 20 detractors") {
    const auto acc = counts(50, 30, 20);
    const auto r = acc.result(with(cxkit::nps_method::wald));
    CHECK(r.nps == doctest::Approx(30.0).epsilon(1e-14));
    CHECK(r.promoters == 50.0);
    CHECK(r.passives == 30.0);
    CHECK(r.detractors == 20.0);
    CHECK(r.promoter_share == 0.5);
    CHECK(r.passive_share == 0.3);
    CHECK(r.detractor_share == 0.2);
    CHECK(r.n == 100);
    CHECK(r.n_effective == 100.0);
    // sigma^2 = 0.61 (recovered from SE = 100 sqrt(sigma^2 / n)) and Wald SE 7.81 points.
    CHECK((r.std_error / 100.0) * (r.std_error / 100.0) * 100.0 == doctest::Approx(0.61).epsilon(1e-12));
    CHECK(std::fabs(r.std_error - 7.81) < 0.005);
    CHECK_REL(r.std_error, 100.0 * std::sqrt(0.61 / 100.0), 1e-14);
    CHECK_REL(r.ci_low, 30.0 - z95 * 100.0 * std::sqrt(0.0061), 1e-13);
    CHECK_REL(r.ci_high, 30.0 + z95 * 100.0 * std::sqrt(0.0061), 1e-13);
    CHECK(r.method == "wald");
    CHECK(r.confidence == 0.95);
}

TEST_CASE("nps: published check with the adjusted Wald interval (the default)") {
    const auto r = counts(50, 30, 20).result();
    CHECK(r.method == "adjusted_wald");
    CHECK(r.nps == doctest::Approx(30.0).epsilon(1e-14));  // the point estimate stays unadjusted
    // p' = 50.75/103, d' = 20.75/103, NPS' = 100 * 30/103 = 29.1262, sigma'^2 = 0.609341, SE' = 7.6915
    const auto e = adjusted_wald(0.5, 0.2, 100.0);
    CHECK_REL(e.centre, 100.0 * 30.0 / 103.0, 1e-13);
    CHECK(std::fabs(e.se - 7.6915) < 5e-5);
    CHECK_REL(r.std_error, e.se, 1e-13);
    CHECK_REL(r.ci_low, e.centre - z95 * e.se, 1e-13);
    CHECK_REL(r.ci_high, e.centre + z95 * e.se, 1e-13);
    CHECK(std::fabs(r.ci_low - 14.0511) < 1e-4);
    CHECK(std::fabs(r.ci_high - 44.2013) < 1e-4);
    // Centred on NPS', not on NPS.
    CHECK((r.ci_low + r.ci_high) / 2.0 == doctest::Approx(100.0 * 30.0 / 103.0).epsilon(1e-12));
}

TEST_CASE("nps: API.md example - NPS (2 - 2) / 5 = 0") {
    cxkit::nps_accumulator a, b;
    a.add(10);
    a.add(9);
    a.add(3, 2.0);
    b.add(7);
    a += b;
    const auto r = a.result();
    CHECK(r.nps == 0.0);
    CHECK(r.promoters == 2.0);
    CHECK(r.passives == 1.0);
    CHECK(r.detractors == 2.0);
    CHECK(r.n == 4);
}

TEST_CASE("nps: weighted NPS with Kish n_eff = W^2 / sum w^2") {
    const std::vector<int> scores = {10, 9, 8, 7, 3, 0};
    const std::vector<double> weights = {2.0, 1.0, 0.5, 1.5, 1.0, 3.0};
    cxkit::nps_accumulator acc;
    acc.add(scores, weights);
    // By hand: promoters 2 + 1 = 3, passives 0.5 + 1.5 = 2, detractors 1 + 3 = 4, W = 9,
    // sum w^2 = 4 + 1 + 0.25 + 2.25 + 1 + 9 = 17.5, n_eff = 81 / 17.5.
    const double W = 9.0, n_eff = 81.0 / 17.5, p = 3.0 / W, d = 4.0 / W;
    for (auto method : {cxkit::nps_method::wald, cxkit::nps_method::adjusted_wald}) {
        const auto r = acc.result(with(method));
        CHECK(r.promoters == 3.0);
        CHECK(r.passives == 2.0);
        CHECK(r.detractors == 4.0);
        CHECK(r.n == 6);
        CHECK_REL(r.n_effective, n_eff, 1e-15);
        CHECK_REL(r.nps, 100.0 * (p - d), 1e-14);
        CHECK_REL(r.promoter_share, p, 1e-15);
        CHECK_REL(r.passive_share, 2.0 / W, 1e-15);
        CHECK_REL(r.detractor_share, d, 1e-15);
        const auto e = method == cxkit::nps_method::wald ? wald(p, d, n_eff) : adjusted_wald(p, d, n_eff);
        CHECK_REL(r.std_error, e.se, 1e-13);
        CHECK_REL(r.ci_low, e.centre - z95 * e.se, 1e-13);
        CHECK_REL(r.ci_high, e.centre + z95 * e.se, 1e-13);
    }
    // The free function over spans gives the same result.
    const auto f = cxkit::nps(cxkit::span<const int>(scores), cxkit::span<const double>(weights));
    CHECK_REL(f.nps, 100.0 * (p - d), 1e-14);
    CHECK_REL(f.n_effective, n_eff, 1e-15);
}

TEST_CASE("nps: scaling all weights leaves NPS, n_eff and the interval unchanged") {
    const std::vector<int> scores = {10, 9, 8, 7, 3, 0, 6};
    const std::vector<double> w1 = {1, 2, 1, 1, 3, 1, 0.5};
    std::vector<double> w100;
    for (double w : w1) w100.push_back(100.0 * w);
    const auto a = cxkit::nps(cxkit::span<const int>(scores), cxkit::span<const double>(w1));
    const auto b = cxkit::nps(cxkit::span<const int>(scores), cxkit::span<const double>(w100));
    CHECK_REL(a.nps, b.nps, 1e-13);
    CHECK_REL(a.n_effective, b.n_effective, 1e-13);
    CHECK_REL(a.ci_low, b.ci_low, 1e-12);
    CHECK_REL(a.ci_high, b.ci_high, 1e-12);
}

TEST_CASE("nps: category breaks are options of result(), not of the state") {
    const std::vector<int> scores = {10, 9, 8, 7, 6, 3};
    cxkit::nps_accumulator acc;
    acc.add(scores);
    const auto before = acc;
    cxkit::nps_options strict;
    strict.promoter_min = 10;  // only 10 promotes
    strict.passive_min = 8;    // 8-9 passive, 0-7 detractors
    const auto r = acc.result(strict);
    CHECK(r.promoters == 1.0);
    CHECK(r.passives == 2.0);
    CHECK(r.detractors == 3.0);
    CHECK_REL(r.nps, 100.0 * (1.0 - 3.0) / 6.0, 1e-14);
    const auto e = adjusted_wald(1.0 / 6.0, 3.0 / 6.0, 6.0);
    CHECK_REL(r.ci_low, std::max(-100.0, e.centre - z95 * e.se), 1e-13);
    // Default breaks on the same state.
    const auto d = acc.result();
    CHECK(d.promoters == 2.0);
    CHECK(d.passives == 2.0);
    CHECK(d.detractors == 2.0);
    CHECK(d.nps == 0.0);
    // No passives when passive_min == promoter_min.
    cxkit::nps_options two_way;
    two_way.promoter_min = 7;
    two_way.passive_min = 7;
    CHECK(acc.result(two_way).passives == 0.0);
    CHECK_REL(acc.result(two_way).nps, 100.0 * (4.0 - 2.0) / 6.0, 1e-14);
    CHECK(acc == before);  // result() is pure
}

TEST_CASE("nps: invalid options are an invalid_argument") {
    const auto acc = counts(2, 1, 1);
    cxkit::nps_options o;
    o.confidence = 1.0;
    CHECK_THROWS_AS(acc.result(o), cxkit::invalid_argument);
    o.confidence = 0.0;
    CHECK_THROWS_AS(acc.result(o), cxkit::invalid_argument);
    o = {};
    o.promoter_min = 11;
    CHECK_THROWS_AS(acc.result(o), cxkit::invalid_argument);
    o = {};
    o.passive_min = 0;
    CHECK_THROWS_AS(acc.result(o), cxkit::invalid_argument);
    o = {};
    o.passive_min = 9;
    o.promoter_min = 8;
    CHECK_THROWS_WITH_AS(acc.result(o),
                         "category breaks must satisfy 0 < passive_min <= promoter_min <= 10, got passive_min=9, "
                         "promoter_min=8",
                         cxkit::invalid_argument);
}

TEST_CASE("nps: other confidence levels use their own critical value") {
    const auto r = counts(50, 30, 20).result(with(cxkit::nps_method::wald, 0.90));
    CHECK(r.confidence == 0.90);
    CHECK_REL(r.ci_low, 30.0 - z90 * 100.0 * std::sqrt(0.0061), 1e-13);
    CHECK_REL(r.ci_high, 30.0 + z90 * 100.0 * std::sqrt(0.0061), 1e-13);
}

TEST_CASE("nps: empty state gives NaN estimates and zero counts") {
    const cxkit::nps_accumulator acc;
    for (auto method : {cxkit::nps_method::wald, cxkit::nps_method::adjusted_wald}) {
        const auto r = acc.result(with(method));
        CHECK(std::isnan(r.nps));
        CHECK(std::isnan(r.promoter_share));
        CHECK(std::isnan(r.passive_share));
        CHECK(std::isnan(r.detractor_share));
        CHECK(std::isnan(r.std_error));
        CHECK(std::isnan(r.ci_low));
        CHECK(std::isnan(r.ci_high));
        CHECK(r.promoters == 0.0);
        CHECK(r.passives == 0.0);
        CHECK(r.detractors == 0.0);
        CHECK(r.n == 0);
        CHECK(r.n_effective == 0.0);
        CHECK(r.n_missing == 0);
        CHECK(r.n_invalid == 0);
    }
}

TEST_CASE("nps: only missing and invalid rows, or only zero weights, is still empty") {
    cxkit::nps_accumulator acc;
    acc.add(std::vector<double>{nan_v, 12, nan_v}, cxkit::core::on_invalid::drop);
    auto r = acc.result();
    CHECK(std::isnan(r.nps));
    CHECK(r.n == 0);
    CHECK(r.n_missing == 2);
    CHECK(r.n_invalid == 1);

    cxkit::nps_accumulator zero;
    zero.add(9, 0.0);
    zero.add(2, 0.0);
    r = zero.result();
    CHECK(r.n == 2);  // two valid rows...
    CHECK(r.n_effective == 0.0);
    CHECK(std::isnan(r.nps));  // ...that weigh nothing
    CHECK(std::isnan(r.ci_low));
}

TEST_CASE("nps: the interval is clipped to -100..100") {
    // Wald, one promoter and one passive: NPS 50, sigma^2 = 0.5 - 0.25, SE = 100 sqrt(0.25 / 2) = 35.36,
    // 50 + 1.96 * 35.36 = 119.3 -> 100.
    auto r = counts(1, 1, 0).result(with(cxkit::nps_method::wald));
    CHECK(r.nps == 50.0);
    CHECK_REL(r.std_error, 100.0 * std::sqrt(0.125), 1e-14);
    CHECK(r.ci_high == 100.0);
    CHECK_REL(r.ci_low, 50.0 - z95 * 100.0 * std::sqrt(0.125), 1e-13);
    // Mirror image: one detractor, one passive -> lower bound -100.
    r = counts(0, 1, 1).result(with(cxkit::nps_method::wald));
    CHECK(r.ci_low == -100.0);
    CHECK_REL(r.ci_high, -50.0 + z95 * 100.0 * std::sqrt(0.125), 1e-13);
    // Adjusted Wald for a single promoter: p' = 1.75/4, d' = 0.75/4, NPS' = 25, sigma'^2 = 0.5625,
    // SE = 37.5 -> [25 - 73.5, 25 + 73.5] = [-48.5, 98.5] (inside the range, not clipped).
    r = counts(1, 0, 0).result();
    CHECK(r.nps == 100.0);
    CHECK_REL(r.std_error, 37.5, 1e-14);
    CHECK_REL(r.ci_low, 25.0 - z95 * 37.5, 1e-13);
    CHECK_REL(r.ci_high, 25.0 + z95 * 37.5, 1e-13);
    // All promoters, Wald: zero SE, degenerate interval at 100.
    r = counts(10, 0, 0).result(with(cxkit::nps_method::wald));
    CHECK(r.std_error == 0.0);
    CHECK(r.ci_low == 100.0);
    CHECK(r.ci_high == 100.0);
    // Random small samples never leave the range.
    for (int p = 0; p <= 3; ++p)
        for (int q = 0; q <= 3; ++q)
            for (int d = 0; d <= 3; ++d) {
                if (p + q + d == 0) continue;
                for (auto m : {cxkit::nps_method::wald, cxkit::nps_method::adjusted_wald}) {
                    const auto s = counts(p, q, d).result(with(m, 0.99));
                    CHECK(s.ci_low >= -100.0);
                    CHECK(s.ci_high <= 100.0);
                    CHECK(s.ci_low <= s.ci_high);
                }
            }
}

TEST_CASE("nps: result() is pure and repeatable") {
    auto acc = counts(5, 3, 2);
    acc.add(nan_v);
    const auto bytes = acc.serialize();
    const auto r1 = acc.result();
    const auto r2 = acc.result(with(cxkit::nps_method::wald, 0.8));
    const auto r3 = acc.result();
    CHECK(acc.serialize() == bytes);
    CHECK(r1.ci_low == r3.ci_low);
    CHECK(r1.nps == r2.nps);
    CHECK(r1.n_missing == 1);
}

TEST_CASE("nps: nps() over a span of scores with missing and dropped rows") {
    const std::vector<double> scores = {10, 9, nan_v, 0, 11};
    const auto r = cxkit::nps(cxkit::span<const double>(scores), cxkit::nps_options{}, cxkit::core::on_invalid::drop);
    CHECK_REL(r.nps, 100.0 * (2.0 - 1.0) / 3.0, 1e-14);
    CHECK(r.n == 3);
    CHECK(r.n_missing == 1);
    CHECK(r.n_invalid == 1);
    CHECK_THROWS_AS(cxkit::nps(cxkit::span<const double>(scores)), cxkit::invalid_input);
}

TEST_CASE("nps: parse_nps_method and to_string") {
    CHECK(cxkit::survey::parse_nps_method("wald") == cxkit::nps_method::wald);
    CHECK(cxkit::survey::parse_nps_method("adjusted_wald") == cxkit::nps_method::adjusted_wald);
    CHECK(std::string(cxkit::survey::to_string(cxkit::nps_method::wald)) == "wald");
    CHECK(std::string(cxkit::survey::to_string(cxkit::nps_method::adjusted_wald)) == "adjusted_wald");
    CHECK_THROWS_WITH_AS(cxkit::survey::parse_nps_method("wilson"),
                         "method must be \"adjusted_wald\" or \"wald\", got \"wilson\"", cxkit::invalid_argument);
}

TEST_CASE("nps: the state is on 0..10 only") {
    CHECK_THROWS_AS(cxkit::nps_accumulator(cxkit::core::score_histogram(cxkit::core::integer_scale(1, 10))),
                    cxkit::invalid_argument);
    CHECK_NOTHROW(cxkit::nps_accumulator(cxkit::core::score_histogram(cxkit::core::integer_scale(0, 10))));
    CHECK(cxkit::nps_accumulator::check_scale(cxkit::core::integer_scale(0, 10)));
    CHECK_FALSE(cxkit::nps_accumulator::check_scale(cxkit::core::integer_scale(0, 9)));
}

TEST_CASE("nps: result fields() visits the API.md fields in order") {
    std::vector<std::string> names;
    cxkit::nps_result::fields([&](const char* name, auto) { names.emplace_back(name); });
    CHECK(names == std::vector<std::string>{"nps", "promoters", "passives", "detractors", "promoter_share",
                                            "passive_share", "detractor_share", "n", "n_effective", "n_missing",
                                            "n_invalid", "std_error", "ci_low", "ci_high", "method", "confidence"});
}

// ------------------------------------------------------------------------------------------------
// compare_nps
// ------------------------------------------------------------------------------------------------

TEST_CASE("nps: compare_nps of two samples, Wald, against the formula") {
    // A: 50/30/20 (NPS 30); B: 30/40/30 (NPS 0), both n = 100.
    const auto a = counts(50, 30, 20), b = counts(30, 40, 30);
    const auto c = cxkit::compare_nps(a, b, with(cxkit::nps_method::wald));
    const auto ea = wald(0.5, 0.2, 100.0), eb = wald(0.3, 0.3, 100.0);
    const double diff = ea.centre - eb.centre, se = std::sqrt(ea.se * ea.se + eb.se * eb.se);
    CHECK_REL(c.difference, 30.0, 1e-13);
    CHECK_REL(c.difference, diff, 1e-13);
    CHECK_REL(c.std_error, se, 1e-13);
    // SE_a = 7.81, SE_b = 100 sqrt(0.6/100) = 7.746, SE_diff = 11.0
    CHECK(std::fabs(c.std_error - std::sqrt(61.0 + 60.0)) < 1e-12);
    CHECK_REL(c.statistic, diff / se, 1e-13);
    CHECK_REL(c.p_value, p_two_sided(diff / se), 1e-10);
    CHECK_REL(c.ci_low, diff - z95 * se, 1e-13);
    CHECK_REL(c.ci_high, diff + z95 * se, 1e-13);
    CHECK(c.method == "wald");
    // Signed: b - a is the negative.
    const auto r = cxkit::compare_nps(b, a, with(cxkit::nps_method::wald));
    CHECK_REL(r.difference, -diff, 1e-13);
    CHECK_REL(r.p_value, c.p_value, 1e-13);
}

TEST_CASE("nps: compare_nps of two weighted samples, adjusted Wald (default), against the formula") {
    cxkit::nps_accumulator a, b;
    a.add(std::vector<int>{10, 9, 9, 7, 2, 0}, std::vector<double>{1.0, 2.0, 0.5, 1.0, 1.0, 1.5});
    b.add(std::vector<int>{10, 8, 6, 5, 3}, std::vector<double>{2.0, 1.0, 1.0, 1.0, 0.25});
    // A: P = 3.5, Pa = 1, D = 2.5, W = 7, sum w^2 = 1 + 4 + 0.25 + 1 + 1 + 2.25 = 9.5
    // B: P = 2, Pa = 1, D = 2.25, W = 5.25, sum w^2 = 4 + 1 + 1 + 1 + 0.0625 = 7.0625
    const double na = 49.0 / 9.5, nb = 5.25 * 5.25 / 7.0625;
    const auto ea = adjusted_wald(3.5 / 7.0, 2.5 / 7.0, na), eb = adjusted_wald(2.0 / 5.25, 2.25 / 5.25, nb);
    const double diff = ea.centre - eb.centre, se = std::sqrt(ea.se * ea.se + eb.se * eb.se);
    const auto c = cxkit::compare_nps(a, b);
    CHECK(c.method == "adjusted_wald");
    CHECK_REL(c.difference, diff, 1e-12);
    CHECK_REL(c.std_error, se, 1e-12);
    CHECK_REL(c.statistic, diff / se, 1e-12);
    CHECK_REL(c.p_value, p_two_sided(diff / se), 1e-10);
    CHECK_REL(c.ci_low, diff - z95 * se, 1e-12);
    CHECK_REL(c.ci_high, diff + z95 * se, 1e-12);
    // The difference of adjusted centres, not of the reported NPS values.
    CHECK(c.difference != doctest::Approx(a.result().nps - b.result().nps).epsilon(1e-6));
    // Samples from results or accumulators agree.
    const auto via_samples = cxkit::compare_nps(cxkit::survey::sample_of(a.result()), b.sample());
    CHECK(via_samples.difference == c.difference);
    CHECK(via_samples.ci_high == c.ci_high);
}

TEST_CASE("nps: compare_nps against a benchmark value") {
    const auto a = counts(50, 30, 20);
    // Wald: d = 30 - 20 = 10, SE = SE_a = 7.81
    const auto w = cxkit::compare_nps(a.sample(), 20.0, cxkit::nps_method::wald);
    const auto ew = wald(0.5, 0.2, 100.0);
    CHECK_REL(w.difference, 10.0, 1e-13);
    CHECK_REL(w.std_error, ew.se, 1e-13);
    CHECK_REL(w.statistic, 10.0 / ew.se, 1e-13);
    CHECK_REL(w.p_value, p_two_sided(10.0 / ew.se), 1e-10);
    CHECK_REL(w.ci_low, 10.0 - z95 * ew.se, 1e-13);
    CHECK_REL(w.ci_high, 10.0 + z95 * ew.se, 1e-13);
    // Adjusted: d = NPS' - 20
    const auto ad = cxkit::compare_nps(a.sample(), 20.0);
    const auto ea = adjusted_wald(0.5, 0.2, 100.0);
    CHECK_REL(ad.difference, ea.centre - 20.0, 1e-13);
    CHECK_REL(ad.std_error, ea.se, 1e-13);
    CHECK_REL(ad.p_value, p_two_sided((ea.centre - 20.0) / ea.se), 1e-10);
    CHECK(ad.method == "adjusted_wald");
    // 90% interval
    const auto w90 = cxkit::compare_nps(a.sample(), -100.0, cxkit::nps_method::wald, 0.90);
    CHECK_REL(w90.ci_low, 130.0 - z90 * ew.se, 1e-13);
    CHECK(w90.confidence == 0.90);
}

TEST_CASE("nps: compare_nps refuses a benchmark outside -100..100") {
    const auto s = counts(3, 2, 1).sample();
    CHECK_THROWS_AS(cxkit::compare_nps(s, 100.5), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::compare_nps(s, -101.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::compare_nps(s, nan_v), cxkit::invalid_argument);
    CHECK_NOTHROW(cxkit::compare_nps(s, 100.0));
    CHECK_NOTHROW(cxkit::compare_nps(s, -100.0));
}

TEST_CASE("nps: compare_nps with an empty sample is NaN, not an error") {
    const cxkit::nps_accumulator empty;
    const auto c = cxkit::compare_nps(counts(3, 2, 1), empty);
    CHECK(std::isnan(c.difference));
    CHECK(std::isnan(c.std_error));
    CHECK(std::isnan(c.p_value));
    CHECK(std::isnan(c.ci_low));
    const auto one = cxkit::compare_nps(empty.sample(), 0.0);
    CHECK(std::isnan(one.difference));
}

TEST_CASE("nps: compare_nps honours the category breaks of the options") {
    const auto a = counts(4, 4, 2), b = counts(2, 4, 4);  // promoters alternate 9/10, passives 7/8
    cxkit::nps_options o = with(cxkit::nps_method::wald);
    o.promoter_min = 10;
    o.passive_min = 8;
    // A: 2 tens promote; 8s (2) passive; 9s (2) passive too; 7s (2) + detractors (2) detract -> P .2, D .4
    // B: 1 ten; passives: one 9, two 8s; detractors: two 7s + 4 -> P .1, D .6
    const auto c = cxkit::compare_nps(a, b, o);
    const auto ea = wald(0.2, 0.4, 10.0), eb = wald(0.1, 0.6, 10.0);
    CHECK_REL(c.difference, ea.centre - eb.centre, 1e-13);
    CHECK_REL(c.std_error, std::sqrt(ea.se * ea.se + eb.se * eb.se), 1e-13);
}
