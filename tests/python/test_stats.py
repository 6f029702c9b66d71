"""cx.adjust_pvalues against statsmodels.stats.multitest.multipletests (METRICS.md §2)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

import cxkit as cx

METHODS = [("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")]


def reference(p, sm_method):
    """statsmodels on the non-NaN entries; NaN entries stay NaN and do not count in m."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=sm_method)[1]
    return out


@pytest.mark.parametrize("method, sm", METHODS)
@pytest.mark.parametrize("m", [1, 2, 5, 20, 333])
def test_matches_statsmodels_random(rng, method, sm, m):
    p = rng.uniform(0, 1, m) ** 3  # many small p-values
    np.testing.assert_allclose(cx.adjust_pvalues(p, method=method), reference(p, sm), rtol=1e-12, atol=0)


@pytest.mark.parametrize("method, sm", METHODS)
def test_matches_statsmodels_with_ties_zeros_and_ones(method, sm):
    p = np.array([0.01, 0.01, 0.0, 1.0, 0.04, 0.04, 0.5, 0.03, 1.0, 0.0])
    np.testing.assert_allclose(cx.adjust_pvalues(p, method=method), reference(p, sm), rtol=1e-12)


@pytest.mark.parametrize("method, sm", METHODS)
def test_nan_entries_stay_nan_and_do_not_count(method, sm):
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan])
    got = cx.adjust_pvalues(p, method=method)
    assert np.isnan(got[[1, 4]]).all()
    np.testing.assert_allclose(got, reference(p, sm), rtol=1e-12)
    # m = 3 (not 5): Bonferroni of 0.01 is 0.03
    if method == "bonferroni":
        assert got[0] == pytest.approx(0.03)


@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni"])
def test_all_nan_and_empty(method):
    assert np.isnan(cx.adjust_pvalues([np.nan, np.nan], method=method)).all()
    out = cx.adjust_pvalues([], method=method)
    assert isinstance(out, np.ndarray) and out.shape == (0,)


@given(
    st.lists(
        st.one_of(st.floats(0, 1, allow_nan=False), st.just(math.nan), st.sampled_from([0.0, 1.0, 0.05])),
        min_size=0,
        max_size=60,
    ),
    st.sampled_from(METHODS),
)
def test_property_matches_statsmodels(p, method_pair):
    method, sm = method_pair
    p = np.asarray(p, dtype=float)
    got = cx.adjust_pvalues(p, method=method)
    np.testing.assert_allclose(got, reference(p, sm), rtol=1e-12, atol=1e-300)
    ok = ~np.isnan(p)
    assert (got[ok] >= p[ok]).all() and (got[ok] <= 1).all()
    # adjusted p-values keep the order of the raw ones
    order = np.argsort(p[ok], kind="stable")
    assert (np.diff(got[ok][order]) >= -1e-15).all()


def test_docstring_example_and_default_is_holm():
    assert cx.adjust_pvalues([0.01, 0.04, 0.03], method="holm").round(2).tolist() == [0.03, 0.06, 0.06]
    p = [0.2, 0.01, 0.3]
    np.testing.assert_array_equal(cx.adjust_pvalues(p), cx.adjust_pvalues(p, method="holm"))


def test_input_order_and_types_are_kept(rng):
    p = rng.uniform(0, 0.2, 12)
    ref = cx.adjust_pvalues(p, method="bh")
    for x in (list(p), tuple(p), pd.Series(p), pd.Series(p, dtype="Float64"), pl.Series(p), np.ascontiguousarray(p[::-1])[::-1]):
        np.testing.assert_allclose(cx.adjust_pvalues(x, method="bh"), ref, rtol=1e-12)
    out = cx.adjust_pvalues(list(p))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (12,)
    np.testing.assert_array_equal(cx.adjust_pvalues(np.array([0, 1])), [0.0, 1.0])  # integers accepted


def test_fdr_bh_alias():
    p = [0.001, 0.02, 0.04, 0.3]
    np.testing.assert_array_equal(cx.adjust_pvalues(p, method="fdr_bh"), cx.adjust_pvalues(p, method="bh"))


def test_unknown_method_raises_invalid_argument():
    with pytest.raises(cx.InvalidArgumentError, match="sidak"):
        cx.adjust_pvalues([0.1], method="sidak")


@pytest.mark.parametrize("bad, pos", [([0.1, 1.5], 1), ([-0.01, 0.2], 0), ([0.3, 0.2, math.inf], 2)])
def test_p_values_outside_0_1_raise_naming_position(bad, pos):
    with pytest.raises(cx.InvalidInputError, match=f"position {pos}"):
        cx.adjust_pvalues(bad)
    with pytest.raises(ValueError):
        cx.adjust_pvalues(bad, method="bh")


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param([0.01, None, 0.04, 0.03], id="None"),
        pytest.param(pd.Series([0.01, None, 0.04, 0.03], dtype="Float64"), id="pandas-NA"),
        pytest.param(pl.Series([0.01, None, 0.04, 0.03]), id="polars-null"),
    ],
)
def test_missing_p_values_are_missing_like_nan(missing):
    """ARCHITECTURE §3: None, pandas NA and Polars null are missing values, like NaN."""
    got = cx.adjust_pvalues(missing, method="holm")
    np.testing.assert_allclose(got, reference([0.01, np.nan, 0.04, 0.03], "holm"), rtol=1e-12)


@pytest.mark.parametrize("bad", [["0.1", "0.2"], np.array(["a"]), [True, False], np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_unsupported_types_name_the_argument(bad):
    with pytest.raises(cx.UnsupportedTypeError, match="p_values"):
        cx.adjust_pvalues(bad)
