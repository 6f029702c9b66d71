"""Tests of cx.kano and cx.KanoAccumulator (METRICS.md §3 "Kano").

Oracles: METRICS.md's evaluation tables written out here, a row-by-row pure-Python classifier of
the definitions (counts, rules with the tie order, Better/Worse, strengths, Fong, DuMouchel
means), scipy.stats.chi2_contingency (correction=False) for the segment test, and numpy
quantiles of replicates recomputed with numpy weights for the bootstrap.
"""

from __future__ import annotations

import importlib

import math
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import cxkit as cx

# METRICS.md §3 standard table, rows = functional 1..5, columns = dysfunctional 1..5.
STANDARD = [
    "Q A A A O".split(),
    "R I I I M".split(),
    "R I I I M".split(),
    "R I I I M".split(),
    "R R R R Q".split(),
]
THREE = ["A A O".split(), "I I M".split(), "I I M".split()]
CATS = ["A", "O", "M", "I", "R", "Q"]
TIE = ["M", "O", "A", "I", "R", "Q"]
FSCORE5 = {1: 4, 2: 2, 3: 0, 4: -1, 5: -2}
DSCORE5 = {1: -2, 2: -1, 3: 0, 4: 2, 5: 4}
FSCORE3 = {1: 4, 2: 0, 3: -2}
DSCORE3 = {1: -2, 2: 0, 3: 4}


def classify(pairs, table=STANDARD, rule="mode", threshold=0.06, three=False):
    """The definitions, one pair at a time (no cxkit)."""
    c = {k: 0 for k in CATS}
    fs = ds = 0.0
    for f, d in pairs:
        c[table[f - 1][d - 1]] += 1
        fs += (FSCORE3 if three else FSCORE5)[f]
        ds += (DSCORE3 if three else DSCORE5)[d]
    n = sum(c.values())
    out = dict(c, n=n)
    np_ = c["A"] + c["O"] + c["M"] + c["I"]
    out["better"] = (c["A"] + c["O"]) / np_ if np_ else math.nan
    out["worse"] = -(c["O"] + c["M"]) / np_ if np_ else math.nan
    if n == 0:
        out.update(category="", total_strength=math.nan, category_strength=math.nan, fong_significant=False,
                   functional_mean=math.nan, dysfunctional_mean=math.nan)
        return out
    out["total_strength"] = (c["A"] + c["O"] + c["M"]) / n
    five = sorted(["M", "O", "A", "I", "R"], key=lambda k: (-c[k], TIE.index(k)))
    a, b = c[five[0]], c[five[1]]
    out["category_strength"] = (a - b) / n
    out["fong_significant"] = (a + b) > 0 and abs(a - b) >= 1.65 * math.sqrt((a + b) * (2 * n - a - b) / (2 * n))
    mode = sorted(TIE, key=lambda k: (-c[k], TIE.index(k)))[0]
    cat = mode
    if rule == "strength" and out["category_strength"] < threshold:
        cat = next(k for k in ["M", "O", "A", "I"] if k in five[:2])
    if rule == "aom_vs_iqr":
        group = ["M", "O", "A"] if c["A"] + c["O"] + c["M"] > c["I"] + c["R"] + c["Q"] else ["I", "R", "Q"]
        cat = sorted(group, key=lambda k: (-c[k], TIE.index(k)))[0]
    out["category"] = cat
    out["functional_mean"] = fs / n
    out["dysfunctional_mean"] = ds / n
    return out


def check_row(row, expected):
    for k, v in expected.items():
        got = row[k]
        if isinstance(v, float) and math.isnan(v):
            assert math.isnan(got), k
        elif isinstance(v, float):
            assert got == pytest.approx(v, rel=1e-12, abs=1e-15), k
        else:
            assert got == v, k


def long_frame(rng, n_resp=300, features=("a", "b", "c"), lo=1, hi=5):
    rows = []
    for r in range(n_resp):
        for f in features:
            rows.append((r, f, int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))))
    return pd.DataFrame(rows, columns=["resp", "feature", "f", "d"])


# --------------------------------------------------------------------------------------------------
# tables and definitions


def test_standard_table_cell_by_cell():
    for f in range(1, 6):
        for d in range(1, 6):
            df = pd.DataFrame({"feature": ["x"], "f": [f], "d": [d]})
            out = cx.kano(df, feature="feature", functional="f", dysfunctional="d")
            expected = STANDARD[f - 1][d - 1]
            assert out.loc["x", expected] == 1
            assert out.loc["x", "category"] == expected
            assert out.loc["x", CATS].sum() == 1


def test_three_point_table_cell_by_cell_and_scale():
    for f in range(1, 4):
        for d in range(1, 4):
            df = pd.DataFrame({"feature": ["x"], "f": [f], "d": [d]})
            out = cx.kano(df, feature="feature", functional="f", dysfunctional="d", table="three_point")
            assert out.loc["x", "category"] == THREE[f - 1][d - 1]
            same = cx.kano(df, feature="feature", functional="f", dysfunctional="d", scale=3)
            assert same.loc["x", "category"] == THREE[f - 1][d - 1]
    df = pd.DataFrame({"feature": ["x", "x"], "f": [1, 4], "d": [3, 1]})
    with pytest.raises(cx.InvalidInputError, match="position 1"):
        cx.kano(df, feature="feature", functional="f", dysfunctional="d", scale=3)
    out = cx.kano(df, feature="feature", functional="f", dysfunctional="d", scale=3, on_invalid="drop")
    assert (out.loc["x", "n"], out.loc["x", "n_invalid"], out.loc["x", "O"]) == (1, 1, 1)


@pytest.mark.parametrize("rule", ["mode", "strength", "aom_vs_iqr"])
@pytest.mark.parametrize("threshold", [0.0, 0.06, 0.3])
def test_random_data_against_the_definitions(rule, threshold):
    rng = np.random.default_rng(11)
    df = long_frame(rng, n_resp=250)
    # skew feature b towards a few pairs so that rules and ties differ
    df.loc[df.feature == "b", "f"] = rng.choice([1, 2, 3], size=(df.feature == "b").sum())
    out = cx.kano(df, feature="feature", functional="f", dysfunctional="d", rule=rule, strength_threshold=threshold)
    for feat, g in df.groupby("feature"):
        expected = classify(list(zip(g.f, g.d)), rule=rule, threshold=threshold)
        expected["reliable"] = len(g) >= 200
        check_row(out.loc[feat], expected)


def test_hand_built_feature():
    # A 5 (1,2), O 3 (1,5), M 4 (2,5), I 2 (3,3), R 1 (5,1), Q 1 (1,1): see test_kano.cpp.
    pairs = [(1, 2)] * 5 + [(1, 5)] * 3 + [(2, 5)] * 4 + [(3, 3)] * 2 + [(5, 1)] + [(1, 1)]
    df = pd.DataFrame({"feature": "x", "f": [p[0] for p in pairs], "d": [p[1] for p in pairs]})
    kw = dict(feature="feature", functional="f", dysfunctional="d")
    out = cx.kano(df, **kw).loc["x"]
    assert (out.A, out.O, out.M, out.I, out.R, out.Q, out.n) == (5, 3, 4, 2, 1, 1, 16)
    assert out.better == pytest.approx(8 / 14) and out.worse == pytest.approx(-7 / 14)
    assert out.category_strength == pytest.approx(1 / 16) and out.total_strength == pytest.approx(12 / 16)
    assert out.functional_mean == pytest.approx(42 / 16) and out.dysfunctional_mean == pytest.approx(19 / 16)
    assert not out.fong_significant
    assert cx.kano(df, **kw, rule="strength").loc["x", "category"] == "A"
    assert cx.kano(df, **kw, rule="strength", strength_threshold=0.07).loc["x", "category"] == "M"
    assert cx.kano(df, **kw, rule="aom_vs_iqr").loc["x", "category"] == "A"


def test_user_table():
    table = [["I"] * 5 for _ in range(5)]
    table[0][4] = "O"
    table[1][1] = "a"
    df = pd.DataFrame({"feature": "x", "f": [1, 1, 2, 2, 2, 5], "d": [5, 5, 2, 2, 2, 5]})
    out = cx.kano(df, feature="feature", functional="f", dysfunctional="d", table=np.array(table))
    assert (out.loc["x", "O"], out.loc["x", "A"], out.loc["x", "I"], out.loc["x", "Q"]) == (2, 3, 1, 0)
    with pytest.raises(cx.InvalidArgumentError, match="table"):
        cx.kano(df, feature="feature", functional="f", dysfunctional="d", table=[["X"] * 5] * 5)
    with pytest.raises(cx.InvalidArgumentError, match="table"):
        cx.kano(df, feature="feature", functional="f", dysfunctional="d", table="nonsense")


def test_words_and_synonyms():
    words = {
        1: ["Like", "like", "I like it", "i like it that way", "LIKE IT"],
        2: ["Must-be", "must be", "I expect it", "I expect it that way", "It must be that way"],
        3: ["Neutral", "I am neutral", "I don't care", "I don\u2019t care", "indifferent"],
        4: ["Live-with", "live with", "I can live with it", "I can tolerate it", "tolerate"],
        5: ["Dislike", "I dislike it", "I dislike it that way", "dislike"],
    }
    rng = np.random.default_rng(3)
    fs, ds, fw, dw = [], [], [], []
    for _ in range(200):
        f, d = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        fs.append(f)
        ds.append(d)
        fw.append(words[f][int(rng.integers(len(words[f])))])
        dw.append(words[d][int(rng.integers(len(words[d])))])
    feat = ["x"] * 100 + ["y"] * 100
    num = cx.kano(pd.DataFrame({"k": feat, "f": fs, "d": ds}), feature="k", functional="f", dysfunctional="d")
    txt = cx.kano(pd.DataFrame({"k": feat, "f": fw, "d": dw}), feature="k", functional="f", dysfunctional="d")
    cat = cx.kano(pd.DataFrame({"k": feat, "f": pd.Categorical(fw), "d": pd.Categorical(dw)}), feature="k",
                  functional="f", dysfunctional="d")
    pd.testing.assert_frame_equal(num, txt)
    pd.testing.assert_frame_equal(num, cat)
    for feat_name in ("x", "y"):
        sel = slice(0, 100) if feat_name == "x" else slice(100, 200)
        check_row(num.loc[feat_name], {k: v for k, v in classify(list(zip(fs[sel], ds[sel]))).items()})
    # three-point words
    df3 = pd.DataFrame({"k": "x", "f": ["Like", "neutral", "Dislike"], "d": ["dislike", "Dislike", "like"]})
    out3 = cx.kano(df3, feature="k", functional="f", dysfunctional="d", table="three_point")
    assert (out3.loc["x", "O"], out3.loc["x", "M"], out3.loc["x", "I"]) == (1, 1, 1)


def test_polars_input_and_wide_form():
    pl = importlib.import_module("polars")
    rng = np.random.default_rng(5)
    df = long_frame(rng, n_resp=50)
    ref = cx.kano(df, feature="feature", functional="f", dysfunctional="d")
    pd.testing.assert_frame_equal(cx.kano(pl.from_pandas(df), feature="feature", functional="f", dysfunctional="d"),
                                  ref)
    wide = df.pivot(index="resp", columns="feature", values=["f", "d"])
    wide.columns = [f"{feat}_{q}" for q, feat in wide.columns]
    wide = wide.reset_index()
    out = cx.kano(wide, features=["a", "b", "c"], functional="{feature}_f", dysfunctional="{feature}_d")
    pd.testing.assert_frame_equal(out, ref, check_names=False)
    mapping = {k: (f"{k}_f", f"{k}_d") for k in ["c", "a"]}
    out2 = cx.kano(wide, features=mapping)
    assert list(out2.index) == ["c", "a"]
    pd.testing.assert_frame_equal(out2.loc[["a"]], ref.loc[["a"]], check_names=False)
    with pytest.raises(cx.InvalidArgumentError, match="functional"):
        cx.kano(wide, features=["a"], functional="a_f", dysfunctional="{feature}_d")
    with pytest.raises(cx.InvalidArgumentError, match="unknown column"):
        cx.kano(wide, features=["zz"], functional="{feature}_f", dysfunctional="{feature}_d")


# --------------------------------------------------------------------------------------------------
# bad input


def test_bad_input_classes_and_accounting():
    df = pd.DataFrame({
        "k": ["x", "x", "x", "y", "y", "y", None],
        "f": [1, np.nan, 2, 9, 1, 1.5, 1],
        "d": [5, 3, np.nan, 1, 0, 2, 5],
    })
    kw = dict(feature="k", functional="f", dysfunctional="d")
    with pytest.raises(cx.InvalidInputError) as e:
        cx.kano(df, **kw)
    msg = str(e.value)
    assert "position 3" in msg and "9" in msg and "1..5" in msg and "3 invalid rows" in msg
    assert isinstance(e.value, ValueError)
    out = cx.kano(df, **kw, on_invalid="drop")
    assert out.loc["x", ["n", "n_missing", "n_invalid"]].tolist() == [1, 2, 0]
    assert out.loc["y", ["n", "n_missing", "n_invalid"]].tolist() == [0, 0, 3]
    total = out[["n", "n_missing", "n_invalid"]].to_numpy().sum() + out.attrs["n_missing_key"]
    assert total == len(df) == out.attrs["n_rows"]
    # an invalid pair whose feature is missing is not counted, so it does not raise
    df2 = pd.DataFrame({"k": ["x", None], "f": [1, 9], "d": [5, 5]})
    assert cx.kano(df2, **kw).attrs["n_missing_key"] == 1
    assert out.loc["y", "category"] == "" and math.isnan(out.loc["y", "better"])
    # words that are not answers
    bad = pd.DataFrame({"k": ["x", "x"], "f": ["Like", "maybe"], "d": ["Dislike", "Dislike"]})
    with pytest.raises(cx.InvalidInputError, match="'maybe'"):
        cx.kano(bad, **kw)
    assert cx.kano(bad, **kw, on_invalid="drop").loc["x", "n_invalid"] == 1
    # nullable integers: one answer missing -> the pair is missing
    nul = pd.DataFrame({"k": ["x", "x"], "f": pd.array([1, None], dtype="Int8"), "d": pd.array([5, 5], dtype="Int64")})
    assert cx.kano(nul, **kw).loc["x", ["n", "n_missing"]].tolist() == [1, 1]
    with pytest.raises(cx.InvalidArgumentError, match="unknown column"):
        cx.kano(df, feature="nope", functional="f", dysfunctional="d")
    with pytest.raises(cx.InvalidArgumentError, match="on_invalid"):
        cx.kano(df, **kw, on_invalid="skip")
    with pytest.raises(cx.InvalidArgumentError, match="rule"):
        cx.kano(df, **kw, rule="majority")
    with pytest.raises(cx.InvalidArgumentError, match="max_questionable"):
        cx.kano(df, **kw, max_questionable=-1)
    empty = cx.kano(df.iloc[:0], **kw)
    assert len(empty) == 0


# --------------------------------------------------------------------------------------------------
# respondents: cleaning, bootstrap


def test_max_questionable_removes_respondents_and_reports_them():
    rows = []
    # respondent 0: two Q answers (1,1) and (5,5); respondent 1: one Q; respondent 2: none
    rows += [(0, "a", 1, 1), (0, "b", 5, 5), (0, "c", 1, 5)]
    rows += [(1, "a", 1, 1), (1, "b", 1, 5), (1, "c", 2, 5)]
    rows += [(2, "a", 1, 2), (2, "b", 1, 5), (2, "c", 3, 3)]
    df = pd.DataFrame(rows, columns=["r", "k", "f", "d"])
    kw = dict(feature="k", functional="f", dysfunctional="d", respondent="r")
    out = cx.kano(df, **kw, max_questionable=1)
    assert out.attrs["n_removed"] == 1 and out.attrs["n_removed_rows"] == 3
    expected = {"a": classify([(1, 1), (1, 2)]), "b": classify([(1, 5), (1, 5)]), "c": classify([(2, 5), (3, 3)])}
    for k, e in expected.items():
        check_row(out.loc[k], e)
    assert out[["n", "n_missing", "n_invalid"]].to_numpy().sum() + out.attrs["n_removed_rows"] == len(df)
    out0 = cx.kano(df, **kw, max_questionable=0)
    assert out0.attrs["n_removed"] == 2
    assert cx.kano(df, **kw).attrs["n_removed"] == 0
    # wide form: each row a respondent
    wide = pd.DataFrame({"a_f": [1, 1], "a_d": [1, 2], "b_f": [5, 1], "b_d": [5, 5]})
    w = cx.kano(wide, features=["a", "b"], functional="{feature}_f", dysfunctional="{feature}_d", max_questionable=1)
    assert w.attrs["n_removed"] == 1 and w.loc["a", "A"] == 1 and w.loc["a", "Q"] == 0


def test_bootstrap_reproducible_threads_and_numpy_oracle():
    rng = np.random.default_rng(8)
    df = long_frame(rng, n_resp=60, features=("a", "b"))
    kw = dict(feature="feature", functional="f", dysfunctional="d", respondent="resp", bootstrap=200, seed=7)
    one = cx.kano(df, **kw, threads=1)
    two = cx.kano(df, **kw, threads=2)
    pd.testing.assert_frame_equal(one, two)
    np.testing.assert_array_equal(one.attrs["better_replicates"], two.attrs["better_replicates"])
    other = cx.kano(df, **{**kw, "seed": 8})
    assert not np.array_equal(one.attrs["better_replicates"], other.attrs["better_replicates"])
    br, wr = one.attrs["better_replicates"], one.attrs["worse_replicates"]
    assert br.shape == (200, 2) and wr.shape == (200, 2)
    # the interval columns are the type-7 quantiles of the replicates
    for j, feat in enumerate(one.index):
        assert one.loc[feat, "better_lo"] == pytest.approx(np.quantile(br[:, j], 0.025))
        assert one.loc[feat, "worse_hi"] == pytest.approx(np.quantile(wr[:, j], 0.975))
        assert one.loc[feat, "better_lo"] <= one.loc[feat, "better"] <= one.loc[feat, "better_hi"]
    # each replicate is Better/Worse of the respondents weighted by some resample: check that
    # every replicate is achievable, i.e. equals (A+O)/N' for counts from integer weights summing to 60
    cat = {(f, d): STANDARD[f - 1][d - 1] for f in range(1, 6) for d in range(1, 6)}
    a = df[df.feature == "a"].sort_values("resp")
    cats = np.array([cat[(f, d)] for f, d in zip(a.f, a.d)])
    # the mean of the replicates is close to the point estimate (n = 60 respondents, 200 replicates)
    assert abs(br[:, 0].mean() - one.loc["a", "better"]) < 0.03
    assert set(np.unique(cats)) <= set(CATS)


def test_bootstrap_stable_under_row_order():
    rng = np.random.default_rng(9)
    df = long_frame(rng, n_resp=40, features=("a", "b"))
    kw = dict(feature="feature", functional="f", dysfunctional="d", respondent="resp", bootstrap=50, seed=1)
    a = cx.kano(df, **kw)
    b = cx.kano(df.sample(frac=1.0, random_state=2), **kw)
    np.testing.assert_array_equal(a.attrs["better_replicates"], b.attrs["better_replicates"])


# --------------------------------------------------------------------------------------------------
# segments


def test_segments_and_chi_square_against_scipy():
    rng = np.random.default_rng(4)
    df = long_frame(rng, n_resp=400)
    df["seg"] = np.where(df.resp % 3 == 0, "north", np.where(df.resp % 3 == 1, "south", "west"))
    df.loc[(df.seg == "north") & (df.feature == "a"), "f"] = 1  # make segment north differ on a
    out = cx.kano(df, feature="feature", functional="f", dysfunctional="d", by="seg")
    assert out.index.names == ["seg", "feature"]
    for (seg, feat), g in df.groupby(["seg", "feature"]):
        check_row(out.loc[(seg, feat)], classify(list(zip(g.f, g.d))))
    test = out.attrs["segment_test"]
    for feat in ["a", "b", "c"]:
        table = out.xs(feat, level="feature")[CATS].to_numpy()
        table = table[:, table.sum(axis=0) > 0]
        stat, p, dof, _ = scipy.stats.chi2_contingency(table, correction=False)
        assert test.loc[feat, "chi2"] == pytest.approx(stat, rel=1e-10)
        assert test.loc[feat, "chi2_df"] == dof
        assert test.loc[feat, "chi2_p"] == pytest.approx(p, rel=1e-8, abs=1e-300)
    assert test.loc["a", "chi2_p"] < 1e-6


def test_chi_square_function_against_scipy():
    table = np.array([[10, 3, 0, 7, 1, 0], [4, 8, 0, 2, 2, 0], [6, 6, 0, 6, 0, 0]])
    stat, df, p = cx._core.kano_chi_square(table)
    ref = scipy.stats.chi2_contingency(table[:, [0, 1, 3, 4]], correction=False)
    assert stat == pytest.approx(ref[0]) and df == ref[2] and p == pytest.approx(ref[1])


# --------------------------------------------------------------------------------------------------
# the accumulator


def test_accumulator_equals_kano_and_options_in_result():
    rng = np.random.default_rng(12)
    df = long_frame(rng, n_resp=100)
    acc = cx.KanoAccumulator(features=["a", "b", "c"])
    for part in np.array_split(np.arange(len(df)), 4):
        p = df.iloc[part]
        acc.add(p.feature.to_numpy(), p.f.to_numpy(), p.d.to_numpy())
    for rule in ["mode", "strength", "aom_vs_iqr"]:
        ref = cx.kano(df, feature="feature", functional="f", dysfunctional="d", rule=rule)
        pd.testing.assert_frame_equal(acc.result(rule=rule), ref, check_names=False)
    np.testing.assert_array_equal(
        acc.cells("a"), pd.crosstab(df[df.feature == "a"].f, df[df.feature == "a"].d).reindex(
            index=range(1, 6), columns=range(1, 6), fill_value=0).to_numpy())
    acc.add("new", "Like", "Dislike")
    assert acc.features[-1] == "new" and acc.result().loc["new", "category"] == "O"
    with pytest.raises(cx.InvalidInputError):
        acc.add("a", [1, 7], [5, 5])
    with pytest.raises(cx.InvalidArgumentError, match="position 1"):
        acc.add(["a", None], [1, 1], [5, 5])
    assert acc.n == len(df) + 1
    acc.add(["a", "b"], [1, 7], [5, 5], on_invalid="drop")
    assert (acc.n, acc.n_invalid) == (len(df) + 2, 1)


def finite_pairs(max_size=30):
    return st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 5), st.integers(1, 5),
                              st.booleans()), max_size=max_size)


def fill(rows):
    acc = cx.KanoAccumulator()
    if rows:
        k = [r[0] for r in rows]
        f = [float(r[1]) if r[3] else math.nan for r in rows]
        d = [float(r[2]) for r in rows]
        acc.add(k, f, d)
    return acc


@settings(max_examples=60, deadline=None)
@given(finite_pairs(), finite_pairs(), finite_pairs())
def test_merge_laws(x, y, z):
    a, b, c = fill(x), fill(y), fill(z)
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + cx.KanoAccumulator() == a
    assert cx.KanoAccumulator() + a == a
    assert a + b + c == fill(x + y + z)
    s = a + b
    assert cx.KanoAccumulator.from_bytes(s.to_bytes()) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert s.n + s.n_missing + s.n_invalid == len(x) + len(y)


def test_corrupt_bytes_and_repr():
    acc = cx.KanoAccumulator(features=["x"])
    acc.add("x", [1, 2], [5, 5])
    b = acc.to_bytes()
    with pytest.raises(cx.CorruptStateError, match="corrupt state"):
        cx.KanoAccumulator.from_bytes(b[:-3])
    flipped = bytearray(b)
    flipped[-1] ^= 1
    with pytest.raises(cx.CorruptStateError):
        cx.KanoAccumulator.from_bytes(bytes(flipped))
    with pytest.raises(cx.CorruptStateError):
        cx.NpsAccumulator.from_bytes(b)
    assert "features=['x']" in repr(acc)
    golden = open(__file__.rsplit("/", 2)[0] + "/golden/kano_v1.bin", "rb").read()
    g = cx.KanoAccumulator.from_bytes(golden)
    assert g.features == ["wifi", "tv"] and (g.n, g.n_missing, g.n_invalid) == (5, 1, 1)
    res = g.result()
    assert res.loc["wifi", ["O", "M"]].tolist() == [1, 1] and res.loc["tv", ["A", "Q", "I"]].tolist() == [1, 1, 1]


def test_docstring_examples_run():
    import doctest

    import cxkit.kano

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in doctest.DocTestFinder().find(cxkit.kano, globs={"cx": cx}) if t.examples]
    tests.append(doctest.DocTestParser().get_doctest(cx.KanoAccumulator.__doc__, {"cx": cx}, "KanoAccumulator",
                                                     None, 0))
    assert len(tests) >= 2
    report: list[str] = []
    for t in tests:
        runner.run(t, out=report.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(report)
