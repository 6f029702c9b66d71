"""cx.compare_nps, cx.compare_csat and cx.compare_segments (METRICS.md §1 two samples, §2 Holm/BH)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import cxkit as cx
from conftest import (
    COMPARISON_FIELDS,
    assert_fields,
    nps_centre_se,
    nps_oracle,
    random_scores,
    random_weights,
    rating_oracle,
    wilson,
    z_of,
)


def nps_compare_oracle(a, b, *, method="adjusted_wald", confidence=0.95, wa=None, wb=None) -> dict:
    """Two independent samples: delta of the (adjusted) estimates, SE = sqrt(SE_a^2 + SE_b^2)."""
    ra, rb = nps_oracle(a, wa), nps_oracle(b, wb)
    ca, sa = nps_centre_se(ra["promoter_share"], ra["detractor_share"], ra["n_effective"], method)
    cb, sb = nps_centre_se(rb["promoter_share"], rb["detractor_share"], rb["n_effective"], method)
    delta, se = ca - cb, math.hypot(sa, sb)
    z = delta / se if se > 0 else math.nan
    p = 2 * stats.norm.sf(abs(z)) if not math.isnan(z) else math.nan
    zc = z_of(confidence)
    return dict(difference=delta, std_error=se, statistic=z, p_value=p, ci_low=delta - zc * se,
                ci_high=delta + zc * se, method=method)


# --------------------------------------------------------------------------------------------------
# compare_nps


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_compare_nps_two_samples_matches_formula(rng, method, confidence):
    a, b = random_scores(rng, 180), random_scores(rng, 240, 3, 10)
    r = cx.compare_nps(a, b, method=method, confidence=confidence)
    assert_fields(r, nps_compare_oracle(a, b, method=method, confidence=confidence))
    assert r.confidence == confidence


def test_compare_nps_wald_difference_is_the_difference_of_scores(rng):
    a, b = random_scores(rng, 100), random_scores(rng, 100)
    r = cx.compare_nps(a, b, method="wald")
    assert r.difference == pytest.approx(cx.nps(a).nps - cx.nps(b).nps, rel=1e-12, abs=1e-12)
    assert r.std_error == pytest.approx(
        math.hypot(cx.nps(a, method="wald").std_error, cx.nps(b, method="wald").std_error), rel=1e-12
    )


def test_compare_nps_is_signed_a_minus_b(rng):
    a, b = random_scores(rng, 200, 6, 10), random_scores(rng, 200, 0, 8)
    ab, ba = cx.compare_nps(a, b), cx.compare_nps(b, a)
    assert ab.difference > 0
    assert ba.difference == pytest.approx(-ab.difference, rel=1e-12)
    assert ba.statistic == pytest.approx(-ab.statistic, rel=1e-12)
    assert ba.p_value == pytest.approx(ab.p_value, rel=1e-12)
    assert ba.ci_low == pytest.approx(-ab.ci_high, rel=1e-12)


def test_compare_nps_hand_computed_example():
    # a: 3/4 promoters, 1/4 detractors -> NPS 50; b: 1/4 promoters, 2/4 detractors -> NPS -25
    r = cx.compare_nps([10, 9, 9, 3] * 25, [10, 7, 3, 3] * 25, method="wald")
    assert r.difference == pytest.approx(75.0)
    se_a = 100 * math.sqrt((0.75 + 0.25 - 0.5**2) / 100)
    se_b = 100 * math.sqrt((0.25 + 0.5 - 0.25**2) / 100)
    assert r.std_error == pytest.approx(math.hypot(se_a, se_b), rel=1e-12)


def test_compare_nps_weighted_uses_kish_neff(rng):
    a, b = random_scores(rng, 150), random_scores(rng, 90)
    wa, wb = random_weights(rng, 150), random_weights(rng, 90)
    acc_a, acc_b = cx.NpsAccumulator(), cx.NpsAccumulator()
    acc_a.add(a, weights=wa)
    acc_b.add(b, weights=wb)
    for method in ("wald", "adjusted_wald"):
        r = cx.compare_nps(acc_a, acc_b, method=method)
        assert_fields(r, nps_compare_oracle(a, b, wa=wa, wb=wb, method=method), rel=1e-10)


def test_compare_nps_accepts_arrays_accumulators_and_results(rng):
    a, b = random_scores(rng, 80), random_scores(rng, 70)
    acc_a, acc_b = cx.NpsAccumulator(), cx.NpsAccumulator()
    acc_a.add(a)
    acc_b.add(b)
    ref = cx.compare_nps(a, b)
    for x in (a, list(a), pd.Series(a), acc_a, cx.nps(a), acc_a.result(method="wald")):
        for y in (b, acc_b, cx.nps(b)):
            assert cx.compare_nps(x, y) == ref


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
@pytest.mark.parametrize("benchmark", [-100, -20.5, 0, 31, 100, np.float32(12.0), np.int64(40)])
def test_compare_nps_one_sample_benchmark(rng, method, benchmark):
    a = random_scores(rng, 150)
    r = cx.compare_nps(a, benchmark, method=method)
    ra = nps_oracle(a)
    centre, se = nps_centre_se(ra["promoter_share"], ra["detractor_share"], ra["n_effective"], method)
    delta = centre - float(benchmark)
    z = delta / se
    assert_fields(
        r,
        dict(difference=delta, std_error=se, statistic=z, p_value=2 * stats.norm.sf(abs(z)),
             ci_low=delta - z_of(0.95) * se, ci_high=delta + z_of(0.95) * se, method=method),
    )


@pytest.mark.parametrize("benchmark", [100.5, -101, math.inf, math.nan])
def test_compare_nps_benchmark_out_of_range(benchmark):
    with pytest.raises(cx.InvalidArgumentError, match="benchmark"):
        cx.compare_nps([10, 9, 0], benchmark)


def test_compare_nps_identical_samples():
    a = [10, 9, 7, 3, 0, 10]
    r = cx.compare_nps(a, a, method="wald")
    assert r.difference == 0.0 and r.statistic == 0.0 and r.p_value == pytest.approx(1.0)
    # no variance and no difference: no evidence either way
    s = cx.compare_nps([10, 10], [9, 9], method="wald")
    assert s.difference == 0.0 and s.std_error == 0.0
    assert math.isnan(s.statistic) and math.isnan(s.p_value)


def test_compare_nps_empty_sample_gives_nan_not_an_error():
    r = cx.compare_nps([], [10, 9, 0])
    for f in ("difference", "std_error", "statistic", "p_value", "ci_low", "ci_high"):
        assert math.isnan(getattr(r, f)), f
    r = cx.compare_nps([math.nan, None], [10, 9, 0])
    assert math.isnan(r.difference)


def test_compare_nps_bad_arguments():
    with pytest.raises(cx.InvalidArgumentError, match="a"):
        cx.compare_nps(None, [10])
    with pytest.raises(cx.InvalidArgumentError, match="b"):
        cx.compare_nps([10], "ten")
    with pytest.raises(cx.InvalidArgumentError, match="method"):
        cx.compare_nps([10], [9], method="exact")
    with pytest.raises(cx.InvalidArgumentError, match="confidence"):
        cx.compare_nps([10], [9], confidence=1.0)
    with pytest.raises(cx.InvalidInputError):
        cx.compare_nps([11], [9])
    with pytest.raises(TypeError):
        cx.compare_nps([10], True)  # a bool is not a benchmark


def test_comparison_result_fields():
    r = cx.compare_nps([10, 0, 7], [9, 9, 1])
    assert list(cx.ComparisonResult._fields)[: len(COMPARISON_FIELDS)] == COMPARISON_FIELDS
    assert list(r.to_dict())[: len(COMPARISON_FIELDS)] == COMPARISON_FIELDS
    assert repr(r).startswith("ComparisonResult(difference=")
    with pytest.raises(AttributeError):
        r.p_value = 0.0


# --------------------------------------------------------------------------------------------------
# compare_csat


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("sizes", [(50, 60), (7, 300), (1000, 900)])
def test_compare_csat_matches_statsmodels(rng, confidence, sizes):
    a, b = random_scores(rng, sizes[0], 1, 5), random_scores(rng, sizes[1], 2, 5)
    r = cx.compare_csat(a, b, confidence=confidence)
    k1, k2, n1, n2 = int((a >= 4).sum()), int((b >= 4).sum()), len(a), len(b)
    lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=1 - confidence)
    z, p = proportions_ztest([k1, k2], [n1, n2])
    assert r.difference == pytest.approx(100 * (k1 / n1 - k2 / n2), rel=1e-12, abs=1e-12)
    assert r.ci_low == pytest.approx(100 * lo, rel=1e-9, abs=1e-9)
    assert r.ci_high == pytest.approx(100 * hi, rel=1e-9, abs=1e-9)
    assert r.statistic == pytest.approx(z, rel=1e-9)
    assert r.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)
    pooled = (k1 + k2) / (n1 + n2)
    assert r.std_error == pytest.approx(100 * math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)), rel=1e-12)
    assert r.method == "newcombe" and r.confidence == confidence


def test_compare_csat_docstring_example():
    assert cx.compare_csat([5, 4, 4, 1] * 50, [5, 2, 2, 1] * 50).difference == pytest.approx(50.0)


def test_compare_csat_weighted_uses_neff(rng):
    a, b = random_scores(rng, 120, 1, 5), random_scores(rng, 80, 1, 5)
    wa, wb = random_weights(rng, 120), random_weights(rng, 80)
    acc_a, acc_b = cx.RatingAccumulator(), cx.RatingAccumulator()
    acc_a.add(a, weights=wa)
    acc_b.add(b, weights=wb)
    r = cx.compare_csat(acc_a, acc_b)
    oa, ob = rating_oracle(a, wa), rating_oracle(b, wb)
    p1, p2, n1, n2 = oa["csat"] / 100, ob["csat"] / 100, oa["n_effective"], ob["n_effective"]
    z = z_of(0.95)
    l1, u1 = wilson(p1, n1, z)
    l2, u2 = wilson(p2, n2, z)
    d = p1 - p2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert_fields(
        r,
        dict(difference=100 * d, std_error=100 * se, statistic=d / se, p_value=2 * stats.norm.sf(abs(d / se)),
             ci_low=100 * (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
             ci_high=100 * (d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))),
        rel=1e-10,
    )


def test_compare_csat_scale_and_satisfied_min_for_arrays(rng):
    a, b = random_scores(rng, 200, 1, 7), random_scores(rng, 150, 1, 7)
    r = cx.compare_csat(a, b, scale=(1, 7), satisfied_min=5)
    k1, k2 = int((a >= 5).sum()), int((b >= 5).sum())
    lo, hi = confint_proportions_2indep(k1, 200, k2, 150, method="newcomb", compare="diff")
    assert r.difference == pytest.approx(100 * (k1 / 200 - k2 / 150), rel=1e-12)
    assert (r.ci_low, r.ci_high) == (pytest.approx(100 * lo, rel=1e-9), pytest.approx(100 * hi, rel=1e-9))
    with pytest.raises(cx.InvalidInputError):
        cx.compare_csat(a, b)  # 6s and 7s are not on the default 1..5 scale


def test_compare_csat_accepts_arrays_accumulators_and_results(rng):
    a, b = random_scores(rng, 60, 1, 5), random_scores(rng, 90, 1, 5)
    acc_a, acc_b = cx.RatingAccumulator(), cx.RatingAccumulator()
    acc_a.add(a)
    acc_b.add(b)
    ref = cx.compare_csat(a, b)
    for x in (a, list(a), acc_a, cx.csat(a)):
        for y in (b, pd.Series(b), acc_b, cx.csat(b)):
            assert cx.compare_csat(x, y) == ref


@pytest.mark.parametrize("benchmark", [10, 50.0, 85.5, np.float64(99.0)])
def test_compare_csat_one_sample_score_test(rng, benchmark):
    a = random_scores(rng, 140, 1, 5)
    r = cx.compare_csat(a, benchmark)
    k, n, p0 = int((a >= 4).sum()), len(a), float(benchmark) / 100
    z, p = proportions_ztest(k, n, value=p0, prop_var=p0)
    lo, hi = wilson(k / n, n, z_of(0.95))
    assert r.difference == pytest.approx(100 * k / n - float(benchmark), rel=1e-12, abs=1e-12)
    assert r.statistic == pytest.approx(z, rel=1e-9)
    assert r.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)
    assert r.std_error == pytest.approx(100 * math.sqrt(p0 * (1 - p0) / n), rel=1e-12)
    assert r.ci_low == pytest.approx(100 * lo - float(benchmark), rel=1e-9, abs=1e-9)
    assert r.ci_high == pytest.approx(100 * hi - float(benchmark), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("benchmark", [0, 100, -5, 150, math.nan])
def test_compare_csat_benchmark_out_of_range(benchmark):
    with pytest.raises(cx.InvalidArgumentError, match="benchmark"):
        cx.compare_csat([5, 4, 1], benchmark)


def test_compare_csat_empty_and_bad_arguments():
    r = cx.compare_csat([], [5, 4])
    assert math.isnan(r.difference) and math.isnan(r.p_value) and math.isnan(r.ci_low)
    with pytest.raises(cx.InvalidArgumentError, match="confidence"):
        cx.compare_csat([5], [4], confidence=0)
    with pytest.raises(cx.InvalidArgumentError):
        cx.compare_csat(None, [4])
    with pytest.raises(cx.InvalidArgumentError, match="satisfied_min"):
        cx.compare_csat([5], [4], satisfied_min=9)


# --------------------------------------------------------------------------------------------------
# compare_segments


def segments_frame(rng, n=900):
    seg = rng.choice(["north", "south", "east", "west", "online"], size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    shift = pd.Series(seg).map({"north": 0, "south": 2, "east": -1, "west": 1, "online": 0}).to_numpy()
    q = np.clip(rng.integers(0, 11, n) + shift, 0, 10)
    return pd.DataFrame({"segment": seg, "q": q, "w": random_weights(rng, n)})


@pytest.mark.parametrize("adjust, sm", [("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")])
@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
def test_compare_segments_nps_each_vs_rest(rng, adjust, sm, method):
    df = segments_frame(rng)
    out = cx.compare_segments(df, "q", by="segment", adjust=adjust, method=method)
    assert list(out.index) == sorted(df.segment.unique())
    assert out.index.name == "segment"
    for seg, row in out.iterrows():
        inside, rest = df.q[df.segment == seg].to_numpy(), df.q[df.segment != seg].to_numpy()
        exp = nps_compare_oracle(inside, rest, method=method)
        for f in ("difference", "std_error", "statistic", "p_value", "ci_low", "ci_high"):
            assert row[f] == pytest.approx(exp[f], rel=1e-9, abs=1e-12), (seg, f)
        assert row["nps"] == pytest.approx(nps_oracle(inside)["nps"], rel=1e-12, abs=1e-12)
        assert row["rest"] == pytest.approx(nps_oracle(rest)["nps"], rel=1e-12, abs=1e-12)
        assert row["n"] == len(inside)
    expected_adj = multipletests(out["p_value"].to_numpy(), method=sm)[1]
    np.testing.assert_allclose(out["p_adjusted"].to_numpy(), expected_adj, rtol=1e-12)
    np.testing.assert_array_equal(out["significant"].to_numpy(), out["p_adjusted"].to_numpy() < 0.05)
    for col in ("difference", "p_value", "p_adjusted", "significant", "rest", "ci_low", "ci_high"):
        assert col in out.columns


def test_compare_segments_weighted(rng):
    df = segments_frame(rng, 500)
    out = cx.compare_segments(df, "q", by="segment", weights="w", method="wald")
    for seg, row in out.iterrows():
        m = (df.segment == seg).to_numpy()
        exp = nps_compare_oracle(df.q[m], df.q[~m], wa=df.w[m], wb=df.w[~m], method="wald")
        assert row["difference"] == pytest.approx(exp["difference"], rel=1e-9, abs=1e-9)
        assert row["std_error"] == pytest.approx(exp["std_error"], rel=1e-9)
        assert row["n_effective"] == pytest.approx(df.w[m].sum() ** 2 / (df.w[m] ** 2).sum(), rel=1e-12)


@pytest.mark.parametrize("metric, scale, sat", [("csat", (1, 5), 4), ("ces", (1, 7), 5)])
def test_compare_segments_csat_and_ces(rng, metric, scale, sat):
    n = 700
    df = pd.DataFrame({"team": rng.choice(["a", "b", "c"], n), "r": random_scores(rng, n, *scale)})
    out = cx.compare_segments(df, "r", by="team", metric=metric)
    assert "csat" in out.columns
    for team, row in out.iterrows():
        m = (df.team == team).to_numpy()
        x, y = df.r[m], df.r[~m]
        k1, k2 = int((x >= sat).sum()), int((y >= sat).sum())
        z, p = proportions_ztest([k1, k2], [len(x), len(y)])
        lo, hi = confint_proportions_2indep(k1, len(x), k2, len(y), method="newcomb", compare="diff")
        assert row["csat"] == pytest.approx(100 * k1 / len(x), rel=1e-12)
        assert row["rest"] == pytest.approx(100 * k2 / len(y), rel=1e-12)
        assert row["statistic"] == pytest.approx(z, rel=1e-9)
        assert row["p_value"] == pytest.approx(p, rel=1e-9)
        assert row["ci_low"] == pytest.approx(100 * lo, rel=1e-9, abs=1e-9)
        assert row["ci_high"] == pytest.approx(100 * hi, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(out["p_adjusted"], multipletests(out["p_value"], method="holm")[1], rtol=1e-12)


def test_compare_segments_significance_uses_confidence(rng):
    df = pd.DataFrame({"seg": ["a"] * 100 + ["b"] * 100, "q": [10] * 60 + [3] * 40 + [10] * 45 + [3] * 55})
    for confidence in (0.8, 0.95, 0.999):
        out = cx.compare_segments(df, "q", by="seg", confidence=confidence)
        np.testing.assert_array_equal(out["significant"], out["p_adjusted"] < 1 - confidence)
    doc = pd.DataFrame({"seg": ["a"] * 100 + ["b"] * 100, "q": [10] * 100 + [3] * 100})
    assert cx.compare_segments(doc, "q", by="seg").loc["a", "difference"] > 0


def test_compare_segments_single_group_has_no_rest():
    df = pd.DataFrame({"seg": ["only"] * 10, "q": list(range(10))})
    out = cx.compare_segments(df, "q", by="seg")
    assert list(out.index) == ["only"]
    assert math.isnan(out.loc["only", "difference"]) and math.isnan(out.loc["only", "p_adjusted"])
    assert not out.loc["only", "significant"]


def test_compare_segments_rest_excludes_rows_with_missing_key(rng):
    df = segments_frame(rng, 300)
    df.loc[::7, "segment"] = None
    out = cx.compare_segments(df, "q", by="segment", method="wald")
    assert out.attrs["n_missing_key"] == int(df.segment.isna().sum())
    known = df.dropna(subset=["segment"])
    for seg, row in out.iterrows():
        m = (known.segment == seg).to_numpy()
        exp = nps_compare_oracle(known.q[m], known.q[~m], method="wald")
        assert row["difference"] == pytest.approx(exp["difference"], rel=1e-9, abs=1e-12)


def test_compare_segments_bad_arguments():
    df = pd.DataFrame({"seg": ["a", "b"], "q": [10, 3]})
    with pytest.raises(cx.InvalidArgumentError, match="metric"):
        cx.compare_segments(df, "q", by="seg", metric="ces2")
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.compare_segments(df, "q", by=None)
    with pytest.raises(TypeError):
        cx.compare_segments(df, "q")  # by is required
    with pytest.raises(cx.InvalidArgumentError, match="holm"):
        cx.compare_segments(df, "q", by="seg", adjust="sidak")
    with pytest.raises(cx.InvalidArgumentError, match="nope"):
        cx.compare_segments(df, "q", by="nope")


def test_compare_segments_with_two_keys_and_polars(rng):
    import polars as pl

    n = 600
    df = pd.DataFrame({"region": rng.choice(["n", "s"], n), "plan": rng.choice(["free", "pro", "team"], n),
                       "q": random_scores(rng, n)})
    out = cx.compare_segments(df, "q", by=["region", "plan"], method="wald", adjust="bh")
    assert isinstance(out.index, pd.MultiIndex) and list(out.index.names) == ["region", "plan"]
    assert len(out) == 6
    for (region, plan), row in out.iterrows():
        m = ((df.region == region) & (df.plan == plan)).to_numpy()
        exp = nps_compare_oracle(df.q[m], df.q[~m], method="wald")
        assert row["difference"] == pytest.approx(exp["difference"], rel=1e-9, abs=1e-12)
        assert row["p_value"] == pytest.approx(exp["p_value"], rel=1e-9)
    np.testing.assert_allclose(out["p_adjusted"], multipletests(out["p_value"], method="fdr_bh")[1], rtol=1e-12)
    pol = cx.compare_segments(pl.from_pandas(df), "q", by=["region", "plan"], method="wald", adjust="bh")
    pd.testing.assert_frame_equal(out, pol)


def test_compare_segments_with_arrays(rng):
    x = random_scores(rng, 300)
    k = rng.choice(["a", "b", "c"], 300)
    out = cx.compare_segments(x, by=k)
    frame = cx.compare_segments(pd.DataFrame({"by": k, "q": x}), "q", by="by")
    pd.testing.assert_frame_equal(out, frame)
