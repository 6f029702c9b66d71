"""The dataframe front: pandas/Polars frames, by= keys of every kind, weights, and errors.

Every grouped result is checked against a groupby computed independently with pandas
(``DataFrame.groupby(..., sort=True, observed=True, dropna=True)``) and the formula oracles.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

import cxkit as cx
from conftest import NPS_FIELDS, RATING_FIELDS, nps_oracle, random_scores, random_weights, rating_oracle

NUMERIC_NPS = [f for f in NPS_FIELDS if f not in ("method", "confidence")]


# --------------------------------------------------------------------------------------------------
# the independent oracle


def expected_groups(keys: dict, scores, weights=None, *, metric="nps", **options) -> tuple[pd.DataFrame, int]:
    """Per-group oracle results via a pandas groupby, and the number of rows with a missing key."""
    frame = pd.DataFrame({name: (list(v) if isinstance(v, pl.Series) else v) for name, v in keys.items()})
    names = list(keys)
    frame["__score"] = list(scores)
    frame["__w"] = 1.0 if weights is None else np.asarray(weights, dtype=float)
    rows, index = [], []
    for key, sub in frame.groupby(names, sort=True, observed=True, dropna=True):
        w = None if weights is None else sub["__w"].to_numpy()
        if metric == "nps":
            rows.append(nps_oracle(sub["__score"].tolist(), w, **options))
        else:
            rows.append(rating_oracle(sub["__score"].tolist(), w, **options))
        index.append(key[0] if len(names) == 1 else key)
    n_missing_key = int(frame[names].isna().any(axis=1).sum())
    return pd.DataFrame(rows, index=index), n_missing_key


def check_grouped(got: pd.DataFrame, keys: dict, scores, weights=None, *, metric="nps", rel=1e-10, **options):
    exp, n_missing_key = expected_groups(keys, scores, weights, metric=metric, **options)
    assert isinstance(got, pd.DataFrame)
    assert list(got.index.names) == list(keys), (list(got.index.names), list(keys))
    assert list(got.index) == list(exp.index), f"\ngot {list(got.index)}\nexpected {list(exp.index)}"
    assert got.attrs["n_missing_key"] == n_missing_key
    fields = NUMERIC_NPS if metric == "nps" else RATING_FIELDS
    for f in fields:
        for i, (g, e) in enumerate(zip(got[f].to_numpy(), exp[f].to_numpy())):
            ok = np.allclose(np.asarray(g, float), np.asarray(e, float), rtol=rel, atol=1e-10, equal_nan=True)
            assert ok, f"group {got.index[i]!r} field {f}: got {g!r}, expected {e!r}"
    return exp


def data(rng, n=400, with_missing=True):
    x = random_scores(rng, n).astype(float)
    if with_missing:
        x[rng.random(n) < 0.05] = np.nan
    return x


# --------------------------------------------------------------------------------------------------
# pandas, one key of each kind


def test_string_key_pandas(rng):
    x = data(rng)
    k = rng.choice(["north", "south", "east", "west"], len(x))
    df = pd.DataFrame({"region": k, "q": x})
    got = cx.nps(df, "q", by="region")
    check_grouped(got, {"region": k}, x)
    assert got.attrs["n_missing_key"] == 0
    assert list(got.columns[: len(NPS_FIELDS)]) == NPS_FIELDS


@pytest.mark.parametrize("dtype", [object, "str", "string", "string[pyarrow]"])
def test_string_keys_with_missing(rng, dtype):
    x = data(rng)
    k = rng.choice(["b", "a", "c", None], len(x), p=[0.3, 0.3, 0.3, 0.1]).astype(object)
    df = pd.DataFrame({"k": pd.Series(k, dtype=dtype), "q": x})
    got = cx.nps(df, "q", by="k")
    check_grouped(got, {"k": k}, x)
    assert got.attrs["n_missing_key"] == int(pd.isna(k).sum()) > 0


def test_categorical_key_keeps_category_order_and_drops_unobserved(rng):
    x = data(rng)
    k = pd.Categorical(rng.choice(["low", "mid", "high"], len(x)), categories=["low", "mid", "unused", "high"])
    df = pd.DataFrame({"tier": k, "q": x})
    got = cx.nps(df, "q", by="tier")
    assert list(got.index) == ["low", "mid", "high"]  # category order, not sorted, "unused" dropped
    check_grouped(got, {"tier": k}, x)


def test_ordered_categorical_with_missing(rng):
    x = data(rng)
    raw = rng.choice(["s", "m", "l", None], len(x), p=[0.3, 0.3, 0.3, 0.1])
    k = pd.Categorical(raw, categories=["xl", "l", "m", "s"], ordered=True)
    df = pd.DataFrame({"size": k, "q": x})
    got = cx.nps(df, "q", by="size")
    assert list(got.index) == ["l", "m", "s"]
    check_grouped(got, {"size": k}, x)
    assert got.attrs["n_missing_key"] == int(pd.isna(raw).sum())


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64])
def test_dense_integer_keys(rng, dtype):
    x = data(rng)
    k = rng.integers(0, 12, len(x)).astype(dtype)
    k[k == 5] = 7  # a hole in the range: 5 must not appear
    got = cx.nps(pd.DataFrame({"store": k, "q": x}), "q", by="store")
    check_grouped(got, {"store": k}, x)
    assert 5 not in got.index
    assert pd.api.types.is_integer_dtype(got.index.dtype)


def test_negative_and_offset_integer_keys(rng):
    x = data(rng)
    for k in (rng.integers(-6, 6, len(x)), rng.integers(10**12, 10**12 + 20, len(x))):
        got = cx.nps(pd.DataFrame({"k": k, "q": x}), "q", by="k")
        check_grouped(got, {"k": k}, x)
        assert got.index.tolist() == sorted(set(k.tolist()))


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_sparse_integer_ids_up_to_1e12(rng, dtype):
    x = data(rng, 600)
    ids = rng.choice(np.array([3, 17, 10**6, 987654321, 10**12 - 1, 10**12], dtype=np.int64), len(x))
    k = ids.astype(dtype)
    got = cx.nps(pd.DataFrame({"customer": k, "q": x}), "q", by="customer")
    check_grouped(got, {"customer": k}, x)
    assert got.index.tolist() == [3, 17, 10**6, 987654321, 10**12 - 1, 10**12]
    assert pd.api.types.is_integer_dtype(got.index.dtype)


def test_uint64_keys_above_2_to_63(rng):
    x = data(rng, 100)
    k = rng.choice(np.array([2**64 - 1, 2**63 + 1, 5], dtype=np.uint64), len(x))
    got = cx.nps(pd.DataFrame({"k": k, "q": x}), "q", by="k")
    check_grouped(got, {"k": k}, x)
    assert got.index.tolist() == [5, 2**63 + 1, 2**64 - 1]


def test_float_keys_with_nan(rng):
    x = data(rng)
    k = rng.choice([0.5, -1.25, 3.0, np.nan], len(x))
    got = cx.nps(pd.DataFrame({"f": k, "q": x}), "q", by="f")
    check_grouped(got, {"f": k}, x)
    assert got.index.tolist() == [-1.25, 0.5, 3.0]
    assert got.attrs["n_missing_key"] == int(np.isnan(k).sum()) > 0


@pytest.mark.parametrize("values", [[1, 2, 3, 7], [5, 10**12, 77, 2**60, 2**60 + 1]], ids=["dense", "sparse"])
def test_nullable_int_keys_with_na(rng, values):
    x = data(rng)
    raw = rng.choice(np.array(values + [0], dtype=np.int64), len(x))
    k = pd.array(raw, dtype="Int64")
    k[raw == 0] = pd.NA
    got = cx.nps(pd.DataFrame({"k": k, "q": x}), "q", by="k")
    check_grouped(got, {"k": k}, x)
    assert got.attrs["n_missing_key"] == int((raw == 0).sum()) > 0
    assert got.index.tolist() == sorted(values)
    assert pd.api.types.is_integer_dtype(got.index.dtype), got.index.dtype


def test_nullable_float_and_boolean_keys(rng):
    x = data(rng)
    f = pd.array(rng.choice([1.5, 2.5, None], len(x)), dtype="Float64")
    got = cx.nps(pd.DataFrame({"f": f, "q": x}), "q", by="f")
    check_grouped(got, {"f": f}, x)
    b = rng.choice([True, False], len(x))
    got = cx.nps(pd.DataFrame({"b": b, "q": x}), "q", by="b")
    check_grouped(got, {"b": b}, x)


def test_group_whose_scores_are_all_missing_is_kept_with_nan(rng):
    df = pd.DataFrame({"k": ["a", "a", "b", "b", "c"], "q": [10, 0, np.nan, np.nan, 9]})
    got = cx.nps(df, "q", by="k")
    check_grouped(got, {"k": df.k}, df.q)
    assert math.isnan(got.loc["b", "nps"]) and got.loc["b", "n"] == 0 and got.loc["b", "n_missing"] == 2


# --------------------------------------------------------------------------------------------------
# several keys


def test_two_string_keys(rng):
    x = data(rng, 800)
    a = rng.choice(["x", "y", "z"], len(x))
    b = rng.choice(["web", "app", "phone", None], len(x))
    df = pd.DataFrame({"region": a, "channel": b, "q": x})
    got = cx.nps(df, "q", by=["region", "channel"])
    assert isinstance(got.index, pd.MultiIndex)
    check_grouped(got, {"region": a, "channel": b}, x)


def test_three_keys_of_mixed_kinds_with_unobserved_combinations(rng):
    n = 500
    x = data(rng, n)
    cat = pd.Categorical(rng.choice(["gold", "silver"], n), categories=["silver", "gold", "bronze"])
    ids = rng.choice(np.array([7, 10**11, 42]), n)
    flt = rng.choice([0.1, 0.2, np.nan], n)
    # make some combinations impossible
    ids[(cat == "gold") & (ids == 42)] = 7
    df = pd.DataFrame({"tier": cat, "id": ids, "f": flt, "q": x})
    got = cx.nps(df, "q", by=("tier", "id", "f"))
    check_grouped(got, {"tier": cat, "id": ids, "f": flt}, x)
    assert ("gold", 42, 0.1) not in got.index


def test_many_key_combinations_sparse_path(rng):
    """More combinations than rows: the combined code is re-factorized (no missing keys)."""
    n = 3000
    a = np.array([f"a{i}" for i in range(n)], dtype=object)
    b = np.array([f"b{i % 1500}" for i in range(n)], dtype=object)
    x = random_scores(rng, n)
    got = cx.nps(pd.DataFrame({"a": a, "b": b, "q": x}), "q", by=["a", "b"])
    assert len(got) == n
    check_grouped(got, {"a": a, "b": b}, x)


def test_many_key_combinations_with_missing_keys(rng):
    """The same sparse path when some rows have a missing key."""
    n = 3000
    a = np.array([f"a{i}" for i in range(n)], dtype=object)
    b = np.array([f"b{i % 1500}" for i in range(n)], dtype=object)
    a[::97] = None
    b[5::101] = None
    x = random_scores(rng, n)
    got = cx.nps(pd.DataFrame({"a": a, "b": b, "q": x}), "q", by=["a", "b"])
    check_grouped(got, {"a": a, "b": b}, x)


# --------------------------------------------------------------------------------------------------
# weights, key arrays, rating metrics


def test_weights_as_column_or_array(rng):
    x = data(rng)
    w = random_weights(rng, len(x))
    k = rng.choice(["a", "b", "c"], len(x))
    df = pd.DataFrame({"k": k, "q": x, "w": w})
    by_name = cx.nps(df, "q", by="k", weights="w")
    check_grouped(by_name, {"k": k}, x, w)
    by_array = cx.nps(df, "q", by="k", weights=w)
    pd.testing.assert_frame_equal(by_name, by_array)
    by_series = cx.nps(df, "q", by="k", weights=df["w"])
    pd.testing.assert_frame_equal(by_name, by_series)


def test_key_arrays_instead_of_names(rng):
    x = data(rng)
    k = rng.choice(["a", "b"], len(x))
    got = cx.nps(x, by=k)
    assert got.index.name == "by"
    check_grouped(got.rename_axis("k"), {"k": k}, x)
    named = cx.nps(x, by=pd.Series(k, name="segment"))
    assert named.index.name == "segment"
    j = rng.integers(0, 3, len(x))
    two = cx.nps(x, by=[k, j])
    assert list(two.index.names) == ["by_0", "by_1"]
    check_grouped(two.rename_axis(["k", "j"]), {"k": k, "j": j}, x)
    # frame data with a key array (not a column)
    df = pd.DataFrame({"q": x, "k": k})
    mixed = cx.nps(df, "q", by=["k", pd.Series(j, name="j")])
    check_grouped(mixed, {"k": k, "j": j}, x)
    pol = cx.nps(x, by=pl.Series("seg", k))
    check_grouped(pol, {"seg": k}, x)


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
def test_grouped_options_are_applied(rng, method):
    x = data(rng)
    k = rng.integers(0, 4, len(x))
    got = cx.nps(pd.DataFrame({"k": k, "q": x}), "q", by="k", method=method, confidence=0.9,
                 promoter_min=10, passive_min=8)
    check_grouped(got, {"k": k}, x, method=method, confidence=0.9, promoter_min=10, passive_min=8)
    assert set(got["method"]) == {method} and set(got["confidence"]) == {0.9}


@pytest.mark.parametrize("fn, scale, sat", [(cx.csat, (1, 5), 4), (cx.ces, (1, 7), 5)])
def test_grouped_csat_and_ces(rng, fn, scale, sat):
    n = 600
    x = random_scores(rng, n, *scale).astype(float)
    x[rng.random(n) < 0.05] = np.nan
    w = random_weights(rng, n)
    k = rng.choice(["p", "q", "r", None], n)
    df = pd.DataFrame({"k": k, "r": x, "w": w})
    got = fn(df, "r", by="k", weights="w")
    check_grouped(got, {"k": k}, x, w, metric="rating", scale=scale, satisfied_min=sat)


def test_grouped_sums_to_the_ungrouped_counts(rng):
    x = data(rng)
    k = rng.choice(["a", "b", None], len(x))
    got = cx.nps(pd.DataFrame({"k": k, "q": x}), "q", by="k")
    total = cx.nps(x)
    assert got["n"].sum() + got["n_missing"].sum() + got.attrs["n_missing_key"] == len(x)
    known = pd.notna(k)
    assert got["promoters"].sum() == cx.nps(x[known]).promoters <= total.promoters


def test_input_frame_is_not_modified(rng):
    df = pd.DataFrame({"k": rng.choice(["a", "b"], 50), "q": random_scores(rng, 50), "w": random_weights(rng, 50)})
    before = df.copy()
    cx.nps(df, "q", by="k", weights="w")
    pd.testing.assert_frame_equal(df, before)


# --------------------------------------------------------------------------------------------------
# Polars


def test_polars_frame_string_keys_with_nulls(rng):
    x = data(rng)
    k = rng.choice(["b", "a", None], len(x)).tolist()
    j = rng.integers(0, 3, len(x))
    df = pl.DataFrame({"k": k, "j": j, "q": x, "w": random_weights(rng, len(x))})
    got = cx.nps(df, "q", by="k", weights="w")
    check_grouped(got, {"k": k}, x, df["w"].to_numpy())
    got2 = cx.nps(df, "q", by=["k", "j"])
    check_grouped(got2, {"k": k, "j": j}, x)


def test_polars_null_scores_are_missing(rng):
    x = random_scores(rng, 100).tolist()
    for i in range(0, 100, 9):
        x[i] = None
    k = rng.choice(["a", "b"], 100).tolist()
    df = pl.DataFrame({"k": k, "q": x})
    got = cx.nps(df, "q", by="k")
    check_grouped(got, {"k": k}, x)
    assert got["n_missing"].sum() == 12


def test_polars_integer_keys(rng):
    x = data(rng)
    for values in ([1, 2, 3], [10**12, 5, 777]):
        k = rng.choice(values, len(x))
        got = cx.nps(pl.DataFrame({"k": k, "q": x}), "q", by="k")
        check_grouped(got, {"k": k}, x)
        assert pd.api.types.is_integer_dtype(got.index.dtype)


@pytest.mark.parametrize("values", [[1, 2, 3], [10**12, 5, 777], [2**53, 2**53 + 1, 3]], ids=["dense", "sparse", "beyond-2^53"])
def test_polars_integer_keys_with_nulls(rng, values):
    x = data(rng)
    k = [None if v == 0 else int(v) for v in rng.choice(values + [0], len(x))]
    got = cx.nps(pl.DataFrame({"k": pl.Series(k, dtype=pl.Int64), "q": x}), "q", by="k")
    check_grouped(got, {"k": pd.array(k, dtype="Int64")}, x)
    assert got.index.tolist() == sorted(values)
    assert pd.api.types.is_integer_dtype(got.index.dtype), got.index.dtype


def test_polars_enum_keeps_order_and_drops_unobserved(rng):
    x = data(rng)
    enum = pl.Enum(["zeta", "beta", "unused", "alpha"])
    raw = rng.choice(["alpha", "beta", "zeta", None], len(x)).tolist()
    df = pl.DataFrame({"e": pl.Series(raw, dtype=enum), "q": x})
    got = cx.nps(df, "q", by="e")
    assert list(got.index) == ["zeta", "beta", "alpha"]
    check_grouped(got, {"e": pd.Categorical(raw, categories=["zeta", "beta", "unused", "alpha"])}, x)


def test_polars_categorical(rng):
    x = data(rng)
    raw = rng.choice(["b", "a", "c"], len(x)).tolist()
    df = pl.DataFrame({"c": pl.Series(raw, dtype=pl.Categorical), "q": x})
    got = cx.nps(df, "q", by="c")
    # A Polars Categorical's physical order is arbitrary, so groups are sorted by label
    # (the oracle groups the plain strings, which pandas sorts).
    check_grouped(got, {"c": df["c"].cast(pl.Utf8).to_pandas()}, x)
    assert list(got.index) == ["a", "b", "c"]


def test_polars_enum_keeps_its_declared_order(rng):
    x = data(rng)
    raw = rng.choice(["b", "a", "c"], len(x)).tolist()
    df = pl.DataFrame({"c": pl.Series(raw, dtype=pl.Enum(["c", "a", "b"])), "q": x})
    got = cx.nps(df, "q", by="c")
    check_grouped(got, {"c": df["c"].to_pandas()}, x)
    assert list(got.index) == ["c", "a", "b"]


def test_polars_and_pandas_give_the_same_frame(rng):
    x = data(rng)
    k = rng.choice(["a", "b", "c"], len(x))
    pdf = pd.DataFrame({"k": k, "q": x})
    a = cx.csat(pdf.assign(q=np.clip(pdf.q, 1, 5)), "q", by="k")
    b = cx.csat(pl.from_pandas(pdf.assign(q=np.clip(pdf.q, 1, 5))), "q", by="k")
    pd.testing.assert_frame_equal(a.drop(columns="distribution"), b.drop(columns="distribution"))


# --------------------------------------------------------------------------------------------------
# argument errors


def test_unknown_column_names_the_column_and_argument():
    df = pd.DataFrame({"q": [10, 9], "k": ["a", "b"], "w": [1.0, 1.0]})
    with pytest.raises(cx.InvalidArgumentError, match="score.*'nope'"):
        cx.nps(df, "nope")
    with pytest.raises(cx.InvalidArgumentError, match="by.*'region'"):
        cx.nps(df, "q", by="region")
    with pytest.raises(cx.InvalidArgumentError, match="by.*'region'"):
        cx.nps(df, "q", by=["k", "region"])
    with pytest.raises(cx.InvalidArgumentError, match="weights.*'weight'"):
        cx.nps(df, "q", weights="weight")
    with pytest.raises(cx.InvalidArgumentError, match="'nope'"):
        cx.csat(pl.from_pandas(df), "nope")
    with pytest.raises(ValueError, match="'nope'"):
        cx.ces(df, "q", by="nope")


def test_score_is_required_for_frames_and_refused_for_arrays():
    df = pd.DataFrame({"q": [10, 9]})
    with pytest.raises(cx.InvalidArgumentError, match="score"):
        cx.nps(df)
    with pytest.raises(cx.InvalidArgumentError, match="score"):
        cx.csat(pl.from_pandas(df))
    with pytest.raises(cx.InvalidArgumentError, match="score"):
        cx.nps([10, 9], "q")
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.nps([10, 9], by="k")  # a column name needs a frame
    with pytest.raises(cx.InvalidArgumentError, match="weights"):
        cx.nps([10, 9], weights="w")


def test_mismatched_lengths_name_the_argument():
    df = pd.DataFrame({"q": [10, 9, 8]})
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.nps(df, "q", by=np.array(["a", "b"]))
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.nps([10, 9, 8], by=[np.array([1, 2, 3]), np.array([1, 2])])
    with pytest.raises(cx.InvalidArgumentError, match="weights"):
        cx.nps(df, "q", weights=[1.0, 2.0])
    with pytest.raises(cx.InvalidArgumentError, match="weights"):
        cx.csat([1, 2, 3], weights=np.ones(4))


def test_bad_by_values():
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.nps([10, 9], by=[])
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.nps([10, 9], by=np.zeros((2, 2)))


def test_empty_frame_grouped_and_ungrouped():
    df = pd.DataFrame({"k": pd.Series([], dtype=object), "q": pd.Series([], dtype=float)})
    got = cx.nps(df, "q", by="k")
    assert len(got) == 0 and got.attrs["n_missing_key"] == 0
    assert "nps" in got.columns
    r = cx.nps(df, "q")
    assert r.n == 0 and math.isnan(r.nps)
    pol = cx.csat(pl.DataFrame({"k": pl.Series([], dtype=pl.String), "q": pl.Series([], dtype=pl.Int64)}), "q", by="k")
    assert len(pol) == 0


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda k: pd.Categorical(k, categories=["b", "a", "z"]), id="Categorical"),
        pytest.param(lambda k: pd.Index(k), id="Index"),
        pytest.param(lambda k: pd.array(k, dtype="string"), id="StringArray"),
    ],
)
def test_key_arrays_of_pandas_array_types(rng, make):
    """by= takes array-likes: pandas arrays and indexes are array-likes too."""
    x = data(rng, 120)
    k = rng.choice(["a", "b"], len(x)).tolist()
    got = cx.nps(x, by=make(k))
    check_grouped(got.rename_axis("k"), {"k": make(k)}, x)


def test_nullable_int_key_array_with_na(rng):
    x = data(rng, 120)
    raw = rng.integers(0, 4, len(x))
    k = pd.array(raw, dtype="Int64")
    k[raw == 0] = pd.NA
    got = cx.nps(x, by=k)
    check_grouped(got.rename_axis("k"), {"k": k}, x)


def test_non_native_byte_order_keys_and_weights(rng):
    x = data(rng, 200)
    k = rng.integers(0, 5, len(x))
    w = random_weights(rng, len(x))
    got = cx.nps(x.astype(">f8"), by=k.astype(">i8"), weights=w.astype(">f8"))
    check_grouped(got.rename_axis("k"), {"k": k}, x, w)
