#!/usr/bin/env python3
"""Monthly cohort retention: cxkit side by side with Polars and DuckDB (and pandas at small sizes).

One process, one pandas DataFrame for every engine, events in random order:

    customer  int64 ids 0..C-1, uniform random
    time      datetime64[ns], whole seconds, uniform over 730 days from 2023-01-01

Workload (the issue's target): the exact monthly retention count matrix, customers per
(cohort month = month of the first event, age = month - cohort month).

    cxkit    cx.retention(df, customer=, time=, period="M").counts (also computes rates, the
             pooled curve, the unbounded matrix and the partial flags)
    Polars   pl.from_pandas(df) (inside the timing); month index; min over customer; group_by
             (cohort, age) n_unique(customer)
    DuckDB   register the pandas frame; DISTINCT (customer, month); min() OVER (PARTITION BY
             customer); GROUP BY cohort, age; .df()
    pandas   (only up to 5M rows) drop_duplicates on (customer, month), groupby transform min,
             groupby size

Every engine's matrix must equal cxkit's exactly (unobserved cells are 0 in the peers, NaN in
cxkit), or the script exits 1. Timing: one warm-up call, then the best of K calls.

Usage:
    python benchmarks/compare_cohort.py               # 50M events, 5M customers, best of 3
    python benchmarks/compare_cohort.py --smoke       # 200k events, 1 repetition (CI)
    python benchmarks/compare_cohort.py --rows 5_000_000 --customers 500_000 --repeat 2
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

import cxkit as cx
from compare_survey import Mismatch, best_of, duckdb, fmt_rate, pl, versions, write_report

TARGET_ROWS = 50_000_000
TARGET_PEERS = 3.0
DAYS = 730
START = np.datetime64("2023-01-01T00:00:00", "ns")


def make_frame(rows: int, customers: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, DAYS * 86400, rows, dtype=np.int64)
    return pd.DataFrame({
        "customer": rng.integers(0, customers, rows, dtype=np.int64),
        "time": (START + seconds.astype("timedelta64[s]")).astype("datetime64[ns]"),
    })


def _month_index(ts: pd.DatetimeIndex) -> np.ndarray:
    return (ts.year.to_numpy().astype(np.int64) - 1970) * 12 + ts.month.to_numpy() - 1


def as_long(frame: pd.DataFrame) -> pd.DataFrame:
    """(cohort month index, age) -> count, sorted, zero cells left out."""
    f = frame.astype({"cohort": np.int64, "age": np.int64, "n": np.int64})
    f = f[f["n"] > 0]
    return f.sort_values(["cohort", "age"]).reset_index(drop=True)


def cohort_cxkit(df: pd.DataFrame) -> pd.DataFrame:
    return cx.retention(df, customer="customer", time="time", period="M").counts


def cxkit_long(counts: pd.DataFrame) -> pd.DataFrame:
    m = counts.fillna(0).to_numpy(dtype=np.int64)
    cohorts = _month_index(counts.index)
    r, a = np.nonzero(m)
    return as_long(pd.DataFrame({"cohort": cohorts[r], "age": a, "n": m[r, a]}))


def cohort_polars(df: pd.DataFrame) -> pd.DataFrame:
    f = pl.from_pandas(df)
    m = (pl.col("time").dt.year().cast(pl.Int64) - 1970) * 12 + pl.col("time").dt.month().cast(pl.Int64) - 1
    out = (
        f.lazy()
        .select(pl.col("customer"), m.alias("m"))
        .with_columns(pl.col("m").min().over("customer").alias("cohort"))
        .group_by(pl.col("cohort"), (pl.col("m") - pl.col("cohort")).alias("age"))
        .agg(pl.col("customer").n_unique().alias("n"))
        .collect()
    )
    return out.to_pandas()


def cohort_duckdb(df: pd.DataFrame) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("events", df)
    sql = """
        WITH e AS (SELECT DISTINCT customer, (year(time) - 1970) * 12 + month(time) - 1 AS m FROM events),
             f AS (SELECT m, min(m) OVER (PARTITION BY customer) AS cohort FROM e)
        SELECT cohort, m - cohort AS age, count(*) AS n FROM f GROUP BY 1, 2
    """
    out = con.execute(sql).df()
    con.close()
    return out


def cohort_pandas(df: pd.DataFrame) -> pd.DataFrame:
    t = pd.DatetimeIndex(df["time"])
    e = pd.DataFrame({"customer": df["customer"].to_numpy(), "m": _month_index(t)}).drop_duplicates()
    e["cohort"] = e.groupby("customer")["m"].transform("min")
    e["age"] = e["m"] - e["cohort"]
    return e.groupby(["cohort", "age"]).size().rename("n").reset_index()


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=TARGET_ROWS)
    ap.add_argument("--customers", type=lambda s: int(s.replace("_", "")), default=None,
                    help="default: rows / 10")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--smoke", action="store_true", help="rows=200_000, repeat=1 (CI)")
    ap.add_argument("--json", metavar="PATH")
    a = ap.parse_args(argv)
    if a.smoke:
        a.rows, a.repeat = 200_000, 1
    if a.customers is None:
        a.customers = max(a.rows // 10, 1)
    if a.rows < 1 or a.customers < 1 or a.repeat < 1:
        ap.error("--rows, --customers and --repeat must be >= 1")

    v = versions()
    print("# cxkit cohort benchmark: monthly retention count matrix vs Polars, DuckDB (pandas at small sizes)")
    print(f"date {_dt.datetime.now().isoformat(timespec='seconds')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.platform()}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val is not None))
    print(f"events {a.rows:,}, customers {a.customers:,}, {DAYS} days, best of {a.repeat} after 1 warm-up, seed {a.seed}")
    t0 = time.perf_counter()
    df = make_frame(a.rows, a.customers, a.seed)
    print(f"data built in {time.perf_counter() - t0:.2f} s ({df.memory_usage(index=False).sum() / 2**20:.0f} MiB)")

    engines: list[tuple[str, Callable]] = [("cxkit", cohort_cxkit)]
    if pl is not None:
        engines.append(("Polars", cohort_polars))
    if duckdb is not None:
        engines.append(("DuckDB", cohort_duckdb))
    if a.rows <= 5_000_000:
        engines.append(("pandas", cohort_pandas))
    results: list[dict] = []
    ref: Optional[pd.DataFrame] = None
    print(f"\n## exact monthly retention counts\n{'engine':<10} {'seconds':>9} {'rows/s':>10} {'vs cxkit':>9}")
    try:
        for name, fn in engines:
            sec, out = best_of(lambda fn=fn: fn(df), a.repeat)
            long = cxkit_long(out) if name == "cxkit" else as_long(out)
            if ref is None:
                ref = long
            elif not long.equals(ref):
                raise Mismatch(f"{name}: count matrix differs from cxkit's ({len(long)} vs {len(ref)} cells)")
            results.append({"engine": name, "seconds": sec})
            print(f"{name:<10} {sec:>9.3f} {fmt_rate(a.rows, sec):>10} "
                  f"{sec / results[0]['seconds']:>8.2f}x")
            del out
    except Mismatch as e:
        print(f"\nERROR: engines disagree: {e}", file=sys.stderr)
        return 1
    by = {r["engine"]: r["seconds"] for r in results}
    peers = [e for e in ("Polars", "DuckDB") if e in by]
    report: dict[str, Any] = {"date": _dt.datetime.now().isoformat(timespec="seconds"), "versions": v, "rows": a.rows,
                              "customers": a.customers, "repeat": a.repeat, "results": results}
    if peers:
        fastest = min(peers, key=lambda e: by[e])
        ratio = by[fastest] / by["cxkit"]
        ok = ratio >= TARGET_PEERS
        scale = "" if a.rows == TARGET_ROWS else f" (at {a.rows:,} events; the target is judged at {TARGET_ROWS:,})"
        print(f"\ntarget: cxkit {ratio:.2f}x the fastest peer ({fastest}); needs >= {TARGET_PEERS}x: "
              f"{'met' if ok else 'NOT met'}{scale}")
        report["target"] = {"fastest_peer": fastest, "ratio": ratio, "met": ok}
    write_report(a.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
