#!/usr/bin/env python3
"""Key drivers (exact Shapley / LMG weights): cxkit side by side with numpy least squares.

One process, one pandas DataFrame: `overall` and P drivers `d0..d{P-1}`, float64, correlated
(each driver is its own normal plus 0.5 x the previous one's, on different scales), `overall` a
linear combination plus noise (seed fixed).

Workload (issue 4): Shapley weights of P = 15 drivers on 1M rows.

    cxkit   cx.key_drivers(df, target="overall", drivers=[...], method="shapley"): builds the
            weighted means / co-moments state from the frame (one pass over the rows), then the
            R² of all 2^P subsets by incremental Cholesky, then the weights. Everything inside
            the timing.
    numpy   one least-squares model per subset: numpy.linalg.lstsq on the (rows x |S|+1) design
            with an intercept, R² = 1 - SSE/SST from the residuals, then the Shapley combination
            of the 2^P R²s. All 2^15 = 32,768 fits on 1M rows take hours, so by default a fixed,
            seeded, stratified sample of subsets (--per-size, default 8 per subset size) is fitted
            on the full data, and the mean time per size is extrapolated to all C(P, s) subsets of
            that size. This is stated in the output. --full fits every subset instead.

Checks (exit 1 on failure):
  * every sampled full-data lstsq R² equals cxkit's R²(S) for that subset (DriverAccumulator
    ._subset_r_squared on the same data) to 1e-9;
  * numpy's Shapley weights from the exact R² of all 2^P subsets, computed with numpy from the
    full data's correlation matrix (numpy.linalg.solve per subset), equal cxkit's to 1e-9;
  * numpy's Shapley weights from all 2^P lstsq fits on the first --check-rows rows equal
    cx.key_drivers on those rows to 1e-9.

Also for information: Johnson's relative weights, cxkit vs numpy (numpy.cov + numpy.linalg.eigh).

Usage:
    python benchmarks/compare_drivers.py                 # 1M rows, 15 drivers, best of 3
    python benchmarks/compare_drivers.py --smoke         # 20k rows, 10 drivers, 1 repetition (CI)
    python benchmarks/compare_drivers.py --full          # every one of the 32,768 fits (hours)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from typing import Optional

import numpy as np
import pandas as pd

import cxkit as cx
from compare_survey import best_of, versions

TOL = 1e-9


def make_frame(rows: int, p: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((rows, p))
    x = z.copy()
    x[:, 1:] += 0.5 * z[:, :-1]
    x = x * (1.0 + np.arange(p) % 4) + 3.0 * np.arange(p)
    b = rng.uniform(-0.5, 1.0, size=p)
    y = x @ b + 2.0 * rng.standard_normal(rows)
    cols = {"overall": y}
    for j in range(p):
        cols[f"d{j}"] = x[:, j]
    return pd.DataFrame(cols)


def lstsq_r2(X1: np.ndarray, y: np.ndarray, cols: tuple, sst: float) -> float:
    """R² of y on an intercept and X[:, cols] by numpy.linalg.lstsq (X1 has the intercept at 0)."""
    A = X1[:, (0,) + tuple(c + 1 for c in cols)]
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    return 1.0 - float(resid @ resid) / sst


def shapley_from_r2(r2: np.ndarray, p: int) -> np.ndarray:
    """φ_j = Σ_{S ∌ j} |S|!(p-|S|-1)!/p! [R²(S ∪ j) - R²(S)], r2 indexed by bit mask."""
    masks = np.arange(1 << p)
    size = np.array([bin(m).count("1") for m in masks])
    w = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) if s < p else 0.0
                  for s in range(p + 1)])
    phi = np.zeros(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        phi[j] = np.sum(w[size[without]] * (r2[without | (1 << j)] - r2[without]))
    return phi


def numpy_corr_r2_all(R: np.ndarray, p: int) -> np.ndarray:
    """Exact R²(S) = r_Sᵀ R_SS⁻¹ r_S of every subset from the correlation matrix (target first)."""
    out = np.zeros(1 << p)
    for m in range(1, 1 << p):
        idx = [j + 1 for j in range(p) if (m >> j) & 1]
        r = R[0, idx]
        out[m] = float(r @ np.linalg.solve(R[np.ix_(idx, idx)], r))
    return out


def numpy_lstsq_shapley(df: pd.DataFrame, drivers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    p = len(drivers)
    y = df["overall"].to_numpy()
    X1 = np.column_stack([np.ones(len(df)), df[drivers].to_numpy()])
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = np.zeros(1 << p)
    for m in range(1, 1 << p):
        r2[m] = lstsq_r2(X1, y, tuple(j for j in range(p) if (m >> j) & 1), sst)
    return shapley_from_r2(r2, p), r2


def numpy_relative_weights(df: pd.DataFrame, drivers: list[str]) -> np.ndarray:
    R = np.corrcoef(df[["overall"] + drivers].to_numpy(), rowvar=False)
    lam, V = np.linalg.eigh(R[1:, 1:])
    L = V @ np.diag(np.sqrt(lam)) @ V.T
    beta_star = np.linalg.solve(L, R[1:, 0])
    return (L**2) @ beta_star**2


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--drivers", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=3, help="timed cxkit runs after a warm-up (best kept)")
    ap.add_argument("--per-size", type=int, default=8, help="sampled numpy fits per subset size")
    ap.add_argument("--check-rows", type=int, default=2000, help="rows for the all-subsets lstsq check")
    ap.add_argument("--full", action="store_true", help="fit every subset on the full data (no extrapolation)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--smoke", action="store_true", help="20k rows, 10 drivers, 1 repetition")
    ap.add_argument("--json", type=str, default=None)
    args = ap.parse_args(argv)
    if args.smoke:
        args.rows, args.drivers, args.repeat, args.per_size, args.check_rows = 20_000, 10, 1, 2, 500

    p = args.drivers
    drivers = [f"d{j}" for j in range(p)]
    df = make_frame(args.rows, p, args.seed)
    print(f"key drivers, Shapley: {args.rows:,} rows x {p} drivers ({1 << p:,} subsets); "
          f"cpu count {os.cpu_count()}; versions {versions()}")
    print(f"  threads: cxkit threads=0 (all cores); numpy BLAS at its defaults "
          f"(OMP/OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS') or os.environ.get('OMP_NUM_THREADS') or 'unset'})")
    failures: list[str] = []

    # ---- cxkit
    t_cx, kd = best_of(lambda: cx.key_drivers(df, target="overall", drivers=drivers, method="shapley"), args.repeat)
    print(f"  cxkit  cx.key_drivers(method='shapley'), state from the frame + all subsets: {t_cx * 1e3:9.1f} ms "
          f"(best of {args.repeat}); R² = {kd.attrs['r_squared']:.6f}")
    acc = cx.DriverAccumulator(p + 1)
    acc.add(df[["overall"] + drivers].to_numpy())

    # ---- numpy: sampled (or all) subsets on the full data
    y = df["overall"].to_numpy()
    X1 = np.column_stack([np.ones(len(df)), df[drivers].to_numpy()])
    sst = float(((y - y.mean()) ** 2).sum())
    rng = np.random.default_rng(args.seed + 1)
    total_est = 0.0
    fitted = 0
    worst_r2 = 0.0
    for s in range(1, p + 1):
        n_s = math.comb(p, s)
        if args.full or n_s <= args.per_size:
            subsets = list(itertools.combinations(range(p), s))
        else:
            seen: set = set()
            while len(seen) < args.per_size:
                seen.add(tuple(sorted(rng.choice(p, size=s, replace=False).tolist())))
            subsets = sorted(seen)
        t_size = 0.0
        for S in subsets:
            t0 = time.perf_counter()
            r2 = lstsq_r2(X1, y, S, sst)
            t_size += time.perf_counter() - t0
            want = acc._subset_r_squared([j + 1 for j in S])
            worst_r2 = max(worst_r2, abs(r2 - want))
        fitted += len(subsets)
        total_est += t_size / len(subsets) * n_s
    t0 = time.perf_counter()
    shapley_from_r2(np.zeros(1 << p), p)
    t_combine = time.perf_counter() - t0
    total_est += t_combine
    how = "measured (all subsets)" if args.full else (
        f"EXTRAPOLATED from {fitted} timed fits ({args.per_size} per subset size, seeded) to all {(1 << p) - 1:,} fits")
    print(f"  numpy  lstsq per subset on the full data + Shapley combination: {total_est:9.1f} s  [{how}]")
    ratio = total_est / t_cx
    verdict = "met" if ratio >= 100 else "NOT met"
    print(f"  => cxkit is {ratio:,.0f}x faster than numpy lstsq over all subsets (target >= 100x: {verdict})")
    print(f"  check: sampled full-data lstsq R² vs cxkit R²(S): max |diff| = {worst_r2:.2e} (tol {TOL:g})")
    if not worst_r2 <= TOL:
        failures.append("subset R² differ")

    # ---- same weights: exact R² of all subsets from the correlation matrix with numpy
    R = np.corrcoef(df[["overall"] + drivers].to_numpy(), rowvar=False)
    t0 = time.perf_counter()
    phi_np = shapley_from_r2(numpy_corr_r2_all(R, p), p)
    t_corr = time.perf_counter() - t0
    d_full = float(np.max(np.abs(phi_np - kd["weight"].to_numpy())))
    print(f"  check: numpy Shapley from the correlation matrix (all subsets, {t_corr:.1f} s) vs cxkit, "
          f"full data: max |diff| = {d_full:.2e} (tol {TOL:g})")
    if not d_full <= TOL:
        failures.append("Shapley weights (correlation route) differ")

    # ---- same weights: all 2^p lstsq fits on the first check-rows rows
    small = df.iloc[: args.check_rows].reset_index(drop=True)
    t0 = time.perf_counter()
    phi_ls, _ = numpy_lstsq_shapley(small, drivers)
    t_small = time.perf_counter() - t0
    kd_small = cx.key_drivers(small, target="overall", drivers=drivers, method="shapley")
    d_small = float(np.max(np.abs(phi_ls - kd_small["weight"].to_numpy())))
    print(f"  check: numpy Shapley from all {(1 << p) - 1:,} lstsq fits on {args.check_rows:,} rows "
          f"({t_small:.1f} s) vs cxkit: max |diff| = {d_small:.2e} (tol {TOL:g})")
    if not d_small <= TOL:
        failures.append("Shapley weights (lstsq route) differ")

    # ---- relative weights, for information
    t_rw_cx, rw = best_of(lambda: cx.key_drivers(df, target="overall", drivers=drivers), args.repeat)
    t_rw_np, rw_np = best_of(lambda: numpy_relative_weights(df, drivers), args.repeat)
    d_rw = float(np.max(np.abs(rw["weight"].to_numpy() - rw_np)))
    print(f"  relative weights (information): cxkit {t_rw_cx * 1e3:.1f} ms, numpy corrcoef+eigh "
          f"{t_rw_np * 1e3:.1f} ms, ratio {t_rw_np / t_rw_cx:.2f}x; max |diff| = {d_rw:.2e}")
    if not d_rw <= TOL:
        failures.append("relative weights differ")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=args.rows, drivers=p, cxkit_s=t_cx, numpy_s=total_est, extrapolated=not args.full,
                           fitted=fitted, ratio=ratio, subset_r2_maxdiff=worst_r2, shapley_maxdiff_corr=d_full,
                           shapley_maxdiff_lstsq=d_small, relative_weights=dict(cxkit_s=t_rw_cx, numpy_s=t_rw_np),
                           versions=versions()), f, indent=2)
    if failures:
        print("MISMATCH: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
