"""The main job: a seeded synthetic survey programme, analysed end to end.

``python -m cxkit demo`` generates survey responses (segment, month, a 0-10 recommend score,
a 1-5 satisfaction score, a 1-7 effort score, survey weights, a few missing and a few invalid
answers), prints NPS, CSAT and CES per segment and month with intervals and the
segment-vs-rest comparisons (Holm-adjusted); then a marketplace's seller ratings (DSR against
category peers, the monthly cap, a seller's sliding DSR: ``_demo_ratings``) and a complaint log
(Pareto, u chart, trend, rate ratio, a -20% target: ``_demo_complaints``), and feature research
(a Kano questionnaire, key drivers and the importance-performance grid, an impact-cost plan within
a budget: ``_demo_product``), and customer retention (monthly cohorts, churn, Kaplan-Meier by
sign-up channel with the log-rank test: ``_demo_customers``), and customer value on the real CDNOW
purchase log shipped with cxkit (RFM segments and value tiers, a BG/NBD holdout check, BG/NBD and
Gamma-Gamma fits, P(alive) and 12-month CLV by segment: ``_demo_value``). Every table is written
to CSV.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
import pandas as pd

from ._demo_complaints import complaints_demo
from ._demo_customers import customers_demo
from ._demo_product import product_demo
from ._demo_value import value_demo
from ._demo_ratings import ratings_demo
from .survey import ces, compare_segments, csat, nps

SEGMENTS = ("Enterprise", "Mid-market", "SMB", "Consumer")
#: Probability of each 0..10 recommend score per segment (a few segments differ on purpose).
_RECOMMEND = {
    "Enterprise": [1, 1, 1, 2, 2, 4, 6, 12, 20, 25, 26],
    "Mid-market": [1, 1, 2, 2, 3, 5, 8, 14, 22, 22, 20],
    "SMB": [2, 2, 3, 4, 5, 7, 9, 14, 20, 18, 16],
    "Consumer": [3, 3, 4, 5, 6, 8, 10, 15, 18, 15, 13],
}


def make_survey(n: int = 6000, *, seed: int = 20261122, months: int = 6) -> pd.DataFrame:
    """Synthetic survey responses (seeded, reproducible).

    Columns: ``segment`` (categorical), ``month`` (period start, datetime64), ``recommend``
    (0-10), ``satisfaction`` (1-5), ``effort`` (1-7), ``weight`` (survey weight). About 2% of
    each answer is missing (NaN) and about 0.3% is invalid (out of scale, or a half point), so
    the bad-input policy shows in the output.

    Examples
    --------
    >>> from cxkit.demo import make_survey
    >>> df = make_survey(100, seed=1)
    >>> sorted(df.columns)
    ['effort', 'month', 'recommend', 'satisfaction', 'segment', 'weight']
    """
    rng = np.random.default_rng(seed)
    seg_share = np.array([0.15, 0.25, 0.35, 0.25])
    segment = rng.choice(len(SEGMENTS), size=n, p=seg_share)
    month_index = rng.integers(0, months, size=n)
    recommend = np.empty(n, dtype=float)
    for i, name in enumerate(SEGMENTS):
        p = np.asarray(_RECOMMEND[name], dtype=float)
        rows = segment == i
        # A gentle improvement over the months for SMB: the programme's "action" worked.
        recommend[rows] = rng.choice(11, size=rows.sum(), p=p / p.sum())
        if name == "SMB":
            lift = (month_index[rows] >= months // 2) & (rng.random(rows.sum()) < 0.15)
            recommend[np.flatnonzero(rows)[lift]] = 10
    # Satisfaction and effort follow the recommend score with noise. Effort uses the CES 2.0
    # wording ("the company made it easy...": 1 strongly disagree .. 7 strongly agree), so
    # high is good, like the other two.
    satisfaction = np.clip(np.rint(1 + recommend * 0.4 + rng.normal(0, 0.8, n)), 1, 5)
    effort = np.clip(np.rint(1.5 + recommend * 0.5 + rng.normal(0, 1.0, n)), 1, 7)
    # Survey weights: post-stratification-like, mean about 1.
    weight = np.round(rng.lognormal(0.0, 0.35, n), 3)

    for col in (recommend, satisfaction, effort):
        col[rng.random(n) < 0.02] = np.nan
    invalid = rng.random(n) < 0.003
    recommend[invalid] = rng.choice([11.0, 12.0, -1.0, 7.5], size=invalid.sum())
    invalid = rng.random(n) < 0.003
    satisfaction[invalid] = rng.choice([0.0, 6.0, 3.5], size=invalid.sum())
    invalid = rng.random(n) < 0.003
    effort[invalid] = rng.choice([0.0, 8.0, 9.0], size=invalid.sum())

    start = pd.Timestamp("2026-01-01")
    month = pd.to_datetime([start + pd.DateOffset(months=int(m)) for m in range(months)])[month_index]
    return pd.DataFrame(
        {
            "segment": pd.Categorical.from_codes(segment, categories=list(SEGMENTS)),
            "month": month,
            "recommend": recommend,
            "satisfaction": satisfaction,
            "effort": effort,
            "weight": weight,
        }
    )


def _fmt_interval(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out[value] = frame[value].round(1)
    out["95% CI"] = [f"[{lo:6.1f}, {hi:6.1f}]" for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    out["n"] = frame["n"]
    out["n_eff"] = frame["n_effective"].round(0).astype(int)
    out["missing"] = frame["n_missing"]
    out["invalid"] = frame["n_invalid"]
    return out


def _print_table(title: str, frame: pd.DataFrame) -> None:
    print(f"\n== {title}")
    with pd.option_context("display.width", 140, "display.max_rows", 200):
        print(frame.to_string())


def run(out_dir: Optional[str] = "cxkit-demo", *, n: int = 6000, seed: int = 20261122, quiet: bool = False) -> dict:
    """Run the demo; returns the result tables (and writes them as CSV into ``out_dir``)."""
    df = make_survey(n, seed=seed)
    common = dict(weights="weight", on_invalid="drop")
    tables: dict = {}

    overall = {
        "NPS": nps(df, "recommend", **common),
        "CSAT": csat(df, "satisfaction", **common),
        "CES": ces(df, "effort", **common),
    }
    tables["overall"] = pd.DataFrame(
        [
            {
                "metric": name,
                "value": getattr(r, "nps", None) if name == "NPS" else r.csat,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "n": r.n,
                "n_effective": r.n_effective,
                "n_missing": r.n_missing,
                "n_invalid": r.n_invalid,
            }
            for name, r in overall.items()
        ]
    ).set_index("metric")

    by = ["segment", "month"]
    tables["nps_by_segment_month"] = nps(df, "recommend", by=by, **common)
    tables["csat_by_segment_month"] = csat(df, "satisfaction", by=by, **common)
    tables["ces_by_segment_month"] = ces(df, "effort", by=by, **common)
    vs_rest = []
    for metric, column in (("nps", "recommend"), ("csat", "satisfaction"), ("ces", "effort")):
        t = compare_segments(df, column, by="segment", metric=metric, adjust="holm", **common)
        t.insert(0, "metric", metric)
        vs_rest.append(t)
    tables["segment_vs_rest"] = pd.concat(vs_rest)

    if not quiet:
        rows = len(df)
        print(f"cxkit demo: {rows} synthetic survey responses, {df['segment'].nunique()} segments, "
              f"{df['month'].nunique()} months (seed {seed}); weighted, invalid answers dropped and counted")
        o = tables["overall"].copy()
        o["value"] = o["value"].round(1)
        o[["ci_low", "ci_high", "n_effective"]] = o[["ci_low", "ci_high", "n_effective"]].round(1)
        _print_table("Overall (NPS in points; CSAT and CES in percent satisfied/easy)", o)
        month_label = lambda f: f.rename(index=lambda t: t.strftime("%Y-%m") if hasattr(t, "strftime") else t)  # noqa: E731
        _print_table("NPS by segment and month (adjusted Wald 95% interval)",
                     month_label(_fmt_interval(tables["nps_by_segment_month"], "nps")))
        _print_table("CSAT by segment and month (% satisfied = 4-5, Wilson interval)",
                     month_label(_fmt_interval(tables["csat_by_segment_month"], "csat")))
        _print_table("CES by segment and month (% easy = 5-7, Wilson interval)",
                     month_label(_fmt_interval(tables["ces_by_segment_month"], "csat").rename(columns={"csat": "% easy"})))
        v = tables["segment_vs_rest"]
        value = np.where(v["metric"] == "nps", v["nps"], v["csat"])
        shown = pd.DataFrame(
            {
                "metric": v["metric"].to_numpy(),
                "segment_value": np.round(value.astype(float), 1),
                "rest": v["rest"].round(1).to_numpy(),
                "difference": v["difference"].round(1).to_numpy(),
                "95% CI": [f"[{lo:6.1f}, {hi:6.1f}]" for lo, hi in zip(v["ci_low"], v["ci_high"])],
                "p": v["p_value"].map(lambda p: f"{p:.2g}").to_numpy(),
                "p_holm": v["p_adjusted"].map(lambda p: f"{p:.2g}").to_numpy(),
                "significant": v["significant"].to_numpy(),
            },
            index=v.index,
        )
        _print_table("Each segment vs the rest (difference = segment - rest; Holm-adjusted p within each metric)", shown)

    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        df.to_csv(os.path.join(out_dir, "responses.csv"), index=False)
        for name, table in tables.items():
            table.to_csv(os.path.join(out_dir, f"{name}.csv"))

    # Seller ratings (DSR) and complaints: their own seeded data, tables and CSV files.
    ratings = ratings_demo(quiet=quiet, out_dir=out_dir, seed=seed)
    complaints = complaints_demo(quiet=quiet, out_dir=out_dir)
    product = product_demo(quiet=quiet, out_dir=out_dir, seed=seed)
    customers = customers_demo(quiet=quiet, out_dir=out_dir, seed=seed)
    value = value_demo(quiet=quiet, out_dir=out_dir)  # the real CDNOW log shipped with cxkit
    tables.update(ratings)
    tables.update(complaints)
    tables.update(product)
    tables.update(customers)
    tables.update(value)
    if out_dir and not quiet:
        written = len([f for f in os.listdir(out_dir) if f.endswith(".csv")])
        print(f"\nWrote {written} CSV files to {os.path.abspath(out_dir)}/")
    return tables
