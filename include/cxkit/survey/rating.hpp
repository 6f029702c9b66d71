/**
 * @file rating.hpp
 * @brief Ratings on a k-point scale: CSAT, CES and their comparisons (METRICS.md §1).
 *
 * CSAT = 100 · W_satisfied / W where satisfied means score >= satisfied_min (top-2-box on 1..5 is
 * >= 4). The proportion interval is Wilson's with n_eff. The weighted mean has the
 * reliability-weights variance s² = Σw(x − x̄)² / (W − Σw²/W) (n − 1 denominator when unweighted)
 * and a t interval with n_eff − 1 degrees of freedom. CES is the same on 1..7 with satisfied_min 5.
 * Two samples: Newcombe's hybrid score interval for the difference and the pooled two-proportion
 * z test.
 */
#ifndef CXKIT_SURVEY_RATING_HPP
#define CXKIT_SURVEY_RATING_HPP

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/histogram.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/stats/comparison.hpp"
#include "cxkit/stats/distributions.hpp"
#include "cxkit/stats/intervals.hpp"
#include "cxkit/stats/welch.hpp"

CXKIT_NAMESPACE_BEGIN
namespace survey {

/// Options of `rating_accumulator::result()`.
struct rating_options {
    double confidence = 0.95;
    /// Lowest "satisfied" score; unset = top-2-box (high − 1).
    std::optional<std::int64_t> satisfied_min;
};

/// Summary of one sample of ratings. Field names and units follow API.md.
struct rating_result {
    double csat = std::numeric_limits<double>::quiet_NaN();  ///< percent satisfied, 0..100
    double satisfied = 0.0;                                  ///< weighted count of satisfied rows
    double mean = std::numeric_limits<double>::quiet_NaN();
    double std = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t n = 0;
    double n_effective = 0.0;
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    double ci_low = std::numeric_limits<double>::quiet_NaN();   ///< Wilson, percent
    double ci_high = std::numeric_limits<double>::quiet_NaN();
    double mean_ci_low = std::numeric_limits<double>::quiet_NaN();  ///< t interval
    double mean_ci_high = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> distribution;  ///< weighted count per scale point, low..high
    double confidence = 0.95;
    std::int64_t satisfied_min = 0;
    std::int64_t scale_low = 0;
    std::int64_t scale_high = 0;

    template <class F>
    static void fields(F&& f) {
        f("csat", &rating_result::csat);
        f("satisfied", &rating_result::satisfied);
        f("mean", &rating_result::mean);
        f("std", &rating_result::std);
        f("n", &rating_result::n);
        f("n_effective", &rating_result::n_effective);
        f("n_missing", &rating_result::n_missing);
        f("n_invalid", &rating_result::n_invalid);
        f("ci_low", &rating_result::ci_low);
        f("ci_high", &rating_result::ci_high);
        f("mean_ci_low", &rating_result::mean_ci_low);
        f("mean_ci_high", &rating_result::mean_ci_high);
        f("distribution", &rating_result::distribution);
        f("confidence", &rating_result::confidence);
        f("satisfied_min", &rating_result::satisfied_min);
        f("scale_low", &rating_result::scale_low);
        f("scale_high", &rating_result::scale_high);
    }
};

/**
 * Mergeable state of ratings on low..high (default 1..5): the weighted histogram.
 * States on different scales refuse to merge.
 */
class rating_accumulator : public core::histogram_state<rating_accumulator> {
public:
    static constexpr core::state_family family = core::state_family::rating;
    static constexpr std::uint16_t format_version = 1;
    static constexpr const char* value_name = "score";

    rating_accumulator() : rating_accumulator(1, 5) {}
    /// @throws invalid_argument unless low <= high with at most 1001 points.
    rating_accumulator(std::int64_t low, std::int64_t high)
        : histogram_state(core::score_histogram(core::integer_scale(low, high))) {}
    explicit rating_accumulator(core::score_histogram h) : histogram_state(std::move(h)) {}
    static bool check_scale(const core::integer_scale&) noexcept { return true; }

    std::int64_t scale_low() const noexcept { return hist_.scale().low(); }
    std::int64_t scale_high() const noexcept { return hist_.scale().high(); }

    /// Finalizes (pure). Empty state: NaN estimates, zero counts.
    /// @throws invalid_argument for a bad confidence or a satisfied_min outside the scale.
    rating_result result(const rating_options& options = {}) const {
        core::check_confidence(options.confidence);
        const std::int64_t low = scale_low(), high = scale_high();
        const std::int64_t sat_min = options.satisfied_min ? *options.satisfied_min : std::max(low, high - 1);
        if (sat_min < low || sat_min > high)
            CXKIT_THROW(invalid_argument, "satisfied_min must be within the scale " + std::to_string(low) + ".." +
                                              std::to_string(high) + ", got " + std::to_string(sat_min));
        rating_result r;
        r.confidence = options.confidence;
        r.satisfied_min = sat_min;
        r.scale_low = low;
        r.scale_high = high;
        r.distribution = hist_.weights();
        r.n = hist_.n();
        r.n_effective = hist_.n_effective();
        r.n_missing = hist_.n_missing();
        r.n_invalid = hist_.n_invalid();
        const double total = hist_.total_weight();
        double sum = 0.0;
        for (std::size_t b = 0; b < r.distribution.size(); ++b) {
            const double x = static_cast<double>(low + static_cast<std::int64_t>(b));
            if (x >= static_cast<double>(sat_min)) r.satisfied += r.distribution[b];
            sum += r.distribution[b] * x;
        }
        if (!(total > 0.0)) return r;
        const double p = r.satisfied / total;
        r.csat = 100.0 * p;
        const auto wilson = stats::wilson_interval(p, r.n_effective, stats::z_critical(options.confidence));
        r.ci_low = 100.0 * wilson.low;
        r.ci_high = 100.0 * wilson.high;
        r.mean = sum / total;
        double ss = 0.0;
        for (std::size_t b = 0; b < r.distribution.size(); ++b) {
            const double dx = static_cast<double>(low + static_cast<std::int64_t>(b)) - r.mean;
            ss += r.distribution[b] * dx * dx;
        }
        const double denom = total - hist_.weight_sq() / total;  // reliability-weights correction
        if (denom > 0.0 && r.n_effective > 1.0) {
            r.std = std::sqrt(ss / denom);
            const auto ci = stats::symmetric_interval(r.mean, r.std / std::sqrt(r.n_effective),
                                                      stats::t_critical(options.confidence, r.n_effective - 1.0));
            r.mean_ci_low = ci.low;
            r.mean_ci_high = ci.high;
        }
        return r;
    }

};

/**
 * Difference of two satisfied shares in percentage points: Newcombe hybrid score interval
 * (method 10) and the pooled two-proportion z test, with n_eff as the sample sizes.
 * `std_error` is the pooled standard error the test uses.
 */
inline stats::comparison_result compare_csat(const rating_result& a, const rating_result& b, double confidence = 0.95) {
    const double z = stats::z_critical(confidence);
    const double p1 = a.csat / 100.0, p2 = b.csat / 100.0, n1 = a.n_effective, n2 = b.n_effective;
    stats::comparison_result r;
    r.method = "newcombe";
    r.confidence = confidence;
    if (!(n1 > 0.0 && n2 > 0.0)) return r;
    r.difference = 100.0 * (p1 - p2);
    const double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    r.std_error = 100.0 * std::sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));
    r.statistic = r.difference / r.std_error;
    r.p_value = stats::two_sided_p_normal(r.statistic);
    const auto ci = stats::newcombe_interval(p1, n1, p2, n2, z);
    r.ci_low = 100.0 * ci.low;
    r.ci_high = 100.0 * ci.high;
    return r;
}

/**
 * One-sample score test of the satisfied share against a benchmark percentage p0:
 * z = (p − p0)/√(p0(1 − p0)/n_eff); CI = Wilson interval of p minus p0.
 * @throws invalid_argument unless 0 < benchmark < 100.
 */
inline stats::comparison_result compare_csat(const rating_result& a, double benchmark, double confidence = 0.95) {
    if (!(benchmark > 0.0 && benchmark < 100.0))
        CXKIT_THROW(invalid_argument, "benchmark CSAT must be strictly between 0 and 100 percent, got " +
                                          core::format_value(benchmark));
    stats::comparison_result r;
    r.method = "wilson_score";
    r.confidence = confidence;
    const double z = stats::z_critical(confidence);
    if (!(a.n_effective > 0.0)) return r;
    const double p = a.csat / 100.0, p0 = benchmark / 100.0;
    r.difference = a.csat - benchmark;
    r.std_error = 100.0 * std::sqrt(p0 * (1.0 - p0) / a.n_effective);
    r.statistic = r.difference / r.std_error;
    r.p_value = stats::two_sided_p_normal(r.statistic);
    const auto ci = stats::wilson_interval(p, a.n_effective, z);
    r.ci_low = 100.0 * ci.low - benchmark;
    r.ci_high = 100.0 * ci.high - benchmark;
    return r;
}

/**
 * Difference of two mean ratings a − b with Welch's t test and interval (stats/welch.hpp), from the
 * results' weighted means and standard deviations with Kish's n_eff as the sample sizes. Used for
 * mean-rating metrics such as a DSR compared between periods or segments.
 */
inline stats::comparison_result compare_means(const rating_result& a, const rating_result& b, double confidence = 0.95) {
    auto summary = [](const rating_result& r) {
        stats::sample_summary s;
        s.mean = r.mean;
        s.variance = r.std * r.std;
        s.n = r.n_effective;
        return s;
    };
    return stats::welch_test(summary(a), summary(b), confidence);
}

inline stats::comparison_result compare_csat(const rating_accumulator& a, const rating_accumulator& b,
                                             const rating_options& options = {}) {
    return compare_csat(a.result(options), b.result(options), options.confidence);
}

/// Ratings summary of a batch on low..high.
template <class T>
rating_result rating(core::span<const T> scores, std::int64_t low, std::int64_t high,
                     const rating_options& options = {}, core::on_invalid policy = core::on_invalid::raise) {
    rating_accumulator a(low, high);
    a.add(scores, policy);
    return a.result(options);
}

/// CSAT: ratings on 1..5, satisfied = 4 or 5 unless `options` says otherwise.
template <class T>
rating_result csat(core::span<const T> scores, const rating_options& options = {},
                   core::on_invalid policy = core::on_invalid::raise) {
    return rating(scores, 1, 5, options, policy);
}

/// CES: ratings on 1..7, "easy" = 5 or more unless `options` says otherwise.
template <class T>
rating_result ces(core::span<const T> scores, rating_options options = {},
                  core::on_invalid policy = core::on_invalid::raise) {
    if (!options.satisfied_min) options.satisfied_min = 5;
    return rating(scores, 1, 7, options, policy);
}

}  // namespace survey

using survey::ces;
using survey::compare_csat;
using survey::compare_means;
using survey::csat;
using survey::rating_accumulator;
using survey::rating_options;
using survey::rating_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_SURVEY_RATING_HPP
