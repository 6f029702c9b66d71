#!/usr/bin/env python3
"""Grouped NPS and CSAT: cxkit side by side with pandas, Polars and DuckDB on the same data.

One process, one pandas DataFrame for every engine (ARCHITECTURE.md §4: peers measured side by side
in the same run decide whether we are fast):

    segment  int32 codes 0..G-1, uniform random
    score    int8 0..10, uniform random  (NPS)
    rating   int8 1..5,  uniform random  (CSAT, top-2-box: 4-5)

Engines (each returns, per segment: n, promoters, detractors, nps  /  n, satisfied, csat):

    cxkit               cx.nps(df, score="score", by="segment"), cx.csat(df, score="rating", by="segment")
                        (cxkit also computes intervals, shares, n_eff ... in the same call)
    pandas groupby      boolean helper columns, then groupby(sort=False).agg(size, sum, sum)
    pandas value_counts value_counts of a combined key segment*K + score, reshaped to a G x K table
                        (the fastest honest pandas formulation found; helper key included in the time)
    Polars              pl.from_pandas(df) (inside the timing), lazy group_by/agg, result .to_pandas()
    DuckDB              con.register() of the pandas frame, GROUP BY in SQL, result .df()

Then a string-key section: the segment key as a pandas Categorical ("seg-0042") and as plain object
strings (and pandas 3's default "str" dtype), so the factorization path is measured too
(cxkit vs Polars vs DuckDB; pandas with --pandas-strings).

Every engine's result is checked against cxkit's (aligned on the segment): counts exactly, NPS/CSAT to
1e-9. Any disagreement prints the first differences and exits with status 1.

Timing: one warm-up call, then the best of K calls (time.perf_counter). Thread counts are left at
their defaults: Polars and DuckDB use every core, and so does cxkit's counting kernel (threads=0).

Usage:
    python benchmarks/compare_survey.py                  # 20M rows x 1000 segments, best of 3
    python benchmarks/compare_survey.py --smoke          # 200k rows, 1 repetition (CI)
    python benchmarks/compare_survey.py --rows 5_000_000 --groups 100 --repeat 5 --json out.json
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import sys
import time
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

import cxkit as cx

try:  # optional peers: a missing one is reported and skipped, never fatal
    import polars as pl
except ImportError:  # pragma: no cover
    pl = None
try:
    import duckdb
except ImportError:  # pragma: no cover
    duckdb = None

NPS_TARGET_PEERS = 3.0  # cxkit vs fastest of Polars/DuckDB
NPS_TARGET_PANDAS = 20.0  # cxkit vs pandas
ATOL = 1e-9


# --------------------------------------------------------------------------------------------------
# data


def make_frame(rows: int, groups: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "segment": rng.integers(0, groups, rows, dtype=np.int32),
            "score": rng.integers(0, 11, rows, dtype=np.int8),
            "rating": rng.integers(1, 6, rows, dtype=np.int8),
        }
    )


def segment_labels(groups: int) -> np.ndarray:
    width = max(4, len(str(groups - 1)))
    return np.array([f"seg-{i:0{width}d}" for i in range(groups)], dtype=object)


# --------------------------------------------------------------------------------------------------
# engines: each takes (df, key_column) and returns a pandas frame indexed by the key


def nps_cxkit(df: pd.DataFrame, key: str) -> pd.DataFrame:
    r = cx.nps(df, score="score", by=key)
    return r[["n", "promoters", "detractors", "nps"]]


def csat_cxkit(df: pd.DataFrame, key: str) -> pd.DataFrame:
    r = cx.csat(df, score="rating", by=key)
    return r[["n", "satisfied", "csat"]]


def nps_pandas_groupby(df: pd.DataFrame, key: str) -> pd.DataFrame:
    s = df["score"]
    helper = pd.DataFrame({key: df[key], "promoters": s >= 9, "detractors": s <= 6})
    out = helper.groupby(key, sort=False, observed=True).agg(
        n=("promoters", "size"), promoters=("promoters", "sum"), detractors=("detractors", "sum")
    )
    out["nps"] = 100.0 * (out["promoters"] - out["detractors"]) / out["n"]
    return out


def csat_pandas_groupby(df: pd.DataFrame, key: str) -> pd.DataFrame:
    helper = pd.DataFrame({key: df[key], "satisfied": df["rating"] >= 4})
    out = helper.groupby(key, sort=False, observed=True).agg(n=("satisfied", "size"), satisfied=("satisfied", "sum"))
    out["csat"] = 100.0 * out["satisfied"] / out["n"]
    return out


def _value_counts_table(codes: pd.Series, values: pd.Series, k: int, low: int) -> tuple[np.ndarray, np.ndarray]:
    """(observed group codes, their G x k count table) from value_counts of codes*k + (value-low)."""
    # int32 when it fits: pandas' int32 hash table is several times faster than its int64 one here.
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    dt = np.int32 if n_codes * k < 2**31 else np.int64
    combined = codes.astype(dt) * k + (values.astype(dt) - low)
    vc = combined.value_counts(sort=False)
    g, b = np.divmod(vc.index.to_numpy(), k)
    n_groups = int(g.max()) + 1 if len(g) else 0
    table = np.zeros((n_groups, k), dtype=np.int64)
    table[g, b] = vc.to_numpy()
    observed = np.flatnonzero(table.sum(axis=1) > 0)
    return observed, table[observed]


def nps_pandas_value_counts(df: pd.DataFrame, key: str) -> pd.DataFrame:
    ids, t = _value_counts_table(df[key], df["score"], 11, 0)
    n = t.sum(axis=1)
    promoters = t[:, 9:].sum(axis=1)
    detractors = t[:, :7].sum(axis=1)
    return pd.DataFrame(
        {"n": n, "promoters": promoters, "detractors": detractors, "nps": 100.0 * (promoters - detractors) / n},
        index=pd.Index(ids, name=key),
    )


def csat_pandas_value_counts(df: pd.DataFrame, key: str) -> pd.DataFrame:
    ids, t = _value_counts_table(df[key], df["rating"], 5, 1)
    n = t.sum(axis=1)
    satisfied = t[:, 3:].sum(axis=1)
    return pd.DataFrame({"n": n, "satisfied": satisfied, "csat": 100.0 * satisfied / n}, index=pd.Index(ids, name=key))


def nps_polars(df: pd.DataFrame, key: str) -> pd.DataFrame:
    score = pl.col("score")
    out = (
        pl.from_pandas(df[[key, "score"]])
        .lazy()
        .group_by(key)
        # bool sums are UInt32: widen before subtracting (promoters - detractors can be negative)
        .agg(n=pl.len(), promoters=(score >= 9).sum().cast(pl.Int64), detractors=(score <= 6).sum().cast(pl.Int64))
        .with_columns(nps=100.0 * (pl.col("promoters") - pl.col("detractors")) / pl.col("n"))
        .collect()
    )
    return out.to_pandas().set_index(key)


def csat_polars(df: pd.DataFrame, key: str) -> pd.DataFrame:
    out = (
        pl.from_pandas(df[[key, "rating"]])
        .lazy()
        .group_by(key)
        .agg(n=pl.len(), satisfied=(pl.col("rating") >= 4).sum().cast(pl.Int64))
        .with_columns(csat=100.0 * pl.col("satisfied") / pl.col("n"))
        .collect()
    )
    return out.to_pandas().set_index(key)


def _duck(df: pd.DataFrame, sql: str, key: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.register("survey", df)
        return con.execute(sql).df().set_index(key)
    finally:
        con.close()


def nps_duckdb(df: pd.DataFrame, key: str) -> pd.DataFrame:
    sql = f"""
        SELECT "{key}", n, promoters, detractors, 100.0::DOUBLE * (promoters - detractors) / n AS nps
        FROM (SELECT "{key}", count(*) AS n,
                     sum((score >= 9)::INTEGER)::BIGINT AS promoters,
                     sum((score <= 6)::INTEGER)::BIGINT AS detractors
              FROM survey GROUP BY "{key}")
    """
    return _duck(df, sql, key)


def csat_duckdb(df: pd.DataFrame, key: str) -> pd.DataFrame:
    sql = f"""
        SELECT "{key}", n, satisfied, 100.0::DOUBLE * satisfied / n AS csat
        FROM (SELECT "{key}", count(*) AS n, sum((rating >= 4)::INTEGER)::BIGINT AS satisfied
              FROM survey GROUP BY "{key}")
    """
    return _duck(df, sql, key)


# --------------------------------------------------------------------------------------------------
# timing and checking


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Warm-up once (its result is returned for checking), then the best of `repeat` timed calls."""
    result = fn()
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        del out
    return best, result


class Mismatch(Exception):
    pass


def check_same(name: str, ref: pd.DataFrame, got: pd.DataFrame, counts: list[str], metric: str) -> None:
    """Counts equal exactly, the metric to ATOL, on the same set of segments."""
    # Plain keys (a categorical index would sort by category order, which engines may not share).
    ref = ref.set_axis(pd.Index(np.asarray(ref.index, dtype=object))).sort_index()
    got = got.set_axis(pd.Index(np.asarray(got.index, dtype=object))).sort_index()
    ref_keys = np.asarray(ref.index, dtype=object)
    got_keys = np.asarray(got.index, dtype=object)
    if len(ref_keys) != len(got_keys) or not (ref_keys == got_keys).all():
        missing = sorted(set(ref_keys) - set(got_keys))[:5]
        extra = sorted(set(got_keys) - set(ref_keys))[:5]
        raise Mismatch(f"{name}: segments differ from cxkit ({len(got_keys)} vs {len(ref_keys)}; "
                       f"missing {missing}, extra {extra})")
    for c in counts:
        a = ref[c].to_numpy(dtype=np.float64)
        b = got[c].to_numpy(dtype=np.float64)
        bad = np.flatnonzero(a != b)
        if bad.size:
            i = bad[0]
            raise Mismatch(f"{name}: {c} differs from cxkit in {bad.size} segments, e.g. "
                           f"{ref_keys[i]!r}: cxkit {a[i]:.0f}, {name} {b[i]:.0f}")
    a = ref[metric].to_numpy(dtype=np.float64)
    b = got[metric].to_numpy(dtype=np.float64)
    diff = np.abs(a - b)
    if not (diff <= ATOL).all():
        i = int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)))
        raise Mismatch(f"{name}: {metric} differs from cxkit by up to {diff[i]:.3g} (> {ATOL:g}), e.g. "
                       f"{ref_keys[i]!r}: cxkit {a[i]!r}, {name} {b[i]!r}")


def fmt_rate(rows: int, seconds: float) -> str:
    r = rows / seconds
    return f"{r / 1e9:.2f} G/s" if r >= 1e9 else f"{r / 1e6:.0f} M/s"


def run_section(title: str, df: pd.DataFrame, key: str, engines: list[tuple[str, Callable]], counts: list[str],
                metric: str, repeat: int, rows: int, reference: Optional[pd.DataFrame] = None) -> list[dict]:
    """Times every engine; checks each against the first (cxkit), or against `reference` if given."""
    print(f"\n## {title}")
    results = []
    ref = reference
    for name, fn in engines:
        seconds, out = best_of(lambda: fn(df, key), repeat)
        if ref is None:
            ref = out
        else:
            check_same(name, ref, out, counts, metric)
        results.append({"section": title, "engine": name, "seconds": seconds, "rows_per_s": rows / seconds})
        del out
        gc.collect()
    base = results[0]["seconds"]
    print(f"{'engine':<22} {'seconds':>10} {'rows/s':>11} {'ratio':>8}   (ratio = engine time / cxkit time)")
    for r in results:
        r["ratio"] = r["seconds"] / base
        print(f"{r['engine']:<22} {r['seconds']:>10.4f} {fmt_rate(rows, r['seconds']):>11} {r['ratio']:>7.2f}x")
    return results


TARGET_ROWS = 20_000_000  # the issue states its targets for 20M rows x 1000 segments


def target_lines(results: list[dict], rows: int = TARGET_ROWS) -> list[dict]:
    by = {r["engine"]: r["seconds"] for r in results}
    cxs = by["cxkit"]
    out = []
    peers = [e for e in ("Polars", "DuckDB") if e in by]
    if peers:
        fastest = min(peers, key=lambda e: by[e])
        ratio = by[fastest] / cxs
        out.append({"target": "cxkit vs fastest of Polars/DuckDB", "peer": fastest, "ratio": ratio,
                    "goal": NPS_TARGET_PEERS, "pass": ratio >= NPS_TARGET_PEERS})
    pandas_engines = [e for e in by if e.startswith("pandas")]
    if pandas_engines:
        fastest = min(pandas_engines, key=lambda e: by[e])
        ratio = by[fastest] / cxs
        out.append({"target": "cxkit vs pandas", "peer": fastest, "ratio": ratio,
                    "goal": NPS_TARGET_PANDAS, "pass": ratio >= NPS_TARGET_PANDAS})
        if "pandas groupby" in by and fastest != "pandas groupby":
            out.append({"target": "cxkit vs pandas (groupby only, info)", "peer": "pandas groupby",
                        "ratio": by["pandas groupby"] / cxs, "goal": NPS_TARGET_PANDAS,
                        "pass": by["pandas groupby"] / cxs >= NPS_TARGET_PANDAS})
    judged = rows >= TARGET_ROWS
    for t in out:
        verdict = ("PASS" if t["pass"] else "MISS") if judged else f"(not judged: targets are for {TARGET_ROWS:,} rows)"
        print(f"{t['target']} ({t['peer']}): {t['ratio']:.2f}x (target >= {t['goal']:g}x) {verdict}")
        t["judged"] = judged
    return out


# --------------------------------------------------------------------------------------------------
# where cxkit's time goes (private API: for profiling only, may change with the package)


def cxkit_breakdown(df: pd.DataFrame, repeat: int, string_keys: Optional[dict] = None) -> dict:
    """Times the stages of cx.nps / cx.csat separately: the dataframe front (values + key codes),
    the counting kernel (all cores and one), per-group results, and the output frame."""
    from cxkit import _core, _frame

    steps: dict[str, dict[str, float]] = {}

    def t(metric: str, name: str, fn: Callable[[], Any]) -> Any:
        seconds, out = best_of(fn, repeat)
        steps.setdefault(metric, {})[name] = seconds
        return out

    metrics = [
        ("NPS", "score", lambda d, k: cx.nps(d, score="score", by=k),
         lambda **kw: _core.nps_groups(**kw),
         dict(confidence=0.95, method="adjusted_wald", promoter_min=9, passive_min=7)),
        ("CSAT", "rating", lambda d, k: cx.csat(d, score="rating", by=k),
         lambda **kw: _core.rating_groups(scale=(1, 5), **kw),
         dict(confidence=0.95, satisfied_min=4)),
    ]
    for metric, col, public, kernel, opts in metrics:
        t(metric, "public call (int32 key)", lambda: public(df, "segment"))
        p = t(metric, "1 front: _frame.prepare", lambda: _frame.prepare(df, col, value_arg="score", by="segment"))
        if metric == "NPS":
            t(metric, "    of which _core.min_max(key)", lambda: _core.min_max(np.asarray(df["segment"])))
        args = p.kernel_args()
        g = t(metric, "2 kernel: _core.*_groups, threads=0", lambda: kernel(**args))
        t(metric, "    same, threads=1", lambda: kernel(threads=1, **args))
        cols = t(metric, "3 per-group results", lambda: g.results(**opts))
        t(metric, "4 output frame: _frame.grouped_frame", lambda: _frame.grouped_frame(cols, g, p.grouping))
    for kind, series in (string_keys or {}).items():
        sdf = pd.DataFrame({"key": series, "score": df["score"]})
        m = f"NPS, {kind} key"
        t(m, "public call", lambda: cx.nps(sdf, score="score", by="key"))
        ps = t(m, "1 front: _frame.prepare (factorize)", lambda: _frame.prepare(sdf, "score", value_arg="score", by="key"))
        t(m, f"2 kernel, threads=0 ({ps.grouping.codes.dtype} codes)", lambda: _core.nps_groups(**ps.kernel_args()))
        del sdf, ps
    print("\n## cxkit breakdown (private API, for profiling; best of runs, ms and % of the public call)")
    for metric, rows in steps.items():
        total = next(iter(rows.values()))
        print(f"[{metric}]")
        for name, sec in rows.items():
            print(f"  {name:<46} {sec * 1e3:9.2f} ms  {100 * sec / total:6.1f}%")
    return steps


# --------------------------------------------------------------------------------------------------


def write_report(path: Optional[str], report: dict) -> None:
    """Write the run's figures as JSON when --json PATH was given."""
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
        print(f"\nresults written to {path}")


def versions() -> dict:
    v = {
        "python": platform.python_version(),
        "cxkit": getattr(cx, "__version__", "?"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "polars": pl.__version__ if pl is not None else None,
        "duckdb": duckdb.__version__ if duckdb is not None else None,
    }
    try:
        import pyarrow

        v["pyarrow"] = pyarrow.__version__
    except ImportError:  # pragma: no cover
        v["pyarrow"] = None
    return v


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=20_000_000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions after one warm-up (best is kept)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--smoke", action="store_true", help="rows=200_000, repeat=1 (CI)")
    ap.add_argument("--no-strings", action="store_true", help="skip the string-key section")
    ap.add_argument("--pandas-strings", action="store_true", help="include pandas in the string-key section")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the cxkit time breakdown")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    a = ap.parse_args(argv)
    if a.smoke:
        a.rows, a.repeat = 200_000, 1
    if a.rows < 1 or a.groups < 1 or a.repeat < 1:
        ap.error("--rows, --groups and --repeat must be >= 1")

    v = versions()
    cores = os.cpu_count()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    print("# cxkit survey benchmark: grouped NPS / CSAT vs pandas, Polars, DuckDB")
    print(f"date {_dt.datetime.now().isoformat(timespec='seconds')}, {platform.machine()}, "
          f"{cores} cores ({affinity} usable), {platform.platform()}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val is not None))
    threads = {"cxkit": "all cores (kernel threads=0)"}
    if pl is not None:
        threads["polars"] = str(pl.thread_pool_size())
    if duckdb is not None:
        threads["duckdb"] = str(duckdb.execute("SELECT current_setting('threads')").fetchone()[0])
    print("threads: " + ", ".join(f"{k} {val}" for k, val in threads.items()))
    missing = [k for k in ("polars", "duckdb") if v[k] is None]
    if missing:
        print("not installed (skipped): " + ", ".join(missing))
    print(f"rows {a.rows:,}, segments {a.groups:,}, best of {a.repeat} after 1 warm-up, seed {a.seed}")

    t0 = time.perf_counter()
    df = make_frame(a.rows, a.groups, a.seed)
    print(f"data built in {time.perf_counter() - t0:.2f} s "
          f"({df.memory_usage(index=False, deep=False).sum() / 2**20:.0f} MiB)")

    nps_engines = [("cxkit", nps_cxkit), ("pandas groupby", nps_pandas_groupby),
                   ("pandas value_counts", nps_pandas_value_counts)]
    csat_engines = [("cxkit", csat_cxkit), ("pandas groupby", csat_pandas_groupby),
                    ("pandas value_counts", csat_pandas_value_counts)]
    if pl is not None:
        nps_engines.append(("Polars", nps_polars))
        csat_engines.append(("Polars", csat_polars))
    if duckdb is not None:
        nps_engines.append(("DuckDB", nps_duckdb))
        csat_engines.append(("DuckDB", csat_duckdb))

    report: dict[str, Any] = {"date": _dt.datetime.now().isoformat(timespec="seconds"), "versions": v,
                              "cores": cores, "threads": threads,
                              "rows": a.rows, "groups": a.groups, "repeat": a.repeat, "seed": a.seed,
                              "results": [], "targets": []}
    try:
        res = run_section("grouped NPS (int32 segment codes)", df, "segment", nps_engines,
                          ["n", "promoters", "detractors"], "nps", a.repeat, a.rows)
        report["results"] += res
        report["targets"] += target_lines(res, a.rows)
        res = run_section("grouped CSAT top-2-box (int32 segment codes)", df, "segment", csat_engines,
                          ["n", "satisfied"], "csat", a.repeat, a.rows)
        report["results"] += res

        kinds: dict = {}
        if not a.no_strings:
            labels = segment_labels(a.groups)
            codes = df["segment"].to_numpy()
            # The int-key cxkit result relabelled is the reference for every string-key engine.
            nps_ref = nps_cxkit(df, "segment")
            nps_ref.index = pd.Index(labels[nps_ref.index.to_numpy()], name="key")
            t0 = time.perf_counter()
            kinds = {
                "categorical": pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))),
                "object": pd.Series(labels[codes], dtype=object),
            }
            kinds["str (pandas default)"] = kinds["object"].astype("str")
            print(f"\nstring keys built in {time.perf_counter() - t0:.2f} s "
                  f"(dtypes: {', '.join(f'{k}={s.dtype}' for k, s in kinds.items())})")
            string_engines = [("cxkit", nps_cxkit)]
            if a.pandas_strings:
                string_engines.append(("pandas groupby", nps_pandas_groupby))
            if pl is not None:
                string_engines.append(("Polars", nps_polars))
            if duckdb is not None:
                string_engines.append(("DuckDB", nps_duckdb))
            for kind, series in kinds.items():
                sdf = pd.DataFrame({"key": series, "score": df["score"]})
                res = run_section(f"grouped NPS, {kind} segment key", sdf, "key", string_engines,
                                  ["n", "promoters", "detractors"], "nps", a.repeat, a.rows, reference=nps_ref)
                report["results"] += res
                del sdf
            gc.collect()
    except Mismatch as e:
        print(f"\nERROR: engines disagree: {e}", file=sys.stderr)
        return 1

    if not a.no_breakdown:
        try:
            report["cxkit_breakdown"] = cxkit_breakdown(df, a.repeat, kinds)
        except Exception as e:  # private API: never fail the benchmark on it
            print(f"\n(cxkit breakdown unavailable: {type(e).__name__}: {e})")

    write_report(a.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
