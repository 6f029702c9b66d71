"""BG/NBD, Gamma-Gamma and CLV (METRICS.md §4 "Customer lifetime value").

Oracles: lifetimes 0.11.3 (BetaGeoFitter, GammaGammaFitter and their predictions) on the CDNOW
sample summary (tests/data/cdnow_sample_summary.csv); the published estimates of Fader, Hardie &
Lee (2005) (r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4; p=6.25, q=3.74, gamma=15.44);
the CLV sum written out here as a loop over lifetimes' predictions; the simple CLV forms written
out; a BG/NBD population simulated here with known parameters.
"""

from __future__ import annotations

import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifetimes import BetaGeoFitter as LtBetaGeo
from lifetimes import GammaGammaFitter as LtGammaGamma

import cxkit as cx

DATA = Path(__file__).resolve().parents[1] / "data"
BG = ["r", "alpha", "a", "b"]
GG = ["p", "q", "gamma"]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_sample_summary.csv")


@pytest.fixture(scope="module")
def fits(cdnow):
    x, tx, T = cdnow["x"], cdnow["t.x"], cdnow["T.cal"]
    bgf = cx.BetaGeoFitter().fit(x, tx, T)
    lbg = LtBetaGeo().fit(x, tx, T)
    pos = cdnow[cdnow.x > 0]
    ggf = cx.GammaGammaFitter().fit(cdnow["x"], cdnow["m.x"])
    lgg = LtGammaGamma().fit(pos["x"], pos["m.x"])
    return bgf, lbg, ggf, lgg


def lifetimes_with(bgf=None, ggf=None):
    """lifetimes fitters carrying cxkit's estimates (for prediction oracles)."""
    lbg = LtBetaGeo()
    if bgf is not None:
        lbg.params_ = pd.Series([bgf.params[k] for k in BG], index=BG)
        lbg.predict = lbg.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    lgg = LtGammaGamma()
    if ggf is not None:
        lgg.params_ = pd.Series([ggf.params[k] for k in GG], index=["p", "q", "v"])
    return lbg, lgg


# ---------------------------------------------------------------------------------------------
# BG/NBD fit


def test_bgnbd_estimates_match_lifetimes_and_the_paper(cdnow, fits):
    bgf, lbg, _, _ = fits
    assert bgf.converged and bgf.message == "converged"
    assert bgf.iterations < 30
    assert bgf.gradient_norm < 1e-8
    for k in BG:
        assert bgf.params[k] == pytest.approx(lbg.params_[k], rel=1e-4)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for k, v in published.items():
        assert round(bgf.params[k], 3) == v
    assert bgf.n == len(cdnow) and bgf.n_missing == 0 and bgf.n_invalid == 0
    assert bgf.n_unique == len(cdnow[["x", "t.x", "T.cal"]].drop_duplicates())


def test_bgnbd_log_likelihood(cdnow, fits):
    bgf, lbg, _, _ = fits
    # lifetimes minimises the mean negative log-likelihood with times scaled by s = 1 / max T;
    # scaling times and alpha by s multiplies each L by s^-x, so LL = LL_scaled + log(s) Σx.
    s = 1.0 / cdnow["T.cal"].max()
    assert lbg._scale == pytest.approx(s)
    ll_lifetimes = -lbg._negative_log_likelihood_ * len(cdnow) + math.log(s) * cdnow["x"].sum()
    assert bgf.log_likelihood == pytest.approx(ll_lifetimes, rel=1e-8)
    assert round(bgf.log_likelihood, 1) == -9582.4  # Fader, Hardie & Lee (2005)


def test_bgnbd_log_likelihood_written_out(cdnow, fits):
    from scipy.special import betaln, gammaln

    bgf = fits[0]
    r, al, a, b = (bgf.params[k] for k in BG)
    x, tx, T = cdnow["x"].to_numpy(), cdnow["t.x"].to_numpy(), cdnow["T.cal"].to_numpy()
    common = gammaln(r + x) - gammaln(r) + r * np.log(al)
    l1 = np.exp(betaln(a, b + x) - betaln(a, b) + common - (r + x) * np.log(al + T))
    l2 = np.where(x > 0, np.exp(betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) + common - (r + x) * np.log(al + tx)), 0)
    assert bgf.log_likelihood == pytest.approx(np.log(l1 + l2).sum(), rel=1e-12)


def test_bgnbd_standard_errors_and_summary(fits):
    bgf, lbg, _, _ = fits
    se = lbg.summary["se(coef)"]
    for k in BG:
        assert bgf.standard_errors[k] == pytest.approx(se[k], rel=1e-3)
    s = bgf.summary
    assert list(s.columns) == ["coef", "se", "lower 95%", "upper 95%"]
    assert list(s.index) == BG
    z = 1.959963984540054
    np.testing.assert_allclose(s["lower 95%"], s["coef"] - z * s["se"], rtol=1e-14)
    np.testing.assert_allclose(np.sqrt(np.diag(bgf.covariance.to_numpy())), s["se"], rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# BG/NBD predictions against lifetimes with the same parameters


def test_bgnbd_predictions_match_lifetimes(cdnow, fits):
    bgf = fits[0]
    lbg, _ = lifetimes_with(bgf)
    x, tx, T = cdnow["x"], cdnow["t.x"], cdnow["T.cal"]
    t = np.array([0.5, 1.0, 10.0, 39.0, 52.0, 78.0])
    np.testing.assert_allclose(bgf.expected_transactions(t), lbg.expected_number_of_purchases_up_to_time(t), rtol=1e-10)
    for h in [1.0, 10.0, 39.0, 52.0]:
        np.testing.assert_allclose(
            bgf.conditional_expected_transactions(h, x, tx, T),
            lbg.conditional_expected_number_of_purchases_up_to_time(h, x, tx, T), rtol=1e-10)
    np.testing.assert_allclose(bgf.probability_alive(x, tx, T), lbg.conditional_probability_alive(x, tx, T), rtol=1e-12)
    for h in [1.0, 10.0, 39.0]:
        for n in range(0, 8):
            assert bgf.probability_of_purchases(h, n) == pytest.approx(
                lbg.probability_of_n_purchases_up_to_time(h, n), rel=1e-10)


def test_probability_of_purchases_sums_to_one(fits):
    bgf = fits[0]
    p = bgf.probability_of_purchases(39.0, np.arange(0, 400))
    assert p.sum() == pytest.approx(1.0, abs=1e-10)
    # and its mean is E[X(t)]
    assert (np.arange(0, 400) * p).sum() == pytest.approx(bgf.expected_transactions(39.0), rel=1e-8)


def test_predictions_shapes_and_types(cdnow, fits):
    bgf = fits[0]
    assert isinstance(bgf.expected_transactions(39), float)
    assert isinstance(bgf.probability_alive(2, 30.43, 38.86), float)
    assert isinstance(bgf.conditional_expected_transactions(39, 2, 30.43, 38.86), float)
    out = bgf.probability_alive(cdnow["x"], cdnow["t.x"], cdnow["T.cal"])
    assert isinstance(out, np.ndarray) and out.shape == (len(cdnow),)
    # broadcasting: one t for many customers, many t for one customer
    many_t = bgf.conditional_expected_transactions([10, 20, 30], 2, 30.43, 38.86)
    assert many_t.shape == (3,) and np.all(np.diff(many_t) > 0)
    assert bgf.probability_of_purchases([1, 10], 0).shape == (2,)
    # empty input: empty output
    assert bgf.probability_alive([], [], []).shape == (0,)
    assert bgf.expected_transactions(np.array([])).shape == (0,)
    # missing input: NaN output
    got = bgf.probability_alive([2, np.nan], [30.0, 1.0], [38.0, 38.0])
    assert math.isfinite(got[0]) and math.isnan(got[1])


def test_predictions_stay_finite_for_large_frequency_and_age(fits):
    bgf = fits[0]
    lbg, _ = lifetimes_with(bgf)
    x, T = 1e4, 1e6
    tx = T - 1.0
    for t in [1.0, 52.0, 1e3, 1e6]:
        v = bgf.conditional_expected_transactions(t, x, tx, T)
        assert math.isfinite(v) and v >= 0
    # a customer whose last purchase is long ago is dead: P(alive) underflows to 0, not NaN
    assert bgf.probability_alive(x, T / 2, T) == 0.0
    assert 0 < bgf.probability_alive(x, tx, T) <= 1
    for t in [1e3, 1e6, 1e9]:
        assert math.isfinite(bgf.expected_transactions(t))
    # large-t values against lifetimes (scipy's hyp2f1) where it is accurate
    for t in [200.0, 1e3, 1e4]:
        assert bgf.expected_transactions(t) == pytest.approx(lbg.expected_number_of_purchases_up_to_time(t), rel=1e-8)
    assert math.isfinite(bgf.probability_of_purchases(1e6, 1e4))
    # moderate x and T where lifetimes is still accurate
    v = bgf.conditional_expected_transactions(52.0, 300, 990.0, 1000.0)
    assert v == pytest.approx(lbg.conditional_expected_number_of_purchases_up_to_time(52.0, 300, 990.0, 1000.0), rel=1e-9)


def test_fit_with_large_frequency_and_age_is_finite(cdnow):
    x = np.append(cdnow["x"].to_numpy(float), 1e4)
    tx = np.append(cdnow["t.x"].to_numpy(), 1e6 - 3)
    T = np.append(cdnow["T.cal"].to_numpy(), 1e6)
    bgf = cx.BetaGeoFitter().fit(x, tx, T)
    assert bgf.converged
    assert all(math.isfinite(v) for v in bgf.params.values())
    assert math.isfinite(bgf.log_likelihood)


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma


def test_gamma_gamma_matches_lifetimes_and_the_paper(cdnow, fits):
    _, _, ggf, lgg = fits
    assert ggf.converged
    for k, lk in zip(GG, ["p", "q", "v"]):
        assert ggf.params[k] == pytest.approx(lgg.params_[lk], rel=1e-4)
    assert round(ggf.params["p"], 2) == 6.25 and round(ggf.params["q"], 2) == 3.74 and round(ggf.params["gamma"], 2) == 15.44
    pos = cdnow[cdnow.x > 0]
    assert ggf.n == len(pos) and ggf.n_excluded_zero == (cdnow.x == 0).sum() == 1411
    assert ggf.n + ggf.n_excluded_zero + ggf.n_missing + ggf.n_invalid == len(cdnow)
    assert ggf.log_likelihood == pytest.approx(-lgg._negative_log_likelihood_ * len(pos), rel=1e-8)
    se = lgg.summary["se(coef)"]
    for k, lk in zip(GG, ["p", "q", "v"]):
        assert ggf.standard_errors[k] == pytest.approx(se[lk], rel=1e-3)
    r = np.corrcoef(pos["x"], pos["m.x"])[0, 1]
    assert ggf.frequency_spend_correlation == pytest.approx(r, rel=1e-12)
    assert ggf.correlation_warning is False


def test_gamma_gamma_conditional_expected_value(cdnow, fits):
    ggf = fits[2]
    _, lgg = lifetimes_with(ggf=ggf)
    got = ggf.conditional_expected_value(cdnow["x"], cdnow["m.x"])
    want = lgg.conditional_expected_average_profit(cdnow["x"], cdnow["m.x"])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    p, q, g = (ggf.params[k] for k in GG)
    assert ggf.conditional_expected_value(0, 0.0) == pytest.approx(g * p / (q - 1), rel=1e-14)
    # METRICS.md form written out
    x, m = 3.0, 40.0
    want = (q - 1) / (p * x + q - 1) * g * p / (q - 1) + p * x / (p * x + q - 1) * m
    assert ggf.conditional_expected_value(x, m) == pytest.approx(want, rel=1e-14)
    # a repeat buyer whose purchases were worth 0 is shrunk towards the population mean
    assert ggf.conditional_expected_value(2, 0.0) == pytest.approx(g * p / (2 * p + q - 1), rel=1e-14)
    with pytest.raises(cx.InvalidInputError, match=r"row 1: monetary_value=-5"):
        ggf.conditional_expected_value([1, 2], [10.0, -5.0])


def test_gamma_gamma_correlation_warning():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 10, 500).astype(float)
    m = 5.0 * x + rng.gamma(5.0, 2.0, 500)  # spend grows with frequency
    with pytest.warns(UserWarning, match="correlated"):
        ggf = cx.GammaGammaFitter().fit(x, m)
    assert ggf.frequency_spend_correlation == pytest.approx(np.corrcoef(x, m)[0, 1], rel=1e-12)
    assert isinstance(ggf.correlation_warning, str) and "0.3" in ggf.correlation_warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = cx.GammaGammaFitter(correlation_threshold=0.99).fit(x, m)
    assert quiet.correlation_warning is False


def test_gamma_gamma_bad_input():
    with pytest.raises(cx.InvalidInputError, match=r"row 1.*monetary_value=-3"):
        cx.GammaGammaFitter().fit([1, 2, 3], [10.0, -3.0, 5.0])
    with pytest.raises(cx.InvalidInputError, match=r"row 2.*frequency=1.5"):
        cx.GammaGammaFitter().fit([1, 2, 1.5], [10.0, 3.0, 5.0])
    with pytest.raises(cx.InvalidArgumentError, match="nothing to fit"):
        cx.GammaGammaFitter().fit([0, 0], [0.0, 0.0])
    rng = np.random.default_rng(3)
    x = np.r_[rng.integers(1, 6, 300).astype(float), -1.0, np.nan, 0.0]
    m = np.r_[rng.gamma(6.0, 5.0, 300), 10.0, 10.0, 0.0]
    ggf = cx.GammaGammaFitter().fit(x, m, on_invalid="drop")
    assert (ggf.n, ggf.n_invalid, ggf.n_missing, ggf.n_excluded_zero) == (300, 1, 1, 1)


# ---------------------------------------------------------------------------------------------
# CLV


def clv_oracle(lbg, lgg, x, tx, T, m, months, d, period_days):
    """METRICS.md: Σ_m E[M] (E[X(m)] − E[X(m−1)]) / (1+d)^m, lifetimes' predictions in a loop."""
    em = lgg.conditional_expected_average_profit(x, m).to_numpy()
    per_month = 30.0 / period_days
    total = np.zeros(len(x))
    prev = np.zeros(len(x))
    for k in range(1, months + 1):
        cur = np.asarray(lbg.conditional_expected_number_of_purchases_up_to_time(k * per_month, x, tx, T))
        total += em * (cur - prev) / (1 + d) ** k
        prev = cur
    return total


@pytest.mark.parametrize("months,d,period_days", [(12, 0.01, 7), (24, 0.0, 7), (6, 0.05, 1), (12, 0.01, 30 / 4.345)])
def test_customer_lifetime_value(cdnow, fits, months, d, period_days):
    bgf, _, ggf, _ = fits
    lbg, lgg = lifetimes_with(bgf, ggf)
    x, tx, T, m = cdnow["x"], cdnow["t.x"], cdnow["T.cal"], cdnow["m.x"]
    got = cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, months=months, discount_rate=d, period_days=period_days)
    want = clv_oracle(lbg, lgg, x, tx, T, m, months, d, period_days)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_customer_lifetime_value_agrees_with_lifetimes_weekly_months(cdnow, fits):
    # lifetimes' own CLV counts 4.345 weeks in a month: period_days = 30 / 4.345 is the same sum.
    bgf, _, ggf, _ = fits
    lbg, lgg = lifetimes_with(bgf, ggf)
    x, tx, T, m = cdnow["x"], cdnow["t.x"], cdnow["T.cal"], cdnow["m.x"]
    want = lgg.customer_lifetime_value(lbg, x, tx, T, m, time=12, discount_rate=0.01, freq="W").to_numpy()
    got = cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, period_days=30 / 4.345)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_customer_lifetime_value_inputs(cdnow, fits):
    bgf, _, ggf, _ = fits
    out = cx.customer_lifetime_value(bgf, ggf, "x", "t.x", "T.cal", "m.x", data=cdnow)
    assert out.shape == (len(cdnow),) and np.all(out >= 0)
    got = cx.customer_lifetime_value(bgf, ggf, [2, np.nan], [30.0, 1.0], [38.0, 38.0], [20.0, 5.0])
    assert math.isfinite(got[0]) and math.isnan(got[1])
    assert cx.customer_lifetime_value(bgf, ggf, [], [], [], []).shape == (0,)
    with pytest.raises(cx.InvalidInputError, match=r"row 0.*recency=40"):
        cx.customer_lifetime_value(bgf, ggf, [2], [40.0], [38.0], [20.0])
    # every invalid row is counted in the message; predictions have no rows to drop, so no hint to
    with pytest.raises(cx.InvalidInputError, match=r"row 1: frequency=2, recency=40.*2 invalid rows in total$"):
        cx.customer_lifetime_value(bgf, ggf, [1, 2, 3], [10.0, 40.0, 5.0], [38.0, 38.0, 38.0], [20.0, 20.0, -1.0])
    with pytest.raises(cx.InvalidArgumentError, match="not fitted"):
        cx.customer_lifetime_value(cx.BetaGeoFitter(), ggf, [2], [30.0], [38.0], [20.0])


def test_clv_simple_forms():
    assert cx.clv_simple(120.0, 3.5) == 420.0
    np.testing.assert_allclose(cx.clv_simple([100.0, 50.0], [2.0, 4.0]), [200.0, 200.0])
    margin, r, d = np.array([100.0, 80.0, 10.0]), np.array([0.8, 0.5, 0.0]), 0.1
    want = np.array([100 * 0.8 / (1 + 0.1 - 0.8), 80 * 0.5 / (1 + 0.1 - 0.5), 0.0])
    np.testing.assert_allclose(cx.clv_retention(margin, r, d), want, rtol=1e-15)
    assert isinstance(cx.clv_retention(100.0, 0.8, 0.1), float)
    with pytest.raises(cx.InvalidInputError, match=r"retention_rate at position 1 is 1\.0"):
        cx.clv_retention(100.0, [0.5, 1.0], 0.1)
    with pytest.raises(cx.InvalidInputError, match=r"retention_rate is -0\.1"):
        cx.clv_retention(100.0, -0.1, 0.1)
    with pytest.raises(cx.InvalidInputError, match=r"discount_rate is -1\.0"):
        cx.clv_retention(100.0, 0.5, -1.0)
    with pytest.raises(cx.InvalidInputError, match="lifetime"):
        cx.clv_simple(100.0, -1.0)


# ---------------------------------------------------------------------------------------------
# Weights, aggregation, simulation


def test_duplicated_rows_equal_weight_two(cdnow):
    x, tx, T, m = (cdnow[c].to_numpy(float) for c in ["x", "t.x", "T.cal", "m.x"])
    k = np.arange(len(x)) % 3 == 0
    w = np.where(k, 2.0, 1.0)
    dup = np.r_[np.arange(len(x)), np.flatnonzero(k)]
    a = cx.BetaGeoFitter().fit(x, tx, T, weights=w)
    b = cx.BetaGeoFitter().fit(x[dup], tx[dup], T[dup])
    for key in BG:
        assert a.params[key] == pytest.approx(b.params[key], rel=1e-8)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-10)
    ga = cx.GammaGammaFitter().fit(x, m, weights=w)
    gb = cx.GammaGammaFitter().fit(x[dup], m[dup])
    for key in GG:
        assert ga.params[key] == pytest.approx(gb.params[key], rel=1e-8)
    # zero weights: the row counts in n but contributes nothing
    z = cx.BetaGeoFitter().fit(np.r_[x, 5.0], np.r_[tx, 1.0], np.r_[T, 30.0], weights=np.r_[np.ones(len(x)), 0.0])
    assert z.n == len(x) + 1
    assert z.params == cx.BetaGeoFitter().fit(x, tx, T).params


def test_weights_match_lifetimes(cdnow):
    g = cdnow.groupby(["x", "t.x", "T.cal"]).size().reset_index(name="w")
    bgf = cx.BetaGeoFitter().fit(g["x"], g["t.x"], g["T.cal"], weights=g["w"])
    lbg = LtBetaGeo().fit(g["x"], g["t.x"], g["T.cal"], weights=g["w"])
    for k in BG:
        assert bgf.params[k] == pytest.approx(lbg.params_[k], rel=1e-4)
    assert bgf.n_unique == len(g)


@given(seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(seed):
    d = pd.read_csv(DATA / "cdnow_sample_summary.csv")
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(d))
    a = cx.BetaGeoFitter().fit(d["x"], d["t.x"], d["T.cal"])
    b = cx.BetaGeoFitter().fit(d["x"].to_numpy()[idx], d["t.x"].to_numpy()[idx], d["T.cal"].to_numpy()[idx])
    assert a.params == b.params and a.log_likelihood == b.log_likelihood


@given(weights=st.lists(st.integers(0, 3), min_size=300, max_size=300))
def test_integer_weights_equal_repeated_rows(weights):
    d = pd.read_csv(DATA / "cdnow_sample_summary.csv").iloc[:300]
    w = np.asarray(weights, dtype=float)
    if (w * (d["x"] > 0)).sum() < 20 or w.sum() < 60:
        return  # too few repeat buyers for a well-defined maximum
    rep = np.repeat(np.arange(300), np.asarray(weights))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = cx.BetaGeoFitter().fit(d["x"], d["t.x"], d["T.cal"], weights=w)
        b = cx.BetaGeoFitter().fit(d["x"].to_numpy()[rep], d["t.x"].to_numpy()[rep], d["T.cal"].to_numpy()[rep])
    assert a.params == b.params  # the aggregated data are identical
    assert a.n == 300 and b.n == len(rep)


def simulate_bgnbd(n, r, alpha, a, b, seed):
    """The BG/NBD story: Poisson purchases at rate λ ~ Gamma(r, α); after each repeat purchase the
    customer drops out with probability p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    T = rng.integers(26 * 7, 52 * 7 + 1, n) / 7.0
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        inside = now[idx] <= T[idx]
        alive[idx[~inside]] = False
        idx = idx[inside]
        x[idx] += 1
        tx[idx] = now[idx]
        alive[idx[rng.random(idx.size) < p[idx]]] = False
    return x, tx, T


def test_fit_recovers_simulated_parameters():
    true = {"r": 0.5, "alpha": 6.0, "a": 1.2, "b": 3.0}
    x, tx, T = simulate_bgnbd(20_000, *true.values(), seed=20240501)
    bgf = cx.BetaGeoFitter().fit(x, tx, T)
    assert bgf.converged
    for k, v in true.items():
        assert abs(bgf.params[k] - v) < 3 * bgf.standard_errors[k], (k, bgf.params[k], v, bgf.standard_errors[k])
    # and lifetimes agrees on the same data
    lbg = LtBetaGeo().fit(x, tx, T)
    for k in BG:
        assert bgf.params[k] == pytest.approx(lbg.params_[k], rel=1e-4)


# ---------------------------------------------------------------------------------------------
# Bad input, unfitted use, pickling


@pytest.mark.parametrize(
    "x,tx,T,pattern",
    [
        ([1, -1, 2], [1.0, 0.0, 3.0], [10.0, 10.0, 10.0], r"row 1: frequency=-1.*frequency: a whole number"),
        ([1, 1.5, 2], [1.0, 1.0, 3.0], [10.0, 10.0, 10.0], r"row 1: frequency=1.5"),
        ([1, 2, 2], [1.0, -2.0, 3.0], [10.0, 10.0, 10.0], r"row 1: .*recency=-2.*\[0, T\]"),
        ([1, 2, 2], [1.0, 12.0, 3.0], [10.0, 10.0, 10.0], r"row 1: .*recency=12, T=10"),
        ([1, 2, 0], [1.0, 2.0, 0.0], [10.0, 10.0, 0.0], r"row 2: .*T=0 .*T: a finite number > 0"),
        ([1, 0, 2], [1.0, 3.0, 3.0], [10.0, 10.0, 10.0], r"row 1: .*recency: 0 when frequency is 0"),
    ],
)
def test_bgnbd_invalid_rows_raise(x, tx, T, pattern):
    with pytest.raises(cx.InvalidInputError, match=pattern):
        cx.BetaGeoFitter().fit(x, tx, T)
    with pytest.raises(ValueError):
        cx.BetaGeoFitter().fit(x, tx, T)


def test_bgnbd_drop_and_missing_are_counted(cdnow):
    x, tx, T = (cdnow[c].to_numpy(float) for c in ["x", "t.x", "T.cal"])
    bad_x = np.r_[x, -1.0, 2.0, np.nan, 1.0]
    bad_tx = np.r_[tx, 0.0, 50.0, 1.0, np.nan]
    bad_T = np.r_[T, 10.0, 40.0, 30.0, 20.0]
    bgf = cx.BetaGeoFitter().fit(bad_x, bad_tx, bad_T, on_invalid="drop")
    assert (bgf.n, bgf.n_invalid, bgf.n_missing) == (len(x), 2, 2)
    assert bgf.n + bgf.n_invalid + bgf.n_missing == len(bad_x)
    ref = cx.BetaGeoFitter().fit(x, tx, T)
    assert bgf.params == ref.params
    # pandas nullable input: <NA> is missing
    s = pd.Series(np.r_[x, 1], dtype="Int64")
    s.iloc[-1] = pd.NA
    nb = cx.BetaGeoFitter().fit(s, np.r_[tx, 1.0], np.r_[T, 5.0])
    assert nb.n_missing == 1 and nb.params == ref.params


def test_bgnbd_weights_and_empty_input(cdnow):
    with pytest.raises(cx.InvalidInputError, match=r"row 1.*weight=-1"):
        cx.BetaGeoFitter().fit([1, 2], [1.0, 2.0], [10.0, 10.0], weights=[1.0, -1.0])
    with pytest.raises(cx.InvalidInputError, match=r"row 0.*weight=nan"):
        cx.BetaGeoFitter().fit([1, 2], [1.0, 2.0], [10.0, 10.0], weights=[np.nan, 1.0])
    with pytest.raises(cx.InvalidArgumentError, match="nothing to fit"):
        cx.BetaGeoFitter().fit([], [], [])
    with pytest.raises(cx.InvalidArgumentError, match="nothing to fit"):
        cx.BetaGeoFitter().fit([np.nan], [1.0], [2.0])
    with pytest.raises(cx.InvalidArgumentError, match="recency has 1 values"):
        cx.BetaGeoFitter().fit([1, 2], [1.0], [10.0, 10.0])


def test_unfitted_use_raises_and_pickle_and_repr(fits, cdnow):
    b = cx.BetaGeoFitter()
    assert "not fitted" in repr(b)
    with pytest.raises(cx.InvalidArgumentError, match="BetaGeoFitter is not fitted"):
        b.probability_alive(1, 1.0, 2.0)
    with pytest.raises(cx.InvalidArgumentError, match="GammaGammaFitter is not fitted"):
        cx.GammaGammaFitter().conditional_expected_value(1, 2.0)
    bgf, _, ggf, _ = fits
    for f in (bgf, ggf):
        g = pickle.loads(pickle.dumps(f))
        assert g.params == f.params and g.log_likelihood == f.log_likelihood and g.converged == f.converged
        pd.testing.assert_frame_equal(g.summary, f.summary)
    g = pickle.loads(pickle.dumps(bgf))
    np.testing.assert_array_equal(g.probability_alive(cdnow["x"], cdnow["t.x"], cdnow["T.cal"]),
                                  bgf.probability_alive(cdnow["x"], cdnow["t.x"], cdnow["T.cal"]))
    r = repr(bgf)
    assert "BetaGeoFitter" in r and "r=0.242595" in r and "converged=True" in r


def test_non_convergence_is_reported_not_silent(cdnow):
    with pytest.warns(RuntimeWarning, match="did not converge"):
        bgf = cx.BetaGeoFitter().fit(cdnow["x"], cdnow["t.x"], cdnow["T.cal"], max_iterations=2)
    assert bgf.converged is False and "iteration limit" in bgf.message
    assert all(math.isfinite(v) for v in bgf.params.values())


@pytest.mark.parametrize(
    "x, tx, T",
    [
        ([0, 2, 1, 4], [0, 30.0, 10.0, 35.0], [38, 39, 40, 39]),  # a and b run off towards 0
        ([1, 1, 1], [5.0, 6.0, 7.0], [10.0, 10.0, 10.0]),  # r and alpha run off towards infinity
        ([0, 0, 3], [0, 0, 9.0], [10, 10, 10]),  # b runs off towards infinity
    ],
)
def test_a_likelihood_without_interior_maximum_is_not_converged(x, tx, T):
    # Tiny data: the gradient vanishes as a parameter runs to the boundary, where the Hessian is
    # singular; the fit must say it found no maximum (the last line checks the run-off itself).
    with pytest.warns(RuntimeWarning, match="no interior maximum"):
        bgf = cx.BetaGeoFitter().fit(x, tx, T)
    assert bgf.converged is False
    assert all(math.isfinite(v) and v > 0 for v in bgf.params.values())
    p = np.array([bgf.params[k] for k in ("r", "alpha", "a", "b")])
    assert p.max() > 1e6 or p.min() < 1e-6


def test_data_frame_columns_and_polars(cdnow):
    import polars as pl

    a = cx.BetaGeoFitter().fit("x", "t.x", "T.cal", data=cdnow)
    b = cx.BetaGeoFitter().fit("x", "t.x", "T.cal", data=pl.from_pandas(cdnow))
    assert a.params == b.params
    g = cx.GammaGammaFitter().fit("x", "m.x", data=cdnow)
    assert g.n_excluded_zero == 1411


def test_penalizer_shrinks_parameters(cdnow):
    plain = cx.BetaGeoFitter().fit(cdnow["x"], cdnow["t.x"], cdnow["T.cal"])
    pen = cx.BetaGeoFitter(penalizer=0.01).fit(cdnow["x"], cdnow["t.x"], cdnow["T.cal"])
    assert pen.converged
    assert sum(v * v for v in pen.params.values()) < sum(v * v for v in plain.params.values())
    assert pen.log_likelihood < plain.log_likelihood
    with pytest.raises(cx.InvalidArgumentError, match="penalizer"):
        cx.BetaGeoFitter(penalizer=-1.0)


def test_customer_lifetime_value_threads_give_the_same_values():
    x, tx, T = simulate_bgnbd(300_000, 0.3, 5.0, 0.9, 2.5, seed=5)
    m = np.where(x > 0, np.random.default_rng(6).gamma(6.0, 5.0, len(x)), 0.0)
    bgf = cx.BetaGeoFitter().fit(x, tx, T)
    ggf = cx.GammaGammaFitter().fit(x, m)
    one = cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, threads=1)
    two = cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, threads=2)
    np.testing.assert_array_equal(one, two)
    lbg, lgg = lifetimes_with(bgf, ggf)
    k = np.arange(0, len(x), 997)
    want = clv_oracle(lbg, lgg, pd.Series(x[k]), pd.Series(tx[k]), pd.Series(T[k]), pd.Series(m[k]), 12, 0.01, 7)
    np.testing.assert_allclose(one[k], want, rtol=1e-10)
    with pytest.raises(cx.InvalidArgumentError, match="threads"):
        cx.customer_lifetime_value(bgf, ggf, x, tx, T, m, threads=-1)


def test_predictions_at_a_equal_one_are_finite_and_continuous():
    # (a+b+x-1)/(a-1) and the bracket are both singular at a = 1; their product is smooth in a.
    # Oracle: lifetimes on both sides of a = 1 (the mean of a = 1 ± 1e-4 is the value at 1 to O(1e-8)).
    b = cx.BetaGeoFitter()
    b.params = {"r": 0.25, "alpha": 4.0, "a": 1.0, "b": 2.5}
    sides = []
    for a in (1 - 1e-4, 1 + 1e-4):
        lbg = LtBetaGeo()
        lbg.params_ = pd.Series([0.25, 4.0, a, 2.5], index=BG)
        sides.append((float(lbg.expected_number_of_purchases_up_to_time(10.0)),
                      float(np.ravel(lbg.conditional_expected_number_of_purchases_up_to_time(10.0, 2, 5.0, 10.0))[0])))
    want_e = 0.5 * (sides[0][0] + sides[1][0])
    want_c = 0.5 * (sides[0][1] + sides[1][1])
    assert b.expected_transactions(10.0) == pytest.approx(want_e, rel=1e-6)
    assert b.conditional_expected_transactions(10.0, 2, 5.0, 10.0) == pytest.approx(want_c, rel=1e-6)


def test_no_repeat_purchases_is_not_a_converged_fit():
    with pytest.warns(RuntimeWarning, match="not identified"):
        bgf = cx.BetaGeoFitter().fit([0, 0, 0], [0.0, 0.0, 0.0], [10.0, 20.0, 30.0])
    assert bgf.converged is False
    assert all(math.isfinite(v) for v in bgf.params.values())


def test_docstring_examples_run():
    # The examples fit the full CDNOW log shipped with cxkit (cxkit.datasets); they must run as
    # written and print what they show, without a warning.
    import doctest

    import cxkit.clv

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no example may warn (non-convergence, correlation)
        for t in finder.find(cxkit.clv, globs={}):
            if t.examples:
                runner.run(t, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 20
    assert result.failed == 0, "".join(report)
