/**
 * @file prioritize.hpp
 * @brief Impact-cost prioritisation (METRICS.md §3, "Impact-cost prioritisation"): priority_quadrants,
 *        impact/cost ratio and rank, the non-dominated frontier, the exact budget-constrained
 *        selection (0/1 knapsack on real-valued impacts and costs), bootstrap stability of
 *        frontier membership and selection, and the Kano-based impact.
 *
 * Definitions (METRICS.md §3):
 * - items have impact >= 0 and cost > 0 (finite); anything else is invalid (ARCHITECTURE §3),
 *   NaN is missing;
 * - thresholds default to the medians of the valid items (mean of the two middle values for an
 *   even count); an item is "high impact" when impact >= impact_threshold and "high cost" when
 *   cost >= cost_threshold. Quadrants: high impact & low cost → quick_win; high & high →
 *   major_project; low & low → fill_in; low impact & high cost → thankless;
 * - ratio = impact / cost; rank by ratio descending, competition ranking ("1224": tied ratios
 *   share the smallest rank, the next rank skips), i.e. pandas `rank(method="min", ascending=False)`;
 * - frontier: items not dominated by another item with impact >= and cost <=, one of them strict
 *   (two items with equal impact and cost do not dominate each other);
 * - budget: the subset with the maximum total impact whose total cost is <= budget, exactly.
 *
 * Exactness of the knapsack (knapsack()):
 * - every impact and cost is a double, i.e. an integer multiple of a power of two. The costs are
 *   written exactly as integers in units of 2^e (e = the lowest set bit among the costs that can
 *   be chosen), and the impacts likewise in their own unit, in 128-bit unsigned integers (or,
 *   when the values span so many binary orders of magnitude that sums need more than 126 bits,
 *   e.g. costs from 1e-20 to 1e20 with full 53-bit mantissas, 2240-bit ones from
 *   Boost.Multiprecision, enough for any doubles). Sums of any subset are then exact integers,
 *   so "total cost <= budget" is decided on the exact sum (S · 2^e <= budget ⟺
 *   S <= floor(budget · 2^-e), computed by shifting budget's mantissa), and two subsets' total
 *   impacts are compared exactly. No rounding or scaling to a grid ever happens; the reported
 *   totals are the exact sums rounded once to double;
 * - bounds (the Dantzig LP relaxation) are computed in long double only to prune the search; a
 *   node is pruned only when its bound is below the incumbent by a relative margin of 1e-12,
 *   far above the bound's rounding error (< 1e-14 relative), so pruning never discards a subset
 *   that is at least as good as the incumbent;
 * - ties: among the subsets with the maximum total impact, the one with the smallest total cost
 *   is chosen; if several still tie exactly, the one that comes first in "include-first" order
 *   over the items sorted by ratio descending (ties of the ratio by cost descending, then by
 *   input position): at the first item where two subsets differ, the subset that contains it
 *   wins. Items with impact 0
 *   are never chosen (they add cost and no impact), items with cost > budget can never be
 *   chosen, and a budget <= 0 gives an empty selection.
 *
 * Algorithm (Horowitz & Sahni 1974; Martello & Toth 1990, ch. 2.5-2.6): items sorted by ratio,
 * a greedy incumbent, variable fixing by the Dantzig bound (an item whose opposite decision
 * cannot reach the incumbent is fixed, which leaves a small "core" of free items for typical
 * instances), then a depth-first branch and bound over the free items, include-first, with the
 * Dantzig bound evaluated in O(log n) from exact prefix sums. When that search needs more than
 * 2^18 nodes and the costs are integers of a small capacity in their unit (at most 2^21 units,
 * free items × capacity <= 2^29: e.g. costs in days or whole currency units), a dynamic programme
 * over capacities gives the optimum's exact impact and least cost, and a targeted search finds
 * the first subset in include-first order with exactly those totals (strongly correlated integer
 * instances of thousands of items take well under a second). Otherwise the search visits at
 * most `knapsack_options::max_nodes` nodes (per phase) and then throws `numerical_error` naming
 * the limit: real-valued strongly correlated instances (impact = cost + constant) of more than
 * about a hundred items can need exponentially many nodes.
 */
#ifndef CXKIT_PRODUCT_PRIORITIZE_HPP
#define CXKIT_PRODUCT_PRIORITIZE_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

// Boost.Multiprecision includes Boost.Math headers: cxkit's Boost.Math configuration first.
#include "cxkit/stats/boost_math.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include "cxkit/config.hpp"
#include "cxkit/core/matrix.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace product {

/// Impact-cost quadrant of an item (METRICS.md §3).
enum class priority_quadrant : std::uint8_t {
    quick_win = 0,      ///< high impact, low cost
    major_project = 1,  ///< high impact, high cost
    fill_in = 2,        ///< low impact, low cost
    thankless = 3,      ///< low impact, high cost
};

/// "quick_win", "major_project", "fill_in", "thankless".
inline const char* to_string(priority_quadrant q) noexcept {
    switch (q) {
        case priority_quadrant::quick_win: return "quick_win";
        case priority_quadrant::major_project: return "major_project";
        case priority_quadrant::fill_in: return "fill_in";
        case priority_quadrant::thankless: return "thankless";
    }
    return "?";
}

/// Options of knapsack().
struct knapsack_options {
    /// Largest number of branch-and-bound nodes visited before giving up with `numerical_error`.
    /// Uncorrelated and weakly correlated instances of thousands of items need far fewer
    /// (typically under 10^6); 2·10^7 nodes take about a second. Raise it to let hard instances
    /// (e.g. strongly correlated ones, impact = cost + constant) search longer.
    std::uint64_t max_nodes = 20'000'000;

    /// @throws invalid_argument if max_nodes is 0.
    void validate() const {
        if (max_nodes == 0) CXKIT_THROW(invalid_argument, "max_nodes must be at least 1");
    }
};

/// The chosen subset of a knapsack().
struct knapsack_result {
    std::vector<std::size_t> chosen;  ///< input positions of the chosen items, ascending
    double total_impact = 0.0;        ///< exact sum of their impacts, rounded once to double
    double total_cost = 0.0;          ///< exact sum of their costs, rounded once to double
    std::uint64_t nodes = 0;          ///< branch-and-bound nodes visited
    std::size_t n_free = 0;           ///< items left free after variable fixing (the core)
};

namespace detail {

#if defined(__SIZEOF_INT128__) && !defined(CXKIT_NO_INT128)
__extension__ typedef unsigned __int128 prio_wide;  // NOLINT: __extension__ keeps -Wpedantic quiet
inline long double prio_to_ld(prio_wide x) noexcept { return static_cast<long double>(x); }
inline double prio_to_double(prio_wide x) noexcept { return static_cast<double>(x); }
#else
using prio_wide = boost::multiprecision::uint128_t;
inline long double prio_to_ld(const prio_wide& x) { return x.convert_to<long double>(); }
inline double prio_to_double(const prio_wide& x) { return x.convert_to<double>(); }
#endif
/// Fixed-point integers wide enough for any sum of up to 2^64 doubles (2^-1074 .. 2^1024).
using prio_huge = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
    2240, 2240, boost::multiprecision::unsigned_magnitude, boost::multiprecision::unchecked, void>>;
inline long double prio_to_ld(const prio_huge& x) { return x.convert_to<long double>(); }
inline double prio_to_double(const prio_huge& x) { return x.convert_to<double>(); }

/// x · 2^unit rounded to double (one rounding; a huge x is first cut to 900 bits with a sticky
/// bit, which keeps round-to-nearest exact).
inline double prio_scaled(prio_wide x, int unit) { return std::ldexp(prio_to_double(x), unit); }
inline double prio_scaled(const prio_huge& x, int unit) {
    if (x == 0) return 0.0;
    const unsigned top = boost::multiprecision::msb(x);
    if (top <= 900) return std::ldexp(x.convert_to<double>(), unit);
    const unsigned drop = top - 900;
    prio_huge y = x >> drop;
    if ((y << drop) != x) y |= 1u;
    return std::ldexp(y.convert_to<double>(), unit + static_cast<int>(drop));
}

/// Largest number of bits an exact sum may need (two bits of headroom in 128).
constexpr int prio_max_sum_bits = 126;

/// x = M · 2^(exp - 53) with M a 53-bit integer (x > 0 finite).
inline void prio_decompose(double x, std::uint64_t& mantissa, int& exp) noexcept {
    const double m = std::frexp(x, &exp);
    mantissa = static_cast<std::uint64_t>(std::ldexp(m, 53));
}

/// Exponent of the lowest set bit of x > 0 finite: x is an integer multiple of 2^result.
inline int prio_lsb_exponent(double x) noexcept {
    std::uint64_t m;
    int e;
    prio_decompose(x, m, e);
    int tz = 0;
    while ((m & 1u) == 0u) {
        m >>= 1;
        ++tz;
    }
    return e - 53 + tz;
}

/// x < 2^result for x > 0 finite.
inline int prio_top_exponent(double x) noexcept {
    int e;
    (void)std::frexp(x, &e);
    return e;
}

/// x (> 0 finite, a multiple of 2^unit) as the exact integer x / 2^unit.
template <class U>
U prio_to_units(double x, int unit) {
    std::uint64_t m;
    int e;
    prio_decompose(x, m, e);
    const int shift = e - 53 - unit;
    U v = m;
    if (shift >= 0) v <<= shift;
    else v >>= -shift;
    return v;
}

inline int prio_bits_for_count(std::size_t n) noexcept {
    int b = 0;
    while ((std::size_t{1} << b) < n + 1 && b < 63) ++b;
    return b;
}

/// The fixed-point unit 2^unit in which every value is an integer, and the bits their sum needs.
inline void prio_exact_unit(const std::vector<double>& values, int& unit, int& bits) {
    unit = std::numeric_limits<int>::max();
    int top = std::numeric_limits<int>::min();
    for (double v : values) {
        unit = std::min(unit, prio_lsb_exponent(v));
        top = std::max(top, prio_top_exponent(v));
    }
    bits = top - unit + prio_bits_for_count(values.size());
}

/// Relative margin by which a bound must fall below the incumbent before a node is pruned.
constexpr long double prio_prune_margin = 1e-12L;

[[noreturn]] inline void prio_throw_bad_item(std::size_t pos, const char* what, double value, const char* expected,
                                        std::uint64_t bad) {
    CXKIT_THROW(invalid_input, std::string("invalid ") + what + " at position " + std::to_string(pos) + ": " +
                                   core::format_value(value) + " (expected " + expected + "); " +
                                   std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                   " in total (pass on_invalid=\"drop\" to skip and count them)");
}

inline bool prio_valid_impact(double x) noexcept { return x >= 0.0 && x <= std::numeric_limits<double>::max(); }
inline bool prio_valid_cost(double x) noexcept { return x > 0.0 && x <= std::numeric_limits<double>::max(); }
constexpr const char* prio_expected_impact = "a finite number >= 0";
constexpr const char* prio_expected_cost = "a finite number > 0";

/// Refuses items that are not (finite impact >= 0, finite cost > 0), naming the first.
inline void prio_check_items(core::span<const double> impacts, core::span<const double> costs) {
    if (impacts.size() != costs.size())
        CXKIT_THROW(invalid_argument, "costs has " + std::to_string(costs.size()) + " values but impacts has " +
                                          std::to_string(impacts.size()));
    std::uint64_t bad = 0;
    std::size_t first = impacts.size();
    for (std::size_t i = 0; i < impacts.size(); ++i)
        if (!prio_valid_impact(impacts[i]) || !prio_valid_cost(costs[i])) {
            if (bad++ == 0) first = i;
        }
    if (bad == 0) return;
    if (!prio_valid_impact(impacts[first])) prio_throw_bad_item(first, "impact", impacts[first], prio_expected_impact, bad);
    prio_throw_bad_item(first, "cost", costs[first], prio_expected_cost, bad);
}

/// The search on fixed-point integers of type U (exact sums: see the file comment); `cand` are
/// the candidates in ratio order, `cv` / `pv` their costs and impacts, units 2^cu and 2^pu.
template <class U>
knapsack_result prio_search(const std::vector<std::size_t>& cand, const std::vector<double>& cv,
                            const std::vector<double>& pv, double budget, const knapsack_options& options, int cu,
                            int pu, int cbits) {
    knapsack_result out;
    const std::size_t m = cand.size();
    std::vector<U> w(m), p(m), W(m + 1), P(m + 1);
    W[0] = 0;
    P[0] = 0;
    for (std::size_t k = 0; k < m; ++k) {
        w[k] = prio_to_units<U>(cv[k], cu);
        p[k] = prio_to_units<U>(pv[k], pu);
        W[k + 1] = W[k] + w[k];
        P[k + 1] = P[k] + p[k];
    }
    const auto finish = [&](const std::vector<std::size_t>& picked, U tp, U tw) {
        for (std::size_t k : picked) out.chosen.push_back(cand[k]);
        std::sort(out.chosen.begin(), out.chosen.end());
        out.total_impact = prio_scaled(tp, pu);
        out.total_cost = prio_scaled(tw, cu);
    };
    // Capacity in cost units: floor(budget / 2^cu), exact; a budget beyond every possible sum
    // (2^(cu + 127)) takes everything.
    // budget >= 2^(top − 1) >= 2^(cu + cbits) > every sum of costs: everything fits.
    bool all_fit = std::isinf(budget) || prio_top_exponent(budget) - 1 - cu >= cbits;
    U C = 0;
    if (!all_fit) {
        C = prio_to_units<U>(budget, cu);  // floor(budget / 2^cu): the shift drops the fraction
        all_fit = W[m] <= C;
    }
    if (all_fit) {
        std::vector<std::size_t> every(m);
        std::iota(every.begin(), every.end(), std::size_t{0});
        finish(every, P[m], W[m]);
        return out;
    }
    std::vector<long double> rho(m);  // ratio in profit units per cost unit (for the fractional item)
    for (std::size_t k = 0; k < m; ++k) rho[k] = prio_to_ld(p[k]) / prio_to_ld(w[k]);
    // Dantzig bound over all candidates with capacity `cap`: full items by prefix sums, then a
    // fraction of the break item.
    const auto lp_all = [&](U cap) -> long double {
        const std::size_t b = static_cast<std::size_t>(std::upper_bound(W.begin(), W.end(), cap) - W.begin()) - 1;
        long double ub = prio_to_ld(P[b]);
        if (b < m) ub += prio_to_ld(cap - W[b]) * rho[b];
        return ub;
    };
    const auto below = [](long double bound, long double z) { return bound * (1.0L + prio_prune_margin) < z; };
    // Greedy incumbent (take each item in ratio order if it still fits).
    // It is the first subset in include-first ratio order among all feasible ones (at each item
    // it takes the item whenever that is still possible), so it wins every exact tie.
    U zp = 0, zw = 0;
    std::vector<std::uint8_t> greedy_in(m, 0);
    for (std::size_t k = 0; k < m; ++k)
        if (zw + w[k] <= C) {
            zw += w[k];
            zp += p[k];
            greedy_in[k] = 1;
        }
    const long double z_greedy = prio_to_ld(zp);
    // Variable fixing (Martello & Toth 1990, §2.7): b = break item of the LP relaxation.
    const std::size_t brk = static_cast<std::size_t>(std::upper_bound(W.begin(), W.end(), C) - W.begin()) - 1;
    std::vector<std::int8_t> fixed(m, -1);  // -1 free, 0 out, 1 in
    U in_w = 0, in_p = 0;
    for (std::size_t k = 0; k < m; ++k) {
        if (k == brk) continue;
        if (k < brk) {
            // Without k: LP over the others with capacity C = LP(all, C + w_k) − p_k (k is a
            // full item of that relaxation, so removing it leaves the greedy of the rest).
            if (below(lp_all(C + w[k]) - prio_to_ld(p[k]), z_greedy)) {
                fixed[k] = 1;
                in_w += w[k];
                in_p += p[k];
            }
        } else {
            // With k (after the break item): p_k + LP(all, C − w_k); the break of that
            // relaxation comes before k, so k is not counted twice.
            if (w[k] > C || below(prio_to_ld(p[k]) + lp_all(C - w[k]), z_greedy)) fixed[k] = 0;
        }
    }
    if (in_w > C) {  // cannot happen with valid bounds; fall back to no fixing
        std::fill(fixed.begin(), fixed.end(), std::int8_t{-1});
        in_w = 0;
        in_p = 0;
    }
    std::vector<std::size_t> free_items;
    for (std::size_t k = 0; k < m; ++k)
        if (fixed[k] < 0) free_items.push_back(k);
    const std::size_t f = free_items.size();
    out.n_free = f;
    std::vector<U> fw(f), fp(f), FW(f + 1), FP(f + 1);
    std::vector<long double> frho(f);
    FW[0] = 0;
    FP[0] = 0;
    for (std::size_t j = 0; j < f; ++j) {
        fw[j] = w[free_items[j]];
        fp[j] = p[free_items[j]];
        frho[j] = rho[free_items[j]];
        FW[j + 1] = FW[j] + fw[j];
        FP[j + 1] = FP[j] + fp[j];
    }
    // Identical items: a subset that leaves out item j but takes a later identical item j' is
    // matched by the swapped subset (same impact and cost) that comes first in include-first
    // order, so it is never the chosen one: after leaving out j, skip to the next different item.
    std::vector<std::size_t> next_different(f);
    for (std::size_t j = f; j-- > 0;)
        next_different[j] = (j + 1 < f && fw[j + 1] == fw[j] && fp[j + 1] == fp[j]) ? next_different[j + 1] : j + 1;
    std::vector<U> min_w(f + 1);  // smallest weight among free items j..f-1
    if (f) {
        min_w[f] = fw[f - 1];
        for (std::size_t j = f; j-- > 0;) min_w[j] = j + 1 < f ? std::min<U>(fw[j], min_w[j + 1]) : fw[j];
    }
    // Depth-first branch and bound, include-first, over the free items with capacity C − in_w.
    // The incumbent starts as the greedy subset, which lies in the reduced space (fixing used
    // strict bounds against its value: it contains every item fixed in and none fixed out).
    // Later leaves come later in include-first order, so only a strictly better one (more
    // impact, or equal impact and less cost) replaces the incumbent.
    const U cap0 = C - in_w;
    std::vector<std::uint8_t> x(f, 0), best_x(f, 0);
    for (std::size_t j = 0; j < f; ++j) best_x[j] = greedy_in[free_items[j]];
    U best_p = zp, best_w = zw;
    long double z = z_greedy;
    // Impacts are integers in units of 2^pu, so no subset has an impact strictly between z and
    // z + 1 unit: a node whose bound is below z + 1 can at best tie the incumbent's impact, and
    // is pruned when even the least cost of reaching that impact (the covering LP: items by
    // ratio, the last one fractional) exceeds the incumbent's cost − 1 unit (costs are integers
    // in their unit, so a cheaper subset costs at most best_w − 1). Used while z + 1 and
    // best_w − 1 are exact in long double (and double).
    const long double exact_limit = 4503599627370496.0L;  // 2^52
    struct frame {
        std::size_t j;
        U p, cap;
        std::uint8_t stage;  // 0 = not expanded, 1 = include branch done
    };
    std::vector<frame> stack;
    stack.push_back({0, in_p, cap0, 0});
    std::uint64_t nodes = 0;
    // Targeted mode (after the capacity DP below found the optimum's impact and least cost):
    // the first leaf with exactly that impact and cost is the answer, and the search stops.
    bool targeted = false, found = false;
    const auto record = [&](U pp, U used, std::size_t j_end, bool take_rest) {
        // Leaf: items from j_end on are all taken (take_rest) or all left out.
        if (targeted) {
            if (!(pp == best_p && used == best_w)) return;
            found = true;
        } else if (!(pp > best_p || (pp == best_p && used < best_w))) {
            return;
        }
        best_p = pp;
        best_w = used;
        best_x = x;
        for (std::size_t j = j_end; j < f; ++j) best_x[j] = take_rest ? 1 : 0;
        const long double zl = prio_to_ld(pp);
        if (zl > z) z = zl;
    };
    // Runs the search until it is done (true) or `limit` nodes have been visited (false; it can
    // be resumed).
    const auto search = [&](std::uint64_t limit) -> bool {
    while (!stack.empty() && !found) {
        frame& fr = stack.back();
        const std::size_t j = fr.j;
        if (fr.stage == 0) {
            if (nodes >= limit) return false;
            ++nodes;
            const U pp = fr.p, cap = fr.cap;
            const U used = C - cap;
            // Everything left fits: taking all of it is this node's only best completion.
            if (FW[f] - FW[j] <= cap) {
                for (std::size_t k = j; k < f; ++k) x[k] = 0;
                record(pp + (FP[f] - FP[j]), used + (FW[f] - FW[j]), j, true);
                stack.pop_back();
                continue;
            }
            // Nothing left fits: leaf.
            if (j == f || min_w[j] > cap) {
                record(pp, used, j, false);
                stack.pop_back();
                continue;
            }
            // Dantzig bound of the node.
            const U target = FW[j] + cap;
            const std::size_t b =
                static_cast<std::size_t>(std::upper_bound(FW.begin() + static_cast<std::ptrdiff_t>(j), FW.end(), target) -
                                         FW.begin()) - 1;
            long double ub = prio_to_ld(pp + (FP[b] - FP[j]));
            if (b < f) ub += prio_to_ld(target - FW[b]) * frho[b];
            if (below(ub, z)) {
                stack.pop_back();
                continue;
            }
            if (z < exact_limit && ub * (1.0L + prio_prune_margin) < z + 1.0L) {
                // At best a tie in impact: worth searching only for a cheaper subset.
                if (pp >= best_p) {  // pp == best_p: taking nothing more is the only tie
                    record(pp, used, j, false);
                    if (!stack.empty()) stack.pop_back();
                    continue;
                }
                const U need = FP[j] + (best_p - pp);
                if (FP[f] < need) {
                    stack.pop_back();
                    continue;
                }
                const std::size_t mc = static_cast<std::size_t>(
                    std::lower_bound(FP.begin() + static_cast<std::ptrdiff_t>(j), FP.end(), need) - FP.begin());
                const long double least = prio_to_ld(used + (FW[mc - 1] - FW[j])) +
                                          prio_to_ld(need - FP[mc - 1]) / frho[mc - 1];
                // Costs are integers in units of 2^cu too: a cost below best_w is <= best_w − 1.
                // (In targeted mode the goal is a cost equal to best_w.)
                const long double bw = prio_to_ld(best_w);
                if (least * (1.0L - prio_prune_margin) > (bw < exact_limit && !targeted ? bw - 1.0L : bw)) {
                    stack.pop_back();
                    continue;
                }
            }
            fr.stage = 1;
            if (fw[j] <= cap) {
                x[j] = 1;
                const frame child{j + 1, pp + fp[j], cap - fw[j], 0};
                stack.push_back(child);
                continue;
            }
        }
        // Exclude branch (the include branch, if any, is done), with the identical items after it.
        frame& cur = stack.back();
        for (std::size_t k = cur.j; k < next_different[cur.j]; ++k) x[k] = 0;
        const frame child{next_different[cur.j], cur.p, cur.cap, 0};
        stack.pop_back();
        stack.push_back(child);
    }
    return true;
    };
    const auto too_many = [&]() {
        CXKIT_THROW(numerical_error, "knapsack: the exact search needed more than max_nodes = " +
                                         std::to_string(options.max_nodes) + " branch-and-bound nodes (" +
                                         std::to_string(m) + " candidate items, " + std::to_string(f) +
                                         " left free after fixing); raise max_nodes to search longer");
    };
    // A first search with a small node budget solves typical instances. If it does not finish
    // and the costs are integers of a small capacity in their unit, a dynamic programme over
    // capacities (Bellman 1957; O(free items × capacity)) gives the optimum's exact impact z*
    // and its least cost w*, and a targeted search finds the first subset in include-first
    // order with exactly (z*, w*) - the same subset the full search would choose.
    const std::uint64_t probe = std::min<std::uint64_t>(options.max_nodes, std::uint64_t{1} << 18);
    if (!search(probe)) {
        constexpr std::uint64_t max_capacity = std::uint64_t{1} << 21, max_work = std::uint64_t{1} << 29;
        const bool dp_ok = cap0 <= U(max_capacity) &&
                           static_cast<std::uint64_t>(f) * prio_to_double(cap0) <= static_cast<double>(max_work);
        if (dp_ok) {
            const std::size_t capn = static_cast<std::size_t>(prio_to_double(cap0));
            std::vector<U> best(capn + 1, U(0));
            for (std::size_t j = 0; j < f; ++j) {
                const std::size_t wj = static_cast<std::size_t>(prio_to_double(fw[j]));
                for (std::size_t c = capn; c >= wj && c + 1 > 0; --c) {
                    const U cand_p = best[c - wj] + fp[j];
                    if (cand_p > best[c]) best[c] = cand_p;
                    if (c == 0) break;
                }
            }
            std::size_t least_c = 0;
            while (best[least_c] != best[capn]) ++least_c;
            const U goal_p = in_p + best[capn], goal_w = in_w + U(least_c);
            if (goal_p > best_p || (goal_p == best_p && goal_w < best_w)) {
                // The greedy incumbent is not the answer: search for the goal from the root.
                targeted = true;
                best_p = goal_p;
                best_w = goal_w;
                z = prio_to_ld(goal_p);
                stack.clear();
                stack.push_back({0, in_p, cap0, 0});
                std::fill(x.begin(), x.end(), std::uint8_t{0});
                if (!search(nodes + options.max_nodes) || !found) too_many();
            }
            // else: the greedy subset has the optimum's impact and least cost, and it is the first
            // subset in include-first order: it is the answer.
        } else if (!search(options.max_nodes)) {
            too_many();
        }
    }
    out.nodes = nodes;
    std::vector<std::size_t> picked;
    U tp = 0, tw = 0;
    for (std::size_t k = 0; k < m; ++k)
        if (fixed[k] == 1) picked.push_back(k);
    tp = best_p;
    tw = best_w;
    for (std::size_t j = 0; j < f; ++j)
        if (best_x[j]) picked.push_back(free_items[j]);
    finish(picked, tp, tw);
    return out;
}

/// The exact branch and bound (see the file comment), on items known to be valid.
inline knapsack_result prio_solve_knapsack(core::span<const double> impacts, core::span<const double> costs,
                                      double budget, const knapsack_options& options) {
    knapsack_result out;
    if (std::isnan(budget)) CXKIT_THROW(invalid_argument, "budget must be a number, got nan");
    if (!(budget > 0.0)) return out;
    // Candidates: positive impact, cost <= budget (exact double comparison).
    std::vector<std::size_t> cand;
    for (std::size_t i = 0; i < impacts.size(); ++i)
        if (impacts[i] > 0.0 && costs[i] <= budget) cand.push_back(i);
    if (cand.empty()) return out;
    // Ratio order: ratio descending, ties by cost descending, then by input position (a strict
    // total order: deterministic). Identical items (equal impact and cost) are then adjacent.
    // The bounds need the order to follow the true ratios to a relative 1e-14: a ratio that
    // underflows or overflows double is computed in long double for every item instead.
    std::vector<long double> ratio(impacts.size());
    bool exotic = false;
    for (std::size_t i : cand) {
        const double r = impacts[i] / costs[i];
        exotic = exotic || !std::isnormal(r);
        ratio[i] = r;
    }
    if (exotic)
        for (std::size_t i : cand) ratio[i] = static_cast<long double>(impacts[i]) / static_cast<long double>(costs[i]);
    std::sort(cand.begin(), cand.end(), [&](std::size_t a, std::size_t b) {
        if (ratio[a] != ratio[b]) return ratio[a] > ratio[b];
        if (costs[a] != costs[b]) return costs[a] > costs[b];
        return a < b;
    });
    const std::size_t m = cand.size();
    std::vector<double> cv(m), pv(m);
    for (std::size_t k = 0; k < m; ++k) {
        cv[k] = costs[cand[k]];
        pv[k] = impacts[cand[k]];
    }
    int cu, pu, cbits, pbits;
    prio_exact_unit(cv, cu, cbits);
    prio_exact_unit(pv, pu, pbits);
    // 128-bit integers when every sum fits (the usual case), else 2240-bit ones (values spanning
    // hundreds of binary orders of magnitude): exact either way, never rounded.
    if (cbits <= prio_max_sum_bits && pbits <= prio_max_sum_bits)
        return prio_search<prio_wide>(cand, cv, pv, budget, options, cu, pu, cbits);
    return prio_search<prio_huge>(cand, cv, pv, budget, options, cu, pu, cbits);
}

}  // namespace detail

/**
 * Exact 0/1 knapsack on real values: the subset of items with the maximum total impact whose
 * total cost is <= budget (METRICS.md §3 "Budget"). Sums are exact (see the file comment);
 * ties: smallest total cost, then first in include-first ratio order.
 * @code
 * std::vector<double> impact{6, 5, 5}, cost{5.5, 4.5, 4.5};
 * auto r = cxkit::knapsack(impact, cost, 9.0);   // r.chosen == {1, 2}, r.total_impact == 10
 * @endcode
 * @param impacts finite, >= 0.   @param costs finite, > 0, same length.
 * @param budget  any number but NaN (+inf: everything with positive impact; <= 0: nothing).
 * @throws invalid_input naming the first bad item; invalid_argument for mismatched lengths or a
 *         NaN budget; numerical_error beyond `options.max_nodes` nodes.
 */
inline knapsack_result knapsack(core::span<const double> impacts, core::span<const double> costs, double budget,
                                const knapsack_options& options = {}) {
    options.validate();
    detail::prio_check_items(impacts, costs);
    return detail::prio_solve_knapsack(impacts, costs, budget, options);
}

/**
 * Frontier membership (METRICS.md §3): flag i is 1 unless some item j has impact_j >= impact_i
 * and cost_j <= cost_i with at least one strict. O(n log n): sort by cost, then an item is on
 * the frontier iff it has the largest impact among the items of its cost and that impact is
 * larger than every impact at a lower cost.
 * @throws invalid_input / invalid_argument as knapsack().
 */
inline std::vector<std::uint8_t> pareto_frontier(core::span<const double> impacts, core::span<const double> costs) {
    detail::prio_check_items(impacts, costs);
    const std::size_t n = impacts.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return costs[a] < costs[b] || (costs[a] == costs[b] && a < b);
    });
    std::vector<std::uint8_t> on(n, 0);
    double best_lower = -1.0;  // largest impact at a strictly lower cost (impacts are >= 0)
    for (std::size_t s = 0; s < n;) {
        std::size_t e = s;
        double top = -1.0;
        while (e < n && costs[order[e]] == costs[order[s]]) top = std::max(top, impacts[order[e++]]);
        if (top > best_lower)
            for (std::size_t k = s; k < e; ++k) on[order[k]] = impacts[order[k]] == top ? 1 : 0;
        best_lower = std::max(best_lower, top);
        s = e;
    }
    return on;
}

/// Median of finite values (mean of the two middle ones for an even count); NaN when empty.
inline double priority_median(core::span<const double> values) {
    std::vector<double> v(values.begin(), values.end());
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    const std::size_t h = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
    const double upper = v[h];
    if (v.size() % 2) return upper;
    const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h));
    return lower + (upper - lower) / 2.0;
}

/// Quadrant of one item: high impact ⟺ impact >= impact_threshold, high cost ⟺ cost >= cost_threshold.
inline priority_quadrant priority_classify(double impact, double cost, double impact_threshold, double cost_threshold) noexcept {
    const bool hi_i = impact >= impact_threshold, hi_c = cost >= cost_threshold;
    return hi_i ? (hi_c ? priority_quadrant::major_project : priority_quadrant::quick_win)
                : (hi_c ? priority_quadrant::thankless : priority_quadrant::fill_in);
}

/**
 * Quadrants of items against thresholds (NaN threshold: the median of that column).
 * @throws invalid_input / invalid_argument as knapsack().
 */
inline std::vector<priority_quadrant> priority_quadrants(core::span<const double> impacts, core::span<const double> costs,
                                       double impact_threshold = std::numeric_limits<double>::quiet_NaN(),
                                       double cost_threshold = std::numeric_limits<double>::quiet_NaN()) {
    detail::prio_check_items(impacts, costs);
    if (std::isnan(impact_threshold)) impact_threshold = priority_median(impacts);
    if (std::isnan(cost_threshold)) cost_threshold = priority_median(costs);
    std::vector<priority_quadrant> q(impacts.size());
    for (std::size_t i = 0; i < q.size(); ++i) q[i] = priority_classify(impacts[i], costs[i], impact_threshold, cost_threshold);
    return q;
}

/// Competition ranks ("1224") of values, largest first: rank = 1 + number of strictly larger values.
inline std::vector<std::uint64_t> priority_rank(core::span<const double> values) {
    const std::size_t n = values.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] > values[b]; });
    std::vector<std::uint64_t> rank(n);
    for (std::size_t k = 0; k < n; ++k)
        rank[order[k]] = (k > 0 && values[order[k]] == values[order[k - 1]]) ? rank[order[k - 1]] : k + 1;
    return rank;
}

/// Options of prioritize().
struct prioritize_options {
    double budget = std::numeric_limits<double>::quiet_NaN();            ///< NaN: no budget selection
    double impact_threshold = std::numeric_limits<double>::quiet_NaN();  ///< NaN: median impact
    double cost_threshold = std::numeric_limits<double>::quiet_NaN();    ///< NaN: median cost
    knapsack_options knapsack;

    /// @throws invalid_argument for an infinite threshold or bad knapsack options.
    void validate() const {
        if (std::isinf(impact_threshold) || std::isinf(cost_threshold))
            CXKIT_THROW(invalid_argument, "thresholds must be finite numbers (or NaN for the median)");
        knapsack.validate();
    }
};

/// The prioritisation table: one entry per valid item, in input order.
struct priority_table {
    std::vector<std::size_t> row;           ///< input position of the item
    std::vector<double> impact, cost, ratio;
    std::vector<std::uint64_t> rank;        ///< by ratio descending, competition ranking
    std::vector<priority_quadrant> quadrant_of;      ///< quadrant of the item
    std::vector<std::uint8_t> on_frontier;  ///< 1 when not dominated
    std::vector<std::uint8_t> selected;     ///< 1 when in the budget selection (all 0 without a budget)
    double impact_threshold = std::numeric_limits<double>::quiet_NaN();
    double cost_threshold = std::numeric_limits<double>::quiet_NaN();
    bool has_budget = false;
    double budget = std::numeric_limits<double>::quiet_NaN();
    double total_impact = std::numeric_limits<double>::quiet_NaN();  ///< of the selection (NaN without budget)
    double total_cost = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t nodes = 0;  ///< knapsack search nodes
    std::uint64_t n = 0, n_missing = 0, n_invalid = 0;
};

/**
 * The whole prioritisation table (METRICS.md §3). A row is missing when its impact or cost is
 * NaN or flagged in a mask (non-zero = missing; either mask may be null); invalid when a value
 * is present but not (finite impact >= 0, finite cost > 0): refused with `invalid_input` naming
 * the first, or dropped and counted per `policy`. n + n_missing + n_invalid == size.
 * Empty input gives an empty table with NaN thresholds and totals.
 */
inline priority_table prioritize(core::span<const double> impacts, core::span<const double> costs,
                                 const prioritize_options& options = {},
                                 core::on_invalid policy = core::on_invalid::raise,
                                 const std::uint8_t* impact_missing = nullptr,
                                 const std::uint8_t* cost_missing = nullptr) {
    options.validate();
    if (impacts.size() != costs.size())
        CXKIT_THROW(invalid_argument, "cost has " + std::to_string(costs.size()) + " values but impact has " +
                                          std::to_string(impacts.size()));
    priority_table t;
    std::uint64_t bad = 0;
    std::size_t first_bad = impacts.size();
    for (std::size_t i = 0; i < impacts.size(); ++i) {
        const double a = impacts[i], c = costs[i];
        if (std::isnan(a) || std::isnan(c) || (impact_missing && impact_missing[i]) || (cost_missing && cost_missing[i])) {
            ++t.n_missing;
            continue;
        }
        if (!detail::prio_valid_impact(a) || !detail::prio_valid_cost(c)) {
            if (bad++ == 0) first_bad = i;
            continue;
        }
        t.row.push_back(i);
        t.impact.push_back(a);
        t.cost.push_back(c);
    }
    if (bad && policy == core::on_invalid::raise) {
        if (!detail::prio_valid_impact(impacts[first_bad]))
            detail::prio_throw_bad_item(first_bad, "impact", impacts[first_bad], detail::prio_expected_impact, bad);
        detail::prio_throw_bad_item(first_bad, "cost", costs[first_bad], detail::prio_expected_cost, bad);
    }
    t.n_invalid = bad;
    t.n = t.row.size();
    const std::size_t n = t.row.size();
    t.ratio.resize(n);
    for (std::size_t k = 0; k < n; ++k) t.ratio[k] = t.impact[k] / t.cost[k];
    t.rank = priority_rank(t.ratio);
    t.impact_threshold = std::isnan(options.impact_threshold) ? priority_median(t.impact) : options.impact_threshold;
    t.cost_threshold = std::isnan(options.cost_threshold) ? priority_median(t.cost) : options.cost_threshold;
    t.quadrant_of.resize(n);
    for (std::size_t k = 0; k < n; ++k)
        t.quadrant_of[k] = priority_classify(t.impact[k], t.cost[k], t.impact_threshold, t.cost_threshold);
    t.on_frontier = pareto_frontier(t.impact, t.cost);
    t.selected.assign(n, 0);
    if (!std::isnan(options.budget)) {
        t.has_budget = true;
        t.budget = options.budget;
        const knapsack_result r = detail::prio_solve_knapsack(t.impact, t.cost, options.budget, options.knapsack);
        for (std::size_t k : r.chosen) t.selected[k] = 1;
        t.total_impact = r.total_impact;
        t.total_cost = r.total_cost;
        t.nodes = r.nodes;
    }
    return t;
}

/// How often each item is on the frontier / selected across bootstrap replicates of the impacts.
struct stability_result {
    std::vector<double> frontier_share;  ///< per table item: share of used replicates on the frontier
    std::vector<double> selected_share;  ///< per table item: share selected (empty without budget)
    std::uint64_t n_replicates = 0;      ///< replicates used
    std::uint64_t n_dropped = 0;         ///< replicates left out (a NaN impact for a table item)
};

/**
 * Bootstrap stability of a prioritisation: for each replicate b (a row of `replicates`, one
 * column per INPUT row of the table, i.e. indexed by `table.row`), the frontier (and, when the
 * table has a budget, the exact knapsack selection) is recomputed with the replicate's impacts
 * and the table's costs; the shares are over the replicates used. A replicate with a NaN impact
 * for any table item is left out and counted (the statistic is undefined on that resample, as in
 * stats::summarize_replicates); all shares are NaN when none is left.
 * @param threads 0 = all hardware threads; never changes the result.
 * @throws invalid_argument if the matrix has fewer columns than the table's largest row + 1;
 *         invalid_input for a negative or infinite replicate impact (naming replicate and column);
 *         numerical_error as knapsack().
 */
inline stability_result replicate_stability(const priority_table& table, const core::matrix_view<double>& replicates,
                                            const knapsack_options& options = {}, unsigned threads = 1) {
    options.validate();
    const std::size_t n = table.row.size();
    if (n && replicates.cols <= table.row.back())
        CXKIT_THROW(invalid_argument, "impact_replicates has " + std::to_string(replicates.cols) +
                                          " columns but the data has at least " + std::to_string(table.row.back() + 1) +
                                          " rows");
    const std::size_t B = replicates.rows;
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t k = 0; k < n; ++k) {
            const double v = replicates(b, table.row[k]);
            if (!std::isnan(v) && !detail::prio_valid_impact(v))
                CXKIT_THROW(invalid_input, "invalid impact replicate at replicate " + std::to_string(b) + ", row " +
                                               std::to_string(table.row[k]) + ": " + core::format_value(v) +
                                               " (expected " + detail::prio_expected_impact + " or NaN)");
        }
    // Cost order once (the costs do not change between replicates).
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) {
        return table.cost[a] < table.cost[c] || (table.cost[a] == table.cost[c] && a < c);
    });
    const bool sel = table.has_budget;
    unsigned t = threads == 0 ? core::hardware_threads() : threads;
    t = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(t, B)));
    std::vector<std::vector<std::uint64_t>> front_counts(t, std::vector<std::uint64_t>(n, 0)),
        sel_counts(t, std::vector<std::uint64_t>(sel ? n : 0, 0));
    std::vector<std::uint64_t> used_by(t, 0);
    core::parallel_chunks(B, t, [&](unsigned th, std::size_t begin, std::size_t end) {
        std::vector<double> imp(n);
        for (std::size_t b = begin; b < end; ++b) {
            bool ok = true;
            for (std::size_t k = 0; k < n && ok; ++k) {
                imp[k] = replicates(b, table.row[k]);
                ok = !std::isnan(imp[k]);
            }
            if (!ok) continue;
            ++used_by[th];
            double best_lower = -1.0;
            for (std::size_t s = 0; s < n;) {
                std::size_t e = s;
                double top = -1.0;
                while (e < n && table.cost[order[e]] == table.cost[order[s]]) top = std::max(top, imp[order[e++]]);
                if (top > best_lower)
                    for (std::size_t k = s; k < e; ++k) front_counts[th][order[k]] += imp[order[k]] == top ? 1 : 0;
                best_lower = std::max(best_lower, top);
                s = e;
            }
            if (sel) {
                const knapsack_result r = detail::prio_solve_knapsack(imp, table.cost, table.budget, options);
                for (std::size_t k : r.chosen) ++sel_counts[th][k];
            }
        }
    });
    stability_result out;
    for (unsigned th = 0; th < t; ++th) out.n_replicates += used_by[th];
    out.n_dropped = B - out.n_replicates;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double denom = static_cast<double>(out.n_replicates);
    out.frontier_share.assign(n, out.n_replicates ? 0.0 : nan);
    if (sel) out.selected_share.assign(n, out.n_replicates ? 0.0 : nan);
    if (out.n_replicates)
        for (std::size_t k = 0; k < n; ++k) {
            std::uint64_t fc = 0, sc = 0;
            for (unsigned th = 0; th < t; ++th) {
                fc += front_counts[th][k];
                if (sel) sc += sel_counts[th][k];
            }
            out.frontier_share[k] = static_cast<double>(fc) / denom;
            if (sel) out.selected_share[k] = static_cast<double>(sc) / denom;
        }
    return out;
}

/**
 * Kano-based impact per feature (METRICS.md §3): better_weight · Better + worse_weight · |Worse|
 * (Better = (A + O)/N', Worse = −(O + M)/N', Berger et al. 1993). A NaN Better or Worse (a
 * feature without valid answers) gives NaN. Better must lie in [0, 1] and |Worse| in [0, 1].
 * @throws invalid_argument for mismatched lengths or a weight that is negative or not finite;
 *         invalid_input for a coefficient out of range (naming the position).
 */
inline std::vector<double> kano_impact(core::span<const double> better, core::span<const double> worse,
                                       double better_weight = 1.0, double worse_weight = 1.0) {
    if (better.size() != worse.size())
        CXKIT_THROW(invalid_argument, "worse has " + std::to_string(worse.size()) + " values but better has " +
                                          std::to_string(better.size()));
    if (!(better_weight >= 0.0 && std::isfinite(better_weight)))
        CXKIT_THROW(invalid_argument, "better_weight must be a finite number >= 0, got " + core::format_value(better_weight));
    if (!(worse_weight >= 0.0 && std::isfinite(worse_weight)))
        CXKIT_THROW(invalid_argument, "worse_weight must be a finite number >= 0, got " + core::format_value(worse_weight));
    std::vector<double> out(better.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        const double b = better[i], w = worse[i];
        if (std::isnan(b) || std::isnan(w)) {
            out[i] = std::numeric_limits<double>::quiet_NaN();
            continue;
        }
        if (!(b >= 0.0 && b <= 1.0))
            CXKIT_THROW(invalid_input, "invalid better at position " + std::to_string(i) + ": " + core::format_value(b) +
                                           " (expected a number in [0, 1])");
        if (!(std::fabs(w) <= 1.0))
            CXKIT_THROW(invalid_input, "invalid worse at position " + std::to_string(i) + ": " + core::format_value(w) +
                                           " (expected a number in [-1, 0] (or its absolute value))");
        out[i] = better_weight * b + worse_weight * std::fabs(w);
    }
    return out;
}

}  // namespace product

using product::knapsack;
using product::knapsack_options;
using product::knapsack_result;
using product::pareto_frontier;
using product::priority_table;
using product::prioritize_options;
using product::kano_impact;
using product::prioritize;
using product::priority_quadrant;
using product::priority_quadrants;
using product::replicate_stability;
using product::stability_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_PRODUCT_PRIORITIZE_HPP
