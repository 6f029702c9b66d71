"""cx.csi: the customer satisfaction index (METRICS.md §1 CSI) from means and per respondent."""

from __future__ import annotations

import importlib

import inspect
import math
import pickle

import numpy as np
import pandas as pd
import pytest

import cxkit as cx
from conftest import z_of

CSI_FIELDS = [
    "csi", "std_error", "ci_low", "ci_high", "n", "n_missing", "n_invalid", "method", "confidence",
    "weights", "means", "scale_low", "scale_high", "n_boot", "seed",
]


# --------------------------------------------------------------------------------------------------
# oracles: the formulas written out with numpy/pandas


def csi_oracle(means, weights=None, low=1.0, high=10.0) -> float:
    """100 * sum(w_i (mean_i - L) / (U - L)) with weights normalised to sum 1 (equal if None)."""
    m = np.asarray(means, dtype=float)
    w = np.ones(len(m)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    keep = w > 0
    return float(100.0 * np.sum(w[keep] * (m[keep] - low) / (high - low)))


def respondent_oracle(x, weights=None, low=1.0, high=10.0, confidence=0.95) -> dict:
    """Per-respondent CSI with the delta-method SE from pairwise-complete covariances.

    Var(mean_i, mean_j) = n_ij * s_ij / (n_i * n_j), s_ij = pandas' pairwise-complete covariance
    (ddof 1; pairs answered together by fewer than 2 respondents contribute 0).
    """
    df = pd.DataFrame(np.asarray(x, dtype=float))
    answered = df.notna().any(axis=1)
    df = df[answered]
    k = df.shape[1]
    w = np.ones(k) / k if weights is None else np.asarray(weights, float) / np.sum(weights)
    present = df.notna().to_numpy().astype(float)
    n_i = present.sum(axis=0)
    n_ij = present.T @ present
    cov = df.cov().fillna(0.0).to_numpy()
    V = n_ij * cov / np.outer(n_i, n_i)
    means = df.mean().to_numpy()
    c = 100.0 / (high - low)
    index = csi_oracle(means, w, low, high)
    se = c * math.sqrt(w @ V @ w)
    z = z_of(confidence)
    return dict(csi=index, std_error=se, ci_low=max(0.0, index - z * se), ci_high=min(100.0, index + z * se),
                n=int(answered.sum()), n_missing=int((~answered).sum()), n_invalid=0, means=means, weights=w)


def answers(rng, n, k, missing=0.0, low=1, high=10):
    """Correlated integer answers on low..high (a respondent 'mood' shifts every item)."""
    mood = rng.normal(0, 1.2, size=(n, 1))
    x = np.clip(np.round(rng.normal(7, 1.5, size=(n, k)) + mood), low, high)
    if missing:
        x[rng.random((n, k)) < missing] = np.nan
    return x


# --------------------------------------------------------------------------------------------------
# from means


def test_acsi_published_style_example():
    # ACSI: three items on 1..10, equal weights -> 100 * mean((x - 1) / 9)
    means = (8.1, 7.9, 7.5)
    expected = 100 * np.mean((np.array(means) - 1) / 9)
    assert cx.csi(means) == pytest.approx(expected, rel=1e-14)
    assert cx.csi(means) == pytest.approx(75.925925925925, rel=1e-12)
    assert cx.csi(list(means), scale=(1, 10)) == pytest.approx(expected, rel=1e-14)
    assert isinstance(cx.csi(means), float)


@pytest.mark.parametrize("weights", [None, [0.5, 0.3, 0.2], [5, 3, 2], [2.0, 0.0, 1.0]])
@pytest.mark.parametrize("scale", [(1, 5), (1, 10), (0, 100), (-3.0, 3.0)])
def test_csi_from_means_matches_formula(rng, weights, scale):
    low, high = scale
    means = rng.uniform(low, high, size=3)
    assert cx.csi(means, weights, scale=scale) == pytest.approx(csi_oracle(means, weights, low, high), rel=1e-13)


def test_csi_from_means_accepts_mappings_and_series():
    means = {"quality": 4.2, "value": 3.6, "service": 4.8}
    w = {"value": 1, "quality": 3, "service": 0}
    expected = csi_oracle([4.2, 3.6, 4.8], [3, 1, 0], 1, 5)
    assert cx.csi(means, w, scale=(1, 5)) == pytest.approx(expected, rel=1e-14)
    assert cx.csi(pd.Series(means), pd.Series(w), scale=(1, 5)) == pytest.approx(expected, rel=1e-14)
    assert cx.csi([4.2, 3.6, 4.8], w, scale=(1, 5), attributes=["quality", "value", "service"]) == pytest.approx(
        expected, rel=1e-14
    )
    assert cx.csi(np.array([4.2, 3.6, 4.8]), {0: 3, 1: 1, 2: 0}, scale=(1, 5)) == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="unknown attribute 'price'"):
        cx.csi(means, {"price": 1, "quality": 1, "value": 1, "service": 1}, scale=(1, 5))
    with pytest.raises(ValueError, match="no weight for attribute 'service'"):
        cx.csi(means, {"quality": 1, "value": 1}, scale=(1, 5))


def test_csi_from_means_missing_and_empty():
    assert math.isnan(cx.csi([8.0, np.nan, 6.0]))
    assert math.isnan(cx.csi([8.0, None, 6.0]))
    assert cx.csi([8.0, np.nan, 6.0], [1, 0, 1]) == pytest.approx(csi_oracle([8, 0, 6], [1, 0, 1]), rel=1e-14)
    assert math.isnan(cx.csi([]))


@pytest.mark.parametrize(
    "weights, pattern",
    [
        ([1, -1, 1], "attribute 1: -1"),
        ([1, np.nan, 1], "attribute 1: nan"),
        ([1, None, 1], "attribute 1: nan"),
        ([np.inf, 1, 1], "attribute 0: inf"),
        ([0, 0, 0], "all 0"),
        ([1, 1], "weights has 2 values but there are 3 attributes"),
    ],
)
def test_csi_bad_weights_are_argument_errors_naming_the_weight(weights, pattern):
    with pytest.raises(cx.InvalidArgumentError, match=pattern):
        cx.csi([8.0, 7.0, 6.0], weights)
    x = np.array([[8, 7, 6], [9, 9, 9.0]])
    with pytest.raises(cx.InvalidArgumentError, match=pattern):
        cx.csi(x, weights)
    with pytest.raises(ValueError):
        cx.csi(pd.DataFrame(x, columns=["a", "b", "c"]), weights)


def test_csi_bad_weights_name_the_attribute_of_a_frame():
    df = pd.DataFrame({"q1": [8, 9], "q2": [7, 7], "q3": [6, 10]})
    with pytest.raises(cx.InvalidArgumentError, match='attribute "q2": -2'):
        cx.csi(df, [1, -2, 1])
    with pytest.raises(cx.InvalidArgumentError, match='attribute "q3": nan'):
        cx.csi(df, {"q1": 1, "q2": 1, "q3": float("nan")})


def test_csi_bad_means_and_arguments():
    with pytest.raises(cx.InvalidInputError, match="invalid mean at position 1: 11"):
        cx.csi([8.0, 11.0, 6.0])
    with pytest.raises(cx.InvalidInputError, match="position 0"):
        cx.csi([0.5], scale=(1, 5))
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        cx.csi([3.0], scale=(5, 1))
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        cx.csi([3.0], scale=(1,))
    with pytest.raises(cx.UnsupportedTypeError):
        cx.csi(["high", "low"])
    with pytest.raises(cx.InvalidArgumentError, match="per-respondent"):
        cx.csi([8.0, 7.0], method="bootstrap")
    with pytest.raises(cx.InvalidArgumentError, match="per-respondent"):
        cx.csi([8.0, 7.0], on_invalid="drop")
    with pytest.raises(cx.InvalidArgumentError, match="2 names but there are 3 means"):
        cx.csi([8.0, 7.0, 6.0], attributes=["a", "b"])


def test_csi_signature_follows_api_md():
    params = list(inspect.signature(cx.csi).parameters.values())
    assert [p.name for p in params[:2]] == ["means", "weights"]
    assert all(p.kind == p.KEYWORD_ONLY for p in params[2:])
    assert ">>>" in cx.csi.__doc__


# --------------------------------------------------------------------------------------------------
# per respondent


@pytest.mark.parametrize("weights", [None, [0.5, 0.3, 0.2]])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_csi_per_respondent_complete_data_is_the_composite_score(rng, weights, confidence):
    x = answers(rng, 400, 3)
    r = cx.csi(x, weights, confidence=confidence)
    w = np.ones(3) / 3 if weights is None else np.asarray(weights)
    y = x @ w  # per-respondent composite: CSI is 100 (mean(y) - L)/(U - L)
    se = 100 / 9 * y.std(ddof=1) / math.sqrt(len(y))
    assert r.csi == pytest.approx(100 * (y.mean() - 1) / 9, rel=1e-12)
    assert r.std_error == pytest.approx(se, rel=1e-10)
    assert r.ci_low == pytest.approx(r.csi - z_of(confidence) * se, rel=1e-10)
    assert r.ci_high == pytest.approx(r.csi + z_of(confidence) * se, rel=1e-10)
    assert (r.n, r.n_missing, r.n_invalid) == (400, 0, 0)
    assert r.method == "delta" and r.confidence == confidence and r.n_boot == 0
    np.testing.assert_allclose(r.means, x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(r.weights, w / w.sum(), rtol=1e-15)
    assert cx.csi(r.means, r.weights) == pytest.approx(r.csi, rel=1e-13)


@pytest.mark.parametrize("missing", [0.1, 0.35])
def test_csi_per_respondent_missing_answers_match_pairwise_oracle(rng, missing):
    x = answers(rng, 300, 4, missing=missing)
    weights = [4, 3, 2, 1]
    r = cx.csi(x, weights, scale=(1, 10))
    exp = respondent_oracle(x, weights)
    for f in ("csi", "std_error", "ci_low", "ci_high"):
        assert getattr(r, f) == pytest.approx(exp[f], rel=1e-10), f
    assert (r.n, r.n_missing, r.n_invalid) == (exp["n"], exp["n_missing"], 0)
    assert r.n + r.n_missing + r.n_invalid == len(x)
    np.testing.assert_allclose(r.means, exp["means"], rtol=1e-13)


def test_csi_per_respondent_input_forms_agree(rng):
    x = answers(rng, 120, 3, missing=0.1)
    ref = cx.csi(x)
    names = ["quality", "value", "service"]
    df = pd.DataFrame(x, columns=names)
    forms = [
        np.asfortranarray(x),
        x[::-1],  # negative row stride: the same respondents in reverse order
        x.tolist(),
        df,
        df.astype("Float64"),  # nullable with <NA>
        pd.DataFrame({n: pd.array([None if np.isnan(v) else int(v) for v in df[n]], dtype="Int64") for n in names}),
        x.astype(np.float32),
    ]
    for f in forms:
        r = cx.csi(f)
        assert r.csi == pytest.approx(ref.csi, rel=1e-12)
        assert r.std_error == pytest.approx(ref.std_error, rel=1e-10)
        assert r.n == ref.n
    # a strided view of a wider array (every other column), in place
    wide = np.repeat(x, 2, axis=1)
    assert cx.csi(wide[:, ::2]).csi == pytest.approx(ref.csi, rel=1e-13)


def test_csi_per_respondent_polars(rng):
    pl = importlib.import_module("polars")
    x = answers(rng, 80, 3, missing=0.1)
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    r = cx.csi(pl.from_pandas(df), {"a": 1, "b": 2, "c": 1})
    exp = cx.csi(df, {"a": 1, "b": 2, "c": 1})
    assert r.csi == pytest.approx(exp.csi, rel=1e-13) and r.std_error == pytest.approx(exp.std_error, rel=1e-12)


def test_csi_frame_attribute_selection_and_mapping_weights(rng):
    x = answers(rng, 150, 3)
    df = pd.DataFrame(x, columns=["q1", "q2", "q3"])
    df["customer_id"] = np.arange(150) * 1000  # not an attribute
    r = cx.csi(df, attributes=["q1", "q2", "q3"])
    assert r.csi == pytest.approx(cx.csi(x).csi, rel=1e-13)
    # a mapping of weights selects the attribute columns, in its order
    m = cx.csi(df, {"q3": 1.0, "q1": 3.0})
    exp = respondent_oracle(x[:, [2, 0]], [1.0, 3.0])
    assert m.csi == pytest.approx(exp["csi"], rel=1e-12)
    assert m.std_error == pytest.approx(exp["std_error"], rel=1e-10)
    np.testing.assert_allclose(m.weights, [0.25, 0.75])
    with pytest.raises(cx.InvalidArgumentError, match="unknown column 'q9'"):
        cx.csi(df, attributes=["q1", "q9"])
    with pytest.raises(cx.InvalidInputError, match='attribute "customer_id"'):
        cx.csi(df)  # every column by default: the ids are off the scale


def test_csi_zero_weight_attribute_does_not_count(rng):
    x = answers(rng, 100, 3)
    x[:, 2] = np.nan  # nobody answered attribute 2
    assert math.isnan(cx.csi(x).csi)
    r = cx.csi(x, [1, 1, 0])
    exp = respondent_oracle(x[:, :2])
    assert r.csi == pytest.approx(exp["csi"], rel=1e-12)
    assert r.std_error == pytest.approx(exp["std_error"], rel=1e-10)
    assert math.isnan(r.means[2])


def test_csi_answer_off_the_scale_raises_naming_row_attribute_and_value():
    df = pd.DataFrame({"q1": [8, 9, 7, 6], "q2": [7, 11, 7, 0], "q3": [6, 10, 9, 8]})
    with pytest.raises(cx.InvalidInputError) as e:
        cx.csi(df)
    msg = str(e.value)
    assert 'row 1, attribute "q2": 11' in msg and "[1, 10]" in msg and "2 invalid rows" in msg
    assert isinstance(e.value, ValueError)
    with pytest.raises(cx.InvalidInputError, match="row 1, attribute 1: 11"):
        cx.csi(df.to_numpy())
    with pytest.raises(cx.InvalidInputError, match="row 0, attribute 0: 0.5"):
        cx.csi([[0.5, 3]], scale=(1, 5))
    with pytest.raises(cx.InvalidInputError, match="inf"):
        cx.csi([[np.inf, 3]], scale=(1, 5))


def test_csi_drop_counts_the_respondent_and_keeps_every_row_accounted_for():
    x = [[8, 9, 7], [6, 11, 7], [None, None, None], [10, 9, None], [0, 7, 7]]
    r = cx.csi(x, on_invalid="drop")
    assert (r.n, r.n_missing, r.n_invalid) == (2, 1, 2)
    np.testing.assert_allclose(r.means, [9.0, 9.0, 7.0])
    assert r.csi == pytest.approx(csi_oracle([9, 9, 7]), rel=1e-14)
    with pytest.raises(cx.InvalidArgumentError, match="on_invalid"):
        cx.csi(x, on_invalid="ignore")


def test_csi_empty_and_degenerate_input_gives_nan_not_an_error():
    r = cx.csi(np.empty((0, 3)))
    assert math.isnan(r.csi) and math.isnan(r.std_error) and r.n == 0 and len(r.means) == 3
    r = cx.csi([[np.nan, np.nan], [np.nan, np.nan]])
    assert math.isnan(r.csi) and r.n_missing == 2
    r = cx.csi([[8, 7]])  # one respondent: an index but no SE
    assert r.csi == pytest.approx(csi_oracle([8, 7])) and math.isnan(r.std_error) and math.isnan(r.ci_low)
    r = cx.csi(pd.DataFrame({"a": [], "b": []}), method="bootstrap", seed=1)
    assert math.isnan(r.csi) and r.n == 0


def test_csi_per_respondent_bad_arguments():
    x = [[8, 9], [7, 7]]
    with pytest.raises(cx.InvalidArgumentError, match="method"):
        cx.csi(x, method="jackknife")
    with pytest.raises(cx.InvalidArgumentError, match="confidence"):
        cx.csi(x, confidence=1.5)
    with pytest.raises(cx.InvalidArgumentError, match="n_boot"):
        cx.csi(x, method="bootstrap", n_boot=1)
    with pytest.raises(cx.InvalidArgumentError, match="n_boot"):
        cx.csi(x, method="bootstrap", n_boot=-5)
    with pytest.raises(cx.InvalidArgumentError, match="seed"):
        cx.csi(x, method="bootstrap", seed=-1)
    with pytest.raises(cx.InvalidArgumentError, match="seed"):
        cx.csi(x, method="bootstrap", seed=2**64)
    with pytest.raises(cx.InvalidArgumentError, match="seed"):
        cx.csi(x, method="bootstrap", seed=1.5)
    with pytest.raises(cx.InvalidArgumentError, match="attributes has 3 names"):
        cx.csi(x, attributes=["a", "b", "c"])
    with pytest.raises(cx.InvalidArgumentError, match="at least one attribute"):
        cx.csi(np.empty((3, 0)))
    with pytest.raises(cx.UnsupportedTypeError):
        cx.csi(pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}))
    with pytest.raises(cx.UnsupportedTypeError):
        cx.csi(pd.DataFrame({"a": [True, False], "b": [1, 2]}))
    with pytest.raises(cx.UnsupportedTypeError):
        cx.csi(np.array([["8", "9"], ["7", "7"]]))


# --------------------------------------------------------------------------------------------------
# bootstrap


def test_csi_bootstrap_is_reproducible_and_seeded(rng):
    x = answers(rng, 300, 3, missing=0.1)
    a = cx.csi(x, method="bootstrap", n_boot=500, seed=7)
    b = cx.csi(x, method="bootstrap", n_boot=500, seed=7)
    c = cx.csi(x, method="bootstrap", n_boot=500, seed=8)
    assert a == b
    assert (a.std_error, a.ci_low, a.ci_high) == (b.std_error, b.ci_low, b.ci_high)
    assert c.std_error != a.std_error and c.ci_low != a.ci_low
    assert a.csi == c.csi == cx.csi(x).csi  # the estimate itself is not resampled
    assert (a.method, a.n_boot, a.seed) == ("bootstrap", 500, 7)
    drawn = cx.csi(x, method="bootstrap", n_boot=200)
    assert 0 <= drawn.seed < 2**64
    again = cx.csi(x, method="bootstrap", n_boot=200, seed=drawn.seed)
    assert again == drawn  # the reported seed reproduces the run
    frame = cx.csi(pd.DataFrame(x), method="bootstrap", n_boot=500, seed=7)
    assert frame.ci_low == a.ci_low and frame.ci_high == a.ci_high


def test_csi_bootstrap_is_close_to_the_delta_method_on_large_n(rng):
    x = answers(rng, 3000, 3, missing=0.15)
    d = cx.csi(x, [3, 2, 1])
    b = cx.csi(x, [3, 2, 1], method="bootstrap", n_boot=2000, seed=20240607)
    assert b.std_error == pytest.approx(d.std_error, rel=0.07)
    assert abs(b.ci_low - d.ci_low) < 0.25 * d.std_error
    assert abs(b.ci_high - d.ci_high) < 0.25 * d.std_error
    assert b.ci_low < b.csi < b.ci_high


# --------------------------------------------------------------------------------------------------
# the result object


def test_csi_result_fields_repr_pickle():
    r = cx.csi([[8, 9, 7], [6, 7, None], [10, 9, 9], [7, 8, 8]])
    assert list(cx.CsiResult._fields) == CSI_FIELDS
    assert list(r.to_dict()) == CSI_FIELDS
    assert repr(r).startswith("CsiResult(csi=")
    assert pickle.loads(pickle.dumps(r)) == r
    with pytest.raises(AttributeError):
        r.csi = 1.0
    assert r.csi == pytest.approx(100 * np.mean((np.array([7.75, 8.25, 8.0]) - 1) / 9), rel=1e-14)
