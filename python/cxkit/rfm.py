"""RFM scores and segments, and the transaction summary behind BG/NBD and Gamma-Gamma.

Formulas: METRICS.md §4 "RFM" and "Customer lifetime value" (summary part); the exact score rule,
window and row classes are in ``include/cxkit/customer/rfm.hpp`` and ``clv_summary.hpp``. Both
functions run one C++ pass over the transactions (dense customer codes, one cell per customer).

Row accounting (ARCHITECTURE.md §3): rows with a missing customer, time or amount are missing;
unparseable or out-of-range times and negative or infinite amounts are invalid (raise, or drop
and count with ``on_invalid="drop"``); rows after the observation end / as-of date are outside
the window, which is not an error (a log truncated at a date, or split into calibration and
holdout, is the ordinary use) but is counted in ``n_after_end``. Every row lands in one class:
``n + n_holdout + n_missing + n_invalid + n_after_end == len(transactions)``, reported in
``frame.attrs``.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping, NamedTuple, Optional, Sequence

import numpy as np
import pandas as pd

from . import _core, _frame

__all__ = ["rfm", "clv_summary", "RFM_STANDARD_SEGMENTS", "RfmTiesWarning"]


class RfmTiesWarning(UserWarning):
    """Ties in a dimension made some rank-based cut points equal, so fewer than ``bins`` distinct
    scores occur (the message names the dimension and its cut points)."""


#: The standard segment table for 5 bins (the widely used recency × frequency grid), in order,
#: first match wins; every (r, f) cell is covered. Each entry: (name, {"r": (lo, hi), "f": (lo, hi)}).
RFM_STANDARD_SEGMENTS: tuple = tuple(
    (name, {k: (int(v[0]), int(v[1])) for k, v in ranges.items()}) for name, ranges in _core.rfm_standard_segments()
)

_DIMS = ("r", "f", "m")
_DIM_NAMES = {"r": "r", "f": "f", "m": "m", "recency": "r", "frequency": "f", "monetary": "m"}
_TIER_PERIODS = ("D", "W", "M", "Q", "Y")


# --------------------------------------------------------------------------------------------------
# normalisation


def _inputs(transactions: Any, customer: Any, time: Any, amount: Any, time_unit: str):
    c, t, a, n = _frame.event_columns(transactions, customer, time, amount, "amount")
    key = _frame._factorize_key(c, "customer", n)
    stamps, flags, units = _frame.epoch_stamps(t, time_unit)
    amt = None
    if a is not None:
        values, mask = _frame.as_numeric(a, "amount")
        # float64 without missing entries is read in place; anything else becomes a float64 copy
        # with NaN for missing
        in_place = mask is None and values.dtype == np.float64
        amt = np.ascontiguousarray(values) if in_place else _frame.float_values(a, "amount")
    return key, np.ascontiguousarray(key.codes), stamps, flags, units, amt, n


def _stamp(value: Any, name: str, units_per_day: int, time_unit: str = "ns") -> Optional[int]:
    """A date/time argument as a stamp in the input's units (numbers are taken as such when the
    times are numbers in ``time_unit``)."""
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        if units_per_day == _frame.NS_PER_DAY and time_unit != "ns":
            # datetime times: a number such as 20240101 would silently be read as nanoseconds of 1970
            raise _core.InvalidArgumentError(
                f"{name}={value!r} is a number but the times are datetimes: give a date such as '2024-01-31'"
            )
        if not np.isfinite(value):
            raise _core.InvalidArgumentError(f"{name}: not a date/time: {value!r}")
        return int(np.floor(value))
    ns = _frame.scalar_time_ns(value, name)
    return ns // (_frame.NS_PER_DAY // units_per_day)


def _day(stamp: Optional[int], units_per_day: int) -> Optional[int]:
    return None if stamp is None else stamp // units_per_day


def _timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _index(key: Any, codes: np.ndarray, customer: Any) -> pd.Index:
    return pd.Index(key.labels(np.asarray(codes, dtype=np.int64)), name=customer if isinstance(customer, str) else "customer")


def _check_bins(bins: Any) -> int:
    if isinstance(bins, (bool, np.bool_)) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 9:
        raise _core.InvalidArgumentError(f"bins must be an integer in 1..9 (rfm = 100 r + 10 f + m), got {bins!r}")
    return int(bins)


def _thresholds(thresholds: Any, bins: int) -> list:
    out: list = [[], [], []]
    if thresholds is None:
        return out
    if not isinstance(thresholds, Mapping):
        raise _core.InvalidArgumentError(
            f'thresholds must be a mapping like {{"r": [...], "f": [...], "m": [...]}}, got {thresholds!r}'
        )
    for k, cuts in thresholds.items():
        if k not in _DIM_NAMES:
            raise _core.InvalidArgumentError(f"thresholds: unknown dimension {k!r} (expected r, f, m)")
        try:
            values = [float(x) for x in cuts]
        except (TypeError, ValueError):
            raise _core.InvalidArgumentError(f"thresholds for {k!r}: expected a list of numbers, got {cuts!r}") from None
        out[_DIMS.index(_DIM_NAMES[k])] = values
    return out


def _range(value: Any, rule_name: str, dim: str, bins: int) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        lo = hi = int(value)
    else:
        try:
            lo, hi = value
            if isinstance(lo, (bool, np.bool_)) or isinstance(hi, (bool, np.bool_)) or int(lo) != lo or int(hi) != hi:
                raise TypeError
            lo, hi = int(lo), int(hi)
        except (TypeError, ValueError):
            raise _core.InvalidArgumentError(
                f"segment rule {rule_name!r}: {dim} must be a score or an inclusive (lo, hi) pair, got {value!r}"
            ) from None
    if not 1 <= lo <= hi <= bins:
        raise _core.InvalidArgumentError(
            f"segment rule {rule_name!r}: {dim} range ({lo}, {hi}) must satisfy 1 <= lo <= hi <= bins = {bins}"
        )
    return lo, hi


def _segments(segments: Any, bins: int) -> tuple[list, list]:
    """Rules as (name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi) tuples for the kernel, and the names."""
    if segments is None:
        return [], []
    if isinstance(segments, str):
        if segments != "standard":
            raise _core.InvalidArgumentError(f'segments: unknown table {segments!r} (use "standard" or a list of rules)')
        if bins != 5:
            raise _core.InvalidArgumentError(f'segments="standard" is defined for bins=5, got bins={bins}')
        segments = RFM_STANDARD_SEGMENTS
    items = list(segments.items()) if isinstance(segments, Mapping) else list(segments)
    rules, names = [], []
    for i, item in enumerate(items):
        try:
            name, rule = item
        except (TypeError, ValueError):
            raise _core.InvalidArgumentError(f"segments: entry {i} must be a (name, rule) pair, got {item!r}") from None
        if not isinstance(rule, Mapping):
            raise _core.InvalidArgumentError(f"segment rule {name!r}: expected a mapping of r/f/m to score ranges, got {rule!r}")
        ranges = {d: (1, bins) for d in _DIMS}
        for k, v in rule.items():
            if k not in _DIM_NAMES:
                raise _core.InvalidArgumentError(f"segment rule {name!r}: unknown key {k!r} (expected r, f, m)")
            ranges[_DIM_NAMES[k]] = _range(v, str(name), _DIM_NAMES[k], bins)
        rules.append((str(name), *ranges["r"], *ranges["f"], *ranges["m"]))
        names.append(str(name))
    return rules, names


def _tiers(tiers: Any) -> list[tuple[str, float]]:
    items = list(tiers.items()) if isinstance(tiers, Mapping) else list(tiers)
    out = []
    for item in items:
        try:
            name, threshold = item
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise _core.InvalidArgumentError(f"tiers: expected (name, threshold) pairs, got {item!r}") from None
        if not np.isfinite(threshold):
            raise _core.InvalidArgumentError(f"tiers: threshold of {name!r} must be finite, got {threshold!r}")
        out.append((str(name), threshold))
    return sorted(out, key=lambda t: -t[1])


def _period_index(days: np.ndarray, period: str) -> np.ndarray:
    """Calendar period index of day numbers (periods from 1970; weeks start on Monday)."""
    days = np.asarray(days, dtype=np.int64)
    if period == "D":
        return days
    if period == "W":
        return np.floor_divide(days + 3, 7)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if period == "M":
        return months
    if period == "Q":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)


def _categorical(codes: np.ndarray, names: list[str], default: str) -> pd.Categorical:
    categories = list(dict.fromkeys(names + [default]))
    lookup = np.array([categories.index(n) for n in names] + [categories.index(default)], dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    return pd.Categorical.from_codes(lookup[np.where(codes < 0, len(names), codes)], categories=categories)


# --------------------------------------------------------------------------------------------------
# public functions


def rfm(
    transactions: Any,
    *,
    customer: Any,
    time: Any,
    amount: Any,
    as_of: Any = None,
    bins: int = 5,
    segments: Any = None,
    thresholds: Optional[Mapping[str, Sequence[float]]] = None,
    default_segment: str = "other",
    tiers: Any = None,
    tier_period: str = "M",
    default_tier: str = "other",
    time_unit: str = "s",
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Recency, frequency, monetary value, scores and segments per customer (METRICS.md §4).

    Parameters
    ----------
    transactions : DataFrame (pandas or Polars) or None
        One row per purchase; with ``None``, ``customer``, ``time`` and ``amount`` are arrays.
    customer, time, amount : str or array-like
        Column names or arrays. Times: datetimes, ISO strings or epoch numbers in ``time_unit``.
    as_of : date-like, optional
        The day the recency is measured at (recency = whole calendar days from the day of the
        customer's last purchase to this day). Default: the day of the last transaction in the
        data. Purchases on later days are outside the window and counted in ``attrs["n_after_end"]``.
    bins : int
        Scores 1..bins (1..9). Rank-based cut points c_k = v_(floor(k (n - 1) / bins)) of the
        sorted per-customer values (lower empirical quantiles, k = 1..bins-1); score = 1 + #{k: v >
        c_k}, so equal values always share a score. Recency is reversed (most recent = highest):
        r_score = bins - #{k: recency > c_k}. When ties leave fewer than ``bins`` distinct scores in
        a dimension, :class:`RfmTiesWarning` names it and its cut points.
    segments : "standard", list of (name, rule) pairs or dict, optional
        Ordered rules, first match wins; a rule maps "r"/"f"/"m" to an inclusive (lo, hi) score
        range or one score (missing key = any). "standard" is :data:`RFM_STANDARD_SEGMENTS` (bins=5).
    thresholds : dict, optional
        Given cut points instead of quantiles, per dimension ("r" in days of recency, "f", "m"):
        bins - 1 strictly increasing numbers, used in the same rule.
    default_segment : str
        Segment of customers no rule matches.
    tiers, tier_period, default_tier
        Value tiers, e.g. ``{"high value": 1000, "medium": 100}``: ``spend_per_period`` = monetary /
        number of calendar periods of ``tier_period`` ("D", "W", "M", "Q", "Y") from the period of
        the customer's first purchase through the period of ``as_of``, both included; ``tier`` = the
        tier with the highest threshold that spend_per_period is strictly above, else ``default_tier``.
    on_invalid : {"raise", "drop"}
        Unparseable times and negative or infinite amounts raise InvalidInputError naming the
        position and value, or are dropped and counted.

    Returns
    -------
    DataFrame
        Indexed by customer (sorted): ``recency`` (days), ``frequency`` (purchases), ``monetary``
        (total), ``r_score``, ``f_score``, ``m_score``, ``rfm`` (= 100 r + 10 f + m), ``segment``
        (categorical) and, with tiers, ``spend_per_period`` and ``tier``. ``attrs``: ``as_of``,
        ``bins``, ``cut_points`` and ``n_scores`` per dimension, ``n``, ``n_missing``,
        ``n_invalid``, ``n_after_end``.

    Examples
    --------
    >>> import pandas as pd, cxkit as cx
    >>> tx = pd.DataFrame({"customer": [1, 1, 2, 3, 3, 3],
    ...                    "time": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-10",
    ...                                            "2024-01-20", "2024-02-25", "2024-03-02"]),
    ...                    "amount": [20.0, 35.0, 15.0, 10.0, 40.0, 25.0]})
    >>> r = cx.rfm(tx, customer="customer", time="time", amount="amount", bins=3)
    >>> r[["recency", "frequency", "monetary", "rfm"]].to_numpy().tolist()
    [[1.0, 2.0, 55.0, 222.0], [21.0, 1.0, 15.0, 111.0], [0.0, 3.0, 75.0, 333.0]]
    """
    opts = _rfm_options(bins, segments, thresholds, default_segment, tiers, tier_period, default_tier)
    if amount is None:
        raise _core.InvalidArgumentError("amount is required")
    key, codes, stamps, flags, units, amt, n = _inputs(transactions, customer, time, amount, time_unit)
    as_of_day = _day(_stamp(as_of, "as_of", units, time_unit), units)
    d = _core.rfm_count(codes, int(key.offset), int(key.n), stamps, flags, units, amt, as_of_day, opts.bins,
                        opts.cuts_given, opts.rules, on_invalid)
    return _rfm_frame(d, _index(key, d["customer"], customer), opts, as_of_day is not None)


class _RfmOptions(NamedTuple):
    bins: int
    cuts_given: list
    rules: list
    names: list
    default_segment: str
    tier_list: Optional[list]
    tier_period: str
    default_tier: str


def _rfm_options(bins: Any, segments: Any, thresholds: Any, default_segment: Any, tiers: Any, tier_period: Any,
                 default_tier: Any) -> _RfmOptions:
    """The checked result options of :func:`rfm` (shared with TransactionAccumulator.rfm)."""
    b = _check_bins(bins)
    cuts_given = _thresholds(thresholds, b)
    rules, names = _segments(segments, b)
    tier_list = None
    if tiers is not None:
        if tier_period not in _TIER_PERIODS:
            raise _core.InvalidArgumentError(f"tier_period must be one of {list(_TIER_PERIODS)}, got {tier_period!r}")
        tier_list = _tiers(tiers)
    return _RfmOptions(b, cuts_given, rules, names, str(default_segment), tier_list, str(tier_period), str(default_tier))


def _rfm_frame(d: dict, index: pd.Index, opts: _RfmOptions, as_of_given: bool) -> pd.DataFrame:
    """The RFM frame from the kernel's dict (``_core.rfm_count`` or TransactionAccumulator._rfm)."""
    b, cuts_given, names, tier_list, tier_period = opts.bins, opts.cuts_given, opts.names, opts.tier_list, opts.tier_period
    frame = pd.DataFrame(
        {
            "recency": np.asarray(d["recency"], dtype=np.int64),
            "frequency": np.asarray(d["frequency"]).view(np.int64),
            "monetary": np.asarray(d["monetary"], dtype=np.float64),
            "r_score": np.asarray(d["r_score"], dtype=np.int64),
            "f_score": np.asarray(d["f_score"], dtype=np.int64),
            "m_score": np.asarray(d["m_score"], dtype=np.int64),
        },
        index=index,
        copy=False,  # fresh arrays owned by the frame: no consolidation copy
    )
    frame["rfm"] = 100 * frame["r_score"] + 10 * frame["f_score"] + frame["m_score"]
    frame["segment"] = _categorical(np.asarray(d["segment"]), names, opts.default_segment)
    if tier_list is not None:
        first = _period_index(np.asarray(d["first_day"]), tier_period)
        end = _period_index(np.array([int(d["as_of_day"])]), tier_period)[0]
        spend = frame["monetary"].to_numpy() / (end - first + 1).astype(np.float64)
        tier_codes = np.full(len(frame), -1, dtype=np.int64)
        for i, (_, threshold) in reversed(list(enumerate(tier_list))):
            tier_codes[spend > threshold] = i
        frame["spend_per_period"] = spend
        frame["tier"] = _categorical(tier_codes, [t[0] for t in tier_list], opts.default_tier)
    cut_points = {dim: [float(x) for x in np.asarray(c)] for dim, c in zip(_DIMS, d["cuts"])}
    n_scores = {dim: int(k) for dim, k in zip(_DIMS, d["n_scores"])}
    frame.attrs.update(
        as_of=_timestamp(d["as_of_day"]) if d["has_data"] or as_of_given else None,
        bins=b,
        cut_points=cut_points,
        n_scores=n_scores,
        n=int(d["n"]),
        n_missing=int(d["n_missing"]),
        n_invalid=int(d["n_invalid"]),
        n_after_end=int(d["n_after_end"]),
    )
    if len(frame):
        for i, dim in enumerate(_DIMS):
            if not cuts_given[i] and n_scores[dim] < b:
                warnings.warn(
                    f"rfm: ties in {dim} ({'recency' if dim == 'r' else 'frequency' if dim == 'f' else 'monetary'}) "
                    f"give only {n_scores[dim]} distinct scores of {b}; cut points {cut_points[dim]}",
                    RfmTiesWarning,
                    stacklevel=3,
                )
    return frame


def clv_summary(
    transactions: Any,
    *,
    customer: Any,
    time: Any,
    amount: Any = None,
    period: str = "W",
    observation_end: Any = None,
    multiplier: float = 1,
    calibration_end: Any = None,
    holdout_end: Any = None,
    time_unit: str = "s",
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary value from a transaction log, with the
    conventions of the ``lifetimes`` package (METRICS.md §4, "Customer lifetime value").

    Times are floored to periods ("D" day, "W" week Monday-Sunday, "M" calendar month), each
    represented by its first day. ``frequency`` = distinct periods with a purchase - 1;
    ``recency`` = first day of the last period - first day of the first; ``T`` = first day of the
    observation end's period - first day of the first period; both in period units (1 day, 7
    days, or 30.436875 days for "M", numpy's average month) divided by ``multiplier`` (e.g.
    period="D", multiplier=7: continuous weeks). ``monetary_value`` (with ``amount``) = mean
    amount per repeat period = amount outside the first period / frequency, 0 when frequency is 0.

    Parameters
    ----------
    transactions : DataFrame (pandas or Polars) or None
        One row per purchase; with ``None`` the column arguments are arrays.
    customer, time, amount : str or array-like
        Column names or arrays; ``amount`` is optional.
    period : {"D", "W", "M"}
    observation_end : date-like, optional
        The window holds the periods up to and including this date's period (default: the period
        of the last transaction). Rows in later periods are counted in ``attrs["n_after_end"]``.
    multiplier : float
        Period units per output unit (> 0).
    calibration_end, holdout_end : date-like, optional
        Calibration/holdout split: the summary columns describe the rows at or before
        ``calibration_end`` (with T measured to it); rows after it and at or before ``holdout_end``
        (default: the last transaction) give ``frequency_holdout`` (distinct holdout periods),
        ``monetary_value_holdout`` (mean amount per holdout transaction, 0 without one) and
        ``duration_holdout`` (periods from the calibration end's to the holdout end's, / multiplier).
        Customers without a calibration purchase are not in the table (their holdout rows are
        counted in ``attrs["n_holdout"]``).
    on_invalid : {"raise", "drop"}
        Unparseable times and negative or infinite amounts raise InvalidInputError naming the
        position and value, or are dropped and counted.

    Returns
    -------
    DataFrame
        Indexed by customer (sorted), float columns ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` (with amount) [+ holdout columns]. ``attrs``: ``observation_end`` (first
        day of its period), ``period``, ``multiplier``, ``n``, ``n_holdout``, ``n_missing``,
        ``n_invalid``, ``n_after_end``.

    Examples
    --------
    >>> import pandas as pd, cxkit as cx
    >>> tx = pd.DataFrame({"customer": [1, 1, 1, 2],
    ...                    "time": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-15", "2024-01-08"]),
    ...                    "amount": [10.0, 5.0, 30.0, 20.0]})
    >>> s = cx.clv_summary(tx, customer="customer", time="time", amount="amount", period="W")
    >>> s.to_numpy().tolist()
    [[1.0, 2.0, 2.0, 30.0], [0.0, 0.0, 1.0, 0.0]]
    """
    _check_clv_options(period, observation_end, multiplier, calibration_end, holdout_end)
    key, codes, stamps, flags, units, amt, n = _inputs(transactions, customer, time, amount, time_unit)
    d = _core.clv_summary_count(
        codes, int(key.offset), int(key.n), stamps, flags, units, amt, period, float(multiplier),
        _stamp(observation_end, "observation_end", units, time_unit),
        _stamp(calibration_end, "calibration_end", units, time_unit),
        _stamp(holdout_end, "holdout_end", units, time_unit), on_invalid,
    )
    has_end = observation_end is not None or calibration_end is not None
    return _clv_frame(d, _index(key, d["customer"], customer), amt is not None, period, multiplier, has_end)


def _check_clv_options(period: Any, observation_end: Any, multiplier: Any, calibration_end: Any,
                       holdout_end: Any) -> None:
    """Checks the result options of :func:`clv_summary` (shared with TransactionAccumulator)."""
    if isinstance(multiplier, (bool, np.bool_)) or not isinstance(multiplier, (int, float, np.integer, np.floating)) \
            or not np.isfinite(multiplier) or multiplier <= 0:
        raise _core.InvalidArgumentError(f"multiplier must be a positive number, got {multiplier!r}")
    if period not in ("D", "W", "M"):
        raise _core.InvalidArgumentError(f'period must be "D", "W" or "M", got {period!r}')
    if holdout_end is not None and calibration_end is None:
        raise _core.InvalidArgumentError("holdout_end needs calibration_end")
    if calibration_end is not None and observation_end is not None:
        raise _core.InvalidArgumentError("with calibration_end, give the end of the holdout as holdout_end")


def _clv_frame(d: dict, index: pd.Index, has_amount: bool, period: str, multiplier: Any, has_end: bool) -> pd.DataFrame:
    """The summary frame from the kernel's dict (``_core.clv_summary_count`` or
    TransactionAccumulator._clv_summary); ``has_end``: an observation or calibration end was given."""
    columns = {"frequency": d["frequency"], "recency": d["recency"], "T": d["T"]}
    if has_amount:
        columns["monetary_value"] = d["monetary_value"]
    if d["split"]:
        columns["frequency_holdout"] = d["frequency_holdout"]
        if has_amount:
            columns["monetary_value_holdout"] = d["monetary_value_holdout"]
        columns["duration_holdout"] = np.full(len(d["frequency"]), float(d["duration_holdout"]))
    frame = pd.DataFrame({k: np.asarray(v, dtype=np.float64) for k, v in columns.items()},
                         index=index, copy=False)
    has_end = len(frame) > 0 or has_end
    frame.attrs.update(
        observation_end=_timestamp(d["end_day"]) if has_end else None,
        period=period,
        multiplier=multiplier,
        n=int(d["n"]),
        n_holdout=int(d["n_holdout"]),
        n_missing=int(d["n_missing"]),
        n_invalid=int(d["n_invalid"]),
        n_after_end=int(d["n_after_end"]),
    )
    return frame
