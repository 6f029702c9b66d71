"""Complaints and feedback (API.md "Ratings, index, feedback"; METRICS.md §2).

Oracles: scipy.stats.binomtest (p-value, exact interval), S and Var S by the double loop and the
tie formula written out, scipy.stats.kendalltau, the brute-force median of all pair slopes (numpy),
scipy.stats.theilslopes, pymannkendall, pandas value_counts / groupby for Pareto tables, and the
control-limit formulas written out. Every bad-input class of ARCHITECTURE §3 is exercised.
"""

from __future__ import annotations

import contextlib
import doctest
import inspect
import io
import math
import pickle

import cxkit as cx
import cxkit.feedback
import numpy as np
import pandas as pd
import pytest
from cxkit import _core
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

try:
    import pymannkendall as pymk
except ImportError:  # pragma: no cover
    pymk = None
try:
    import polars as pl
except ImportError:  # pragma: no cover
    pl = None

NS_PER_DAY = 86_400 * 10**9

# --------------------------------------------------------------------------------------------------
# oracles


def brute_s(x, t):
    x, t = np.asarray(x, float), np.asarray(t, float)
    return int((np.sign(x[None, :] - x[:, None]) * np.sign(t[None, :] - t[:, None]))[np.triu_indices(len(x), 1)].sum())


def brute_var(x, t):
    """Kendall (1970) eq. 4.3; without tied times: [n(n-1)(2n+5) - sum u(u-1)(2u+5)] / 18."""
    n = len(x)
    u = np.unique(np.asarray(x, float), return_counts=True)[1].astype(float)
    v = np.unique(np.asarray(t, float), return_counts=True)[1].astype(float)
    var = (n * (n - 1) * (2 * n + 5) - (u * (u - 1) * (2 * u + 5)).sum() - (v * (v - 1) * (2 * v + 5)).sum()) / 18
    var += (u * (u - 1)).sum() * (v * (v - 1)).sum() / (2 * n * (n - 1))
    if n >= 3:
        var += (u * (u - 1) * (u - 2)).sum() * (v * (v - 1) * (v - 2)).sum() / (9 * n * (n - 1) * (n - 2))
    return var


def brute_slopes(x, t):
    x, t = np.asarray(x, float), np.asarray(t, float)
    dx = x[None, :] - x[:, None]
    dt_ = t[None, :] - t[:, None]
    return np.sort(dx[dt_ > 0] / dt_[dt_ > 0])


def brute_sen(x, t):
    d = brute_slopes(x, t)
    if d.size == 0:
        return math.nan, math.nan
    slope = float(np.median(d))
    return slope, float(np.median(np.asarray(x, float) - slope * np.asarray(t, float)))


def z_p(s, var):
    z = (s - np.sign(s)) / math.sqrt(var)
    return z, 2 * stats.norm.sf(abs(z))


def same(a, b, rel=1e-12):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == pytest.approx(b, rel=rel, abs=1e-300)


# --------------------------------------------------------------------------------------------------
# package surface

FUNCTIONS = ["pareto", "control_chart", "rate_ratio_test", "mann_kendall", "target_progress"]


def test_public_names_are_exported():
    for name in FUNCTIONS + ["TrendResult", "TargetResult"]:
        assert hasattr(cx, name) and name in cx.__all__, name
        assert ">>>" in (getattr(cx, name).__doc__ or "") or name.endswith("Result"), name


@pytest.mark.parametrize("name", FUNCTIONS)
def test_options_are_keyword_only(name):
    params = inspect.signature(getattr(cx, name)).parameters.values()
    for p in params:
        if p.name in ("weights", "threshold", "period", "on_invalid", "kind", "sigma", "confidence", "baseline",
                      "target", "deadline"):
            assert p.kind == p.KEYWORD_ONLY, (name, p.name)


def test_docstring_examples_run():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(cxkit.feedback, globs={"cx": cx}) if t.examples]
    assert len(tests) >= 5
    out: list[str] = []
    for t in tests:
        runner.run(t, out=out.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(out)


def test_results_are_frozen_picklable_and_comparable():
    r = cx.mann_kendall([3.0, 1, 4, 1, 5, 9, 2, 6])
    assert pickle.loads(pickle.dumps(r)) == r
    assert list(r.to_dict()) == list(r._fields)
    with pytest.raises(AttributeError):
        r.s = 3
    g = cx.target_progress([0, 1, 2], [5.0, 4, 3], baseline=5, target=2, deadline=4)
    assert pickle.loads(pickle.dumps(g)) == g
    assert "TargetResult(" in repr(g)


# --------------------------------------------------------------------------------------------------
# rate ratio test


RATE_CASES = [
    (30, 1000, 15, 1000), (12, 850.5, 25, 910), (0, 100, 7, 120), (9, 50, 0, 80), (5, 10, 5, 10),
    (41, 2e4, 29, 3e4), (1, 3, 2, 7), (100, 1e5, 140, 1.1e5), (3, 1, 0, 1), (250, 7000, 310, 7100),
]


@pytest.mark.parametrize("ca, na, cb, nb", RATE_CASES)
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_rate_ratio_matches_scipy_binomtest(ca, na, cb, nb, confidence):
    r = cx.rate_ratio_test(ca, na, cb, nb, confidence=confidence)
    bt = stats.binomtest(ca, ca + cb, na / (na + nb))
    ci = bt.proportion_ci(confidence_level=confidence, method="exact")

    def ratio(pi):
        return math.inf if pi >= 1 else pi / (1 - pi) * nb / na

    assert r.method == "exact_conditional_binomial"
    assert r.statistic == ca
    assert r.confidence == confidence
    assert same(r.difference, (ca / na) / (cb / nb) if cb else math.inf)
    assert r.p_value == pytest.approx(bt.pvalue, rel=1e-10)
    assert r.ci_low == pytest.approx(ratio(ci.low), rel=1e-9, abs=1e-300)
    assert same(r.ci_high, ratio(ci.high), rel=1e-9)
    expected_se = math.sqrt(1 / ca + 1 / cb) if ca and cb else math.inf
    assert same(r.std_error, expected_se)


def test_rate_ratio_many_random_cases_against_scipy():
    rng = np.random.default_rng(3)
    for _ in range(200):
        ca, cb = (int(v) for v in rng.integers(0, 60, 2))
        if ca + cb == 0:
            continue
        na, nb = (float(v) for v in rng.uniform(1, 100, 2))
        r = cx.rate_ratio_test(ca, na, cb, nb)
        assert r.p_value == pytest.approx(stats.binomtest(ca, ca + cb, na / (na + nb)).pvalue, rel=1e-9)


def test_rate_ratio_without_events_and_bad_arguments():
    r = cx.rate_ratio_test(0, 10, 0, 12)
    assert math.isnan(r.difference) and math.isnan(r.p_value) and math.isnan(r.ci_low)
    with pytest.raises(ValueError, match=r"count_a must be a non-negative integer count, got -1"):
        cx.rate_ratio_test(-1, 10, 2, 10)
    with pytest.raises(ValueError, match=r"count_b .* got 2\.5"):
        cx.rate_ratio_test(1, 10, 2.5, 10)
    with pytest.raises(ValueError, match="exposure_a must be a positive finite number, got 0"):
        cx.rate_ratio_test(1, 0, 2, 10)
    with pytest.raises(ValueError, match="exposure_b .* got inf"):
        cx.rate_ratio_test(1, 1, 2, math.inf)
    with pytest.raises(TypeError, match="count_a"):
        cx.rate_ratio_test("3", 1, 2, 1)
    with pytest.raises(TypeError, match="exposure_b"):
        cx.rate_ratio_test(3, 1, 2, True)
    with pytest.raises(ValueError, match="confidence"):
        cx.rate_ratio_test(3, 1, 2, 1, confidence=1.0)
    assert cx.rate_ratio_test(np.int64(3), np.float32(2.0), 4, 2).difference == pytest.approx(0.75)


# --------------------------------------------------------------------------------------------------
# Mann-Kendall and Sen's slope


def test_mann_kendall_definitions_on_a_small_series():
    x = [1, 2, 4, 3, 5, 6, 8, 7]
    r = cx.mann_kendall(x)
    t = np.arange(len(x))
    assert r.s == brute_s(x, t) == 24
    assert r.variance == pytest.approx(brute_var(x, t), rel=1e-14)
    z, p = z_p(r.s, r.variance)
    assert r.statistic == pytest.approx(z, rel=1e-14)
    assert r.p_value == pytest.approx(p, rel=1e-12)
    assert r.tau == pytest.approx(24 / 28)
    assert (r.slope, r.intercept) == brute_sen(x, t)
    assert r.trend == "increasing" and (r.n, r.n_missing, r.n_invalid) == (8, 0, 0)


@pytest.mark.parametrize("seed", range(6))
def test_mann_kendall_against_brute_force_and_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 400))
    x = np.round(rng.normal(0.02 * np.arange(n), 1.0), int(rng.integers(0, 2)))  # ties from rounding
    t = np.sort(rng.choice(10 * n, size=n, replace=False)).astype(float) / 7.0  # distinct, irregular
    perm = rng.permutation(n)  # times need not be sorted
    r = cx.mann_kendall(x[perm], t[perm])
    assert r.s == brute_s(x, t)
    assert r.variance == pytest.approx(brute_var(x, t), rel=1e-12)
    tau_b = stats.kendalltau(t, x).statistic  # S = tau_b sqrt((n0 - n1)(n0 - n2)), n1 = 0 (no time ties)
    n0 = n * (n - 1) / 2
    n2 = sum(c * (c - 1) / 2 for c in np.unique(x, return_counts=True)[1])
    assert r.s == pytest.approx(tau_b * math.sqrt(n0 * (n0 - n2)), abs=1e-6)
    slope, intercept = brute_sen(x, t)
    assert r.slope == slope
    assert r.intercept == pytest.approx(intercept, rel=1e-12, abs=1e-12)
    ts = stats.theilslopes(x, t, alpha=0.95, method="joint")
    assert r.slope == ts.slope
    assert r.intercept == pytest.approx(ts.intercept, rel=1e-12, abs=1e-12)
    assert r.slope_low == ts.low_slope and r.slope_high == ts.high_slope


@pytest.mark.skipif(pymk is None, reason="pymannkendall not installed")
@pytest.mark.parametrize("seed", range(4))
def test_mann_kendall_matches_pymannkendall(seed):
    rng = np.random.default_rng(100 + seed)
    n = [20, 150, 600, 1500][seed]
    x = np.round(rng.normal(0.01 * np.arange(n), 2.0))
    r = cx.mann_kendall(x, confidence=0.9)
    ref = pymk.original_test(x, alpha=0.1)
    assert r.s == ref.s
    assert r.variance == pytest.approx(ref.var_s, rel=1e-12)
    assert r.statistic == pytest.approx(ref.z, rel=1e-12, abs=1e-15)
    assert r.p_value == pytest.approx(ref.p, rel=1e-9, abs=1e-14)  # pymk: 1 - Phi(|z|) cancels
    assert r.trend == ref.trend
    assert r.slope == ref.slope == pymk.sens_slope(x).slope  # times = indices, as pyMannKendall


def test_sen_slope_selection_is_exact_on_a_large_series():
    """Above the direct-selection size (1M pairs) the randomized selection runs: same as brute force."""
    rng = np.random.default_rng(8)
    n = 3000
    x = np.round(100 + 0.004 * np.arange(n) + rng.normal(0, 3, n))
    t = np.arange(n) / 30.0
    r = cx.mann_kendall(x, t)
    d = brute_slopes(x, t)
    assert r.slope == np.median(d)
    ts = stats.theilslopes(x, t, method="joint")
    assert (r.slope_low, r.slope_high) == (ts.low_slope, ts.high_slope)


@given(
    st.lists(st.integers(-3, 3), min_size=0, max_size=40),
    st.lists(st.integers(0, 12), min_size=40, max_size=40),
    st.integers(0, 2**32),
    st.integers(1, 50),
)
def test_s_and_slope_against_brute_force_with_ties(values, times, seed, window):
    x = np.array(values, dtype=float)
    t = np.array(times[: len(values)], dtype=float) / 4.0
    r = cx.mann_kendall(x, t)
    assert r.n == len(x)
    if len(x) >= 2:
        assert r.s == brute_s(x, t)
        assert r.variance == pytest.approx(brute_var(x, t), rel=1e-12, abs=1e-12)
    slope, intercept = brute_sen(x, t)
    assert same(r.slope, slope)
    assert same(r.intercept, intercept) or r.intercept == pytest.approx(intercept, rel=1e-12, abs=1e-12)
    # the randomized selection with tiny windows (every fallback path) gives the same slope
    forced = _core.mann_kendall(x, t, max_direct_pairs=0, window_pairs=window)
    assert same(forced.slope, slope)
    assert same(forced.slope_low, r.slope_low) and same(forced.slope_high, r.slope_high)


def test_mann_kendall_trend_decision_and_degenerate_series():
    down = cx.mann_kendall([5, 4, 4, 3, 2, 2, 1, 0])
    assert down.trend == "decreasing" and down.s < 0
    assert cx.mann_kendall([1, 2, 4, 3, 5], confidence=0.95).trend == "no trend"  # |Z| = 1.71
    assert cx.mann_kendall([1, 2, 4, 3, 5], confidence=0.90).trend == "increasing"
    flat = cx.mann_kendall([2.0] * 6)
    assert flat.variance == 0 and math.isnan(flat.statistic) and flat.trend == "no trend" and flat.slope == 0.0
    empty = cx.mann_kendall([])
    assert (empty.n, empty.n_missing, empty.n_invalid, empty.s) == (0, 0, 0, 0)
    assert math.isnan(empty.p_value) and math.isnan(empty.slope) and math.isnan(empty.intercept)
    one = cx.mann_kendall([3.0])
    assert math.isnan(one.slope) and one.n == 1
    same_time = cx.mann_kendall([1.0, 5.0, 2.0], [4, 4, 4])
    assert math.isnan(same_time.slope) and same_time.s == 0


def test_mann_kendall_datetimes_slope_per_day_and_intercept_at_epoch():
    rng = np.random.default_rng(4)
    days = np.sort(rng.choice(900, 60, replace=False))
    when = pd.Timestamp("2023-03-01") + pd.to_timedelta(days, unit="D") + pd.to_timedelta(
        rng.integers(0, 86_400, 60), unit="s")
    x = np.round(50 - 0.02 * days + rng.normal(0, 1, 60), 1)
    r = cx.mann_kendall(x, when)
    ns = when.to_numpy().astype("datetime64[ns]").astype(np.int64)
    t_rel = (ns - ns.min()).astype(float) / NS_PER_DAY  # days since the first time
    slope, intercept_rel = brute_sen(x, t_rel)
    assert r.slope == slope
    origin_days = ns.min() / NS_PER_DAY
    assert r.intercept == pytest.approx(intercept_rel - slope * origin_days, rel=1e-9)
    # the same series as ISO strings, as tz-aware times (shifted to UTC) and as Polars datetimes
    iso = [w.isoformat() for w in when]
    assert cx.mann_kendall(x, iso).slope == slope
    aware = pd.Series(when).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
    assert cx.mann_kendall(x, aware).slope == slope
    if pl is not None:
        assert cx.mann_kendall(pl.Series(x), pl.Series(when)).slope == slope


def test_mann_kendall_large_epoch_times_keep_precision():
    base = np.datetime64("2024-06-01T00:00:00", "ns")
    offsets = np.arange(0, 500) * 37  # seconds apart
    times = base + offsets.astype("timedelta64[s]")
    x = 0.001 * offsets + np.sin(offsets)
    r = cx.mann_kendall(x, times)
    slope, _ = brute_sen(x, offsets / 86_400.0)
    assert r.slope == pytest.approx(slope, rel=1e-12)


# ---- bad input ------------------------------------------------------------------------------------


def test_mann_kendall_missing_values_and_times_are_skipped_and_counted():
    x = [1.0, None, 3.0, np.nan, 5.0, 4.0, 7.0]
    r = cx.mann_kendall(x)
    assert (r.n, r.n_missing, r.n_invalid) == (5, 2, 0)
    kept = np.array([1.0, 3.0, 5.0, 4.0, 7.0])
    pos = np.array([0, 2, 4, 5, 6], dtype=float)  # missing values keep their positions
    assert r.s == brute_s(kept, pos) and r.slope == brute_sen(kept, pos)[0]
    nullable = cx.mann_kendall(pd.array([1, None, 3, 5], dtype="Int64"))
    assert (nullable.n, nullable.n_missing) == (3, 1)
    times = pd.Series([pd.Timestamp("2024-01-01"), pd.NaT, pd.Timestamp("2024-01-03"), None])
    r = cx.mann_kendall([1.0, 2.0, 3.0, 4.0], times)
    assert (r.n, r.n_missing, r.n_invalid) == (2, 2, 0)
    assert r.slope == 1.0


def test_mann_kendall_invalid_rows_raise_naming_position_and_value_or_are_dropped():
    x = [1.0, 2.0, np.inf, 4.0, -np.inf, 6.0]
    with pytest.raises(cx.InvalidInputError, match=r"invalid value at position 2: inf .*2 invalid rows"):
        cx.mann_kendall(x)
    r = cx.mann_kendall(x, on_invalid="drop")
    assert (r.n, r.n_missing, r.n_invalid) == (4, 0, 2)
    assert r.n + r.n_missing + r.n_invalid == len(x)
    t = [0.0, 1.0, 2.0, np.inf, 4.0]
    with pytest.raises(ValueError, match=r"invalid time at position 3: inf"):
        cx.mann_kendall([1, 2, 3, 4, 5], t)
    bad_dates = ["2024-01-01", "2024-01-02", "not a date", "2024-01-04"]
    with pytest.raises(ValueError, match=r"invalid time at position 2: 'not a date' \(not a date/time\)"):
        cx.mann_kendall([1, 2, 3, 4], bad_dates)
    r = cx.mann_kendall([1, 2, 3, 4], bad_dates, on_invalid="drop")
    assert (r.n, r.n_invalid) == (3, 1) and r.slope == 1.0
    with pytest.raises(ValueError, match="on_invalid"):
        cx.mann_kendall([1, 2], on_invalid="ignore")


def test_mann_kendall_argument_errors_name_the_argument():
    with pytest.raises(ValueError, match="times has 2 values but values has 3"):
        cx.mann_kendall([1, 2, 3], [1, 2])
    with pytest.raises(TypeError, match="values"):
        cx.mann_kendall(["a", "b"])
    with pytest.raises(TypeError, match="values"):
        cx.mann_kendall(np.array([True, False]))
    with pytest.raises(ValueError, match="confidence"):
        cx.mann_kendall([1, 2, 3], confidence=0)


# --------------------------------------------------------------------------------------------------
# target progress


def test_target_progress_definitions():
    t = [0, 1, 2, 3, 4]
    x = [10.0, 9.6, 9.5, 9.0, 8.9]
    r = cx.target_progress(t, x, baseline=10.0, target=8.0, deadline=6)
    slope, intercept = brute_sen(x, t)
    assert r.current == 8.9
    assert r.progress == pytest.approx((8.9 - 10.0) / (8.0 - 10.0))
    assert (r.slope, r.intercept) == (slope, intercept)
    assert r.projected == pytest.approx(intercept + slope * 6)
    assert r.on_track == (intercept + slope * 6 <= 8.0)
    assert (r.baseline, r.target, r.deadline, r.n) == (10.0, 8.0, 6.0, 5)


def test_target_progress_clipping_direction_and_latest_value():
    up = cx.target_progress([0, 1, 2], [50, 55, 70], baseline=50, target=60, deadline=3)
    assert up.progress == 1.0 and up.on_track
    worse = cx.target_progress([0, 1, 2], [50, 48, 45], baseline=50, target=60, deadline=3)
    assert worse.progress == 0.0 and not worse.on_track
    tied_latest = cx.target_progress([3, 1, 3, 2], [4.0, 9.0, 6.0, 7.0], baseline=10, target=5, deadline=4)
    assert tied_latest.current == 5.0


def test_target_progress_with_datetimes():
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    rate = [10.0, 9.7, 9.5, 9.1, 8.8, 8.7]
    r = cx.target_progress(months, rate, baseline=10.0, target=8.0, deadline="2024-09-01")
    t_rel = (months - months[0]).days.to_numpy().astype(float)
    slope, intercept_rel = brute_sen(rate, t_rel)
    deadline_rel = (pd.Timestamp("2024-09-01") - months[0]).days
    assert r.slope == slope  # per day
    assert r.projected == pytest.approx(intercept_rel + slope * deadline_rel)
    assert r.deadline == pytest.approx(pd.Timestamp("2024-09-01").value / NS_PER_DAY)  # days since 1970
    assert r.current == 8.7
    aware = cx.target_progress(months.tz_localize("UTC"), rate, baseline=10.0, target=8.0,
                               deadline=pd.Timestamp("2024-09-01 02:00", tz="Europe/Paris"))
    assert aware.projected == pytest.approx(r.projected)
    with pytest.raises(TypeError, match="deadline"):
        cx.target_progress(months, rate, baseline=10.0, target=8.0, deadline=40)
    with pytest.raises(TypeError, match="deadline"):
        cx.target_progress([0, 1], [1.0, 2.0], baseline=1, target=2, deadline="2024-01-01")
    with pytest.raises(ValueError, match="deadline"):
        cx.target_progress(months, rate, baseline=10.0, target=8.0, deadline="soon")


def test_target_progress_bad_input():
    with pytest.raises(ValueError, match="target must differ from baseline"):
        cx.target_progress([0, 1], [1.0, 2.0], baseline=2, target=2, deadline=3)
    with pytest.raises(ValueError, match="baseline must be a finite number"):
        cx.target_progress([0, 1], [1.0, 2.0], baseline=math.nan, target=2, deadline=3)
    with pytest.raises(ValueError, match="values has 2 values but times has 3|times has 3 values"):
        cx.target_progress([0, 1, 2], [1.0, 2.0], baseline=1, target=2, deadline=3)
    x = [1.0, np.nan, np.inf, 2.0]
    with pytest.raises(cx.InvalidInputError, match="invalid value at position 2: inf"):
        cx.target_progress([0, 1, 2, 3], x, baseline=1, target=2, deadline=3)
    r = cx.target_progress([0, 1, 2, 3], x, baseline=1, target=2, deadline=3, on_invalid="drop")
    assert (r.n, r.n_missing, r.n_invalid) == (2, 1, 1)
    e = cx.target_progress([], [], baseline=1, target=2, deadline=3)
    assert math.isnan(e.current) and math.isnan(e.projected) and not e.on_track and e.n == 0


# --------------------------------------------------------------------------------------------------
# Pareto


def pareto_oracle(cats, weights=None, threshold=0.8):
    s = pd.Series(cats, dtype=object)
    keep = s.notna()
    if weights is None:
        counts = s[keep].value_counts()
    else:
        counts = pd.Series(np.asarray(weights, float)[keep.to_numpy()], index=s[keep]).groupby(level=0).sum()
    table = pd.DataFrame({"count": counts})
    table["name"] = table.index
    table = table.sort_values(["count", "name"], ascending=[False, True], kind="mergesort").drop(columns="name")
    total = table["count"].sum()
    table["share"] = table["count"] / total
    table["cumulative_share"] = table["count"].cumsum() / total
    reached = (table["cumulative_share"] >= threshold).to_numpy()
    first = int(np.argmax(reached)) if reached.any() else len(table) - 1
    table["vital_few"] = np.arange(len(table)) <= first
    return table


def test_pareto_matches_pandas_value_counts():
    rng = np.random.default_rng(1)
    names = np.array(["late delivery", "damaged", "wrong item", "billing", "rude agent", "refund", "other"])
    cats = names[np.minimum(rng.geometric(0.35, 5000) - 1, len(names) - 1)]
    t = cx.pareto(cats)
    ref = pareto_oracle(cats)
    assert t.index.tolist() == ref.index.tolist()
    assert t.index.name == "category"
    np.testing.assert_array_equal(t["count"].to_numpy(), ref["count"].to_numpy())
    assert t["count"].dtype == np.int64
    np.testing.assert_allclose(t["share"], ref["share"], rtol=1e-15)
    np.testing.assert_allclose(t["cumulative_share"], ref["cumulative_share"], rtol=1e-12)
    np.testing.assert_array_equal(t["vital_few"], ref["vital_few"])
    assert t["cumulative_share"].iloc[-1] == 1.0
    assert t.attrs == {"n": 5000, "n_missing": 0, "n_invalid": 0, "threshold": 0.8}


def test_pareto_ties_by_name_threshold_and_frame_input():
    cats = ["b", "a", "c", "b", "a", "d"]
    t = cx.pareto(pd.DataFrame({"reason": cats}), "reason", threshold=0.5)
    assert t.index.tolist() == ["a", "b", "c", "d"] and t.index.name == "reason"
    assert t["vital_few"].tolist() == [True, True, False, False]  # 2/6, 4/6 >= 0.5
    assert cx.pareto(cats, threshold=1.0)["vital_few"].all()
    with pytest.raises(ValueError, match="threshold"):
        cx.pareto(cats, threshold=0)
    with pytest.raises(ValueError, match="threshold"):
        cx.pareto(cats, threshold=1.5)


def test_pareto_weighted_counts_and_rows():
    rng = np.random.default_rng(2)
    cats = rng.choice(["x", "y", "z"], 300)
    w = rng.gamma(2.0, 1.0, 300)
    t = cx.pareto(pd.DataFrame({"c": cats, "w": w}), "c", weights="w")
    ref = pareto_oracle(cats, w)
    assert t.index.tolist() == ref.index.tolist()
    np.testing.assert_allclose(t["count"], ref["count"], rtol=1e-12)
    assert t["n"].tolist() == [int((cats == c).sum()) for c in t.index]
    np.testing.assert_array_equal(t["vital_few"], ref["vital_few"])


def test_pareto_categorical_numbers_and_polars():
    cat = pd.Categorical(["low", "high", "mid", "high"], categories=["low", "mid", "high", "unused"])
    t = cx.pareto(cat)
    assert t.index.tolist() == ["high", "low", "mid"]  # ties (1, 1) in category order; unused left out
    nums = cx.pareto(np.array([3, 1, 3, 2, 1, 3]))
    assert nums.index.tolist() == [3, 1, 2] and nums["count"].tolist() == [3, 2, 1]
    floats = cx.pareto([1.5, np.nan, 1.5, 2.5])
    assert floats.index.tolist() == [1.5, 2.5] and floats.attrs["n_missing"] == 1
    if pl is not None:
        p = cx.pareto(pl.DataFrame({"c": ["a", None, "b", "a"]}), "c")
        assert p.index.tolist() == ["a", "b"] and p.attrs["n_missing"] == 1


def test_pareto_per_period_follows_shares_over_time():
    df = pd.DataFrame({
        "month": ["2024-01"] * 6 + ["2024-02"] * 4 + [None],
        "reason": ["late", "late", "late", "damaged", "billing", "late", "damaged", "damaged", "late", "billing",
                   "late"],
    })
    t = cx.pareto(df, "reason", period="month")
    assert t.index.names == ["month", "reason"]
    assert t.attrs["n"] == 10 and t.attrs["n_missing"] == 1
    for month, grp in df.dropna().groupby("month"):
        ref = pareto_oracle(grp["reason"].to_numpy())
        sub = t.loc[month]
        got = sub[sub["count"] > 0]
        assert got.index.tolist() == ref.index.tolist()
        np.testing.assert_allclose(got["share"], ref["share"], rtol=1e-15)
        assert set(sub.index) == {"late", "damaged", "billing"}  # every category in every period
    shares = t["share"].unstack()
    assert shares.loc["2024-02", "damaged"] == 0.5


def test_pareto_bad_input():
    with pytest.raises(cx.InvalidInputError, match=r"invalid weight at position 1: -1 .*2 invalid rows"):
        cx.pareto(["a", "b", "a", "c"], weights=[1.0, -1.0, np.nan, 2.0])
    t = cx.pareto(["a", "b", "a", "c"], weights=[1.0, -1.0, np.nan, 2.0], on_invalid="drop")
    assert (t.attrs["n"], t.attrs["n_missing"], t.attrs["n_invalid"]) == (2, 0, 2)
    assert t.index.tolist() == ["c", "a"]
    missing = cx.pareto(["a", None, np.nan, "b", pd.NA])
    assert (missing.attrs["n"], missing.attrs["n_missing"]) == (2, 3)
    assert sum(missing.attrs[k] for k in ("n", "n_missing", "n_invalid")) == 5
    empty = cx.pareto([])
    assert len(empty) == 0 and empty.attrs["n"] == 0
    all_missing = cx.pareto([None, None])
    assert len(all_missing) == 0 and all_missing.attrs["n_missing"] == 2
    with pytest.raises(ValueError, match="weights has 2 values but the data has 3"):
        cx.pareto(["a", "b", "c"], weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="period has 2 values but the data has 3"):
        cx.pareto(["a", "b", "c"], period=["x", "y"])
    with pytest.raises(ValueError, match="category"):
        cx.pareto(pd.DataFrame({"c": ["a"]}))
    with pytest.raises(ValueError, match="category: unknown column 'nope'"):
        cx.pareto(pd.DataFrame({"c": ["a"]}), "nope")
    with pytest.raises(ValueError, match="category"):
        cx.pareto(["a"], "c")
    unhashable = np.empty(2, dtype=object)
    unhashable[0], unhashable[1] = [1], [2]
    with pytest.raises(TypeError, match="category"):
        cx.pareto(unhashable)
    with pytest.raises(ValueError, match="category: expected a 1-D array"):
        cx.pareto(np.array([["a"], ["b"]]))
    with pytest.raises(TypeError, match="weights"):
        cx.pareto(["a", "b"], weights=["x", "y"])


# --------------------------------------------------------------------------------------------------
# control charts


def u_oracle(c, n, sigma=3.0):
    c, n = np.asarray(c, float), np.asarray(n, float)
    u = c.sum() / n.sum()
    half = sigma * np.sqrt(u / n)
    return u, c / n, np.maximum(0, u - half), u + half


def test_u_chart_matches_the_formulas_and_keeps_the_index():
    rng = np.random.default_rng(5)
    months = pd.period_range("2024-01", periods=12, freq="M")
    orders = rng.integers(15_000, 30_000, 12)
    complaints = rng.poisson(orders / 1000 * 4.0)
    complaints[7] *= 2
    cc = cx.control_chart(pd.Series(complaints, index=months), orders / 1000)
    u, rate, lo, hi = u_oracle(complaints, orders / 1000)
    assert cc.index.equals(months)
    assert cc.attrs["center"] == pytest.approx(u, rel=1e-15)
    np.testing.assert_allclose(cc["rate"], rate, rtol=1e-15)
    np.testing.assert_allclose(cc["center"], u, rtol=1e-15)
    np.testing.assert_allclose(cc["lower"], lo, rtol=1e-13)
    np.testing.assert_allclose(cc["upper"], hi, rtol=1e-13)
    np.testing.assert_array_equal(cc["out_of_control"], (rate > hi) | (rate < lo))
    assert cc["out_of_control"].dtype == bool and cc["out_of_control"].iloc[7]
    assert list(cc.columns) == ["rate", "center", "lower", "upper", "out_of_control"]


def test_p_chart_matches_the_formulas():
    c = np.array([4, 2, 11, 1, 0])
    n = np.array([50, 40, 45, 3, 20])
    cc = cx.control_chart(c, n, kind="p", sigma=2.0)
    p = c.sum() / n.sum()
    half = 2.0 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(cc["lower"], np.maximum(0, p - half), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(cc["upper"], np.minimum(1, p + half), rtol=1e-13)
    assert cc["out_of_control"].tolist() == [False, False, True, False, False]


def test_control_chart_bad_input():
    c = [5, None, -1, 4, 6]
    n = [10, 10, 10, 0, 10]
    with pytest.raises(cx.InvalidInputError, match=r"invalid count at position 2: -1 .*2 invalid rows"):
        cx.control_chart(c, n)
    cc = cx.control_chart(c, n, on_invalid="drop")
    assert (cc.attrs["n"], cc.attrs["n_missing"], cc.attrs["n_invalid"]) == (2, 1, 2)
    assert cc.attrs["center"] == 11 / 20
    assert cc["rate"].isna().tolist() == [False, True, True, True, False]
    assert not cc["out_of_control"].iloc[1:4].any()
    with pytest.raises(ValueError, match=r"invalid exposure at position 0: -3"):
        cx.control_chart([1, 2], [-3, 4])
    with pytest.raises(ValueError, match="expected at most the exposure"):
        cx.control_chart([5, 12], [10, 10], kind="p")
    empty = cx.control_chart([], [])
    assert len(empty) == 0 and math.isnan(empty.attrs["center"]) and empty.attrs["n"] == 0
    with pytest.raises(ValueError, match="exposure has 1 values but counts has 2"):
        cx.control_chart([1, 2], [3])
    with pytest.raises(TypeError, match="counts"):
        cx.control_chart(["a", "b"], [1, 2])
    with pytest.raises(ValueError, match='kind must be "u" or "p"'):
        cx.control_chart([1], [1], kind="c")
    with pytest.raises(ValueError, match="sigma"):
        cx.control_chart([1], [1], sigma=0)
    nullable = cx.control_chart(pd.array([1, None, 3], dtype="Int64"), [2.0, 2.0, 2.0])
    assert nullable.attrs["n_missing"] == 1 and nullable.attrs["center"] == 1.0


# --------------------------------------------------------------------------------------------------
# the complaints demo, recomputed with pandas


def test_complaints_demo_agrees_with_a_pandas_recomputation(tmp_path, capsys):
    from cxkit._demo_complaints import GOAL_CUT, GOAL_MONTH, GOAL_MONTHS, complaints_demo

    tables = complaints_demo(out_dir=str(tmp_path))
    printed = capsys.readouterr().out
    for heading in ("Pareto of complaint reasons", "u chart", "Mann-Kendall", "rate-ratio test", "Target"):
        assert heading in printed
    assert set(tables) == {"complaints", "monthly", "pareto", "pareto_by_quarter", "control_chart", "trend",
                           "rate_ratio", "target"}
    for name, frame in tables.items():
        back = pd.read_csv(tmp_path / f"{name}.csv", index_col=0)
        assert len(back) == len(frame), name
    log, monthly = tables["complaints"], tables["monthly"]

    # monthly counts and rates
    counts = log.groupby("month").size()
    assert monthly["complaints"].tolist() == counts.reindex(monthly.index, fill_value=0).tolist()
    rate = 1000.0 * monthly["complaints"] / monthly["orders"]
    np.testing.assert_allclose(monthly["per_1000_orders"], rate, rtol=1e-15)

    # Pareto: value_counts sorted by count then name; missing reasons counted
    ref = pareto_oracle(log["reason"].to_numpy(dtype=object))
    p = tables["pareto"]
    assert p.index.tolist() == ref.index.tolist()
    assert p["count"].tolist() == ref["count"].tolist()
    assert p["vital_few"].tolist() == ref["vital_few"].tolist()
    assert p.attrs["n_missing"] == int(log["reason"].isna().sum()) > 0
    q = tables["pareto_by_quarter"]
    for quarter, grp in log.dropna(subset=["reason"]).groupby("quarter"):
        vc = grp["reason"].value_counts()
        assert q.loc[quarter, "count"].loc[vc.index].tolist() == vc.tolist()

    # u chart from the formula
    _, r, lo, hi = u_oracle(monthly["complaints"], monthly["orders"] / 1000.0)
    cc = tables["control_chart"]
    np.testing.assert_allclose(cc["rate"], r, rtol=1e-14)
    np.testing.assert_allclose(cc["upper"], hi, rtol=1e-13)
    np.testing.assert_allclose(cc["lower"], lo, rtol=1e-13)
    np.testing.assert_array_equal(cc["out_of_control"], (r > hi) | (r < lo))
    assert cc["out_of_control"].any()  # the August spike

    # trend: S and Sen's slope per month by brute force
    months = np.arange(len(monthly), dtype=float)
    trend = tables["trend"].iloc[0]
    assert trend["s"] == brute_s(rate, months)
    slope, intercept = brute_sen(rate.to_numpy(), months)
    assert trend["slope"] == slope and trend["intercept"] == pytest.approx(intercept)
    assert trend["trend"] == "decreasing"

    # rate ratio: last month vs the one before, against scipy
    last, prev = monthly.iloc[-1], monthly.iloc[-2]
    bt = stats.binomtest(int(last["complaints"]), int(last["complaints"] + prev["complaints"]),
                         last["orders"] / (last["orders"] + prev["orders"]))
    rr = tables["rate_ratio"].iloc[0]
    assert rr["p_value"] == pytest.approx(bt.pvalue, rel=1e-10)
    assert rr["difference"] == pytest.approx((last["complaints"] / last["orders"]) / (prev["complaints"] / prev["orders"]))

    # target: -20% of October's rate within 3 months
    goal = tables["target"].iloc[0]
    baseline = rate.iloc[GOAL_MONTH]
    target = (1 - GOAL_CUT) * baseline
    assert goal["baseline"] == baseline and goal["target"] == pytest.approx(target)
    assert goal["current"] == rate.iloc[-1]
    assert goal["progress"] == pytest.approx(min(1, max(0, (rate.iloc[-1] - baseline) / (target - baseline))))
    assert goal["projected"] == pytest.approx(intercept + slope * (GOAL_MONTH + GOAL_MONTHS))
    assert bool(goal["on_track"]) == (goal["projected"] <= target)


def test_complaints_demo_is_reproducible_and_quiet():
    from cxkit._demo_complaints import complaints_demo

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        a = complaints_demo(quiet=True)
    assert buf.getvalue() == ""
    b = complaints_demo(quiet=True)
    pd.testing.assert_frame_equal(a["pareto"], b["pareto"])
    pd.testing.assert_frame_equal(a["control_chart"], b["control_chart"])
