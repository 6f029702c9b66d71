"""cx.TransactionAccumulator: its rfm() and clv_summary() equal cx.rfm / cx.clv_summary on the same
rows (the CDNOW sample log and hypothesis logs, every period, as-of dates, observation ends and
calibration/holdout splits), per-customer counts and sums against pandas, the summary against
lifetimes (the test oracle), hypothesis merge laws (associative, commutative, empty identity, split
by row ranges with customers in several parts == one pass), bytes and pickle round trips, corrupt
bytes, string customer keys, the bad-input policy, and the golden file
tests/golden/transactions_v1.bin encoded here with struct and zlib."""

from __future__ import annotations

import importlib
import pickle
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxkit as cx

lifetimes_utils = importlib.import_module("lifetimes.utils")

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SUMMARY_ACCOUNT = ["n", "n_holdout", "n_missing", "n_invalid", "n_after_end"]


@pytest.fixture(scope="module")
def elog() -> pd.DataFrame:
    e = pd.read_csv(DATA / "cdnow_sample_elog.csv")
    e["time"] = pd.to_datetime(e["date"].astype(str), format="%Y%m%d")
    return e


@pytest.fixture(scope="module")
def elog_state(elog) -> cx.TransactionAccumulator:
    acc = cx.TransactionAccumulator()
    acc.add(elog["masterid"], elog["time"], elog["sales"])
    return acc


def rows_rfm(df, customer="customer", amount="amount", **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.RfmTiesWarning)
        return cx.rfm(df, customer=customer, time="time", amount=amount, **kw)


def state_rfm(acc, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.RfmTiesWarning)
        return acc.rfm(**kw)


def assert_same(got: pd.DataFrame, want: pd.DataFrame, rtol: float = 0.0) -> None:
    """Same columns, index, dtypes and attrs; float columns to ``rtol`` (0: exact)."""
    assert list(got.columns) == list(want.columns)
    if rtol == 0.0:
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    else:
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=rtol, atol=0.0)
    assert got.attrs.keys() == want.attrs.keys()
    for k, v in want.attrs.items():
        if k == "cut_points" and rtol:
            for dim in v:
                np.testing.assert_allclose(got.attrs[k][dim], v[dim], rtol=rtol)
        else:
            assert got.attrs[k] == v, k


# ---------------------------------------------------------------------------------------------------
# the CDNOW sample log


def test_state_rfm_equals_rfm_on_cdnow(elog, elog_state):
    assert elog_state.n == len(elog) and elog_state.n_customers == elog["masterid"].nunique()
    for kw in ({}, {"bins": 3, "as_of": "1997-12-31"}, {"segments": "standard", "tiers": {"hi": 50, "mid": 10}},
               {"thresholds": {"r": [30, 90, 180, 365], "f": [1, 2, 4, 8], "m": [20, 50, 100, 200]},
                "tiers": {"hi": 5}, "tier_period": "W"}):
        want = rows_rfm(elog, customer="masterid", amount="sales", **kw)
        got = state_rfm(elog_state, **kw)
        # amounts: day sums added in another order than row by row (documented): to rounding
        assert_same(got.rename_axis("masterid"), want, rtol=1e-12)


def test_state_rfm_counts_and_sums_against_pandas(elog, elog_state):
    got = state_rfm(elog_state)
    g = elog.groupby("masterid")
    np.testing.assert_array_equal(got["frequency"], g.size().to_numpy())
    np.testing.assert_allclose(got["monetary"], g["sales"].sum().to_numpy(), rtol=1e-12)
    last = elog["time"].max()
    np.testing.assert_array_equal(got["recency"], (last - g["time"].max()).dt.days.to_numpy())


@pytest.mark.parametrize("period", ["D", "W", "M"])
@pytest.mark.parametrize("end", [None, "1998-03-15"])
def test_state_summary_equals_clv_summary_on_cdnow(elog, elog_state, period, end):
    for mult in (1, 7) if period == "D" else (1,):
        want = cx.clv_summary(elog, customer="masterid", time="time", amount="sales", period=period,
                              observation_end=end, multiplier=mult)
        got = elog_state.clv_summary(period=period, observation_end=end, multiplier=mult)
        assert_same(got.rename_axis("masterid"), want, rtol=1e-12)


@pytest.mark.parametrize("period", ["D", "W", "M"])
def test_state_calibration_holdout_equals_clv_summary_on_cdnow(elog, elog_state, period):
    for hold in (None, "1998-03-31"):
        want = cx.clv_summary(elog, customer="masterid", time="time", amount="sales", period=period,
                              calibration_end="1997-09-30", holdout_end=hold)
        got = elog_state.clv_summary(period=period, calibration_end="1997-09-30", holdout_end=hold)
        assert_same(got.rename_axis("masterid"), want, rtol=1e-12)


def test_state_summary_against_lifetimes(elog, elog_state):
    want = lifetimes_utils.summary_data_from_transaction_data(elog, "masterid", "time", monetary_value_col="sales",
                                                              freq="D")
    got = elog_state.clv_summary(period="D")
    np.testing.assert_array_equal(got["frequency"], want["frequency"])
    np.testing.assert_array_equal(got["recency"], want["recency"])
    np.testing.assert_array_equal(got["T"], want["T"])
    np.testing.assert_allclose(got["monetary_value"], want["monetary_value"], rtol=1e-12)


# ---------------------------------------------------------------------------------------------------
# hypothesis logs: amounts are multiples of 1/4, so every sum is exact and the frames are equal


@st.composite
def logs(draw, max_rows=60, hours=True):
    n = draw(st.integers(0, max_rows))
    days = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    hrs = draw(st.lists(st.integers(0, 23), min_size=n, max_size=n)) if hours else [0] * n
    return pd.DataFrame({
        "customer": np.asarray(draw(st.lists(st.integers(-5, 12), min_size=n, max_size=n)), dtype=np.int64),
        "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.asarray(days) * 24 + np.asarray(hrs), unit="h"),
        "amount": np.asarray(draw(st.lists(st.integers(0, 400), min_size=n, max_size=n)), dtype=float) / 4.0,
    })


def state(df: pd.DataFrame) -> cx.TransactionAccumulator:
    acc = cx.TransactionAccumulator()
    if len(df):
        acc.add(df["customer"], df["time"], df["amount"])
    return acc


@settings(max_examples=60, deadline=None)
@given(logs(), st.sampled_from([None, "2024-02-15", "2024-06-01"]), st.integers(1, 9))
def test_state_rfm_equals_rfm(df, as_of, bins):
    want = rows_rfm(df, as_of=as_of, bins=bins, tiers={"a": 20.0, "b": 5.0})
    got = state_rfm(state(df), as_of=as_of, bins=bins, tiers={"a": 20.0, "b": 5.0})
    assert_same(got, want)


@settings(max_examples=60, deadline=None)
@given(logs(hours=False), st.sampled_from(["D", "W", "M"]), st.sampled_from([None, "2024-02-20"]),
       st.sampled_from([None, "2024-03-10"]), st.sampled_from([1, 7]))
def test_state_summary_equals_clv_summary(df, period, calibration, end, mult):
    # days without a time of day: a calibration end date splits rows the same way as the state's day
    kw = {"calibration_end": calibration, "holdout_end": end} if calibration else {"observation_end": end}
    want = cx.clv_summary(df, customer="customer", time="time", amount="amount", period=period, multiplier=mult, **kw)
    got = state(df).clv_summary(period=period, multiplier=mult, **kw)
    assert_same(got, want)
    assert sum(got.attrs[k] for k in SUMMARY_ACCOUNT) == len(df)


@settings(max_examples=40, deadline=None)
@given(logs(), logs(), logs())
def test_merge_laws(a, b, c):
    sa, sb, sc = state(a), state(b), state(c)
    assert (sa + sb) + sc == sa + (sb + sc)
    assert sa + sb == sb + sa
    empty = cx.TransactionAccumulator()
    assert sa + empty == sa and empty + sa == sa
    assert sa + sb + sc == state(pd.concat([a, b, c], ignore_index=True))
    assert cx.TransactionAccumulator.from_bytes(sa.to_bytes()) == sa
    assert pickle.loads(pickle.dumps(sa)) == sa


@settings(max_examples=40, deadline=None)
@given(logs(max_rows=120), st.lists(st.integers(0, 120), min_size=1, max_size=4))
def test_split_by_row_ranges_and_merge_equals_one_pass(df, cuts):
    bounds = [0, *sorted(cuts), len(df)]
    merged = cx.TransactionAccumulator()
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        merged += state(df.iloc[lo:hi])  # row ranges: one customer's rows land in several parts
    whole = state(df)
    assert merged == whole
    assert_same(state_rfm(merged), state_rfm(whole))
    if len(df):
        assert_same(state_rfm(merged), rows_rfm(df))
        assert_same(merged.clv_summary(period="W"), cx.clv_summary(df, customer="customer", time="time",
                                                                   amount="amount", period="W"))


def test_one_row_at_a_time_equals_one_batch():
    df = pd.DataFrame({
        "customer": [3, 1, 3, 2, 1, 3], "time": pd.to_datetime(["2024-01-05", "2024-01-01", "2024-01-05 10:00",
                                                                  "2024-02-01", "2024-03-01", "2024-01-02"], format="ISO8601"),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    acc = cx.TransactionAccumulator()
    for row in df.itertuples():
        acc.add(row.customer, row.time, row.amount)
    assert acc == state(df)
    assert acc.n_entries == 5  # customer 3 bought twice on 2024-01-05
    assert len(acc) == acc.n_customers == 3


def test_string_customer_keys_as_cohort_accumulator():
    df = pd.DataFrame({"customer": ["a", "b", "a", "c", "b"],
                       "time": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-09", "2024-01-09", "2024-02-01"]),
                       "amount": [1.0, 2.0, 3.0, 4.0, 5.0]})
    left, right = state(df.iloc[:2]), state(df.iloc[2:])
    got = state_rfm(left + right, bins=2)
    want = rows_rfm(df, bins=2)
    # keys are pandas.util.hash_array of the text, as in CohortAccumulator
    keys = pd.util.hash_array(np.asarray(want.index, dtype=object)).view(np.int64)
    pd.testing.assert_frame_equal(got, want.set_axis(pd.Index(keys, name="customer")).sort_index())


def test_empty_and_without_amounts():
    acc = cx.TransactionAccumulator()
    r = acc.rfm()
    assert len(r) == 0 and r.attrs["n"] == 0 and r.attrs["as_of"] is None
    s = acc.clv_summary()
    assert len(s) == 0 and s.attrs["observation_end"] is None
    plain = cx.TransactionAccumulator(amount=False)
    plain.add([1, 1, 2], ["2024-01-01", "2024-01-20", "2024-01-03"])
    df = pd.DataFrame({"customer": [1, 1, 2], "time": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-03"])})
    assert_same(plain.clv_summary(period="D"), cx.clv_summary(df, customer="customer", time="time", period="D"))
    with pytest.raises(cx.InvalidArgumentError, match="amount"):
        plain.rfm()
    with pytest.raises(cx.InvalidArgumentError, match="amount"):
        plain.add([1], ["2024-01-01"], [1.0])
    with pytest.raises(cx.InvalidArgumentError, match="amount"):
        acc.add([1], ["2024-01-01"])
    with pytest.raises(cx.InvalidArgumentError):
        acc + plain
    assert repr(plain).startswith("TransactionAccumulator(amount=False, customers=2")


# ---------------------------------------------------------------------------------------------------
# bad input, bytes


def test_bad_input_raises_or_is_dropped_and_counted():
    customer = pd.array([1, None, 2, 3, 4, 5], dtype="Int64")
    time = ["2024-01-01", "2024-01-02", None, "not a date", "2024-01-05", "2024-01-06"]
    amount = [1.0, 2.0, 3.0, 4.0, np.nan, -1.0]
    acc = cx.TransactionAccumulator()
    with pytest.raises(cx.InvalidInputError, match=r"position 3.*2 invalid rows"):
        acc.add(customer, time, amount)
    assert acc.n == 0 and acc == cx.TransactionAccumulator()  # the batch was refused whole
    with pytest.raises(cx.InvalidInputError, match=r"amount at position 1: -1"):
        acc.add(customer[4:], time[4:], amount[4:])
    acc.add(customer, time, amount, on_invalid="drop")
    assert (acc.n, acc.n_missing, acc.n_invalid) == (1, 3, 2)
    assert acc.n + acc.n_missing + acc.n_invalid == len(customer)
    r = state_rfm(acc)
    assert (r.attrs["n"], r.attrs["n_missing"], r.attrs["n_invalid"], r.attrs["n_after_end"]) == (1, 3, 2, 0)
    want = rows_rfm(pd.DataFrame({"customer": customer, "time": time, "amount": amount}), on_invalid="drop")
    assert r.attrs == want.attrs
    with pytest.raises(cx.InvalidArgumentError, match="same length"):
        acc.add([1, 2], ["2024-01-01"], [1.0, 2.0])
    with pytest.raises(cx.InvalidArgumentError, match="bins"):
        acc.rfm(bins=0)
    with pytest.raises(cx.InvalidArgumentError, match="multiplier"):
        acc.clv_summary(multiplier=0)
    with pytest.raises(cx.InvalidArgumentError, match="holdout_end needs calibration_end"):
        acc.clv_summary(holdout_end="2024-02-01")


def test_bytes_pickle_and_corrupt_bytes():
    acc = state(pd.DataFrame({"customer": [1, 2, 1], "time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
                              "amount": [1.0, 2.5, 3.0]}))
    raw = acc.to_bytes()
    assert cx.TransactionAccumulator.from_bytes(raw) == acc
    assert pickle.loads(pickle.dumps(acc)) == acc
    assert acc.copy() == acc
    for bad in (raw[:-1], raw[:10], raw + b"\0", b""):
        with pytest.raises(cx.CorruptStateError, match="corrupt state"):
            cx.TransactionAccumulator.from_bytes(bad)
    flipped = bytearray(raw)
    flipped[-3] ^= 0xFF
    with pytest.raises(cx.CorruptStateError, match="corrupt state"):
        cx.TransactionAccumulator.from_bytes(bytes(flipped))
    with pytest.raises(cx.CorruptStateError, match="family"):
        cx.CohortAccumulator.from_bytes(raw)


def test_golden_transactions_v1():
    data = (GOLDEN / "transactions_v1.bin").read_bytes()
    day = lambda s: (pd.Timestamp(s) - pd.Timestamp("1970-01-01")).days
    payload = struct.pack("<BQQQQ", 1, 4, 2, 2, 2)
    payload += struct.pack("<qQ", 7, 2) + struct.pack("<qQd", day("2024-01-05"), 2, 12.5)
    payload += struct.pack("<qQd", day("2024-03-02"), 1, 1.0)
    payload += struct.pack("<qQ", 9, 1) + struct.pack("<qQd", day("2024-02-29"), 1, 4.25)
    blob = b"CXK1" + struct.pack("<HHIQI", 8, 1, 0, len(payload), zlib.crc32(payload)) + payload
    assert data == blob
    acc = cx.TransactionAccumulator()
    acc.add([7, 7, 9, 7, 9, 5, 9, 7],
            ["2024-01-05T12:00", "2024-01-05T18:00", "2024-02-29T12:00", "2024-03-02T12:00", None,
             "2024-03-09T12:00", "not a time", "2024-01-06T12:00"],
            [10.5, 2.0, 4.25, 1.0, 3.0, np.nan, 1.0, -1.0], on_invalid="drop")
    assert acc.to_bytes() == data
    assert cx.TransactionAccumulator.from_bytes(data) == acc
