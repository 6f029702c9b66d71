"""Impact-cost prioritisation: quadrants, ratio and rank, the frontier, the exact budget selection.

Formulas: METRICS.md §3 ("Impact-cost prioritisation"); the C++ side is
``include/cxkit/product/prioritize.hpp``. Bad input follows ARCHITECTURE.md §3: a row whose
impact, cost or item label is missing (NaN, None, null) is skipped and counted in ``n_missing``;
an impact < 0, a cost <= 0 or an infinite value is invalid: ``on_invalid="raise"`` (default)
raises :class:`cxkit.InvalidInputError` naming the first position and value, ``"drop"`` skips and
counts them in ``n_invalid``. ``n + n_missing + n_invalid`` is always the number of rows given.

The budget selection is an exact 0/1 knapsack on the real values (no rounding to a grid): sums
of costs and impacts are exact (fixed-point integers in units of the smallest power of two
present), "total cost <= budget" is decided on the exact sum, and ties between equally good
subsets are broken deterministically: smallest total cost, then the subset that takes the
higher-ratio item at the first difference in ratio order (ratio ties: larger cost first, then
row order).
"""

from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core, _frame

__all__ = ["prioritize", "kano_impact"]

#: Default branch-and-bound node limit of the exact knapsack (about a second of search).
DEFAULT_MAX_NODES = 20_000_000


def _number(value: Any, argname: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _core.UnsupportedTypeError(f"{argname}: expected a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if np.isnan(v):
        raise _core.InvalidArgumentError(f"{argname} must be a number, got nan")
    return v


def _labels(data: Any, item: Any, n: int, impact: Any) -> tuple[pd.Index, Any]:
    """Item labels as a pandas Index of length n, and the index name."""
    if item is None:
        if _frame.is_frame(data):
            idx = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
            return pd.Index(idx), idx.name if isinstance(data, pd.DataFrame) else None
        if data is None and isinstance(impact, pd.Series):
            return pd.Index(impact.index), impact.index.name
        return pd.RangeIndex(n), None
    values = _frame._column(data, item, "item")
    if _frame._is_polars(values):
        values = values.to_pandas()
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise _core.InvalidArgumentError(f"item: expected a 1-D array, got shape {values.shape}")
    labels = pd.Index(values)
    if len(labels) != n:
        raise _core.InvalidArgumentError(f"item has {len(labels)} values but the data has {n} rows")
    name = item if isinstance(item, str) else getattr(values, "name", None)
    return labels, name if name is not None else "item"


def _n_rows(data: Any, impact: Any, cost: Any) -> int:
    if _frame.is_frame(data):
        return len(data)
    for v in (impact, cost):
        if v is not None and not isinstance(v, str):
            return _frame._length(v)
    raise _core.InvalidArgumentError("data is required (a DataFrame) unless impact and cost are arrays")


def _aligned(values: Any, data: Any, labels: pd.Index, argname: str) -> tuple[Any, Optional[np.ndarray]]:
    """A column resolved against the data: a column name, an array in row order, or a pandas
    Series indexed by item labels (e.g. from kano_impact), aligned to the item labels. Returns the
    values and, for an aligned Series, the positions taken (−1 = label not in the series)."""
    if values is None:
        raise _core.InvalidArgumentError(f"{argname}= is required")
    col = _frame._column(data, values, argname)
    if isinstance(col, pd.Series) and not isinstance(values, str):
        same_rows = _frame.is_frame(data) and isinstance(data, pd.DataFrame) and col.index.equals(data.index)
        if not same_rows and not col.index.equals(labels):
            if not col.index.is_unique:
                raise _core.InvalidArgumentError(f"{argname}: a Series aligned by item label needs unique labels")
            pos = col.index.get_indexer(labels)
            vals = col.to_numpy(dtype=np.float64, na_value=np.nan)
            out = np.where(pos >= 0, vals[np.maximum(pos, 0)] if len(vals) else np.nan, np.nan)
            return out, pos
    n = len(labels)
    if _frame._length(col) != n:
        raise _core.InvalidArgumentError(f"{argname} has {_frame._length(col)} values but the data has {n} rows")
    return col, None


def _float_with_missing(values: Any, argname: str, missing: np.ndarray) -> np.ndarray:
    """float64 copy with NaN for missing entries (mask, None/null, or a missing item label)."""
    arr, mask = _frame.as_numeric(values, argname)
    out = np.array(arr, dtype=np.float64, copy=True)
    if mask is not None:
        out[mask] = np.nan
    out[missing] = np.nan
    return out


def _replicates(reps: Any, labels: pd.Index, pos: Optional[np.ndarray], source_len: int, argname: str) -> np.ndarray:
    """A (B, rows) float64 matrix in row order from an array (columns in row order, or, when
    ``pos`` is given, in the order of the aligned impact Series of length ``source_len``) or a
    DataFrame whose columns are item labels."""
    n = len(labels)
    if isinstance(reps, pd.DataFrame):
        if not reps.columns.is_unique:
            raise _core.InvalidArgumentError(f"{argname}: duplicate item labels among the columns")
        idx = reps.columns.get_indexer(labels)
        m = reps.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.full((m.shape[0], n), np.nan)
        out[:, idx >= 0] = m[:, idx[idx >= 0]]
        return out
    m = np.asarray(reps, dtype=np.float64)
    if m.ndim != 2:
        raise _core.InvalidArgumentError(f"{argname}: expected a 2-D array (replicates x items), got shape {m.shape}")
    if pos is not None:
        if m.shape[1] != source_len:
            raise _core.InvalidArgumentError(
                f"{argname}: expected shape (replicates, {source_len}) like the impact series, got {m.shape}"
            )
        out = np.full((m.shape[0], n), np.nan)
        out[:, pos >= 0] = m[:, pos[pos >= 0]]
        return out
    if m.shape[1] != n:
        raise _core.InvalidArgumentError(
            f"{argname}: expected shape (replicates, {n}) with one column per row, got {m.shape}"
        )
    return np.ascontiguousarray(m)


def prioritize(
    data: Any = None,
    *,
    item: Any = None,
    impact: Any,
    cost: Any,
    budget: Optional[float] = None,
    impact_threshold: Optional[float] = None,
    cost_threshold: Optional[float] = None,
    impact_replicates: Any = None,
    on_invalid: str = "raise",
    max_nodes: int = DEFAULT_MAX_NODES,
    threads: int = 1,
) -> pd.DataFrame:
    """Impact-cost prioritisation: quadrants, ratio and rank, frontier, exact budget selection.

    Items need impact >= 0 and cost > 0 (METRICS.md §3). An item is *high impact* when
    ``impact >= impact_threshold`` and *high cost* when ``cost >= cost_threshold`` (thresholds
    default to the medians of the valid items); quadrants: high impact & low cost ``quick_win``,
    high & high ``major_project``, low & low ``fill_in``, low impact & high cost ``thankless``.
    ``ratio = impact / cost``; ``rank`` by ratio descending, tied ratios share the smallest rank
    (competition ranking, as ``Series.rank(method="min", ascending=False)``). ``on_frontier``:
    no other item has impact >= and cost <= with one of them strict. With a ``budget``,
    ``selected`` marks the subset with the maximum total impact whose total cost is <= budget,
    exactly (0/1 knapsack on the real values, see the module docstring for how sums are compared
    and ties broken; items with impact 0 are never selected, a budget <= 0 selects nothing).

    Parameters
    ----------
    data : DataFrame, optional
        pandas or Polars frame holding the columns named below (None when the columns are
        passed as arrays).
    item : str or array-like, optional
        Item labels (the result's index; must be unique). Default: the frame's index, or the
        index of an ``impact`` Series when there is no frame. A missing label is a missing row.
    impact, cost : str or array-like
        Column names or arrays in row order. ``impact`` may also be a pandas Series indexed by
        item labels (e.g. the result of :func:`kano_impact`), aligned to ``item`` by label;
        its ``attrs["impact_replicates"]`` are then picked up automatically.
    budget : float, optional
        Total cost available; adds the exact optimal selection.
    impact_threshold, cost_threshold : float, optional
        Quadrant thresholds (default: medians).
    impact_replicates : array-like, optional
        Bootstrap replicates of the impacts, shape (replicates, rows) with columns in row order
        (or a DataFrame whose columns are item labels). Adds ``frontier_share`` (share of the
        replicates in which the item is on the frontier) and, with a budget, ``selected_share``
        (share in which the exact selection takes it), costs held fixed. A replicate with a NaN
        impact for a used item is left out and counted in ``attrs["n_replicates_dropped"]``.
    on_invalid : {"raise", "drop"}
        Invalid rows (impact < 0, cost <= 0, infinite values): raise or drop and count.
    max_nodes : int
        Node limit of the exact search; beyond it :class:`cxkit.NumericalError` is raised
        (adversarial instances) — raise the limit to search longer.
    threads : int
        Threads for the replicates (0 = all cores); never changes the result.

    Returns
    -------
    pandas.DataFrame
        One row per valid item (input order), indexed by item: ``impact``, ``cost``, ``ratio``,
        ``rank``, ``quadrant``, ``on_frontier``, ``selected`` (all False without a budget), and
        with replicates ``frontier_share`` (and ``selected_share``). ``frame.attrs``: ``n``,
        ``n_missing``, ``n_invalid``, ``impact_threshold``, ``cost_threshold``, ``budget``,
        ``total_impact`` and ``total_cost`` of the selection (None without a budget), ``nodes``
        (search nodes), and with replicates ``n_replicates``, ``n_replicates_dropped``.

    Examples
    --------
    >>> import pandas as pd
    >>> import cxkit as cx
    >>> df = pd.DataFrame({"feature": ["sso", "dark mode", "export", "api"],
    ...                    "impact": [0.9, 0.3, 0.5, 0.8], "cost": [8.0, 1.0, 2.0, 5.0]})
    >>> t = cx.prioritize(df, item="feature", impact="impact", cost="cost", budget=7.5)
    >>> t[["rank", "quadrant", "on_frontier", "selected"]]
              rank       quadrant  on_frontier  selected
    feature
    sso          4  major_project         True     False
    dark mode    1        fill_in         True     False
    export       2        fill_in         True      True
    api          3  major_project         True      True
    >>> round(t.attrs["total_impact"], 2), t.attrs["total_cost"]
    (1.3, 7.0)
    """
    budget_v = _number(budget, "budget")
    it = _number(impact_threshold, "impact_threshold")
    ct = _number(cost_threshold, "cost_threshold")
    if isinstance(max_nodes, (bool, np.bool_)) or not isinstance(max_nodes, numbers.Integral) or max_nodes < 1:
        raise _core.InvalidArgumentError(f"max_nodes must be a positive integer, got {max_nodes!r}")
    if on_invalid not in ("raise", "drop"):
        raise _core.InvalidArgumentError(f'on_invalid must be "raise" or "drop", got {on_invalid!r}')
    if data is not None and not _frame.is_frame(data):
        raise _core.InvalidArgumentError(f"data must be a pandas or Polars DataFrame (or None), got {type(data).__name__}")
    n = _n_rows(data, impact, cost)
    labels, index_name = _labels(data, item, n, impact)
    imp_values, imp_pos = _aligned(impact, data, labels, "impact")
    cost_values, cost_pos = _aligned(cost, data, labels, "cost")
    missing_label = np.asarray(pd.isna(labels), dtype=bool) if len(labels) else np.zeros(0, dtype=bool)
    present = labels[~missing_label]
    if not present.is_unique:
        dup = present[present.duplicated()][0]
        where = np.flatnonzero(np.asarray(labels == dup))[:2].tolist()
        raise _core.InvalidArgumentError(f"item: duplicate label {dup!r} at positions {where[0]} and {where[1]}")
    imp = _float_with_missing(imp_values, "impact", missing_label)
    cst = _float_with_missing(cost_values, "cost", missing_label)
    # Explicit replicates are in row order (or labelled); those carried by an impact Series follow
    # the Series' order and are aligned like it.
    rep_matrix = None
    if impact_replicates is not None:
        rep_matrix = _replicates(impact_replicates, labels, None, n, "impact_replicates")
    elif isinstance(impact, pd.Series) and impact.attrs.get("impact_replicates") is not None:
        rep_matrix = _replicates(impact.attrs["impact_replicates"], labels, imp_pos, len(impact),
                                 "impact.attrs['impact_replicates']")
    out = _core.prioritize(
        imp,
        cst,
        budget=budget_v,
        impact_threshold=it,
        cost_threshold=ct,
        on_invalid=on_invalid,
        max_nodes=int(max_nodes),
        impact_replicates=rep_matrix,
        threads=int(threads),
    )
    rows = out["row"].astype(np.int64)
    cols: dict[str, Any] = {
        "impact": out["impact"],
        "cost": out["cost"],
        "ratio": out["ratio"],
        "rank": out["rank"].astype(np.int64),
        "quadrant": pd.Categorical(out["quadrant"], categories=["quick_win", "major_project", "fill_in", "thankless"]),
        "on_frontier": out["on_frontier"],
        "selected": out["selected"],
    }
    if rep_matrix is not None:
        cols["frontier_share"] = out["frontier_share"]
        if budget_v is not None:
            cols["selected_share"] = out["selected_share"]
    frame = pd.DataFrame(cols, index=pd.Index(labels.take(rows), name=index_name))
    has_budget = bool(out["has_budget"])
    frame.attrs.update(
        n=int(out["n"]),
        n_missing=int(out["n_missing"]),
        n_invalid=int(out["n_invalid"]),
        impact_threshold=float(out["impact_threshold"]),
        cost_threshold=float(out["cost_threshold"]),
        budget=budget_v,
        total_impact=float(out["total_impact"]) if has_budget else None,
        total_cost=float(out["total_cost"]) if has_budget else None,
        nodes=int(out["nodes"]),
    )
    if rep_matrix is not None:
        frame.attrs.update(n_replicates=int(out["n_replicates"]), n_replicates_dropped=int(out["n_replicates_dropped"]))
    return frame


def kano_impact(kano_frame: Any, *, better_weight: float = 1.0, worse_weight: float = 1.0) -> pd.Series:
    """Kano-based impact per feature: ``better_weight · Better + worse_weight · |Worse|``.

    Better = (A + O)/N' and Worse = −(O + M)/N' are the satisfaction and dissatisfaction
    coefficients of Berger et al. (1993) (METRICS.md §3), as in the ``better`` and ``worse``
    columns of :func:`cxkit.kano`. A feature with NaN coefficients gets a NaN impact (a missing
    row for :func:`prioritize`).

    Parameters
    ----------
    kano_frame : DataFrame
        A frame with ``better`` (in [0, 1]) and ``worse`` (in [−1, 0]; its absolute value is
        used) columns, indexed by feature (a Polars frame with a ``feature`` column also works).
        When ``kano_frame.attrs`` holds ``better_replicates`` and ``worse_replicates`` (bootstrap
        replicates, arrays of shape (replicates, features) in the frame's row order, as written
        by ``cx.kano(..., bootstrap=B)``), the result carries ``attrs["impact_replicates"]``
        with the same formula applied to each replicate, which :func:`prioritize` turns into
        ``frontier_share`` / ``selected_share``.
    better_weight, worse_weight : float
        Non-negative weights of the two coefficients.

    Returns
    -------
    pandas.Series
        ``impact`` indexed by feature; ``attrs``: ``better_weight``, ``worse_weight`` and, with
        replicates, ``impact_replicates`` (float64, shape (replicates, features)).

    Examples
    --------
    >>> import pandas as pd
    >>> import cxkit as cx
    >>> k = pd.DataFrame({"better": [0.8, 0.2], "worse": [-0.1, -0.7]}, index=["chat", "login"])
    >>> cx.kano_impact(k, worse_weight=0.5).round(2).to_dict()
    {'chat': 0.85, 'login': 0.55}
    """
    bw = _number(better_weight, "better_weight")
    ww = _number(worse_weight, "worse_weight")
    frame = kano_frame
    if _frame._is_polars(frame) and type(frame).__name__ == "DataFrame":
        pdf = frame.to_pandas()
        frame = pdf.set_index("feature") if "feature" in pdf.columns else pdf
    if not isinstance(frame, pd.DataFrame):
        raise _core.InvalidArgumentError(
            f"kano_frame must be a DataFrame with 'better' and 'worse' columns, got {type(kano_frame).__name__}"
        )
    for col in ("better", "worse"):
        if col not in frame.columns:
            cols = ", ".join(repr(c) for c in list(frame.columns)[:20])
            raise _core.InvalidArgumentError(f"kano_frame: missing column {col!r} (columns: {cols})")
    values = _core.kano_impact(frame["better"], frame["worse"], better_weight=bw, worse_weight=ww)
    out = pd.Series(values, index=frame.index, name="impact")
    out.attrs.update(better_weight=bw, worse_weight=ww)
    attrs = getattr(kano_frame, "attrs", None) or frame.attrs
    br, wr = attrs.get("better_replicates"), attrs.get("worse_replicates")
    if br is not None and wr is not None:
        b = np.asarray(br, dtype=np.float64)
        w = np.asarray(wr, dtype=np.float64)
        if b.ndim != 2 or b.shape != w.shape or b.shape[1] != len(frame):
            raise _core.InvalidArgumentError(
                "kano_frame.attrs: better_replicates and worse_replicates must both have shape "
                f"(replicates, {len(frame)}), got {b.shape} and {w.shape}"
            )
        reps = _core.kano_impact(b.ravel(), w.ravel(), better_weight=bw, worse_weight=ww)
        out.attrs["impact_replicates"] = np.asarray(reps).reshape(b.shape)
    return out
