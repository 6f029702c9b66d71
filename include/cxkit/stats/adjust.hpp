/**
 * @file adjust.hpp
 * @brief Multiple-comparison adjustment of p-values (METRICS.md §2).
 *
 * - Bonferroni: min(1, m p).
 * - Holm (1979) step-down: with p_(1) <= ... <= p_(m), adj_(i) = max_{j<=i} min(1, (m − j + 1) p_(j)).
 * - Benjamini-Hochberg (1995) step-up: adj_(i) = min_{j>=i} min(1, m p_(j) / j).
 * NaN p-values are left NaN and do not count in m.
 */
#ifndef CXKIT_STATS_ADJUST_HPP
#define CXKIT_STATS_ADJUST_HPP

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

enum class adjust_method { holm, bh, bonferroni };

/// Parses "holm", "bh" (also "fdr_bh", "benjamini-hochberg") or "bonferroni".
inline adjust_method parse_adjust_method(const std::string& s) {
    if (s == "holm") return adjust_method::holm;
    if (s == "bh" || s == "fdr_bh" || s == "benjamini-hochberg") return adjust_method::bh;
    if (s == "bonferroni") return adjust_method::bonferroni;
    CXKIT_THROW(invalid_argument, "adjust method must be \"holm\", \"bh\" or \"bonferroni\", got \"" + s + "\"");
}

/**
 * Adjusted p-values in the input order.
 * @throws invalid_input naming the first p-value outside [0, 1].
 */
inline std::vector<double> adjust_pvalues(core::span<const double> p, adjust_method method) {
    std::vector<std::size_t> order;
    order.reserve(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (std::isnan(p[i])) continue;
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            CXKIT_THROW(invalid_input, "invalid p-value at position " + std::to_string(i) + ": " +
                                           core::format_value(p[i]) + " (expected a number in [0, 1])");
        order.push_back(i);
    }
    std::vector<double> out(p.begin(), p.end());
    const double m = static_cast<double>(order.size());
    if (order.empty()) return out;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    switch (method) {
        case adjust_method::bonferroni:
            for (auto i : order) out[i] = std::min(1.0, m * p[i]);
            break;
        case adjust_method::holm: {
            double running = 0.0;
            for (std::size_t j = 0; j < order.size(); ++j) {
                running = std::max(running, std::min(1.0, (m - static_cast<double>(j)) * p[order[j]]));
                out[order[j]] = running;
            }
            break;
        }
        case adjust_method::bh: {
            double running = 1.0;
            for (std::size_t j = order.size(); j-- > 0;) {
                running = std::min(running, std::min(1.0, m * p[order[j]] / static_cast<double>(j + 1)));
                out[order[j]] = running;
            }
            break;
        }
    }
    return out;
}

}  // namespace stats
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_ADJUST_HPP
