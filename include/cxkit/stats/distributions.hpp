/**
 * @file distributions.hpp
 * @brief Normal and Student-t quantiles and tail probabilities, from Boost.Math.
 */
#ifndef CXKIT_STATS_DISTRIBUTIONS_HPP
#define CXKIT_STATS_DISTRIBUTIONS_HPP

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

#include "cxkit/config.hpp"
#include "cxkit/core/validate.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

/// Two-sided critical value z with P(|Z| <= z) = confidence. @throws invalid_argument unless 0 < confidence < 1.
inline double z_critical(double confidence) {
    core::check_confidence(confidence);
    return boost::math::quantile(boost::math::complement(boost::math::normal_distribution<double>(),
                                                         (1.0 - confidence) / 2.0));
}

/// Standard normal cumulative distribution Φ(x).
inline double normal_cdf(double x) {
    if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(x)) return x > 0 ? 1.0 : 0.0;
    return boost::math::cdf(boost::math::normal_distribution<double>(), x);
}

/// Two-sided p-value 2 (1 − Φ(|z|)), computed from the upper tail for accuracy; NaN for NaN z.
inline double two_sided_p_normal(double z) {
    if (std::isnan(z)) return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(z)) return 0.0;
    return 2.0 * boost::math::cdf(boost::math::complement(boost::math::normal_distribution<double>(), std::fabs(z)));
}

/// Two-sided Student-t critical value for `confidence` with `df` > 0 (non-integer df allowed,
/// as with Kish's n_eff − 1). NaN when df <= 0.
inline double t_critical(double confidence, double df) {
    core::check_confidence(confidence);
    if (!(df > 0.0)) return std::numeric_limits<double>::quiet_NaN();
    return boost::math::quantile(
        boost::math::complement(boost::math::students_t_distribution<double>(df), (1.0 - confidence) / 2.0));
}

/// Two-sided Student-t p-value 2 P(T_df > |t|) for df > 0 (non-integer df allowed, as with
/// Welch-Satterthwaite); NaN for NaN t or df <= 0.
inline double two_sided_p_t(double t, double df) {
    if (std::isnan(t) || !(df > 0.0)) return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(t)) return 0.0;
    if (std::isinf(df)) return two_sided_p_normal(t);
    return 2.0 * boost::math::cdf(boost::math::complement(boost::math::students_t_distribution<double>(df), std::fabs(t)));
}

}  // namespace stats
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_DISTRIBUTIONS_HPP
