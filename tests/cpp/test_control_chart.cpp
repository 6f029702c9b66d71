// Tests of <cxkit/feedback/control_chart.hpp>: u and p chart limits from the formulas written out
// here (Montgomery §7.2-7.3) and the bad-input policy.
#include <cxkit/feedback/control_chart.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
}

TEST_CASE("control_chart: u chart limits, clipping and out-of-control flags") {
    const std::vector<double> c{12, 15, 9, 30, 0};
    const std::vector<double> n{10, 12, 9, 11, 0.5};
    const auto r = cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n));
    const double u = (12 + 15 + 9 + 30 + 0) / (10 + 12 + 9 + 11 + 0.5);
    CHECK(r.center_line == doctest::Approx(u).epsilon(1e-15));
    CHECK(r.n == 5);
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double half = 3 * std::sqrt(u / n[i]);
        CHECK_REL(r.rate[i], c[i] / n[i], 1e-15);
        CHECK(r.center[i] == r.center_line);
        CHECK(r.lower[i] == doctest::Approx(std::max(0.0, u - half)).epsilon(1e-14));
        CHECK_REL(r.upper[i], u + half, 1e-14);
        CHECK(r.out_of_control[i] == ((c[i] / n[i] > u + half || c[i] / n[i] < std::max(0.0, u - half)) ? 1 : 0));
    }
    CHECK(r.out_of_control[3] == 1);  // 30 per 11 units vs a centre of 1.59
    CHECK(r.lower[4] == 0.0);         // clipped
}

TEST_CASE("control_chart: p chart limits clipped to [0, 1]") {
    const std::vector<int> c{4, 2, 11, 1};
    const std::vector<int> n{50, 40, 45, 3};
    cxkit::control_chart_options o;
    o.kind = cxkit::chart_kind::p;
    o.sigma = 2.0;
    const auto r = cxkit::control_chart(cxkit::span<const int>(c), cxkit::span<const int>(n), o);
    const double p = 18.0 / 138.0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double half = 2 * std::sqrt(p * (1 - p) / n[i]);
        CHECK(r.lower[i] == doctest::Approx(std::max(0.0, p - half)).epsilon(1e-14));
        CHECK(r.upper[i] == doctest::Approx(std::min(1.0, p + half)).epsilon(1e-14));
    }
    CHECK(r.upper[3] < 1.0 + 1e-15);
    CHECK(r.out_of_control[2] == 1);  // 11/45 = 0.244 > 0.130 + 2 * 0.0502
}

TEST_CASE("control_chart: missing rows, invalid rows raised or dropped") {
    const std::vector<double> c{5, nan_v, -1, 4, 6};
    const std::vector<double> n{10, 10, 10, 0, 10};
    CHECK_THROWS_WITH_AS(cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n)),
                         doctest::Contains("invalid count at position 2: -1"), cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n)),
                         doctest::Contains("2 invalid rows in total"), cxkit::invalid_input);
    const auto r = cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n), {},
                                        cxkit::on_invalid::drop);
    CHECK(r.n == 2);
    CHECK(r.n_missing == 1);
    CHECK(r.n_invalid == 2);
    CHECK(r.center_line == 11.0 / 20.0);  // dropped rows are not in the centre line
    CHECK(std::isnan(r.rate[1]));
    CHECK(std::isnan(r.center[2]));
    CHECK(std::isnan(r.upper[3]));
    CHECK(r.out_of_control[2] == 0);
    // exposure missing through a mask
    const std::uint8_t mask[] = {0, 0, 0, 0, 1};
    const auto m = cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n), {},
                                        cxkit::on_invalid::drop, nullptr, mask);
    CHECK(m.n_missing == 2);
    CHECK(m.n == 1);
}

TEST_CASE("control_chart: p chart refuses counts above the exposure") {
    const std::vector<double> c{3, 12};
    const std::vector<double> n{10, 10};
    cxkit::control_chart_options o;
    o.kind = cxkit::chart_kind::p;
    CHECK_THROWS_WITH_AS(cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n), o),
                         doctest::Contains("invalid count at position 1: 12 (expected at most the exposure 10"),
                         cxkit::invalid_input);
}

TEST_CASE("control_chart: empty input, all rows missing, bad options and lengths") {
    const std::vector<double> none;
    const auto e = cxkit::control_chart(cxkit::span<const double>(none), cxkit::span<const double>(none));
    CHECK(e.rate.empty());
    CHECK(std::isnan(e.center_line));
    const std::vector<double> c{nan_v}, n{1};
    const auto m = cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n));
    CHECK(std::isnan(m.center_line));
    CHECK(std::isnan(m.rate[0]));
    const std::vector<double> two{1, 2};
    CHECK_THROWS_AS(cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(two)),
                    cxkit::invalid_argument);
    cxkit::control_chart_options o;
    o.sigma = -1;
    CHECK_THROWS_AS(cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n), o),
                    cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::feedback::parse_chart_kind("x"), cxkit::invalid_argument);
    CHECK(cxkit::feedback::parse_chart_kind("p") == cxkit::chart_kind::p);
}
