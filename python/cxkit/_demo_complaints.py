"""Complaints demo: a year of synthetic complaints, from the Pareto table to a -20% target.

Run ``python -c "from cxkit._demo_complaints import complaints_demo; complaints_demo()"``. The data
are seeded, so every run prints the same tables:

1. a Pareto table of complaint reasons with the vital few (and the same table per quarter);
2. a u chart of complaints per 1,000 orders by month, with out-of-control months;
3. the Mann-Kendall trend of the monthly rate with Sen's slope per month;
4. an exact rate-ratio test of the last month against the one before;
5. progress towards "complaints -20% in 3 months", set after October, with its projection.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
import pandas as pd

from . import feedback

__all__ = ["complaints_demo", "make_complaint_log"]

REASONS = {
    "late delivery": 0.34,
    "damaged item": 0.18,
    "wrong item": 0.12,
    "refund delay": 0.10,
    "billing error": 0.08,
    "rude agent": 0.06,
    "website bug": 0.05,
    "missing parts": 0.04,
    "other": 0.03,
}
GOAL_MONTH = 9  # the goal is set after the 10th month (October, index 9)...
GOAL_CUT = 0.20  # ... to cut the complaint rate by 20% ...
GOAL_MONTHS = 3  # ... within 3 months


def make_complaint_log(seed: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(complaint log, orders per month): 12 months of 2024, one row per complaint.

    The rate starts near 6 complaints per 1,000 orders and falls about 5% a month, with a spike in
    August (a warehouse move); about 1% of complaints have no recorded reason (missing).
    """
    rng = np.random.default_rng(seed)
    months = pd.period_range("2024-01", periods=12, freq="M")
    orders = (20_000 * 1.01 ** np.arange(12) + rng.normal(0, 800, 12)).round().astype(np.int64)
    rate = 6.0 * 0.95 ** np.arange(12)
    rate[7] *= 1.6  # August spike
    complaints = rng.poisson(rate * orders / 1000.0)
    names = np.array(list(REASONS), dtype=object)
    p = np.array(list(REASONS.values()))
    rows = []
    for m, k in zip(months, complaints):
        start = m.start_time
        days = rng.integers(0, m.days_in_month, k)
        reason = names[rng.choice(len(names), size=k, p=p / p.sum())].copy()
        reason[rng.random(k) < 0.01] = None
        rows.append(pd.DataFrame({"date": start + pd.to_timedelta(days, unit="D"), "reason": reason}))
    log = pd.concat(rows, ignore_index=True)
    log["month"] = log["date"].dt.to_period("M").astype(str)
    log["quarter"] = log["date"].dt.to_period("Q").astype(str)
    monthly_orders = pd.DataFrame({"month": months.astype(str), "orders": orders})
    return log, monthly_orders


def _one_row(result, name: str) -> pd.DataFrame:
    return pd.DataFrame([result.to_dict()], index=pd.Index([name], name="test"))


def complaints_demo(quiet: bool = False, out_dir: Optional[str] = None, *, seed: int = 2024) -> dict:
    """Run the complaints walkthrough; print it unless ``quiet``; write CSVs to ``out_dir`` if given.

    Returns the tables by name: ``complaints`` (the log), ``monthly``, ``pareto``,
    ``pareto_by_quarter``, ``control_chart``, ``trend``, ``rate_ratio``, ``target``.

    Examples
    --------
    >>> from cxkit._demo_complaints import complaints_demo
    >>> tables = complaints_demo(quiet=True)
    >>> sorted(tables)[:3]
    ['complaints', 'control_chart', 'monthly']
    """
    log, orders = make_complaint_log(seed)

    # monthly exposure: complaints per 1,000 orders
    counts = log.groupby("month").size()
    monthly = orders.set_index("month")
    monthly["complaints"] = counts.reindex(monthly.index, fill_value=0).astype(np.int64)
    monthly["per_1000_orders"] = 1000.0 * monthly["complaints"] / monthly["orders"]

    pareto = feedback.pareto(log, "reason")
    by_quarter = feedback.pareto(log, "reason", period="quarter")
    chart = feedback.control_chart(monthly["complaints"], monthly["orders"] / 1000.0)
    month_no = np.arange(len(monthly), dtype=float)  # 0 = January: Sen's slope is per month
    trend = feedback.mann_kendall(monthly["per_1000_orders"].to_numpy(), month_no)
    last, prev = monthly.iloc[-1], monthly.iloc[-2]
    ratio = feedback.rate_ratio_test(int(last["complaints"]), float(last["orders"]), int(prev["complaints"]),
                                     float(prev["orders"]))
    baseline = float(monthly["per_1000_orders"].iloc[GOAL_MONTH])
    goal = feedback.target_progress(month_no, monthly["per_1000_orders"].to_numpy(), baseline=baseline,
                                    target=(1.0 - GOAL_CUT) * baseline, deadline=GOAL_MONTH + GOAL_MONTHS)

    tables = {
        "complaints": log,
        "monthly": monthly,
        "pareto": pareto,
        "pareto_by_quarter": by_quarter,
        "control_chart": chart,
        "trend": _one_row(trend, "mann_kendall"),
        "rate_ratio": _one_row(ratio, f"{monthly.index[-1]} vs {monthly.index[-2]}"),
        "target": _one_row(goal, f"-{GOAL_CUT:.0%} in {GOAL_MONTHS} months"),
    }
    if not quiet:
        _print(tables, trend, ratio, goal, pareto)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(os.path.join(out_dir, f"{name}.csv"))
    return tables


def _print(tables: dict, trend, ratio, goal, pareto: pd.DataFrame) -> None:
    pd_opts = ("display.width", 120, "display.max_columns", 20, "display.precision", 3)
    months = tables["monthly"]
    with pd.option_context(*pd_opts):
        print(f"\ncxkit demo, complaints: {len(tables['complaints']):,} complaints over {len(months)} months, "
              f"{int(months['orders'].sum()):,} orders")
        print(f"\n== Pareto of complaint reasons ({pareto.attrs['n_missing']} complaints without a reason skipped)")
        print(pareto.to_string(formatters={"share": "{:.1%}".format, "cumulative_share": "{:.1%}".format}))
        vital = pareto.index[pareto["vital_few"]].tolist()
        print(f"vital few: {len(vital)} of {len(pareto)} reasons make {pareto['cumulative_share'][pareto['vital_few']].iloc[-1]:.0%}"
              f" of complaints: {', '.join(vital)}")
        print("\n== Reason shares by quarter")
        print(tables["pareto_by_quarter"]["share"].unstack(level=0).loc[pareto.index].to_string(
            float_format="{:.1%}".format))
        print("\n== u chart: complaints per 1,000 orders by month")
        chart = tables["control_chart"].copy()
        chart.insert(0, "complaints", months["complaints"].to_numpy())
        chart.insert(1, "orders", months["orders"].to_numpy())
        print(chart.to_string(float_format="{:.2f}".format))
        flagged = chart.index[chart["out_of_control"]].tolist()
        print(f"out of control: {', '.join(map(str, flagged)) if flagged else 'none'}")
        print("\n== Trend of the monthly rate (Mann-Kendall, Sen's slope)")
        print(f"S = {trend.s}, Z = {trend.statistic:.2f}, p = {trend.p_value:.3g}: {trend.trend}; "
              f"slope {trend.slope:+.3f} per 1,000 orders per month "
              f"(95% CI {trend.slope_low:+.3f} to {trend.slope_high:+.3f})")
        print(f"\n== {tables['rate_ratio'].index[0]}: exact rate-ratio test")
        print(f"rate ratio {ratio.difference:.3f} (95% CI {ratio.ci_low:.3f} to {ratio.ci_high:.3f}), "
              f"p = {ratio.p_value:.3g}")
        print(f"\n== Target: complaint rate -{GOAL_CUT:.0%} within {GOAL_MONTHS} months (set after "
              f"{months.index[GOAL_MONTH]})")
        due = pd.Period(months.index[0], freq="M") + int(goal.deadline)
        print(f"baseline {goal.baseline:.2f} -> target {goal.target:.2f} per 1,000 orders; current {goal.current:.2f} "
              f"({goal.progress:.0%} of the way); projected {goal.projected:.2f} for {due}: "
              f"{'on track' if goal.on_track else 'not on track'}")
