"""Kano classification: per feature, the 5x5 table of (functional, dysfunctional) answer pairs,
the category under a rule, Better/Worse, strengths, Fong's test and DuMouchel's continuous scores.

Formulas: METRICS.md §3 "Kano"; the C++ state and the definitions are in
``include/cxkit/product/kano.hpp``. :func:`kano` computes a frame from long or wide data in one
pass of the grouped counting kernel; :class:`KanoAccumulator` is the mergeable state (tables and
rules are options of ``result()``).

Design
------
* **Long form** (``feature=`` given): one row per (respondent, feature) with the functional and
  dysfunctional answers in the columns named by ``functional=`` and ``dysfunctional=``.
* **Wide form** (``features=`` given): one row per respondent. ``features`` is a list of feature
  names, and ``functional`` / ``dysfunctional`` are patterns with ``{feature}`` (e.g.
  ``functional="{feature}_f"``); or ``features`` is a mapping feature -> (functional column,
  dysfunctional column) and ``functional`` / ``dysfunctional`` are left out.
* **Answers**: integers 1..5 (1 Like, 2 Must-be, 3 Neutral, 4 Live-with, 5 Dislike), or words
  (case-insensitive, with common synonyms such as "I like it", "I expect it", "I can tolerate
  it"). The three-point form (1 Like, 2 Neutral, 3 Dislike) is chosen by ``table="three_point"``
  or ``scale=3`` (which then implies the three-point table).
* **Bad input**: a pair with one or both answers missing is missing (``n_missing``); an answer
  outside the scale is invalid (raise, or ``on_invalid="drop"``: counted in ``n_invalid``).
* **Respondents** (``respondent=`` column; in wide form each row is a respondent unless a
  respondent column is named; in long form without it each row is its own respondent):
  ``max_questionable=k`` removes respondents with more than k questionable (Q) answers
  (``frame.attrs["n_removed"]`` respondents, ``frame.attrs["n_removed_rows"]`` rows), and
  ``bootstrap=B`` resamples respondents (seeded; the same for any thread count) for percentile
  intervals ``better_lo``/``better_hi``/``worse_lo``/``worse_hi``; the replicate matrices are in
  ``frame.attrs["better_replicates"]`` and ``frame.attrs["worse_replicates"]`` (shape
  (B, rows of the frame), columns in the frame's row order). Intervals are type-7 percentiles of
  the replicates where Better/Worse is defined (NaN when fewer than 2 are). With ``by=`` the
  respondents are resampled over all segments, so segment sizes vary between replicates.
* **Accounting**: per row of the frame ``n + n_missing + n_invalid`` pairs;
  ``frame.attrs["n_missing_key"]`` rows had no feature (or no segment key) and
  ``frame.attrs["n_removed_rows"]`` rows belonged to removed respondents; together they add up
  to the number of input pairs (``frame.attrs["n_rows"]``).
* **Segments** (``by=``): the frame is indexed by (segment keys..., feature), and
  ``frame.attrs["segment_test"]`` is a frame per feature with ``chi2``, ``chi2_df``, ``chi2_p``:
  Pearson's chi-square test (no continuity correction) that the category distribution
  (A, O, M, I, R, Q counts) does not differ between the segments.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from . import _core, _frame
from ._core import KanoAccumulator

__all__ = ["kano", "KanoAccumulator"]

_CATEGORIES = ("A", "O", "M", "I", "R", "Q")

# Words (after _norm_word) -> answer in the five-point form.
_WORDS5 = {
    1: ["like", "i like it", "like it", "i like it that way", "i would like it", "i would like it that way",
        "delighted", "i enjoy it", "satisfied", "i love it"],
    2: ["must be", "mustbe", "must", "expect", "expected", "i expect it", "expect it", "i expect it that way",
        "it must be that way", "it must be", "must have", "it is a basic requirement", "required"],
    3: ["neutral", "i am neutral", "i'm neutral", "im neutral", "indifferent", "i don't care", "i do not care",
        "don't care", "dont care", "i dont care", "no feeling"],
    4: ["live with", "livewith", "i can live with it", "can live with it", "live with it", "i can live with it that way",
        "tolerate", "tolerate it", "i can tolerate it", "can tolerate it", "i can tolerate it that way", "acceptable"],
    5: ["dislike", "i dislike it", "dislike it", "i dislike it that way", "i don't like it", "i do not like it",
        "i dont like it", "dissatisfied", "i hate it"],
}
_WORD_TO_5 = {w: k for k, ws in _WORDS5.items() for w in ws}
# Three-point form: Like 1, Neutral 2, Dislike 3.
_WORD_TO_3 = {w: {1: 1, 3: 2, 5: 3}[k] for w, k in _WORD_TO_5.items() if k in (1, 3, 5)}


def _norm_word(text: str) -> str:
    t = text.strip().lower().replace("\u2019", "'").replace("-", " ").replace("_", " ")
    t = re.sub(r"\s+", " ", t).rstrip(".!")
    return t


def _scalar_answer(v: Any, scale: int) -> int:
    """The answer code of one distinct value (0 = invalid)."""
    if isinstance(v, str):
        t = _norm_word(v)
        if t.isdigit():
            k = int(t)
            return k if 1 <= k <= scale else 0
        return (_WORD_TO_5 if scale == 5 else _WORD_TO_3).get(t, 0)
    if isinstance(v, (bool, np.bool_)):
        return 0
    if isinstance(v, (int, float, np.number)):
        f = float(v)
        return int(f) if f.is_integer() and 1 <= f <= scale else 0
    return 0


class _Answers:
    """One answer column, normalised: ``values`` (int8 / int64 / float64), ``mask`` (missing) or
    None, and how to show the original value of a row in an error message."""

    def __init__(self, values: np.ndarray, mask: Optional[np.ndarray], originals: Any = None,
                 codes: Optional[np.ndarray] = None):
        self.values, self.mask, self._originals, self._codes = values, mask, originals, codes

    def original(self, i: int) -> Any:
        if self._originals is None:
            v = self.values[i]
            return v.item() if hasattr(v, "item") else v
        return self._originals[self._codes[i]]


def _answers(values: Any, name: str, scale: int) -> _Answers:
    """Normalise answers: numbers as they are (int8 kept, other integers int64, floats float64);
    words and categories through their distinct values only (factorize), never per row."""
    if _frame._is_polars(values):
        import polars as pl

        if values.dtype in (pl.Utf8, pl.Categorical) or isinstance(values.dtype, (pl.Categorical, pl.Enum)) \
                or values.dtype == pl.Object:
            values = pd.Series(values.cast(pl.Utf8).to_numpy() if values.dtype != pl.Object else values.to_numpy())
        else:
            arr, mask = _frame.as_numeric(values, name)
            return _numeric_answers(arr, mask)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        lut = np.array([_scalar_answer(c, scale) for c in cats] + [0], dtype=np.int8)
        codes = np.asarray(values.cat.codes)
        mask = codes < 0
        return _Answers(lut[codes], mask if mask.any() else None, list(cats) + [None], codes)
    arr = values
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.array
    kind = getattr(getattr(arr, "dtype", None), "kind", None)
    if kind is None:
        arr = np.asarray(arr, dtype=object) if not isinstance(arr, np.ndarray) else arr
        kind = arr.dtype.kind
        if kind == "O":
            try:  # a list of numbers: numeric
                arr = np.asarray(values, dtype=np.float64)
                kind = "f"
            except (TypeError, ValueError):
                pass
    if kind in ("O", "U", "S", "T") or (isinstance(arr, pd.api.extensions.ExtensionArray) and kind not in "iufb"):
        codes, uniques = pd.factorize(np.asarray(arr, dtype=object) if kind in "USO" else arr, use_na_sentinel=True)
        uniques = list(uniques)
        lut = np.array([_scalar_answer(u, scale) for u in uniques] + [0], dtype=np.int8)
        mask = codes < 0
        return _Answers(lut[codes], mask if mask.any() else None, uniques + [None], codes)
    a, mask = _frame.as_numeric(values, name)
    return _numeric_answers(a, mask)


def _numeric_answers(arr: np.ndarray, mask: Optional[np.ndarray]) -> _Answers:
    if arr.dtype.kind in "iu" and arr.dtype != np.int8:
        if arr.dtype == np.uint64:
            arr = np.where(arr > np.uint64(2**62), np.uint64(2**62), arr)  # out of scale either way
        arr = arr.astype(np.int64, copy=False)
    elif arr.dtype.kind == "f" and arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    return _Answers(np.ascontiguousarray(arr), mask)


def _pair(f: _Answers, d: _Answers) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """Both columns in one dtype, and one row mask (a pair with either answer missing is missing)."""
    fv, dv = f.values, d.values
    if fv.dtype != dv.dtype:
        t = np.result_type(fv.dtype, dv.dtype)
        t = np.float64 if t.kind == "f" else np.int64
        fv, dv = fv.astype(t), dv.astype(t)
    mask = f.mask
    if d.mask is not None:
        mask = d.mask if mask is None else (mask | d.mask)
    if mask is not None:
        mask = np.ascontiguousarray(mask, dtype=np.uint8)
    return fv, dv, mask


def _valid(values: np.ndarray, scale: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok = (values >= 1) & (values <= scale)
        if values.dtype.kind == "f":
            ok &= values == np.floor(values)
    return ok


def _missing(values: np.ndarray, mask: Optional[np.ndarray]) -> np.ndarray:
    m = np.zeros(values.shape[0], dtype=bool) if mask is None else mask.astype(bool)
    if values.dtype.kind == "f":
        m = m | np.isnan(values)
    return m


def _raise_invalid(f: _Answers, d: _Answers, fv: np.ndarray, dv: np.ndarray, mask: Optional[np.ndarray],
                   scale: int, where: Any = None, counted: Optional[np.ndarray] = None) -> None:
    """Raise the policy's error naming the first invalid pair (only on this error path); rows
    outside ``counted`` (a missing feature or segment key) are not looked at."""
    bad = ~(_missing(fv, mask) | _missing(dv, None)) & ~(_valid(fv, scale) & _valid(dv, scale))
    if counted is not None:
        bad &= counted
    idx = np.flatnonzero(bad)
    i = int(idx[0])
    place = f"position {i}" if where is None else where(i)
    raise _core.InvalidInputError(
        f"invalid answer pair at {place}: functional {f.original(i)!r}, dysfunctional {d.original(i)!r} "
        f"(expected an integer in 1..{scale} or a word such as Like / "
        f"{'Must-be / ' if scale == 5 else ''}Neutral / {'Live-with / ' if scale == 5 else ''}Dislike); "
        f"{idx.size} invalid row{'s' if idx.size != 1 else ''} in total "
        f"(pass on_invalid=\"drop\" to skip and count them)"
    )


def _table_spec(table: Any, scale: Optional[int]) -> tuple[str, int]:
    """(table for the C++ layer: "standard" / "three_point" / 25 letters, answer points)."""
    if isinstance(table, str):
        if table not in ("standard", "three_point"):
            raise _core.InvalidArgumentError(
                f"table must be \"standard\", \"three_point\" or a 5x5 array of letters, got {table!r}")
        points = 3 if table == "three_point" else 5
        if scale is not None:
            if scale not in (3, 5):
                raise _core.InvalidArgumentError(f"scale must be 5 or 3, got {scale!r}")
            if table == "standard" and scale == 3:
                return "three_point", 3
            if scale != points:
                raise _core.InvalidArgumentError(f"scale={scale} does not fit table={table!r}")
        return table, points
    arr = np.asarray(table, dtype=object)
    if arr.shape != (5, 5):
        raise _core.InvalidArgumentError(f"table: expected a 5x5 array of category letters, got shape {arr.shape}")
    letters = "".join(str(x).strip().upper() for x in arr.ravel())
    if len(letters) != 25 or any(ch not in "AOMIRQ" for ch in letters):
        raise _core.InvalidArgumentError(
            f"table: every cell must be one of A, O, M, I, R, Q, got {arr.tolist()!r}")
    if scale not in (None, 5):
        raise _core.InvalidArgumentError("a user table is a five-point table: scale must be 5")
    return letters, 5


def _cells(fv: np.ndarray, dv: np.ndarray, mask: Optional[np.ndarray], scale: int) -> np.ndarray:
    """Answer-pair cell 5 (f - 1) + (d - 1) per row as int16; -1 for missing or invalid pairs."""
    ok = _valid(fv, scale) & _valid(dv, scale) & ~_missing(fv, mask) & ~_missing(dv, None)
    cell = np.full(fv.shape[0], -1, dtype=np.int16)
    cell[ok] = ((fv[ok].astype(np.int16) - 1) * 5 + (dv[ok].astype(np.int16) - 1))
    return cell


def _respondent_codes(resp: Any, n: int) -> tuple[np.ndarray, int]:
    """Dense respondent codes; rows without a respondent id are each their own respondent."""
    if resp is None:
        return np.arange(n, dtype=np.int64), n
    if _frame._is_polars(resp):
        resp = resp.to_pandas() if hasattr(resp, "to_pandas") else resp.to_numpy()
    # sorted ids: the resample of respondent r does not depend on the order of the rows
    try:
        codes, uniques = pd.factorize(resp, sort=True, use_na_sentinel=True)
    except TypeError:  # ids that cannot be ordered (mixed types): first-seen order
        codes, uniques = pd.factorize(resp, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    r = len(uniques)
    miss = codes < 0
    if miss.any():
        codes[miss] = r + np.arange(int(miss.sum()))
        r += int(miss.sum())
    return codes, r


def _result_frame(cols: Mapping[str, Any], index: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame({k: np.asarray(v) for k, v in cols.items() if k != "feature"}, index=index)
    return frame


def _state_add(acc: Any, feature: Any, functional: Any, dysfunctional: Any, on_invalid: str, scale: int) -> None:
    if on_invalid not in ("raise", "drop"):
        raise _core.InvalidArgumentError(f"on_invalid must be \"raise\" or \"drop\", got {on_invalid!r}")
    if scale not in (3, 5):
        raise _core.InvalidArgumentError(f"scale must be 5 or 3, got {scale!r}")
    scalar = np.ndim(functional) == 0 and np.ndim(dysfunctional) == 0
    f = _answers([functional] if scalar else functional, "functional", scale)
    d = _answers([dysfunctional] if scalar else dysfunctional, "dysfunctional", scale)
    n = f.values.shape[0]
    if d.values.shape[0] != n:
        raise _core.InvalidArgumentError(f"dysfunctional has {d.values.shape[0]} values but functional has {n}")
    fv, dv, mask = _pair(f, d)
    if isinstance(feature, str):
        codes = np.full(n, acc._feature_index(feature), dtype=np.int64)
    else:
        if _frame._is_polars(feature):
            feature = feature.to_numpy()
        keys, uniques = pd.factorize(np.asarray(feature, dtype=object), use_na_sentinel=True)
        if len(keys) != n:
            raise _core.InvalidArgumentError(f"feature has {len(keys)} values but functional has {n}")
        if (keys < 0).any():
            i = int(np.flatnonzero(keys < 0)[0])
            raise _core.InvalidArgumentError(
                f"feature: missing feature name at position {i} (a state row needs a feature)")
        lut = np.array([acc._feature_index(str(u)) for u in uniques], dtype=np.int64)
        codes = lut[keys]
    if on_invalid == "raise":
        bad = ~(_missing(fv, mask) | _missing(dv, None)) & ~(_valid(fv, scale) & _valid(dv, scale))
        if bad.any():
            _raise_invalid(f, d, fv, dv, mask, scale)
    acc._add_codes(codes, 0, fv, dv, mask, "drop", scale, 1)


def _state_result(acc: Any, table: Any, rule: str, strength_threshold: float) -> pd.DataFrame:
    spec, _ = _table_spec(table, None)
    cols = acc._result_columns(spec, rule, strength_threshold)
    return _result_frame(cols, pd.Index(list(acc.features), name="feature"))


def _wide_columns(data: Any, features: Any, functional: Any, dysfunctional: Any) -> list[tuple[Any, Any, Any]]:
    """[(feature, functional column, dysfunctional column)] of the wide form."""
    out = []
    if isinstance(features, Mapping):
        if functional is not None or dysfunctional is not None:
            raise _core.InvalidArgumentError(
                "features: with a mapping feature -> (functional column, dysfunctional column), "
                "leave functional= and dysfunctional= out")
        for name, pair in features.items():
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise _core.InvalidArgumentError(
                    f"features: {name!r} must map to (functional column, dysfunctional column), got {pair!r}")
            out.append((name, _frame._column(data, pair[0], "features"), _frame._column(data, pair[1], "features")))
        return out
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise _core.InvalidArgumentError("features must be a list of feature names or a mapping")
    for pat, arg in ((functional, "functional"), (dysfunctional, "dysfunctional")):
        if not isinstance(pat, str) or "{feature}" not in pat:
            raise _core.InvalidArgumentError(
                f"{arg}: in the wide form, a pattern with {{feature}} such as \"{{feature}}_f\", got {pat!r}")
    for name in features:
        out.append((name, _frame._column(data, functional.format(feature=name), "functional"),
                    _frame._column(data, dysfunctional.format(feature=name), "dysfunctional")))
    return out


def kano(
    data: Any,
    *,
    feature: Any = None,
    functional: Any = None,
    dysfunctional: Any = None,
    respondent: Any = None,
    features: Any = None,
    table: Any = "standard",
    rule: str = "mode",
    strength_threshold: float = 0.06,
    max_questionable: Optional[int] = None,
    by: Any = None,
    scale: Optional[int] = None,
    on_invalid: str = "raise",
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
    threads: int = 0,
) -> pd.DataFrame:
    """Kano classification per feature (METRICS.md §3).

    Parameters
    ----------
    data : pandas or Polars DataFrame
        Long form (one row per respondent and feature) or wide form (one row per respondent).
    feature : str or array-like, optional
        Long form: the feature column.
    functional, dysfunctional : str or array-like
        Long form: the answer columns. Wide form with a list of ``features``: patterns with
        ``{feature}``, e.g. ``"{feature}_f"``.
    respondent : str or array-like, optional
        Respondent ids (for ``max_questionable`` and ``bootstrap``). Without it, each row of a
        long frame and each row of a wide frame is one respondent.
    features : list or mapping, optional
        Wide form: feature names (with the patterns), or feature -> (functional column,
        dysfunctional column).
    table : "standard", "three_point" or 5x5 array of letters
        Evaluation table (rows: functional answer 1..5, columns: dysfunctional answer).
    rule : "mode", "strength" or "aom_vs_iqr"
        Classification rule; ties M > O > A > I > R > Q.
    strength_threshold : float
        Rule "strength": category strength below this falls back to Matzler's rule.
    max_questionable : int, optional
        Remove respondents with more than this many Q answers (``attrs["n_removed"]``).
    by : str, array-like or list, optional
        Segments: the frame is indexed by (segments..., feature) and ``attrs["segment_test"]``
        holds the chi-square test per feature (``chi2``, ``chi2_df``, ``chi2_p``).
    scale : 5 or 3, optional
        Answer points; 3 selects the three-point table. Default: from ``table``.
    on_invalid : "raise" or "drop"
        Answers outside the scale raise ``InvalidInputError`` or are dropped and counted.
    bootstrap : int
        Replicates of the respondent bootstrap for ``better_lo``/``better_hi``/``worse_lo``/
        ``worse_hi`` (0: none). Replicates in ``attrs["better_replicates"]`` /
        ``attrs["worse_replicates"]``, shape (bootstrap, len(frame)).
    seed : int
        Bootstrap seed (same seed, same result, for any thread count).
    confidence : float
        Level of the percentile intervals.
    threads : int
        Threads for counting and bootstrap (0 = all cores); never changes the result.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature: ``A``, ``O``, ``M``, ``I``, ``R``, ``Q``, ``n``, ``n_missing``,
        ``n_invalid``, ``category``, ``better``, ``worse``, ``total_strength``,
        ``category_strength``, ``fong_significant``, ``functional_mean``, ``dysfunctional_mean``,
        ``reliable``.

    Examples
    --------
    >>> import pandas as pd, cxkit as cx
    >>> df = pd.DataFrame({"feature": ["wifi"] * 3 + ["tv"] * 3,
    ...                    "f": [1, 1, 2, 1, 1, 3], "d": [5, 5, 5, 3, 4, 3]})
    >>> out = cx.kano(df, feature="feature", functional="f", dysfunctional="d")
    >>> out["category"].to_dict()
    {'tv': 'A', 'wifi': 'O'}
    >>> float(out.loc["wifi", "better"])
    0.6666666666666666
    """
    if on_invalid not in ("raise", "drop"):
        raise _core.InvalidArgumentError(f"on_invalid must be \"raise\" or \"drop\", got {on_invalid!r}")
    if rule not in ("mode", "strength", "aom_vs_iqr"):
        raise _core.InvalidArgumentError(f"rule must be \"mode\", \"strength\" or \"aom_vs_iqr\", got {rule!r}")
    if not (0.0 <= float(strength_threshold) <= 1.0):
        raise _core.InvalidArgumentError(f"strength_threshold must be in [0, 1], got {strength_threshold!r}")
    if max_questionable is not None and (not isinstance(max_questionable, (int, np.integer)) or max_questionable < 0):
        raise _core.InvalidArgumentError(f"max_questionable must be an integer >= 0, got {max_questionable!r}")
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0 or bootstrap == 1:
        raise _core.InvalidArgumentError(f"bootstrap must be 0 or a number of replicates >= 2, got {bootstrap!r}")
    if bootstrap and not (0.0 < confidence < 1.0):
        raise _core.InvalidArgumentError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    spec, points = _table_spec(table, scale)
    if not _frame.is_frame(data):
        raise _core.InvalidArgumentError("data must be a pandas or Polars DataFrame")

    where = None
    if features is not None:  # wide form
        if feature is not None:
            raise _core.InvalidArgumentError("give feature= (long form) or features= (wide form), not both")
        triples = _wide_columns(data, features, functional, dysfunctional)
        if not triples:
            raise _core.InvalidArgumentError("features: no features given")
        n_rows = len(data)
        fa = [_answers(t[1], "functional", points) for t in triples]
        da = [_answers(t[2], "dysfunctional", points) for t in triples]
        pairs = [_pair(a, b) for a, b in zip(fa, da)]
        t = np.result_type(*[p[0].dtype for p in pairs])
        t = np.int8 if t == np.int8 else (np.float64 if t.kind == "f" else np.int64)
        fv = np.concatenate([p[0].astype(t, copy=False) for p in pairs])
        dv = np.concatenate([p[1].astype(t, copy=False) for p in pairs])
        mask = None
        if any(p[2] is not None for p in pairs):
            mask = np.concatenate([p[2] if p[2] is not None else np.zeros(n_rows, np.uint8) for p in pairs])
        names = [tr[0] for tr in triples]
        feat_codes = np.repeat(np.arange(len(names), dtype=np.int32), n_rows)
        feat_offset, n_feat = 0, len(names)
        feat_labels = lambda ids: pd.Index(np.asarray(names, dtype=object)[ids])  # noqa: E731
        resp_raw = _frame._column(data, respondent, "respondent")
        resp_tiled = None if resp_raw is None else np.tile(np.asarray(resp_raw), len(names))
        resp_codes, n_resp = _respondent_codes(resp_tiled if resp_raw is not None else None, n_rows)
        if resp_raw is None:
            resp_codes = np.tile(resp_codes, len(names))

        class _Concat:
            def __init__(self, parts: list) -> None:
                self.parts = parts

            def original(self, i: int) -> Any:
                return self.parts[i // n_rows].original(i % n_rows)

        f_ans, d_ans = _Concat(fa), _Concat(da)
        where = lambda i: f"row {i % n_rows}, feature {names[i // n_rows]!r}"  # noqa: E731
        seg_keys = None
        if by is not None:
            keys, knames = _frame._key_arrays(data, by)
            seg = _frame._grouping(keys, knames, n_rows)
            seg_keys = (np.tile(np.asarray(seg.codes, dtype=np.int64) - seg.offset, len(names)), seg)
        n_total = n_rows * len(names)
    else:  # long form
        if feature is None or functional is None or dysfunctional is None:
            raise _core.InvalidArgumentError(
                "give feature=, functional= and dysfunctional= (long form) or features= (wide form)")
        fcol = _frame._column(data, functional, "functional")
        dcol = _frame._column(data, dysfunctional, "dysfunctional")
        kcol = _frame._column(data, feature, "feature")
        n_total = len(data)
        for arg, col in (("functional", fcol), ("dysfunctional", dcol), ("feature", kcol)):
            if _frame._length(col) != n_total:
                raise _core.InvalidArgumentError(f"{arg} has {_frame._length(col)} values but the data has {n_total}")
        f_ans, d_ans = _answers(fcol, "functional", points), _answers(dcol, "dysfunctional", points)
        fv, dv, mask = _pair(f_ans, d_ans)
        key = _frame._factorize_key(kcol, "feature", n_total)
        feat_codes, feat_offset, n_feat = key.codes, key.offset, key.n
        feat_labels = lambda ids: pd.Index(key.labels(ids))  # noqa: E731
        resp_raw = _frame._column(data, respondent, "respondent")
        if resp_raw is not None and _frame._length(resp_raw) != n_total:
            raise _core.InvalidArgumentError(f"respondent has {_frame._length(resp_raw)} values but the data has {n_total}")
        resp_codes = n_resp = None
        if max_questionable is not None or bootstrap:
            resp_codes, n_resp = _respondent_codes(resp_raw, n_total)
        seg_keys = None
        if by is not None:
            keys, knames = _frame._key_arrays(data, by)
            seg = _frame._grouping(keys, knames, n_total)
            seg_keys = (np.asarray(seg.codes, dtype=np.int64) - seg.offset, seg)

    # Group codes: features, or segment x feature.
    if seg_keys is not None:
        sc, seg = seg_keys
        fc = np.asarray(feat_codes, dtype=np.int64) - feat_offset
        codes = np.where((sc < 0) | (fc < 0), -1, sc * n_feat + fc)
        offset, n_groups = 0, seg.n_groups * n_feat
    else:
        codes, offset, n_groups = feat_codes, feat_offset, n_feat

    # Respondent cleaning.
    n_removed = n_removed_rows = 0
    cell = None
    if max_questionable is not None or bootstrap:
        if resp_codes is None:
            resp_codes, n_resp = _respondent_codes(None, len(fv))
        cell = _cells(fv, dv, mask, points)
    if max_questionable is not None:
        is_q = np.array([c == "Q" for c in _letters(spec)] + [False], dtype=bool)
        q_rows = is_q[np.where(cell >= 0, cell, 25)]
        nq = np.bincount(resp_codes[q_rows], minlength=n_resp)
        removed = nq > max_questionable
        n_removed = int(removed.sum())
        if n_removed:
            keep = ~removed[resp_codes]
            n_removed_rows = int((~keep).sum())
            fv, dv = fv[keep], dv[keep]
            mask = mask[keep] if mask is not None else None
            codes = np.asarray(codes)[keep]
            resp_codes = resp_codes[keep]
            cell = cell[keep]
            kept_idx = np.flatnonzero(keep)
            base_where = where
            where = (lambda i: (base_where(int(kept_idx[i])) if base_where else f"position {int(kept_idx[i])}"))  # noqa: E731

            class _Kept:
                def __init__(self, a: Any) -> None:
                    self.a = a

                def original(self, i: int) -> Any:
                    return self.a.original(int(kept_idx[i]))

            f_ans, d_ans = _Kept(f_ans), _Kept(d_ans)

    acc = KanoAccumulator([str(i) for i in range(n_groups)])
    no_feature = acc._add_codes(codes, offset, fv, dv, mask, "drop", points, threads)
    if on_invalid == "raise" and acc.n_invalid:
        _raise_invalid(f_ans, d_ans, fv, dv, mask, points, where, np.asarray(codes, dtype=np.int64) - offset >= 0)
    cols = acc._result_columns(spec, rule, float(strength_threshold))
    rows = np.asarray(cols["n"]) + np.asarray(cols["n_missing"]) + np.asarray(cols["n_invalid"])
    observed = np.flatnonzero(rows > 0)
    if seg_keys is not None:
        seg_ids, feat_ids = observed // n_feat, observed % n_feat
        seg_index = seg.index(seg_ids)
        fl = feat_labels(feat_ids)
        arrays = ([seg_index.get_level_values(i) for i in range(seg_index.nlevels)] + [fl])
        index = pd.MultiIndex.from_arrays(arrays, names=list(seg_index.names) + ["feature"])
    else:
        index = feat_labels(observed)
        index.name = "feature"
    frame = _result_frame({k: np.asarray(v)[observed] for k, v in cols.items()}, index)
    frame.attrs["n_missing_key"] = int(no_feature)
    frame.attrs["n_removed"] = n_removed
    frame.attrs["n_removed_rows"] = n_removed_rows
    frame.attrs["n_rows"] = int(n_total)

    if bootstrap:
        grp = np.asarray(codes, dtype=np.int64) - offset
        better, worse, blo, bhi, wlo, whi = _core.kano_bootstrap(
            resp_codes, grp, cell, n_resp, n_groups, spec, int(bootstrap), int(seed), int(threads), float(confidence))
        frame["better_lo"], frame["better_hi"] = blo[observed], bhi[observed]
        frame["worse_lo"], frame["worse_hi"] = wlo[observed], whi[observed]
        frame.attrs["better_replicates"] = better[:, observed]
        frame.attrs["worse_replicates"] = worse[:, observed]

    if seg_keys is not None:
        counts = frame[list(_CATEGORIES)].to_numpy(dtype=np.int64)
        feat_of_row = observed % n_feat
        tests = []
        feats = np.unique(feat_of_row)
        for j in feats:
            st, df_, p = _core.kano_chi_square(counts[feat_of_row == j])
            tests.append((st, df_, p))
        test = pd.DataFrame(tests, columns=["chi2", "chi2_df", "chi2_p"], index=feat_labels(feats))
        test.index.name = "feature"
        frame.attrs["segment_test"] = test
    return frame


def _letters(spec: str) -> str:
    if spec == "standard":
        return "QAAAORIIIMRIIIMRIIIMRRRRQ"
    if spec == "three_point":
        return "AAOQQIIMQQIIMQQQQQQQQQQQQ"
    return spec
