"""The dataframe front: the one place where user inputs become arrays and group codes.

Every public function takes ``data`` first: either an array-like of values, or a pandas/Polars
DataFrame with columns named by keyword (``score="q1"``, ``by=["region"]``, ``weights="w"``).
This module resolves those arguments, normalises values to numpy (zero-copy where the dtype
fits), factorizes group keys into dense integer codes, and turns per-group results back into a
pandas frame indexed by the group keys.

Factorization is chosen so that it never dominates the run time: integer keys over a dense range
are used as codes directly (no copy, no hash: the kernel subtracts the smallest key), categorical
keys reuse their category codes, and only other keys (strings, floats, sparse integers) go
through ``pandas.factorize``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd

from . import _core

__all__ = ["as_numeric", "as_times", "Times", "prepare", "Prepared", "grouped_frame", "is_frame"]


# --------------------------------------------------------------------------------------------------
# values


def _is_polars(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "polars"


def is_frame(obj: Any) -> bool:
    """True for a pandas or Polars DataFrame."""
    return isinstance(obj, pd.DataFrame) or (_is_polars(obj) and type(obj).__name__ == "DataFrame")


def _native(arr: np.ndarray) -> np.ndarray:
    """The array in native byte order (a copy only when it was not)."""
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


def _object_to_float(arr: np.ndarray, name: str) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Object arrays: None/NaN/NA are missing, numbers become float64, anything else is refused."""
    mask = np.asarray(pd.isna(arr), dtype=bool)
    out = np.full(arr.shape[0], np.nan)
    for i in np.flatnonzero(~mask):
        v = arr[i]
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            raise _core.UnsupportedTypeError(
                f"{name}: expected numbers, got {type(v).__name__} {v!r} at position {int(i)}"
            )
        out[i] = float(v)
    return out, (mask if mask.any() else None)


def as_numeric(values: Any, name: str) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Normalise an array-like to ``(numeric 1-D numpy array, missing mask or None)``.

    numpy arrays, pandas Series (numpy-backed or nullable), Polars Series, lists and scalars are
    accepted. Missing entries are NaN in float arrays or flagged in the mask. Booleans, strings
    and datetimes raise :class:`cxkit.UnsupportedTypeError` naming the argument.
    """
    if _is_polars(values):
        mask = values.is_null().to_numpy() if values.null_count() else None
        values = values.to_numpy()
        arr, _ = as_numeric(values, name)
        return arr, mask
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    if isinstance(values, pd.api.extensions.ExtensionArray):
        data = getattr(values, "_data", None)
        mask = getattr(values, "_mask", None)
        if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):  # pandas masked arrays
            if data.dtype.kind == "b":
                raise _core.UnsupportedTypeError(f"{name}: boolean values are not scores")
            return data, (mask if mask.any() else None)
        # Other extension arrays (numpy-backed, Arrow, ...): their own numpy conversion, with
        # missing entries as None/NaN objects that the object path below classifies.
        values = values.to_numpy(dtype=object) if values.dtype.kind not in "iuf" else values.to_numpy()
    arr = _native(np.asarray(values))
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise _core.InvalidArgumentError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    kind = arr.dtype.kind
    if kind in "iu":
        return arr, None
    if kind == "f":
        if arr.dtype.itemsize not in (4, 8):
            arr = arr.astype(np.float64)
        return arr, None
    if kind == "O":
        return _object_to_float(arr, name)
    raise _core.UnsupportedTypeError(f"{name}: unsupported dtype {arr.dtype} (expected numbers)")


# --------------------------------------------------------------------------------------------------
# times

#: Flags in ``Times.flags``: 0 = valid, 1 = missing (NaT, None, null), 2 = invalid (unparseable).
TIME_VALID, TIME_MISSING, TIME_INVALID = 0, 1, 2
NS_PER_DAY = 86_400 * 10**9


@dataclass
class Times:
    """Times normalised for the kernels.

    ``values`` is int64 nanoseconds since 1970-01-01 UTC when ``is_datetime`` (datetime64 of any
    unit, pandas/Polars datetimes, tz-aware ones converted to UTC, ``datetime``/``date`` objects,
    ISO-8601 strings), else the numeric array as given (``int``/``float``; NaN = missing).
    ``flags`` is None or a uint8 array: 1 marks a missing entry, 2 an entry that is not a time
    (e.g. an unparseable string), so kernels can apply the bad-input policy row by row.
    """

    values: np.ndarray
    flags: Optional[np.ndarray]
    is_datetime: bool

    def first_invalid(self) -> Optional[int]:
        if self.flags is None:
            return None
        bad = np.flatnonzero(self.flags == TIME_INVALID)
        return int(bad[0]) if bad.size else None


#: numpy's NaT as int64 nanoseconds.
NAT = np.iinfo(np.int64).min


def _datetime_ns(arr: np.ndarray, nat_flags: bool = True) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """datetime64 of any unit -> (int64 ns, flags); NaT is missing. A ns array is viewed, not copied.
    With ``nat_flags=False`` NaT stays as :data:`NAT` and is not scanned for (for kernels that
    treat that value as missing themselves, saving a pass over the column)."""
    if arr.dtype != np.dtype("datetime64[ns]"):
        arr = arr.astype("datetime64[ns]")
    ns = _native(arr).view(np.int64)
    if not nat_flags:
        return ns, None
    nat = ns == NAT
    return ns, (nat.astype(np.uint8) if nat.any() else None)


def _objects_to_times(arr: np.ndarray, name: str) -> Times:
    """Object/string arrays: each entry parsed on its own so one bad entry is flagged, not fatal."""
    flags = np.zeros(arr.shape[0], dtype=np.uint8)
    flags[np.asarray(pd.isna(arr), dtype=bool)] = TIME_MISSING
    out = np.zeros(arr.shape[0], dtype=np.int64)
    todo = np.flatnonzero(flags == TIME_VALID)
    if todo.size:
        vals = arr[todo]
        try:  # fast path: the whole column parses (ISO 8601 strings, datetime/date objects)
            parsed = pd.to_datetime(pd.Series(vals, dtype=object), utc=True, format="ISO8601")
            out[todo] = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)
        except (ValueError, TypeError, OverflowError):
            for i, v in zip(todo, vals):
                if isinstance(v, (bool, np.bool_, int, float, np.number)):
                    flags[i] = TIME_INVALID
                    continue
                try:
                    t = pd.Timestamp(v)
                    t = t.tz_convert("UTC") if t.tzinfo is not None else t
                    out[i] = t.as_unit("ns").value
                except (ValueError, TypeError, OverflowError):
                    flags[i] = TIME_INVALID
    return Times(out, flags if flags.any() else None, True)


def scalar_time_ns(value: Any, name: str) -> int:
    """One date/time (``date``, ``datetime``, numpy/pandas time stamp, ISO string) as int64
    nanoseconds since 1970-01-01 UTC (tz-aware values converted to UTC)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise _core.InvalidArgumentError(f"{name}: not a date/time: {value!r}")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as e:
        raise _core.InvalidArgumentError(f"{name}: not a date/time: {value!r} ({e})") from None
    if ts is pd.NaT:
        raise _core.InvalidArgumentError(f"{name}: not a date/time: {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


def as_times(values: Any, name: str, *, nat_flags: bool = True) -> Times:
    """Normalise a column of times (see :class:`Times`). ``nat_flags=False``: numpy/pandas
    datetime columns keep NaT as :data:`NAT` instead of flagging it (no extra pass)."""
    if _is_polars(values):
        import polars as pl

        if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
            if isinstance(values.dtype, pl.Datetime) and values.dtype.time_zone is not None:
                values = values.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            missing = values.is_null().to_numpy()
            ns = values.cast(pl.Datetime("ns")).to_physical().fill_null(0).to_numpy().astype(np.int64, copy=False)
            return Times(ns, missing.astype(np.uint8) if missing.any() else None, True)
        if values.dtype == pl.Utf8 or values.dtype == pl.Object:
            return _objects_to_times(np.asarray(values.to_list(), dtype=object), name)
        arr, mask = as_numeric(values, name)
        return Times(arr, mask.astype(np.uint8) if mask is not None else None, False)
    if isinstance(values, (pd.Series, pd.Index)):
        dtype = values.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(values, pd.Series) \
                else values.tz_convert("UTC").tz_localize(None)
            ns, flags = _datetime_ns(values.to_numpy())
            return Times(ns, flags, True)
        if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
            s = pd.Series(values)
            if getattr(dtype.pyarrow_dtype, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            missing = s.isna().to_numpy()
            ns, _ = _datetime_ns(s.astype("datetime64[ns]").to_numpy())
            return Times(ns, missing.astype(np.uint8) if missing.any() else None, True)
        if dtype.kind == "M":
            ns, flags = _datetime_ns(values.to_numpy(), nat_flags)
            return Times(ns, flags, True)
        if dtype == object or pd.api.types.is_string_dtype(dtype):
            return _objects_to_times(values.to_numpy(dtype=object), name)
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind == "M":
        ns, flags = _datetime_ns(arr, nat_flags)
        return Times(ns, flags, True)
    if arr.dtype.kind in "OUS":
        return _objects_to_times(arr.astype(object), name)
    num, mask = as_numeric(values, name)
    return Times(num, mask.astype(np.uint8) if mask is not None else None, False)


def _column(data: Any, spec: Any, argname: str) -> Any:
    """A column by name from a frame, or the array-like itself."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if not is_frame(data):
            raise _core.InvalidArgumentError(
                f"{argname}={spec!r} names a column, but data is not a DataFrame"
            )
        if spec not in data.columns:
            cols = ", ".join(repr(c) for c in list(data.columns)[:20])
            raise _core.InvalidArgumentError(f"{argname}: unknown column {spec!r} (columns: {cols})")
        return data[spec]
    return spec


def _length(values: Any) -> int:
    return len(values) if hasattr(values, "__len__") else 1


# --------------------------------------------------------------------------------------------------
# event logs: one row per event of a customer (cohorts, churn, RFM, transaction summaries)

#: Units of integer epoch times per day, by ``time_unit``.
UNITS_PER_DAY = {"D": 1, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": NS_PER_DAY}


def units_per_day(time_unit: str) -> int:
    if time_unit not in UNITS_PER_DAY:
        raise _core.InvalidArgumentError(f"time_unit must be one of {sorted(UNITS_PER_DAY)}, got {time_unit!r}")
    return UNITS_PER_DAY[time_unit]


def event_columns(data: Any, customer: Any, time: Any, value: Any = None, value_name: str = "revenue") -> tuple[Any, Any, Any, int]:
    """The customer, time and optional value columns of an event log (names in ``data`` or arrays),
    checked for equal lengths; returns them and the number of rows."""
    c = _column(data, customer, "customer")
    t = _column(data, time, "time")
    v = _column(data, value, value_name)
    if c is None or t is None:
        raise _core.InvalidArgumentError("customer and time are required")
    n = _length(c)
    for name, col in (("time", t), (value_name, v)):
        if col is not None and _length(col) != n:
            raise _core.InvalidArgumentError(f"{name} has {_length(col)} values but customer has {n}")
    return c, t, v, n


def epoch_stamps(values: Any, time_unit: str, name: str = "time") -> tuple[np.ndarray, Optional[np.ndarray], int]:
    """(int64 stamps, flags, units per day): datetimes as nanoseconds (NaT stays NaT: missing),
    numbers as integer epoch values in ``time_unit`` (NaN missing; fractions floored)."""
    units = units_per_day(time_unit)
    t = as_times(values, name, nat_flags=False)
    if t.is_datetime:
        return np.ascontiguousarray(t.values, dtype=np.int64), t.flags, NS_PER_DAY
    x = np.asarray(t.values)
    flags = np.zeros(x.shape[0], np.uint8) if t.flags is None else t.flags.copy()
    if x.dtype.kind == "f":
        flags[np.isnan(x)] = TIME_MISSING
        flags[np.isinf(x) | (np.abs(np.nan_to_num(x)) > 9.2e18)] = TIME_INVALID
        stamps = np.zeros(x.shape[0], np.int64)
        ok = flags == 0
        stamps[ok] = np.floor(x[ok]).astype(np.int64)
    elif x.dtype.kind in "iu":
        stamps = x.astype(np.int64, copy=False)
    else:
        raise _core.UnsupportedTypeError(f"{name}: expected datetimes, ISO strings or numbers, got {x.dtype}")
    return np.ascontiguousarray(stamps), (flags if flags.any() else None), units


def row_count(columns: dict) -> int:
    """The common number of rows of per-row arguments (scalars and None broadcast to every row);
    raises naming the arguments when their lengths differ."""
    lengths = [_length(v) for v in columns.values() if v is not None and not np.isscalar(v) and hasattr(v, "__len__")]
    n = lengths[0] if lengths else 1
    if any(m != n for m in lengths):
        names = list(columns)
        raise _core.InvalidArgumentError(
            f"{', '.join(names[:-1])} and {names[-1]} must have the same length, got {lengths}")
    return n


def broadcast(values: Any, n: int) -> Any:
    """A scalar (or None, a date, a Timestamp) repeated for n rows; array-likes as they are."""
    if values is None or np.isscalar(values) or isinstance(values, (_dt.date, pd.Timestamp)):
        return np.array([values] * n, dtype=object)
    return values


def stable_ids(values: Any) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Ids for a mergeable state, the same in every batch, process and machine: integer ids as
    int64; other ids as a 64-bit hash of their text (pandas.util.hash_array). Returns the ids and a
    missing mask (uint8, or None)."""
    if _is_polars(values):
        values = values.to_pandas()
    if isinstance(values, pd.Series):
        s = values
    elif hasattr(values, "dtype"):
        s = pd.Series(values)
    else:
        s = pd.Series(np.asarray(values, dtype=object))
    mask = s.isna().to_numpy()
    if pd.api.types.is_integer_dtype(s.dtype):
        ids = s.to_numpy(dtype=np.int64, na_value=0)
    elif pd.api.types.is_float_dtype(s.dtype) and np.all(np.mod(s.to_numpy()[~mask], 1) == 0):
        ids = s.to_numpy(dtype=np.float64, na_value=0).astype(np.int64)  # float ids from a column with NaN
    else:
        obj = s.astype(object).where(~mask, "")
        ints = obj.map(lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)))
        text = obj.astype(str).to_numpy(dtype=object)
        ids = pd.util.hash_array(text).view(np.int64).copy()
        if ints.all():
            ids = obj.to_numpy(dtype=np.int64)
    return np.ascontiguousarray(ids, dtype=np.int64), (mask.astype(np.uint8) if mask.any() else None)


def state_rows(customer: Any, time: Any, value: Any, value_name: str, time_unit: str) -> tuple:
    """The rows a per-customer state adds (CohortAccumulator, TransactionAccumulator): stable
    customer ids and their missing mask, time stamps with flags and units per day, and the value
    column as float64 with NaN for missing (None without one). Scalars broadcast."""
    n = row_count({"customer": customer, "time": time, value_name: value})
    ids, mask = stable_ids(broadcast(customer, n))
    stamps, flags, units = epoch_stamps(broadcast(time, n), time_unit)
    values = None
    if value is not None:
        values = float_values(np.full(n, value, dtype=np.float64) if np.isscalar(value) else value, value_name)
    return ids, mask, stamps, flags, units, values


def float_values(values: Any, name: str) -> np.ndarray:
    """A numeric column as a new float64 array with NaN where a value is missing."""
    arr, mask = as_numeric(values, name)
    out = np.array(arr, dtype=np.float64, copy=True)
    if mask is not None:
        out[mask] = np.nan
    return out


# --------------------------------------------------------------------------------------------------
# group keys


@dataclass
class _Key:
    """One factorized key: codes (missing = -1 after subtracting ``offset``) and labels."""

    codes: np.ndarray
    offset: int
    n: int
    labels: Callable[[np.ndarray], Any]  # group ids -> label values
    name: Any


def _dense_enough(lo: int, hi: int, n_rows: int) -> bool:
    """Use keys as codes directly when their span is small: the kernel's table and the per-group
    states scale with the span (empty groups are dropped only afterwards), so a span much larger
    than the data would cost more than hashing the keys."""
    span = hi - lo + 1
    return span <= _max_direct_span(n_rows)


def _max_direct_span(n_rows: int) -> int:
    return max(n_rows // 2, 1 << 16)


def _masked_int_key(data: np.ndarray, mask: np.ndarray, name: Any, n_rows: int) -> Optional[_Key]:
    """Integer keys with missing entries (pandas nullable, Polars nulls): dense codes, -1 missing."""
    valid = data[~mask]
    if valid.size == 0:
        return _Key(np.full(len(data), -1, np.int32), 0, 0, lambda ids: np.asarray(ids), name)
    lo, hi = int(valid.min()), int(valid.max())
    if not _dense_enough(lo, hi, n_rows):
        return None
    codes = np.where(mask, -1, data.astype(np.int64) - lo)
    return _Key(codes, 0, hi - lo + 1, lambda ids, lo=lo, dt=data.dtype: (ids + lo).astype(dt), name)


def _factorize_key(key: Any, name: Any, n_rows: int) -> _Key:
    if _is_polars(key):
        import polars as pl

        if isinstance(key.dtype, pl.Enum):
            key = key.to_pandas()  # declared order, like a pandas Categorical
        elif isinstance(key.dtype, pl.Categorical):
            key = key.cast(pl.Utf8).to_numpy()  # physical order is arbitrary: sort by label
        elif key.dtype.is_integer() and key.null_count():
            mask = key.is_null().to_numpy()
            data = key.fill_null(0).to_numpy()
            k = _masked_int_key(data, mask, name, n_rows)
            key = k if k is not None else pd.array(key.to_list(), dtype="Int64")
            if isinstance(key, _Key):
                return key
        else:
            key = key.to_numpy()
    if isinstance(key, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        if isinstance(key.dtype, pd.CategoricalDtype):
            cat = key.array if hasattr(key, "array") else key
            categories = cat.categories
            codes = np.asarray(cat.codes)  # int8/int16/int32: the kernel reads them as they are
            return _Key(codes, 0, len(categories), lambda ids: categories.take(ids), name)
        arr = key.array if hasattr(key, "array") else key
        # Nullable integers (a masked array: values + mask) are read without a copy. Only they are
        # asked for `_data`: Arrow-backed arrays warn on that name.
        masked = isinstance(arr, pd.arrays.IntegerArray)
        data = getattr(arr, "_data", None) if masked else None
        mask = getattr(arr, "_mask", None) if masked else None
        if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and data.dtype.kind in "iu":
            k = _masked_int_key(data, mask, name, n_rows)
            if k is not None:
                return k
        # numpy-backed keys continue as numpy; extension arrays (nullable, string, arrow) go to
        # pandas.factorize as they are, which keeps their dtype (no float round trip).
        key = key.to_numpy() if isinstance(getattr(key, "dtype", None), np.dtype) else arr
    arr = _native(np.asarray(key)) if not isinstance(key, pd.api.extensions.ExtensionArray) else key
    if getattr(arr, "ndim", 1) != 1:
        raise _core.InvalidArgumentError(f"by: key {name!r} must be 1-D")
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "iu" and arr.size:
        if arr.dtype.kind == "u" and arr.dtype.itemsize < 8:  # unsigned keys: widen to signed
            arr = arr.astype({1: np.int16, 2: np.int32, 4: np.int64}[arr.dtype.itemsize])
        if not (arr.dtype == np.uint64 and arr.max() >= 2**63):
            arr = arr.astype(np.int64, copy=False) if arr.dtype == np.uint64 else arr
            lo, hi = _core.min_max(np.ascontiguousarray(arr))
            if _dense_enough(lo, hi, n_rows):
                # The keys themselves are the codes: the kernel subtracts `lo`. No copy, no hash.
                return _Key(arr, lo, hi - lo + 1, lambda ids, lo=lo, dt=arr.dtype: (ids + lo).astype(dt), name)
    codes, uniques = pd.factorize(arr, sort=True, use_na_sentinel=True)
    return _Key(codes, 0, len(uniques), lambda ids, u=uniques: np.asarray(u).take(ids), name)


@dataclass
class Grouping:
    """Codes for the kernel and how to turn observed group ids into the result index."""

    codes: np.ndarray
    offset: int
    n_groups: int
    index: Callable[[np.ndarray], pd.Index]


def _grouping(keys: Sequence[Any], names: Sequence[Any], n_rows: int) -> Grouping:
    factorized = [_factorize_key(k, nm, n_rows) for k, nm in zip(keys, names)]
    for f in factorized:
        if len(f.codes) != n_rows:
            raise _core.InvalidArgumentError(
                f"by: key {f.name!r} has {len(f.codes)} values but the data has {n_rows}"
            )
    if len(factorized) == 1:
        f = factorized[0]
        return Grouping(f.codes, f.offset, f.n, lambda ids: pd.Index(f.labels(ids), name=f.name))
    # Several keys: mixed-radix combination of the per-key codes (any missing key -> -1).
    sizes = [max(f.n, 1) for f in factorized]
    total = int(np.prod([float(s) for s in sizes]))
    if total >= 2**62:
        raise _core.InvalidArgumentError("by: too many key combinations")
    combined = np.zeros(n_rows, dtype=np.int64)
    missing = np.zeros(n_rows, dtype=bool)
    for f, size in zip(factorized, sizes):
        c = f.codes.astype(np.int64) - f.offset
        missing |= c < 0
        combined *= size
        combined += np.maximum(c, 0)
    combined[missing] = -1

    def decode(flat: np.ndarray) -> pd.Index:
        parts, rest = [], flat.astype(np.int64)
        for f, size in reversed(list(zip(factorized, sizes))):
            parts.append(f.labels(rest % size))
            rest = rest // size
        parts.reverse()
        return pd.MultiIndex.from_arrays(parts, names=[f.name for f in factorized])

    if total <= _max_direct_span(n_rows):
        return Grouping(combined, 0, total, decode)
    # Sparse combinations: renumber the observed ones densely (missing stays -1).
    dense = np.full(n_rows, -1, dtype=np.int64)
    valid = combined >= 0
    dense[valid], observed = pd.factorize(combined[valid], sort=True)
    observed = np.asarray(observed)
    return Grouping(dense, 0, len(observed), lambda ids: decode(observed.take(ids)))


def _key_arrays(data: Any, by: Any) -> tuple[list[Any], list[Any]]:
    if isinstance(by, tuple):
        by = list(by)
    elif not isinstance(by, list):
        by = [by]  # one key: a column name or any array-like (Series, Index, Categorical, ...)
    if not by:
        raise _core.InvalidArgumentError("by must be a column name, an array, or a non-empty list of them")
    keys, names = [], []
    for i, b in enumerate(by):
        if b is None or np.isscalar(b) and not isinstance(b, str):
            raise _core.InvalidArgumentError(f"by: expected a column name or an array, got {b!r}")
        keys.append(_column(data, b, "by"))
        if isinstance(b, str):
            names.append(b)
        else:
            names.append(getattr(b, "name", None) or ("by" if len(by) == 1 else f"by_{i}"))
    return keys, names


# --------------------------------------------------------------------------------------------------
# the front


@dataclass
class Prepared:
    """Arrays ready for a grouped kernel."""

    values: np.ndarray
    mask: Optional[np.ndarray]
    weights: Any  # array-like or None (normalised by the kernel)
    grouping: Optional[Grouping]
    n_rows: int

    def kernel_args(self) -> dict:
        g = self.grouping
        return dict(
            values=self.values,
            weights=self.weights,
            codes=None if g is None else g.codes,
            offset=0 if g is None else g.offset,
            n_groups=1 if g is None else g.n_groups,
            mask=self.mask,
        )


def prepare(data: Any, value: Any, *, value_arg: str, by: Any = None, weights: Any = None) -> Prepared:
    """Resolve ``data`` + column keywords into arrays and (optionally) group codes."""
    if is_frame(data):
        if value is None:
            raise _core.InvalidArgumentError(f"{value_arg}= must name a column when data is a DataFrame")
        values = _column(data, value, value_arg)
    else:
        if value is not None:
            raise _core.InvalidArgumentError(
                f"{value_arg}= is for DataFrame input; pass the values themselves as data"
            )
        if data is None:
            raise _core.InvalidArgumentError("data is required")
        values = data
    arr, mask = as_numeric(values, value_arg)
    n = arr.shape[0]
    w = _column(data, weights, "weights")
    if w is not None and _length(w) != n:
        raise _core.InvalidArgumentError(f"weights has {_length(w)} values but the data has {n}")
    grouping = None
    if by is not None:
        keys, names = _key_arrays(data, by)
        grouping = _grouping(keys, names, n)
    return Prepared(arr, mask, w, grouping, n)


def grouped_frame(columns: dict, groups: Any, grouping: Grouping) -> pd.DataFrame:
    """A frame of per-group result columns indexed by the group keys; groups without rows are
    left out; rows whose key was missing are reported in ``frame.attrs["n_missing_key"]``."""
    rows = groups.rows()
    observed = np.flatnonzero(rows > 0)
    take = {k: np.asarray(v)[observed] for k, v in columns.items()}
    frame = pd.DataFrame(take, index=grouping.index(observed))
    mk = groups.missing_key
    frame.attrs["n_missing_key"] = int(mk.n + mk.n_missing + mk.n_invalid)
    return frame
