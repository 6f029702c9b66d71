"""cx.csat, cx.ces and cx.RatingAccumulator against METRICS.md §1, statsmodels and scipy."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import cxkit as cx
from conftest import RATING_FIELDS, assert_fields, assert_same_rating, random_scores, random_weights, rating_oracle


# --------------------------------------------------------------------------------------------------
# unweighted: independent packages


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
@pytest.mark.parametrize("n", [2, 5, 37, 800])
def test_csat_wilson_matches_statsmodels(rng, confidence, n):
    x = random_scores(rng, n, 1, 5)
    r = cx.csat(x, confidence=confidence)
    k = int((x >= 4).sum())
    lo, hi = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert r.csat == pytest.approx(100 * k / n, rel=1e-12)
    assert r.ci_low == pytest.approx(100 * lo, rel=1e-9, abs=1e-9)
    assert r.ci_high == pytest.approx(100 * hi, rel=1e-9, abs=1e-9)
    assert r.satisfied == k


@pytest.mark.parametrize("confidence", [0.9, 0.95])
@pytest.mark.parametrize("n", [2, 3, 30, 500])
def test_mean_std_and_t_interval_match_scipy(rng, confidence, n):
    x = random_scores(rng, n, 1, 5)
    r = cx.csat(x, confidence=confidence)
    assert r.mean == pytest.approx(x.mean(), rel=1e-12)
    assert r.std == pytest.approx(np.std(x, ddof=1), rel=1e-10, abs=1e-12)
    lo, hi = stats.t.interval(confidence, n - 1, loc=x.mean(), scale=stats.sem(x))
    if np.std(x) == 0:
        assert (r.mean_ci_low, r.mean_ci_high) == (r.mean, r.mean)
    else:
        assert r.mean_ci_low == pytest.approx(lo, rel=1e-10)
        assert r.mean_ci_high == pytest.approx(hi, rel=1e-10)
    np.testing.assert_array_equal(r.distribution, np.bincount(x - 1, minlength=5))
    assert (r.n, r.n_effective) == (n, float(n))


def test_published_like_csat_example():
    r = cx.csat([5, 4, 4, 2, 1])
    assert r.csat == 60.0 and r.mean == pytest.approx(3.2)
    lo, hi = proportion_confint(3, 5, method="wilson")
    assert (r.ci_low, r.ci_high) == (pytest.approx(100 * lo), pytest.approx(100 * hi))


def test_single_rating_has_no_spread():
    r = cx.csat([4])
    assert r.csat == 100.0 and r.mean == 4.0 and r.n == 1
    assert math.isnan(r.std) and math.isnan(r.mean_ci_low) and math.isnan(r.mean_ci_high)
    lo, hi = proportion_confint(1, 1, method="wilson")
    assert r.ci_low == pytest.approx(100 * lo) and r.ci_high == pytest.approx(100 * hi)


# --------------------------------------------------------------------------------------------------
# weighted: the formulas (reliability weights, Kish n_eff)


@pytest.mark.parametrize("n", [2, 9, 300])
def test_weighted_matches_formula(rng, n):
    x = random_scores(rng, n, 1, 5)
    w = random_weights(rng, n)
    r = cx.csat(x, weights=w)
    assert_fields(r, rating_oracle(x, w), rel=1e-10)


def test_weighted_std_uses_reliability_weights_not_frequency_weights(rng):
    x = random_scores(rng, 50, 1, 5).astype(float)
    w = rng.uniform(0.5, 3.0, 50)
    r = cx.csat(x, weights=w)
    mean = np.average(x, weights=w)
    V1, V2 = w.sum(), (w**2).sum()
    reliability = math.sqrt((w * (x - mean) ** 2).sum() / (V1 - V2 / V1))
    frequency = math.sqrt((w * (x - mean) ** 2).sum() / (V1 - 1))
    assert r.std == pytest.approx(reliability, rel=1e-12)
    assert r.std != pytest.approx(frequency, rel=1e-6)
    n_eff = V1**2 / V2
    t = stats.t.ppf(0.975, n_eff - 1)
    assert r.mean_ci_high - r.mean == pytest.approx(t * reliability / math.sqrt(n_eff), rel=1e-10)


def test_effective_size_near_one_gives_unbounded_or_point_interval():
    # Weights 1 and 237: n_eff = 238^2 / (1 + 237^2) = 1.0084, df = 0.0084, where the t quantile
    # overflows double (scipy gives inf). No exception: the interval is unbounded, or a point when
    # the two ratings agree (no spread).
    assert math.isinf(stats.t.ppf(0.975, 238**2 / (1 + 237**2) - 1))
    r = cx.csat([3.0, 5.0], weights=[1.0, 237.0])
    assert r.n == 2 and r.mean_ci_low == -math.inf and r.mean_ci_high == math.inf
    acc = cx.RatingAccumulator(scale=(0, 10))
    acc.add([0.0], weights=[1.0])
    acc.add([0.0], weights=[237.0])
    res = acc.result()
    assert res.mean == 0.0 and res.mean_ci_low == 0.0 and res.mean_ci_high == 0.0


def test_constant_weights_do_not_change_anything_but_counts(rng):
    x = random_scores(rng, 100, 1, 5)
    a = cx.csat(x)
    b = cx.csat(x, weights=np.full(100, 2.5))
    for f in ("csat", "mean", "std", "n_effective", "ci_low", "ci_high", "mean_ci_low", "mean_ci_high"):
        assert getattr(b, f) == pytest.approx(getattr(a, f), rel=1e-12), f
    np.testing.assert_allclose(b.distribution, 2.5 * a.distribution)


# --------------------------------------------------------------------------------------------------
# options, scales, CES


@pytest.mark.parametrize("satisfied_min", [1, 3, 4, 5])
def test_satisfied_min(rng, satisfied_min):
    x = random_scores(rng, 200, 1, 5)
    r = cx.csat(x, satisfied_min=satisfied_min)
    assert r.csat == pytest.approx(100 * (x >= satisfied_min).mean(), rel=1e-12)
    assert r.satisfied_min == satisfied_min
    assert_fields(r, rating_oracle(x, satisfied_min=satisfied_min))


def test_ces_defaults_are_1_to_7_and_5(rng):
    x = random_scores(rng, 250, 1, 7)
    r = cx.ces(x)
    assert (r.scale_low, r.scale_high, r.satisfied_min) == (1, 7, 5)
    assert_fields(r, rating_oracle(x, scale=(1, 7), satisfied_min=5))
    assert len(r.distribution) == 7
    assert cx.ces([7, 6, 5, 2]).mean == pytest.approx(5.0)


@pytest.mark.parametrize("scale, sat", [((0, 10), 9), ((-3, 3), 1), ((1, 1), 1), ((0, 1000), 700), ((1, 10), 8)])
def test_any_integer_scale(rng, scale, sat):
    x = random_scores(rng, 400, *scale)
    r = cx.csat(x, scale=scale, satisfied_min=sat)
    assert_fields(r, rating_oracle(x, scale=scale, satisfied_min=sat))
    assert len(r.distribution) == scale[1] - scale[0] + 1


def test_scale_as_list_is_accepted():
    assert_same_rating(cx.csat([1, 2, 3], scale=[1, 3], satisfied_min=2), cx.csat([1, 2, 3], scale=(1, 3), satisfied_min=2))


@pytest.mark.parametrize("scale", [(5, 1), (0, 1001), (1,), (1, 2, 3)])
def test_bad_scale_raises_invalid_argument(scale):
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        cx.csat([1], scale=scale, satisfied_min=1)


@pytest.mark.parametrize("satisfied_min", [0, 6, -1])
def test_satisfied_min_outside_scale(satisfied_min):
    with pytest.raises(cx.InvalidArgumentError, match="satisfied_min"):
        cx.csat([1, 5], satisfied_min=satisfied_min)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 2.0, math.nan])
def test_bad_confidence(confidence):
    with pytest.raises(cx.InvalidArgumentError, match="confidence"):
        cx.csat([1, 5], confidence=confidence)
    with pytest.raises(cx.InvalidArgumentError, match="confidence"):
        cx.ces([1, 5], confidence=confidence)


def test_out_of_scale_values_depend_on_the_scale():
    with pytest.raises(cx.InvalidInputError):
        cx.csat([6])
    assert cx.ces([6]).n == 1
    with pytest.raises(cx.InvalidInputError):
        cx.ces([0])


# --------------------------------------------------------------------------------------------------
# accumulator


def test_accumulator_default_scale_and_top2box_default():
    acc = cx.RatingAccumulator()
    assert acc.scale == (1, 5)
    acc.add([5, 4, 2, 3])
    assert acc.result().csat == 50.0
    ces = cx.RatingAccumulator(scale=(1, 7))
    ces.add([7, 6, 5, 1])
    r = ces.result()  # satisfied_min unset on the accumulator = top-2-box (6..7)
    assert r.satisfied_min == 6 and r.csat == 50.0
    assert ces.result(satisfied_min=5).csat == 75.0


def test_accumulator_matches_function_and_properties(rng):
    x = random_scores(rng, 120, 1, 5)
    w = random_weights(rng, 120)
    acc = cx.RatingAccumulator(scale=(1, 5))
    acc.add(x, weights=w)
    assert_same_rating(acc.result(satisfied_min=4), cx.csat(x, weights=w))
    np.testing.assert_array_equal(acc.counts, np.bincount(x - 1, minlength=5))
    np.testing.assert_allclose(acc.weights, np.bincount(x - 1, weights=w, minlength=5), rtol=1e-12)
    assert repr(acc) == "RatingAccumulator(scale=(1, 5), n=120, n_missing=0, n_invalid=0)"


def test_states_on_different_scales_refuse_to_merge():
    a, b = cx.RatingAccumulator(scale=(1, 5)), cx.RatingAccumulator(scale=(1, 7))
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        a += b
    with pytest.raises(ValueError, match="scale"):
        a + b
    with pytest.raises(ValueError):
        a.merge(b)
    assert a != b  # different scales: different states even when both are empty


def test_result_fields_follow_the_api_contract():
    r = cx.csat([1, 2, 3, 4, 5])
    assert set(RATING_FIELDS) <= set(cx.RatingResult._fields)
    d = r.to_dict()
    assert list(d) == list(cx.RatingResult._fields)
    assert isinstance(d["distribution"], np.ndarray)
    assert_same_rating(pickle.loads(pickle.dumps(r)), r)
    assert repr(r).startswith("RatingResult(csat=")
    with pytest.raises(AttributeError):
        r.csat = 0.0


def test_empty_ratings():
    r = cx.csat([])
    for f in ("csat", "mean", "std", "ci_low", "ci_high", "mean_ci_low", "mean_ci_high"):
        assert math.isnan(getattr(r, f)), f
    assert (r.n, r.n_effective, r.n_missing, r.n_invalid) == (0, 0.0, 0, 0)
    np.testing.assert_array_equal(r.distribution, np.zeros(5))


def test_frame_input():
    df = pd.DataFrame({"sat": [5, 4, 1, 2], "w": [1.0, 2.0, 1.0, 0.5]})
    assert_same_rating(cx.csat(df, "sat", weights="w"), cx.csat([5, 4, 1, 2], weights=[1.0, 2.0, 1.0, 0.5]))
    assert_same_rating(cx.ces(df, "sat"), cx.ces([5, 4, 1, 2]))


def test_rating_result_equality_operator():
    """RatingResult has a numpy `distribution` field; == must still return a plain bool."""
    a = cx.csat([5, 4, 1, 2])
    b = cx.csat([5, 4, 1, 2])
    c = cx.csat([5, 5, 1, 2])
    assert (a == b) is True
    assert (a == c) is False
    assert (a != c) is True
    assert pickle.loads(pickle.dumps(a)) == a
