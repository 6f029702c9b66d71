/**
 * @file comparison.hpp
 * @brief The result of comparing two samples (or one sample with a benchmark value).
 */
#ifndef CXKIT_STATS_COMPARISON_HPP
#define CXKIT_STATS_COMPARISON_HPP

#include <cmath>
#include <limits>
#include <string>

#include "cxkit/config.hpp"
#include "cxkit/stats/distributions.hpp"
#include "cxkit/stats/intervals.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

/// A signed difference a − b with its standard error, test statistic, two-sided p-value and
/// confidence interval. Units are those of the metric (NPS points, percentage points, ...).
struct comparison_result {
    double difference = std::numeric_limits<double>::quiet_NaN();
    double std_error = std::numeric_limits<double>::quiet_NaN();
    double statistic = std::numeric_limits<double>::quiet_NaN();
    double p_value = std::numeric_limits<double>::quiet_NaN();
    double ci_low = std::numeric_limits<double>::quiet_NaN();
    double ci_high = std::numeric_limits<double>::quiet_NaN();
    std::string method;
    double confidence = 0.95;

    /// Visits (name, member pointer) for every field, in API order.
    template <class F>
    static void fields(F&& f) {
        f("difference", &comparison_result::difference);
        f("std_error", &comparison_result::std_error);
        f("statistic", &comparison_result::statistic);
        f("p_value", &comparison_result::p_value);
        f("ci_low", &comparison_result::ci_low);
        f("ci_high", &comparison_result::ci_high);
        f("method", &comparison_result::method);
        f("confidence", &comparison_result::confidence);
    }
};

/**
 * Wald-type comparison: z = Δ / SE, two-sided p = 2(1 − Φ(|z|)), CI = Δ ± z_conf · SE.
 * A zero SE with zero Δ leaves z and p NaN (no evidence either way).
 */
inline comparison_result z_comparison(double difference, double se, double confidence, std::string method) {
    comparison_result r;
    r.difference = difference;
    r.std_error = se;
    r.statistic = difference / se;
    r.p_value = two_sided_p_normal(r.statistic);
    const interval ci = symmetric_interval(difference, se, z_critical(confidence));
    r.ci_low = ci.low;
    r.ci_high = ci.high;
    r.method = std::move(method);
    r.confidence = confidence;
    return r;
}

}  // namespace stats
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_COMPARISON_HPP
