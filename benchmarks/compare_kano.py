#!/usr/bin/env python3
"""Kano category counts per feature: cxkit side by side with Polars, DuckDB and pandas.

One process, one long pandas DataFrame for every engine (issue 4's workload):

    respondent     int32 ids 0..R-1 (each respondent answers every feature)
    feature        pandas Categorical of F feature names (int8 codes)
    functional     int8 1..5
    dysfunctional  int8 1..5

Workload: the counts of each Kano category (A, O, M, I, R, Q) per feature under the standard
evaluation table (METRICS.md §3).

    cxkit    cx.kano(df, feature=, functional=, dysfunctional=) -- one pass of the grouped counting
             kernel over the answer pairs into the 5x5 table per feature, then the full result
             (categories, Better/Worse, strengths, Fong, continuous means); the target is judged on
             this call.
    Polars   pl.from_pandas (inside the timing), then the fastest of three plans:
             "pairs": group_by(feature, f, d).len() and the 25-row table joined to the small result;
             "code": the pair code 5 f + d per row, group_by(feature, code).len(), then the table;
             "join": join every row to the 25-row table on (f, d), then group_by(feature, category).
    DuckDB   register the pandas frame, then the fastest of three plans:
             "pairs": GROUP BY feature, f, d and a join of the small result with the 25-row table;
             "code": GROUP BY feature, 5 f + d, then the table;
             "case": a CASE expression per row, GROUP BY feature, category.
    pandas   groupby([feature, f, d], observed=True).size() and the table mapped on the result.

Every engine's counts must equal cxkit's exactly, or the script exits 1.
Timing: one warm-up call, then the best of K calls.

Usage:
    python benchmarks/compare_kano.py                 # 1M respondents x 20 features, best of 3
    python benchmarks/compare_kano.py --smoke         # 20k respondents x 10 features, 1 repetition (CI)
    python benchmarks/compare_kano.py --respondents 200000 --features 20 --repeat 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

import cxkit as cx
from compare_survey import Mismatch, best_of, duckdb, fmt_rate, pl, versions

CATS = ["A", "O", "M", "I", "R", "Q"]
STANDARD = "QAAAORIIIMRIIIMRIIIMRRRRQ"  # METRICS.md §3, row by row (functional 1..5)
TARGET = 3.0


def make_frame(respondents: int, features: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = respondents * features
    names = [f"feature_{j:02d}" for j in range(features)]
    # answers skewed like real surveys (Like and Dislike common on each side)
    pf = [0.35, 0.2, 0.25, 0.1, 0.1]
    pd_ = [0.1, 0.1, 0.3, 0.2, 0.3]
    return pd.DataFrame({
        "respondent": np.repeat(np.arange(respondents, dtype=np.int32), features),
        "feature": pd.Categorical.from_codes(np.tile(np.arange(features, dtype=np.int8), respondents), names),
        "functional": rng.choice(np.arange(1, 6, dtype=np.int8), n, p=pf),
        "dysfunctional": rng.choice(np.arange(1, 6, dtype=np.int8), n, p=pd_),
    })


def table_frame() -> pd.DataFrame:
    f, d = np.divmod(np.arange(25), 5)
    return pd.DataFrame({"functional": (f + 1).astype(np.int8), "dysfunctional": (d + 1).astype(np.int8),
                         "category": list(STANDARD)})


def wide_counts(long: pd.DataFrame) -> pd.DataFrame:
    """feature x category counts (columns A..Q) from (feature, category, n) rows."""
    out = long.pivot_table(index="feature", columns="category", values="n", aggfunc="sum", fill_value=0,
                           observed=True)
    return out.reindex(columns=CATS, fill_value=0).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# engines


def run_cxkit(df: pd.DataFrame) -> pd.DataFrame:
    return cx.kano(df, feature="feature", functional="functional", dysfunctional="dysfunctional")


def polars_pairs(df: pd.DataFrame) -> pd.DataFrame:
    t = pl.from_pandas(table_frame())
    out = (
        pl.from_pandas(df[["feature", "functional", "dysfunctional"]])
        .lazy()
        .group_by("feature", "functional", "dysfunctional")
        .agg(n=pl.len())
        .join(t.lazy(), on=["functional", "dysfunctional"])
        .group_by("feature", "category")
        .agg(n=pl.col("n").sum())
        .collect()
    )
    return wide_counts(out.to_pandas())


def polars_code(df: pd.DataFrame) -> pd.DataFrame:
    t = pl.from_pandas(table_frame().assign(code=np.arange(25, dtype=np.int16) + 6)[["code", "category"]])
    out = (
        pl.from_pandas(df[["feature", "functional", "dysfunctional"]])
        .lazy()
        .with_columns(code=pl.col("functional").cast(pl.Int16) * 5 + pl.col("dysfunctional").cast(pl.Int16))
        .group_by("feature", "code")
        .agg(n=pl.len())
        .join(t.lazy(), on="code")
        .group_by("feature", "category")
        .agg(n=pl.col("n").sum())
        .collect()
    )
    return wide_counts(out.to_pandas())


def polars_join(df: pd.DataFrame) -> pd.DataFrame:
    t = pl.from_pandas(table_frame())
    out = (
        pl.from_pandas(df[["feature", "functional", "dysfunctional"]])
        .lazy()
        .join(t.lazy(), on=["functional", "dysfunctional"])
        .group_by("feature", "category")
        .agg(n=pl.len())
        .collect()
    )
    return wide_counts(out.to_pandas())


def _duck(df: pd.DataFrame, sql: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.register("answers", df[["feature", "functional", "dysfunctional"]])
        con.register("kano_table", table_frame())
        return wide_counts(con.execute(sql).df())
    finally:
        con.close()


def duckdb_pairs(df: pd.DataFrame) -> pd.DataFrame:
    return _duck(df, """
        SELECT p.feature, t.category, sum(p.n)::BIGINT AS n
        FROM (SELECT feature, functional, dysfunctional, count(*) AS n
              FROM answers GROUP BY feature, functional, dysfunctional) p
        JOIN kano_table t USING (functional, dysfunctional)
        GROUP BY p.feature, t.category
    """)


def duckdb_code(df: pd.DataFrame) -> pd.DataFrame:
    return _duck(df, """
        SELECT p.feature, t.category, sum(p.n)::BIGINT AS n
        FROM (SELECT feature, functional::SMALLINT * 5 + dysfunctional::SMALLINT AS code, count(*) AS n
              FROM answers GROUP BY ALL) p
        JOIN (SELECT functional::SMALLINT * 5 + dysfunctional::SMALLINT AS code, category FROM kano_table) t
          USING (code)
        GROUP BY p.feature, t.category
    """)


def duckdb_case(df: pd.DataFrame) -> pd.DataFrame:
    return _duck(df, """
        SELECT feature,
               CASE WHEN (functional = 1 AND dysfunctional = 1) OR (functional = 5 AND dysfunctional = 5) THEN 'Q'
                    WHEN functional = 1 AND dysfunctional = 5 THEN 'O'
                    WHEN functional = 1 THEN 'A'
                    WHEN functional = 5 OR dysfunctional = 1 THEN 'R'
                    WHEN dysfunctional = 5 THEN 'M'
                    ELSE 'I' END AS category,
               count(*)::BIGINT AS n
        FROM answers GROUP BY ALL
    """)


def pandas_pairs(df: pd.DataFrame) -> pd.DataFrame:
    s = df.groupby(["feature", "functional", "dysfunctional"], observed=True).size().rename("n").reset_index()
    s = s.merge(table_frame(), on=["functional", "dysfunctional"])
    return wide_counts(s[["feature", "category", "n"]])


# --------------------------------------------------------------------------------------------------


def check_counts(name: str, ref: pd.DataFrame, got: pd.DataFrame) -> None:
    a = ref[CATS].set_axis(pd.Index(np.asarray(ref.index, dtype=object))).sort_index()
    b = got[CATS].set_axis(pd.Index(np.asarray(got.index, dtype=object))).sort_index()
    if list(a.index) != list(b.index):
        raise Mismatch(f"{name}: features differ from cxkit")
    bad = (a.to_numpy(np.int64) != b.to_numpy(np.int64))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise Mismatch(f"{name}: {CATS[j]} of {a.index[i]!r} differs: cxkit {a.iat[i, j]}, {name} {b.iat[i, j]}")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--respondents", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true", help="tiny size, one repetition (CI)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)
    if args.smoke:
        args.respondents, args.features, args.repeat = 20_000, 10, 1
    df = make_frame(args.respondents, args.features, args.seed)
    rows = len(df)
    print(f"Kano category counts: {args.respondents:,} respondents x {args.features} features = {rows:,} pairs; "
          f"best of {args.repeat}; {os.cpu_count()} CPUs")
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions().items() if v))

    t_cx, ref = best_of(lambda: run_cxkit(df), args.repeat)
    results: dict[str, Any] = {"rows": rows, "cxkit": t_cx}
    print(f"  {'cxkit cx.kano':<28} {t_cx * 1e3:9.1f} ms  {fmt_rate(rows, t_cx):>10}")
    engines: list[tuple[str, str, Callable]] = []
    if pl is not None:
        engines += [("polars", "pairs", polars_pairs), ("polars", "code", polars_code), ("polars", "join", polars_join)]
    if duckdb is not None:
        engines += [("duckdb", "pairs", duckdb_pairs), ("duckdb", "code", duckdb_code), ("duckdb", "case", duckdb_case)]
    engines += [("pandas", "pairs", pandas_pairs)]
    best: dict[str, float] = {}
    try:
        for engine, plan, fn in engines:
            t, got = best_of(lambda fn=fn: fn(df), args.repeat)
            check_counts(f"{engine} {plan}", ref, got)
            best[engine] = min(best.get(engine, float("inf")), t)
            results[f"{engine}_{plan}"] = t
            print(f"  {engine + ' (' + plan + ')':<28} {t * 1e3:9.1f} ms  {fmt_rate(rows, t):>10}  "
                  f"{t / t_cx:6.2f}x cxkit's time")
    except Mismatch as e:
        print(f"MISMATCH: {e}", file=sys.stderr)
        return 1
    peers = {k: v for k, v in best.items() if k in ("polars", "duckdb")}
    if peers:
        fastest = min(peers, key=peers.get)
        ratio = peers[fastest] / t_cx
        results["ratio_vs_fastest_peer"] = ratio
        verdict = "meets" if ratio >= TARGET else "misses"
        print(f"cxkit vs the fastest peer ({fastest}): {ratio:.2f}x faster ({verdict} the {TARGET:g}x target"
              f"{'' if rows >= 20_000_000 else '; target is judged at 20M pairs'})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"results": results, "versions": versions()}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
