"""Survival: Kaplan-Meier estimates and the log-rank family of tests.

Formulas: METRICS.md §4 "Survival" (Kaplan & Meier 1958; Greenwood; Brookmeyer & Crowley 1982);
the state and its conventions are described in ``include/cxkit/customer/survival.hpp``.

Design
------
* **Input**: ``durations`` (and ``observed``, ``weights``, ``entry``, ``by``) are array-likes
  (numpy, pandas, Polars, lists), or column names of the frame given as ``data=``
  (``cx.kaplan_meier("tenure", "churned", data=df, by="plan")``).
* **Rows** (ARCHITECTURE §3): a NaN/None duration, observed flag or entry time is missing
  (``n_missing``); a negative or infinite duration, a flag other than 0/1 (booleans are fine), a
  bad weight, or an entry time that is negative, infinite or after the duration is invalid (raise,
  or ``on_invalid="drop"``: counted in ``n_invalid``). ``n + n_missing + n_invalid`` is the number
  of rows.
* **Left truncation**: ``entry`` times; a subject is at risk at t when entry ≤ t ≤ duration
  (lifelines' convention).
* **Segments**: with ``by=`` the result is a :class:`SurvivalResults` dict (segment key -> result,
  keys in sorted order; tuples for several keys) with a ``summary()`` frame indexed by the keys
  and ``n_missing_key`` (rows whose key was missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import SurvivalAccumulator

__all__ = ["kaplan_meier", "logrank_test", "SurvivalAccumulator", "SurvivalResult", "SurvivalResults", "TestResult"]

_TABLE_COLUMNS = ("time", "at_risk", "events", "censored", "survival", "std_error", "ci_low", "ci_high")


@dataclass(frozen=True)
class SurvivalResult:
    """Kaplan-Meier result.

    ``table`` has one row per time with an event or a censoring: ``time``, ``at_risk``,
    ``events``, ``censored``, ``survival``, ``std_error`` (Greenwood, of S), ``ci_low``,
    ``ci_high``. ``median`` is the smallest time with S <= 0.5 and ``median_ci_low`` /
    ``median_ci_high`` its Brookmeyer-Crowley interval (NaN where undefined).
    """

    table: pd.DataFrame = field(repr=False)
    median: float
    median_ci_low: float
    median_ci_high: float
    n: int
    n_missing: int
    n_invalid: int
    confidence: float
    ci: str

    def to_dict(self) -> dict:
        """The fields as a dict (``table`` as a DataFrame)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class SurvivalResults(dict):
    """Results per segment of ``kaplan_meier(..., by=...)``: segment key -> :class:`SurvivalResult`."""

    n_missing_key: int = 0
    names: list = []

    def summary(self) -> pd.DataFrame:
        """One row per segment: median, median_ci_low, median_ci_high, n, n_missing, n_invalid."""
        cols = ["median", "median_ci_low", "median_ci_high", "n", "n_missing", "n_invalid"]
        keys = list(self.keys())
        rows = [[getattr(r, c) for c in cols] for r in self.values()]
        if len(self.names) > 1:
            index = pd.MultiIndex.from_tuples(keys, names=self.names)
        else:
            index = pd.Index(keys, name=self.names[0] if self.names else None)
        return pd.DataFrame(rows, columns=cols, index=index)

    def table(self) -> pd.DataFrame:
        """All segments' tables stacked, with the segment keys as leading columns."""
        parts = []
        for key, r in self.items():
            t = r.table.copy()
            for name, value in reversed(list(zip(self.names, key if isinstance(key, tuple) else (key,)))):
                t.insert(0, name, value)
            parts.append(t)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass(frozen=True)
class TestResult:
    """k-sample test result: chi-square ``statistic`` with ``df`` = k - 1 and its ``p_value``."""

    statistic: float
    df: float
    p_value: float
    n_groups: int
    weighting: str
    n: int
    n_missing: int
    n_invalid: int

    __test__ = False  # not a pytest class

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _wrap(core: Any) -> SurvivalResult:
    table = pd.DataFrame({c: np.asarray(getattr(core, c)) for c in _TABLE_COLUMNS})
    return SurvivalResult(
        table=table,
        median=core.median,
        median_ci_low=core.median_ci_low,
        median_ci_high=core.median_ci_high,
        n=core.n,
        n_missing=core.n_missing,
        n_invalid=core.n_invalid,
        confidence=core.confidence,
        ci=core.ci,
    )


def _flags(values: Any) -> Any:
    """Observed flags: numpy booleans pass as they are; nullable booleans become 0.0/1.0 with NaN."""
    if values is None:
        return None
    if _frame._is_polars(values):
        values = values.to_pandas()
    if isinstance(values, (pd.Series, pd.Index)) and values.dtype == "boolean":
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(values, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in values):
        return np.array([np.nan if v is None else float(v) for v in values])
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "b":
        return arr  # bool flags go to the kernel as they are (viewed as int8)
    return values


def _columns(durations, observed, weights, entry, data):
    d = _frame._column(data, durations, "durations") if data is not None else durations
    if d is None:
        raise _core.InvalidArgumentError("durations is required")
    n = _frame._length(d)
    cols = {"durations": d}
    for name, spec in (("observed", observed), ("weights", weights), ("entry", entry)):
        v = _frame._column(data, spec, name) if data is not None else spec
        if isinstance(v, str):
            raise _core.InvalidArgumentError(f"{name}={v!r} names a column, but no data= frame was given")
        if v is not None and _frame._length(v) != n:
            raise _core.InvalidArgumentError(f"{name} has {_frame._length(v)} values but durations has {n}")
        cols[name] = v
    if isinstance(cols["durations"], str):
        raise _core.InvalidArgumentError("durations names a column, but no data= frame was given")
    cols["observed"] = _flags(cols["observed"])
    return cols, n


def _check_options(confidence: float, ci: str) -> None:
    SurvivalAccumulator().result(confidence=confidence, ci=ci)  # raises for bad options


def kaplan_meier(
    durations: Any,
    observed: Any = None,
    *,
    data: Any = None,
    weights: Any = None,
    entry: Any = None,
    by: Any = None,
    confidence: float = 0.95,
    ci: str = "log-log",
    on_invalid: str = "raise",
    threads: int = 0,
):
    """Kaplan-Meier survival curve with Greenwood standard errors, intervals and the median.

    Parameters
    ----------
    durations : array-like or str
        Exit times (>= 0), or a column of ``data``.
    observed : array-like or str, optional
        1/True = event, 0/False = censored; None = every row is an event.
    data : DataFrame, optional
        pandas or Polars frame whose columns the other arguments name.
    weights : array-like or str, optional
        Frequency weights (multiply counts): 0 or a number in [1e-150, 1e150].
    entry : array-like or str, optional
        Entry times for left truncation (0 <= entry <= duration); None = all enter at 0.
    by : str, array-like or list of them, optional
        Segment keys; the result is then a :class:`SurvivalResults` dict per segment.
    confidence : float
        Two-sided level of the pointwise intervals.
    ci : {"log-log", "log", "plain"}
        Interval method (METRICS.md §4); "log-log" is lifelines' exponential Greenwood.
    on_invalid : {"raise", "drop"}
        Negative/infinite durations, flags other than 0/1, bad weights or entries: raise, or drop
        and count them.
    threads : int
        Threads for large inputs (0 = all cores).

    Returns
    -------
    SurvivalResult or SurvivalResults
        ``table`` (time, at_risk, events, censored, survival, std_error, ci_low, ci_high),
        ``median``, ``median_ci_low``, ``median_ci_high``, ``n``, ``n_missing``, ``n_invalid``.

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    >>> r.table["survival"].round(4).tolist()
    [0.8333, 0.6667, 0.4444, 0.4444, 0.0]
    >>> r.median
    3.0
    """
    _check_options(confidence, ci)
    cols, n = _columns(durations, observed, weights, entry, data)
    if by is None:
        acc = SurvivalAccumulator()
        acc.add(on_invalid=on_invalid, threads=threads, **cols)
        return _wrap(acc.result(confidence=confidence, ci=ci))
    keys, names = _frame._key_arrays(data, by)
    grouping = _frame._grouping(keys, names, n)
    groups, missing = _core.survival_groups(
        codes=grouping.codes,
        offset=grouping.offset,
        n_groups=grouping.n_groups,
        on_invalid=on_invalid,
        threads=threads,
        **cols,
    )
    rows = np.array([g.n + g.n_missing + g.n_invalid for g in groups], dtype=np.int64)
    observed_ids = np.flatnonzero(rows > 0)
    index = grouping.index(observed_ids)
    out = SurvivalResults()
    for key, gid in zip(index, observed_ids):
        out[key] = _wrap(groups[int(gid)].result(confidence=confidence, ci=ci))
    out.n_missing_key = int(missing.n + missing.n_missing + missing.n_invalid)
    out.names = list(index.names)
    return out


def logrank_test(
    durations: Any,
    observed: Any,
    groups: Any,
    *,
    data: Any = None,
    weights: Any = None,
    entry: Any = None,
    weighting: str = "logrank",
    on_invalid: str = "raise",
) -> TestResult:
    """Log-rank family test that two or more groups have the same survival.

    Parameters
    ----------
    durations, observed : array-like or str
        Exit times and event flags (1/True event, 0/False censored; None = all events), or columns
        of ``data``.
    groups : array-like or str
        Group label per row (any hashable labels; a missing label makes the row missing).
    data : DataFrame, optional
        Frame whose columns the other arguments name.
    weights, entry : array-like or str, optional
        Frequency weights and entry times, as in :func:`kaplan_meier`.
    weighting : {"logrank", "wilcoxon", "tarone-ware", "peto"}
        Weights per event time: 1, the number at risk n, sqrt(n), or the pooled Kaplan-Meier
        estimate just before the time, S(t-) (METRICS.md §4).
    on_invalid : {"raise", "drop"}
        As in :func:`kaplan_meier`.

    Returns
    -------
    TestResult
        ``statistic`` (chi-square), ``df`` (k - 1), ``p_value``, ``n_groups``, ``weighting``,
        ``n``, ``n_missing`` (missing values or group label), ``n_invalid``.

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], ["a", "b", "a", "b", "a", "b"])
    >>> r.df, round(r.statistic, 4)
    (1.0, 0.4849)
    """
    _core.logrank_test([], weighting=weighting)  # raises for an unknown weighting
    cols, n = _columns(durations, observed, weights, entry, data)
    g = _frame._column(data, groups, "groups") if data is not None else groups
    if g is None or isinstance(g, str):
        raise _core.InvalidArgumentError("groups: expected group labels or a column of data")
    if _frame._length(g) != n:
        raise _core.InvalidArgumentError(f"groups has {_frame._length(g)} values but durations has {n}")
    grouping = _frame._grouping([g], ["groups"], n)
    states, missing = _core.survival_groups(
        codes=grouping.codes,
        offset=grouping.offset,
        n_groups=grouping.n_groups,
        on_invalid=on_invalid,
        **cols,
    )
    r = _core.logrank_test(states, weighting=weighting)
    total = sum(states, SurvivalAccumulator())
    return TestResult(
        statistic=r.statistic,
        df=r.df,
        p_value=r.p_value,
        n_groups=r.n_groups,
        weighting=r.weighting,
        n=total.n,
        n_missing=total.n_missing + missing.n + missing.n_missing + missing.n_invalid,
        n_invalid=total.n_invalid,
    )
