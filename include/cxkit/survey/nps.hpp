/**
 * @file nps.hpp
 * @brief Net Promoter Score: state, result, intervals and comparisons (METRICS.md §1, NPS).
 *
 * NPS = 100 (p − d) with p, d the weighted shares of promoters (9-10) and detractors (0-6)
 * (Reichheld 2003). The state is the full 0..10 weighted histogram, so the category breaks are
 * options of `result()`.
 *
 * Standard errors use the +1/0/−1 recode: σ² = p + d − (p − d)², SE = 100 √(σ²/n_eff).
 * The default "adjusted_wald" interval (Rocks 2016, The American Statistician) adds 0.75
 * promoters, 1.5 passives and 0.75 detractors on the effective-count scale:
 * p' = (p n_eff + 0.75)/(n_eff + 3), d' = (d n_eff + 0.75)/(n_eff + 3), n' = n_eff + 3, and centres
 * the interval on NPS' = 100 (p' − d'); the reported point estimate stays the unadjusted NPS.
 * Check (Sauro & Lewis): 50 promoters, 30 passives, 20 detractors -> NPS 30, σ² = 0.61,
 * Wald SE 7.81 points.
 */
#ifndef CXKIT_SURVEY_NPS_HPP
#define CXKIT_SURVEY_NPS_HPP

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "cxkit/config.hpp"
#include "cxkit/core/histogram.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/stats/comparison.hpp"
#include "cxkit/stats/distributions.hpp"
#include "cxkit/stats/intervals.hpp"

CXKIT_NAMESPACE_BEGIN
namespace survey {

/// Interval method for NPS.
enum class nps_method { adjusted_wald, wald };

/// Parses "adjusted_wald" / "wald". @throws invalid_argument naming the bad value.
inline nps_method parse_nps_method(const std::string& s) {
    if (s == "adjusted_wald") return nps_method::adjusted_wald;
    if (s == "wald") return nps_method::wald;
    CXKIT_THROW(invalid_argument, "method must be \"adjusted_wald\" or \"wald\", got \"" + s + "\"");
}
inline const char* to_string(nps_method m) noexcept {
    return m == nps_method::wald ? "wald" : "adjusted_wald";
}

/// Options of `nps_accumulator::result()`: nothing here changes what the state counts.
struct nps_options {
    double confidence = 0.95;
    nps_method method = nps_method::adjusted_wald;
    int promoter_min = 9;  ///< scores >= promoter_min are promoters
    int passive_min = 7;   ///< scores in [passive_min, promoter_min) are passives; below: detractors

    /// @throws invalid_argument for a confidence outside (0, 1) or breaks not 0 < passive <= promoter <= 10.
    void validate() const {
        core::check_confidence(confidence);
        if (!(0 < passive_min && passive_min <= promoter_min && promoter_min <= 10))
            CXKIT_THROW(invalid_argument, "category breaks must satisfy 0 < passive_min <= promoter_min <= 10, got passive_min=" +
                                              std::to_string(passive_min) + ", promoter_min=" + std::to_string(promoter_min));
    }
};

/// NPS of one sample. Field names and units follow API.md.
struct nps_result {
    double nps = std::numeric_limits<double>::quiet_NaN();  ///< points, −100..100, unadjusted
    double promoters = 0.0;                                 ///< weighted count
    double passives = 0.0;
    double detractors = 0.0;
    double promoter_share = std::numeric_limits<double>::quiet_NaN();  ///< 0..1
    double passive_share = std::numeric_limits<double>::quiet_NaN();
    double detractor_share = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t n = 0;        ///< rows used
    double n_effective = 0.0;   ///< Kish W²/Σw²
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    double std_error = std::numeric_limits<double>::quiet_NaN();  ///< points
    double ci_low = std::numeric_limits<double>::quiet_NaN();     ///< points
    double ci_high = std::numeric_limits<double>::quiet_NaN();
    std::string method = "adjusted_wald";
    double confidence = 0.95;

    template <class F>
    static void fields(F&& f) {
        f("nps", &nps_result::nps);
        f("promoters", &nps_result::promoters);
        f("passives", &nps_result::passives);
        f("detractors", &nps_result::detractors);
        f("promoter_share", &nps_result::promoter_share);
        f("passive_share", &nps_result::passive_share);
        f("detractor_share", &nps_result::detractor_share);
        f("n", &nps_result::n);
        f("n_effective", &nps_result::n_effective);
        f("n_missing", &nps_result::n_missing);
        f("n_invalid", &nps_result::n_invalid);
        f("std_error", &nps_result::std_error);
        f("ci_low", &nps_result::ci_low);
        f("ci_high", &nps_result::ci_high);
        f("method", &nps_result::method);
        f("confidence", &nps_result::confidence);
    }
};

/// What an NPS interval or comparison needs of a sample.
struct nps_sample {
    double promoter_share;
    double detractor_share;
    double n_effective;
};

namespace detail {
/// Centre and standard error (points) of the interval for `method`; NaN for an empty sample.
struct nps_estimate {
    double centre;
    double se;
};
inline nps_estimate estimate(const nps_sample& s, nps_method method) noexcept {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (!(s.n_effective > 0.0)) return {nan, nan};
    double p = s.promoter_share, d = s.detractor_share, n = s.n_effective;
    if (method == nps_method::adjusted_wald) {
        p = (p * n + 0.75) / (n + 3.0);
        d = (d * n + 0.75) / (n + 3.0);
        n += 3.0;
    }
    const double variance = p + d - (p - d) * (p - d);
    return {100.0 * (p - d), 100.0 * std::sqrt(std::max(0.0, variance) / n)};
}
}  // namespace detail

/**
 * Mergeable NPS state: the weighted 0..10 histogram (see core::score_histogram).
 * @code
 * cxkit::nps_accumulator a;
 * a.add(10); a.add(9); a.add(3, 2.0);
 * double score = a.result().nps;
 * @endcode
 */
class nps_accumulator : public core::histogram_state<nps_accumulator> {
public:
    static constexpr core::state_family family = core::state_family::nps;
    static constexpr std::uint16_t format_version = 1;
    static constexpr const char* value_name = "score";

    nps_accumulator() : histogram_state(core::score_histogram(core::integer_scale(0, 10))) {}
    /// Wraps a histogram on the 0..10 scale. @throws invalid_argument for another scale.
    explicit nps_accumulator(core::score_histogram h) : histogram_state(std::move(h)) {
        if (!check_scale(hist_.scale())) CXKIT_THROW(invalid_argument, "an NPS state needs the 0..10 scale");
    }
    static bool check_scale(const core::integer_scale& s) noexcept { return s.low() == 0 && s.high() == 10; }

    /// Finalizes with `options` (pure: the state is unchanged). Empty state: NaN estimates.
    nps_result result(const nps_options& options = {}) const {
        options.validate();
        nps_result r;
        const auto& w = hist_.weights();
        for (int s = 0; s <= 10; ++s) {
            const double ws = w[static_cast<std::size_t>(s)];
            if (s >= options.promoter_min) r.promoters += ws;
            else if (s >= options.passive_min) r.passives += ws;
            else r.detractors += ws;
        }
        const double total = r.promoters + r.passives + r.detractors;
        r.n = hist_.n();
        r.n_effective = hist_.n_effective();
        r.n_missing = hist_.n_missing();
        r.n_invalid = hist_.n_invalid();
        r.method = to_string(options.method);
        r.confidence = options.confidence;
        if (total > 0.0) {
            r.promoter_share = r.promoters / total;
            r.passive_share = r.passives / total;
            r.detractor_share = r.detractors / total;
            r.nps = 100.0 * (r.promoter_share - r.detractor_share);
            const auto e = detail::estimate({r.promoter_share, r.detractor_share, r.n_effective}, options.method);
            r.std_error = e.se;
            const auto ci = stats::clip(stats::symmetric_interval(e.centre, e.se, stats::z_critical(options.confidence)),
                                        -100.0, 100.0);
            r.ci_low = ci.low;
            r.ci_high = ci.high;
        }
        return r;
    }

    /// Shares and n_eff under the default category breaks, for comparisons.
    nps_sample sample(const nps_options& options = {}) const {
        const nps_result r = result(options);
        return {r.promoter_share, r.detractor_share, r.n_effective};
    }

};

/// The sample of a finalized result.
inline nps_sample sample_of(const nps_result& r) noexcept {
    return {r.promoter_share, r.detractor_share, r.n_effective};
}

/**
 * Independent two-sample comparison: Δ = NPS_a − NPS_b (with adjusted Wald, NPS'_a − NPS'_b),
 * SE_Δ = √(SE_a² + SE_b²), z = Δ/SE_Δ, two-sided p, CI = Δ ± z_conf SE_Δ (METRICS.md §1).
 */
inline stats::comparison_result compare_nps(const nps_sample& a, const nps_sample& b,
                                            nps_method method = nps_method::adjusted_wald, double confidence = 0.95) {
    const auto ea = detail::estimate(a, method), eb = detail::estimate(b, method);
    return stats::z_comparison(ea.centre - eb.centre, std::sqrt(ea.se * ea.se + eb.se * eb.se), confidence,
                               to_string(method));
}

/// One-sample test against a benchmark NPS value (points): Δ = NPS(') − benchmark, SE = SE_a.
/// @throws invalid_argument unless benchmark is a finite value in [−100, 100].
inline stats::comparison_result compare_nps(const nps_sample& a, double benchmark,
                                            nps_method method = nps_method::adjusted_wald, double confidence = 0.95) {
    if (!(benchmark >= -100.0 && benchmark <= 100.0))
        CXKIT_THROW(invalid_argument, "benchmark NPS must be in [-100, 100], got " + core::format_value(benchmark));
    const auto e = detail::estimate(a, method);
    return stats::z_comparison(e.centre - benchmark, e.se, confidence, to_string(method));
}

inline stats::comparison_result compare_nps(const nps_accumulator& a, const nps_accumulator& b,
                                            const nps_options& options = {}) {
    return compare_nps(a.sample(options), b.sample(options), options.method, options.confidence);
}

/// NPS of a batch of scores (0..10; NaN = missing) with optional weights.
template <class T>
nps_result nps(core::span<const T> scores, const nps_options& options = {},
               core::on_invalid policy = core::on_invalid::raise) {
    nps_accumulator a;
    a.add(scores, policy);
    return a.result(options);
}
template <class T>
nps_result nps(core::span<const T> scores, core::span<const double> weights, const nps_options& options = {},
               core::on_invalid policy = core::on_invalid::raise) {
    nps_accumulator a;
    a.add(scores, weights, policy);
    return a.result(options);
}

}  // namespace survey

using survey::compare_nps;
using survey::nps;
using survey::nps_accumulator;
using survey::nps_method;
using survey::nps_options;
using survey::nps_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_SURVEY_NPS_HPP
