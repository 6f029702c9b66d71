"""cx.nps and cx.NpsAccumulator against the METRICS.md §1 formulas and published values."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

import cxkit as cx
from conftest import NPS_FIELDS, assert_fields, nps_oracle, random_scores, random_weights, z_of


# --------------------------------------------------------------------------------------------------
# published check (Sauro & Lewis; METRICS.md §1)


def published_sample() -> np.ndarray:
    return np.array([10] * 25 + [9] * 25 + [8] * 15 + [7] * 15 + [6] * 10 + [0] * 10)


def test_published_check_50_30_20_wald():
    r = cx.nps(published_sample(), method="wald")
    assert r.nps == pytest.approx(30.0, abs=1e-12)
    assert (r.promoters, r.passives, r.detractors) == (50.0, 30.0, 20.0)
    # sigma^2 = p + d - (p - d)^2 = 0.5 + 0.2 - 0.09 = 0.61
    sigma2 = r.promoter_share + r.detractor_share - (r.promoter_share - r.detractor_share) ** 2
    assert sigma2 == pytest.approx(0.61, abs=1e-12)
    assert round(r.std_error, 2) == 7.81
    assert r.std_error == pytest.approx(100 * math.sqrt(0.61 / 100), rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert r.ci_low == pytest.approx(30 - z * r.std_error, rel=1e-12)
    assert r.ci_high == pytest.approx(30 + z * r.std_error, rel=1e-12)
    assert r.method == "wald" and r.confidence == 0.95
    assert (r.n, r.n_effective, r.n_missing, r.n_invalid) == (100, 100.0, 0, 0)


def test_published_check_adjusted_wald_by_hand():
    r = cx.nps(published_sample())  # default method: adjusted Wald
    assert r.method == "adjusted_wald"
    assert r.nps == pytest.approx(30.0, abs=1e-12)  # the point estimate stays unadjusted
    p_adj = (50 + 0.75) / 103
    d_adj = (20 + 0.75) / 103
    centre = 100 * (p_adj - d_adj)
    se = 100 * math.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / 103)
    assert r.std_error == pytest.approx(se, rel=1e-12)
    z = z_of(0.95)
    assert r.ci_low == pytest.approx(centre - z * se, rel=1e-12)
    assert r.ci_high == pytest.approx(centre + z * se, rel=1e-12)
    # the interval is centred on NPS', not on NPS
    assert (r.ci_low + r.ci_high) / 2 == pytest.approx(centre, rel=1e-12)
    assert (r.ci_low + r.ci_high) / 2 != pytest.approx(30.0, abs=1e-6)


def test_docstring_and_api_example():
    # API.md C++ example, in Python: a.add(10); a.add(9); a.add(3, weight=2); b.add(7); a += b
    a, b = cx.NpsAccumulator(), cx.NpsAccumulator()
    a.add([10, 9])
    a.add([3], weights=[2.0])
    b.add(7)
    a += b
    assert a.result().nps == pytest.approx(0.0, abs=1e-12)
    assert cx.nps([10, 9, 8, 3]).nps == pytest.approx(25.0)


# --------------------------------------------------------------------------------------------------
# against the oracle


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("n", [1, 2, 7, 50, 1000])
def test_unweighted_matches_formula(rng, method, confidence, n):
    x = random_scores(rng, n)
    r = cx.nps(x, method=method, confidence=confidence)
    assert_fields(r, nps_oracle(x, method=method, confidence=confidence))


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
@pytest.mark.parametrize("n", [1, 3, 40, 2000])
def test_weighted_matches_formula_with_kish_neff(rng, method, n):
    x = random_scores(rng, n)
    w = random_weights(rng, n)
    r = cx.nps(x, weights=w, method=method)
    exp = nps_oracle(x, w, method=method)
    assert_fields(r, exp, rel=1e-10)
    assert r.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    assert r.promoters == pytest.approx(w[x >= 9].sum(), rel=1e-12)
    assert r.n == n


def test_integer_weights_equal_replication(rng):
    x = random_scores(rng, 60)
    w = rng.integers(1, 5, size=60)
    weighted = cx.nps(x, weights=w.astype(float), method="wald")
    replicated = cx.nps(np.repeat(x, w), method="wald")
    assert weighted.nps == pytest.approx(replicated.nps, rel=1e-12)
    assert weighted.promoters == replicated.promoters
    # but the interval is not the replicated one: Kish n_eff < sum of weights
    assert weighted.n_effective < w.sum()
    assert weighted.std_error > replicated.std_error


@pytest.mark.parametrize(
    "promoter_min, passive_min", [(9, 7), (10, 8), (10, 10), (8, 6), (1, 1), (10, 1)]
)
def test_category_breaks_are_result_options(rng, promoter_min, passive_min):
    x = random_scores(rng, 300)
    r = cx.nps(x, promoter_min=promoter_min, passive_min=passive_min)
    assert_fields(r, nps_oracle(x, promoter_min=promoter_min, passive_min=passive_min))
    acc = cx.NpsAccumulator()
    acc.add(x)
    assert acc.result(promoter_min=promoter_min, passive_min=passive_min) == r


def test_ci_is_clipped_to_plus_minus_100():
    r = cx.nps([10] * 5)  # adjusted Wald: centre 62.5, half-width about 45 -> high above 100
    p_adj, d_adj = 5.75 / 8, 0.75 / 8
    se = 100 * math.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / 8)
    assert 62.5 + z_of(0.95) * se > 100
    assert r.ci_high == 100.0
    assert r.ci_low == pytest.approx(62.5 - z_of(0.95) * se, rel=1e-12)
    low = cx.nps([0] * 5)
    assert low.ci_low == -100.0 and low.nps == -100.0
    wald = cx.nps([10] * 5, method="wald")
    assert (wald.nps, wald.std_error, wald.ci_low, wald.ci_high) == (100.0, 0.0, 100.0, 100.0)


def test_shares_sum_to_one_and_bounds(rng):
    x = random_scores(rng, 500)
    w = random_weights(rng, 500)
    r = cx.nps(x, weights=w)
    assert r.promoter_share + r.passive_share + r.detractor_share == pytest.approx(1.0, rel=1e-12)
    assert -100 <= r.ci_low <= r.ci_high <= 100


def test_higher_confidence_gives_wider_interval(rng):
    x = random_scores(rng, 200)
    widths = [cx.nps(x, confidence=c).ci_high - cx.nps(x, confidence=c).ci_low for c in (0.8, 0.9, 0.95, 0.99)]
    assert widths == sorted(widths) and len(set(widths)) == 4


def test_zero_weights_are_valid_rows_that_contribute_nothing():
    r = cx.nps([10, 0, 5], weights=[1.0, 0.0, 1.0], method="wald")
    assert r.n == 3 and r.n_invalid == 0
    assert r.nps == pytest.approx(0.0)  # one promoter, one detractor carry weight
    assert r.detractors == 1.0
    empty = cx.nps([10, 0], weights=[0.0, 0.0])
    assert empty.n == 2 and empty.n_effective == 0.0
    assert math.isnan(empty.nps) and math.isnan(empty.ci_low)


# --------------------------------------------------------------------------------------------------
# input types all give the same state


SCORES = [10, 9, 8, 7, 6, 0, 3, 10, 10, 5]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda x: list(x), id="list"),
        pytest.param(lambda x: tuple(x), id="tuple"),
        pytest.param(lambda x: np.asarray(x, dtype=np.int8), id="int8"),
        pytest.param(lambda x: np.asarray(x, dtype=np.uint8), id="uint8"),
        pytest.param(lambda x: np.asarray(x, dtype=np.int16), id="int16"),
        pytest.param(lambda x: np.asarray(x, dtype=np.uint16), id="uint16"),
        pytest.param(lambda x: np.asarray(x, dtype=np.int32), id="int32"),
        pytest.param(lambda x: np.asarray(x, dtype=np.uint32), id="uint32"),
        pytest.param(lambda x: np.asarray(x, dtype=np.int64), id="int64"),
        pytest.param(lambda x: np.asarray(x, dtype=np.uint64), id="uint64"),
        pytest.param(lambda x: np.asarray(x, dtype=np.float16), id="float16"),
        pytest.param(lambda x: np.asarray(x, dtype=np.float32), id="float32"),
        pytest.param(lambda x: np.asarray(x, dtype=np.float64), id="float64"),
        pytest.param(lambda x: np.asarray(x, dtype=np.int64)[::-1][::-1].copy(), id="copy"),
        pytest.param(lambda x: np.repeat(np.asarray(x), 2)[::2], id="strided-view"),
        pytest.param(lambda x: pd.Series(x), id="pandas"),
        pytest.param(lambda x: pd.Series(x, dtype="Int64"), id="pandas-Int64"),
        pytest.param(lambda x: pd.Series(x, dtype="Float64"), id="pandas-Float64"),
        pytest.param(lambda x: pd.Series(x, dtype="int64[pyarrow]"), id="pandas-arrow"),
        pytest.param(lambda x: pd.Series(x, dtype=object), id="pandas-object"),
        pytest.param(lambda x: pl.Series(x), id="polars"),
        pytest.param(lambda x: pl.Series(x, dtype=pl.Int8), id="polars-int8"),
        pytest.param(lambda x: pl.Series(x, dtype=pl.Float32), id="polars-f32"),
        pytest.param(lambda x: np.asarray(x, dtype=object), id="object"),
        pytest.param(lambda x: np.asarray(x, dtype=">i4"), id="big-endian-int32"),
        pytest.param(lambda x: np.asarray(x, dtype=">f8"), id="big-endian-float64"),
    ],
)
def test_every_numeric_container_gives_the_same_result(make):
    expected = nps_oracle(SCORES)
    r = cx.nps(make(SCORES))
    assert_fields(r, expected)
    acc = cx.NpsAccumulator()
    acc.add(make(SCORES))
    assert acc.result() == r


def test_scalar_input_is_one_row():
    assert cx.nps(10).n == 1
    acc = cx.NpsAccumulator()
    acc.add(9)
    acc.add(3.0)
    assert acc.n == 2 and list(acc.counts[[3, 9]]) == [1, 1]


def test_frame_input_with_score_column():
    df = pd.DataFrame({"q": SCORES, "other": range(len(SCORES))})
    assert cx.nps(df, "q") == cx.nps(SCORES)
    assert cx.nps(df, score="q") == cx.nps(SCORES)
    assert cx.nps(pl.from_pandas(df), "q") == cx.nps(SCORES)


# --------------------------------------------------------------------------------------------------
# result object


def test_result_fields_follow_the_api_contract():
    r = cx.nps(SCORES)
    assert list(cx.NpsResult._fields) == NPS_FIELDS
    d = r.to_dict()
    assert list(d) == NPS_FIELDS
    assert isinstance(d["n"], int) and isinstance(d["n_missing"], int) and isinstance(d["method"], str)
    for name in NPS_FIELDS:
        assert getattr(r, name) == d[name] or (isinstance(d[name], float) and math.isnan(d[name]))


def test_result_is_read_only_readable_and_picklable():
    r = cx.nps(SCORES)
    with pytest.raises(AttributeError):
        r.nps = 1.0
    text = repr(r)
    assert text.startswith("NpsResult(") and "nps=" in text and "ci_high=" in text
    assert pickle.loads(pickle.dumps(r)) == r
    assert copy.deepcopy(r) == r
    assert (r == cx.nps(SCORES[:-1])) is False
    assert r != "not a result"


def test_result_does_not_change_the_state(rng):
    acc = cx.NpsAccumulator()
    acc.add(random_scores(rng, 100))
    before = acc.to_bytes()
    r1 = acc.result(method="wald", confidence=0.9, promoter_min=10)
    acc.result()
    assert acc.to_bytes() == before
    assert acc.result(method="wald", confidence=0.9, promoter_min=10) == r1


def test_accumulator_properties(rng):
    x = random_scores(rng, 300)
    w = random_weights(rng, 300)
    acc = cx.NpsAccumulator()
    acc.add(x, weights=w)
    assert acc.n == 300 and acc.n_missing == 0 and acc.n_invalid == 0
    np.testing.assert_array_equal(acc.counts, np.bincount(x, minlength=11))
    np.testing.assert_allclose(acc.weights, np.bincount(x, weights=w, minlength=11), rtol=1e-12)
    assert len(acc.counts) == 11
    assert repr(acc) == "NpsAccumulator(n=300, n_missing=0, n_invalid=0)"


def test_empty_accumulator():
    acc = cx.NpsAccumulator()
    assert (acc.n, acc.n_missing, acc.n_invalid) == (0, 0, 0)
    assert acc == cx.NpsAccumulator()
    r = acc.result()
    for f in ("nps", "promoter_share", "passive_share", "detractor_share", "std_error", "ci_low", "ci_high"):
        assert math.isnan(getattr(r, f)), f
    assert (r.n, r.n_effective, r.promoters, r.passives, r.detractors) == (0, 0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(confidence=0.0),
        dict(confidence=1.0),
        dict(confidence=1.5),
        dict(confidence=-0.1),
        dict(confidence=math.nan),
        dict(method="exact"),
        dict(method="Wald"),
        dict(promoter_min=11),
        dict(passive_min=0),
        dict(promoter_min=7, passive_min=8),
    ],
)
def test_bad_options_raise_invalid_argument_naming_the_option(kwargs):
    name = next(iter(kwargs))
    key = "passive_min" if name in ("promoter_min", "passive_min") else name
    with pytest.raises(cx.InvalidArgumentError, match=key):
        cx.nps(SCORES, **kwargs)
    with pytest.raises(ValueError):
        cx.NpsAccumulator().result(**kwargs)


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        cx.nps(SCORES, None, None)  # by is keyword-only
    with pytest.raises(TypeError):
        cx.NpsAccumulator().result(0.9)
