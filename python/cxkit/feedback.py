"""Complaints and feedback: Pareto tables, control charts, rate comparisons, trends and targets.

Formulas: METRICS.md §2 ("Feedback and trends"). Every function follows the bad-input policy of
ARCHITECTURE.md §3: missing values are skipped and counted (``n_missing``), invalid ones raise a
``ValueError`` naming the first position and value (or, with ``on_invalid="drop"``, are skipped and
counted in ``n_invalid``), so ``n + n_missing + n_invalid`` is the number of rows given.

Times (``mann_kendall``, ``target_progress``) are numbers or datetimes (numpy ``datetime64``,
pandas/Polars datetimes, tz-aware ones in UTC, ``datetime``/``date`` objects, ISO-8601 strings).
Datetimes are measured in **days**: slopes are per day, and an intercept is the value of the line
at 1970-01-01T00:00 UTC (so ``intercept + slope * days_since_1970`` is the line). Internally the
first time is subtracted in integer nanoseconds before converting to days, so large epochs do not
lose precision.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import ComparisonResult, TargetResult, TrendResult

__all__ = [
    "TargetResult",
    "TrendResult",
    "control_chart",
    "mann_kendall",
    "pareto",
    "rate_ratio_test",
    "target_progress",
]


# --------------------------------------------------------------------------------------------------
# helpers


def _key_name(spec: Any, values: Any, default: str) -> Any:
    if isinstance(spec, str):
        return spec
    name = getattr(values, "name", None)
    return name if name is not None else default


def _factorize(values: Any, name: Any, argname: str, n_rows: int) -> Any:
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise _core.InvalidArgumentError(f"{argname}: expected a 1-D array, got shape {values.shape}")
    try:
        return _frame._factorize_key(values, name, n_rows)
    except TypeError as e:  # unhashable or unorderable labels
        raise _core.UnsupportedTypeError(f"{argname}: unsupported values ({e})") from None


def _length(values: Any, argname: str) -> int:
    try:
        return len(values)
    except TypeError:
        raise _core.InvalidArgumentError(f"{argname}: expected an array of values, got {type(values).__name__}") from None


def _real(value: Any, argname: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _core.UnsupportedTypeError(f"{argname}: expected a number, got {type(value).__name__} {value!r}")
    return float(value)


_NS_PER_DAY = _frame.NS_PER_DAY


class _TimeAxis:
    """Times for the kernels: float64 (days since the first time for datetimes), flags, origin."""

    def __init__(self, times: Any, argname: str):
        self.raw = times
        self.origin_ns = 0
        self.is_datetime = False
        if times is None:
            self.values, self.flags, self.origin = None, None, 0.0
            return
        tm = _frame.as_times(times, argname)
        self.flags = tm.flags
        self.is_datetime = tm.is_datetime
        if tm.is_datetime:
            ns = tm.values
            valid = ns if tm.flags is None else ns[tm.flags == _frame.TIME_VALID]
            self.origin_ns = int(valid.min()) if valid.size else 0
            # integer ns differences first (exact), then days
            with np.errstate(over="ignore"):
                rel = ns - np.int64(self.origin_ns)
            self.values = rel.astype(np.float64) / _NS_PER_DAY
            self.origin = self.origin_ns / _NS_PER_DAY
        else:
            self.values = np.ascontiguousarray(tm.values, dtype=np.float64)
            self.origin = 0.0

    def day_of(self, when: Any, argname: str) -> float:
        """A time on this axis (days since the first time for datetimes, else the number)."""
        datetime_like = isinstance(when, (str, np.datetime64, pd.Timestamp)) or hasattr(when, "isoformat")
        if not self.is_datetime:
            if datetime_like:
                raise _core.UnsupportedTypeError(f"{argname}: the times are numbers, so {argname} must be a number")
            return _real(when, argname)
        if not datetime_like:
            raise _core.UnsupportedTypeError(
                f"{argname}: the times are datetimes, so {argname} must be a date/time, got {when!r}"
            )
        return (_frame.scalar_time_ns(when, argname) - self.origin_ns) / _NS_PER_DAY


_UNPARSEABLE = re.compile(r"invalid time at position (\d+): unparseable")


def _name_bad_time(err: Exception, raw: Any) -> Exception:
    """The kernel cannot see an unparseable time's text: put the original value in the message."""
    msg = str(err)
    m = _UNPARSEABLE.search(msg)
    if m is None or raw is None:
        return err
    pos = int(m.group(1))
    try:
        value = raw[pos] if not isinstance(raw, pd.Series) else raw.iloc[pos]
    except Exception:  # pragma: no cover - any indexable input works above
        return err
    return _core.InvalidInputError(msg.replace("unparseable", f"{value!r} (not a date/time)", 1))


# --------------------------------------------------------------------------------------------------
# Pareto


def pareto(
    data: Any,
    category: Optional[str] = None,
    *,
    weights: Any = None,
    threshold: float = 0.8,
    period: Any = None,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Pareto table of complaint (or any) categories: the vital few and the useful many.

    Categories are sorted by (weighted) count, descending; ties by category name (by category
    order for a pandas Categorical). ``vital_few`` marks the shortest prefix whose cumulative share
    reaches ``threshold`` (the 80/20 rule at 0.8).

    Parameters
    ----------
    data : array-like or DataFrame
        Category labels (strings, numbers, a Categorical; None/NaN = missing), or a pandas/Polars
        frame with ``category=`` naming the column.
    category : str, optional
        Column of ``data`` holding the categories (frames only).
    weights : str or array-like, optional
        Case weights; ``count`` is then the weighted count and a column ``n`` gives the rows.
        NaN, negative or out-of-range weights are invalid rows.
    threshold : float
        Cumulative share the vital few reach, in (0, 1].
    period : str or array-like, optional
        Period labels (e.g. a month column): the table is then computed per period and indexed by
        (period, category). Every category seen anywhere in the data appears in every period, with
        count 0 (share 0) where it had no rows, so a category's share can be followed over time
        (``frame["share"].unstack()``). A period without rows is left out. Rows with a missing
        period are missing rows.
    on_invalid : {"raise", "drop"}
        Invalid weights: raise, or drop and count them.

    Returns
    -------
    pandas.DataFrame
        Indexed by category (or (period, category)): ``count``, ``share``, ``cumulative_share``,
        ``vital_few`` (bool), and ``n`` (rows) when weighted. ``frame.attrs`` holds ``n`` (rows
        used), ``n_missing`` (missing category or period), ``n_invalid``, ``threshold``.

    Examples
    --------
    >>> import cxkit as cx
    >>> t = cx.pareto(["late", "late", "damaged", "late", "billing", "damaged"])
    >>> t.index.tolist(), t["count"].tolist(), t["vital_few"].tolist()
    (['late', 'damaged', 'billing'], [3, 2, 1], [True, True, False])
    """
    if _frame.is_frame(data):
        if category is None:
            raise _core.InvalidArgumentError("category= must name a column when data is a DataFrame")
        cats = _frame._column(data, category, "category")
    else:
        if category is not None:
            raise _core.InvalidArgumentError("category= is for DataFrame input; pass the categories themselves as data")
        if data is None:
            raise _core.InvalidArgumentError("data is required")
        cats = data
    n = _length(cats, "data")
    cname = _key_name(category, cats, "category")
    key = _factorize(cats, cname, "category", n)
    pkey = None
    pname = None
    if period is not None:
        pvals = _frame._column(data, period, "period")
        if _length(pvals, "period") != n:
            raise _core.InvalidArgumentError(f"period has {_length(pvals, 'period')} values but the data has {n}")
        pname = _key_name(period, pvals, "period")
        pkey = _factorize(pvals, pname, "period", n)
    w = _frame._column(data, weights, "weights")
    out = _core.pareto(
        np.ascontiguousarray(key.codes),
        offset=int(key.offset),
        n_categories=int(key.n),
        period_codes=None if pkey is None else np.ascontiguousarray(pkey.codes),
        period_offset=0 if pkey is None else int(pkey.offset),
        n_periods=1 if pkey is None else max(int(pkey.n), 1),
        weights=w,
        threshold=threshold,
        on_invalid=on_invalid,
    )
    cat_labels = key.labels(out["category"].astype(np.int64))
    if pkey is None:
        index = pd.Index(cat_labels, name=cname)
    else:
        per_ids = out["period"].astype(np.int64)
        index = pd.MultiIndex.from_arrays([pkey.labels(per_ids), cat_labels], names=[pname, cname])
    cols: dict[str, Any] = {}
    if w is None:
        cols["count"] = out["rows"].astype(np.int64)
    else:
        cols["count"] = out["count"]
    cols["share"] = out["share"]
    cols["cumulative_share"] = out["cumulative_share"]
    cols["vital_few"] = out["vital_few"]
    if w is not None:
        cols["n"] = out["rows"].astype(np.int64)
    frame = pd.DataFrame(cols, index=index)
    if pkey is not None and len(frame):
        # leave out periods without any row (their table would be all zeros)
        rows = pd.Series(out["rows"], index=index).groupby(level=0, sort=False).transform("sum")
        frame = frame[rows.to_numpy() > 0]
    frame.attrs.update(n=int(out["n"]), n_missing=int(out["n_missing"]), n_invalid=int(out["n_invalid"]),
                       threshold=float(threshold))
    return frame


# --------------------------------------------------------------------------------------------------
# control charts and rates


def control_chart(
    counts: Any,
    exposure: Any,
    *,
    kind: str = "u",
    sigma: float = 3.0,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Attribute control chart (u or p) of counts over exposure, one row per subgroup.

    u chart (counts per unit, e.g. complaints per 1,000 orders with ``exposure`` = orders / 1000):
    centre ū = Σc/Σn, limits ū ± sigma·√(ū/nᵢ), lower limit clipped at 0. p chart (proportion of
    the exposure, counts <= exposure): p̄ ± sigma·√(p̄(1 − p̄)/nᵢ) clipped to [0, 1].

    Parameters
    ----------
    counts, exposure : array-like
        Counts cᵢ (NaN/None = missing) and exposures nᵢ, same length. A pandas Series' index is
        kept (e.g. months).
    kind : {"u", "p"}
        Chart type.
    sigma : float
        Width of the limits in standard errors (3: Shewhart).
    on_invalid : {"raise", "drop"}
        Negative or infinite counts, non-positive or infinite exposures, and (p chart) counts above
        their exposure: raise naming position and value, or drop them from the centre line and
        report them as NaN rows.

    Returns
    -------
    pandas.DataFrame
        ``rate``, ``center``, ``lower``, ``upper``, ``out_of_control`` (bool); missing and dropped
        rows are NaN (never out of control). ``frame.attrs``: ``center`` (ū or p̄), ``kind``,
        ``sigma``, ``n``, ``n_missing``, ``n_invalid``.

    Examples
    --------
    >>> import cxkit as cx
    >>> cc = cx.control_chart([12, 15, 9, 30], [10, 12, 9, 11])
    >>> round(cc.attrs["center"], 4), cc["out_of_control"].tolist()
    (1.5714, [False, False, False, True])
    """
    index = None
    for s in (counts, exposure):
        if isinstance(s, pd.Series):
            index = s.index
            break
    out = _core.control_chart(counts, exposure, kind=kind, sigma=sigma, on_invalid=on_invalid)
    frame = pd.DataFrame(
        {k: out[k] for k in ("rate", "center", "lower", "upper", "out_of_control")},
        index=index if index is not None and len(index) == len(out["rate"]) else None,
    )
    frame.attrs.update(center=float(out["center_line"]), kind=kind, sigma=float(sigma), n=int(out["n"]),
                       n_missing=int(out["n_missing"]), n_invalid=int(out["n_invalid"]))
    return frame


def rate_ratio_test(
    count_a: Any, exposure_a: Any, count_b: Any, exposure_b: Any, *, confidence: float = 0.95
) -> ComparisonResult:
    """Exact test of two Poisson rates (e.g. complaints per order this month vs last month).

    Conditionally on the total c_a + c_b, equal rates give c_a ~ Binomial(c_a + c_b,
    n_a/(n_a + n_b)); the two-sided p-value sums the outcomes no more likely than the observed one
    (as ``scipy.stats.binomtest``), and the exact Clopper-Pearson interval of the binomial
    proportion is mapped to the rate ratio.

    Parameters
    ----------
    count_a, count_b : int
        Event counts (non-negative integers).
    exposure_a, exposure_b : float
        Exposures (orders, customer-days, ...), positive.
    confidence : float
        Level of the interval.

    Returns
    -------
    ComparisonResult
        ``difference`` = rate ratio (c_a/n_a)/(c_b/n_b), ``std_error`` = SE of its log
        √(1/c_a + 1/c_b), ``statistic`` = c_a, ``p_value`` (exact, two-sided), ``ci_low``,
        ``ci_high`` (exact, for the ratio), ``method`` = "exact_conditional_binomial".

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.rate_ratio_test(30, 1000, 15, 1000)
    >>> r.difference, round(r.p_value, 4)
    (2.0, 0.0357)
    """
    return _core.rate_ratio_test(
        _real(count_a, "count_a"), _real(exposure_a, "exposure_a"), _real(count_b, "count_b"),
        _real(exposure_b, "exposure_b"), confidence=confidence,
    )


# --------------------------------------------------------------------------------------------------
# trends and targets


def mann_kendall(
    values: Any,
    times: Any = None,
    *,
    confidence: float = 0.95,
    on_invalid: str = "raise",
) -> TrendResult:
    """Mann-Kendall trend test with Sen's slope (exact, O(n log n)).

    S = Σ_{i<j} sgn(x_j − x_i)·sgn(t_j − t_i); Var S with tie corrections (values, and times if
    they tie); Z = (S − sgn S)/√Var S; two-sided normal p-value. Sen's slope is the exact median of
    the pair slopes (x_j − x_i)/(t_j − t_i) over pairs with distinct times, computed without
    forming the n²/2 slopes; the interval is Sen's (1968) rank-based one.

    Parameters
    ----------
    values : array-like
        Observations (NaN/None = missing; ±inf invalid).
    times : array-like, optional
        Numbers or datetimes, any order (NaN/NaT/None = missing; unparseable or infinite =
        invalid). None means positions 0..n−1 (missing values keep their positions).
    confidence : float
        Level of the trend decision (at 1 − confidence) and of the slope interval.
    on_invalid : {"raise", "drop"}
        Invalid values or times: raise naming position and value, or drop and count them.

    Returns
    -------
    TrendResult
        ``s``, ``variance``, ``statistic`` (Z), ``p_value``, ``tau`` (S over all pairs), ``slope``
        (per unit of ``times``; per day for datetimes), ``intercept`` (median(x − slope·t); for
        datetimes the line's value at 1970-01-01 UTC), ``slope_low``, ``slope_high``, ``trend``
        ("increasing", "decreasing" or "no trend"), ``n``, ``n_missing``, ``n_invalid``,
        ``confidence``.

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.mann_kendall([1, 2, 4, 3, 5, 6, 8, 7])
    >>> r.s, r.slope, r.trend
    (24, 1.0, 'increasing')
    """
    axis = _TimeAxis(times, "times")
    try:
        return _core.mann_kendall(
            values, axis.values, time_flags=axis.flags, time_origin=axis.origin, confidence=confidence,
            on_invalid=on_invalid,
        )
    except _core.InvalidInputError as e:
        raise _name_bad_time(e, times) from None


def target_progress(
    times: Any,
    values: Any,
    *,
    baseline: float,
    target: float,
    deadline: Any,
    on_invalid: str = "raise",
) -> TargetResult:
    """Progress towards a target (e.g. "complaint rate −20% within 3 months") and its projection.

    ``current`` is the latest observation: the value at the largest time (the mean if several
    values share it). ``progress`` = (current − baseline)/(target − baseline) clipped to [0, 1].
    ``projected`` is the Sen line (Sen's slope through median(x − slope·t)) at the deadline, and
    ``on_track`` says whether it reaches the target in the direction from baseline to target.

    Parameters
    ----------
    times : array-like
        Numbers or datetimes (see :func:`mann_kendall`).
    values : array-like
        The tracked metric (NaN/None = missing; ±inf invalid).
    baseline, target : float
        Starting level and goal (must differ; target below baseline means "decrease").
    deadline : number or date/time
        When the target should be reached, on the axis of ``times`` (a datetime-like when the times
        are datetimes).
    on_invalid : {"raise", "drop"}
        Invalid values or times: raise naming position and value, or drop and count them.

    Returns
    -------
    TargetResult
        ``current``, ``progress``, ``projected``, ``on_track``, ``slope`` (per unit of time; per
        day for datetimes), ``intercept``, ``baseline``, ``target``, ``deadline`` (for datetimes:
        days since 1970-01-01 UTC), ``n``, ``n_missing``, ``n_invalid``.

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.target_progress([0, 1, 2, 3], [10.0, 9.4, 9.0, 8.8], baseline=10.0, target=8.0, deadline=6)
    >>> round(r.progress, 2), round(r.projected, 2), r.on_track
    (0.6, 7.5, True)
    """
    axis = _TimeAxis(times, "times")
    when = axis.day_of(deadline, "deadline")
    try:
        return _core.target_progress(
            axis.values, values, time_flags=axis.flags, baseline=_real(baseline, "baseline"),
            target=_real(target, "target"), deadline=when, time_origin=axis.origin, on_invalid=on_invalid,
        )
    except _core.InvalidInputError as e:
        raise _name_bad_time(e, times) from None
