"""cx.key_drivers and cx.DriverAccumulator against independent oracles (METRICS.md §3 "Key drivers").

Oracles: statsmodels WLS (R², standardised coefficients), numpy least squares over every subset
(brute-force Shapley, permutation-free subset formula written out here), Johnson's relative weights
recomputed with numpy.linalg.eigh, numpy weighted means/covariances; hypothesis for the merge laws.
"""

from __future__ import annotations

import itertools
import math
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

import cxkit as cx

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "golden"


def make_frame(n=800, p=5, seed=0, weighted=True):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, p))
    x = z.copy()
    x[:, 1:] += 0.6 * z[:, :-1]  # correlated drivers
    x = x * np.arange(1, p + 1) + 10 * np.arange(p)  # different scales and locations
    b = np.array([0.5, -0.3, 0.8, 0.1, 0.4, 0.2, -0.6, 0.3][:p]) / np.arange(1, p + 1)
    y = x @ b + rng.normal(scale=1.0, size=n)
    df = pd.DataFrame(x, columns=[f"d{j}" for j in range(p)])
    df.insert(0, "overall", y)
    if weighted:
        df["w"] = rng.uniform(0.2, 3.0, size=n)
    return df


def weighted_corr(X, w):
    c = np.cov(X, rowvar=False, aweights=w, ddof=0)
    s = np.sqrt(np.diag(c))
    return c / np.outer(s, s)


def lstsq_r2(y, X, w):
    """R² of a weighted least-squares fit with an intercept (numpy lstsq on sqrt(w)-scaled rows)."""
    sw = np.sqrt(w)
    A = np.column_stack([np.ones(len(y)), X]) * sw[:, None]
    coef, *_ = np.linalg.lstsq(A, y * sw, rcond=None)
    resid = y * sw - A @ coef
    ybar = np.average(y, weights=w)
    return 1.0 - resid @ resid / np.sum(w * (y - ybar) ** 2)


def brute_shapley(y, X, w):
    p = X.shape[1]
    r2 = {}
    for s in range(p + 1):
        for S in itertools.combinations(range(p), s):
            r2[S] = lstsq_r2(y, X[:, list(S)], w) if S else 0.0
    phi = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for s in range(p):
            weight = math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p)
            for S in itertools.combinations(others, s):
                phi[j] += weight * (r2[tuple(sorted(S + (j,)))] - r2[S])
    return phi, r2


def johnson(R):
    """Johnson (2000) relative weights from a correlation matrix (target first)."""
    Rxx, rxy = R[1:, 1:], R[1:, 0]
    lam, V = np.linalg.eigh(Rxx)
    L = V @ np.diag(np.sqrt(lam)) @ V.T
    beta_star = np.linalg.solve(L, rxy)
    return (L**2) @ (beta_star**2)


DRIVERS = [f"d{j}" for j in range(5)]


# --------------------------------------------------------------------------------------------------
# estimates


def test_ols_matches_statsmodels_wls():
    df = make_frame(seed=1)
    kd = cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w", method="ols")
    X = sm.add_constant(df[DRIVERS].to_numpy())
    fit = sm.WLS(df["overall"].to_numpy(), X, weights=df["w"].to_numpy()).fit()
    assert kd.attrs["r_squared"] == pytest.approx(fit.rsquared, rel=1e-11)
    w = df["w"].to_numpy()
    sd = lambda v: np.sqrt(np.cov(v, aweights=w, ddof=0))  # noqa: E731
    std_beta = fit.params[1:] * np.array([sd(df[c]) for c in DRIVERS]) / sd(df["overall"])
    np.testing.assert_allclose(kd["beta"].to_numpy(), std_beta, rtol=1e-10)
    np.testing.assert_array_equal(kd["sign"].to_numpy(), np.sign(fit.params[1:]).astype(int))
    R = weighted_corr(df[["overall"] + DRIVERS].to_numpy(), w)
    np.testing.assert_allclose(kd["correlation"].to_numpy(), R[0, 1:], rtol=1e-12)
    np.testing.assert_allclose(kd["weight"].to_numpy(), std_beta * R[0, 1:], rtol=1e-9, atol=1e-13)
    assert kd["weight"].sum() == pytest.approx(fit.rsquared, rel=1e-11)


def test_unweighted_ols_matches_statsmodels_ols():
    df = make_frame(seed=2, weighted=False)
    kd = cx.key_drivers(df, target="overall", drivers=DRIVERS, method="ols")
    fit = sm.OLS(df["overall"].to_numpy(), sm.add_constant(df[DRIVERS].to_numpy())).fit()
    assert kd.attrs["r_squared"] == pytest.approx(fit.rsquared, rel=1e-11)
    assert kd.attrs["sum_weights"] == len(df)


def test_relative_weights_match_johnson_with_eigh():
    df = make_frame(seed=3)
    kd = cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w")
    R = weighted_corr(df[["overall"] + DRIVERS].to_numpy(), df["w"].to_numpy())
    eps = johnson(R)
    np.testing.assert_allclose(kd["weight"].to_numpy(), eps, rtol=1e-10)
    np.testing.assert_allclose(kd["rescaled"].to_numpy(), 100 * eps / eps.sum(), rtol=1e-10)
    assert kd["rescaled"].sum() == pytest.approx(100.0, rel=1e-12)
    assert kd.attrs["method"] == "relative_weights"


@pytest.mark.parametrize("weighted", [False, True])
def test_shapley_matches_brute_force_lstsq_over_all_subsets(weighted):
    df = make_frame(n=600, p=6, seed=4, weighted=weighted)
    drivers = [f"d{j}" for j in range(6)]
    w = df["w"].to_numpy() if weighted else np.ones(len(df))
    phi, r2 = brute_shapley(df["overall"].to_numpy(), df[drivers].to_numpy(), w)
    kd = cx.key_drivers(df, target="overall", drivers=drivers, weights="w" if weighted else None, method="shapley")
    np.testing.assert_allclose(kd["weight"].to_numpy(), phi, rtol=0, atol=1e-12)
    assert kd.attrs["r_squared"] == pytest.approx(r2[tuple(range(6))], abs=1e-12)
    # The subset R² exposed for checks agree with every fitted subset.
    acc = cx.DriverAccumulator(7)
    acc.add(df[["overall"] + drivers], weights=w)
    all_r2 = acc._all_subset_r_squared()
    for S, v in r2.items():
        mask = sum(1 << j for j in S)
        assert all_r2[mask] == pytest.approx(v, abs=1e-12)
        assert acc._subset_r_squared([j + 1 for j in S]) == pytest.approx(v, abs=1e-12)


def test_scale_invariance_and_weight_normalisation():
    df = make_frame(seed=5)
    other = df.copy()
    other["d2"] = other["d2"] * 1000 - 3
    other["overall"] = other["overall"] / 7 + 100
    other["w"] = other["w"] * 13
    for method in ("relative_weights", "shapley", "ols"):
        a = cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w", method=method)
        b = cx.key_drivers(other, target="overall", drivers=DRIVERS, weights="w", method=method)
        np.testing.assert_allclose(a["weight"], b["weight"], atol=1e-11)


def test_numpy_array_input_and_polars():
    df = make_frame(seed=6, weighted=False)
    arr = df[["overall"] + DRIVERS].to_numpy()
    a = cx.key_drivers(arr, target=0, drivers=[1, 2, 3, 4, 5], method="shapley")
    b = cx.key_drivers(df, target="overall", drivers=DRIVERS, method="shapley")
    np.testing.assert_allclose(a["weight"].to_numpy(), b["weight"].to_numpy(), rtol=1e-13)
    import polars as pl  # installed in the test environment (an optional extra of cxkit)

    c = cx.key_drivers(pl.from_pandas(df), target="overall", drivers=DRIVERS, method="shapley")
    np.testing.assert_allclose(c["weight"].to_numpy(), b["weight"].to_numpy(), rtol=1e-13)


# --------------------------------------------------------------------------------------------------
# bad input


def test_missing_values_are_dropped_listwise_and_counted():
    df = make_frame(n=300, seed=7)
    df.loc[[3, 10], "d1"] = np.nan
    df.loc[[10, 20], "overall"] = np.nan
    df["d4"] = df["d4"].astype("Float64")
    df.loc[30, "d4"] = pd.NA
    kd = cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w", method="ols")
    assert kd.attrs["n_missing"] == 4
    assert kd.attrs["n"] == 296
    complete = df.drop(index=[3, 10, 20, 30])
    fit = sm.WLS(complete["overall"].to_numpy(float), sm.add_constant(complete[DRIVERS].to_numpy(float)),
                 weights=complete["w"].to_numpy()).fit()
    assert kd.attrs["r_squared"] == pytest.approx(fit.rsquared, rel=1e-11)


def test_invalid_rows_raise_naming_position_or_are_dropped():
    df = make_frame(n=100, seed=8)
    df.loc[5, "d2"] = np.inf
    df.loc[9, "w"] = -1.0
    df.loc[12, "d0"] = np.nan
    with pytest.raises(cx.InvalidInputError) as e:
        cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w")
    msg = str(e.value)
    assert "row 5" in msg and "'d2'" in msg and "inf" in msg and "2 invalid rows" in msg
    assert isinstance(e.value, ValueError)
    kd = cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w", on_invalid="drop")
    a = kd.attrs
    assert (a["n"], a["n_missing"], a["n_invalid"]) == (97, 1, 2)
    assert a["n"] + a["n_missing"] + a["n_invalid"] == len(df)
    df.loc[5, "d2"] = 1.0
    with pytest.raises(cx.InvalidInputError, match="invalid weight at row 9: -1"):
        cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w")


def test_empty_input_gives_nan_and_zero_counts():
    df = pd.DataFrame({"overall": [], "a": [], "b": []}, dtype=float)
    kd = cx.key_drivers(df, target="overall", drivers=["a", "b"])
    assert kd.attrs["n"] == 0 and kd.attrs["n_missing"] == 0
    assert np.isnan(kd.attrs["r_squared"]) and kd["weight"].isna().all()
    all_missing = pd.DataFrame({"overall": [1.0, np.nan], "a": [np.nan, 2.0], "b": [1.0, 2.0]})
    kd = cx.key_drivers(all_missing, target="overall", drivers=["a", "b"])
    assert (kd.attrs["n"], kd.attrs["n_missing"]) == (0, 2)


def test_argument_errors_name_the_argument():
    df = make_frame(n=50, seed=9)
    with pytest.raises(cx.InvalidArgumentError, match="unknown column 'nope'"):
        cx.key_drivers(df, target="overall", drivers=["d0", "nope"])
    with pytest.raises(cx.InvalidArgumentError, match="target and a driver"):
        cx.key_drivers(df, target="overall", drivers=["d0", "overall"])
    with pytest.raises(cx.InvalidArgumentError, match="appears twice"):
        cx.key_drivers(df, target="overall", drivers=["d0", "d0"])
    with pytest.raises(cx.InvalidArgumentError, match="method"):
        cx.key_drivers(df, target="overall", drivers=["d0"], method="lmg")
    with pytest.raises(cx.InvalidArgumentError, match="weights has 3 values"):
        cx.key_drivers(df, target="overall", drivers=["d0"], weights=[1, 2, 3])
    with pytest.raises(cx.InvalidArgumentError, match="bootstrap"):
        cx.key_drivers(df, target="overall", drivers=["d0"], bootstrap=1)
    with pytest.raises(cx.InvalidArgumentError, match="confidence"):
        cx.key_drivers(df, target="overall", drivers=["d0"], bootstrap=10, confidence=1.5)


def test_constant_and_collinear_drivers_are_named():
    df = make_frame(n=200, seed=10)
    const = df.assign(d3=4.0)
    with pytest.raises(cx.NumericalError, match="constant driver 'd3'"):
        cx.key_drivers(const, target="overall", drivers=DRIVERS)
    coll = df.assign(d4=2 * df["d0"] - df["d1"] + 5)
    for method in ("relative_weights", "shapley", "ols"):
        with pytest.raises(cx.NumericalError) as e:
            cx.key_drivers(coll, target="overall", drivers=DRIVERS, method=method)
        msg = str(e.value)
        assert "collinear" in msg and "'d0'" in msg and "'d1'" in msg and "'d4'" in msg
        assert "'d2'" not in msg and "'d3'" not in msg
    with pytest.raises(cx.NumericalError, match="target 'overall' is constant"):
        cx.key_drivers(df.assign(overall=1.0), target="overall", drivers=DRIVERS)


def test_shapley_refuses_more_than_20_drivers():
    rng = np.random.default_rng(11)
    df = pd.DataFrame(rng.normal(size=(60, 22)), columns=["y"] + [f"x{j}" for j in range(21)])
    with pytest.raises(cx.InvalidArgumentError) as e:
        cx.key_drivers(df, target="y", drivers=[f"x{j}" for j in range(21)], method="shapley")
    assert "limit is 20" in str(e.value) and "2^p subsets" in str(e.value) and "21 drivers" in str(e.value)
    kd = cx.key_drivers(df, target="y", drivers=[f"x{j}" for j in range(21)])
    assert kd["rescaled"].sum() == pytest.approx(100.0)


# --------------------------------------------------------------------------------------------------
# bootstrap


def test_bootstrap_is_reproducible_and_thread_independent():
    df = make_frame(n=300, seed=12)
    kw = dict(target="overall", drivers=DRIVERS, weights="w", method="shapley", bootstrap=100, seed=7)
    a = cx.key_drivers(df, threads=1, **kw)
    b = cx.key_drivers(df, threads=2, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert (a["weight_lo"] <= a["weight"]).all() and (a["weight"] <= a["weight_hi"]).all()
    assert a.attrs["seed"] == 7 and a.attrs["n_boot_valid"] == 100
    c = cx.key_drivers(df, **{**kw, "seed": 8})
    assert not np.array_equal(a["weight_lo"].to_numpy(), c["weight_lo"].to_numpy())
    d = cx.key_drivers(df, **{**kw, "seed": None})
    assert isinstance(d.attrs["seed"], int)
    e = cx.key_drivers(df, **{**kw, "seed": d.attrs["seed"]})
    pd.testing.assert_frame_equal(d, e)


def test_bootstrap_interval_against_a_numpy_resampling_of_the_same_draws():
    """With 2 replicates the percentile interval's ends lie between the two replicate weights;
    a rough plausibility check of coverage: the interval from 400 replicates contains the
    numpy relative weights of the full data."""
    df = make_frame(n=400, seed=13)
    kd = cx.key_drivers(df, target="overall", drivers=DRIVERS, weights="w", bootstrap=400, seed=1)
    R = weighted_corr(df[["overall"] + DRIVERS].to_numpy(), df["w"].to_numpy())
    eps = johnson(R)
    assert ((kd["weight_lo"].to_numpy() <= eps) & (eps <= kd["weight_hi"].to_numpy())).all()
    width = kd["weight_hi"] - kd["weight_lo"]
    assert (width > 0).all() and (width < 0.5).all()


# --------------------------------------------------------------------------------------------------
# the state


def test_state_moments_match_numpy():
    df = make_frame(n=500, seed=14)
    X = df[["overall"] + DRIVERS].to_numpy()
    w = df["w"].to_numpy()
    acc = cx.DriverAccumulator(6)
    acc.add(X, weights=w)
    np.testing.assert_allclose(acc.means, np.average(X, axis=0, weights=w), rtol=1e-13)
    np.testing.assert_allclose(acc.comoments, np.cov(X, rowvar=False, aweights=w, ddof=0) * w.sum(), rtol=1e-11)
    np.testing.assert_allclose(acc.correlation(), weighted_corr(X, w), rtol=1e-12, atol=1e-14)
    assert acc.sum_weights == pytest.approx(w.sum(), rel=1e-14)
    r = acc.result(method="relative_weights", names=["overall"] + DRIVERS)
    assert isinstance(r, cx.drivers.DriverResult)
    np.testing.assert_allclose(r.weight, johnson(weighted_corr(X, w)), rtol=1e-10)
    assert "DriverAccumulator(n_variables=6, n=500" in repr(acc)


def test_state_add_errors_and_corrupt_bytes():
    acc = cx.DriverAccumulator(3)
    with pytest.raises(cx.InvalidArgumentError, match="3 variables"):
        acc.add(np.ones((4, 2)))
    with pytest.raises(cx.InvalidArgumentError):
        cx.DriverAccumulator(1)
    with pytest.raises(cx.InvalidArgumentError, match="cannot merge"):
        cx.DriverAccumulator(3) + cx.DriverAccumulator(4)
    acc.add(np.arange(12.0).reshape(4, 3) ** 1.5)
    b = acc.to_bytes()
    with pytest.raises(cx.CorruptStateError, match="^corrupt state: "):
        cx.DriverAccumulator.from_bytes(b[:-3])
    with pytest.raises(cx.CorruptStateError, match="checksum"):
        cx.DriverAccumulator.from_bytes(b[:30] + bytes([b[30] ^ 1]) + b[31:])
    with pytest.raises(cx.CorruptStateError, match="expected a driver state"):
        cx.DriverAccumulator.from_bytes(cx.NpsAccumulator().to_bytes())


def test_golden_file_reads_as_documented():
    acc = cx.DriverAccumulator.from_bytes((GOLDEN / "driver_v1.bin").read_bytes())
    assert (acc.n_variables, acc.n, acc.n_missing, acc.n_invalid, acc.sum_weights) == (3, 6, 1, 2, 8.0)
    np.testing.assert_array_equal(acc.means, [3.75, 2.125, 1.625])
    np.testing.assert_array_equal(
        acc.comoments, [[5.5, 5.25, -1.75], [5.25, 8.875, 0.375], [-1.75, 0.375, 5.875]]
    )
    # Rebuilt from the documented input, the bytes are the same.
    x = np.array([[3, 1, 0], [5, 2, 1], [4, 3, 2], [6, 4, 2], [2, 0, 3], [4, 2, 1],
                  [np.nan, 1, 1], [1, np.inf, 1], [1, 1, 1]])
    w = np.array([1, 1, 4, 0, 1, 1, 1, 1, -1.0])
    again = cx.DriverAccumulator(3)
    again.add(x, weights=w, on_invalid="drop")
    assert again.to_bytes() == (GOLDEN / "driver_v1.bin").read_bytes()


# hypothesis: merge laws -----------------------------------------------------------------------------

values_st = st.one_of(st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False), st.just(math.nan))
weights_st = st.one_of(st.just(0.0), st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False))


@st.composite
def rows(draw, k=3, max_size=30):
    n = draw(st.integers(0, max_size))
    x = draw(st.lists(st.lists(values_st, min_size=k, max_size=k), min_size=n, max_size=n))
    w = draw(st.lists(weights_st, min_size=n, max_size=n))
    return np.asarray(x, dtype=float).reshape(n, k), np.asarray(w, dtype=float)


def filled(b, k=3):
    acc = cx.DriverAccumulator(k)
    acc.add(b[0], weights=b[1])
    return acc


def assert_close(a, b, rel=1e-12):
    """Counts exact; W, means and co-moments to `rel` relative (co-moment (i, j) relative to
    sqrt(C_ii C_jj), with a floor for variances that underflow near 1e-150-sized values)."""
    assert (a.n, a.n_missing, a.n_invalid) == (b.n, b.n_missing, b.n_invalid)
    assert a.sum_weights == pytest.approx(b.sum_weights, rel=rel, abs=0)
    assert np.all(np.abs(a.means - b.means) <= rel * np.abs(b.means) + 1e-300)
    d = np.sqrt(np.outer(np.diag(b.comoments), np.diag(b.comoments)))
    floor = 1e-200 + 1e-9 * float(np.max(np.abs(b.comoments), initial=0.0))
    assert np.all(np.abs(a.comoments - b.comoments) <= rel * np.maximum(d, floor))


@settings(max_examples=60, deadline=None)
@given(rows(), rows(), rows())
def test_merge_is_associative_and_commutative(a, b, c):
    A, B, C = filled(a), filled(b), filled(c)
    assert_close((A + B) + C, A + (B + C))
    assert A + B == B + A  # symmetric bit for bit


@settings(max_examples=60, deadline=None)
@given(rows())
def test_empty_state_is_identity(a):
    A = filled(a)
    assert A + cx.DriverAccumulator(3) == A
    assert cx.DriverAccumulator(3) + A == A


@settings(max_examples=60, deadline=None)
@given(rows(max_size=60), st.integers(0, 60))
def test_split_and_merge_equals_one_pass(a, cut):
    x, w = a
    cut = min(cut, len(x))
    whole = filled(a)
    parts = filled((x[:cut], w[:cut])) + filled((x[cut:], w[cut:]))
    assert_close(parts, whole)
    assert whole.n + whole.n_missing + whole.n_invalid == len(x)


@settings(max_examples=60, deadline=None)
@given(rows())
def test_bytes_and_pickle_round_trip(a):
    A = filled(a)
    assert cx.DriverAccumulator.from_bytes(A.to_bytes()) == A
    assert pickle.loads(pickle.dumps(A)) == A
    assert A.copy() == A


def test_large_split_merges_to_1e12_relative():
    df = make_frame(n=300_000, seed=15)
    X = df[["overall"] + DRIVERS].to_numpy()
    w = df["w"].to_numpy()
    whole = filled((X, w), k=6)
    parts = [filled((X[i:i + 70_001], w[i:i + 70_001]), k=6) for i in range(0, len(X), 70_001)]
    merged = parts[0]
    for p in parts[1:]:
        merged += p
    d = np.sqrt(np.outer(np.diag(whole.comoments), np.diag(whole.comoments)))
    assert np.max(np.abs(merged.comoments - whole.comoments) / d) < 1e-12
    ref = np.cov(X, rowvar=False, aweights=w, ddof=0) * w.sum()
    assert np.max(np.abs(whole.comoments - ref) / d) < 1e-12


def test_docstring_examples_run():
    import doctest

    import cxkit.drivers

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(cxkit.drivers, globs={"cx": cx}) if t.examples]
    tests.append(doctest.DocTestParser().get_doctest(cx.DriverAccumulator.__doc__, {"cx": cx}, "DriverAccumulator", None, 0))
    report: list[str] = []
    for t in tests:
        runner.run(t, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 10
    assert result.failed == 0, "".join(report)


def test_unsupported_types_and_missing_weights():
    df = make_frame(n=40, seed=16)
    with pytest.raises(cx.UnsupportedTypeError, match="drivers"):
        cx.key_drivers(df.assign(d1=["x"] * 40), target="overall", drivers=DRIVERS)
    w = pd.array(df["w"].to_numpy(), dtype="Float64")
    w[7] = pd.NA  # a missing weight is an invalid weight
    with pytest.raises(cx.InvalidInputError, match="invalid weight at row 7"):
        cx.key_drivers(df.assign(w=w), target="overall", drivers=DRIVERS, weights="w")
    kd = cx.key_drivers(df.assign(w=w), target="overall", drivers=DRIVERS, weights="w", on_invalid="drop")
    assert (kd.attrs["n"], kd.attrs["n_invalid"]) == (39, 1)
