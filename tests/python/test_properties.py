"""Property tests (hypothesis) of the state laws in ARCHITECTURE §1 and "nothing lost" (§3)."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxkit as cx
from conftest import assert_same_rating, assert_same_state

# --------------------------------------------------------------------------------------------------
# strategies

SCALES = [(0, 10), (1, 5), (1, 7), (-2, 2), (3, 3)]
# Valid weights (ARCHITECTURE §3 as cxkit defines it): 0, or a number in [1e-150, 1e150] so that
# w² stays representable for Kish's n_eff.
weights_st = st.one_of(st.just(0.0), st.floats(1e-150, 1000.0, allow_nan=False, allow_infinity=False))


@st.composite
def kind_and_scale(draw):
    """("nps", (0, 10)) or ("rating", scale)."""
    if draw(st.booleans()):
        return "nps", (0, 10)
    return "rating", draw(st.sampled_from(SCALES))


def make(kind, scale):
    return cx.NpsAccumulator() if kind == "nps" else cx.RatingAccumulator(scale=scale)


@st.composite
def batch(draw, scale, weighted=None, max_size=40):
    """Valid scores (and NaN = missing) with optional weights."""
    lo, hi = scale
    n = draw(st.integers(0, max_size))
    scores = draw(st.lists(st.one_of(st.integers(lo, hi).map(float), st.just(math.nan)), min_size=n, max_size=n))
    if weighted is None:
        weighted = draw(st.booleans())
    w = draw(st.lists(weights_st, min_size=n, max_size=n)) if weighted else None
    return np.asarray(scores, dtype=float), (None if w is None else np.asarray(w, dtype=float))


def filled(kind, scale, b):
    acc = make(kind, scale)
    acc.add(b[0], weights=b[1])
    return acc


def assert_close_state(a, b, rel=1e-12):
    """Counts exact, weight sums to `rel`; results' float fields to `rel`."""
    assert (a.n, a.n_missing, a.n_invalid) == (b.n, b.n_missing, b.n_invalid)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_allclose(a.weights, b.weights, rtol=rel, atol=0)
    ra, rb = a.result().to_dict(), b.result().to_dict()
    for k, v in ra.items():
        if isinstance(v, (float, np.ndarray)):
            np.testing.assert_allclose(v, rb[k], rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=k)
        else:
            assert v == rb[k], k


# --------------------------------------------------------------------------------------------------
# merge laws


@given(st.data())
def test_merge_is_commutative(data):
    kind, scale = data.draw(kind_and_scale())
    a = filled(kind, scale, data.draw(batch(scale)))
    b = filled(kind, scale, data.draw(batch(scale)))
    assert_same_state(a + b, b + a)


@given(st.data())
def test_merge_is_associative(data):
    kind, scale = data.draw(kind_and_scale())
    weighted = data.draw(st.booleans())
    a, b, c = (filled(kind, scale, data.draw(batch(scale, weighted))) for _ in range(3))
    left, right = (a + b) + c, a + (b + c)
    if weighted:
        assert_close_state(left, right)
    else:
        assert_same_state(left, right)


@given(st.data())
def test_empty_state_is_the_identity(data):
    kind, scale = data.draw(kind_and_scale())
    a = filled(kind, scale, data.draw(batch(scale)))
    e = make(kind, scale)
    assert_same_state(a + e, a)
    assert_same_state(e + a, a)
    before = a.copy()
    a += make(kind, scale)
    assert_same_state(a, before)


@given(st.data())
def test_split_and_merge_equals_one_pass(data):
    kind, scale = data.draw(kind_and_scale())
    weighted = data.draw(st.booleans())
    scores, w = data.draw(batch(scale, weighted, max_size=80))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(scores)), max_size=4)))
    one = make(kind, scale)
    one.add(scores, weights=w)
    merged = make(kind, scale)
    bounds = [0, *cuts, len(scores)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        part = make(kind, scale)
        part.add(scores[lo:hi], weights=None if w is None else w[lo:hi])
        merged += part
    if weighted:
        assert_close_state(merged, one)
    else:
        assert_same_state(merged, one)
        assert_same_rating(merged.result(), one.result())  # field by field (NaN == NaN)


@given(st.data())
def test_add_in_several_calls_equals_one_call(data):
    kind, scale = data.draw(kind_and_scale())
    scores, _ = data.draw(batch(scale, False, max_size=60))
    k = data.draw(st.integers(0, len(scores)))
    one, two = make(kind, scale), make(kind, scale)
    one.add(scores)
    two.add(scores[:k])
    two.add(scores[k:])
    assert_same_state(one, two)


@given(st.data())
def test_plus_makes_a_new_state_and_merge_is_in_place(data):
    kind, scale = data.draw(kind_and_scale())
    a = filled(kind, scale, data.draw(batch(scale)))
    b = filled(kind, scale, data.draw(batch(scale)))
    a0, b0 = a.copy(), b.copy()
    c = a + b
    assert_same_state(a, a0)
    assert_same_state(b, b0)
    out = a.merge(b)
    assert_same_state(out, c)
    assert_same_state(a, c)
    assert_same_state(b, b0)


@given(st.data())
def test_grouped_kernel_equals_one_state_per_group(data):
    """The grouped pass (nps/csat with by=) equals feeding each group's rows to its own state."""
    kind, scale = data.draw(kind_and_scale())
    scores, w = data.draw(batch(scale, max_size=60))
    keys = np.asarray(data.draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=len(scores), max_size=len(scores))), dtype=object)
    if kind == "nps":
        got = cx.nps(scores, by=keys, weights=w)
    else:
        got = cx.csat(scores, by=keys, weights=w, scale=scale, satisfied_min=scale[0])
    for key in sorted(set(keys)):
        m = keys == key
        acc = make(kind, scale)
        acc.add(scores[m], weights=None if w is None else w[m])
        r = acc.result() if kind == "nps" else acc.result(satisfied_min=scale[0])
        assert got.loc[key, "n"] == r.n and got.loc[key, "n_missing"] == r.n_missing
        first = "nps" if kind == "nps" else "csat"
        v = got.loc[key, first]
        assert (math.isnan(v) and math.isnan(getattr(r, first))) or v == pytest.approx(getattr(r, first), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# persistence and copies


@given(st.data())
def test_bytes_and_pickle_round_trip(data):
    kind, scale = data.draw(kind_and_scale())
    a = filled(kind, scale, data.draw(batch(scale)))
    cls = type(a)
    b = a.to_bytes()
    assert isinstance(b, bytes) and b[:4] == b"CXK1"
    back = cls.from_bytes(b)
    assert_same_state(back, a)
    assert back.to_bytes() == b
    assert_same_state(cls.from_bytes(bytearray(b)), a)
    assert_same_state(cls.from_bytes(memoryview(b)), a)
    assert_same_state(pickle.loads(pickle.dumps(a)), a)
    assert_same_state(pickle.loads(pickle.dumps(a, protocol=2)), a)
    if kind == "rating":
        assert back.scale == scale


@given(st.data())
def test_copy_is_independent(data):
    kind, scale = data.draw(kind_and_scale())
    a = filled(kind, scale, data.draw(batch(scale)))
    snapshot = a.to_bytes()
    for dup in (a.copy(), copy.copy(a), copy.deepcopy(a)):
        assert_same_state(dup, a)
        dup.add([scale[0]] * 3)
        dup += filled(kind, scale, data.draw(batch(scale)))
        assert a.to_bytes() == snapshot
        assert dup.n >= a.n + 3


# --------------------------------------------------------------------------------------------------
# nothing lost


@st.composite
def dirty_batch(draw, scale):
    """Valid, missing (NaN) and invalid (out of scale, non-integer, infinite) scores, and weights
    that may be invalid (negative, NaN, infinite)."""
    lo, hi = scale
    value = st.one_of(
        st.integers(lo, hi).map(float),
        st.just(math.nan),
        st.sampled_from([lo - 1.0, hi + 1.0, lo + 0.5, math.inf, -math.inf, 1e300, -7.0]),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    n = draw(st.integers(0, 60))
    scores = draw(st.lists(value, min_size=n, max_size=n))
    w = None
    if draw(st.booleans()):
        w = draw(st.lists(st.one_of(weights_st, st.sampled_from([-1.0, math.nan, math.inf, -0.0, 1e-200, 1e200])), min_size=n, max_size=n))
    return np.asarray(scores, dtype=float), (None if w is None else np.asarray(w, dtype=float))


def classify(scores, w, scale):
    """Oracle: (valid, missing, invalid) rows. Missing first; then value; then weight."""
    lo, hi = scale
    missing = np.isnan(scores)
    valid_value = ~missing & np.isfinite(scores) & (scores == np.floor(scores)) & (scores >= lo) & (scores <= hi)
    valid_w = np.ones(len(scores), bool) if w is None else ((w == 0) | ((w >= 1e-150) & (w <= 1e150)))
    valid = valid_value & valid_w
    return int(valid.sum()), int(missing.sum()), int((~missing & ~valid).sum())


@given(st.data())
def test_nothing_lost_with_drop(data):
    kind, scale = data.draw(kind_and_scale())
    scores, w = data.draw(dirty_batch(scale))
    acc = make(kind, scale)
    acc.add(scores, weights=w, on_invalid="drop")
    assert acc.n + acc.n_missing + acc.n_invalid == len(scores)
    assert (acc.n, acc.n_missing, acc.n_invalid) == classify(scores, w, scale)
    r = acc.result()
    assert r.n + r.n_missing + r.n_invalid == len(scores)
    if kind == "nps":
        f = cx.nps(scores, weights=w, on_invalid="drop")
    else:
        f = cx.csat(scores, weights=w, on_invalid="drop", scale=scale, satisfied_min=scale[0])
    assert (f.n, f.n_missing, f.n_invalid) == (acc.n, acc.n_missing, acc.n_invalid)


@given(st.data())
def test_nothing_lost_grouped_with_missing_keys(data):
    scale = (0, 10)
    scores, w = data.draw(dirty_batch(scale))
    keys = data.draw(st.lists(st.sampled_from(["x", "y", None]), min_size=len(scores), max_size=len(scores)))
    got = cx.nps(pd.DataFrame({"k": keys, "q": scores}), "q", by="k", weights=w, on_invalid="drop")
    total = int(got["n"].sum() + got["n_missing"].sum() + got["n_invalid"].sum())
    assert total + got.attrs["n_missing_key"] == len(scores)
    assert got.attrs["n_missing_key"] == sum(k is None for k in keys)


@given(st.data())
def test_raise_refuses_the_whole_batch(data):
    kind, scale = data.draw(kind_and_scale())
    scores, w = data.draw(dirty_batch(scale))
    valid, missing, invalid = classify(scores, w, scale)
    acc = make(kind, scale)
    acc.add([scale[0]])
    before = acc.to_bytes()
    if invalid:
        with pytest.raises(cx.InvalidInputError, match=f"{invalid} invalid row"):
            acc.add(scores, weights=w)
        assert acc.to_bytes() == before
    else:
        acc.add(scores, weights=w)
        assert acc.n == 1 + valid and acc.n_missing == missing


def test_large_input_uses_the_parallel_path_and_still_counts_exactly(rng):
    n = 1_500_000
    x = rng.integers(0, 11, n).astype(np.int8)
    g = rng.integers(0, 7, n)
    got = cx.nps(x, by=g)
    counts = np.zeros((7, 11), dtype=np.int64)
    np.add.at(counts, (g, x), 1)
    np.testing.assert_array_equal(got["promoters"].to_numpy(), counts[:, 9:].sum(axis=1))
    np.testing.assert_array_equal(got["detractors"].to_numpy(), counts[:, :7].sum(axis=1))
    assert int(got["n"].sum()) == n
    acc = cx.NpsAccumulator()
    acc.add(x)
    np.testing.assert_array_equal(acc.counts, counts.sum(axis=0))
    w = rng.uniform(0, 2, n)
    accw = cx.NpsAccumulator()
    accw.add(x, weights=w)
    np.testing.assert_allclose(accw.weights, np.bincount(x, weights=w, minlength=11), rtol=1e-10)
