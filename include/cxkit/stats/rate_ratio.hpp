/**
 * @file rate_ratio.hpp
 * @brief Exact comparison of two Poisson rates (METRICS.md §2, "Rate ratio test").
 *
 * Counts c_a, c_b of events over exposures n_a, n_b (orders, customer-days, ...). Conditionally on
 * the total c_a + c_b, H0 (equal rates) gives c_a ~ Binomial(c_a + c_b, π₀) with
 * π₀ = n_a / (n_a + n_b) (Przyborowski & Wilenski 1940; Lehmann & Romano, Testing Statistical
 * Hypotheses, §4.5). The rate ratio R = (c_a/n_a)/(c_b/n_b) maps one-to-one to the binomial
 * proportion π = R n_a / (R n_a + n_b), so:
 * - two-sided p-value: the sum of the probabilities of the outcomes no more likely than the
 *   observed one, P(X = k) <= P(X = c_a) (1 + 10⁻⁷) (the relative tolerance of
 *   scipy.stats.binomtest, so outcomes equal up to rounding are counted);
 * - confidence interval for R: the exact Clopper-Pearson (1934) interval (π_L, π_U) of π, with
 *   π_L = I⁻¹_{α/2}(c_a, c_b + 1) and π_U = I⁻¹_{1−α/2}(c_a + 1, c_b) (inverse regularized incomplete
 *   beta), mapped by R = π/(1 − π) · n_b/n_a;
 * - standard error of log R: √(1/c_a + 1/c_b) (infinite when a count is 0).
 * Binomial probabilities and the incomplete beta come from Boost.Math.
 */
#ifndef CXKIT_STATS_RATE_RATIO_HPP
#define CXKIT_STATS_RATE_RATIO_HPP

#include "cxkit/stats/boost_math.hpp"  // first: selects the table layout of Boost.Math
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "cxkit/config.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/comparison.hpp"
#include "cxkit/stats/intervals.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

/**
 * Exact two-sided binomial test of X = k for X ~ Binomial(trials, p): the sum of P(X = x) over the
 * x with P(X = x) <= P(X = k) (1 + 10⁻⁷), capped at 1 (the definition of scipy.stats.binomtest).
 * The pmf is unimodal, so that set is two tails: the tail beyond the observed count and the first
 * outcomes on the other side of the mean, found by bisection. NaN when trials = 0.
 * @pre k <= trials, 0 < p < 1.
 */
inline double binomial_two_sided_p(std::uint64_t k, std::uint64_t trials, double p) {
    if (trials == 0) return std::numeric_limits<double>::quiet_NaN();
    namespace bm = boost::math;
    const bm::binomial_distribution<double> d(static_cast<double>(trials), p);
    const double kd = static_cast<double>(k), nd = static_cast<double>(trials);
    const double mean = nd * p;
    const double limit = bm::pdf(d, kd) * (1.0 + 1e-7);
    double p_value;
    if (kd == mean) {
        return 1.0;
    } else if (kd < mean) {
        // Upper side: the pmf decreases on [ceil(mean), trials]; find the first x with pmf <= limit.
        std::uint64_t lo = static_cast<std::uint64_t>(std::ceil(mean)), hi = trials + 1;  // answer in [lo, hi]
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            if (bm::pdf(d, static_cast<double>(mid)) <= limit) hi = mid;
            else lo = mid + 1;
        }
        p_value = bm::cdf(d, kd);
        if (lo <= trials) p_value += lo == 0 ? 1.0 : bm::cdf(bm::complement(d, static_cast<double>(lo) - 1.0));
    } else {
        // Lower side: the pmf increases on [0, floor(mean)]; find the last x with pmf <= limit.
        const std::uint64_t top = static_cast<std::uint64_t>(std::floor(mean));
        std::uint64_t lo = 0, hi = top + 1;  // count of x in [0, top] with pmf <= limit
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            if (bm::pdf(d, static_cast<double>(mid)) <= limit) lo = mid + 1;
            else hi = mid;
        }
        p_value = k == 0 ? 1.0 : bm::cdf(bm::complement(d, kd - 1.0));
        if (lo > 0) p_value += bm::cdf(d, static_cast<double>(lo) - 1.0);
    }
    return std::min(1.0, p_value);
}

/**
 * Clopper-Pearson (1934) exact interval for a binomial proportion with k successes in `trials`:
 * low = I⁻¹_{α/2}(k, trials − k + 1) (0 when k = 0), high = I⁻¹_{1−α/2}(k + 1, trials − k)
 * (1 when k = trials), α = 1 − confidence. NaN bounds when trials = 0.
 * @throws invalid_argument unless 0 < confidence < 1.
 */
inline interval clopper_pearson(std::uint64_t k, std::uint64_t trials, double confidence) {
    core::check_confidence(confidence);
    if (trials == 0) return {};
    const double alpha = 1.0 - confidence, kd = static_cast<double>(k), nd = static_cast<double>(trials);
    interval ci;
    ci.low = k == 0 ? 0.0 : boost::math::ibeta_inv(kd, nd - kd + 1.0, alpha / 2.0);
    ci.high = k == trials ? 1.0 : boost::math::ibeta_inv(kd + 1.0, nd - kd, 1.0 - alpha / 2.0);
    return ci;
}

namespace detail {
inline std::uint64_t check_count(double c, const char* name) {
    if (!(c >= 0.0 && c == std::floor(c) && c < 9007199254740992.0))
        CXKIT_THROW(invalid_argument, std::string(name) + " must be a non-negative integer count, got " + core::format_value(c));
    return static_cast<std::uint64_t>(c);
}
inline void check_exposure(double n, const char* name) {
    if (!(n > 0.0 && std::isfinite(n)))
        CXKIT_THROW(invalid_argument, std::string(name) + " must be a positive finite number, got " + core::format_value(n));
}
/// π/(1 − π) · n_b/n_a, with π = 1 mapping to +∞.
inline double ratio_of(double pi, double exposure_a, double exposure_b) noexcept {
    if (pi >= 1.0) return std::numeric_limits<double>::infinity();
    return pi / (1.0 - pi) * (exposure_b / exposure_a);
}
}  // namespace detail

/**
 * Exact conditional test of two Poisson rates, a vs b (see the file comment).
 * `difference` is the rate ratio (c_a/n_a)/(c_b/n_b) (+∞ when c_b = 0 < c_a, NaN when both are 0),
 * `std_error` the SE of its logarithm, `statistic` = c_a, `p_value` the exact two-sided p-value
 * (NaN when c_a + c_b = 0), `ci_low`/`ci_high` the exact interval of the ratio, `method`
 * "exact_conditional_binomial".
 * @code
 * auto r = cxkit::rate_ratio_test(30, 1000, 15, 1000);   // r.difference == 2
 * @endcode
 * @throws invalid_argument unless the counts are non-negative integers (< 2^53), the exposures
 *         positive and finite, and 0 < confidence < 1.
 */
inline comparison_result rate_ratio_test(double count_a, double exposure_a, double count_b, double exposure_b,
                                         double confidence = 0.95) {
    const std::uint64_t ca = detail::check_count(count_a, "count_a"), cb = detail::check_count(count_b, "count_b");
    detail::check_exposure(exposure_a, "exposure_a");
    detail::check_exposure(exposure_b, "exposure_b");
    core::check_confidence(confidence);
    comparison_result r;
    r.method = "exact_conditional_binomial";
    r.confidence = confidence;
    r.statistic = count_a;
    const double rate_a = count_a / exposure_a, rate_b = count_b / exposure_b;
    r.difference = rate_a / rate_b;  // x/0 = inf, 0/0 = NaN
    r.std_error = std::sqrt(1.0 / count_a + 1.0 / count_b);
    const std::uint64_t total = ca + cb;
    if (total == 0) {
        r.difference = std::numeric_limits<double>::quiet_NaN();
        return r;
    }
    const double pi0 = exposure_a / (exposure_a + exposure_b);
    r.p_value = binomial_two_sided_p(ca, total, pi0);
    const interval pi = clopper_pearson(ca, total, confidence);
    r.ci_low = detail::ratio_of(pi.low, exposure_a, exposure_b);
    r.ci_high = detail::ratio_of(pi.high, exposure_a, exposure_b);
    return r;
}

}  // namespace stats

using stats::rate_ratio_test;
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_RATE_RATIO_HPP
