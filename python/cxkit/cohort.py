"""Cohort retention and churn: retention matrices by cohort and age, churn per period, and
per-customer churn durations ready for Kaplan-Meier.

Formulas: METRICS.md §4 "Cohort retention and churn"; the exact definitions of observed and partial
cells, rolling ages and churn durations are in ``include/cxkit/customer/cohort.hpp``.
:func:`retention` runs one pass over the events (dense customer codes, a per-customer bitmap of
ages); :class:`CohortAccumulator` is the mergeable state for feeds and partitioned data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import CohortAccumulator

__all__ = ["retention", "churn_rate", "churn_durations", "Retention", "CohortAccumulator"]



@dataclass
class Retention:
    """Result of :func:`retention` (METRICS.md §4).

    ``counts`` and ``rates``: rows = cohort start (period of each customer's first event), columns =
    age 0..K; NaN where the cell is not observed yet. ``partial``: True where the cell's period
    continues after the observation end. ``sizes``: customers per cohort. ``curve``: pooled
    retention R(k) = Σ_c count[c, k] / Σ_{c observed at k} size_c. ``revenue`` and
    ``revenue_rates`` (revenue at age k / revenue at age 0) when revenue was given.
    """

    counts: pd.DataFrame
    rates: pd.DataFrame
    sizes: pd.Series
    curve: pd.Series
    partial: pd.DataFrame
    n_missing: int
    n_invalid: int
    n_customers: int
    n: int
    period: str
    kind: str
    rolling_days: Optional[int]
    observation_end: Optional[pd.Timestamp]
    revenue: Optional[pd.DataFrame] = None
    revenue_rates: Optional[pd.DataFrame] = field(default=None)

    def __repr__(self) -> str:
        return (
            f"Retention(period={self.period!r}, kind={self.kind!r}, cohorts={len(self.sizes)}, "
            f"ages={self.counts.shape[1]}, customers={self.n_customers}, n={self.n}, "
            f"n_missing={self.n_missing}, n_invalid={self.n_invalid})"
        )


# --------------------------------------------------------------------------------------------------
# normalisation


def _end_day(value: Any) -> Optional[int]:
    if value is None:
        return None
    return _frame.scalar_time_ns(value, "observation_end") // _frame.NS_PER_DAY


def _check_kind(kind: str) -> None:
    if kind not in ("exact", "unbounded"):
        raise _core.InvalidArgumentError(f'kind must be "exact" or "unbounded", got {kind!r}')


def _rolling(rolling_days: Any) -> int:
    if rolling_days is None:
        return 0
    if isinstance(rolling_days, (bool, np.bool_)) or not isinstance(rolling_days, (int, np.integer)) or rolling_days <= 0:
        raise _core.InvalidArgumentError(f"rolling_days must be a positive integer or None, got {rolling_days!r}")
    return int(rolling_days)


def _days_index(days: np.ndarray, name: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]"), name=name)


def _to_retention(d: dict, kind: str, period: str, rolling_days: int) -> Retention:
    index = _days_index(d["cohort_start_day"], "cohort")
    ages = pd.RangeIndex(d["exact"].shape[1], name="age")
    observed = np.asarray(d["observed"], dtype=bool)
    counts = np.asarray(d[kind], dtype=np.float64)
    sizes = np.asarray(d["exact"][:, 0] if d["exact"].shape[1] else np.zeros(len(index)), dtype=np.int64)
    counts = np.where(observed, counts, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = counts / sizes[:, None] if len(index) else counts
    revenue = revenue_rates = None
    if d["revenue"] is not None:
        rev = np.where(observed, np.asarray(d["revenue"], dtype=np.float64), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            rr = rev / rev[:, :1] if len(index) and rev.shape[1] else rev
        rr = np.where(np.isfinite(rr), rr, np.nan)
        revenue = pd.DataFrame(rev, index=index, columns=ages)
        revenue_rates = pd.DataFrame(rr, index=index, columns=ages)
    return Retention(
        counts=pd.DataFrame(counts, index=index, columns=ages),
        rates=pd.DataFrame(rates, index=index, columns=ages),
        sizes=pd.Series(sizes, index=index, name="size"),
        curve=pd.Series(np.asarray(d["curve_" + kind], dtype=np.float64), index=ages, name="retention"),
        partial=pd.DataFrame(np.asarray(d["partial"], dtype=bool), index=index, columns=ages),
        n_missing=int(d["n_missing"]),
        n_invalid=int(d["n_invalid"]),
        n_customers=int(d["n_customers"]),
        n=int(d["n_events"]),
        period=period,
        kind=kind,
        rolling_days=rolling_days or None,
        observation_end=pd.Timestamp(np.datetime64(int(d["end_day"]), "D")) if d["has_data"] else None,
        revenue=revenue,
        revenue_rates=revenue_rates,
    )


def _state_add(state: CohortAccumulator, customer: Any, time: Any, revenue: Any, time_unit: str, on_invalid: str) -> None:
    keys, mask, stamps, flags, units, rev = _frame.state_rows(customer, time, revenue, "revenue", time_unit)
    if rev is None and state.has_revenue:
        raise _core.InvalidArgumentError("this CohortAccumulator keeps revenue: pass revenue=")
    state._add(keys, mask, stamps, flags, units, rev, on_invalid)


def _state_result(state: CohortAccumulator, kind: str, observation_end: Any) -> Retention:
    _check_kind(kind)
    return _to_retention(state._table(_end_day(observation_end)), kind, state.period, state.rolling_days or 0)


def _churn_frame(d: dict) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "active_start": np.asarray(d["active_start"], dtype=np.int64),
            "lost": np.asarray(d["lost"], dtype=np.int64),
            "churn_rate": np.asarray(d["churn_rate"], dtype=np.float64),
            "partial": np.asarray(d["partial"], dtype=bool),
        },
        index=_days_index(d["period_start_day"], "period"),
    )
    frame.attrs.update(n_missing=int(d["n_missing"]), n_invalid=int(d["n_invalid"]))
    return frame


def _state_churn(state: CohortAccumulator, observation_end: Any) -> pd.DataFrame:
    return _churn_frame(state._churn(_end_day(observation_end)))


# --------------------------------------------------------------------------------------------------
# public functions


def retention(
    events: Any,
    *,
    customer: Any,
    time: Any,
    period: str = "M",
    kind: str = "exact",
    revenue: Any = None,
    rolling_days: Optional[int] = None,
    observation_end: Any = None,
    time_unit: str = "s",
    on_invalid: str = "raise",
) -> Retention:
    """Cohort retention matrices (METRICS.md §4).

    Parameters
    ----------
    events : DataFrame (pandas or Polars) or None
        One row per event; with ``None``, ``customer`` and ``time`` are arrays.
    customer, time : str or array-like
        Column names or arrays. Customers: integers or strings (missing = not a customer, counted
        in ``n_missing``). Times: datetime64, pandas/Polars datetimes, ISO strings, or integer
        epoch values in ``time_unit`` ("s", "ms", "us", "ns", or "D" for day numbers).
    period : {"D", "W", "M", "Q"}
        Calendar day, ISO week (Monday start), month, quarter. The cohort of a customer is the
        period of its first event; age k = period index - cohort index.
    kind : {"exact", "unbounded"}
        "exact": active in age k; "unbounded": active at age k or later.
    revenue : str or array-like, optional
        Revenue per event: gives ``revenue`` (sum per cohort and age) and ``revenue_rates``.
        A missing revenue makes the row missing; a non-finite one is invalid.
    rolling_days : int, optional
        Ages of N days counted from each customer's first event instead of calendar periods
        (cohorts stay calendar periods of ``period``).
    observation_end : date-like, optional
        The observation end (default: the last event). Events after it are invalid.
    on_invalid : {"raise", "drop"}
        Unparseable or out-of-range times and non-finite revenue raise InvalidInputError, or are
        dropped and counted in ``n_invalid``.

    Returns
    -------
    Retention
        ``counts``, ``rates`` (NaN where not observed), ``partial``, ``sizes``, ``curve``,
        ``n_missing``, ``n_invalid`` and, with revenue, ``revenue`` and ``revenue_rates``.

    Examples
    --------
    >>> import pandas as pd, cxkit as cx
    >>> ev = pd.DataFrame({"customer": [1, 1, 2, 3],
    ...                    "time": pd.to_datetime(["2024-01-03", "2024-02-10", "2024-01-20", "2024-02-01"])})
    >>> r = cx.retention(ev, customer="customer", time="time")
    >>> r.counts.to_numpy().tolist()
    [[2.0, 1.0], [1.0, nan]]
    >>> r.curve.tolist()
    [1.0, 0.5]
    """
    _check_kind(kind)
    rolling = _rolling(rolling_days)
    c, t, r, n = _frame.event_columns(events, customer, time, revenue)
    key = _frame._factorize_key(c, "customer", n)
    stamps, flags, units = _frame.epoch_stamps(t, time_unit)
    rev = _frame.float_values(r, "revenue") if r is not None else None
    codes = np.ascontiguousarray(key.codes)
    d = _core.retention_count(codes, int(key.offset), int(key.n), stamps, flags, units, rev, period, rolling,
                              _end_day(observation_end), on_invalid)
    return _to_retention(d, kind, period, rolling)


def churn_rate(
    events: Any,
    *,
    customer: Any,
    time: Any,
    period: str = "M",
    observation_end: Any = None,
    time_unit: str = "s",
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Churn per period (METRICS.md §4): of the customers active in the previous period
    (``active_start``), those not active in this one (``lost``); ``churn_rate`` = lost /
    active_start. Rows run from the second period with activity to the period of the observation
    end; ``partial`` flags a period that continues after it. ``attrs`` holds ``n_missing`` and
    ``n_invalid``. Arguments as in :func:`retention`.

    Examples
    --------
    >>> import pandas as pd, cxkit as cx
    >>> ev = pd.DataFrame({"customer": [1, 2, 1, 3],
    ...                    "time": pd.to_datetime(["2024-01-03", "2024-01-05", "2024-02-10", "2024-02-11"])})
    >>> cx.churn_rate(ev, customer="customer", time="time")[["active_start", "lost", "churn_rate"]].to_numpy().tolist()
    [[2.0, 1.0, 0.5]]
    """
    c, t, _, n = _frame.event_columns(events, customer, time)
    key = _frame._factorize_key(c, "customer", n)
    codes = np.asarray(key.codes).astype(np.int64) - int(key.offset)
    mask = (codes < 0).astype(np.uint8)
    stamps, flags, units = _frame.epoch_stamps(t, time_unit)
    state = CohortAccumulator(period)
    state._add(np.ascontiguousarray(codes), mask if mask.any() else None, stamps, flags, units, None, on_invalid)
    return _churn_frame(state._churn(_end_day(observation_end)))


def churn_durations(
    events: Any,
    *,
    customer: Any,
    time: Any,
    threshold_days: int,
    observation_end: Any = None,
    time_unit: str = "s",
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Churn durations per customer from activity events and an inactivity threshold.

    A customer whose last activity is more than ``threshold_days`` days before the observation
    end (default: the last event) has churned: ``observed`` is True and ``duration`` = last − first
    activity in days. Otherwise the customer is censored: ``observed`` False, ``duration`` =
    observation end − first activity. The frame (indexed by customer) has ``first_activity``,
    ``last_activity``, ``duration`` and ``observed``, ready for :func:`cxkit.kaplan_meier`;
    ``attrs`` holds ``n_missing``, ``n_invalid`` and ``observation_end``.

    Examples
    --------
    >>> import pandas as pd, cxkit as cx
    >>> ev = pd.DataFrame({"customer": ["a", "a", "b"],
    ...                    "time": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-03-01"])})
    >>> d = cx.churn_durations(ev, customer="customer", time="time", threshold_days=30)
    >>> d[["duration", "observed"]].to_numpy().tolist()
    [[10, True], [0, False]]
    """
    if isinstance(threshold_days, (bool, np.bool_)) or not isinstance(threshold_days, (int, np.integer)):
        raise _core.InvalidArgumentError(f"threshold_days must be an integer number of days, got {threshold_days!r}")
    c, t, _, n = _frame.event_columns(events, customer, time)
    key = _frame._factorize_key(c, "customer", n)
    stamps, flags, units = _frame.epoch_stamps(t, time_unit)
    d = _core.churn_durations_count(np.ascontiguousarray(key.codes), int(key.offset), int(key.n), stamps, flags, units,
                                    int(threshold_days), _end_day(observation_end), on_invalid)
    first = np.asarray(d["first_day"])
    seen = np.flatnonzero(first != np.iinfo(np.int64).min)
    index = pd.Index(key.labels(seen), name=customer if isinstance(customer, str) else "customer")
    frame = pd.DataFrame(
        {
            "first_activity": first[seen].astype("datetime64[D]").astype("datetime64[ns]"),
            "last_activity": np.asarray(d["last_day"])[seen].astype("datetime64[D]").astype("datetime64[ns]"),
            "duration": np.asarray(d["duration"])[seen],
            "observed": np.asarray(d["observed"], dtype=bool)[seen],
        },
        index=index,
    )
    frame.attrs.update(
        n_missing=int(d["n_missing"]),
        n_invalid=int(d["n_invalid"]),
        observation_end=pd.Timestamp(np.datetime64(int(d["end_day"]), "D")),
    )
    return frame
