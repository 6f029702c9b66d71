#!/usr/bin/env python3
"""Windowed DSR per seller x dimension: cxkit side by side with Polars, DuckDB and pandas.

One process, one pandas DataFrame for every engine:

    seller     int32 codes 0..S-1, uniform random
    dimension  pandas Categorical: described, shipping, service, communication
    rating     int8 1..5 (skewed to 5 like real seller ratings)
    time       datetime64[ns], whole seconds, uniform over 365 days
    buyer      int64 ids (for the monthly-cap section)

Workload (issue 3): the 180-day window ending at the last day, mean rating and count per seller x
dimension.

    cxkit    cx.dsr(df, seller=, dimension=, rating=, time=, as_of=) -- the kernel counts the 1..5
             histogram per cell, then computes DSR, shares, peer means, vs-peer figures and the Welch
             test per cell (more than the peers compute); the target is judged on this call.
             Also shown: cx.dsr(..., test=False), the same without the per-cell Welch test.
    Polars   pl.from_pandas(df) (inside the timing), filter on the window, group_by/agg mean + len
    DuckDB   register the pandas frame, WHERE on the window, GROUP BY, .df()
    pandas   boolean window mask, groupby(observed=True).agg(mean, size)

Monthly-cap section (information, no target): at most 3 ratings per buyer, seller, dimension and
calendar month count (the first by time, then rating); Polars and DuckDB rank with a window
function. Times are whole seconds so every engine orders ties the same way.

Every engine's counts must equal cxkit's exactly and the means agree to 1e-12, or the script exits 1.
Timing: one warm-up call, then the best of K calls.

Usage:
    python benchmarks/compare_dsr.py               # 10M ratings, 10k sellers, best of 3
    python benchmarks/compare_dsr.py --smoke       # 200k ratings, 1 repetition (CI)
    python benchmarks/compare_dsr.py --rows 2_000_000 --sellers 1000 --json out.json
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import os
import platform
import sys
import time
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

import cxkit as cx
from compare_survey import Mismatch, best_of, duckdb, fmt_rate, pl, versions, write_report

DIMENSIONS = ["described", "shipping", "service", "communication"]
WINDOW = 180
CAP = 3
TARGET_ROWS = 10_000_000
TARGET_PEERS = 3.0
ATOL = 1e-12
DAYS = 365
START = np.datetime64("2025-01-01T00:00:00", "ns")


def make_frame(rows: int, sellers: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "seller": rng.integers(0, sellers, rows, dtype=np.int32),
            "dimension": pd.Categorical.from_codes(rng.integers(0, 4, rows, dtype=np.int8), DIMENSIONS),
            "rating": rng.choice(np.array([1, 2, 3, 4, 5], np.int8), rows, p=[0.03, 0.02, 0.05, 0.2, 0.7]),
            "time": START + rng.integers(0, DAYS * 86400, rows).astype("timedelta64[s]"),
            # few buyers per seller, so the cap bites for some
            "buyer": rng.integers(0, max(1, rows // 20), rows, dtype=np.int64),
        }
    )


def window_bounds(as_of: np.datetime64) -> tuple[np.datetime64, np.datetime64, np.datetime64]:
    """[lo, hi) of the counted stamps, and the first stamp that can hold a cap slot."""
    lo = (as_of - (WINDOW - 1)).astype("datetime64[ns]")
    hi = (as_of + 1).astype("datetime64[ns]")
    cap_lo = lo.astype("datetime64[M]").astype("datetime64[ns]")
    return lo, hi, cap_lo


# --------------------------------------------------------------------------------------------------
# engines: (df, as_of) -> frame indexed by (seller, dimension) with dsr, n


def dsr_cxkit(df: pd.DataFrame, as_of: np.datetime64, cap: bool = False) -> pd.DataFrame:
    return cx.dsr(df, seller="seller", dimension="dimension", rating="rating", time="time",
                  buyer="buyer" if cap else None, as_of=as_of, monthly_cap=CAP if cap else 0)


def dsr_cxkit_no_test(df: pd.DataFrame, as_of: np.datetime64, cap: bool = False) -> pd.DataFrame:
    return cx.dsr(df, seller="seller", dimension="dimension", rating="rating", time="time",
                  buyer="buyer" if cap else None, as_of=as_of, monthly_cap=CAP if cap else 0, test=False)


def dsr_polars(df: pd.DataFrame, as_of: np.datetime64, cap: bool = False) -> pd.DataFrame:
    lo, hi, cap_lo = window_bounds(as_of)
    q = pl.from_pandas(df).lazy()
    if cap:
        q = (q.filter((pl.col("time") >= cap_lo) & (pl.col("time") < hi))
             .sort(["time", "rating"])
             .with_columns(rank=pl.int_range(pl.len()).over(["seller", "dimension", "buyer", pl.col("time").dt.truncate("1mo")]))
             .filter((pl.col("rank") < CAP) & (pl.col("time") >= lo)))
    else:
        q = q.filter((pl.col("time") >= lo) & (pl.col("time") < hi))
    out = q.group_by(["seller", "dimension"]).agg(dsr=pl.col("rating").mean(), n=pl.len()).collect().to_pandas()
    return out.set_index(["seller", "dimension"])


_con = None


def dsr_duckdb(df: pd.DataFrame, as_of: np.datetime64, cap: bool = False) -> pd.DataFrame:
    global _con
    if _con is None:
        _con = duckdb.connect()
    lo, hi, cap_lo = (pd.Timestamp(x) for x in window_bounds(as_of))
    _con.register("ratings", df)
    if cap:
        sql = f"""
            SELECT seller, dimension, avg(rating) AS dsr, count(*) AS n FROM (
                SELECT seller, dimension, rating, time, row_number() OVER (
                    PARTITION BY seller, dimension, buyer, date_trunc('month', time) ORDER BY time, rating) AS rk
                FROM ratings WHERE time >= TIMESTAMP '{cap_lo}' AND time < TIMESTAMP '{hi}')
            WHERE rk <= {CAP} AND time >= TIMESTAMP '{lo}' GROUP BY ALL"""
    else:
        sql = f"""SELECT seller, dimension, avg(rating) AS dsr, count(*) AS n FROM ratings
                  WHERE time >= TIMESTAMP '{lo}' AND time < TIMESTAMP '{hi}' GROUP BY ALL"""
    out = _con.execute(sql).df()
    _con.unregister("ratings")
    return out.set_index(["seller", "dimension"])


def dsr_pandas(df: pd.DataFrame, as_of: np.datetime64, cap: bool = False) -> pd.DataFrame:
    lo, hi, _ = window_bounds(as_of)
    t = df["time"]
    w = df[(t >= lo) & (t < hi)]
    return w.groupby(["seller", "dimension"], observed=True)["rating"].agg(dsr="mean", n="size")


# --------------------------------------------------------------------------------------------------


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """dsr and n per cell that has ratings in the window, with plain keys, sorted. (cx.dsr also lists
    cells whose rows all fell outside the window, with n = 0; the peers have no row for them.)"""
    frame = frame.loc[frame["n"] > 0, ["dsr", "n"]]
    keys = pd.MultiIndex.from_arrays([np.asarray(frame.index.get_level_values(0), dtype=np.int64),
                                      np.asarray(frame.index.get_level_values(1), dtype=object)])
    return frame.set_axis(keys).sort_index()


def check_same(name: str, ref: pd.DataFrame, got: pd.DataFrame) -> None:
    ref, got = _plain(ref), _plain(got)
    if not ref.index.equals(got.index):
        raise Mismatch(f"{name}: {len(got)} seller x dimension cells, cxkit has {len(ref)}")
    n_ref, n_got = ref["n"].to_numpy(np.int64), got["n"].to_numpy(np.int64)
    bad = np.flatnonzero(n_ref != n_got)
    if bad.size:
        raise Mismatch(f"{name}: n differs in {bad.size} cells, e.g. {ref.index[bad[0]]}: {n_ref[bad[0]]} vs {n_got[bad[0]]}")
    diff = np.abs(ref["dsr"].to_numpy(np.float64) - got["dsr"].to_numpy(np.float64))
    if not (diff <= ATOL).all():
        i = int(np.argmax(diff))
        raise Mismatch(f"{name}: dsr differs by up to {diff[i]:.3g} (> {ATOL:g}) at {ref.index[i]}")


def run_section(title: str, df: pd.DataFrame, as_of: np.datetime64, engines: list[tuple[str, Callable]],
                repeat: int, rows: int, cap: bool) -> list[dict]:
    print(f"\n## {title}")
    results, ref = [], None
    for name, fn in engines:
        seconds, out = best_of(lambda: fn(df, as_of, cap), repeat)
        if ref is None:
            ref = out
            print(f"({int((out['n'] > 0).sum()):,} seller x dimension cells, {int(out['n'].sum()):,} ratings counted)")
        else:
            check_same(name, ref, out)
        results.append({"section": title, "engine": name, "seconds": seconds, "rows_per_s": rows / seconds})
        del out
        gc.collect()
    base = results[0]["seconds"]
    print(f"{'engine':<10} {'seconds':>10} {'rows/s':>11} {'ratio':>8}   (ratio = engine time / cxkit time)")
    for r in results:
        r["ratio"] = r["seconds"] / base
        print(f"{r['engine']:<10} {r['seconds']:>10.4f} {fmt_rate(rows, r['seconds']):>11} {r['ratio']:>7.2f}x")
    return results


def target_line(results: list[dict], rows: int) -> Optional[dict]:
    by = {r["engine"]: r["seconds"] for r in results}
    peers = [e for e in ("Polars", "DuckDB") if e in by]
    if not peers:
        return None
    fastest = min(peers, key=lambda e: by[e])
    ratio = by[fastest] / by["cxkit"]
    judged = rows >= TARGET_ROWS
    verdict = ("PASS" if ratio >= TARGET_PEERS else "MISS") if judged else f"(not judged: the target is for {TARGET_ROWS:,} rows)"
    print(f"cxkit vs fastest of Polars/DuckDB ({fastest}): {ratio:.2f}x (target >= {TARGET_PEERS:g}x) {verdict}")
    return {"target": "DSR cxkit vs fastest of Polars/DuckDB", "peer": fastest, "ratio": ratio,
            "goal": TARGET_PEERS, "pass": ratio >= TARGET_PEERS, "judged": judged}


def cxkit_breakdown(df: pd.DataFrame, as_of: np.datetime64, repeat: int) -> dict:
    """Where cx.dsr's time goes (private API, for profiling only)."""
    from cxkit import _core, _frame
    import importlib

    d = importlib.import_module("cxkit.dsr")  # the module (cx.dsr is the function)

    steps: dict[str, float] = {}
    n = len(df)
    sk = _frame._factorize_key(df["seller"], "seller", n)
    dk = _frame._factorize_key(df["dimension"], "dimension", n)
    values, mask = d._rating_values(df["rating"])
    stamps, flags, units = d._times(df["time"])
    day = d._day_number(as_of, "as_of")
    steps["front (keys, ratings, times)"], _ = best_of(
        lambda: (_frame._factorize_key(df["seller"], "seller", n), d._times(df["time"])), repeat)
    args = (sk.codes, sk.offset, sk.n, d._dimension_codes(dk.codes, dk.offset), d._labels(dk), DIMENSIONS,
            values, mask, stamps, flags, units, None, None, day, WINDOW, 0, "raise")
    steps["kernel, all cores"], table = best_of(lambda: _core.dsr_count(*args, 0), repeat)
    steps["kernel, one core"], _ = best_of(lambda: _core.dsr_count(*args, 1), repeat)
    steps["results (peers, Welch test)"], cols = best_of(lambda: table.results(None, "ratings", True, 0), repeat)
    steps["results without the test"], _ = best_of(lambda: table.results(None, "ratings", False, 0), repeat)
    steps["output frame"], _ = best_of(
        lambda: d._frame_from_columns(dict(cols), sk.labels, "seller", DIMENSIONS, None, None), repeat)
    print("\n## where cx.dsr's time goes")
    for k, v in steps.items():
        print(f"{k:<32} {v * 1e3:8.2f} ms")
    return steps


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=TARGET_ROWS)
    ap.add_argument("--sellers", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--smoke", action="store_true", help="rows=200_000, sellers=1000, repeat=1 (CI)")
    ap.add_argument("--no-cap", action="store_true", help="skip the monthly-cap section")
    ap.add_argument("--json", metavar="PATH")
    a = ap.parse_args(argv)
    if a.smoke:
        a.rows, a.sellers, a.repeat = 200_000, 1000, 1
    if a.rows < 1 or a.sellers < 1 or a.repeat < 1:
        ap.error("--rows, --sellers and --repeat must be >= 1")

    v = versions()
    print("# cxkit DSR benchmark: 180-day windowed mean per seller x dimension vs Polars, DuckDB, pandas")
    print(f"date {_dt.datetime.now().isoformat(timespec='seconds')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.platform()}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val is not None))
    print(f"rows {a.rows:,}, sellers {a.sellers:,}, dimensions {len(DIMENSIONS)}, window {WINDOW} days, "
          f"best of {a.repeat} after 1 warm-up, seed {a.seed}")
    t0 = time.perf_counter()
    df = make_frame(a.rows, a.sellers, a.seed)
    as_of = (START + np.timedelta64(DAYS - 1, "D")).astype("datetime64[D]")
    print(f"data built in {time.perf_counter() - t0:.2f} s ({df.memory_usage(index=False).sum() / 2**20:.0f} MiB), "
          f"as_of {as_of}")

    engines: list[tuple[str, Callable]] = [("cxkit", dsr_cxkit)]
    if pl is not None:
        engines.append(("Polars", dsr_polars))
    if duckdb is not None:
        engines.append(("DuckDB", dsr_duckdb))
    report: dict[str, Any] = {"date": _dt.datetime.now().isoformat(timespec="seconds"), "versions": v,
                              "rows": a.rows, "sellers": a.sellers, "repeat": a.repeat, "results": [], "targets": []}
    try:
        res = run_section("DSR, 180-day window, no buyer cap", df, as_of,
                          engines + [("cxkit test=False", dsr_cxkit_no_test), ("pandas", dsr_pandas)],
                          a.repeat, a.rows, cap=False)
        report["results"] += res
        t = target_line(res, a.rows)
        if t:
            report["targets"].append(t)
        no_test = {r["engine"]: r["seconds"] for r in res}
        if "cxkit test=False" in no_test:
            peers = [e for e in ("Polars", "DuckDB") if e in no_test]
            if peers:
                fastest = min(peers, key=lambda e: no_test[e])
                print(f"(cxkit without the per-seller Welch test: {no_test[fastest] / no_test['cxkit test=False']:.2f}x "
                      f"{fastest}; information)")
        if not a.no_cap:
            res = run_section(f"DSR with the monthly cap ({CAP} per buyer, seller, dimension, month)", df, as_of,
                              engines, a.repeat, a.rows, cap=True)
            report["results"] += res
    except Mismatch as e:
        print(f"\nERROR: engines disagree: {e}", file=sys.stderr)
        return 1
    try:
        report["cxkit_breakdown"] = cxkit_breakdown(df, as_of, a.repeat)
    except Exception as e:  # private API: never fail the benchmark on it
        print(f"\n(cxkit breakdown unavailable: {type(e).__name__}: {e})")
    write_report(a.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
