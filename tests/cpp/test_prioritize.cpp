// Tests of <cxkit/product/prioritize.hpp>: impact-cost prioritisation (METRICS.md §3).
// Oracles, all written here independently of the header:
// - the knapsack against brute-force enumeration of every subset with exact rational sums
//   (boost::multiprecision::cpp_rational), applying the documented rule: maximum impact, then
//   minimum cost, then include-first in ratio order; random instances with ties, zero impacts,
//   costs above the budget and full-precision real values;
// - hand-built cases where rounding (to cents, to integers, or naive double summation) picks a
//   wrong subset;
// - 2,000-item instances with integer costs against a textbook dynamic programme over capacities;
// - the frontier against the O(n^2) definition; quadrants, medians and ranks by hand;
// - bootstrap stability against per-replicate recomputation with the brute-force oracles.
#include <cxkit/product/prioritize.hpp>

#include <boost/multiprecision/cpp_int.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

using rational = boost::multiprecision::cpp_rational;
using cxkit::core::on_invalid;
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

struct oracle_choice {
    std::vector<std::size_t> chosen;
    rational impact, cost;
};

// Brute force over all subsets with exact sums; the documented order of preference.
oracle_choice brute_force_knapsack(const std::vector<double>& impact, const std::vector<double>& cost, double budget) {
    const std::size_t n = impact.size();
    std::vector<std::size_t> order(n);  // ratio descending, ties by cost descending, then position
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double ra = impact[a] / cost[a], rb = impact[b] / cost[b];
        return ra > rb || (ra == rb && cost[a] > cost[b]);
    });
    std::vector<rational> ri(n), rc(n);
    for (std::size_t i = 0; i < n; ++i) {
        ri[i] = rational(impact[i]);
        rc[i] = rational(cost[i]);
    }
    const rational rb(budget);
    bool have = false;
    rational best_i, best_c;
    std::uint64_t best_key = 0;
    std::uint64_t best_mask = 0;
    for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << n); ++mask) {
        rational si = 0, sc = 0;
        std::uint64_t key = 0;  // items in ratio order, the first as the most significant bit
        for (std::size_t k = 0; k < n; ++k) {
            key <<= 1;
            if (mask >> order[k] & 1u) {
                si += ri[order[k]];
                sc += rc[order[k]];
                key |= 1u;
            }
        }
        if (sc > rb) continue;
        const bool better = !have || si > best_i || (si == best_i && (sc < best_c || (sc == best_c && key > best_key)));
        if (better) {
            have = true;
            best_i = si;
            best_c = sc;
            best_key = key;
            best_mask = mask;
        }
    }
    oracle_choice out;
    for (std::size_t i = 0; i < n; ++i)
        if (best_mask >> i & 1u) out.chosen.push_back(i);
    out.impact = best_i;
    out.cost = best_c;
    return out;
}

std::vector<std::uint8_t> brute_force_frontier(const std::vector<double>& impact, const std::vector<double>& cost) {
    std::vector<std::uint8_t> on(impact.size(), 1);
    for (std::size_t i = 0; i < impact.size(); ++i)
        for (std::size_t j = 0; j < impact.size(); ++j)
            if (j != i && impact[j] >= impact[i] && cost[j] <= cost[i] && (impact[j] > impact[i] || cost[j] < cost[i]))
                on[i] = 0;
    return on;
}

// Textbook 0/1 knapsack DP over integer capacities 0..C: best[c] = max impact with cost <= c.
struct dp_answer {
    long long impact;
    long long min_cost;  // smallest total cost reaching that impact
};
dp_answer dp_knapsack(const std::vector<long long>& impact, const std::vector<long long>& cost, long long C) {
    std::vector<long long> best(static_cast<std::size_t>(C) + 1, 0);
    for (std::size_t i = 0; i < impact.size(); ++i)
        for (long long c = C; c >= cost[i]; --c)
            best[static_cast<std::size_t>(c)] =
                std::max(best[static_cast<std::size_t>(c)], best[static_cast<std::size_t>(c - cost[i])] + impact[i]);
    long long c = 0;
    while (best[static_cast<std::size_t>(c)] != best[static_cast<std::size_t>(C)]) ++c;
    return {best[static_cast<std::size_t>(C)], c};
}

rational exact_sum(const std::vector<double>& v, const std::vector<std::size_t>& idx) {
    rational s = 0;
    for (std::size_t i : idx) s += rational(v[i]);
    return s;
}

}  // namespace

TEST_CASE("prioritize: knapsack on a hand-built instance, the greedy choice is not optimal") {
    // greedy by ratio takes item 0 (6/5.5 > 5/4.5? no: 1.0909 < 1.1111) - items 1 and 2 (ratio
    // 1.111) fill 9.0 exactly for 10; item 0 alone gives 6.
    const std::vector<double> impact{6, 5, 5}, cost{5.5, 4.5, 4.5};
    const auto r = cxkit::knapsack(impact, cost, 9.0);
    CHECK(r.chosen == std::vector<std::size_t>{1, 2});
    CHECK(r.total_impact == 10.0);
    CHECK(r.total_cost == 9.0);
    // A budget of 10: {0, 1} costs 10 for 11, better than {1, 2}.
    const auto r2 = cxkit::knapsack(impact, cost, 10.0);
    CHECK(r2.chosen == std::vector<std::size_t>{0, 1});
    CHECK(r2.total_impact == 11.0);
}

TEST_CASE("prioritize: knapsack edge cases - empty, budget <= 0, cost above budget, zero impacts, infinite budget") {
    const std::vector<double> none;
    CHECK(cxkit::knapsack(none, none, 10.0).chosen.empty());
    const std::vector<double> impact{3, 0, 2, 9}, cost{1, 0.5, 1, 100};
    CHECK(cxkit::knapsack(impact, cost, 0.0).chosen.empty());
    CHECK(cxkit::knapsack(impact, cost, -5.0).chosen.empty());
    CHECK(cxkit::knapsack(impact, cost, -inf_v).chosen.empty());
    // cost 100 > 99.9: never chosen although its impact is the largest
    const auto r = cxkit::knapsack(impact, cost, 99.9);
    CHECK(r.chosen == std::vector<std::size_t>{0, 2});  // the zero-impact item is not taken
    CHECK(r.total_cost == 2.0);
    const auto all = cxkit::knapsack(impact, cost, inf_v);
    CHECK(all.chosen == std::vector<std::size_t>{0, 2, 3});
    CHECK(all.total_impact == 14.0);
    CHECK(all.total_cost == 102.0);
    const auto huge = cxkit::knapsack(impact, cost, 1e308);
    CHECK(huge.chosen == std::vector<std::size_t>{0, 2, 3});
    CHECK_THROWS_AS(cxkit::knapsack(impact, cost, nan_v), cxkit::invalid_argument);
}

TEST_CASE("prioritize: exact sums - ten costs of 0.1 do not fit a budget of 1.0") {
    // The exact sum of ten doubles 0.1 is 1.0000000000000000555 > 1.0, although naive double
    // summation gives 0.9999999999999999 and rounding to cents gives 1.00: only nine fit.
    const std::vector<double> impact(10, 1.0), cost(10, 0.1);
    double naive = 0.0;
    for (double c : cost) naive += c;
    REQUIRE(naive <= 1.0);  // the trap: naive summation would accept all ten
    rational exact = 0;
    for (double c : cost) exact += rational(c);
    REQUIRE(exact > rational(1.0));
    const auto r = cxkit::knapsack(impact, cost, 1.0);
    CHECK(r.chosen.size() == 9);
    CHECK(r.chosen == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});  // ties: first in ratio order
    CHECK(r.total_impact == 9.0);
}

TEST_CASE("prioritize: exact sums - rounding costs to cents or to integers would pick a wrong subset") {
    // 0.1 + 0.2 (doubles) exceeds 0.3 (double) exactly; rounded to cents it is 0.30 <= 0.30.
    {
        const std::vector<double> impact{2, 2, 3}, cost{0.1, 0.2, 0.3};
        REQUIRE(rational(0.1) + rational(0.2) > rational(0.3));
        const auto r = cxkit::knapsack(impact, cost, 0.3);
        CHECK(r.chosen == std::vector<std::size_t>{2});  // {0, 1} (impact 4) does not fit
        CHECK(r.total_impact == 3.0);
        const auto o = brute_force_knapsack(impact, cost, 0.3);
        CHECK(o.chosen == r.chosen);
    }
    // Integer rounding: 1.4 + 1.6 = 3.0 > 2.9 although round(1.4) + round(1.6) = 3 <= round(2.9) = 3.
    {
        const std::vector<double> impact{5, 5, 6}, cost{1.4, 1.6, 2.9};
        const auto r = cxkit::knapsack(impact, cost, 2.9);
        CHECK(r.chosen == std::vector<std::size_t>{2});
        CHECK(r.total_impact == 6.0);
    }
    // Impacts that differ in the last bit: the exact comparison sees 0.1 + 0.2 > 0.3.
    {
        const std::vector<double> impact{0.1, 0.2, 0.3}, cost{1, 1, 2};
        const auto r = cxkit::knapsack(impact, cost, 2.0);
        CHECK(r.chosen == std::vector<std::size_t>{0, 1});
        const auto o = brute_force_knapsack(impact, cost, 2.0);
        CHECK(o.chosen == r.chosen);
    }
}

TEST_CASE("prioritize: knapsack against brute force on random instances with ties and real values") {
    std::mt19937_64 rng(20261122);
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t n = 1 + static_cast<std::size_t>(rng() % 12);
        std::vector<double> impact(n), cost(n);
        const int kind = trial % 4;
        for (std::size_t i = 0; i < n; ++i) {
            if (kind == 0) {  // small integers: many exact ties and zero impacts
                impact[i] = static_cast<double>(rng() % 4);
                cost[i] = static_cast<double>(1 + rng() % 4);
            } else if (kind == 1) {  // dyadic eighths
                impact[i] = static_cast<double>(rng() % 20) / 8.0;
                cost[i] = static_cast<double>(1 + rng() % 20) / 8.0;
            } else if (kind == 2) {  // full-precision reals over several orders of magnitude
                impact[i] = std::ldexp(static_cast<double>(rng() >> 11), -53) * std::pow(10.0, static_cast<double>(rng() % 4));
                cost[i] = (std::ldexp(static_cast<double>(rng() >> 11), -53) + 1e-3) * std::pow(10.0, static_cast<double>(rng() % 3));
            } else {  // decimals with two digits (the cents trap)
                impact[i] = static_cast<double>(rng() % 1000) / 100.0;
                cost[i] = static_cast<double>(1 + rng() % 1000) / 100.0;
            }
        }
        double total = 0;
        for (double c : cost) total += c;
        const double budgets[] = {total * 0.3, total * 0.5, total * 0.8, cost[0], 0.5 * cost[0]};
        for (double budget : budgets) {
            const auto r = cxkit::knapsack(impact, cost, budget);
            const auto o = brute_force_knapsack(impact, cost, budget);
            INFO("trial " << trial << " n " << n << " budget " << budget);
            CHECK(r.chosen == o.chosen);
            CHECK(exact_sum(cost, r.chosen) <= rational(budget));
            CHECK(r.total_impact == static_cast<double>(o.impact));
            CHECK(r.total_cost == static_cast<double>(o.cost));
        }
    }
}

TEST_CASE("prioritize: 2000 items with integer costs against the capacity dynamic programme") {
    std::mt19937_64 rng(7);
    for (int kind = 0; kind < 2; ++kind) {
        const std::size_t n = 2000;
        std::vector<long long> ci(n), pi(n);
        std::vector<double> cost(n), impact(n);
        long long total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            ci[i] = 1 + static_cast<long long>(rng() % 100);
            // uncorrelated, then weakly correlated (impact = cost +- 10, at least 1)
            pi[i] = kind == 0 ? 1 + static_cast<long long>(rng() % 100)
                              : std::max(1LL, ci[i] + static_cast<long long>(rng() % 21) - 10);
            cost[i] = static_cast<double>(ci[i]);
            impact[i] = static_cast<double>(pi[i]);
            total += ci[i];
        }
        const long long C = total / 2;
        const auto r = cxkit::knapsack(impact, cost, static_cast<double>(C));
        const auto d = dp_knapsack(pi, ci, C);
        INFO("kind " << kind << " nodes " << r.nodes << " free " << r.n_free);
        CHECK(r.total_impact == static_cast<double>(d.impact));
        CHECK(r.total_cost == static_cast<double>(d.min_cost));
        long long si = 0, sc = 0;
        for (std::size_t i : r.chosen) {
            si += pi[i];
            sc += ci[i];
        }
        CHECK(si == d.impact);
        CHECK(sc == d.min_cost);
    }
}

TEST_CASE("prioritize: 5000 real-valued items are solved, feasible, and no better than the LP bound") {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(1.0, 1000.0), d(-100.0, 100.0);
    for (int kind = 0; kind < 2; ++kind) {
        const std::size_t n = 5000;
        std::vector<double> cost(n), impact(n);
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            cost[i] = u(rng);
            impact[i] = kind == 0 ? u(rng) : std::max(1.0, cost[i] + d(rng));
            total += cost[i];
        }
        const double budget = total / 2;
        const auto r = cxkit::knapsack(impact, cost, budget);
        CHECK(exact_sum(cost, r.chosen) <= rational(budget));
        // LP relaxation (the Dantzig bound) >= optimum >= greedy
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return impact[a] / cost[a] > impact[b] / cost[b]; });
        double cap = budget, lp = 0, greedy = 0, gcap = budget;
        for (std::size_t i : order) {
            if (cost[i] <= cap) {
                cap -= cost[i];
                lp += impact[i];
            } else if (cap > 0) {
                lp += impact[i] * cap / cost[i];
                cap = 0;
            }
            if (cost[i] <= gcap) {
                gcap -= cost[i];
                greedy += impact[i];
            }
        }
        CHECK(r.total_impact <= lp * (1 + 1e-12));
        CHECK(r.total_impact >= greedy * (1 - 1e-12));
    }
}

TEST_CASE("prioritize: strongly correlated integer instances go through the capacity DP, same choice as brute force") {
    // impact = cost + 10 with integer costs: hard for branch and bound, easy for the DP
    std::mt19937_64 rng(23);
    for (int trial = 0; trial < 3; ++trial) {
        const std::size_t n = 1500;
        std::vector<long long> ci(n), pi(n);
        std::vector<double> cost(n), impact(n);
        long long total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            ci[i] = 1 + static_cast<long long>(rng() % 100);
            pi[i] = ci[i] + 10;
            cost[i] = static_cast<double>(ci[i]);
            impact[i] = static_cast<double>(pi[i]);
            total += ci[i];
        }
        const long long C = total / 2 + trial;
        const auto r = cxkit::knapsack(impact, cost, static_cast<double>(C));
        const auto d = dp_knapsack(pi, ci, C);
        CHECK(r.total_impact == static_cast<double>(d.impact));
        CHECK(r.total_cost == static_cast<double>(d.min_cost));
    }
    // A tiny node budget forces the DP and the targeted search on small instances: the chosen
    // subset must still be the documented one (brute force), ties included.
    cxkit::knapsack_options o;
    o.max_nodes = 2;
    int solved = 0;
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t n = 2 + static_cast<std::size_t>(rng() % 11);
        std::vector<double> impact(n), cost(n);
        for (std::size_t i = 0; i < n; ++i) {
            cost[i] = static_cast<double>(1 + rng() % 6);
            impact[i] = trial % 2 ? cost[i] + 2.0 : static_cast<double>(rng() % 5) / 4.0;
        }
        double total = 0;
        for (double c : cost) total += c;
        const double budget = std::floor(total * 0.5);
        INFO("trial " << trial);
        try {
            const auto r = cxkit::knapsack(impact, cost, budget, o);
            const auto b = brute_force_knapsack(impact, cost, budget);
            CHECK(r.chosen == b.chosen);
            ++solved;
        } catch (const cxkit::numerical_error& e) {
            // the targeted search itself may need more than 2 nodes: then it must say so
            CHECK(std::string(e.what()).find("max_nodes = 2 ") != std::string::npos);
        }
    }
    MESSAGE("solved with max_nodes = 2: " << solved << " of 200");
    CHECK(solved >= 100);
}

TEST_CASE("prioritize: the node limit refuses a hard instance with a clear error") {
    // strongly correlated: impact = cost + 100 - many near-optimal subsets
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(1.0, 1000.0);
    std::vector<double> cost(300), impact(300);
    double total = 0;
    for (std::size_t i = 0; i < cost.size(); ++i) {
        cost[i] = u(rng);
        impact[i] = cost[i] + 100.0;
        total += cost[i];
    }
    cxkit::knapsack_options o;
    o.max_nodes = 10000;
    try {
        (void)cxkit::knapsack(impact, cost, total / 2, o);
        FAIL("expected numerical_error");
    } catch (const cxkit::numerical_error& e) {
        CHECK(std::string(e.what()).find("max_nodes = 10000") != std::string::npos);
    }
    o.max_nodes = 0;
    CHECK_THROWS_AS(cxkit::knapsack(impact, cost, total / 2, o), cxkit::invalid_argument);
}

TEST_CASE("prioritize: values spanning hundreds of binary orders of magnitude are still exact") {
    // exact sums need about 250 bits here: the 2240-bit path, checked against brute force
    const std::vector<double> impact{1, 1e-200 * 1.2345678901234567, 3e-150, 0.7}, cost{1.2345678901234567e-30, 1.2345678901234567e30, 2.5, 1e-300};
    for (double budget : {1e31, 1e30, 3.0, 2.5, 1e-30, 1.3e-30}) {
        const auto r = cxkit::knapsack(impact, cost, budget);
        const auto o = brute_force_knapsack(impact, cost, budget);
        INFO("budget " << budget);
        CHECK(r.chosen == o.chosen);
        CHECK(r.total_impact == static_cast<double>(o.impact));
        CHECK(r.total_cost == static_cast<double>(o.cost));
    }
    // 1 + 2^-60 + 2^-60 fits 1 + 2^-52 but not 1 (naive double sums would give 1 for both)
    const std::vector<double> imp2{3, 1, 1}, cost2{1.0, std::ldexp(1.0, -60), std::ldexp(1.0, -60)};
    REQUIRE(1.0 + std::ldexp(1.0, -60) + std::ldexp(1.0, -60) == 1.0);
    CHECK(cxkit::knapsack(imp2, cost2, 1.0 + std::ldexp(1.0, -52)).chosen == std::vector<std::size_t>{0, 1, 2});
    CHECK(cxkit::knapsack(imp2, cost2, 1.0).chosen == std::vector<std::size_t>{0});
}

TEST_CASE("prioritize: knapsack refuses invalid items naming position and value") {
    const std::vector<double> impact{1, -2, 3}, cost{1, 1, 0};
    try {
        (void)cxkit::knapsack(impact, cost, 5.0);
        FAIL("expected invalid_input");
    } catch (const cxkit::invalid_input& e) {
        const std::string m = e.what();
        CHECK(m.find("invalid impact at position 1: -2") != std::string::npos);
        CHECK(m.find("2 invalid rows") != std::string::npos);
    }
    const std::vector<double> short_cost{1, 1};
    CHECK_THROWS_AS(cxkit::knapsack(impact, short_cost, 5.0), cxkit::invalid_argument);
}

TEST_CASE("prioritize: frontier against the definition, with ties and duplicates") {
    {
        // (impact, cost): A(5,2) B(5,2) duplicate: both on; C(4,2) dominated; D(6,3) on; E(6,4) off; F(1,1) on
        const std::vector<double> impact{5, 5, 4, 6, 6, 1}, cost{2, 2, 2, 3, 4, 1};
        CHECK(cxkit::pareto_frontier(impact, cost) == std::vector<std::uint8_t>{1, 1, 0, 1, 0, 1});
    }
    std::mt19937_64 rng(5);
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t n = 1 + rng() % 25;
        std::vector<double> impact(n), cost(n);
        for (std::size_t i = 0; i < n; ++i) {
            impact[i] = static_cast<double>(rng() % 6);
            cost[i] = static_cast<double>(1 + rng() % 6);
        }
        CHECK(cxkit::pareto_frontier(impact, cost) == brute_force_frontier(impact, cost));
    }
}

TEST_CASE("prioritize: quadrants, medians and ranks by hand") {
    // impacts 1 2 3 4 (median 2.5), costs 10 20 30 40 (median 25)
    const std::vector<double> impact{4, 1, 3, 2}, cost{10, 40, 30, 20};
    using q = cxkit::priority_quadrant;
    CHECK(cxkit::priority_quadrants(impact, cost) ==
          std::vector<q>{q::quick_win, q::thankless, q::major_project, q::fill_in});
    // at the threshold counts as high
    CHECK(cxkit::priority_quadrants(impact, cost, 3.0, 30.0) ==
          std::vector<q>{q::quick_win, q::thankless, q::major_project, q::fill_in});
    CHECK(cxkit::priority_quadrants(impact, cost, 4.0, 10.0) ==
          std::vector<q>{q::major_project, q::thankless, q::thankless, q::thankless});
    CHECK(std::string(cxkit::product::to_string(q::fill_in)) == "fill_in");
    const std::vector<double> odd{5, 1, 3};
    CHECK(cxkit::product::priority_median(odd) == 3.0);
    CHECK(cxkit::product::priority_median(impact) == 2.5);
    CHECK(std::isnan(cxkit::product::priority_median(std::vector<double>{})));
    const std::vector<double> ratios{0.5, 2.0, 0.5, 1.0, 2.0};
    CHECK(cxkit::product::priority_rank(ratios) == std::vector<std::uint64_t>{4, 1, 4, 3, 1});
}

TEST_CASE("prioritize: the table - missing and invalid rows, thresholds, selection") {
    const std::vector<double> impact{0.9, nan_v, 0.3, 0.5, -1.0, 0.8}, cost{8, 1, 1, 2, 1, 5};
    CHECK_THROWS_WITH_AS(cxkit::prioritize(impact, cost), doctest::Contains("invalid impact at position 4: -1"),
                         cxkit::invalid_input);
    cxkit::prioritize_options o;
    o.budget = 7.5;
    const auto t = cxkit::prioritize(impact, cost, o, on_invalid::drop);
    CHECK(t.n == 4);
    CHECK(t.n_missing == 1);
    CHECK(t.n_invalid == 1);
    CHECK(t.row == std::vector<std::size_t>{0, 2, 3, 5});
    CHECK(t.impact_threshold == doctest::Approx(0.65));
    CHECK(t.cost_threshold == 3.5);
    CHECK(t.ratio[0] == 0.9 / 8);
    CHECK(t.rank == std::vector<std::uint64_t>{4, 1, 2, 3});
    using q = cxkit::priority_quadrant;
    CHECK(t.quadrant_of == std::vector<q>{q::major_project, q::fill_in, q::fill_in, q::major_project});
    CHECK(t.on_frontier == std::vector<std::uint8_t>{1, 1, 1, 1});
    // budget 7.5: {0.3, 0.8} cost 6 (1.1) vs {0.3, 0.5} cost 3 (0.8), {0.5, 0.8} cost 7 (1.3)
    CHECK(t.selected == std::vector<std::uint8_t>{0, 0, 1, 1});
    CHECK(t.total_impact == 0.5 + 0.8);
    CHECK(t.total_cost == 7.0);
    // missing masks and the empty table
    const std::uint8_t mask[] = {0, 0, 1, 0, 0, 0};
    const auto tm = cxkit::prioritize(impact, cost, {}, on_invalid::drop, mask, nullptr);
    CHECK(tm.n_missing == 2);
    CHECK(!tm.has_budget);
    CHECK(std::isnan(tm.total_impact));
    const std::vector<double> none;
    const auto e = cxkit::prioritize(none, none, o);
    CHECK(e.n == 0);
    CHECK(std::isnan(e.impact_threshold));
    CHECK(e.total_impact == 0.0);
}

TEST_CASE("prioritize: bootstrap stability against per-replicate recomputation") {
    std::mt19937_64 rng(17);
    const std::size_t n = 7, B = 40;
    std::vector<double> impact(n), cost(n);
    for (std::size_t i = 0; i < n; ++i) {
        impact[i] = static_cast<double>(rng() % 10) / 4.0;
        cost[i] = static_cast<double>(1 + rng() % 8);
    }
    // one extra input row (position 3) is missing: the replicate columns follow input rows
    std::vector<double> imp_in = impact, cost_in = cost;
    imp_in.insert(imp_in.begin() + 3, nan_v);
    cost_in.insert(cost_in.begin() + 3, 1.0);
    std::vector<double> reps(B * (n + 1));
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < n + 1; ++j) reps[b * (n + 1) + j] = static_cast<double>(rng() % 10) / 4.0;
    reps[5 * (n + 1) + 3] = nan_v;  // NaN in the missing row's column: not used, replicate kept
    reps[7 * (n + 1) + 0] = nan_v;  // NaN for a used item: replicate 7 dropped
    cxkit::prioritize_options o;
    o.budget = 9.0;
    const auto t = cxkit::prioritize(imp_in, cost_in, o);
    const auto view = cxkit::matrix_view<double>::row_major(reps.data(), B, n + 1);
    for (unsigned threads : {1u, 3u}) {
        const auto s = cxkit::replicate_stability(t, view, {}, threads);
        CHECK(s.n_replicates == B - 1);
        CHECK(s.n_dropped == 1);
        std::vector<double> front(n, 0), sel(n, 0);
        for (std::size_t b = 0; b < B; ++b) {
            if (b == 7) continue;
            std::vector<double> imp(n);
            for (std::size_t k = 0; k < n; ++k) imp[k] = reps[b * (n + 1) + t.row[k]];
            const auto f = brute_force_frontier(imp, cost);
            const auto ch = brute_force_knapsack(imp, cost, 9.0);
            for (std::size_t k = 0; k < n; ++k) front[k] += f[k];
            for (std::size_t k : ch.chosen) sel[k] += 1;
        }
        for (std::size_t k = 0; k < n; ++k) {
            CHECK(s.frontier_share[k] == front[k] / static_cast<double>(B - 1));
            CHECK(s.selected_share[k] == sel[k] / static_cast<double>(B - 1));
        }
    }
    std::vector<double> bad = reps;
    bad[2 * (n + 1) + 1] = -0.5;
    CHECK_THROWS_AS(cxkit::replicate_stability(t, cxkit::matrix_view<double>::row_major(bad.data(), B, n + 1)),
                    cxkit::invalid_input);
    CHECK_THROWS_AS(cxkit::replicate_stability(t, cxkit::matrix_view<double>::row_major(reps.data(), B, 3)),
                    cxkit::invalid_argument);
}

TEST_CASE("prioritize: kano_impact is better_weight * Better + worse_weight * |Worse|") {
    const std::vector<double> better{0.8, 0.2, nan_v, 0.0}, worse{-0.1, -0.7, -0.5, 0.0};
    const auto a = cxkit::kano_impact(better, worse);
    CHECK(a[0] == 0.8 + 0.1);
    CHECK(a[1] == 0.2 + 0.7);
    CHECK(std::isnan(a[2]));
    CHECK(a[3] == 0.0);
    const auto b = cxkit::kano_impact(better, worse, 2.0, 0.5);
    CHECK(b[1] == 2.0 * 0.2 + 0.5 * 0.7);
    CHECK_THROWS_AS(cxkit::kano_impact(better, worse, -1.0, 1.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::kano_impact(better, std::vector<double>{-0.1}), cxkit::invalid_argument);
    const std::vector<double> out_of_range{1.5};
    CHECK_THROWS_AS(cxkit::kano_impact(out_of_range, std::vector<double>{-0.1}), cxkit::invalid_input);
}
