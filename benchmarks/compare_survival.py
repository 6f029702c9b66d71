#!/usr/bin/env python3
"""Kaplan-Meier: cxkit side by side with lifelines' KaplanMeierFitter on the same data.

Data (one process, the same numpy arrays for both):

    durations  integer days 0..3650 (float64), exponential-like tenure (mean ~2 years), capped at 3650
    observed   int8 0/1, about 60% events (the rest censored)

    --continuous  durations are continuous (days + uniform fraction): the event table then has
                  about one row per subject (~rows rows), the sorting path instead of counting

Workload (issue target): "Kaplan-Meier on 10M durations with censoring: >= 50x faster than
lifelines' KaplanMeierFitter, survival equal to 1e-10".

    cxkit      cx.kaplan_meier(durations, observed) -- the full result: event table, survival,
               Greenwood SE, log-log interval, median and its interval
    lifelines  KaplanMeierFitter().fit(durations, observed) -- survival, the exponential Greenwood
               interval and the median

Check: survival at every table time equal to lifelines' to 1e-10 (exit 1 otherwise), and the
medians equal. Timing: one warm-up call, then the best of --repeat calls.

Usage:
    python benchmarks/compare_survival.py                 # 10M durations, best of 3
    python benchmarks/compare_survival.py --smoke         # 200k durations, 1 repetition (CI)
    python benchmarks/compare_survival.py --rows 2_000_000 --continuous --repeat 2
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

import numpy as np

import cxkit as cx
from compare_survey import best_of, versions

TARGET_ROWS = 10_000_000
TARGET_RATIO = 50.0
ATOL = 1e-10


def make_data(rows: int, seed: int, continuous: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d = np.minimum(np.floor(rng.exponential(730.0, rows)), 3650.0)
    if continuous:
        d = d + rng.random(rows)
    o = (rng.random(rows) < 0.6).astype(np.int8)
    return d, o


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=TARGET_ROWS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--continuous", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="200k rows, 1 repetition")
    args = ap.parse_args(argv)
    if args.smoke:
        args.rows, args.repeat = 200_000, 1
    from lifelines import KaplanMeierFitter
    import lifelines

    d, o = make_data(args.rows, args.seed, args.continuous)
    print(f"Kaplan-Meier on {args.rows:,} durations ({'continuous' if args.continuous else 'integer days 0..3650'}, "
          f"{o.mean():.0%} events); cpu count {os.cpu_count()}; best of {args.repeat}")
    print("versions:", {**versions(), "lifelines": lifelines.__version__})

    t_cx, r = best_of(lambda: cx.kaplan_meier(d, o), args.repeat)
    t_ll, kmf = best_of(lambda: KaplanMeierFitter().fit(d, o), args.repeat)

    t = r.table
    ll = kmf.survival_function_["KM_estimate"].reindex(t.time.to_numpy()).to_numpy()
    diff = float(np.max(np.abs(t.survival.to_numpy() - ll))) if len(t) else 0.0
    print(f"table rows {len(t):,}; max |S_cxkit - S_lifelines| = {diff:.2e}; "
          f"median {r.median} vs {kmf.median_survival_time_}")
    ok = diff <= ATOL and (r.median == kmf.median_survival_time_ or (np.isnan(r.median) and np.isinf(kmf.median_survival_time_)))
    ratio = t_ll / t_cx
    print(f"{'engine':<12}{'seconds':>10}{'rows/s':>14}{'ratio':>10}")
    print(f"{'cxkit':<12}{t_cx:>10.4f}{args.rows / t_cx:>14,.0f}{1.0:>10.1f}")
    print(f"{'lifelines':<12}{t_ll:>10.4f}{args.rows / t_ll:>14,.0f}{ratio:>10.1f}")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    size_note = "" if args.rows == TARGET_ROWS else f" (measured at {args.rows:,} rows, target is at {TARGET_ROWS:,})"
    print(f"target >= {TARGET_RATIO:.0f}x lifelines: {ratio:.1f}x -> {verdict}{size_note}")
    if not ok:
        print("MISMATCH: survival differs from lifelines beyond 1e-10 or medians differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
