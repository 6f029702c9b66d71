/**
 * @file target.hpp
 * @brief Progress towards a target and its projection at a deadline (METRICS.md §2, "Target
 *        tracking"; SMART goals such as "complaint rate −20% within 3 months").
 *
 * From a series xᵢ at times tᵢ, a baseline b, a target g ≠ b and a deadline T:
 * - current = the latest observation: the value at the largest time (the mean of the values if
 *   several share that time);
 * - progress = (current − b)/(g − b) clipped to [0, 1] (0 = still at the baseline or worse,
 *   1 = target reached or passed);
 * - projected = a + β T, the Sen line (β = Sen's slope, a = median(x − β t), see
 *   stats/mann_kendall.hpp) evaluated at the deadline;
 * - on_track = the projection reaches the target in the direction from the baseline to the target
 *   (projected >= g when g > b, projected <= g when g < b); false when there is no projection
 *   (fewer than two distinct times).
 */
#ifndef CXKIT_FEEDBACK_TARGET_HPP
#define CXKIT_FEEDBACK_TARGET_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "cxkit/config.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/mann_kendall.hpp"

CXKIT_NAMESPACE_BEGIN
namespace feedback {

/// The goal: where we started, where we want to be, and by when (on the axis of the times given).
struct target_options {
    double baseline = std::numeric_limits<double>::quiet_NaN();
    double target = std::numeric_limits<double>::quiet_NaN();
    double deadline = std::numeric_limits<double>::quiet_NaN();
    /// Absolute time = origin + the times given; the reported `deadline` and `intercept` are
    /// absolute (e.g. days since 1970 when the times are days since the first date).
    double time_origin = 0.0;

    /// @throws invalid_argument unless baseline, target and deadline are finite and target ≠ baseline.
    void validate() const {
        if (!std::isfinite(baseline))
            CXKIT_THROW(invalid_argument, "baseline must be a finite number, got " + core::format_value(baseline));
        if (!std::isfinite(target))
            CXKIT_THROW(invalid_argument, "target must be a finite number, got " + core::format_value(target));
        if (!std::isfinite(deadline))
            CXKIT_THROW(invalid_argument, "deadline must be a finite time, got " + core::format_value(deadline));
        if (target == baseline)
            CXKIT_THROW(invalid_argument, "target must differ from baseline (both are " + core::format_value(target) + ")");
    }
};

/// Progress towards a target. Field names as API.md (`TargetResult`).
struct target_result {
    double current = std::numeric_limits<double>::quiet_NaN();    ///< latest observed value
    double progress = std::numeric_limits<double>::quiet_NaN();   ///< 0..1 of the way from baseline to target
    double projected = std::numeric_limits<double>::quiet_NaN();  ///< Sen line at the deadline
    bool on_track = false;
    double slope = std::numeric_limits<double>::quiet_NaN();      ///< Sen's slope per unit of time
    double intercept = std::numeric_limits<double>::quiet_NaN();  ///< Sen line at absolute time 0
    double baseline = std::numeric_limits<double>::quiet_NaN();
    double target = std::numeric_limits<double>::quiet_NaN();
    double deadline = std::numeric_limits<double>::quiet_NaN();   ///< absolute time
    std::uint64_t n = 0;
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;

    template <class F>
    static void fields(F&& f) {
        f("current", &target_result::current);
        f("progress", &target_result::progress);
        f("projected", &target_result::projected);
        f("on_track", &target_result::on_track);
        f("slope", &target_result::slope);
        f("intercept", &target_result::intercept);
        f("baseline", &target_result::baseline);
        f("target", &target_result::target);
        f("deadline", &target_result::deadline);
        f("n", &target_result::n);
        f("n_missing", &target_result::n_missing);
        f("n_invalid", &target_result::n_invalid);
    }
};

/**
 * Progress of a validated series (see stats::clean_time_series) towards `goal`.
 * Empty series: current, progress, projection NaN, not on track.
 * @throws invalid_argument for a bad goal (see target_options::validate).
 */
inline target_result target_progress(const stats::clean_series& series, const target_options& goal) {
    goal.validate();
    target_result r;
    r.baseline = goal.baseline;
    r.target = goal.target;
    r.deadline = goal.deadline + goal.time_origin;
    r.n = series.values.size();
    r.n_missing = series.n_missing;
    r.n_invalid = series.n_invalid;
    if (series.values.empty()) return r;
    double latest = -std::numeric_limits<double>::infinity(), sum = 0.0;
    std::uint64_t at_latest = 0;
    for (std::size_t i = 0; i < series.values.size(); ++i) {
        const double t = series.times[i];
        if (t > latest) {
            latest = t;
            sum = 0.0;
            at_latest = 0;
        }
        if (t == latest) {
            sum += series.values[i];
            ++at_latest;
        }
    }
    r.current = sum / static_cast<double>(at_latest);
    r.progress = std::min(1.0, std::max(0.0, (r.current - goal.baseline) / (goal.target - goal.baseline)));
    stats::sen_options so;
    so.confidence = std::numeric_limits<double>::quiet_NaN();  // no interval needed
    const stats::sen_result s = stats::sen_slope(series.values, series.times, so);
    r.slope = s.slope;
    r.intercept = s.intercept - (goal.time_origin != 0.0 ? s.slope * goal.time_origin : 0.0);
    r.projected = s.intercept + s.slope * goal.deadline;
    if (!std::isnan(r.projected))
        r.on_track = goal.target > goal.baseline ? r.projected >= goal.target : r.projected <= goal.target;
    return r;
}

/**
 * Progress of `values` at `times` (NaN = missing, ±inf invalid) towards `goal`.
 * @code
 * std::vector<double> t{0, 1, 2, 3}, x{10, 9.5, 9.1, 8.7};          // complaint rate by month
 * cxkit::feedback::target_options goal{10.0, 8.0, 5.0};              // -20% by month 5
 * auto r = cxkit::target_progress(cxkit::span<const double>(t), cxkit::span<const double>(x), goal);
 * @endcode
 * @throws invalid_argument for mismatched lengths or a bad goal; invalid_input per `policy`.
 */
template <class U, class T>
target_result target_progress(core::span<const U> times, core::span<const T> values, const target_options& goal,
                              core::on_invalid policy = core::on_invalid::raise) {
    goal.validate();
    if (values.size() != times.size())
        CXKIT_THROW(invalid_argument, "values has " + std::to_string(values.size()) + " values but times has " +
                                          std::to_string(times.size()));
    const stats::clean_series c =
        stats::clean_time_series<T, U>(values.data(), values.size(), nullptr, times.data(), nullptr, policy);
    return target_progress(c, goal);
}

}  // namespace feedback

using feedback::target_options;
using feedback::target_progress;
using feedback::target_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_FEEDBACK_TARGET_HPP
