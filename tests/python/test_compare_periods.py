"""cx.compare_periods: period-over-period and baseline changes per segment (METRICS.md §1 two
samples, §2 Holm/BH). Oracles: the metrics recomputed with pandas + the formulas, statsmodels for
the CSAT tests and for the p-value adjustment."""

from __future__ import annotations

import importlib

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import cxkit as cx
from conftest import nps_centre_se, nps_oracle, random_scores, random_weights

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]
SM = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni"}


def survey_frame(rng, n=2400):
    seg = rng.choice(["north", "south", "online"], size=n, p=[0.4, 0.35, 0.25])
    month = rng.choice(MONTHS, size=n)
    shift = pd.Series(month).map({"2026-01": 0, "2026-02": 1, "2026-03": 2, "2026-04": 1}).to_numpy()
    q = np.clip(rng.integers(0, 11, n) + shift, 0, 10)
    return pd.DataFrame({"segment": seg, "month": month, "q": q, "w": random_weights(rng, n)})


def nps_change(a, b, method, wa=None, wb=None):
    """Two-sample NPS test written out: delta of the (adjusted) estimates, SE = sqrt(SE_a^2 + SE_b^2)."""
    ra, rb = nps_oracle(a, wa), nps_oracle(b, wb)
    ca, sa = nps_centre_se(ra["promoter_share"], ra["detractor_share"], ra["n_effective"], method)
    cb, sb = nps_centre_se(rb["promoter_share"], rb["detractor_share"], rb["n_effective"], method)
    delta, se = ca - cb, math.sqrt(sa**2 + sb**2)
    return delta, 2 * stats.norm.sf(abs(delta / se))


def adjusted(p, method):
    """statsmodels' adjustment over the non-NaN p-values (NaN stays NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=SM[method])[1]
    return out


def nps_periods_oracle(df, by, periods, baseline, method, weights=None):
    """The whole table recomputed with pandas: per (segment, period) NPS, changes, p-values."""
    rows = []
    keys = [by] if by else []
    groups = df.groupby(keys) if keys else [((), df)]
    for seg, part in groups:
        seg = seg if isinstance(seg, tuple) else (seg,)
        for i, per in enumerate(periods):
            cur = part[part.month == per]
            if len(cur) == 0:
                continue
            w = None if weights is None else cur[weights]
            row = dict(zip(keys, seg[: len(keys)]))
            row.update(month=per, nps=nps_oracle(cur.q, w)["nps"], n=len(cur))
            for name, other in (("prev", periods[i - 1] if i > 0 else None),
                                ("baseline", baseline if per != baseline else None)):
                ref = part[part.month == other] if other is not None else part.iloc[:0]
                if len(ref):
                    wr = None if weights is None else ref[weights]
                    row[f"change_{name}"], row[f"p_{name}"] = nps_change(cur.q, ref.q, method, w, wr)
                else:
                    row[f"change_{name}"], row[f"p_{name}"] = math.nan, math.nan
            rows.append(row)
    return pd.DataFrame(rows).set_index([*keys, "month"])


def check_against(out, exp, adjust, confidence=0.95):
    assert list(out.index) == list(exp.index)
    for col in ("nps", "change_prev", "p_prev", "change_baseline", "p_baseline"):
        np.testing.assert_allclose(out[col].to_numpy(), exp[col].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=col)
    np.testing.assert_array_equal(out["n"].to_numpy(), exp["n"].to_numpy())
    for fam in ("prev", "baseline"):
        adj = adjusted(exp[f"p_{fam}"], adjust)
        np.testing.assert_allclose(out[f"p_{fam}_adjusted"].to_numpy(), adj, rtol=1e-12, err_msg=fam)
        sig = out[f"significant_{fam}"]
        assert str(sig.dtype) == "boolean"
        np.testing.assert_array_equal(sig.isna().to_numpy(), np.isnan(adj))
        np.testing.assert_array_equal(sig.fillna(False).to_numpy(dtype=bool), np.nan_to_num(adj, nan=1.0) < 1 - confidence)


# --------------------------------------------------------------------------------------------------
# NPS


@pytest.mark.parametrize("adjust", ["holm", "bh", "bonferroni"])
@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
def test_nps_by_segment_matches_pandas_and_statsmodels(rng, adjust, method):
    df = survey_frame(rng)
    out = cx.compare_periods(df, "q", period="month", by="segment", adjust=adjust, method=method)
    assert list(out.index.names) == ["segment", "month"]
    exp = nps_periods_oracle(df, "segment", MONTHS, MONTHS[0], method)
    check_against(out, exp, adjust)
    assert out.attrs["baseline"] == "2026-01" and out.attrs["n_missing_key"] == 0
    assert list(out.columns) == [
        "nps", "n", "n_effective", "change_prev", "p_prev", "p_prev_adjusted", "change_baseline", "p_baseline",
        "p_baseline_adjusted", "significant_prev", "significant_baseline",
    ]


def test_families_are_every_prev_test_and_every_baseline_test(rng):
    df = survey_frame(rng)
    out = cx.compare_periods(df, "q", period="month", by="segment")
    # 3 segments x 3 periods after the first are one family; the same count against the baseline
    assert out["p_prev"].notna().sum() == 9 and out["p_baseline"].notna().sum() == 9
    np.testing.assert_allclose(out["p_prev_adjusted"].dropna(), multipletests(out["p_prev"].dropna(), method="holm")[1])
    np.testing.assert_allclose(
        out["p_baseline_adjusted"].dropna(), multipletests(out["p_baseline"].dropna(), method="holm")[1]
    )
    # the first period and the baseline row have no tests
    first = out.xs("2026-01", level="month")
    assert first[["change_prev", "p_prev", "change_baseline", "p_baseline_adjusted"]].isna().all().all()
    assert first["significant_prev"].isna().all()


def test_without_segments_the_index_is_the_period(rng):
    df = survey_frame(rng, 800)
    out = cx.compare_periods(df, "q", period="month", method="wald")
    assert isinstance(out.index, pd.Index) and not isinstance(out.index, pd.MultiIndex)
    assert out.index.name == "month" and list(out.index) == MONTHS
    exp = nps_periods_oracle(df, None, MONTHS, MONTHS[0], "wald")
    check_against(out, exp, "holm")
    # wald: the change is the plain difference of the nps column
    np.testing.assert_allclose(out["change_prev"].to_numpy()[1:], np.diff(out["nps"].to_numpy()), rtol=1e-12)


@pytest.mark.parametrize("baseline", ["2026-03", "2026-04"])
def test_baseline_label(rng, baseline):
    df = survey_frame(rng, 1500)
    out = cx.compare_periods(df, "q", period="month", by="segment", baseline=baseline, adjust="bh")
    exp = nps_periods_oracle(df, "segment", MONTHS, baseline, "adjusted_wald")
    check_against(out, exp, "bh")
    assert out.attrs["baseline"] == baseline
    assert out.xs(baseline, level="month")["change_baseline"].isna().all()


def test_unknown_baseline_is_a_value_error_naming_it(rng):
    df = survey_frame(rng, 200)
    with pytest.raises(ValueError, match="baseline: unknown period '2025-12'"):
        cx.compare_periods(df, "q", period="month", baseline="2025-12")
    with pytest.raises(ValueError, match="baseline: unknown period 7"):
        cx.compare_periods(df, "q", period="month", baseline=7)


def test_weighted(rng):
    df = survey_frame(rng, 1200)
    out = cx.compare_periods(df, "q", period="month", by="segment", weights="w", method="wald")
    exp = nps_periods_oracle(df, "segment", MONTHS, MONTHS[0], "wald", weights="w")
    check_against(out, exp, "holm")


def test_missing_period_and_segment_keys_are_counted_not_compared(rng):
    df = survey_frame(rng, 900)
    df["month"] = df["month"].astype(object)
    df.loc[::10, "month"] = None
    df.loc[5::13, "segment"] = None
    out = cx.compare_periods(df, "q", period="month", by="segment")
    lost = df.month.isna() | df.segment.isna()
    assert out.attrs["n_missing_key"] == int(lost.sum())
    exp = nps_periods_oracle(df[~lost], "segment", MONTHS, MONTHS[0], "adjusted_wald")
    check_against(out, exp, "holm")


def test_a_segment_without_the_previous_period_gets_nan(rng):
    df = survey_frame(rng, 1200)
    df = df[~((df.segment == "online") & (df.month == "2026-02"))]
    out = cx.compare_periods(df, "q", period="month", by="segment", method="wald")
    assert ("online", "2026-02") not in out.index
    # the previous period of 2026-03 is 2026-02 (the period before in the data), absent for "online"
    assert math.isnan(out.loc[("online", "2026-03"), "change_prev"])
    assert not math.isnan(out.loc[("online", "2026-03"), "change_baseline"])
    assert pd.isna(out.loc[("online", "2026-03"), "significant_prev"])
    exp = nps_periods_oracle(df, "segment", MONTHS, MONTHS[0], "wald")
    check_against(out, exp, "holm")


# --------------------------------------------------------------------------------------------------
# period labels


def test_period_labels_of_every_kind_are_ordered(rng):
    df = survey_frame(rng, 1000)
    ref = cx.compare_periods(df, "q", period="month", by="segment")
    as_period = pd.PeriodIndex(df.month, freq="M")
    as_stamp = pd.to_datetime(df.month + "-01")
    as_int = df.month.str.replace("-", "").astype(int)  # 202601, ...
    for labels in (as_period, as_stamp, as_int, pd.Series(as_stamp.dt.tz_localize("UTC"))):
        out = cx.compare_periods(df.assign(p=np.asarray(labels) if isinstance(labels, pd.PeriodIndex) else labels),
                                 "q", period="p", by="segment")
        assert len(out) == len(ref)
        for col in ("nps", "change_prev", "p_prev_adjusted", "change_baseline", "p_baseline_adjusted"):
            np.testing.assert_allclose(out[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, err_msg=col)
    out = cx.compare_periods(df.assign(p=as_period), "q", period="p", baseline=pd.Period("2026-03", "M"))
    assert out.index[0] == pd.Period("2026-01", "M") and out.attrs["baseline"] == pd.Period("2026-03", "M")
    out = cx.compare_periods(df.assign(p=as_period), "q", period="p", baseline="2026-03")
    assert out.attrs["baseline"] == pd.Period("2026-03", "M")
    out = cx.compare_periods(df.assign(p=as_stamp), "q", period="p", baseline="2026-02")  # one stamp that month
    assert out.attrs["baseline"] == pd.Timestamp("2026-02-01")


def test_categorical_periods_keep_their_order(rng):
    n = 600
    order = ["Q3-25", "Q4-25", "Q1-26"]  # not alphabetical
    df = pd.DataFrame({"quarter": rng.choice(order, n), "q": random_scores(rng, n)})
    df["quarter"] = pd.Categorical(df.quarter, categories=["Q2-25", *order])  # Q2-25 never observed
    out = cx.compare_periods(df, "q", period="quarter", method="wald")
    assert list(out.index) == order
    cur, prev = df.q[df.quarter == "Q1-26"], df.q[df.quarter == "Q4-25"]
    delta, p = nps_change(cur, prev, "wald")
    assert out.loc["Q1-26", "change_prev"] == pytest.approx(delta, rel=1e-12)
    assert out.loc["Q1-26", "p_prev"] == pytest.approx(p, rel=1e-9)
    assert out.loc["Q4-25", "change_baseline"] == pytest.approx(nps_change(prev, df.q[df.quarter == "Q3-25"], "wald")[0])


def test_arrays_and_polars(rng):
    df = survey_frame(rng, 700)
    ref = cx.compare_periods(df, "q", period="month", by="segment")
    arr = cx.compare_periods(df.q.to_numpy(), period=df.month.to_numpy(), by=df.segment.to_numpy())
    assert list(arr.index.names) == ["by", "period"]
    np.testing.assert_allclose(arr["p_prev_adjusted"].to_numpy(), ref["p_prev_adjusted"].to_numpy(), rtol=1e-14)
    pl = importlib.import_module("polars")
    pol = cx.compare_periods(pl.from_pandas(df), "q", period="month", by="segment")
    pd.testing.assert_frame_equal(pol, ref)
    two = cx.compare_periods(df.assign(tier=df.q % 2), "q", period="month", by=["segment", "tier"])
    assert list(two.index.names) == ["segment", "tier", "month"]


# --------------------------------------------------------------------------------------------------
# CSAT and CES


@pytest.mark.parametrize("metric, scale, sat", [("csat", (1, 5), 4), ("ces", (1, 7), 5)])
def test_csat_and_ces_match_statsmodels(rng, metric, scale, sat):
    n = 1600
    df = pd.DataFrame({"team": rng.choice(["a", "b"], n), "wk": rng.choice([1, 2, 3], n),
                       "r": random_scores(rng, n, *scale)})
    out = cx.compare_periods(df, "r", period="wk", by="team", metric=metric, adjust="bh")
    assert "csat" in out.columns
    for (team, wk), row in out.iterrows():
        part = df[df.team == team]
        cur = part.r[part.wk == wk]
        assert row["csat"] == pytest.approx(100 * (cur >= sat).mean(), rel=1e-12)
        for name, other in (("prev", wk - 1), ("baseline", 1)):
            ref = part.r[part.wk == other]
            if other < 1 or other == wk:
                assert math.isnan(row[f"change_{name}"]) and math.isnan(row[f"p_{name}"])
                continue
            k1, k2, n1, n2 = int((cur >= sat).sum()), int((ref >= sat).sum()), len(cur), len(ref)
            z, p = proportions_ztest([k1, k2], [n1, n2])
            assert row[f"change_{name}"] == pytest.approx(100 * (k1 / n1 - k2 / n2), rel=1e-12, abs=1e-12)
            assert row[f"p_{name}"] == pytest.approx(p, rel=1e-9)
            lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
            assert lo < k1 / n1 - k2 / n2 < hi  # the same Newcombe test compare_csat reports
    for fam in ("prev", "baseline"):
        np.testing.assert_allclose(out[f"p_{fam}_adjusted"], adjusted(out[f"p_{fam}"], "bh"), rtol=1e-12)


def test_csat_options_scale_and_satisfied_min(rng):
    n = 500
    df = pd.DataFrame({"m": rng.choice(["x", "y"], n), "r": random_scores(rng, n, 1, 10)})
    out = cx.compare_periods(df, "r", period="m", metric="csat", scale=(1, 10), satisfied_min=8)
    a, b = df.r[df.m == "y"], df.r[df.m == "x"]
    assert out.loc["y", "change_prev"] == pytest.approx(100 * ((a >= 8).mean() - (b >= 8).mean()), rel=1e-12)
    with pytest.raises(cx.InvalidInputError):
        cx.compare_periods(df, "r", period="m", metric="csat")  # 6..10 are off the 1..5 scale
    dropped = cx.compare_periods(df, "r", period="m", metric="csat", on_invalid="drop")
    assert dropped["n"].sum() == int((df.r <= 5).sum())


def test_confidence_sets_significance(rng):
    df = survey_frame(rng, 1500)
    for confidence in (0.8, 0.99):
        out = cx.compare_periods(df, "q", period="month", by="segment", confidence=confidence)
        check_against(out, nps_periods_oracle(df, "segment", MONTHS, MONTHS[0], "adjusted_wald"), "holm",
                      confidence=confidence)


# --------------------------------------------------------------------------------------------------
# bad input


def test_bad_arguments(rng):
    df = survey_frame(rng, 100)
    with pytest.raises(cx.InvalidArgumentError, match="metric"):
        cx.compare_periods(df, "q", period="month", metric="dsr2")
    with pytest.raises(cx.InvalidArgumentError, match="holm"):
        cx.compare_periods(df, "q", period="month", adjust="sidak")
    with pytest.raises(cx.InvalidArgumentError, match="method"):
        cx.compare_periods(df, "q", period="month", method="exact")
    with pytest.raises(cx.InvalidArgumentError, match="period: unknown column 'week'"):
        cx.compare_periods(df, "q", period="week")
    with pytest.raises(cx.InvalidArgumentError, match="period has 3 values but the data has 100"):
        cx.compare_periods(df, "q", period=["a", "b", "c"])
    with pytest.raises(cx.InvalidArgumentError, match="period"):
        cx.compare_periods(df, "q", period=None)
    with pytest.raises(TypeError):
        cx.compare_periods(df, "q")  # period is required
    with pytest.raises(cx.UnsupportedTypeError, match="sortable"):
        cx.compare_periods(df, "q", period=np.array(["2026-01", 5] * 50, dtype=object))
    with pytest.raises(cx.InvalidInputError, match="11"):
        cx.compare_periods(df.assign(q=11), "q", period="month")


def test_empty_and_single_period():
    out = cx.compare_periods(pd.DataFrame({"m": ["a"] * 3, "q": [10, 9, 0]}), "q", period="m")
    assert list(out.index) == ["a"] and math.isnan(out.loc["a", "change_prev"])
    assert pd.isna(out.loc["a", "significant_prev"]) and out.attrs["baseline"] == "a"
    empty = cx.compare_periods(pd.DataFrame({"m": pd.Series([], dtype=object), "q": []}), "q", period="m")
    assert len(empty) == 0
