"""Demo section: customer retention on a synthetic event log (part of ``python -m cxkit demo``).

A seeded year of activity for 4,000 customers of a subscription shop who sign up through the app
or the web site; app customers churn more slowly. Shows the monthly cohort table (rates, NaN where
a cohort is too young to be observed), the pooled retention curve, churn by month, and the
Kaplan-Meier curves of customer lifetime (60 days without activity = churned, customers still
active at the end censored) for the two sign-up channels with the log-rank test.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
import pandas as pd

from .cohort import churn_durations, churn_rate, retention
from .survival import kaplan_meier, logrank_test

__all__ = ["customers_demo", "make_event_log"]

OBSERVATION_END = "2025-12-31"
INACTIVE_DAYS = 60  # no activity for this long = churned
MONTHLY_STAY = {"app": 0.86, "web": 0.74}  # chance of staying active another month


def make_event_log(n: int = 4000, *, seed: int = 20261122) -> pd.DataFrame:
    """One row per activity: customer, time, channel (a few rows lack the customer id)."""
    rng = np.random.default_rng(seed + 2)
    channel = np.where(rng.random(n) < 0.45, "app", "web")
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    end = pd.Timestamp(OBSERVATION_END) + pd.Timedelta(hours=23)
    rows = []
    for c in range(n):
        stay = MONTHLY_STAY[channel[c]]
        t = start[c]
        while t <= end:
            rows.append((c, t + pd.Timedelta(minutes=int(rng.integers(0, 1440))), channel[c]))
            if rng.random() > stay ** (1 / 2):  # two activities a month on average
                break
            t = t + pd.Timedelta(days=int(rng.integers(5, 26)))
    log = pd.DataFrame(rows, columns=["customer", "time", "channel"])
    log = log[log["time"] <= end]
    log = log.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # events in any order
    log["customer"] = log["customer"].astype("Int64")
    log.loc[rng.choice(len(log), 25, replace=False), "customer"] = pd.NA  # not attributable: missing
    return log


def customers_demo(quiet: bool = False, out_dir: Optional[str] = None, *, seed: int = 20261122) -> dict:
    """Run the retention section; print it unless ``quiet``; write CSVs to ``out_dir``.

    Returns the tables by name: ``events``, ``retention_rates``, ``retention_counts``,
    ``retention_curve``, ``churn``, ``lifetimes``, ``survival_by_channel``.

    Examples
    --------
    >>> from cxkit._demo_customers import customers_demo
    >>> tables = customers_demo(quiet=True)
    >>> float(tables["retention_curve"].iloc[0])
    1.0
    """
    log = make_event_log(seed=seed)
    ret = retention(log, customer="customer", time="time", period="M", observation_end=OBSERVATION_END)
    churn = churn_rate(log, customer="customer", time="time", period="M", observation_end=OBSERVATION_END)
    life = churn_durations(log, customer="customer", time="time", threshold_days=INACTIVE_DAYS,
                           observation_end=OBSERVATION_END)
    channel = log.dropna(subset=["customer"]).groupby("customer")["channel"].first()
    life["channel"] = channel.reindex(life.index).to_numpy()
    km = kaplan_meier("duration", "observed", data=life, by="channel")
    test = logrank_test("duration", "observed", "channel", data=life)
    curves = pd.concat({key: res.table.set_index("time")["survival"] for key, res in km.items()}, axis=1)
    checkpoints = curves.sort_index().ffill().reindex([30, 90, 180, 270], method="ffill")
    checkpoints.index.name = "days"

    tables = {
        "events": log,
        "retention_counts": ret.counts,
        "retention_rates": ret.rates,
        "retention_curve": ret.curve.to_frame(),
        "churn": churn,
        "lifetimes": life,
        "survival_by_channel": km.summary(),
    }
    if not quiet:
        with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 3):
            print(f"\ncxkit demo, customers: {len(log):,} activity events of {life.shape[0]:,} customers in 2025 "
                  f"({ret.n_missing} events without a customer id skipped)")
            print("\n== Monthly cohort retention (share of each sign-up month active k months later; "
                  "blank = not observable yet)")
            rates = ret.rates.copy()
            rates.index = rates.index.strftime("%Y-%m")
            print(rates.to_string(float_format="{:.0%}".format, na_rep=""))
            print("\n== Pooled retention curve")
            print(ret.curve.to_frame().T.to_string(float_format="{:.0%}".format))
            print("\n== Churn by month (active last month, not this month)")
            ch = churn.copy()
            ch.index = pd.to_datetime(ch.index).strftime("%Y-%m")
            print(ch.to_string(formatters={"churn_rate": "{:.1%}".format}))
            print(f"\n== Customer lifetime by sign-up channel (Kaplan-Meier; {INACTIVE_DAYS} days without activity "
                  "= churned)")
            print(km.summary().to_string())
            print("survival at 30 / 90 / 180 / 270 days:")
            print(checkpoints.to_string(float_format="{:.1%}".format))
            print(f"log-rank test, app vs web: chi2 = {test.statistic:.1f} on {test.df:g} df, p = {test.p_value:.3g}")
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(os.path.join(out_dir, f"{name}.csv"))
    return tables
