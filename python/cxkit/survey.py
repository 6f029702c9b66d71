"""Survey scores: NPS, CSAT, CES, their comparisons, and segment-vs-rest tables.

Formulas: METRICS.md §1. Every function takes ``data`` first (an array of scores, or a frame with
``score=`` naming the column), accepts ``by=`` for per-group results (a pandas frame indexed by the
group keys) and ``weights=`` for survey weights (Kish n_eff in all intervals).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import (
    ComparisonResult,
    NpsAccumulator,
    NpsResult,
    RatingAccumulator,
    RatingResult,
)
from .stats import adjust_pvalues

__all__ = [
    "nps",
    "csat",
    "ces",
    "compare_nps",
    "compare_csat",
    "compare_segments",
    "NpsAccumulator",
    "RatingAccumulator",
]


def _result_or_frame(groups: Any, prepared: _frame.Prepared, **options: Any):
    if prepared.grouping is None:
        return groups[0].result(**options)
    return _frame.grouped_frame(groups.results(**options), groups, prepared.grouping)


def nps(
    data: Any,
    score: Optional[str] = None,
    *,
    by: Any = None,
    weights: Any = None,
    confidence: float = 0.95,
    method: str = "adjusted_wald",
    on_invalid: str = "raise",
    promoter_min: int = 9,
    passive_min: int = 7,
) -> Union[NpsResult, pd.DataFrame]:
    """Net Promoter Score (Reichheld 2003) with a confidence interval.

    Parameters
    ----------
    data : array-like or DataFrame
        Scores 0..10 (NaN/None = missing), or a pandas/Polars frame.
    score : str, optional
        Column of ``data`` holding the scores (frames only).
    by : str, array-like or list of them, optional
        Group keys; the result is then a frame indexed by the keys.
    weights : str or array-like, optional
        Survey weights: 0 or a number in [1e-150, 1e150] (so Kish's n_eff is representable);
        NaN, negative or out-of-range weights are invalid rows.
    confidence : float
        Two-sided confidence level.
    method : {"adjusted_wald", "wald"}
        Interval method (adjusted Wald: Rocks 2016).
    on_invalid : {"raise", "drop"}
        Scores outside 0..10 or non-integer, and bad weights: raise, or drop and count them.
    promoter_min, passive_min : int
        Category breaks (9 and 7: promoters 9-10, passives 7-8, detractors 0-6).

    Returns
    -------
    NpsResult or pandas.DataFrame
        ``nps`` in points (-100..100), shares, weighted counts, n, n_effective, n_missing,
        n_invalid, std_error, ci_low, ci_high, method, confidence.

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.nps([10] * 50 + [8] * 30 + [3] * 20, method="wald")
    >>> round(r.nps, 1), round(r.std_error, 2)
    (30.0, 7.81)
    """
    options = dict(confidence=confidence, method=method, promoter_min=promoter_min, passive_min=passive_min)
    NpsAccumulator().result(**options)  # validate options before the pass over the data
    p = _frame.prepare(data, score, value_arg="score", by=by, weights=weights)
    groups = _core.nps_groups(on_invalid=on_invalid, **p.kernel_args())
    return _result_or_frame(groups, p, **options)


def _rating(data, score, by, weights, scale, satisfied_min, confidence, on_invalid):
    scale = tuple(scale)
    if len(scale) != 2:
        raise _core.InvalidArgumentError(f"scale must be (low, high), got {scale!r}")
    options = dict(confidence=confidence, satisfied_min=satisfied_min)
    RatingAccumulator(scale=scale).result(**options)  # validate options first
    p = _frame.prepare(data, score, value_arg="score", by=by, weights=weights)
    groups = _core.rating_groups(scale=scale, on_invalid=on_invalid, **p.kernel_args())
    return _result_or_frame(groups, p, **options)


def csat(
    data: Any,
    score: Optional[str] = None,
    *,
    by: Any = None,
    weights: Any = None,
    scale: Sequence[int] = (1, 5),
    satisfied_min: int = 4,
    confidence: float = 0.95,
    on_invalid: str = "raise",
) -> Union[RatingResult, pd.DataFrame]:
    """Customer satisfaction: percent of ratings >= ``satisfied_min`` (top-2-box on 1..5).

    Returns ``csat`` (percent) with its Wilson interval (``ci_low``, ``ci_high``), the weighted
    ``mean`` with its t interval, ``std``, counts and the weighted ``distribution`` per scale point.

    Examples
    --------
    >>> import cxkit as cx
    >>> cx.csat([5, 4, 4, 2, 1]).csat
    60.0
    """
    return _rating(data, score, by, weights, scale, satisfied_min, confidence, on_invalid)


def ces(
    data: Any,
    score: Optional[str] = None,
    *,
    by: Any = None,
    weights: Any = None,
    scale: Sequence[int] = (1, 7),
    satisfied_min: int = 5,
    confidence: float = 0.95,
    on_invalid: str = "raise",
) -> Union[RatingResult, pd.DataFrame]:
    """Customer effort score: ratings on 1..7; ``csat`` is the percent of "easy" answers (>= 5).

    Examples
    --------
    >>> import cxkit as cx
    >>> round(cx.ces([7, 6, 5, 2]).mean, 2)
    5.0
    """
    return _rating(data, score, by, weights, scale, satisfied_min, confidence, on_invalid)


def _as_nps_result(x: Any, name: str, method: str, confidence: float) -> NpsResult:
    if isinstance(x, NpsResult):
        return x
    if isinstance(x, NpsAccumulator):
        return x.result(method=method, confidence=confidence)
    if x is None or isinstance(x, (str, bytes)):
        raise _core.InvalidArgumentError(f"{name}: expected scores, an NpsAccumulator or an NpsResult")
    return nps(x, method=method, confidence=confidence)


def compare_nps(
    a: Any, b: Any, *, method: str = "adjusted_wald", confidence: float = 0.95
) -> ComparisonResult:
    """Difference ``a - b`` of two independent NPS samples, or of ``a`` against a benchmark value.

    ``a`` and ``b`` are arrays of scores, :class:`NpsAccumulator` or :class:`NpsResult`; a plain
    number for ``b`` is a benchmark NPS (one-sample test). With ``method="adjusted_wald"`` the
    difference is that of the adjusted estimates (METRICS.md §1).

    Examples
    --------
    >>> import cxkit as cx
    >>> r = cx.compare_nps([10, 9, 9, 3] * 25, [10, 7, 3, 3] * 25, method="wald")
    >>> round(r.difference, 1)  # NPS 50 minus NPS -25
    75.0
    """
    ra = _as_nps_result(a, "a", method, confidence)
    if isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, (bool, np.bool_)):
        return _core.compare_nps_results(ra, float(b), method=method, confidence=confidence)
    rb = _as_nps_result(b, "b", method, confidence)
    return _core.compare_nps_results(ra, rb, method=method, confidence=confidence)


def _as_rating_result(x: Any, name: str, scale, satisfied_min, confidence) -> RatingResult:
    if isinstance(x, RatingResult):
        return x
    if isinstance(x, RatingAccumulator):
        return x.result(confidence=confidence, satisfied_min=satisfied_min)
    if x is None or isinstance(x, (str, bytes)):
        raise _core.InvalidArgumentError(f"{name}: expected ratings, a RatingAccumulator or a RatingResult")
    return _rating(x, None, None, None, scale, satisfied_min, confidence, "raise")


def compare_csat(
    a: Any,
    b: Any,
    *,
    confidence: float = 0.95,
    scale: Sequence[int] = (1, 5),
    satisfied_min: Optional[int] = 4,
) -> ComparisonResult:
    """Difference of two satisfied shares in percentage points.

    Newcombe's hybrid score interval (1998, method 10) and the pooled two-proportion z test.
    ``a`` and ``b`` are arrays of ratings (on ``scale``), :class:`RatingAccumulator` or
    :class:`RatingResult`; a plain number for ``b`` is a benchmark percentage (score test).

    Examples
    --------
    >>> import cxkit as cx
    >>> round(cx.compare_csat([5, 4, 4, 1] * 50, [5, 2, 2, 1] * 50).difference, 1)
    50.0
    """
    ra = _as_rating_result(a, "a", scale, satisfied_min, confidence)
    if isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, (bool, np.bool_)):
        return _core.compare_csat_results(ra, float(b), confidence=confidence)
    rb = _as_rating_result(b, "b", scale, satisfied_min, confidence)
    return _core.compare_csat_results(ra, rb, confidence=confidence)


_METRICS = {
    "nps": ("nps", None),
    "csat": ("csat", ((1, 5), 4)),
    "ces": ("csat", ((1, 7), 5)),
}


def compare_segments(
    data: Any,
    score: Optional[str] = None,
    *,
    by: Any,
    metric: str = "nps",
    weights: Any = None,
    adjust: str = "holm",
    confidence: float = 0.95,
    method: str = "adjusted_wald",
    scale: Optional[Sequence[int]] = None,
    satisfied_min: Optional[int] = None,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Compare every segment with the rest of the sample and adjust the p-values.

    For each group of ``by``: the metric in the group, in the rest (all other groups merged),
    the signed difference group - rest with its test (:func:`compare_nps` or
    :func:`compare_csat`), and ``p_adjusted`` across segments (``adjust``: "holm", "bh",
    "bonferroni"). ``significant`` is ``p_adjusted < 1 - confidence``.

    Examples
    --------
    >>> import cxkit as cx, pandas as pd
    >>> df = pd.DataFrame({"seg": ["a"] * 100 + ["b"] * 100, "q": [10] * 100 + [3] * 100})
    >>> bool(cx.compare_segments(df, "q", by="seg").loc["a", "difference"] > 0)
    True
    """
    if metric not in _METRICS:
        raise _core.InvalidArgumentError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    column, defaults = _METRICS[metric]
    if defaults is None:
        options = dict(confidence=confidence, method=method)
        NpsAccumulator().result(**options)
        p = _frame.prepare(data, score, value_arg="score", by=by, weights=weights)
        groups = _core.nps_groups(on_invalid=on_invalid, **p.kernel_args())
    else:
        scale = tuple(scale) if scale is not None else defaults[0]
        options = dict(confidence=confidence, satisfied_min=satisfied_min if satisfied_min is not None else defaults[1])
        RatingAccumulator(scale=scale).result(**options)
        p = _frame.prepare(data, score, value_arg="score", by=by, weights=weights)
        groups = _core.rating_groups(scale=scale, on_invalid=on_invalid, **p.kernel_args())
    if p.grouping is None:
        raise _core.InvalidArgumentError("compare_segments needs by=")
    results = groups.results(**options)
    cols = {column: results[column], "n": results["n"], "n_effective": results["n_effective"]}
    cols.update(groups.compare_with_rest(**options))
    frame = _frame.grouped_frame(cols, groups, p.grouping)
    frame["p_adjusted"] = adjust_pvalues(frame["p_value"].to_numpy(), method=adjust)
    frame["significant"] = frame["p_adjusted"] < (1.0 - confidence)
    return frame
