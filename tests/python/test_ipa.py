"""cx.ipa: importance-performance analysis (Martilla & James 1977; METRICS.md §3).

Quadrants, crosshairs and gaps are computed by hand here; derived importance is checked against
numpy.corrcoef (listwise complete rows) and against Johnson's relative weights from numpy.linalg.eigh.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxkit as cx

# Four attributes rated 1..5 by six respondents, and an overall score.
DF = pd.DataFrame(
    {
        "price": [2, 3, 2, 3, 2, 1],     # mean 13/6 = 2.1667
        "speed": [5, 4, 5, 5, 4, 4],     # mean 27/6 = 4.5
        "staff": [4, 4, 3, 5, 4, 4],     # mean 24/6 = 4.0
        "app":   [1, 2, 2, 3, 1, 3],     # mean 12/6 = 2.0
        "overall": [2, 4, 3, 5, 2, 3],
    }
)
ATTRS = ["price", "speed", "staff", "app"]
STATED = {"price": 5.0, "speed": 4.0, "staff": 2.0, "app": 1.0}


def test_stated_importance_quadrants_and_gap_by_hand():
    r = cx.ipa(DF, attributes=ATTRS, importance=STATED)
    perf = np.array([13 / 6, 4.5, 4.0, 2.0])
    imp = np.array([5.0, 4.0, 2.0, 1.0])
    np.testing.assert_allclose(r["performance"], perf, rtol=1e-15)
    np.testing.assert_array_equal(r["importance"], imp)
    # data-centred crosshairs: mean importance 3.0, mean performance 12.6667/4 = 3.1667
    assert r.attrs["crosshair_importance"] == pytest.approx(3.0)
    assert r.attrs["crosshair_performance"] == pytest.approx((13 / 6 + 4.5 + 4 + 2) / 4)
    assert list(r["quadrant"]) == ["concentrate_here", "keep_up", "possible_overkill", "low_priority"]
    # gap: importance min-max (1..5) minus performance min-max (2..4.5) without a scale
    imp01 = (imp - 1) / 4
    perf01 = (perf - 2) / 2.5
    np.testing.assert_allclose(r["gap"], imp01 - perf01, rtol=1e-14, atol=1e-15)
    assert list(r.index) == ATTRS and r.index.name == "attribute"
    assert r.attrs["importance_method"] == "stated"
    # A sequence in attribute order is the same as the mapping.
    pd.testing.assert_frame_equal(r, cx.ipa(DF, attributes=ATTRS, importance=[5, 4, 2, 1]))


def test_scale_puts_mean_performance_on_0_1_for_the_gap_and_scale_crosshair():
    r = cx.ipa(DF, attributes=ATTRS, importance=STATED, scale=(1, 5), crosshair="scale")
    assert r.attrs["crosshair_performance"] == 3.0
    assert r.attrs["crosshair_importance"] == 3.0  # stated on the same scale
    perf = np.array([13 / 6, 4.5, 4.0, 2.0])
    np.testing.assert_allclose(r["gap"], (np.array([5, 4, 2, 1]) - 1) / 4 - (perf - 1) / 4, atol=1e-15)
    assert list(r["quadrant"]) == ["concentrate_here", "keep_up", "possible_overkill", "low_priority"]


def test_ties_on_the_crosshair_count_as_high():
    # importance crosshair 3.0 (explicit); performance crosshair exactly 4.0 = staff's mean
    r = cx.ipa(DF, attributes=ATTRS, importance={"price": 3, "speed": 2, "staff": 3, "app": 2}, crosshair=(3, 4.0))
    assert list(r["quadrant"]) == ["concentrate_here", "possible_overkill", "keep_up", "low_priority"]
    assert (r.attrs["crosshair_importance"], r.attrs["crosshair_performance"]) == (3.0, 4.0)


def test_derived_importance_is_correlation_by_default():
    df = DF.copy().astype(float)
    df.loc[2, "staff"] = np.nan  # listwise: row 2 left out of the correlations
    r = cx.ipa(df, attributes=ATTRS, overall="overall")
    complete = df.dropna()
    expected = [np.corrcoef(complete[a], complete["overall"])[0, 1] for a in ATTRS]
    np.testing.assert_allclose(r["importance"], expected, rtol=1e-13)
    assert r.attrs["importance_method"] == "correlation"
    # performance uses each attribute's own non-missing ratings
    assert r.loc["staff", "performance"] == pytest.approx(np.nanmean(df["staff"]))
    assert (r.loc["staff", "n"], r.loc["staff", "n_missing"]) == (5, 1)
    ci = np.mean(expected)
    cp = np.mean([df[a].mean() for a in ATTRS])
    hand = []
    for a, i in zip(ATTRS, expected):
        p = df[a].mean()
        hand.append(
            ("keep_up" if p >= cp else "concentrate_here") if i >= ci else ("possible_overkill" if p >= cp else "low_priority")
        )
    assert list(r["quadrant"]) == hand
    e = np.asarray(expected)
    perf = np.array([df[a].mean() for a in ATTRS])
    gap = (e - e.min()) / (e.max() - e.min()) - (perf - perf.min()) / (perf.max() - perf.min())
    np.testing.assert_allclose(r["gap"], gap, atol=1e-14)


def test_derived_relative_weights_match_johnson():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=(300, 4)).astype(float)
    y = x @ np.array([0.5, 0.2, 0.1, 0.3]) + rng.normal(size=300)
    df = pd.DataFrame(x, columns=ATTRS).assign(overall=y)
    r = cx.ipa(df, attributes=ATTRS, overall="overall", importance="relative_weights")
    R = np.corrcoef(np.column_stack([y, x]), rowvar=False)
    lam, V = np.linalg.eigh(R[1:, 1:])
    L = V @ np.diag(np.sqrt(lam)) @ V.T
    eps = (L**2) @ np.linalg.solve(L, R[1:, 0]) ** 2
    np.testing.assert_allclose(r["importance"], eps, rtol=1e-10)
    assert r.attrs["importance_method"] == "relative_weights"


def test_top_box_performance_by_hand():
    r = cx.ipa(DF, attributes=ATTRS, importance=STATED, performance="top_box", top_box=4)
    shares = np.array([0, 6 / 6, 5 / 6, 0])
    np.testing.assert_allclose(r["performance"], shares)
    # shares are already on 0..1; crosshair "scale" puts performance at 0.5
    r2 = cx.ipa(DF, attributes=ATTRS, importance=STATED, performance="top_box", scale=(1, 5), crosshair="scale")
    np.testing.assert_allclose(r2["performance"], [0, 3 / 6, 1 / 6, 0])  # top box = 5, the scale's top
    assert r2.attrs["crosshair_performance"] == 0.5
    np.testing.assert_allclose(r2["gap"], (np.array([5, 4, 2, 1]) - 1) / 4 - np.array([0, 0.5, 1 / 6, 0]), atol=1e-15)


def test_weighted_performance_and_correlation():
    w = np.array([1, 2, 1, 0.5, 3, 1])
    r = cx.ipa(DF.assign(w=w), attributes=ATTRS, overall="overall", weights="w")
    np.testing.assert_allclose(r["performance"], [np.average(DF[a], weights=w) for a in ATTRS], rtol=1e-14)
    for a, v in zip(ATTRS, r["importance"]):
        c = np.cov(DF[a], DF["overall"], aweights=w)
        assert v == pytest.approx(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]), rel=1e-12)


def test_invalid_ratings_raise_or_are_dropped():
    df = DF.astype(float)
    df.loc[3, "speed"] = np.inf
    with pytest.raises(cx.InvalidInputError, match="'speed' at position 3: inf"):
        cx.ipa(df, attributes=ATTRS, importance=STATED)
    r = cx.ipa(df, attributes=ATTRS, importance=STATED, on_invalid="drop")
    assert (r.loc["speed", "n"], r.loc["speed", "n_invalid"]) == (5, 1)
    assert r.loc["speed", "performance"] == pytest.approx((5 + 4 + 5 + 4 + 4) / 5)
    assert (r["n"] + r["n_missing"] + r["n_invalid"] == len(df)).all()


def test_argument_errors():
    with pytest.raises(cx.InvalidArgumentError, match="overall="):
        cx.ipa(DF, attributes=ATTRS)
    with pytest.raises(cx.InvalidArgumentError, match="top_box"):
        cx.ipa(DF, attributes=ATTRS, importance=STATED, performance="top_box")
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        cx.ipa(DF, attributes=ATTRS, importance=STATED, crosshair="scale")
    with pytest.raises(cx.InvalidArgumentError, match="4 attributes"):
        cx.ipa(DF, attributes=ATTRS, importance=[1, 2])
    with pytest.raises(cx.InvalidArgumentError, match="no value for 'app'"):
        cx.ipa(DF, attributes=ATTRS, importance={"price": 1, "speed": 2, "staff": 3})
    with pytest.raises(cx.InvalidArgumentError, match="unknown column 'nope'"):
        cx.ipa(DF, attributes=["price", "nope"], importance=[1, 2])
    with pytest.raises(cx.InvalidArgumentError, match="performance"):
        cx.ipa(DF, attributes=ATTRS, importance=STATED, performance="median")
    with pytest.raises(cx.InvalidArgumentError, match="importance"):
        cx.ipa(DF, attributes=ATTRS, overall="overall", importance="shapley_values")
    with pytest.raises(cx.NumericalError, match="constant driver 'c'"):
        cx.ipa(DF.assign(c=3), attributes=["price", "c"], overall="overall", importance="relative_weights")
