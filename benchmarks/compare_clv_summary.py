#!/usr/bin/env python3
"""Transaction summary (frequency, recency, T, monetary value): cxkit side by side with lifetimes,
and RFM side by side with a pandas groupby.

One process, one pandas DataFrame for every engine: the full CDNOW master log
($CXKIT_DATASETS/cdnow/cdnow_master.txt, default /work/shared/datasets; 69,659 purchases of 23,570
customers, Jan 1997 - Jun 1998; when absent, cxkit.datasets.load_cdnow() or the 1/10 sample in
tests/data) repeated until it holds at least --rows transactions, each repetition with fresh
customer ids (id + repetition x 23,570, so the ids stay dense), sorted by customer and date as
the original file is.

    customer  int64 ids
    time      datetime64[ns] (whole days)
    amount    float64 dollars

Workloads:

    clv_summary  cx.clv_summary(df, customer=, time=, amount=, period=P)
                 vs lifetimes.utils.summary_data_from_transaction_data(df, ..., monetary_value_col=,
                 freq=P); P = "D" (lifetimes' default) and "W"
    rfm          cx.rfm(df, customer=, time=, amount=) (scores, cut points, segments included)
                 vs pandas groupby(customer).agg(max time, size, sum amount) + recency in days (the
                 raw R/F/M columns only: the scores would add more pandas work)

Outputs must agree before timing (the summaries to 1e-12, the R/F/M columns exactly), or the
script exits 1. Timing: one warm-up call, then the best of K calls (lifetimes: --peer-repeat).

Usage:
    python benchmarks/compare_clv_summary.py               # 10M transactions, best of 3 (lifetimes best of 1)
    python benchmarks/compare_clv_summary.py --smoke       # one copy of CDNOW (69,659 rows), 1 repetition (CI)
    python benchmarks/compare_clv_summary.py --rows 1_000_000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

import cxkit as cx
from compare_survey import Mismatch, best_of, fmt_rate, versions, write_report

TARGET_ROWS = 10_000_000
TARGET_RATIO = 10.0
CDNOW = Path(os.environ.get("CXKIT_DATASETS", "/work/shared/datasets")) / "cdnow" / "cdnow_master.txt"
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "cdnow_sample_elog.csv"


def load_cdnow() -> tuple[pd.DataFrame, str]:
    """The CDNOW master log from the datasets directory, else the copy shipped in cxkit.datasets
    (when the installed cxkit has it), else the 1/10 sample in tests/data (so that --smoke runs
    anywhere the repository is checked out)."""
    if CDNOW.exists():
        raw = pd.read_csv(CDNOW, sep=r"\s+", header=None, skiprows=1, names=["customer", "date", "cds", "amount"])
        source = str(CDNOW)
    else:
        try:
            from cxkit.datasets import load_cdnow as shipped  # type: ignore[import-not-found]

            log = shipped()
            raw = pd.DataFrame({"customer": log["customer"], "date": log["date"].dt.strftime("%Y%m%d"),
                                "amount": log["amount"]})
            source = "cxkit.datasets.load_cdnow()"
        except ImportError:
            e = pd.read_csv(SAMPLE)
            raw = pd.DataFrame({"customer": e["masterid"], "date": e["date"], "amount": e["sales"]})
            source = f"{SAMPLE} (the 1/10 sample: the master log was not found)"
    return pd.DataFrame({
        "customer": raw["customer"].to_numpy(np.int64),
        "time": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d").to_numpy("datetime64[ns]"),
        "amount": raw["amount"].to_numpy(np.float64),
    }), source


def make_frame(base: pd.DataFrame, rows: int) -> tuple[pd.DataFrame, int]:
    reps = max(1, -(-rows // len(base)))
    stride = int(base["customer"].max())
    cust = base["customer"].to_numpy()
    return pd.DataFrame({
        "customer": np.concatenate([cust + r * stride for r in range(reps)]),
        "time": np.tile(base["time"].to_numpy(), reps),
        "amount": np.tile(base["amount"].to_numpy(), reps),
    }), reps


def summary_cxkit(df: pd.DataFrame, period: str) -> pd.DataFrame:
    return cx.clv_summary(df, customer="customer", time="time", amount="amount", period=period)


def summary_lifetimes(df: pd.DataFrame, period: str) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(df, "customer", "time", monetary_value_col="amount", freq=period)


def rfm_cxkit(df: pd.DataFrame) -> pd.DataFrame:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.RfmTiesWarning)  # CDNOW frequencies tie heavily
        return cx.rfm(df, customer="customer", time="time", amount="amount")


def rfm_pandas(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby("customer").agg(last=("time", "max"), frequency=("time", "size"), monetary=("amount", "sum"))
    as_of = df["time"].max().normalize()
    g["recency"] = (as_of - g["last"].dt.normalize()).dt.days
    return g[["recency", "frequency", "monetary"]]


def check_summary(name: str, ref: pd.DataFrame, got: pd.DataFrame) -> None:
    ref = ref.sort_index()
    got = got.sort_index()
    if not np.array_equal(np.asarray(ref.index), np.asarray(got.index)) or list(ref.columns) != list(got.columns):
        raise Mismatch(f"{name}: customers or columns differ ({len(ref)} vs {len(got)} rows)")
    a, b = ref.to_numpy(np.float64), got.to_numpy(np.float64)
    if not np.allclose(a, b, rtol=1e-12, atol=1e-12):
        raise Mismatch(f"{name}: values differ (max abs difference {np.abs(a - b).max():.3g})")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=TARGET_ROWS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=1, help="timed lifetimes/pandas calls after the warm-up")
    ap.add_argument("--smoke", action="store_true", help="one copy of CDNOW, repeat=1 (CI)")
    ap.add_argument("--json", metavar="PATH")
    a = ap.parse_args(argv)
    if a.smoke:
        a.rows, a.repeat, a.peer_repeat = 1, 1, 1
    if a.rows < 1 or a.repeat < 1 or a.peer_repeat < 1:
        ap.error("--rows, --repeat and --peer-repeat must be >= 1")

    v = versions()
    try:
        import lifetimes

        v["lifetimes"] = lifetimes.__version__
    except ImportError:
        print("ERROR: lifetimes is not installed (it is the peer of this benchmark)", file=sys.stderr)
        return 1
    print("# cxkit transaction summary benchmark: clv_summary vs lifetimes, rfm vs pandas groupby")
    print(f"date {_dt.datetime.now().isoformat(timespec='seconds')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.platform()}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val is not None))
    t0 = time.perf_counter()
    base, source = load_cdnow()
    df, reps = make_frame(base, a.rows)
    print(f"data: {source}")
    print(f"data: CDNOW ({len(base):,} rows, {base['customer'].nunique():,} customers) x {reps} = "
          f"{len(df):,} transactions, {reps * base['customer'].nunique():,} customers, built in "
          f"{time.perf_counter() - t0:.2f} s; cxkit best of {a.repeat}, peers best of {a.peer_repeat}, after 1 warm-up")

    results: list[dict] = []
    report: dict[str, Any] = {"date": _dt.datetime.now().isoformat(timespec="seconds"), "versions": v,
                              "rows": len(df), "repetitions": reps, "results": results}
    print(f"\n{'workload':<16} {'engine':<10} {'seconds':>9} {'rows/s':>10} {'peer / cxkit':>13}")
    try:
        for period in ("D", "W"):
            sec_c, out_c = best_of(lambda: summary_cxkit(df, period), a.repeat)
            sec_l, out_l = best_of(lambda: summary_lifetimes(df, period), a.peer_repeat)
            check_summary(f"clv_summary period={period}", out_l, out_c)
            del out_c, out_l
            w = f"clv_summary {period}"
            results += [{"workload": w, "engine": "cxkit", "seconds": sec_c},
                        {"workload": w, "engine": "lifetimes", "seconds": sec_l, "ratio": sec_l / sec_c}]
            print(f"{w:<16} {'cxkit':<10} {sec_c:>9.3f} {fmt_rate(len(df), sec_c):>10}")
            print(f"{w:<16} {'lifetimes':<10} {sec_l:>9.3f} {fmt_rate(len(df), sec_l):>10} {sec_l / sec_c:>12.1f}x")
        sec_c, out_c = best_of(lambda: rfm_cxkit(df), a.repeat)
        sec_p, out_p = best_of(lambda: rfm_pandas(df), a.peer_repeat)
        got = out_c[["recency", "frequency", "monetary"]]
        if not (np.array_equal(np.asarray(got.index), np.asarray(out_p.index))
                and np.array_equal(got["recency"].to_numpy(), out_p["recency"].to_numpy())
                and np.array_equal(got["frequency"].to_numpy(), out_p["frequency"].to_numpy())
                and np.allclose(got["monetary"].to_numpy(), out_p["monetary"].to_numpy(), rtol=1e-12)):
            raise Mismatch("rfm: recency/frequency/monetary differ from pandas")
        results += [{"workload": "rfm", "engine": "cxkit", "seconds": sec_c},
                    {"workload": "rfm", "engine": "pandas", "seconds": sec_p, "ratio": sec_p / sec_c}]
        print(f"{'rfm':<16} {'cxkit':<10} {sec_c:>9.3f} {fmt_rate(len(df), sec_c):>10}")
        print(f"{'rfm':<16} {'pandas':<10} {sec_p:>9.3f} {fmt_rate(len(df), sec_p):>10} {sec_p / sec_c:>12.1f}x")
    except Mismatch as e:
        print(f"\nERROR: engines disagree: {e}", file=sys.stderr)
        return 1
    ratios = [r["ratio"] for r in results if r["engine"] == "lifetimes"]
    ok = min(ratios) >= TARGET_RATIO
    scale = "" if len(df) >= TARGET_ROWS else f" (at {len(df):,} rows; the target is judged at {TARGET_ROWS:,})"
    print(f"\ntarget: clv_summary >= {TARGET_RATIO:.0f}x lifetimes: {'met' if ok else 'NOT met'} "
          f"(lowest {min(ratios):.1f}x){scale}")
    report["target"] = {"ratio": min(ratios), "met": ok}
    write_report(a.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
