"""Key drivers analysis and importance-performance analysis (METRICS.md §3).

``key_drivers`` divides the R² of the target (e.g. overall satisfaction) on its drivers among
them: Johnson's relative weights, exact Shapley / LMG weights, or Pratt's product measure beside
the standardised OLS coefficients. ``ipa`` places attributes in the importance-performance grid
(Martilla & James 1977). Both work from ``DriverAccumulator``, the mergeable state of weighted
means and co-moments (variable 0 = target, then the drivers).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import DriverAccumulator, DriverResult

__all__ = ["key_drivers", "ipa", "DriverAccumulator", "DriverResult"]

_METHODS = ("relative_weights", "shapley", "ols")
_QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")


# --------------------------------------------------------------------------------------------------
# inputs


def _float_column(values: Any, name: str) -> np.ndarray:
    """A column as float64 with NaN for missing entries (nullable masks included)."""
    arr, mask = _frame.as_numeric(values, name)
    out = np.asarray(arr, dtype=np.float64)
    if mask is not None:
        out = out.copy() if out is arr else out
        out[np.asarray(mask, dtype=bool)] = np.nan
    return out


def _as_matrix(obj: Any, name: str) -> np.ndarray:
    """A 2-D float64 array (rows x variables) from a 2-D array-like or a frame (all columns in
    order); NaN marks missing values."""
    if isinstance(obj, Mapping) and not _frame.is_frame(obj):
        obj = pd.DataFrame(dict(obj))
    if _frame.is_frame(obj):
        cols = list(obj.columns)
        n = len(obj)
        out = np.empty((len(cols), n), dtype=np.float64)
        for i, c in enumerate(cols):
            out[i] = _float_column(obj[c], f"{name}[{c!r}]")
        return out.T
    arr = np.asarray(obj)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 0)
    if arr.ndim != 2:
        raise _core.InvalidArgumentError(f"{name}: expected a 2-D array (rows x variables), got shape {arr.shape}")
    if arr.dtype.kind == "O":
        cols = [_float_column(arr[:, j], f"{name}[:, {j}]") for j in range(arr.shape[1])]
        return np.column_stack(cols) if cols else np.empty(arr.shape)
    if arr.dtype.kind not in "iuf":
        raise _core.UnsupportedTypeError(f"{name}: unsupported dtype {arr.dtype} (expected numbers)")
    return np.asarray(arr, dtype=np.float64)


def _pick(data: Any, spec: Any, argname: str) -> np.ndarray:
    """One variable: a column name of a frame, a column index of a 2-D array, or values."""
    if isinstance(data, np.ndarray) and data.ndim == 2 and isinstance(spec, (int, np.integer)):
        if not -data.shape[1] <= int(spec) < data.shape[1]:
            raise _core.InvalidArgumentError(f"{argname}: column {int(spec)} outside the {data.shape[1]} columns")
        return _float_column(data[:, int(spec)], argname)
    return _float_column(_frame._column(data, spec, argname), argname)


def _variables(data: Any, target: Any, drivers: Any) -> tuple[np.ndarray, list[str], int]:
    """The (rows x (1 + p)) float64 matrix of target then drivers (a column-major view, built
    column by column), their names, and the number of rows."""
    if isinstance(drivers, (str, int, np.integer)) or drivers is None:
        raise _core.InvalidArgumentError("drivers: expected a list of columns (at least one)")
    drivers = list(drivers)
    if not drivers:
        raise _core.InvalidArgumentError("drivers: expected at least one driver")
    specs = [target] + drivers
    names = [str(s) for s in specs]
    seen: set = set()
    for s in specs:
        key = (type(s).__name__, s)
        if key in seen:
            which = "is the target and a driver" if s == target else "appears twice"
            raise _core.InvalidArgumentError(f"drivers: {s!r} {which}")
        seen.add(key)
    if isinstance(data, Mapping) and not _frame.is_frame(data):
        data = pd.DataFrame(dict(data))
    cols = [_pick(data, s, "target" if i == 0 else f"drivers[{i - 1}]") for i, s in enumerate(specs)]
    n = len(cols[0])
    for i, c in enumerate(cols):
        if len(c) != n:
            raise _core.InvalidArgumentError(
                f"{'target' if i == 0 else f'drivers[{i - 1}]'} has {len(c)} values but the target has {n}"
            )
    out = np.empty((len(cols), n), dtype=np.float64)
    for i, c in enumerate(cols):
        out[i] = c
    return out.T, names, n


def _weights(data: Any, weights: Any, n: int) -> Any:
    if weights is None:
        return None
    if isinstance(data, Mapping) and not _frame.is_frame(data):
        data = pd.DataFrame(dict(data))
    w = _frame._column(data, weights, "weights") if isinstance(weights, str) else weights
    if _frame._length(w) != n:
        raise _core.InvalidArgumentError(f"weights has {_frame._length(w)} values but the data has {n} rows")
    return w


def _check_count(value: Any, name: str, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) < upper:
        raise _core.InvalidArgumentError(f"{name} must be an integer in 0..{upper - 1}, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------------
# key drivers


def key_drivers(
    data: Any,
    *,
    target: Any,
    drivers: Sequence[Any],
    weights: Any = None,
    method: str = "relative_weights",
    bootstrap: int = 0,
    seed: Optional[int] = None,
    confidence: float = 0.95,
    on_invalid: str = "raise",
    threads: int = 0,
) -> pd.DataFrame:
    """Key drivers: how much of the target's variance each driver accounts for.

    All methods work from the weighted correlation matrix R of (target, drivers), so they are
    scale invariant (METRICS.md §3 "Key drivers"): OLS standardised β = R_xx⁻¹ r_xy and
    R² = r_xyᵀ β; ``"relative_weights"`` (Johnson 2000) from R_xx = V Λ Vᵀ, L = V Λ^½ Vᵀ,
    β* = L⁻¹ r_xy, ε_j = Σ_k L_jk² β*_k²; ``"shapley"`` (LMG; Lipovetsky & Conklin 2001,
    Grömping 2006) the exact average gain in R² over all 2^p orders (p ≤ 20); ``"ols"`` Pratt's
    product measure β_j r_jy. Every method's ``weight`` sums to R².

    Parameters
    ----------
    data : DataFrame, mapping of columns, or 2-D array
        pandas/Polars frame (columns named by ``target``/``drivers``) or a 2-D array (columns
        given by integer positions).
    target : str or int
        The outcome (e.g. overall satisfaction).
    drivers : list of str or int
        The explanatory variables (at least one).
    weights : str or array-like, optional
        Survey weights: 0 or a number in [1e-150, 1e150]; NaN or negative weights are invalid.
    method : {"relative_weights", "shapley", "ols"}
        How R² is divided among the drivers.
    bootstrap : int
        Number of bootstrap replicates (rows resampled with replacement) for the percentile
        interval of ``weight`` (columns ``weight_lo``, ``weight_hi``); 0 = none, else >= 2.
    seed : int, optional
        Bootstrap seed (0 <= seed < 2**64): the same seed gives the same interval on every platform
        and thread count. None draws one, reported in ``frame.attrs["seed"]``.
    confidence : float
        Level of the bootstrap interval.
    on_invalid : {"raise", "drop"}
        Rows with ±inf or a bad weight: raise, or drop and count them. Rows with a missing value
        (NaN/None/null) in the target or any driver are dropped listwise and counted as missing.
    threads : int
        Threads for the pass over the rows, the Shapley subsets and the bootstrap (0 = all cores);
        the result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        Indexed by driver: ``weight`` (raw, sums to R²), ``rescaled`` (percent, sums to 100),
        ``sign`` (of the OLS coefficient), ``beta`` (standardised OLS), ``correlation`` (with the
        target), and with ``bootstrap`` ``weight_lo``, ``weight_hi``. ``frame.attrs`` holds
        ``r_squared``, ``n``, ``n_missing``, ``n_invalid``, ``sum_weights``, ``method`` and the
        bootstrap settings.

    Raises
    ------
    NumericalError
        A constant target or driver, or collinear drivers (the message names them).
    InvalidArgumentError
        Unknown columns, bad options, or Shapley with more than 20 drivers (2^p subsets).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"overall": [3, 5, 4, 6, 5, 7], "price": [1, 2, 3, 4, 3, 5],
    ...                    "speed": [0, 1, 3, 2, 1, 2]})
    >>> kd = cx.key_drivers(df, target="overall", drivers=["price", "speed"], method="shapley")
    >>> kd["rescaled"].round(1).to_dict()
    {'price': 86.5, 'speed': 13.5}
    >>> round(kd.attrs["r_squared"], 3), kd.attrs["n"]
    (0.885, 6)
    """
    if method not in _METHODS:
        raise _core.InvalidArgumentError(f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    n_boot = _check_count(bootstrap, "bootstrap", 2**24 + 1)
    if n_boot == 1:
        raise _core.InvalidArgumentError("bootstrap must be 0 (none) or at least 2 replicates, got 1")
    if n_boot > 0:
        seed = secrets.randbits(64) if seed is None else _check_count(seed, "seed", 2**64)
    else:
        seed = 0 if seed is None else _check_count(seed, "seed", 2**64)
    threads = _check_count(threads, "threads", 1025)
    matrix, names, n = _variables(data, target, drivers)
    w = _weights(data, weights, n)
    r = _core.key_drivers_matrix(
        matrix, w, names, method=method, on_invalid=on_invalid, bootstrap=n_boot, seed=seed,
        confidence=confidence, threads=threads,
    )
    return _frame_of(r, names[1:], bootstrap=n_boot, seed=seed, confidence=confidence)


def _frame_of(r: DriverResult, drivers: list[str], *, bootstrap: int = 0, seed: int = 0,
              confidence: float = 0.95) -> pd.DataFrame:
    sign = np.asarray(r.sign)
    cols = {
        "weight": np.asarray(r.weight),
        "rescaled": np.asarray(r.rescaled),
        "sign": sign.astype(np.int64) if np.isfinite(sign).all() else sign,
        "beta": np.asarray(r.beta),
        "correlation": np.asarray(r.correlation),
    }
    if bootstrap:
        cols["weight_lo"] = np.asarray(r.weight_lo)
        cols["weight_hi"] = np.asarray(r.weight_hi)
    frame = pd.DataFrame(cols, index=pd.Index(drivers, name="driver"))
    frame.attrs.update(
        r_squared=r.r_squared, n=r.n, n_missing=r.n_missing, n_invalid=r.n_invalid, sum_weights=r.sum_weights,
        method=r.method,
    )
    if bootstrap:
        frame.attrs.update(bootstrap=bootstrap, seed=seed, confidence=confidence, n_boot_valid=r.n_boot_valid)
    return frame


# --------------------------------------------------------------------------------------------------
# importance-performance analysis


def _minmax(v: np.ndarray) -> np.ndarray:
    lo, hi = np.nanmin(v), np.nanmax(v)
    if not np.isfinite(hi - lo) or hi == lo:
        return np.where(np.isnan(v), np.nan, 0.5)
    return (v - lo) / (hi - lo)


def _scale_pair(scale: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in scale)
    except (TypeError, ValueError):
        raise _core.InvalidArgumentError(f"{name} must be a pair (low, high), got {scale!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise _core.InvalidArgumentError(f"{name} must satisfy low < high (finite), got {scale!r}")
    return lo, hi


def ipa(
    data: Any,
    *,
    attributes: Sequence[Any],
    overall: Any = None,
    importance: Any = None,
    performance: str = "mean",
    crosshair: Any = "data",
    top_box: Optional[float] = None,
    scale: Optional[Sequence[float]] = None,
    weights: Any = None,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Importance-performance analysis (Martilla & James 1977; METRICS.md §3).

    Performance is each attribute's (weighted) mean, or its top-box share; importance is stated
    (given) or derived from an overall-satisfaction column. Attributes are placed in four
    quadrants by the crosshairs: high importance & low performance ``"concentrate_here"``,
    high & high ``"keep_up"``, low & low ``"low_priority"``, low importance & high performance
    ``"possible_overkill"``. A value equal to a crosshair counts as high.

    Parameters
    ----------
    data : DataFrame or mapping of columns
        One row per respondent; one column per attribute rating.
    attributes : list of str
        The attribute columns.
    overall : str, optional
        Overall-satisfaction column, for derived importance.
    importance : mapping, sequence, "correlation" or "relative_weights", optional
        Stated importance (a mapping attribute -> value, or a sequence in ``attributes`` order), or
        how to derive it from ``overall``: Pearson correlation with the overall score (the default
        when ``overall`` is given; Bacon 2003) or Johnson's relative weights (raw, sum to R²).
        Derived importance uses the rows complete in ``overall`` and every attribute (listwise).
    performance : {"mean", "top_box"}
        Mean rating, or share (0..1) of ratings >= ``top_box``. Each attribute uses its own
        non-missing ratings.
    crosshair : "data", "scale" or (importance, performance)
        ``"data"``: the means of importance and performance over the attributes; ``"scale"``:
        performance at the scale midpoint (``scale`` required; 0.5 for top-box shares), importance
        at the scale midpoint when it is stated, else at the attributes' mean importance; or
        explicit crosshair values.
    top_box : float, optional
        Top-box threshold (default: the top of ``scale``).
    scale : (low, high), optional
        Rating scale, e.g. (1, 5): needed by ``crosshair="scale"``, and used to put mean
        performance on 0..1 for the gap.
    weights : str or array-like, optional
        Survey weights (0 or a number in [1e-150, 1e150]).
    on_invalid : {"raise", "drop"}
        Ratings of ±inf and bad weights: raise, or drop and count (``n_invalid``).

    Returns
    -------
    pandas.DataFrame
        Indexed by attribute: ``importance``, ``performance``, ``quadrant``, ``gap``, ``n``,
        ``n_missing``, ``n_invalid``. ``gap`` = importance − performance after both are put on
        0..1: importance by min-max over the attributes (0.5 when all are equal); performance as
        is for top-box shares, by ``scale`` for means when given, else min-max. ``frame.attrs``:
        ``crosshair_importance``, ``crosshair_performance``, ``importance_method``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"price": [2, 3, 2, 3], "speed": [4, 5, 5, 4], "overall": [2, 4, 3, 5]})
    >>> r = cx.ipa(df, attributes=["price", "speed"], importance={"price": 5, "speed": 3})
    >>> list(r["quadrant"])
    ['concentrate_here', 'possible_overkill']
    """
    policy = on_invalid
    if policy not in ("raise", "drop"):
        raise _core.InvalidArgumentError(f'on_invalid must be "raise" or "drop", got {on_invalid!r}')
    if isinstance(attributes, (str, int)) or attributes is None:
        raise _core.InvalidArgumentError("attributes: expected a list of columns")
    attributes = list(attributes)
    if not attributes:
        raise _core.InvalidArgumentError("attributes: expected at least one attribute")
    if len(set(map(str, attributes))) != len(attributes):
        raise _core.InvalidArgumentError("attributes: a column appears twice")
    if isinstance(data, Mapping) and not _frame.is_frame(data):
        data = pd.DataFrame(dict(data))
    if performance not in ("mean", "top_box"):
        raise _core.InvalidArgumentError(f'performance must be "mean" or "top_box", got {performance!r}')
    lo_hi = _scale_pair(scale, "scale") if scale is not None else None
    if performance == "top_box" and top_box is None:
        if lo_hi is None:
            raise _core.InvalidArgumentError('performance="top_box" needs top_box= (or scale= to take its top)')
        top_box = lo_hi[1]

    cols = [_float_column(_frame._column(data, a, "attributes"), f"attributes[{a!r}]") for a in attributes]
    n = len(cols[0])
    w = _weights(data, weights, n)
    wv = None
    bad_w = np.zeros(n, dtype=bool)
    if w is not None:
        wv = _float_column(w, "weights")
        bad_w = ~((wv == 0) | ((wv >= 1e-150) & (wv <= 1e150)))
        bad_w |= np.isnan(wv)

    perf = np.full(len(attributes), np.nan)
    counts = np.zeros((len(attributes), 3), dtype=np.int64)
    for j, (name, x) in enumerate(zip(attributes, cols)):
        if len(x) != n:
            raise _core.InvalidArgumentError(f"attributes[{name!r}] has {len(x)} values but the data has {n} rows")
        missing = np.isnan(x)
        invalid = ~missing & (np.isinf(x) | bad_w)
        if invalid.any() and policy == "raise":
            pos = int(np.flatnonzero(invalid)[0])
            if np.isinf(x[pos]):
                what = f"invalid rating of {name!r} at position {pos}: {x[pos]} (expected a finite number)"
            else:
                what = f"invalid weight at position {pos}: {wv[pos]} (expected 0 or a number in [1e-150, 1e150])"
            raise _core.InvalidInputError(
                f"{what}; {int(invalid.sum())} invalid rows in total (pass on_invalid=\"drop\" to skip and count them)"
            )
        ok = ~missing & ~invalid
        counts[j] = (int(ok.sum()), int(missing.sum()), int(invalid.sum()))
        ww = np.ones(int(ok.sum())) if wv is None else wv[ok]
        xs = x[ok]
        if ww.sum() > 0:
            v = xs if performance == "mean" else (xs >= top_box).astype(np.float64)
            perf[j] = float(np.dot(ww, v) / ww.sum())

    # importance
    stated = importance is not None and not isinstance(importance, str)
    if stated:
        if isinstance(importance, (Mapping, pd.Series)):
            missing_keys = [a for a in attributes if a not in importance]
            if missing_keys:
                raise _core.InvalidArgumentError(f"importance: no value for {missing_keys[0]!r}")
            imp = np.array([float(importance[a]) for a in attributes])
        else:
            imp = np.asarray(list(importance), dtype=np.float64)
            if imp.shape != (len(attributes),):
                raise _core.InvalidArgumentError(
                    f"importance has {imp.size} values for {len(attributes)} attributes"
                )
        if not np.isfinite(imp).all():
            raise _core.InvalidArgumentError("importance: stated values must be finite numbers")
        method = "stated"
    else:
        method = "correlation" if importance is None else importance
        if method not in ("correlation", "relative_weights"):
            raise _core.InvalidArgumentError(
                f'importance must be a mapping, a sequence, "correlation" or "relative_weights", got {importance!r}'
            )
        if overall is None:
            raise _core.InvalidArgumentError("give importance= (stated) or overall= (to derive importance)")
        y = _float_column(_frame._column(data, overall, "overall"), "overall")
        m = np.empty((len(attributes) + 1, n), dtype=np.float64)
        m[0] = y
        for j, x in enumerate(cols):
            m[j + 1] = x
        acc = DriverAccumulator(len(attributes) + 1)
        acc.add(m.T, weights=wv, on_invalid=policy)
        if method == "correlation":
            imp = np.asarray(acc.correlation())[0, 1:].copy()
        else:
            names = [str(overall)] + [str(a) for a in attributes]
            imp = np.asarray(acc.result(method="relative_weights", names=names).weight)

    # crosshairs
    if isinstance(crosshair, str):
        if crosshair == "data":
            ci, cp = float(np.nanmean(imp)), float(np.nanmean(perf))
        elif crosshair == "scale":
            if performance == "top_box":
                cp = 0.5
            elif lo_hi is None:
                raise _core.InvalidArgumentError('crosshair="scale" needs scale=(low, high)')
            else:
                cp = (lo_hi[0] + lo_hi[1]) / 2
            ci = (lo_hi[0] + lo_hi[1]) / 2 if (stated and lo_hi is not None) else float(np.nanmean(imp))
        else:
            raise _core.InvalidArgumentError(f'crosshair must be "data", "scale" or a pair, got {crosshair!r}')
    else:
        ci, cp = _crosshair_pair(crosshair)

    high_i = imp >= ci
    high_p = perf >= cp
    quadrant = np.where(high_i, np.where(high_p, "keep_up", "concentrate_here"),
                        np.where(high_p, "possible_overkill", "low_priority")).astype(object)
    quadrant[np.isnan(imp) | np.isnan(perf)] = None

    imp01 = _minmax(imp)
    if performance == "top_box":
        perf01 = perf
    elif lo_hi is not None:
        perf01 = (perf - lo_hi[0]) / (lo_hi[1] - lo_hi[0])
    else:
        perf01 = _minmax(perf)
    frame = pd.DataFrame(
        {
            "importance": imp,
            "performance": perf,
            "quadrant": quadrant,
            "gap": imp01 - perf01,
            "n": counts[:, 0],
            "n_missing": counts[:, 1],
            "n_invalid": counts[:, 2],
        },
        index=pd.Index(attributes, name="attribute"),
    )
    frame.attrs.update(crosshair_importance=ci, crosshair_performance=cp, importance_method=method,
                       performance_method=performance)
    return frame


def _crosshair_pair(crosshair: Any) -> tuple[float, float]:
    try:
        ci, cp = (float(v) for v in crosshair)
    except (TypeError, ValueError):
        raise _core.InvalidArgumentError(
            f'crosshair must be "data", "scale" or a pair (importance, performance), got {crosshair!r}'
        ) from None
    if not (np.isfinite(ci) and np.isfinite(cp)):
        raise _core.InvalidArgumentError(f"crosshair values must be finite, got {crosshair!r}")
    return ci, cp
