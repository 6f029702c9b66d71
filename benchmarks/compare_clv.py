#!/usr/bin/env python3
"""BG/NBD, Gamma-Gamma and CLV: cxkit side by side with lifetimes on the same data.

Two workloads (one process, the same numpy arrays for both engines):

1. CDNOW sample (tests/data/cdnow_sample_summary.csv, 2,357 customers, weeks): the BG/NBD fit.
       cxkit      cx.BetaGeoFitter().fit(x, t_x, T)   (estimates, log-likelihood, standard errors)
       lifetimes  BetaGeoFitter().fit(x, t_x, T)      (the same, Hessian by autograd)
   Target: >= 20x lifetimes, estimates equal to 1e-4.

2. Synthetic population (--customers, default 1,000,000): the BG/NBD process simulated with known
   parameters (r=0.25, alpha=4, a=0.8, b=2.5; seeded), ages of 26..78 weeks at day resolution,
   purchase times rounded to days (as a weekly summary of daily data, like CDNOW); spend per
   transaction from the Gamma-Gamma model (p=6, q=4, gamma=15).
       cxkit      BetaGeoFitter().fit + GammaGammaFitter().fit + customer_lifetime_value (12 months)
       lifetimes  BetaGeoFitter().fit + GammaGammaFitter().fit + customer_lifetime_value(freq="W")
   lifetimes counts 4.345 weeks in a month; cxkit is called with period_days = 30 / 4.345 so both
   sum the same months. Target: >= 20x lifetimes.

Checks before the figures are trusted (exit 1 otherwise): estimates equal to 1e-4 relative; CLV
of cxkit equal to lifetimes' CLV computed with cxkit's parameters to 1e-8 relative.
Timing: one warm-up call, then the best of --repeat calls (lifetimes at full size: --peer-repeat,
default 1, it takes minutes).

Usage:
    python benchmarks/compare_clv.py                    # CDNOW + 1M customers
    python benchmarks/compare_clv.py --smoke            # CDNOW + 20k customers, 1 repetition (CI)
    python benchmarks/compare_clv.py --customers 200_000 --json out.json
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

import cxkit as cx
from compare_survey import best_of, versions, write_report

ROOT = Path(__file__).resolve().parents[1]
CDNOW = ROOT / "tests" / "data" / "cdnow_sample_summary.csv"
TARGET_CUSTOMERS = 1_000_000
TARGET_RATIO = 20.0
TRUE_BG = dict(r=0.25, alpha=4.0, a=0.8, b=2.5)
TRUE_GG = dict(p=6.0, q=4.0, gamma=15.0)
WEEKS_PER_MONTH = 4.345  # lifetimes' month for freq="W"


def simulate(n: int, seed: int) -> pd.DataFrame:
    """BG/NBD customers (x, t_x, T in weeks) and Gamma-Gamma mean spend, vectorised over customers."""
    rng = np.random.default_rng(seed)
    T = rng.integers(26 * 7, 78 * 7 + 1, n) / 7.0
    lam = rng.gamma(TRUE_BG["r"], 1.0 / TRUE_BG["alpha"], n)
    p = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    now = np.zeros(n)
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1.0, active.size) / lam[active]
        inside = now[active] <= T[active]
        active = active[inside]
        x[active] += 1
        tx[active] = now[active]
        alive = rng.random(active.size) >= p[active]  # dropout after a repeat purchase
        active = active[alive]
    tx = np.floor(tx * 7.0) / 7.0  # purchase days
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], n)
    m = np.zeros(n)
    pos = x > 0
    m[pos] = rng.gamma(TRUE_GG["p"] * x[pos], 1.0 / (x[pos] * nu[pos]))
    return pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T, "monetary_value": m})


def timed(fn, repeat: int):
    """Best of `repeat` calls without a warm-up call (lifetimes at 1M customers takes minutes)."""
    best, out = float("inf"), None
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0


def cdnow_part(repeat: int, report: dict) -> bool:
    from lifetimes import BetaGeoFitter

    d = pd.read_csv(CDNOW)
    x, tx, T = d["x"].to_numpy(float), d["t.x"].to_numpy(), d["T.cal"].to_numpy()
    t_cx, bgf = best_of(lambda: cx.BetaGeoFitter().fit(x, tx, T), max(repeat, 100))
    t_lt, lbg = best_of(lambda: BetaGeoFitter().fit(x, tx, T), max(repeat, 5))
    names = ["r", "alpha", "a", "b"]
    diff = rel([bgf.params[k] for k in names], lbg.params_[names].to_numpy())
    ratio = t_lt / t_cx
    print(f"\n1. BG/NBD fit, CDNOW sample ({len(d):,} customers, {bgf.n_unique:,} distinct rows)")
    print(f"   estimates {', '.join(f'{k}={bgf.params[k]:.4f}' for k in names)}; log-likelihood "
          f"{bgf.log_likelihood:.2f}; {bgf.iterations} Newton iterations; max rel. diff vs lifetimes {diff:.1e}")
    print(f"   {'engine':<12}{'ms':>10}{'ratio':>10}")
    print(f"   {'cxkit':<12}{t_cx * 1e3:>10.3f}{1.0:>10.1f}")
    print(f"   {'lifetimes':<12}{t_lt * 1e3:>10.3f}{ratio:>10.1f}")
    print(f"   target >= {TARGET_RATIO:.0f}x lifetimes: {ratio:.1f}x -> {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    report["cdnow"] = {"customers": len(d), "cxkit_s": t_cx, "lifetimes_s": t_lt, "ratio": ratio, "max_rel_diff": diff}
    return diff <= 1e-4


def population_part(n: int, seed: int, repeat: int, peer_repeat: int, report: dict) -> bool:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    t0 = time.perf_counter()
    df = simulate(n, seed)
    x, tx, T, m = (df[c].to_numpy() for c in ["frequency", "recency", "T", "monetary_value"])
    series = [df[c] for c in ["frequency", "recency", "T", "monetary_value"]]  # lifetimes' CLV wants Series
    pos = x > 0
    print(f"\n2. Fit + Gamma-Gamma + 12-month CLV, {n:,} simulated customers "
          f"({pos.mean():.0%} repeat buyers, mean x {x.mean():.2f}; simulated in {time.perf_counter() - t0:.1f} s)")
    period_days = 30.0 / WEEKS_PER_MONTH

    def run_cx():
        bgf = cx.BetaGeoFitter().fit(x, tx, T)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ggf = cx.GammaGammaFitter().fit(x, m)
        clv = cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, months=12, discount_rate=0.01, period_days=period_days)
        return bgf, ggf, clv

    def run_lt():
        lbg = BetaGeoFitter().fit(x, tx, T)
        lgg = GammaGammaFitter().fit(x[pos], m[pos])
        clv = lgg.customer_lifetime_value(lbg, *series, time=12, discount_rate=0.01, freq="W")
        return lbg, lgg, np.asarray(clv)

    t_cx, (bgf, ggf, clv) = best_of(run_cx, repeat)
    # the three cxkit stages separately (for the report)
    t_fit, _ = best_of(lambda: cx.BetaGeoFitter().fit(x, tx, T), repeat)
    t_clv, _ = best_of(lambda: cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, period_days=period_days), repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_lt, (lbg, lgg, lclv) = timed(run_lt, peer_repeat)

    names = ["r", "alpha", "a", "b"]
    d_bg = rel([bgf.params[k] for k in names], lbg.params_[names].to_numpy())
    d_gg = rel([ggf.params[k] for k in ["p", "q", "gamma"]], lgg.params_[["p", "q", "v"]].to_numpy())
    # lifetimes' CLV with cxkit's parameters: the same numbers to rounding
    lbg.params_ = pd.Series([bgf.params[k] for k in names], index=names)
    lgg.params_ = pd.Series([ggf.params[k] for k in ["p", "q", "gamma"]], index=["p", "q", "v"])
    ref = np.asarray(lgg.customer_lifetime_value(lbg, *series, time=12, discount_rate=0.01, freq="W"))
    d_clv = rel(clv, ref)
    ratio = t_lt / t_cx
    print(f"   cxkit BG/NBD {', '.join(f'{k}={bgf.params[k]:.4f}' for k in names)} (true {TRUE_BG}); "
          f"{bgf.n_unique:,} distinct rows, {bgf.iterations} iterations")
    print(f"   cxkit Gamma-Gamma p={ggf.params['p']:.4f} q={ggf.params['q']:.4f} gamma={ggf.params['gamma']:.4f} (true {TRUE_GG})")
    print(f"   max rel. diff vs lifetimes: BG/NBD {d_bg:.1e}, Gamma-Gamma {d_gg:.1e}; CLV with equal parameters {d_clv:.1e}")
    print(f"   cxkit stages: BG/NBD fit {t_fit:.3f} s, CLV {t_clv:.3f} s")
    print(f"   {'engine':<12}{'seconds':>10}{'ratio':>10}")
    print(f"   {'cxkit':<12}{t_cx:>10.3f}{1.0:>10.1f}")
    print(f"   {'lifetimes':<12}{t_lt:>10.3f}{ratio:>10.1f}")
    size_note = "" if n == TARGET_CUSTOMERS else f" (measured at {n:,} customers, target is at {TARGET_CUSTOMERS:,})"
    print(f"   target >= {TARGET_RATIO:.0f}x lifetimes: {ratio:.1f}x -> {'met' if ratio >= TARGET_RATIO else 'NOT met'}{size_note}")
    report["population"] = {"customers": n, "cxkit_s": t_cx, "cxkit_fit_s": t_fit, "cxkit_clv_s": t_clv,
                            "lifetimes_s": t_lt, "ratio": ratio, "max_rel_diff_bgnbd": d_bg,
                            "max_rel_diff_gamma_gamma": d_gg, "max_rel_diff_clv": d_clv}
    return d_bg <= 1e-4 and d_gg <= 1e-4 and d_clv <= 1e-8


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=lambda s: int(s.replace("_", "")), default=TARGET_CUSTOMERS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true", help="20k customers, 1 repetition")
    ap.add_argument("--json", default=None, help="write the figures as JSON to this path")
    args = ap.parse_args(argv)
    if args.smoke:
        args.customers, args.repeat, args.peer_repeat = 20_000, 1, 1
    import lifetimes

    print(f"BG/NBD + Gamma-Gamma + CLV; cpu count {os.cpu_count()}; best of {args.repeat} "
          f"(lifetimes at the population size: {args.peer_repeat})")
    print("versions:", {**versions(), "lifetimes": lifetimes.__version__})
    report: dict = {"versions": {**versions(), "lifetimes": lifetimes.__version__}}
    ok = cdnow_part(args.repeat, report)
    ok = population_part(args.customers, args.seed, args.repeat, args.peer_repeat, report) and ok
    write_report(args.json, report)
    if not ok:
        print("MISMATCH: estimates or CLV differ from lifetimes beyond the tolerances", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
