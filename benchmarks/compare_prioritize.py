#!/usr/bin/env python3
"""Budget selection (0/1 knapsack): cx.prioritize side by side with SciPy's MILP (HiGHS) and a
numpy dynamic programme, on the same instances in one process.

Instances (seeded): n items, costs uniform on [1, 1000), budget = half the total cost;
    uncorrelated        impact uniform on [1, 1000)
    weakly correlated   impact = max(1, cost + uniform(-100, 100))
    integer weak corr.  integer costs 1..100, impact = max(1, cost + integer in [-10, 10]) (the
                        numpy DP over capacities is exact here and runs too)
    integer strong      integer costs 1..100, impact = cost + 10 (hard for branch and bound:
                        cxkit switches to its capacity DP + targeted search)

    cxkit   cx.prioritize(impact=, cost=, budget=) -- the whole table (ratio, rank, quadrants,
            frontier) plus the exact selection; sums of costs are exact, so the selection is
            feasible by construction
    HiGHS   scipy.optimize.milp with integrality=1 and bounds 0..1 (default tolerances: its
            solution may be infeasible or suboptimal by ~1e-6 relative; the script checks that
            its objective is not above cxkit's by more than that)
    numpy   best[c] = max(best[c], best[c - w] + p) over capacities (integer instances only)

Every engine's objective must agree with cxkit's (exactly for the DP, to HiGHS's mip gap
otherwise) and cxkit's selection must fit the budget on exact (Fraction) sums, or the script
exits 1. Timing: one warm-up call, then the best of K calls.

Usage:
    python benchmarks/compare_prioritize.py              # 1,000 and 5,000 items, best of 3
    python benchmarks/compare_prioritize.py --smoke      # 200 items, 1 repetition (CI)
    python benchmarks/compare_prioritize.py --items 2000 10000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction

import numpy as np

import cxkit as cx
from compare_survey import Mismatch, best_of, versions


def instance(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    if kind.startswith("integer"):
        c = rng.integers(1, 101, n).astype(float)
        p = np.maximum(1.0, c + rng.integers(-10, 11, n)) if kind == "integer_weak" else c + 10.0
        return p, c, float(c.sum() // 2)
    c = rng.uniform(1, 1000, n)
    p = rng.uniform(1, 1000, n) if kind == "uncorrelated" else np.maximum(1.0, c + rng.uniform(-100, 100, n))
    return p, c, float(c.sum() / 2)


def run_cxkit(p: np.ndarray, c: np.ndarray, budget: float):
    return cx.prioritize(impact=p, cost=c, budget=budget)


def run_highs(p: np.ndarray, c: np.ndarray, budget: float):
    from scipy.optimize import Bounds, LinearConstraint, milp

    return milp(-p, constraints=LinearConstraint(c[None, :], -np.inf, budget), integrality=np.ones_like(p),
                bounds=Bounds(0, 1))


def run_dp(p: np.ndarray, c: np.ndarray, budget: float) -> int:
    cap = int(budget)
    best = np.zeros(cap + 1, dtype=np.int64)
    for pi, ci in zip(p.astype(np.int64), c.astype(np.int64)):
        if ci <= cap:
            np.maximum(best[ci:], best[: cap + 1 - ci] + pi, out=best[ci:])
    return int(best[cap])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="200 items, 1 repetition")
    args = ap.parse_args()
    if args.smoke:
        args.items, args.repeat = [200], 1
    print("versions:", versions(), "cpus:", os.cpu_count(), "load:", os.getloadavg()[0])
    try:
        import scipy

        print("scipy", scipy.__version__)
    except ImportError:  # pragma: no cover
        scipy = None
    failures = 0
    for n in args.items:
        for kind in ("uncorrelated", "weakly_correlated", "integer_weak", "integer_strong"):
            p, c, budget = instance(kind, n, seed=n)
            t_cx, table = best_of(lambda: run_cxkit(p, c, budget), args.repeat)
            sel = table["selected"].to_numpy()
            z = float(table.attrs["total_impact"])
            try:
                if sum(Fraction(x) for x in c[sel]) > Fraction(budget):
                    raise Mismatch(f"{kind} n={n}: cxkit's selection exceeds the budget")
                line = f"n={n:6d} {kind:18s} cxkit {t_cx * 1e3:9.2f} ms (nodes {table.attrs['nodes']})"
                if scipy is not None:
                    t_h, res = best_of(lambda: run_highs(p, c, budget), args.repeat)
                    zh = -float(res.fun)
                    if zh > z * (1 + 1e-6):
                        raise Mismatch(f"{kind} n={n}: HiGHS objective {zh} above cxkit's exact {z}")
                    # HiGHS's selection judged exactly: if it fits the budget, it must not beat cxkit's
                    hs = np.asarray(res.x) > 0.5
                    fits = sum(Fraction(x) for x in c[hs]) <= Fraction(budget)
                    gain = sum(Fraction(x) for x in p[hs]) - sum(Fraction(x) for x in p[sel])
                    if fits and gain > 0:
                        raise Mismatch(f"{kind} n={n}: HiGHS found a feasible selection better by {float(gain)}")
                    note = "feasible" if fits else "over budget on exact sums"
                    line += (f" | HiGHS {t_h * 1e3:9.2f} ms ({t_h / t_cx:6.1f}x cxkit; its selection {note}, "
                             f"impact {float(gain):+.3g} vs cxkit)")
                if kind.startswith("integer"):
                    t_d, zd = best_of(lambda: run_dp(p, c, budget), args.repeat)
                    if zd != z:
                        raise Mismatch(f"{kind} n={n}: DP {zd} != cxkit {z}")
                    line += f" | numpy DP {t_d * 1e3:9.2f} ms ({t_d / t_cx:6.1f}x cxkit)"
                print(line)
            except Mismatch as e:
                print("MISMATCH:", e)
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
