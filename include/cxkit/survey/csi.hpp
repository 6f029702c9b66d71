/**
 * @file csi.hpp
 * @brief Customer satisfaction index (METRICS.md §1, CSI): from attribute means, or from the
 *        answers of each respondent with a delta-method or bootstrap interval.
 *
 * CSI = 100 · Σᵢ wᵢ (x̄ᵢ − L) / (U − L), with the attribute weights normalised to Σ wᵢ = 1 (equal
 * when not given) and x̄ᵢ the mean score of attribute i on the L..U scale. ACSI (Fornell et al.
 * 1996, Journal of Marketing 60(4)) is the case of three items on 1..10: 100 · Σ wᵢ (x̄ᵢ − 1) / 9.
 *
 * Per respondent (an n x k table, NaN = no answer), x̄ᵢ is the mean of the answers to attribute i.
 *
 * Delta-method standard error. CSI = c Σᵢ wᵢ x̄ᵢ − c L with c = 100 / (U − L) is linear in the
 * means, so exactly Var(CSI) = c² Σᵢ Σⱼ wᵢ wⱼ Cov(x̄ᵢ, x̄ⱼ) = c² wᵀ V w (the delta method is exact
 * for a linear function; only V has to be estimated). With Sᵢ the respondents who answered i
 * (nᵢ = |Sᵢ|) and Sᵢⱼ = Sᵢ ∩ Sⱼ (nᵢⱼ = |Sᵢⱼ|),
 *   Cov(x̄ᵢ, x̄ⱼ) = (1/(nᵢ nⱼ)) Σ_{r∈Sᵢ} Σ_{s∈Sⱼ} Cov(x_ri, x_sj) = nᵢⱼ σᵢⱼ / (nᵢ nⱼ),
 * because respondents are independent (only r = s terms remain) and, answers being missing at
 * random, every respondent in Sᵢⱼ has the same covariance σᵢⱼ. σᵢⱼ is estimated from the
 * pairwise-complete answers: sᵢⱼ = Σ_{r∈Sᵢⱼ} (x_ri − m_i)(x_rj − m_j) / (nᵢⱼ − 1) with m the means
 * over Sᵢⱼ (as pandas' DataFrame.cov). So Vᵢᵢ = sᵢ²/nᵢ and, without missing answers, V = S/n and
 * Var(CSI) = c² wᵀ S w / n, the variance of the mean of the per-respondent composite Σ wᵢ x_ri.
 * A pair answered together by fewer than 2 respondents has no covariance estimate and
 * contributes 0 (with nᵢⱼ = 0 its term is exactly 0); an attribute with a positive weight and
 * fewer than 2 answers makes the SE NaN, as does a negative wᵀ V w (pairwise-complete estimates
 * need not form a positive semi-definite V). Interval: CSI ± z SE, clipped to [0, 100].
 *
 * Bootstrap: respondents are resampled with replacement (stats/bootstrap.hpp: seeded, the same on
 * every platform); each replicate recomputes the attribute means and the index; the interval is
 * the percentile interval and the SE the replicates' standard deviation.
 *
 * Bad input (ARCHITECTURE.md §3): a NaN answer is missing for that attribute only; a respondent
 * with every answer missing is counted in n_missing; an answer outside [L, U] (or infinite) is
 * invalid: raise naming row, attribute and value, or drop the respondent and count it in
 * n_invalid. n + n_missing + n_invalid is always the number of rows.
 */
#ifndef CXKIT_SURVEY_CSI_HPP
#define CXKIT_SURVEY_CSI_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/matrix.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/bootstrap.hpp"
#include "cxkit/stats/distributions.hpp"
#include "cxkit/stats/intervals.hpp"

CXKIT_NAMESPACE_BEGIN
namespace survey {

/// Interval method of the per-respondent CSI.
enum class csi_method { delta, bootstrap };

/// Parses "delta" / "bootstrap". @throws invalid_argument naming the bad value.
inline csi_method parse_csi_method(const std::string& s) {
    if (s == "delta") return csi_method::delta;
    if (s == "bootstrap") return csi_method::bootstrap;
    CXKIT_THROW(invalid_argument, "method must be \"delta\" or \"bootstrap\", got \"" + s + "\"");
}
inline const char* to_string(csi_method m) noexcept { return m == csi_method::delta ? "delta" : "bootstrap"; }

namespace detail {
/// `"name"` when attribute names are given, else the attribute's index.
inline std::string attribute_label(const std::vector<std::string>& names, std::size_t j) {
    return j < names.size() ? "\"" + names[j] + "\"" : std::to_string(j);
}
/// @throws invalid_argument unless low < high, both finite.
inline void check_csi_scale(double low, double high) {
    if (!(std::isfinite(low) && std::isfinite(high) && low < high))
        CXKIT_THROW(invalid_argument, "scale must satisfy low < high (finite numbers), got (" + core::format_value(low) +
                                          ", " + core::format_value(high) + ")");
}
inline std::string csi_expected(double low, double high) {
    return "a number in [" + core::format_value(low) + ", " + core::format_value(high) + "]";
}
/// 100 Σ wᵢ (x̄ᵢ − L)/(U − L) over the attributes with wᵢ > 0; NaN if one of their means is NaN.
inline double csi_of_means(const std::vector<double>& means, const std::vector<double>& w, double low, double high) {
    if (means.empty()) return std::numeric_limits<double>::quiet_NaN();
    double s = 0.0;
    for (std::size_t j = 0; j < means.size(); ++j)
        if (w[j] > 0.0) s += w[j] * (means[j] - low);
    return 100.0 * s / (high - low);
}
}  // namespace detail

/**
 * Attribute weights normalised to sum 1; equal weights 1/k when `weights` is empty.
 * @param names  attribute names for error messages (may be empty: positions are used)
 * @throws invalid_argument if the size is not k, for a negative, NaN or infinite weight (named
 *         by attribute), or when every weight is 0.
 */
inline std::vector<double> normalized_weights(core::span<const double> weights, std::size_t k,
                                              const std::vector<std::string>& names = {}) {
    if (weights.empty()) return std::vector<double>(k, k ? 1.0 / static_cast<double>(k) : 0.0);
    if (weights.size() != k)
        CXKIT_THROW(invalid_argument, "weights has " + std::to_string(weights.size()) + " values but there are " +
                                          std::to_string(k) + " attributes");
    double largest = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
        const double w = weights[j];
        if (!(std::isfinite(w) && w >= 0.0))
            CXKIT_THROW(invalid_argument, "invalid weight for attribute " + detail::attribute_label(names, j) + ": " +
                                              core::format_value(w) + " (expected a finite number >= 0)");
        largest = std::max(largest, w);
    }
    if (!(largest > 0.0))
        CXKIT_THROW(invalid_argument, "weights are all 0 (at least one attribute needs a positive weight)");
    // Divide by the largest first so the sum cannot overflow (weights up to DBL_MAX are finite).
    std::vector<double> out(k);
    double total = 0.0;
    for (std::size_t j = 0; j < k; ++j) total += (out[j] = weights[j] / largest);
    for (auto& w : out) w /= total;
    return out;
}

/**
 * CSI from attribute means: 100 · Σ wᵢ (x̄ᵢ − L)/(U − L) with weights normalised to sum 1.
 * A NaN mean (an attribute nobody answered) with a positive weight gives NaN; so does an empty
 * list of means.
 * @code
 * std::vector<double> means = {8.1, 7.9, 7.5};                  // ACSI items on 1..10
 * double acsi = cxkit::csi(means, {}, 1.0, 10.0);               // 100 · mean((x − 1)/9) = 75.93
 * @endcode
 * @param weights  attribute weights (empty = equal)
 * @throws invalid_argument for a bad scale or bad weights (see normalized_weights)
 * @throws invalid_input naming the first mean outside [low, high]
 */
inline double csi(core::span<const double> means, core::span<const double> weights, double low = 1.0,
                  double high = 10.0) {
    detail::check_csi_scale(low, high);
    const std::vector<double> w = normalized_weights(weights, means.size());
    for (std::size_t j = 0; j < means.size(); ++j)
        if (!std::isnan(means[j]) && !(means[j] >= low && means[j] <= high))
            CXKIT_THROW(invalid_input, "invalid mean at position " + std::to_string(j) + ": " +
                                           core::format_value(means[j]) + " (expected " +
                                           detail::csi_expected(low, high) + ")");
    return detail::csi_of_means(std::vector<double>(means.begin(), means.end()), w, low, high);
}

/// Options of the per-respondent CSI.
struct csi_options {
    double low = 1.0;                     ///< scale L (ACSI: 1..10)
    double high = 10.0;                   ///< scale U
    std::vector<double> weights;          ///< attribute weights (normalised); empty = equal
    std::vector<std::string> attributes;  ///< attribute names for messages; empty = positions
    double confidence = 0.95;
    csi_method method = csi_method::delta;
    std::size_t n_boot = 2000;  ///< bootstrap replicates
    std::uint64_t seed = 0;     ///< bootstrap seed (see stats/bootstrap.hpp)
    unsigned threads = 1;       ///< bootstrap threads, 0 = all; never changes the result

    /// @throws invalid_argument for a bad scale, confidence, or (bootstrap) n_boot.
    void validate() const {
        detail::check_csi_scale(low, high);
        core::check_confidence(confidence);
        if (method == csi_method::bootstrap) stats::bootstrap_options{n_boot, seed, confidence, threads}.validate();
    }
};

/// Per-respondent CSI. Field names follow API.md; `weights` are the normalised weights.
struct csi_result {
    double csi = std::numeric_limits<double>::quiet_NaN();  ///< 0..100
    double std_error = std::numeric_limits<double>::quiet_NaN();
    double ci_low = std::numeric_limits<double>::quiet_NaN();
    double ci_high = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t n = 0;          ///< respondents used
    std::uint64_t n_missing = 0;  ///< respondents with every answer missing
    std::uint64_t n_invalid = 0;  ///< respondents dropped for an answer outside the scale
    std::string method = "delta";
    double confidence = 0.95;
    std::vector<double> weights;  ///< normalised attribute weights (sum 1)
    std::vector<double> means;    ///< per-attribute means (NaN: no answers)
    double scale_low = 1.0;
    double scale_high = 10.0;
    std::uint64_t n_boot = 0;  ///< bootstrap replicates (0 with the delta method)
    std::uint64_t seed = 0;    ///< bootstrap seed used (0 with the delta method)

    template <class F>
    static void fields(F&& f) {
        f("csi", &csi_result::csi);
        f("std_error", &csi_result::std_error);
        f("ci_low", &csi_result::ci_low);
        f("ci_high", &csi_result::ci_high);
        f("n", &csi_result::n);
        f("n_missing", &csi_result::n_missing);
        f("n_invalid", &csi_result::n_invalid);
        f("method", &csi_result::method);
        f("confidence", &csi_result::confidence);
        f("weights", &csi_result::weights);
        f("means", &csi_result::means);
        f("scale_low", &csi_result::scale_low);
        f("scale_high", &csi_result::scale_high);
        f("n_boot", &csi_result::n_boot);
        f("seed", &csi_result::seed);
    }
};

namespace detail {
/// Delta-method variance of Σ wᵢ x̄ᵢ (in squared scale units; see the file comment) over the
/// attributes `act` (those with wᵢ > 0), from the respondents `used`.
template <class T>
double csi_mean_variance(const core::matrix_view<T>& x, const std::vector<std::size_t>& used,
                         const std::vector<std::size_t>& act, const std::vector<double>& w,
                         const std::vector<double>& means) {
    const std::size_t a = act.size();
    // Pairwise co-moments of deviations from the attribute means (upper triangle, p <= q):
    // centring first keeps Σ dᵢ dⱼ − Σ dᵢ Σ dⱼ / nᵢⱼ free of cancellation.
    std::vector<double> n(a * a, 0.0), si(a * a, 0.0), sj(a * a, 0.0), sij(a * a, 0.0), d(a);
    std::vector<char> present(a);
    for (std::size_t r : used) {
        for (std::size_t p = 0; p < a; ++p) {
            const double v = static_cast<double>(x(r, act[p]));
            present[p] = !std::isnan(v);
            d[p] = v - means[act[p]];
        }
        for (std::size_t p = 0; p < a; ++p) {
            if (!present[p]) continue;
            for (std::size_t q = p; q < a; ++q) {
                if (!present[q]) continue;
                const std::size_t at = p * a + q;
                n[at] += 1.0;
                si[at] += d[p];
                sj[at] += d[q];
                sij[at] += d[p] * d[q];
            }
        }
    }
    double var = 0.0;
    for (std::size_t p = 0; p < a; ++p) {
        const double np = n[p * a + p];
        if (np < 2.0) return std::numeric_limits<double>::quiet_NaN();
        for (std::size_t q = p; q < a; ++q) {
            const std::size_t at = p * a + q;
            const double nq = n[q * a + q], npq = n[at];
            if (npq < 2.0) continue;  // no covariance estimate: contributes 0
            const double s = (sij[at] - si[at] * sj[at] / npq) / (npq - 1.0);
            const double cov = npq * s / (np * nq);
            var += (p == q ? 1.0 : 2.0) * w[act[p]] * w[act[q]] * cov;
        }
    }
    return var;
}
}  // namespace detail

/**
 * CSI from the answers of each respondent (rows) to k attributes (columns), with its standard
 * error and interval (delta method or seeded bootstrap; see the file comment).
 * @code
 * std::vector<double> answers = {8, 9, 7,   6, 7, NAN,   10, 9, 9};  // 3 respondents x 3 items
 * auto r = cxkit::csi(cxkit::matrix_view<double>::row_major(answers.data(), 3, 3));
 * @endcode
 * @throws invalid_argument for bad options or weights, k = 0, or attribute names not matching k
 * @throws invalid_input with `on_invalid::raise`, naming the first answer outside [L, U] (row,
 *         attribute, value) and the number of invalid respondents
 */
template <class T>
csi_result csi(const core::matrix_view<T>& x, const csi_options& options = {},
               core::on_invalid policy = core::on_invalid::raise) {
    options.validate();
    const std::size_t k = x.cols;
    const double low = options.low, high = options.high;
    if (k == 0) CXKIT_THROW(invalid_argument, "CSI needs at least one attribute (column)");
    if (!options.attributes.empty() && options.attributes.size() != k)
        CXKIT_THROW(invalid_argument, "attributes has " + std::to_string(options.attributes.size()) +
                                          " names but there are " + std::to_string(k) + " attributes");
    csi_result res;
    res.weights = normalized_weights(options.weights, k, options.attributes);
    res.method = to_string(options.method);
    res.confidence = options.confidence;
    res.scale_low = low;
    res.scale_high = high;

    // Classify respondents: used, missing (no answer at all) or invalid (an answer off the scale).
    std::vector<std::size_t> used;
    used.reserve(x.rows);
    std::size_t bad_row = 0, bad_col = 0;
    for (std::size_t r = 0; r < x.rows; ++r) {
        bool answered = false, bad = false;
        for (std::size_t c = 0; c < k; ++c) {
            const double v = static_cast<double>(x(r, c));
            if (std::isnan(v)) continue;
            if (v >= low && v <= high) {
                answered = true;
            } else {
                if (res.n_invalid == 0) {
                    bad_row = r;
                    bad_col = c;
                }
                bad = true;
                break;
            }
        }
        if (bad) ++res.n_invalid;
        else if (!answered) ++res.n_missing;
        else used.push_back(r);
    }
    if (res.n_invalid != 0 && policy == core::on_invalid::raise)
        CXKIT_THROW(invalid_input, "invalid score at row " + std::to_string(bad_row) + ", attribute " +
                                       detail::attribute_label(options.attributes, bad_col) + ": " +
                                       core::format_value(x(bad_row, bad_col)) + " (expected " +
                                       detail::csi_expected(low, high) + "); " + std::to_string(res.n_invalid) +
                                       " invalid row" + (res.n_invalid == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    res.n = used.size();
    if (options.method == csi_method::bootstrap) {
        res.n_boot = options.n_boot;
        res.seed = options.seed;
    }

    std::vector<double> sum(k, 0.0), count(k, 0.0);
    for (std::size_t r : used)
        for (std::size_t c = 0; c < k; ++c) {
            const double v = static_cast<double>(x(r, c));
            if (!std::isnan(v)) {
                sum[c] += v;
                count[c] += 1.0;
            }
        }
    res.means.resize(k);
    for (std::size_t c = 0; c < k; ++c)
        res.means[c] = count[c] > 0.0 ? sum[c] / count[c] : std::numeric_limits<double>::quiet_NaN();
    res.csi = detail::csi_of_means(res.means, res.weights, low, high);
    if (std::isnan(res.csi)) return res;

    std::vector<std::size_t> act;  // attributes that count (positive weight)
    for (std::size_t c = 0; c < k; ++c)
        if (res.weights[c] > 0.0) act.push_back(c);
    const double scale = 100.0 / (high - low);
    if (options.method == csi_method::delta) {
        const double var = detail::csi_mean_variance(x, used, act, res.weights, res.means);
        if (var >= 0.0) {
            res.std_error = scale * std::sqrt(var);
            const auto ci = stats::clip(
                stats::symmetric_interval(res.csi, res.std_error, stats::z_critical(options.confidence)), 0.0, 100.0);
            res.ci_low = ci.low;
            res.ci_high = ci.high;
        }
        return res;
    }
    // A compact respondent-major copy of the answers that count (NaN -> 0, plus 0/1 "answered"
    // flags when some are missing), so each replicate is one sequential, branch-free pass:
    // Σ counts·x and Σ counts·answered per attribute (a unit drawn 0 times adds exactly 0).
    const std::size_t a = act.size(), units = used.size();
    std::vector<double> val(units * a), answered;
    bool any_missing = false;
    for (std::size_t u = 0; u < units; ++u)
        for (std::size_t p = 0; p < a; ++p) {
            const double v = static_cast<double>(x(used[u], act[p]));
            any_missing = any_missing || std::isnan(v);
            val[u * a + p] = std::isnan(v) ? 0.0 : v;
        }
    if (any_missing) {
        answered.resize(units * a);
        for (std::size_t u = 0; u < units; ++u)
            for (std::size_t p = 0; p < a; ++p)
                answered[u * a + p] = std::isnan(static_cast<double>(x(used[u], act[p]))) ? 0.0 : 1.0;
    }
    const stats::bootstrap_options bo{options.n_boot, options.seed, options.confidence, options.threads};
    const std::vector<double> reps =
        stats::bootstrap_replicates(units, bo, [&](core::span<const std::uint32_t> counts) {
            std::vector<double> s(a, 0.0), m(a, any_missing ? 0.0 : static_cast<double>(units)), means(k, 0.0);
            for (std::size_t u = 0; u < units; ++u) {
                const double times = counts[u];
                const double* row = val.data() + u * a;
                for (std::size_t p = 0; p < a; ++p) s[p] += times * row[p];
                if (any_missing) {
                    const double* got = answered.data() + u * a;
                    for (std::size_t p = 0; p < a; ++p) m[p] += times * got[p];
                }
            }
            for (std::size_t p = 0; p < a; ++p) {
                if (m[p] == 0.0) return std::numeric_limits<double>::quiet_NaN();
                means[act[p]] = s[p] / m[p];
            }
            return detail::csi_of_means(means, res.weights, low, high);
        });
    const stats::bootstrap_summary b = stats::summarize_replicates(reps, options.confidence);
    res.std_error = b.std_error;
    res.ci_low = b.ci.low;
    res.ci_high = b.ci.high;
    return res;
}

}  // namespace survey

using survey::csi;
using survey::csi_method;
using survey::csi_options;
using survey::csi_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_SURVEY_CSI_HPP
