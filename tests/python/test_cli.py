"""The main job: `python -m cxkit demo` runs, writes its tables, and the tables are right.

The oracle recomputes the weighted NPS and CSAT per segment and month from the written
responses.csv with plain pandas (the METRICS.md definitions written out), independently of cxkit.
"""

import importlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "cxkit", "demo", "--out", str(out), "--rows", "3000", "--seed", "5"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "NPS by segment and month" in proc.stdout
    assert "Each segment vs the rest" in proc.stdout
    assert "Shipping DSR vs category peers" in proc.stdout
    assert "Pareto" in proc.stdout
    assert "Kano categories" in proc.stdout
    assert "Key drivers of overall satisfaction" in proc.stdout
    assert "Impact-cost plan" in proc.stdout
    assert "Monthly cohort retention" in proc.stdout
    assert "log-rank test" in proc.stdout
    assert "RFM segments" in proc.stdout
    assert "12-month CLV" in proc.stdout
    return out


def test_demo_writes_every_table(demo_dir):
    names = {p.name for p in demo_dir.iterdir()}
    assert {
        "responses.csv",
        "overall.csv",
        "nps_by_segment_month.csv",
        "csat_by_segment_month.csv",
        "ces_by_segment_month.csv",
        "segment_vs_rest.csv",
        "ratings.csv",
        "dsr_by_seller.csv",
        "dsr_sliding_shop_03.csv",
        "kano_answers.csv",
        "kano.csv",
        "drivers.csv",
        "ipa.csv",
        "plan.csv",
        "events.csv",
        "retention_rates.csv",
        "churn.csv",
        "survival_by_channel.csv",
        "cdnow.csv",
        "rfm.csv",
        "holdout.csv",
        "clv_params.csv",
        "customer_value.csv",
        "clv_by_segment.csv",
    } <= names


def test_demo_accounts_for_every_row(demo_dir):
    responses = pd.read_csv(demo_dir / "responses.csv")
    assert len(responses) == 3000
    for table in ("nps_by_segment_month", "csat_by_segment_month", "ces_by_segment_month"):
        t = pd.read_csv(demo_dir / f"{table}.csv")
        assert (t["n"] + t["n_missing"] + t["n_invalid"]).sum() == len(responses)
    # the demo data has some missing and some invalid answers, so the policy shows
    overall = pd.read_csv(demo_dir / "overall.csv", index_col=0)
    assert (overall["n_missing"] > 0).all() and (overall["n_invalid"] > 0).all()


def _weighted_share(df, lo, hi):
    return (df["weight"] * df["recommend"].between(lo, hi)).sum() / df["weight"].sum()


def test_demo_nps_matches_pandas(demo_dir):
    responses = pd.read_csv(demo_dir / "responses.csv")
    r = responses["recommend"]
    valid = responses[r.notna() & r.between(0, 10) & (r == np.floor(r))]
    expected = valid.groupby(["segment", "month"]).apply(
        lambda d: 100 * (_weighted_share(d, 9, 10) - _weighted_share(d, 0, 6)), include_groups=False
    )
    got = pd.read_csv(demo_dir / "nps_by_segment_month.csv").set_index(["segment", "month"])["nps"]
    expected.index = expected.index.set_levels(
        [expected.index.levels[0], pd.to_datetime(expected.index.levels[1]).astype(str)]
    )
    got.index = got.index.set_levels([got.index.levels[0], pd.to_datetime(got.index.levels[1]).astype(str)])
    joined = pd.concat([expected.rename("expected"), got.rename("got")], axis=1)
    assert len(joined) == 24 and joined.notna().all().all()
    np.testing.assert_allclose(joined["got"], joined["expected"], rtol=1e-12, atol=1e-9)


def test_demo_segment_vs_rest_is_adjusted(demo_dir):
    t = pd.read_csv(demo_dir / "segment_vs_rest.csv")
    assert set(t["metric"]) == {"nps", "csat", "ces"}
    # Holm never lowers a p-value
    assert (t["p_adjusted"] >= t["p_value"] - 1e-15).all()
    assert ((t["p_adjusted"] < 0.05) == t["significant"]).all()


# METRICS.md §3 standard Kano table, rows = functional answer 1..5, columns = dysfunctional 1..5.
KANO_TABLE = ["QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRQ"]


def test_demo_kano_counts_match_pandas(demo_dir):
    answers = pd.read_csv(demo_dir / "kano_answers.csv")
    got = pd.read_csv(demo_dir / "kano.csv", index_col=0)
    complete = answers.dropna(subset=["functional", "dysfunctional"])
    valid = complete[complete["functional"].between(1, 5) & complete["dysfunctional"].between(1, 5)]
    cat = [KANO_TABLE[int(f) - 1][int(d) - 1] for f, d in zip(valid["functional"], valid["dysfunctional"])]
    expected = pd.crosstab(valid["feature"], pd.Series(cat, index=valid.index, name="category"))
    for c in "AOMIRQ":
        np.testing.assert_array_equal(got.loc[expected.index, c], expected[c], err_msg=c)
    assert (got["n_missing"].sum(), got["n_invalid"].sum()) == (len(answers) - len(complete), len(complete) - len(valid))
    better = (expected["A"] + expected["O"]) / expected[list("AOMI")].sum(axis=1)
    np.testing.assert_allclose(got.loc[expected.index, "better"], better, rtol=1e-12)


def test_demo_plan_is_the_best_subset_within_budget(demo_dir):
    plan = pd.read_csv(demo_dir / "plan.csv", index_col=0)
    impact, cost = plan["impact"].to_numpy(), plan["cost"].to_numpy()
    best = -1.0
    for mask in range(1 << len(plan)):  # brute force over every subset
        take = np.array([(mask >> i) & 1 for i in range(len(plan))], dtype=bool)
        if cost[take].sum() <= 20.0 and impact[take].sum() > best + 1e-12:
            best = impact[take].sum()
    assert plan.loc[plan["selected"], "impact"].sum() == pytest.approx(best, rel=1e-12)
    assert plan.loc[plan["selected"], "cost"].sum() <= 20.0


def test_demo_retention_matches_pandas(demo_dir):
    events = pd.read_csv(demo_dir / "events.csv", parse_dates=["time"])
    got = pd.read_csv(demo_dir / "retention_counts.csv", index_col=0)
    known = events.dropna(subset=["customer"])
    month = known["time"].dt.to_period("M")
    first = month.groupby(known["customer"]).transform("min")
    age = (month - first).apply(lambda d: d.n)
    expected = known.assign(cohort=first.astype(str), age=age).groupby(["cohort", "age"])["customer"].nunique()
    expected = expected.unstack("age")
    got.index = pd.to_datetime(got.index).to_period("M").astype(str)
    got.columns = got.columns.astype(int)
    for cohort, row in expected.iterrows():
        for a, v in row.dropna().items():
            assert got.loc[cohort, a] == v, (cohort, a)
    # cells after the observation end are not observed: NaN, never 0
    assert np.isnan(got.loc["2025-12", 1])
    assert events["customer"].isna().sum() == 25


def test_demo_customer_value_matches_pandas_and_lifetimes(demo_dir):
    lifetimes = importlib.import_module("lifetimes")
    utils = importlib.import_module("lifetimes.utils")
    log = pd.read_csv(demo_dir / "cdnow.csv", index_col=0, parse_dates=["date"])
    assert len(log) == 69659
    end = pd.Timestamp("1998-06-30")
    # RFM: recency in days as of the last day, purchases (rows), total spend
    got = pd.read_csv(demo_dir / "rfm.csv", index_col=0)
    by = log.groupby("customer")
    np.testing.assert_array_equal(got["recency"], (end - by["date"].max()).dt.days.reindex(got.index))
    np.testing.assert_array_equal(got["frequency"], by.size().reindex(got.index))
    np.testing.assert_allclose(got["monetary"], by["amount"].sum().reindex(got.index), rtol=1e-12)
    assert got["rfm"].tolist() == (100 * got["r_score"] + 10 * got["f_score"] + got["m_score"]).tolist()
    # BG/NBD on the weekly summary: the same estimates as lifetimes' fit of lifetimes' own summary
    summary = utils.summary_data_from_transaction_data(
        log, "customer", "date", monetary_value_col="amount", observation_period_end=end, freq="W")
    ref = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    params = pd.read_csv(demo_dir / "clv_params.csv", index_col=[0, 1])["value"]
    for name in ("r", "alpha", "a", "b"):
        assert params[("BG/NBD", name)] == pytest.approx(ref.params_[name], rel=1e-4), name
    # the holdout check: mean distinct purchase days in the holdout weeks, by calibration frequency
    holdout = pd.read_csv(demo_dir / "holdout.csv", index_col=0)
    cal_end = pd.Timestamp("1997-09-30")
    days = log.drop_duplicates(["customer", "date"])
    cal = days[days["date"] <= cal_end].groupby("customer").size() - 1
    hold = days[(days["date"] > cal_end) & (days["date"] <= end)].groupby("customer").size()
    frame = pd.DataFrame({"bucket": cal.clip(upper=7), "hold": hold.reindex(cal.index).fillna(0)})
    actual = frame.groupby("bucket")["hold"].mean()
    np.testing.assert_allclose(holdout["actual holdout"].to_numpy(), actual.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(holdout["customers"].to_numpy(), frame.groupby("bucket").size().to_numpy())
    # CLV by segment: sums of the per-customer values
    value = pd.read_csv(demo_dir / "customer_value.csv", index_col=0)
    seg = pd.read_csv(demo_dir / "clv_by_segment.csv", index_col=0)
    totals = value.groupby("segment")["clv_12m"].sum()
    np.testing.assert_allclose(seg["clv_total"].to_numpy(), totals.reindex(seg.index).to_numpy(), rtol=1e-9)
    assert (value["p_alive"].between(0, 1)).all() and (value["clv_12m"] >= 0).all()
