// Tests of <cxkit/stats/comparison.hpp>: the Wald-type comparison result.
#include <cxkit/stats/comparison.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace {
constexpr double z95 = 1.959963984540054;
constexpr double z90 = 1.6448536269514722;
// Two-sided normal p-value written out: 2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2).
double p_two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }
}  // namespace

TEST_CASE("comparison: default comparison_result is all NaN") {
    const cxkit::stats::comparison_result r;
    CHECK(std::isnan(r.difference));
    CHECK(std::isnan(r.std_error));
    CHECK(std::isnan(r.statistic));
    CHECK(std::isnan(r.p_value));
    CHECK(std::isnan(r.ci_low));
    CHECK(std::isnan(r.ci_high));
    CHECK(r.method.empty());
    CHECK(r.confidence == 0.95);
}

TEST_CASE("comparison: z_comparison - z = d / SE, p = 2 (1 - Phi(|z|)), CI = d -+ z_conf SE") {
    const auto r = cxkit::stats::z_comparison(12.0, 5.0, 0.95, "wald");
    CHECK(r.difference == 12.0);
    CHECK(r.std_error == 5.0);
    CHECK(r.statistic == doctest::Approx(2.4).epsilon(1e-15));
    CHECK(r.p_value == doctest::Approx(p_two_sided(2.4)).epsilon(1e-13));
    CHECK(r.p_value == doctest::Approx(0.016395071849192262).epsilon(1e-12));  // 2 (1 - Phi(2.4)), tables
    CHECK(r.ci_low == doctest::Approx(12.0 - z95 * 5.0).epsilon(1e-14));
    CHECK(r.ci_high == doctest::Approx(12.0 + z95 * 5.0).epsilon(1e-14));
    CHECK(r.method == "wald");
    CHECK(r.confidence == 0.95);

    const auto neg = cxkit::stats::z_comparison(-3.0, 2.0, 0.90, "x");
    CHECK(neg.statistic == -1.5);
    CHECK(neg.p_value == doctest::Approx(p_two_sided(1.5)).epsilon(1e-13));
    CHECK(neg.ci_low == doctest::Approx(-3.0 - z90 * 2.0).epsilon(1e-14));
    CHECK(neg.ci_high == doctest::Approx(-3.0 + z90 * 2.0).epsilon(1e-14));
    CHECK(neg.confidence == 0.90);
}

TEST_CASE("comparison: zero SE with zero difference leaves z and p NaN") {
    const auto r = cxkit::stats::z_comparison(0.0, 0.0, 0.95, "wald");
    CHECK(std::isnan(r.statistic));
    CHECK(std::isnan(r.p_value));
    CHECK(r.ci_low == 0.0);
    CHECK(r.ci_high == 0.0);
    // A non-zero difference with zero SE is infinitely significant.
    const auto s = cxkit::stats::z_comparison(5.0, 0.0, 0.95, "wald");
    CHECK(std::isinf(s.statistic));
    CHECK(s.p_value == 0.0);
}

TEST_CASE("comparison: NaN inputs propagate and a bad confidence is refused") {
    const auto r = cxkit::stats::z_comparison(std::nan(""), 1.0, 0.95, "wald");
    CHECK(std::isnan(r.statistic));
    CHECK(std::isnan(r.p_value));
    CHECK(std::isnan(r.ci_low));
    CHECK_THROWS_AS(cxkit::stats::z_comparison(1.0, 1.0, 1.0, "wald"), cxkit::invalid_argument);
}

TEST_CASE("comparison: fields() visits the API.md fields in order") {
    std::vector<std::string> names;
    cxkit::stats::comparison_result::fields([&](const char* name, auto) { names.emplace_back(name); });
    CHECK(names == std::vector<std::string>{"difference", "std_error", "statistic", "p_value", "ci_low", "ci_high",
                                            "method", "confidence"});
    // The member pointers read the right members.
    cxkit::stats::comparison_result r;
    r.difference = 1;
    r.std_error = 2;
    r.statistic = 3;
    r.p_value = 4;
    r.ci_low = 5;
    r.ci_high = 6;
    r.confidence = 7;
    std::vector<double> values;
    cxkit::stats::comparison_result::fields([&](const char*, auto member) {
        using M = decltype(r.*member);
        if constexpr (std::is_same<std::decay_t<M>, double>::value) values.push_back(r.*member);
    });
    CHECK(values == std::vector<double>{1, 2, 3, 4, 5, 6, 7});
}
