"""Survey scores: NPS, CSAT, CES, CSI, their comparisons, segment-vs-rest and period tables.

Formulas: METRICS.md §1. Every function takes ``data`` first (an array of scores, or a frame with
``score=`` naming the column), accepts ``by=`` for per-group results (a pandas frame indexed by the
group keys) and ``weights=`` for survey weights (Kish n_eff in all intervals).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import (
    ComparisonResult,
    CsiResult,
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
    "compare_periods",
    "csi",
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
    # The same validation and grouped kernel as the metric table below (_rating_metric).
    count, options = _rating_metric(tuple(scale), satisfied_min)(
        dict(scale=None, satisfied_min=None, confidence=confidence, on_invalid=on_invalid)
    )
    p = _frame.prepare(data, score, value_arg="score", by=by, weights=weights)
    return _result_or_frame(count(p), p, **options)


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


# --------------------------------------------------------------------------------------------------
# CSI


def _csi_scale(scale: Any) -> tuple[float, float]:
    try:
        low, high = scale
        return float(low), float(high)
    except (TypeError, ValueError):
        raise _core.InvalidArgumentError(f"scale must be (low, high), got {scale!r}") from None


def _attribute_weights(weights: Any, names: list) -> Optional[np.ndarray]:
    """Weights as a float array in attribute order: a sequence, or a mapping attribute -> weight."""
    if weights is None:
        return None
    if isinstance(weights, pd.Series):
        weights = dict(zip(weights.index, weights.to_numpy()))
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in names]
        if unknown:
            raise _core.InvalidArgumentError(
                f"weights: unknown attribute {unknown[0]!r} (attributes: {', '.join(map(repr, names))})"
            )
        missing = [a for a in names if a not in weights]
        if missing:
            raise _core.InvalidArgumentError(f"weights: no weight for attribute {missing[0]!r}")
        return np.array([np.nan if weights[a] is None else float(weights[a]) for a in names])
    arr, mask = _frame.as_numeric(weights, "weights")
    arr = arr.astype(np.float64)
    if mask is not None:
        arr[mask] = np.nan  # a missing weight is an invalid weight, named by the kernel
    return arr


def _float_column(values: Any, name: str, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Numbers as float64 with NaN for missing entries, written into ``out`` when given."""
    arr, mask = _frame.as_numeric(values, name)
    if out is None:
        out = arr.astype(np.float64)  # a copy: the mask is applied to it, never to the caller's data
    else:
        out[:] = arr
    if mask is not None:
        out[mask] = np.nan
    return out


def _score_matrix(data: Any, attributes: Optional[Sequence[Any]]) -> tuple[np.ndarray, list, list]:
    """(n x k float64 matrix with NaN for missing answers, attribute labels, names for messages)."""
    if _frame.is_frame(data):
        names = list(data.columns) if attributes is None else list(attributes)
        x = np.empty((len(data), len(names)), dtype=np.float64, order="F")  # one column after another
        for j, a in enumerate(names):
            if not isinstance(a, str) and not _frame._is_polars(data) and a in data.columns:
                col = data[a]
            else:
                col = _frame._column(data, a if isinstance(a, str) else str(a), "attributes")
            _float_column(col, f"attribute {a!r}", out=x[:, j])
        return x, names, [str(a) for a in names]
    arr = np.asarray(data)
    if arr.dtype.kind in "iuf":
        x = arr.astype(np.float64, copy=False)
    elif arr.dtype.kind == "O" and arr.ndim == 2:
        x = np.empty(arr.shape, dtype=np.float64, order="F")
        for j in range(arr.shape[1]):
            _float_column(arr[:, j], f"attribute {j}", out=x[:, j])
    else:
        raise _core.UnsupportedTypeError(f"scores: unsupported dtype {arr.dtype} (expected numbers)")
    if attributes is None:
        return x, list(range(x.shape[1])), []
    names = list(attributes)
    if len(names) != x.shape[1]:
        raise _core.InvalidArgumentError(f"attributes has {len(names)} names but the scores have {x.shape[1]} columns")
    return x, names, [str(a) for a in names]


def _check_count(value: Any, name: str, upper: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value < upper:
        raise _core.InvalidArgumentError(f"{name} must be an integer in 0..{upper - 1}, got {value!r}")
    return int(value)


def csi(
    means: Any,
    weights: Any = None,
    *,
    scale: Sequence[float] = (1, 10),
    attributes: Optional[Sequence[Any]] = None,
    confidence: float = 0.95,
    method: str = "delta",
    n_boot: int = 2000,
    seed: Optional[int] = None,
    on_invalid: str = "raise",
) -> Union[float, CsiResult]:
    """Customer satisfaction index: 100 · Σ wᵢ (x̄ᵢ − L) / (U − L), weights normalised to sum 1.

    Two forms. Given attribute **means** (1-D: a sequence, a mapping or Series attribute ->
    mean), returns the index as a float. Given the answers of each **respondent** (a 2-D array,
    respondents x attributes, or a DataFrame with one column per attribute), computes the
    attribute means, the index and its confidence interval and returns a :class:`CsiResult`.
    ACSI (Fornell et al. 1996) is three items on 1..10 with equal weights.

    Parameters
    ----------
    means : array-like, mapping, 2-D array or DataFrame
        Attribute means on the scale (NaN = no answers: the index is NaN unless that
        attribute's weight is 0), or per-respondent answers (NaN/None = not answered).
    weights : sequence or mapping, optional
        Attribute weights (any non-negative scale; normalised to sum 1), in attribute order or
        as a mapping attribute -> weight; equal when not given. A negative, NaN or infinite
        weight, or all weights 0, raise ``ValueError`` naming the attribute. For a DataFrame
        without ``attributes``, a mapping's keys select the attribute columns.
    scale : (low, high)
        The answer scale L..U (ACSI: 1..10).
    attributes : list, optional
        Attribute columns of a DataFrame (default: every column), or names for the columns of
        a 2-D array / the entries of a 1-D sequence (used by mapping weights and messages).
    confidence : float
        Two-sided level of the interval (per-respondent form).
    method : {"delta", "bootstrap"}
        Interval of the per-respondent form. "delta": CSI is linear in the means, so
        SE = 100/(U − L) · √(wᵀ V w) with V the covariance of the attribute means from
        pairwise-complete answers (Vᵢⱼ = nᵢⱼ sᵢⱼ / (nᵢ nⱼ)); interval CSI ± z SE clipped to
        [0, 100]. "bootstrap": respondents resampled ``n_boot`` times; percentile interval,
        SE = SD of the replicates.
    n_boot : int
        Bootstrap replicates.
    seed : int, optional
        Bootstrap seed (0 <= seed < 2**64); the same seed gives the same interval on every
        platform and thread count. None draws one, reported in ``result.seed``.
    on_invalid : {"raise", "drop"}
        An answer outside L..U: raise ``ValueError`` naming row, attribute and value, or drop
        that respondent and count it in ``n_invalid``. Respondents with no answer at all are
        counted in ``n_missing``.

    Returns
    -------
    float or CsiResult
        The index (0..100); or ``csi``, ``std_error``, ``ci_low``, ``ci_high``, ``n``
        (respondents used), ``n_missing``, ``n_invalid``, ``method``, ``confidence``,
        ``weights`` (normalised), ``means`` (per attribute), ``scale_low``, ``scale_high``,
        ``n_boot``, ``seed``.

    Examples
    --------
    >>> import cxkit as cx
    >>> round(cx.csi([8.1, 7.9, 7.5]), 4)  # ACSI: 100 * mean((x - 1) / 9)
    75.9259
    >>> round(cx.csi({"quality": 4.2, "value": 3.6}, {"quality": 3, "value": 1}, scale=(1, 5)), 2)
    76.25
    >>> r = cx.csi([[8, 9, 7], [6, 7, None], [10, 9, 9], [7, 8, 8]])
    >>> round(r.csi, 2), r.n  # means 7.75, 8.25, 8 (the third over its 3 answers)
    (77.78, 4)
    """
    low, high = _csi_scale(scale)
    if _frame.is_frame(means):
        per_respondent = True
    elif isinstance(means, (Mapping, pd.Series, pd.Index)) or _frame._is_polars(means):
        per_respondent = False
    elif isinstance(means, np.ndarray):
        per_respondent = means.ndim == 2
    else:
        per_respondent = np.ndim(np.asarray(means, dtype=object)) == 2
    if not per_respondent:
        if method != "delta" or n_boot != 2000 or seed is not None or on_invalid != "raise" or confidence != 0.95:
            raise _core.InvalidArgumentError(
                "confidence, method, n_boot, seed and on_invalid need per-respondent answers "
                "(a 2-D array or a DataFrame), not attribute means"
            )
        if isinstance(means, Mapping):
            names, values = list(means), [np.nan if v is None else v for v in means.values()]
        elif isinstance(means, pd.Series):
            names, values = list(means.index), means
        else:
            values = means
            names = None
        arr = _float_column(values, "means")
        if names is None:
            names = list(attributes) if attributes is not None else list(range(len(arr)))
        elif attributes is not None:
            raise _core.InvalidArgumentError("attributes: the means already name their attributes")
        if len(names) != len(arr):
            raise _core.InvalidArgumentError(f"attributes has {len(names)} names but there are {len(arr)} means")
        return _core.csi_means(arr, _attribute_weights(weights, names), low, high)

    if attributes is None and _frame.is_frame(means) and isinstance(weights, (Mapping, pd.Series)):
        attributes = list(weights.index if isinstance(weights, pd.Series) else weights)
    x, names, labels = _score_matrix(means, attributes)
    w = _attribute_weights(weights, names)
    n_boot = _check_count(n_boot, "n_boot", 2**63)
    if method == "bootstrap":
        seed = secrets.randbits(64) if seed is None else _check_count(seed, "seed", 2**64)
    else:
        seed = 0 if seed is None else _check_count(seed, "seed", 2**64)
    return _core.csi_scores(
        x, w, low, high, labels, confidence=confidence, method=method, n_boot=n_boot, seed=seed,
        on_invalid=on_invalid,
    )


# --------------------------------------------------------------------------------------------------
# metrics for segment and period comparisons
#
# A metric plugs into compare_segments and compare_periods with one entry in _METRICS:
# name -> (result column, make), where make(args) validates the user's options *before* any pass
# over the data and returns (count, options): count(prepared) runs the metric's grouped kernel
# once and returns its groups object, which must provide results(**options) (columns incl.
# the result column, "n" and "n_effective"), compare_with_rest(**options) (compare_segments) and
# compare_pairs(a, b, **options) (compare_periods; columns incl. "difference" and "p_value",
# index -1 = no group). args holds confidence, method, scale, satisfied_min and on_invalid.


def _nps_metric(args: dict):
    options = dict(confidence=args["confidence"], method=args["method"])
    NpsAccumulator().result(**options)  # validate options before the pass over the data

    def count(p: _frame.Prepared):
        return _core.nps_groups(on_invalid=args["on_invalid"], **p.kernel_args())

    return count, options


def _rating_metric(default_scale: tuple, default_satisfied_min: int):
    def make(args: dict):
        scale = tuple(args["scale"]) if args["scale"] is not None else default_scale
        if len(scale) != 2:
            raise _core.InvalidArgumentError(f"scale must be (low, high), got {scale!r}")
        sat = args["satisfied_min"]
        options = dict(confidence=args["confidence"], satisfied_min=sat if sat is not None else default_satisfied_min)
        RatingAccumulator(scale=scale).result(**options)

        def count(p: _frame.Prepared):
            return _core.rating_groups(scale=scale, on_invalid=args["on_invalid"], **p.kernel_args())

        return count, options

    return make


class _MeanRatings:
    """A RatingGroups whose metric is the mean rating (DSR: ratings 1..5) and whose test is
    Welch's t on the means (independent samples: the ratings of non-overlapping periods or of
    distinct segments)."""

    def __init__(self, groups: Any, column: str):
        self._groups, self._column = groups, column

    def __getattr__(self, name: str) -> Any:
        return getattr(self._groups, name)

    def __len__(self) -> int:
        return len(self._groups)

    def results(self, **options: Any) -> dict:
        cols = self._groups.results(**options)
        cols[self._column] = cols["mean"]
        return cols

    def compare_with_rest(self, **options: Any) -> dict:
        return self._groups.compare_with_rest(test="mean", **options)

    def compare_pairs(self, a: Any, b: Any, **options: Any) -> dict:
        return self._groups.compare_pairs(a, b, test="mean", **options)


def _dsr_metric(args: dict):
    count, options = _rating_metric((1, 5), 4)(args)
    return (lambda p: _MeanRatings(count(p), "dsr")), options


_METRICS = {
    "nps": ("nps", _nps_metric),
    "csat": ("csat", _rating_metric((1, 5), 4)),
    "ces": ("csat", _rating_metric((1, 7), 5)),
    "dsr": ("dsr", _dsr_metric),
}


def _metric(metric: str, **args: Any):
    if metric not in _METRICS:
        raise _core.InvalidArgumentError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    column, make = _METRICS[metric]
    count, options = make(args)
    return column, count, options


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
    the signed difference group - rest with its test (:func:`compare_nps`, :func:`compare_csat`,
    or for ``metric="dsr"`` Welch's t on the mean 1..5 rating), and ``p_adjusted`` across segments (``adjust``: "holm", "bh",
    "bonferroni"). ``significant`` is ``p_adjusted < 1 - confidence``.

    Examples
    --------
    >>> import cxkit as cx, pandas as pd
    >>> df = pd.DataFrame({"seg": ["a"] * 100 + ["b"] * 100, "q": [10] * 100 + [3] * 100})
    >>> bool(cx.compare_segments(df, "q", by="seg").loc["a", "difference"] > 0)
    True
    """
    column, count, options = _metric(
        metric, confidence=confidence, method=method, scale=scale, satisfied_min=satisfied_min, on_invalid=on_invalid
    )
    p = _frame.prepare(data, score, value_arg="score", by=by, weights=weights)
    if p.grouping is None:
        raise _core.InvalidArgumentError("compare_segments needs by=")
    groups = count(p)
    results = groups.results(**options)
    cols = {column: results[column], "n": results["n"], "n_effective": results["n_effective"]}
    cols.update(groups.compare_with_rest(**options))
    frame = _frame.grouped_frame(cols, groups, p.grouping)
    frame["p_adjusted"] = adjust_pvalues(frame["p_value"].to_numpy(), method=adjust)
    frame["significant"] = frame["p_adjusted"] < (1.0 - confidence)
    return frame


# --------------------------------------------------------------------------------------------------
# period comparisons


def _period_codes(values: Any) -> tuple[np.ndarray, pd.Index]:
    """Period keys -> (int64 codes in period order, -1 = missing; the observed labels in order).

    Categorical keys keep their category order; any other keys are sorted (datetimes, pandas
    Periods, strings such as "2026-03", numbers). Labels that cannot be sorted are refused.
    """
    if _frame._is_polars(values):
        values = values.to_numpy()
    cat = None
    if isinstance(values, pd.Categorical):
        cat = values
    elif isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
    if cat is not None:
        codes = np.asarray(cat.codes, dtype=np.int64)
        used = np.unique(codes[codes >= 0])  # observed categories, in category order
        remap = np.full(len(cat.categories), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return np.where(codes >= 0, remap[np.maximum(codes, 0)], -1), cat.categories.take(used)
    if not isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        values = np.asarray(values)
    if getattr(values, "ndim", 1) != 1:
        raise _core.InvalidArgumentError("period must be 1-D")
    try:
        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    except TypeError as e:
        raise _core.UnsupportedTypeError(f"period: labels must be sortable (one type), got {e}") from None
    if getattr(uniques, "dtype", None) == object:
        # pandas sorts mixed labels anyway (numbers before strings): an order nobody meant.
        try:
            sorted(uniques)
        except TypeError:
            kinds = sorted({type(u).__name__ for u in uniques})
            raise _core.UnsupportedTypeError(
                f"period: labels must be sortable (one type), got a mix of {', '.join(kinds)}"
            ) from None
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _period_position(labels: pd.Index, baseline: Any) -> int:
    """Position of the baseline label among the periods (ValueError naming it if absent)."""
    if baseline is None:
        return 0
    try:
        loc = labels.get_loc(baseline)
    except (KeyError, TypeError, ValueError):
        loc = None
    if isinstance(loc, slice):  # e.g. "2026-03" on month-start timestamps: one match only
        loc = loc.start if loc.stop - loc.start == 1 else None
    elif isinstance(loc, np.ndarray):
        hits = np.flatnonzero(loc)
        loc = int(hits[0]) if hits.size == 1 else None
    if loc is None:
        shown = ", ".join(repr(v) for v in list(labels[:12])) + (", ..." if len(labels) > 12 else "")
        raise _core.InvalidArgumentError(f"baseline: unknown period {baseline!r} (periods: {shown})")
    return int(loc)


def _by_list(by: Any) -> list:
    if by is None:
        return []
    if isinstance(by, tuple):
        return list(by)
    return list(by) if isinstance(by, list) else [by]


def _significant(adjusted: np.ndarray, alpha: float) -> pd.arrays.BooleanArray:
    """adjusted < alpha, <NA> where there was no test."""
    missing = np.isnan(adjusted)
    return pd.arrays.BooleanArray(np.where(missing, False, adjusted < alpha), missing)


def compare_periods(
    data: Any,
    score: Optional[str] = None,
    *,
    period: Any,
    by: Any = None,
    metric: str = "nps",
    baseline: Any = None,
    weights: Any = None,
    adjust: str = "holm",
    confidence: float = 0.95,
    method: str = "adjusted_wald",
    scale: Optional[Sequence[int]] = None,
    satisfied_min: Optional[int] = None,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Change of a survey metric from period to period and against a baseline period, per segment.

    For every segment of ``by`` (or the whole sample) and every period: the metric, the change
    from the previous period and from the baseline period, each with the metric's own
    two-sample test (NPS: :func:`compare_nps`, Wald or adjusted Wald; CSAT/CES:
    :func:`compare_csat`, pooled two-proportion z test), and p-values adjusted for the number of
    tests. The data is read once: one grouped pass over (segment, period).

    Parameters
    ----------
    data : array-like or DataFrame
        Scores, or a pandas/Polars frame with ``score=`` naming the column.
    score : str, optional
        Column of scores (frames only).
    period : str or array-like
        Period of each row: a column name or an array. Any sortable labels (pandas Periods,
        month-start timestamps, strings such as ``"2026-03"``, integers); a categorical keeps
        its category order. Missing periods (None, NaN, NaT) are not compared; their rows are
        counted in ``frame.attrs["n_missing_key"]``, as are rows with a missing ``by`` key.
    by : str, array-like or list of them, optional
        Segments; periods are compared within each segment.
    metric : {"nps", "csat", "ces", "dsr"}
        The metric and its test. For "csat" and "ces" the metric column is ``csat`` (percent
        satisfied) and ``scale``/``satisfied_min`` default to (1, 5)/4 and (1, 7)/5. For "dsr"
        the metric is the mean 1..5 rating of each period (column ``dsr``; pass e.g.
        ``by=["seller", "dimension"]``) and the test is Welch's t on the means: each period's own
        ratings are an independent sample, which the rolling 180-day DSR of :func:`cx.dsr` at
        successive as-of days is not (consecutive windows share most of their ratings).
    baseline : period label, optional
        The period every other one is compared with (default: the first period). A label not
        among the periods raises ``ValueError`` naming it.
    weights : str or array-like, optional
        Survey weights (Kish n_eff in every test).
    adjust : {"holm", "bh", "bonferroni"}
        Multiple-comparison adjustment. Two families, adjusted separately: every
        previous-period test in the frame (all segments x all periods but the first) together,
        and every baseline test (all segments x all periods but the baseline) together. Tests
        that could not be made (NaN p-value) are left out of the family.
    confidence : float
        Two-sided level; ``significant_*`` is ``p_*_adjusted < 1 - confidence``.
    method : {"adjusted_wald", "wald"}
        NPS interval and test (ignored for CSAT/CES). With adjusted Wald the change is that of
        the adjusted estimates (METRICS.md §1), like :func:`compare_nps`; use "wald" for the
        plain difference of the ``nps`` column.
    scale, satisfied_min : optional
        Rating scale and satisfied threshold for "csat"/"ces".
    on_invalid : {"raise", "drop"}
        Invalid scores or weights: raise, or drop and count them.

    Returns
    -------
    pandas.DataFrame
        Indexed by (by keys..., period), periods in order within each segment. Columns: the
        metric (``nps`` or ``csat``), ``n``, ``n_effective``, ``change_prev``, ``p_prev``,
        ``p_prev_adjusted``, ``change_baseline``, ``p_baseline``, ``p_baseline_adjusted``
        (changes are current minus earlier, in points; NaN for the first period, for the
        baseline itself, and where the segment has no rows in the period compared with),
        ``significant_prev``, ``significant_baseline`` (nullable booleans, <NA> where there
        was no test). The "previous period" is the one before in the list of all periods in
        the data. ``frame.attrs`` holds ``n_missing_key`` and ``baseline`` (the label).

    Examples
    --------
    >>> import cxkit as cx, pandas as pd
    >>> df = pd.DataFrame({"month": ["2026-01"] * 4 + ["2026-02"] * 4,
    ...                    "q": [10, 9, 3, 7, 10, 10, 9, 6]})
    >>> out = cx.compare_periods(df, "q", period="month", method="wald")
    >>> out["nps"].tolist(), out["change_prev"].tolist()
    ([25.0, 50.0], [nan, 25.0])
    """
    column, count, options = _metric(
        metric, confidence=confidence, method=method, scale=scale, satisfied_min=satisfied_min, on_invalid=on_invalid
    )
    adjust_pvalues(np.empty(0), method=adjust)  # validate the adjustment method up front
    by_keys = _by_list(by)
    if isinstance(period, str):
        period_name, period_values = period, _frame._column(data, period, "period")
    elif period is None:
        raise _core.InvalidArgumentError("period must be a column name or an array of period labels")
    else:
        period_name, period_values = getattr(period, "name", None) or "period", period
    n_rows = len(data) if _frame.is_frame(data) else _frame._length(data)
    if _frame._length(period_values) != n_rows:
        raise _core.InvalidArgumentError(f"period has {_frame._length(period_values)} values but the data has {n_rows}")
    codes, labels = _period_codes(period_values)
    base = _period_position(labels, baseline)
    key = pd.Series(pd.Categorical.from_codes(codes, categories=labels), name=period_name)

    p = _frame.prepare(data, score, value_arg="score", by=[*by_keys, key], weights=weights)
    groups = count(p)
    results = groups.results(**options)
    cols = {column: results[column], "n": results["n"], "n_effective": results["n_effective"]}
    frame = _frame.grouped_frame(cols, groups, p.grouping)
    observed = np.flatnonzero(groups.rows() > 0)  # the frame's rows, as group ids

    # Partners: the same segment in the previous period, and in the baseline period (-1: none).
    index = frame.index
    n_periods = len(labels)
    pcode = np.asarray(labels.get_indexer(index.get_level_values(-1)), dtype=np.int64)
    if by_keys:
        segment = np.asarray(index.droplevel(-1).factorize()[0], dtype=np.int64)
    else:
        segment = np.zeros(len(index), dtype=np.int64)
    keys = segment * n_periods + pcode
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    def partner(target: np.ndarray, valid: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, dtype=np.int64)
        if len(keys):
            want = segment * n_periods + np.clip(target, 0, n_periods - 1)
            pos = np.minimum(np.searchsorted(sorted_keys, want), len(keys) - 1)
            found = valid & (sorted_keys[pos] == want)
            out[found] = observed[order[pos[found]]]
        return out

    prev = groups.compare_pairs(observed, partner(pcode - 1, pcode > 0), **options)
    against = groups.compare_pairs(observed, partner(np.full_like(pcode, base), pcode != base), **options)
    alpha = 1.0 - confidence
    frame["change_prev"] = prev["difference"]
    frame["p_prev"] = prev["p_value"]
    frame["p_prev_adjusted"] = adjust_pvalues(np.asarray(prev["p_value"]), method=adjust)
    frame["change_baseline"] = against["difference"]
    frame["p_baseline"] = against["p_value"]
    frame["p_baseline_adjusted"] = adjust_pvalues(np.asarray(against["p_value"]), method=adjust)
    frame["significant_prev"] = _significant(frame["p_prev_adjusted"].to_numpy(), alpha)
    frame["significant_baseline"] = _significant(frame["p_baseline_adjusted"].to_numpy(), alpha)
    if by_keys:  # the key names compare_segments would give (the period level keeps its own)
        names = [b if isinstance(b, str) else getattr(b, "name", None) or ("by" if len(by_keys) == 1 else f"by_{i}")
                 for i, b in enumerate(by_keys)]
        frame.index = frame.index.set_names([*names, period_name])
    frame.attrs["baseline"] = labels[base] if n_periods else baseline
    return frame
