"""Demo section: customer value on the CDNOW purchase log (part of ``python -m cxkit demo``).

The real data shipped with cxkit (:func:`cxkit.datasets.load_cdnow`: 69,659 purchases of the
23,570 customers who first bought at CDNOW in Q1 1997, to 1998-06-30). Shows RFM scores and named
segments with value tiers by monthly spend; a BG/NBD model fitted on the first 39 weeks and checked
against the purchases of the following 39 weeks (the holdout test of Fader, Hardie & Lee 2005);
then BG/NBD and Gamma-Gamma fitted on the whole log, P(alive) and the 12-month CLV per customer,
summed by RFM segment.
"""

from __future__ import annotations

import os
import warnings
from typing import Optional

import numpy as np
import pandas as pd

from .clv import BetaGeoFitter, GammaGammaFitter, customer_lifetime_value
from .datasets import load_cdnow
from .rfm import RfmTiesWarning, clv_summary, rfm

__all__ = ["value_demo"]

OBSERVATION_END = "1998-06-30"
CALIBRATION_END = "1997-09-30"  # 39 weeks of calibration, then 39 weeks of holdout
#: Value tiers by average monthly spend (US dollars a month since the first purchase).
TIERS = {"high value": 20.0, "medium value": 5.0}
CLV_MONTHS = 12
MONTHLY_DISCOUNT = 0.01


def _holdout_check(log: pd.DataFrame) -> tuple[pd.DataFrame, BetaGeoFitter]:
    """Fit on the calibration weeks; expected vs actual holdout purchases by calibration frequency."""
    cal = clv_summary(log, customer="customer", time="date", period="D", multiplier=7,
                      calibration_end=CALIBRATION_END, holdout_end=OBSERVATION_END)
    bgf = BetaGeoFitter().fit(cal["frequency"], cal["recency"], cal["T"])
    expected = bgf.conditional_expected_transactions(cal["duration_holdout"], cal["frequency"], cal["recency"], cal["T"])
    bucket = np.minimum(cal["frequency"].to_numpy(), 7).astype(int)
    frame = pd.DataFrame({"repeat purchases in calibration": bucket, "customers": 1,
                          "actual holdout": cal["frequency_holdout"].to_numpy(), "expected holdout": expected})
    table = frame.groupby("repeat purchases in calibration").agg(
        {"customers": "sum", "actual holdout": "mean", "expected holdout": "mean"})
    table.index = [str(i) if i < 7 else "7+" for i in table.index]
    table.index.name = "repeat purchases in calibration"
    table.attrs["actual_total"] = float(frame["actual holdout"].sum())
    table.attrs["expected_total"] = float(frame["expected holdout"].sum())
    return table, bgf


def value_demo(quiet: bool = False, out_dir: Optional[str] = None) -> dict:
    """Run the customer-value section; print it unless ``quiet``; write CSVs to ``out_dir``.

    Returns the tables by name: ``cdnow`` (the purchase log), ``rfm``, ``rfm_segments``,
    ``holdout``, ``clv_params``, ``customer_value`` (per customer: summary, P(alive), expected
    purchases, expected spend, CLV, segment, tier) and ``clv_by_segment``.

    Examples
    --------
    >>> from cxkit._demo_value import value_demo
    >>> tables = value_demo(quiet=True)
    >>> int(tables["rfm"].shape[0])
    23570
    """
    log = load_cdnow()
    with warnings.catch_warnings():
        # Most CDNOW customers bought once or twice, so frequency has fewer than 5 distinct scores;
        # the section prints the cut points and the number of scores instead of the warning.
        warnings.simplefilter("ignore", RfmTiesWarning)
        scores = rfm(log, customer="customer", time="date", amount="amount", as_of=OBSERVATION_END,
                     segments="standard", tiers=TIERS, tier_period="M")
    segments = scores.groupby("segment", observed=True).agg(
        customers=("rfm", "size"), recency_days=("recency", "mean"), purchases=("frequency", "mean"),
        spend=("monetary", "mean")).sort_values("customers", ascending=False)
    holdout, _ = _holdout_check(log)

    summary = clv_summary(log, customer="customer", time="date", amount="amount", period="W",
                          observation_end=OBSERVATION_END)
    x, tx, T, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    bgf = BetaGeoFitter().fit(x, tx, T)
    # A few customers' repeat purchases total $0 (returns or free items): no spend to model, so they
    # are dropped from the Gamma-Gamma fit and counted (their expected spend is still predicted).
    ggf = GammaGammaFitter().fit(x, m, on_invalid="drop")
    value = summary.copy()
    value["p_alive"] = bgf.probability_alive(x, tx, T)
    value["purchases_12m"] = bgf.conditional_expected_transactions(CLV_MONTHS * 30 / 7, x, tx, T)
    value["expected_spend"] = ggf.conditional_expected_value(x, m)
    value["clv_12m"] = customer_lifetime_value(bgf, ggf, x, tx, T, m, months=CLV_MONTHS,
                                               discount_rate=MONTHLY_DISCOUNT, period_days=7)
    value["segment"] = scores["segment"].reindex(value.index)
    value["tier"] = scores["tier"].reindex(value.index)
    by_segment = value.groupby("segment", observed=True).agg(
        customers=("clv_12m", "size"), p_alive=("p_alive", "mean"), purchases_12m=("purchases_12m", "mean"),
        clv_mean=("clv_12m", "mean"), clv_total=("clv_12m", "sum")).sort_values("clv_total", ascending=False)
    by_segment["clv_share"] = by_segment["clv_total"] / by_segment["clv_total"].sum()

    params = pd.DataFrame(
        [{"model": "BG/NBD", "parameter": k, "value": v, "std_error": bgf.standard_errors[k]} for k, v in bgf.params.items()]
        + [{"model": "Gamma-Gamma", "parameter": k, "value": v, "std_error": ggf.standard_errors[k]}
           for k, v in ggf.params.items()]).set_index(["model", "parameter"])

    tables = {
        "cdnow": log,
        "rfm": scores,
        "rfm_segments": segments,
        "holdout": holdout,
        "clv_params": params,
        "customer_value": value,
        "clv_by_segment": by_segment,
    }
    if not quiet:
        with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 3):
            print(f"\ncxkit demo, customer value: the CDNOW purchase log, {len(log):,} purchases of "
                  f"{scores.shape[0]:,} customers, 1997-01-01 to {OBSERVATION_END}")
            print("\n== RFM segments (scores 1-5 by rank; recency in days as of the last day)")
            print(segments.to_string(float_format="{:.1f}".format))
            names = {"r": "recency (days)", "f": "frequency", "m": "monetary ($)"}
            print("cut points: " + "; ".join(
                f"{names[d]} {cuts} ({scores.attrs['n_scores'][d]} scores)" for d, cuts in scores.attrs["cut_points"].items()))
            tiers = scores["tier"].value_counts().reindex([*TIERS, "other"]).fillna(0).astype(int)
            print("value tiers by monthly spend (" + ", ".join(f"{k} > ${v:g}" for k, v in TIERS.items()) + "): "
                  + ", ".join(f"{k} {n:,}" for k, n in tiers.items()))
            print(f"\n== BG/NBD holdout check: fitted on weeks 1-39 (to {CALIBRATION_END}), "
                  "mean repeat purchases in the next 39 weeks")
            print(holdout.to_string(float_format="{:.3f}".format))
            print(f"all customers: {holdout.attrs['actual_total']:,.0f} repeat purchases in the holdout weeks, "
                  f"{holdout.attrs['expected_total']:,.0f} expected")
            print(f"\n== BG/NBD and Gamma-Gamma on the whole log (weeks; converged: BG/NBD {bgf.converged}, "
                  f"Gamma-Gamma {ggf.converged})")
            print(params.to_string(float_format="{:.4f}".format))
            print(f"Gamma-Gamma on {ggf.n:,} repeat customers ({ggf.n_excluded_zero:,} without repeat purchases "
                  f"excluded, {ggf.n_invalid} with $0 repeat spend dropped); "
                  f"frequency-spend correlation {ggf.frequency_spend_correlation:.3f} "
                  f"({'check the Gamma-Gamma assumption' if ggf.correlation_warning else 'small: the Gamma-Gamma assumption holds'})")
            print(f"\n== {CLV_MONTHS}-month CLV (monthly discount {MONTHLY_DISCOUNT:.0%}) by RFM segment")
            print(by_segment.to_string(formatters={"clv_share": "{:.1%}".format}, float_format="{:.2f}".format))
            print("(BG/NBD treats customers without a repeat purchase as alive, P(alive) = 1; their expected "
                  "purchases stay low)")
            top = value.sort_values("clv_12m", ascending=False).head(5)
            print("top customers:")
            print(top[["frequency", "recency", "T", "monetary_value", "p_alive", "clv_12m", "segment"]]
                  .to_string(float_format="{:.2f}".format))
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(os.path.join(out_dir, f"{name}.csv"))
    return tables
