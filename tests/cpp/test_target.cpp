// Tests of <cxkit/feedback/target.hpp>: current, progress, Sen projection and on_track against the
// definitions written out here (brute-force Sen line over all pairs).
#include <cxkit/feedback/target.hpp>

#include <doctest/doctest.h>

#include "oracles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace {
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}
// Oracle Sen line: slope = median over t_i < t_j of (x_j - x_i)/(t_j - t_i), a = median(x - slope t).
void sen_line(const std::vector<double>& t, const std::vector<double>& x, double& slope, double& a) {
    std::vector<double> d;
    for (std::size_t i = 0; i < t.size(); ++i)
        for (std::size_t j = 0; j < t.size(); ++j)
            if (t[j] > t[i]) d.push_back((x[j] - x[i]) / (t[j] - t[i]));
    slope = median(d);
    std::vector<double> r;
    for (std::size_t i = 0; i < t.size(); ++i) r.push_back(x[i] - slope * t[i]);
    a = median(r);
}
}  // namespace

TEST_CASE("target_progress: a falling complaint rate towards -20%") {
    const std::vector<double> t{0, 1, 2, 3, 4};
    const std::vector<double> x{10.0, 9.6, 9.5, 9.0, 8.9};
    cxkit::target_options goal{10.0, 8.0, 6.0};
    const auto r = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), goal);
    double slope, a;
    sen_line(t, x, slope, a);
    CHECK(r.current == 8.9);
    CHECK_REL(r.progress, (8.9 - 10.0) / (8.0 - 10.0), 1e-15);
    CHECK(r.slope == slope);
    CHECK(r.intercept == a);
    CHECK_REL(r.projected, a + slope * 6.0, 1e-15);
    CHECK(r.on_track == (a + slope * 6.0 <= 8.0));
    CHECK(r.baseline == 10.0);
    CHECK(r.target == 8.0);
    CHECK(r.deadline == 6.0);
    CHECK(r.n == 5);
}

TEST_CASE("target_progress: progress is clipped, direction follows the goal") {
    const std::vector<double> t{0, 1, 2};
    const std::vector<double> up{50, 55, 70};
    cxkit::target_options goal{50.0, 60.0, 3.0};  // increase goal, already passed
    const auto r = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(up), goal);
    CHECK(r.progress == 1.0);
    CHECK(r.on_track);
    const std::vector<double> worse{50, 48, 45};
    const auto w = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(worse), goal);
    CHECK(w.progress == 0.0);
    CHECK_FALSE(w.on_track);
}

TEST_CASE("target_progress: current is the mean at the latest time, times unsorted") {
    const std::vector<double> t{3, 1, 3, 2};
    const std::vector<double> x{4.0, 9.0, 6.0, 7.0};
    cxkit::target_options goal{10.0, 5.0, 4.0};
    const auto r = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), goal);
    CHECK(r.current == 5.0);
    CHECK(r.progress == 1.0);
}

TEST_CASE("target_progress: time origin makes the deadline and intercept absolute") {
    const std::vector<double> t{0, 1, 2, 3};
    const std::vector<double> x{1.0, 2.0, 3.0, 4.0};
    cxkit::target_options goal{1.0, 10.0, 9.0};
    goal.time_origin = 19000.0;  // e.g. days since 1970 of the first date
    const auto r = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), goal);
    CHECK(r.deadline == 19009.0);
    CHECK(r.projected == 10.0);
    CHECK(r.on_track);
    CHECK(r.intercept == doctest::Approx(1.0 - 19000.0));
}

TEST_CASE("target_progress: missing and invalid rows, empty and one-time series") {
    const std::vector<double> t{0, 1, 2, nan_v};
    const std::vector<double> x{5.0, nan_v, std::numeric_limits<double>::infinity(), 1.0};
    cxkit::target_options goal{5.0, 4.0, 10.0};
    CHECK_THROWS_WITH_AS(cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), goal),
                         doctest::Contains("invalid value at position 2: inf"), cxkit::invalid_input);
    const auto r = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), goal,
                                          cxkit::on_invalid::drop);
    CHECK(r.n == 1);
    CHECK(r.n_missing == 2);
    CHECK(r.n_invalid == 1);
    CHECK(r.current == 5.0);
    CHECK(std::isnan(r.projected));
    CHECK_FALSE(r.on_track);
    const std::vector<double> none;
    const auto e = cxkit::target_progress(cxkit::span<const double>(none), cxkit::span<const double>(none), goal);
    CHECK(std::isnan(e.current));
    CHECK(std::isnan(e.progress));
    CHECK(e.n == 0);
}

TEST_CASE("target_progress: bad goals and lengths") {
    const std::vector<double> t{0, 1}, x{1, 2}, one{1};
    cxkit::target_options same{3.0, 3.0, 5.0};
    CHECK_THROWS_AS(cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), same),
                    cxkit::invalid_argument);
    cxkit::target_options no_deadline{3.0, 4.0, nan_v};
    CHECK_THROWS_AS(cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), no_deadline),
                    cxkit::invalid_argument);
    cxkit::target_options ok{3.0, 4.0, 5.0};
    CHECK_THROWS_AS(cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(one), ok),
                    cxkit::invalid_argument);
}
