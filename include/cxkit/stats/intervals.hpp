/**
 * @file intervals.hpp
 * @brief Confidence intervals for proportions and means (METRICS.md §1).
 *
 * Sample sizes are "effective" sizes (Kish n_eff) so the same formulas serve weighted surveys.
 */
#ifndef CXKIT_STATS_INTERVALS_HPP
#define CXKIT_STATS_INTERVALS_HPP

#include <algorithm>
#include <cmath>
#include <limits>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

/// A two-sided interval.
struct interval {
    double low = std::numeric_limits<double>::quiet_NaN();
    double high = std::numeric_limits<double>::quiet_NaN();
};

/**
 * Wilson score interval for a proportion (Wilson 1927):
 * centre (p + z²/2n) / (1 + z²/n), half-width z / (1 + z²/n) · √(p(1−p)/n + z²/4n²).
 * NaN bounds when n <= 0.
 */
inline interval wilson_interval(double p, double n, double z) noexcept {
    if (!(n > 0.0)) return {};
    const double z2 = z * z, denom = 1.0 + z2 / n;
    const double centre = (p + z2 / (2.0 * n)) / denom;
    const double half = z / denom * std::sqrt(std::max(0.0, p * (1.0 - p) / n + z2 / (4.0 * n * n)));
    // At p = 0 (p = 1) the lower (upper) bound is exactly 0 (1); centre ± half would only round
    // to it. Keeping p inside its interval also guards every other rounding case.
    const double low = p <= 0.0 ? 0.0 : std::min(p, std::max(0.0, centre - half));
    const double high = p >= 1.0 ? 1.0 : std::max(p, std::min(1.0, centre + half));
    return {low, high};
}

/**
 * Newcombe's hybrid score interval for p1 − p2 (Newcombe 1998, method 10), from the Wilson
 * intervals (l_i, u_i) of each proportion:
 * [δ − √((p1 − l1)² + (u2 − p2)²), δ + √((u1 − p1)² + (p2 − l2)²)], δ = p1 − p2.
 */
inline interval newcombe_interval(double p1, double n1, double p2, double n2, double z) noexcept {
    const interval a = wilson_interval(p1, n1, z), b = wilson_interval(p2, n2, z);
    if (std::isnan(a.low) || std::isnan(b.low)) return {};
    const double d = p1 - p2;
    return {d - std::sqrt((p1 - a.low) * (p1 - a.low) + (b.high - p2) * (b.high - p2)),
            d + std::sqrt((a.high - p1) * (a.high - p1) + (p2 - b.low) * (p2 - b.low))};
}

/// estimate ± critical · se (NaN propagates).
inline interval symmetric_interval(double estimate, double se, double critical) noexcept {
    // No spread gives a point even when the critical value is infinite (inf · 0 would be NaN).
    const double margin = se == 0.0 ? 0.0 : critical * se;
    return {estimate - margin, estimate + margin};
}

/// Clips both bounds to [lo, hi], keeping NaN.
inline interval clip(interval i, double lo, double hi) noexcept {
    if (!std::isnan(i.low)) i.low = std::min(hi, std::max(lo, i.low));
    if (!std::isnan(i.high)) i.high = std::min(hi, std::max(lo, i.high));
    return i;
}

}  // namespace stats
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_INTERVALS_HPP
