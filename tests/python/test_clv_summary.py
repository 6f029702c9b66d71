"""cx.clv_summary against lifetimes (summary_data_from_transaction_data and
calibration_and_holdout_data, the test oracle) on the CDNOW sample log, the published BTYD
calibration summary of that sample, a pandas computation written from METRICS.md §4 (also for
monthly periods, which lifetimes 0.11.3 cannot compute under pandas 2: it divides by
np.timedelta64(1, "M"), which pandas refuses), hypothesis split-by-customer concatenation, and the
bad-input policy."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxkit as cx

lifetimes_utils = importlib.import_module("lifetimes.utils")
pl = importlib.import_module("polars")

DATA = Path(__file__).resolve().parents[1] / "data"
FREQ = {"D": "D", "W": "W-SUN", "M": "M"}  # W-SUN: weeks Monday..Sunday
UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 30.436875}  # numpy's timedelta64(1, unit) in days
ACCOUNT = ["n", "n_holdout", "n_missing", "n_invalid", "n_after_end"]


@pytest.fixture(scope="module")
def elog() -> pd.DataFrame:
    e = pd.read_csv(DATA / "cdnow_sample_elog.csv")
    e["time"] = pd.to_datetime(e["date"].astype(str), format="%Y%m%d")
    return e


def summary(df, **kw) -> pd.DataFrame:
    return cx.clv_summary(df, customer="customer", time="time", **kw)


def accounted(frame: pd.DataFrame, rows: int) -> bool:
    return sum(frame.attrs[k] for k in ACCOUNT) == rows


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    want = want.sort_index()
    assert list(got.index) == list(want.index)
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(got.to_numpy(np.float64), want.to_numpy(np.float64), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# the pandas oracle (METRICS.md §4, written out)


def oracle(df: pd.DataFrame, period: str, multiplier: float = 1.0, end=None, amount: bool = True) -> pd.DataFrame:
    d = df.dropna(subset=["customer", "time"]).copy()
    d["start"] = d["time"].dt.to_period(FREQ[period]).dt.start_time
    last = pd.Timestamp(end) if end is not None else d["time"].max()
    end_start = last.to_period(FREQ[period]).start_time
    d = d[d["start"] <= end_start]
    per = d.groupby(["customer", "start"])["amount"].sum().reset_index() if amount else \
        d.groupby(["customer", "start"]).size().rename("n").reset_index()
    g = per.groupby("customer")
    first, final, count = g["start"].min(), g["start"].max(), g.size()
    unit = UNIT_DAYS[period]
    out = pd.DataFrame({
        "frequency": (count - 1).astype(float),
        "recency": (final - first).dt.days / unit / multiplier,
        "T": (end_start - first).dt.days / unit / multiplier,
    })
    if amount:
        repeat = per[per["start"] != per["customer"].map(first)]
        out["monetary_value"] = repeat.groupby("customer")["amount"].mean().reindex(out.index).fillna(0.0)
    return out


# ---------------------------------------------------------------------------------------------------
# lifetimes and the published summary


@pytest.mark.parametrize("period, multiplier", [("D", 1), ("W", 1), ("D", 7), ("W", 2)])
@pytest.mark.parametrize("with_amount", [True, False])
@pytest.mark.parametrize("end", [None, "1997-06-30", "1998-01-15"])
def test_summary_matches_lifetimes_on_cdnow(elog, period, multiplier, with_amount, end):
    want = lifetimes_utils.summary_data_from_transaction_data(
        elog, "masterid", "time", monetary_value_col="sales" if with_amount else None, freq=period,
        freq_multiplier=multiplier, observation_period_end=end,
    )
    got = cx.clv_summary(elog, customer="masterid", time="time", amount="sales" if with_amount else None,
                         period=period, multiplier=multiplier, observation_end=end)
    assert_same(got, want)
    assert got.index.name == "masterid"
    assert accounted(got, len(elog))
    if end is None:
        assert got.attrs["n_after_end"] == 0
    else:
        end_start = pd.Timestamp(end).to_period(FREQ[period]).start_time
        after = (elog["time"].dt.to_period(FREQ[period]).dt.start_time > end_start).sum()
        assert got.attrs["n_after_end"] == after
        assert got.attrs["observation_end"] == end_start


@pytest.mark.parametrize("period, multiplier", [("D", 1), ("W", 1), ("D", 7)])
@pytest.mark.parametrize("with_amount", [True, False])
@pytest.mark.parametrize("holdout_end", ["1998-06-30", "1998-03-01"])
def test_calibration_holdout_matches_lifetimes(elog, period, multiplier, with_amount, holdout_end):
    want = lifetimes_utils.calibration_and_holdout_data(
        elog, "masterid", "time", calibration_period_end="1997-09-30", observation_period_end=holdout_end,
        freq=period, freq_multiplier=multiplier, monetary_value_col="sales" if with_amount else None,
    )
    want.columns = [c.replace("_cal", "") for c in want.columns]
    got = cx.clv_summary(elog, customer="masterid", time="time", amount="sales" if with_amount else None,
                         period=period, multiplier=multiplier, calibration_end="1997-09-30", holdout_end=holdout_end)
    assert_same(got, want)
    cal = (elog["time"] <= "1997-09-30").sum()
    hold = ((elog["time"] > "1997-09-30") & (elog["time"] <= holdout_end)).sum()
    assert (got.attrs["n"], got.attrs["n_holdout"]) == (cal, hold)
    assert accounted(got, len(elog))


def test_published_btyd_calibration_summary(elog):
    """BTYD's cdnowSummary: weeks as continuous time (days / 7), calibration to 1997-09-30, 39-week
    holdout. x, t.x, T.cal and x.star match; m.x matches too: BTYD merges same-day transactions
    (per-period sums, as lifetimes and cxkit do) and averages the repeat ones."""
    pub = pd.read_csv(DATA / "cdnow_sample_summary.csv", index_col=0)
    got = cx.clv_summary(elog, customer="sampleid", time="time", amount="sales", period="D", multiplier=7,
                         calibration_end="1997-09-30", holdout_end="1998-06-30")
    got = got.reindex(pub.index)
    np.testing.assert_array_equal(got["frequency"], pub["x"])
    np.testing.assert_allclose(got["recency"], pub["t.x"], rtol=1e-12)
    np.testing.assert_allclose(got["T"], pub["T.cal"], rtol=1e-12)
    np.testing.assert_array_equal(got["frequency_holdout"], pub["x.star"])
    np.testing.assert_allclose(got["monetary_value"], pub["m.x"], rtol=1e-12)
    assert (got["duration_holdout"] == 39.0).all()


@pytest.mark.parametrize("period", ["D", "W", "M"])
@pytest.mark.parametrize("end", [None, "1997-11-20"])
def test_summary_matches_pandas_oracle(elog, period, end):
    df = elog.rename(columns={"masterid": "customer", "sales": "amount"})
    assert_same(summary(df, amount="amount", period=period, observation_end=end), oracle(df, period, end=end))
    assert_same(summary(df, period=period, multiplier=3, observation_end=end),
                oracle(df, period, multiplier=3, end=end, amount=False))


def test_months_are_numpy_average_months():
    df = pd.DataFrame({"customer": [1, 1], "time": pd.to_datetime(["2024-01-20", "2024-03-02"]), "amount": [1.0, 2.0]})
    s = summary(df, amount="amount", period="M")
    assert s["recency"].iloc[0] == (pd.Timestamp("2024-03-01") - pd.Timestamp("2024-01-01")) / np.timedelta64(2629746, "s")
    assert s["monetary_value"].iloc[0] == 2.0


def test_row_order_does_not_matter(elog):
    rng = np.random.default_rng(3)
    shuffled = elog.iloc[rng.permutation(len(elog))]
    for period in ("D", "W", "M"):
        a = cx.clv_summary(elog, customer="masterid", time="time", amount="sales", period=period)
        b = cx.clv_summary(shuffled, customer="masterid", time="time", amount="sales", period=period)
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)
        split = dict(customer="masterid", time="time", amount="sales", period=period, calibration_end="1997-09-30")
        pd.testing.assert_frame_equal(cx.clv_summary(elog, **split), cx.clv_summary(shuffled, **split), rtol=1e-12)


def test_string_ids_polars_and_arrays(elog):
    df = elog.rename(columns={"sales": "amount"}).assign(customer=lambda d: "c" + d["masterid"].astype(str))
    want = summary(df, amount="amount")
    got = summary(pl.from_pandas(df[["customer", "time", "amount"]]), amount="amount")
    pd.testing.assert_frame_equal(want, got)
    arrays = cx.clv_summary(None, customer=df["customer"].to_numpy(), time=df["time"].to_numpy(),
                            amount=df["amount"].to_numpy())
    np.testing.assert_array_equal(arrays.to_numpy(), want.to_numpy())


# ---------------------------------------------------------------------------------------------------
# split by customer: summaries concatenate


@st.composite
def logs(draw):
    n = draw(st.integers(1, 60))
    customers = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 500), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 100_000), min_size=n, max_size=n))
    side = draw(st.lists(st.booleans(), min_size=13, max_size=13))
    df = pd.DataFrame({
        "customer": customers,
        "time": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"),
        "amount": np.asarray(cents) / 100.0,
    })
    return df, np.asarray(side)


@given(logs(), st.sampled_from(["D", "W", "M"]), st.booleans())
def test_split_by_customer_concatenates(case, period, split):
    df, side = case
    kw: dict = dict(amount="amount", period=period)
    if split:
        kw.update(calibration_end=pd.Timestamp("2023-10-01"), holdout_end=max(df["time"].max(), pd.Timestamp("2023-10-01")))
    else:
        kw.update(observation_end=df["time"].max())
    whole = summary(df, **kw)
    part = side[df["customer"].to_numpy()]
    pieces = [summary(df[part == s], **kw) for s in (False, True)]
    joined = pd.concat(pieces).sort_index()
    pd.testing.assert_frame_equal(joined, whole, check_index_type=False)
    for k in ACCOUNT:
        assert sum(p.attrs[k] for p in pieces) == whole.attrs[k]
    if not split:
        assert_same(whole, oracle(df, period, end=df["time"].max()))


# ---------------------------------------------------------------------------------------------------
# bad input


def test_missing_customers_times_and_amounts_are_counted():
    df = pd.DataFrame({
        "customer": pd.array([1, None, 1, 2, 2], dtype="Int64"),
        "time": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-05", "2024-01-09"]),
        "amount": [1.0, 2.0, 3.0, np.nan, 4.0],
    })
    s = summary(df, amount="amount", period="D")
    assert s.attrs["n_missing"] == 3 and s.attrs["n"] == 2 and accounted(s, 5)
    assert list(s.index) == [1, 2]
    # without amounts, a NaN amount column is not read: only customer and time can be missing
    s = summary(df, period="D")
    assert s.attrs["n_missing"] == 2 and s.attrs["n"] == 3


def test_negative_amounts_raise_with_position_and_value_or_drop():
    df = pd.DataFrame({"customer": [1, 1, 2], "time": pd.to_datetime(["2024-01-01"] * 3), "amount": [1.0, -5.25, 2.0]})
    with pytest.raises(cx.InvalidInputError, match=r"position 1: -5\.25.*1 invalid row"):
        summary(df, amount="amount")
    s = summary(df, amount="amount", on_invalid="drop")
    assert s.attrs["n_invalid"] == 1 and accounted(s, 3)
    with pytest.raises(cx.InvalidInputError, match="position 2"):
        summary(df.assign(amount=[1.0, 2.0, np.inf]), amount="amount")


def test_unparseable_times():
    df = pd.DataFrame({"customer": [1, 2, 3], "time": ["2024-01-01", "not a date", "2024-02-01"]})
    with pytest.raises(cx.InvalidInputError, match="position 1.*not a date"):
        summary(df)
    s = summary(df, on_invalid="drop")
    assert s.attrs["n_invalid"] == 1 and len(s) == 2 and accounted(s, 3)


def test_empty_input_gives_an_empty_frame_and_zero_counts():
    df = pd.DataFrame({"customer": pd.Series([], dtype=np.int64), "time": pd.Series([], dtype="datetime64[ns]"),
                       "amount": pd.Series([], dtype=float)})
    s = summary(df, amount="amount")
    assert len(s) == 0
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert all(s.attrs[k] == 0 for k in ACCOUNT)


@pytest.mark.parametrize("kw, match", [
    (dict(period="Q"), "period.*'Q'"),
    (dict(period="H"), "period.*'H'"),
    (dict(multiplier=0), "multiplier.*0"),
    (dict(multiplier=-1.5), r"multiplier.*-1\.5"),
    (dict(multiplier=True), "multiplier.*True"),
    (dict(observation_end="soon"), "observation_end.*soon"),
    (dict(observation_end=20240101), "observation_end=20240101 is a number but the times are datetimes"),
    (dict(calibration_end=1.7e18), "calibration_end=1.7e\\+18 is a number"),
    (dict(holdout_end="2024-01-01"), "holdout_end needs calibration_end"),
    (dict(calibration_end="2024-01-01", observation_end="2024-02-01"), "holdout_end"),
    (dict(calibration_end="2024-02-01", holdout_end="2024-01-01"), "before calibration_end"),
    (dict(on_invalid="skip"), "on_invalid.*skip"),
])
def test_invalid_arguments_raise_naming_the_value(kw, match):
    df = pd.DataFrame({"customer": [1], "time": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(cx.InvalidArgumentError, match=match):
        summary(df, **kw)


def test_unknown_column_is_named():
    df = pd.DataFrame({"customer": [1], "time": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(cx.InvalidArgumentError, match="'spend'"):
        summary(df, amount="spend")


def test_mismatched_lengths_name_the_argument():
    with pytest.raises(cx.InvalidArgumentError, match="amount has 2 values but customer has 3"):
        cx.clv_summary(None, customer=[1, 2, 3], time=pd.to_datetime(["2024-01-01"] * 3), amount=[1.0, 2.0])
