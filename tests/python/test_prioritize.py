"""cx.prioritize and cx.kano_impact (METRICS.md §3 "Impact-cost prioritisation").

Oracles, all independent of cxkit:
- the budget selection against brute force over every subset (itertools) with exact sums
  (fractions.Fraction), applying the documented preference: maximum impact, then minimum cost,
  then include-first in ratio order (ratio descending, ties by cost descending, then row order);
- hand-built cases where rounding (to cents, naive float summation) would pick a wrong subset;
- 3,000-item instances with integer costs against a numpy dynamic programme over capacities;
- the frontier against the O(n^2) definition; medians vs numpy; ranks vs pandas; quadrants by
  hand; bootstrap shares against per-replicate brute force on hand-made replicate matrices;
- kano_impact against the formula; every bad-input class of ARCHITECTURE §3.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import math
import re
from fractions import Fraction

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxkit as cx

prioritize_module = importlib.import_module("cxkit.prioritize")

# --------------------------------------------------------------------------------------------------
# oracles


def brute_force(impact, cost, budget):
    """The documented choice by enumeration: (chosen positions, exact impact, exact cost)."""
    n = len(impact)
    order = sorted(range(n), key=lambda i: (-(impact[i] / cost[i]), -cost[i], i))
    fb = Fraction(budget)
    best = None
    for r in range(n + 1):
        for subset in itertools.combinations(range(n), r):
            c = sum((Fraction(cost[i]) for i in subset), Fraction(0))
            if c > fb:
                continue
            p = sum((Fraction(impact[i]) for i in subset), Fraction(0))
            s = set(subset)
            lex = tuple(1 if order[k] in s else 0 for k in range(n))  # larger = earlier in include-first
            key = (p, -c, lex)
            if best is None or key > best[0]:
                best = (key, sorted(subset), p, c)
    if best is None:  # a negative budget: not even the empty set "fits"; the selection is empty
        return [], Fraction(0), Fraction(0)
    return best[1], best[2], best[3]


def frontier_by_definition(impact, cost):
    n = len(impact)
    out = []
    for i in range(n):
        dominated = any(
            impact[j] >= impact[i] and cost[j] <= cost[i] and (impact[j] > impact[i] or cost[j] < cost[i])
            for j in range(n)
            if j != i
        )
        out.append(not dominated)
    return out


def dp_knapsack(impact, cost, capacity):
    """Max total impact with integer costs <= capacity, and the least cost reaching it (numpy DP)."""
    best = np.zeros(capacity + 1, dtype=np.int64)
    for p, c in zip(impact, cost):
        if c <= capacity:
            cand = best[: capacity + 1 - c] + p
            best[c:] = np.maximum(best[c:], cand)
    z = int(best[capacity])
    return z, int(np.argmax(best == z))


def selected_positions(frame):
    return [i for i, s in enumerate(frame["selected"].to_numpy()) if s]


def run(impact, cost, budget=None, **kw):
    return cx.prioritize(impact=np.asarray(impact, dtype=float), cost=np.asarray(cost, dtype=float), budget=budget, **kw)


# --------------------------------------------------------------------------------------------------
# the knapsack


values = st.one_of(
    st.integers(0, 4).map(float),  # many exact ties and zero impacts
    st.integers(0, 400).map(lambda k: k / 100.0),  # decimals: the cents trap
    st.floats(0.0, 1000.0, allow_nan=False, allow_infinity=False),
)
costs = st.one_of(
    st.integers(1, 4).map(float),
    st.integers(1, 400).map(lambda k: k / 100.0),
    st.floats(1e-3, 1000.0, allow_nan=False, allow_infinity=False),
)


@given(st.lists(st.tuples(values, costs), min_size=1, max_size=11), st.floats(0.0, 1.0), st.integers(0, 2))
def test_selection_against_brute_force(items, share, kind):
    impact = [a for a, _ in items]
    cost = [c for _, c in items]
    budget = [sum(cost) * share, cost[0], -1.0][kind]
    t = run(impact, cost, budget)
    chosen, p, c = brute_force(impact, cost, budget)
    assert selected_positions(t) == chosen
    assert t.attrs["total_impact"] == float(p)
    assert t.attrs["total_cost"] == float(c)
    assert sum((Fraction(cost[i]) for i in chosen), Fraction(0)) <= Fraction(budget) or not chosen


def test_ten_costs_of_a_tenth_do_not_fit_a_budget_of_one():
    # exact sum of ten doubles 0.1 is 1.0000000000000000555 > 1.0; naive float sum is 0.9999999999999999
    naive = 0.0
    for _ in range(10):
        naive += 0.1
    assert naive <= 1.0 and sum([Fraction(0.1)] * 10) > 1
    t = run([1.0] * 10, [0.1] * 10, 1.0)
    assert selected_positions(t) == list(range(9))
    assert t.attrs["total_impact"] == 9.0


def test_rounding_to_cents_would_pick_a_wrong_subset():
    # 0.1 + 0.2 > 0.3 exactly (as doubles); rounded to cents {0.10, 0.20} fits 0.30 and wins with 4 > 3
    assert Fraction(0.1) + Fraction(0.2) > Fraction(0.3)
    t = run([2.0, 2.0, 3.0], [0.1, 0.2, 0.3], 0.3)
    assert selected_positions(t) == [2]
    assert selected_positions(t) == brute_force([2.0, 2.0, 3.0], [0.1, 0.2, 0.3], 0.3)[0]
    # rounding costs to integers: round(1.4) + round(1.6) = 3 <= round(2.9) = 3, but 3.0 > 2.9
    t = run([5.0, 5.0, 6.0], [1.4, 1.6, 2.9], 2.9)
    assert selected_positions(t) == [2]


def test_budget_edge_cases():
    impact, cost = [3.0, 0.0, 2.0, 9.0], [1.0, 0.5, 1.0, 100.0]
    assert selected_positions(run(impact, cost, 0.0)) == []
    assert selected_positions(run(impact, cost, -3.0)) == []
    assert run(impact, cost, 0.0).attrs["total_impact"] == 0.0
    # cost above the budget is never chosen; zero impact never chosen
    assert selected_positions(run(impact, cost, 99.9)) == [0, 2]
    assert selected_positions(run(impact, cost, math.inf)) == [0, 2, 3]
    t = run(impact, cost)
    assert not t["selected"].any() and t.attrs["total_impact"] is None and t.attrs["budget"] is None


@pytest.mark.parametrize("kind", ["uncorrelated", "weakly_correlated", "strongly_correlated"])
def test_three_thousand_items_against_the_dynamic_programme(kind):
    rng = np.random.default_rng(len(kind))
    n = 3000
    c = rng.integers(1, 101, n)
    p = {
        "uncorrelated": lambda: rng.integers(1, 101, n),
        "weakly_correlated": lambda: np.maximum(1, c + rng.integers(-10, 11, n)),
        "strongly_correlated": lambda: c + 10,
    }[kind]()
    cap = int(c.sum() // 2)
    t = run(p, c, cap)
    z, least = dp_knapsack(p.tolist(), c.tolist(), cap)
    sel = t["selected"].to_numpy()
    assert int(p[sel].sum()) == z
    assert int(c[sel].sum()) == least
    assert t.attrs["total_impact"] == z and t.attrs["total_cost"] == least


def test_five_thousand_real_items_are_feasible_and_between_greedy_and_lp_bound():
    rng = np.random.default_rng(5)
    n = 5000
    c = rng.uniform(1, 1000, n)
    for p in (rng.uniform(1, 1000, n), np.maximum(1.0, c + rng.uniform(-100, 100, n))):
        budget = c.sum() / 2
        t = run(p, c, budget)
        sel = t["selected"].to_numpy()
        assert sum(Fraction(x) for x in c[sel]) <= Fraction(budget)
        order = np.argsort(-(p / c), kind="stable")
        cum = np.cumsum(c[order])
        b = int(np.searchsorted(cum, budget, side="right"))
        lp = p[order][:b].sum() + (budget - (cum[b - 1] if b else 0.0)) * (p / c)[order][b]
        greedy, room = 0.0, budget
        for i in order:
            if c[i] <= room:
                room -= c[i]
                greedy += p[i]
        assert greedy * (1 - 1e-12) <= p[sel].sum() <= lp * (1 + 1e-12)


def test_node_limit_raises_numerical_error_naming_the_limit():
    rng = np.random.default_rng(3)
    c = rng.uniform(1, 1000, 300)
    p = c + 100.0  # strongly correlated
    with pytest.raises(cx.NumericalError, match="max_nodes = 5000"):
        run(p, c, c.sum() / 2, max_nodes=5000)
    with pytest.raises(cx.InvalidArgumentError, match="max_nodes"):
        run(p, c, 10.0, max_nodes=0)


def test_values_spanning_hundreds_of_binary_orders_stay_exact():
    impact = [1.0, 1.2345678901234567e-200, 3e-150, 0.7]
    cost = [1.2345678901234567e-30, 1.2345678901234567e30, 2.5, 1e-300]
    for budget in (1e31, 1e30, 3.0, 1.3e-30):
        chosen, p, c = brute_force(impact, cost, budget)
        t = run(impact, cost, budget)
        assert selected_positions(t) == chosen
        assert t.attrs["total_impact"] == float(p) and t.attrs["total_cost"] == float(c)


# --------------------------------------------------------------------------------------------------
# frontier, quadrants, ratio, rank


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 5)), min_size=1, max_size=30))
def test_frontier_against_the_definition(items):
    impact = [float(a) for a, _ in items]
    cost = [float(c) for _, c in items]
    t = run(impact, cost)
    assert t["on_frontier"].tolist() == frontier_by_definition(impact, cost)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 100)), min_size=1, max_size=30))
def test_thresholds_ratio_rank_and_quadrants(items):
    impact = np.array([a for a, _ in items])
    cost = np.array([c for _, c in items])
    t = run(impact, cost)
    it, ct = np.median(impact), np.median(cost)
    assert t.attrs["impact_threshold"] == pytest.approx(it, rel=1e-15, abs=0)
    assert t.attrs["cost_threshold"] == pytest.approx(ct, rel=1e-15, abs=0)
    np.testing.assert_array_equal(t["ratio"].to_numpy(), impact / cost)
    expected_rank = pd.Series(impact / cost).rank(method="min", ascending=False).astype(int).to_numpy()
    np.testing.assert_array_equal(t["rank"].to_numpy(), expected_rank)
    it, ct = t.attrs["impact_threshold"], t.attrs["cost_threshold"]
    names = {(True, False): "quick_win", (True, True): "major_project", (False, False): "fill_in",
             (False, True): "thankless"}
    assert t["quadrant"].tolist() == [names[(a >= it, c >= ct)] for a, c in zip(impact, cost)]


def test_quadrants_by_hand_with_given_thresholds():
    df = pd.DataFrame({"item": ["a", "b", "c", "d"], "impact": [4.0, 1, 3, 2], "cost": [10.0, 40, 30, 20]})
    t = cx.prioritize(df, item="item", impact="impact", cost="cost")
    assert t["quadrant"].tolist() == ["quick_win", "thankless", "major_project", "fill_in"]
    assert t.attrs["impact_threshold"] == 2.5 and t.attrs["cost_threshold"] == 25.0
    t = cx.prioritize(df, item="item", impact="impact", cost="cost", impact_threshold=4, cost_threshold=10)
    assert t["quadrant"].tolist() == ["major_project", "thankless", "thankless", "thankless"]
    assert t.index.tolist() == ["a", "b", "c", "d"] and t.index.name == "item"
    assert list(t.columns) == ["impact", "cost", "ratio", "rank", "quadrant", "on_frontier", "selected"]


# --------------------------------------------------------------------------------------------------
# bad input (ARCHITECTURE §3)


def test_missing_and_invalid_rows_are_counted_or_raised():
    df = pd.DataFrame({
        "item": ["a", "b", "c", "d", "e", None, "g"],
        "impact": [1.0, np.nan, -2.0, 3.0, 4.0, 5.0, 1.0],
        "cost": [1.0, 2.0, 1.0, 0.0, math.inf, 1.0, None],
    })
    with pytest.raises(cx.InvalidInputError, match=r"invalid impact at position 2: -2 .*3 invalid rows"):
        cx.prioritize(df, item="item", impact="impact", cost="cost")
    t = cx.prioritize(df, item="item", impact="impact", cost="cost", on_invalid="drop")
    assert t.index.tolist() == ["a"]
    assert (t.attrs["n"], t.attrs["n_missing"], t.attrs["n_invalid"]) == (1, 3, 3)
    assert t.attrs["n"] + t.attrs["n_missing"] + t.attrs["n_invalid"] == len(df)
    with pytest.raises(cx.InvalidInputError, match=r"invalid cost at position 0: 0 "):
        run([1.0], [0.0])
    with pytest.raises(ValueError):
        run([1.0], [-1.0])


def test_nullable_and_polars_inputs():
    df = pd.DataFrame({"item": ["a", "b", "c"], "impact": pd.array([1, None, 3], dtype="Int64"),
                       "cost": [1.0, 2.0, 3.0]})
    t = cx.prioritize(df, item="item", impact="impact", cost="cost", budget=3.0)
    assert t.index.tolist() == ["a", "c"] and t.attrs["n_missing"] == 1
    pf = pl.DataFrame({"item": ["a", "b", "c"], "impact": [1.0, None, 3.0], "cost": [1.0, 2.0, 3.0]})
    tp = cx.prioritize(pf, item="item", impact="impact", cost="cost", budget=3.0)
    pd.testing.assert_frame_equal(tp, t, check_dtype=False)


def test_empty_input_gives_an_empty_frame():
    t = run([], [], 10.0)
    assert len(t) == 0 and (t.attrs["n"], t.attrs["n_missing"], t.attrs["n_invalid"]) == (0, 0, 0)
    assert math.isnan(t.attrs["impact_threshold"]) and math.isnan(t.attrs["cost_threshold"])
    t = run([np.nan], [1.0])
    assert len(t) == 0 and t.attrs["n_missing"] == 1


def test_argument_errors_name_the_argument():
    df = pd.DataFrame({"item": ["a", "a"], "impact": [1.0, 2.0], "cost": [1.0, 1.0]})
    with pytest.raises(cx.InvalidArgumentError, match="duplicate label 'a' at positions 0 and 1"):
        cx.prioritize(df, item="item", impact="impact", cost="cost")
    with pytest.raises(cx.InvalidArgumentError, match="unknown column 'nope'"):
        cx.prioritize(df, item="item", impact="nope", cost="cost")
    with pytest.raises(cx.InvalidArgumentError, match="cost has 3 values"):
        cx.prioritize(impact=[1.0, 2.0], cost=[1.0, 2.0, 3.0])
    with pytest.raises(cx.InvalidArgumentError, match="on_invalid"):
        run([1.0], [1.0], on_invalid="ignore")
    with pytest.raises(cx.InvalidArgumentError, match="budget"):
        run([1.0], [1.0], budget=float("nan"))
    with pytest.raises(cx.UnsupportedTypeError, match="budget"):
        run([1.0], [1.0], budget="10")
    with pytest.raises(cx.UnsupportedTypeError, match="impact"):
        cx.prioritize(impact=["x"], cost=[1.0])
    with pytest.raises(TypeError):
        cx.prioritize(df, "item", "impact", "cost")  # options are keyword-only


# --------------------------------------------------------------------------------------------------
# Kano impact and bootstrap stability


def test_kano_impact_against_the_formula():
    k = pd.DataFrame({"better": [0.8, 0.2, np.nan, 0.0], "worse": [-0.1, -0.7, -0.3, 0.0]},
                     index=pd.Index(["chat", "login", "x", "y"], name="feature"))
    s = cx.kano_impact(k, better_weight=2.0, worse_weight=0.5)
    np.testing.assert_array_equal(s.to_numpy()[[0, 1, 3]], [2.0 * 0.8 + 0.5 * 0.1, 2.0 * 0.2 + 0.5 * 0.7, 0.0])
    assert math.isnan(s["x"]) and s.name == "impact" and s.index.name == "feature"
    assert "impact_replicates" not in s.attrs
    with pytest.raises(cx.InvalidArgumentError, match="better_weight"):
        cx.kano_impact(k, better_weight=-1.0)
    with pytest.raises(cx.InvalidArgumentError, match="'worse'"):
        cx.kano_impact(k[["better"]])
    with pytest.raises(cx.InvalidInputError, match="better at position 0: 1.5"):
        cx.kano_impact(pd.DataFrame({"better": [1.5], "worse": [0.0]}))
    pk = pl.DataFrame({"feature": ["chat", "login"], "better": [0.8, 0.2], "worse": [-0.1, -0.7]})
    assert cx.kano_impact(pk).to_dict() == {"chat": 0.8 + 0.1, "login": 0.2 + 0.7}


def test_kano_replicates_flow_into_frontier_and_selected_shares():
    rng = np.random.default_rng(8)
    features = ["a", "b", "c", "d", "e"]
    B = 60
    better = rng.uniform(0, 1, (B, 5)).round(2)
    worse = -rng.uniform(0, 1, (B, 5)).round(2)
    better[4, 2] = np.nan  # an undefined replicate: left out
    k = pd.DataFrame({"better": np.nanmean(better, 0), "worse": worse.mean(0)}, index=features)
    k.attrs["better_replicates"] = better
    k.attrs["worse_replicates"] = worse
    imp = cx.kano_impact(k, worse_weight=0.5)
    reps = imp.attrs["impact_replicates"]
    np.testing.assert_array_equal(reps, better + 0.5 * np.abs(worse))
    # the items in another order than the Kano frame, one item not in it: aligned by label
    items = pd.DataFrame({"feature": ["c", "a", "zzz", "e", "b", "d"], "cost": [3.0, 1.0, 1.0, 2.0, 2.0, 4.0]})
    t = cx.prioritize(items, item="feature", impact=imp, cost="cost", budget=5.0)
    assert t.index.tolist() == ["c", "a", "e", "b", "d"] and t.attrs["n_missing"] == 1
    assert t.attrs["n_replicates"] == B - 1 and t.attrs["n_replicates_dropped"] == 1
    cost = t["cost"].tolist()
    front = np.zeros(5)
    sel = np.zeros(5)
    for b in range(B):
        if b == 4:
            continue
        imp_b = [reps[b, features.index(f)] for f in t.index]
        front += frontier_by_definition(imp_b, cost)
        for i in brute_force(imp_b, cost, 5.0)[0]:
            sel[i] += 1
    np.testing.assert_array_equal(t["frontier_share"].to_numpy(), front / (B - 1))
    np.testing.assert_array_equal(t["selected_share"].to_numpy(), sel / (B - 1))
    # the same matrix passed explicitly (columns in row order), with threads
    m = np.full((B, 6), np.nan)
    for j, f in enumerate(items["feature"]):
        if f in features:
            m[:, j] = reps[:, features.index(f)]
    t2 = cx.prioritize(items, item="feature", impact=imp.reindex(items["feature"]).to_numpy(), cost="cost",
                       budget=5.0, impact_replicates=m, threads=2)
    np.testing.assert_array_equal(t2["frontier_share"].to_numpy(), t["frontier_share"].to_numpy())
    np.testing.assert_array_equal(t2["selected_share"].to_numpy(), t["selected_share"].to_numpy())
    # as a DataFrame with item labels as columns; without a budget there is no selected_share
    t3 = cx.prioritize(items, item="feature", impact=imp, cost="cost",
                       impact_replicates=pd.DataFrame(reps, columns=features))
    np.testing.assert_array_equal(t3["frontier_share"].to_numpy(), t["frontier_share"].to_numpy())
    assert "selected_share" not in t3.columns


def test_explicit_replicates_are_in_row_order_even_with_an_aligned_series():
    k = pd.DataFrame({"better": [0.5, 0.1], "worse": [-0.5, -0.1]}, index=["x", "y"])
    k.attrs.update(better_replicates=np.array([[0.5, 0.1]]), worse_replicates=np.array([[0.0, 0.0]]))
    imp = cx.kano_impact(k)
    items = pd.DataFrame({"f": ["y", "x"], "c": [1.0, 1.0]})
    # from the series: y has replicate impact 0.1, x 0.5 -> only x on the frontier
    t = cx.prioritize(items, item="f", impact=imp, cost="c")
    assert t["frontier_share"].tolist() == [0.0, 1.0]
    # explicit, in row order (y, x): y 0.9, x 0.2 -> only y
    t = cx.prioritize(items, item="f", impact=imp, cost="c", impact_replicates=np.array([[0.9, 0.2]]))
    assert t["frontier_share"].tolist() == [1.0, 0.0]
    bad = imp.copy()
    bad.attrs["impact_replicates"] = np.ones((2, 3))
    with pytest.raises(cx.InvalidArgumentError, match="like the impact series"):
        cx.prioritize(items, item="f", impact=bad, cost="c")


def test_replicate_errors():
    with pytest.raises(cx.InvalidArgumentError, match="impact_replicates"):
        run([1.0, 2.0], [1.0, 1.0], impact_replicates=np.ones((3, 5)))
    with pytest.raises(cx.InvalidInputError, match="replicate 1, row 0: -1"):
        run([1.0, 2.0], [1.0, 1.0], impact_replicates=np.array([[1.0, 1.0], [-1.0, 1.0]]))
    k = pd.DataFrame({"better": [0.5], "worse": [-0.5]})
    k.attrs.update(better_replicates=np.ones((2, 1)), worse_replicates=np.ones((3, 1)))
    with pytest.raises(cx.InvalidArgumentError, match="better_replicates"):
        cx.kano_impact(k)


def test_docstring_examples_run():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(prioritize_module, globs={"cx": cx}) if t.examples]
    assert len(tests) >= 2
    out: list[str] = []
    for t in tests:
        runner.run(t, out=out.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(out)
    assert re.search(r"exact", cx.prioritize.__doc__)
