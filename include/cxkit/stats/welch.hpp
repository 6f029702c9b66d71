/**
 * @file welch.hpp
 * @brief Welch's unequal-variance t test from sample summaries (Welch 1947).
 *
 * For samples with means m_a, m_b, unbiased variances v_a, v_b and sizes n_a, n_b:
 * SE = √(v_a/n_a + v_b/n_b), t = (m_a − m_b)/SE, and the Welch-Satterthwaite degrees of freedom
 * df = SE⁴ / [(v_a/n_a)²/(n_a − 1) + (v_b/n_b)²/(n_b − 1)]. Two-sided p = 2 P(T_df > |t|) and
 * CI = (m_a − m_b) ± t_{df} · SE (Student-t from Boost.Math).
 */
#ifndef CXKIT_STATS_WELCH_HPP
#define CXKIT_STATS_WELCH_HPP

#include <cmath>
#include <limits>

#include "cxkit/config.hpp"
#include "cxkit/stats/comparison.hpp"
#include "cxkit/stats/distributions.hpp"
#include "cxkit/stats/intervals.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

/// Mean, unbiased variance and size of one sample.
struct sample_summary {
    double mean = std::numeric_limits<double>::quiet_NaN();
    double variance = std::numeric_limits<double>::quiet_NaN();  ///< unbiased (n − 1 denominator)
    double n = 0.0;
};

/// Welch-Satterthwaite degrees of freedom; NaN unless both samples have n >= 2 and SE > 0.
inline double welch_df(const sample_summary& a, const sample_summary& b) noexcept {
    if (!(a.n >= 2.0 && b.n >= 2.0)) return std::numeric_limits<double>::quiet_NaN();
    const double qa = a.variance / a.n, qb = b.variance / b.n, s2 = qa + qb;
    if (!(s2 > 0.0)) return std::numeric_limits<double>::quiet_NaN();
    return s2 * s2 / (qa * qa / (a.n - 1.0) + qb * qb / (b.n - 1.0));
}

/// Welch's t statistic and its degrees of freedom (NaN when the test is undefined).
struct welch_statistic {
    double t = std::numeric_limits<double>::quiet_NaN();
    double df = std::numeric_limits<double>::quiet_NaN();
    double std_error = std::numeric_limits<double>::quiet_NaN();
};

/// t = (m_a − m_b)/SE with the Welch-Satterthwaite df; NaN unless n >= 2 in both and SE > 0.
inline welch_statistic welch_t(const sample_summary& a, const sample_summary& b) noexcept {
    welch_statistic w;
    w.df = welch_df(a, b);
    if (std::isnan(w.df)) return w;
    w.std_error = std::sqrt(a.variance / a.n + b.variance / b.n);
    w.t = (a.mean - b.mean) / w.std_error;
    return w;
}

/**
 * Welch's t test of a − b. Needs n >= 2 in both samples; otherwise, or when both variances are
 * 0, the statistic, p-value and interval are NaN (the difference is still reported).
 * @throws invalid_argument unless 0 < confidence < 1.
 */
inline comparison_result welch_test(const sample_summary& a, const sample_summary& b, double confidence = 0.95) {
    core::check_confidence(confidence);
    comparison_result r;
    r.method = "welch";
    r.confidence = confidence;
    r.difference = a.mean - b.mean;
    const welch_statistic w = welch_t(a, b);
    if (std::isnan(w.t)) return r;
    r.std_error = w.std_error;
    r.statistic = w.t;
    r.p_value = two_sided_p_t(w.t, w.df);
    const interval ci = symmetric_interval(r.difference, r.std_error, t_critical(confidence, w.df));
    r.ci_low = ci.low;
    r.ci_high = ci.high;
    return r;
}

}  // namespace stats
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_WELCH_HPP
