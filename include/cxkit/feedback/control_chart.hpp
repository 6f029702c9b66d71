/**
 * @file control_chart.hpp
 * @brief Attribute control charts for rates per exposure (METRICS.md §2): u and p charts.
 *
 * Subgroup i has a count cᵢ (complaints, defectives) and an exposure nᵢ (orders, units
 * inspected; e.g. thousands of orders for "complaints per 1,000 orders"). rateᵢ = cᵢ/nᵢ.
 * - u chart (Shewhart; Montgomery, Introduction to Statistical Quality Control, §7.3):
 *   centre ū = Σc/Σn, limits ū ± k √(ū/nᵢ), the lower limit clipped at 0.
 * - p chart (Montgomery §7.2): centre p̄ = Σc/Σn, limits p̄ ± k √(p̄(1 − p̄)/nᵢ), clipped to [0, 1];
 *   counts may not exceed their exposure.
 * k = `sigma` (3 by default). A subgroup is out of control if its rate is above the upper or
 * below the lower limit. Limits vary with nᵢ (one per row).
 */
#ifndef CXKIT_FEEDBACK_CONTROL_CHART_HPP
#define CXKIT_FEEDBACK_CONTROL_CHART_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace feedback {

/// Kind of attribute chart.
enum class chart_kind {
    u,  ///< counts per unit of exposure (Poisson)
    p,  ///< proportion of the exposure (binomial)
};

/// Parses "u" / "p". @throws invalid_argument naming the bad value.
inline chart_kind parse_chart_kind(const std::string& s) {
    if (s == "u") return chart_kind::u;
    if (s == "p") return chart_kind::p;
    CXKIT_THROW(invalid_argument, "kind must be \"u\" or \"p\", got \"" + s + "\"");
}
inline const char* to_string(chart_kind k) noexcept { return k == chart_kind::u ? "u" : "p"; }

/// Options of control_chart().
struct control_chart_options {
    chart_kind kind = chart_kind::u;
    double sigma = 3.0;  ///< width of the limits in standard errors

    /// @throws invalid_argument unless sigma is positive and finite.
    void validate() const {
        if (!(sigma > 0.0 && std::isfinite(sigma)))
            CXKIT_THROW(invalid_argument, "sigma must be a positive finite number, got " + core::format_value(sigma));
    }
};

/// One row per subgroup; rows that are missing or invalid (dropped) are NaN and never out of control.
struct control_chart_result {
    std::vector<double> rate;
    std::vector<double> center;
    std::vector<double> lower;
    std::vector<double> upper;
    std::vector<std::uint8_t> out_of_control;
    double center_line = std::numeric_limits<double>::quiet_NaN();  ///< ū or p̄ (NaN without usable rows)
    std::uint64_t n = 0;          ///< subgroups used for the centre line
    std::uint64_t n_missing = 0;  ///< count or exposure missing (NaN or masked)
    std::uint64_t n_invalid = 0;  ///< negative or infinite count, exposure <= 0 or infinite, p: count > exposure
};

/**
 * u or p chart of `counts` over `exposure` (same length). Rows with a NaN (or masked) count or
 * exposure are missing; a negative or infinite count, a non-positive or infinite exposure, or (p
 * chart) a count above its exposure is invalid: `on_invalid::raise` throws `invalid_input` naming
 * the first such row, `drop` excludes it from the centre line and reports it as a NaN row.
 * No usable rows: every row is NaN.
 * @code
 * std::vector<double> c{12, 15, 9, 30}, n{10, 12, 9, 11};  // complaints, thousands of orders
 * auto r = cxkit::control_chart(cxkit::span<const double>(c), cxkit::span<const double>(n));
 * @endcode
 * @throws invalid_argument for mismatched lengths or a bad sigma.
 */
template <class C, class E>
control_chart_result control_chart(core::span<const C> counts, core::span<const E> exposure,
                                   const control_chart_options& options = {},
                                   core::on_invalid policy = core::on_invalid::raise,
                                   const std::uint8_t* counts_missing = nullptr,
                                   const std::uint8_t* exposure_missing = nullptr) {
    options.validate();
    const std::size_t size = counts.size();
    if (exposure.size() != size)
        CXKIT_THROW(invalid_argument, "exposure has " + std::to_string(exposure.size()) + " values but counts has " +
                                          std::to_string(size));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool p_chart = options.kind == chart_kind::p;
    // 0 valid, 1 missing, 2 invalid count, 3 invalid exposure, 4 count above exposure
    auto classify = [&](std::size_t i) -> int {
        const double c = static_cast<double>(counts[i]), e = static_cast<double>(exposure[i]);
        if ((counts_missing && counts_missing[i]) || (exposure_missing && exposure_missing[i]) || std::isnan(c) ||
            std::isnan(e))
            return 1;
        if (!(c >= 0.0 && std::isfinite(c))) return 2;
        if (!(e > 0.0 && std::isfinite(e))) return 3;
        if (p_chart && c > e) return 4;
        return 0;
    };
    control_chart_result r;
    std::vector<std::uint8_t> cls(size);
    double sum_c = 0.0, sum_e = 0.0;
    for (std::size_t i = 0; i < size; ++i) {
        const int k = classify(i);
        cls[i] = static_cast<std::uint8_t>(k);
        if (k == 0) {
            ++r.n;
            sum_c += static_cast<double>(counts[i]);
            sum_e += static_cast<double>(exposure[i]);
        } else if (k == 1) {
            ++r.n_missing;
        } else {
            ++r.n_invalid;
        }
    }
    if (r.n_invalid != 0 && policy == core::on_invalid::raise) {
        std::size_t i = 0;
        while (cls[i] < 2) ++i;
        std::string head;
        if (cls[i] == 2)
            head = "invalid count at position " + std::to_string(i) + ": " + core::format_value(counts[i]) +
                   " (expected a non-negative finite number)";
        else if (cls[i] == 3)
            head = "invalid exposure at position " + std::to_string(i) + ": " + core::format_value(exposure[i]) +
                   " (expected a positive finite number)";
        else
            head = "invalid count at position " + std::to_string(i) + ": " + core::format_value(counts[i]) +
                   " (expected at most the exposure " + core::format_value(exposure[i]) + " for a p chart)";
        CXKIT_THROW(invalid_input, head + "; " + std::to_string(r.n_invalid) + " invalid row" +
                                       (r.n_invalid == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }
    r.center_line = sum_e > 0.0 ? sum_c / sum_e : nan;
    r.rate.assign(size, nan);
    r.center.assign(size, nan);
    r.lower.assign(size, nan);
    r.upper.assign(size, nan);
    r.out_of_control.assign(size, 0);
    if (std::isnan(r.center_line)) return r;
    const double cl = r.center_line;
    const double unit_var = p_chart ? cl * (1.0 - cl) : cl;  // variance of one unit of exposure
    for (std::size_t i = 0; i < size; ++i) {
        if (cls[i] != 0) continue;
        const double e = static_cast<double>(exposure[i]);
        const double rate = static_cast<double>(counts[i]) / e;
        const double half = options.sigma * std::sqrt(std::max(0.0, unit_var) / e);
        double lo = std::max(0.0, cl - half), hi = cl + half;
        if (p_chart) hi = std::min(1.0, hi);
        r.rate[i] = rate;
        r.center[i] = cl;
        r.lower[i] = lo;
        r.upper[i] = hi;
        r.out_of_control[i] = (rate > hi || rate < lo) ? 1 : 0;
    }
    return r;
}

}  // namespace feedback

using feedback::chart_kind;
using feedback::control_chart;
using feedback::control_chart_options;
using feedback::control_chart_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_FEEDBACK_CONTROL_CHART_HPP
