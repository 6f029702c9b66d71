"""cx.retention, cx.churn_rate, cx.churn_durations and CohortAccumulator against straightforward
pandas computations written from METRICS.md §4 (groupby first period, age, nunique customers),
the UCI online retail extract, hypothesis merge laws and the bad-input policy."""

from __future__ import annotations

import importlib

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxkit as cx

DATA = Path(__file__).resolve().parents[1] / "data"
FREQ = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q"}  # W-SUN: weeks ending Sunday = ISO weeks


# ---------------------------------------------------------------------------------------------------
# the pandas oracle


def _ordinals(times: pd.Series, period: str) -> pd.Series:
    return pd.Series(times.dt.to_period(FREQ[period]).array.asi8, index=times.index)


def _start(ordinal: int, period: str) -> pd.Timestamp:
    return pd.Period(ordinal=ordinal, freq=FREQ[period]).start_time.normalize()


def oracle(df: pd.DataFrame, period: str = "M", kind: str = "exact", rolling: int | None = None,
           revenue: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(counts with NaN where unobserved, rates, revenue) from the definition."""
    d = df.dropna(subset=["customer", "time"]).copy()
    d["day"] = d["time"].dt.floor("D")
    d["per"] = _ordinals(d["day"], period)
    end = d["day"].max()
    first_day = d.groupby("customer")["day"].transform("min")
    d["cohort"] = d.groupby("customer")["per"].transform("min")
    if rolling:
        d["age"] = (d["day"] - first_day).dt.days // rolling
    else:
        d["age"] = d["per"] - d["cohort"]
    if kind == "exact":
        counts = d.groupby(["cohort", "age"])["customer"].nunique().unstack(fill_value=0)
    else:
        top = d.groupby("customer").agg(cohort=("cohort", "first"), top=("age", "max"))
        max_age = int(d["age"].max())
        counts = pd.DataFrame({k: top.assign(ok=top["top"] >= k).groupby("cohort")["ok"].sum() for k in range(max_age + 1)})
    sizes = d.groupby("cohort")["customer"].nunique()
    first_start = _start(int(sizes.index.min()), period)
    if rolling:
        n_ages = (end - first_start).days // rolling + 1
    else:
        n_ages = int(_ordinals(pd.Series([end]), period).iloc[0]) - int(sizes.index.min()) + 1
    counts = counts.reindex(columns=range(n_ages), fill_value=0).astype(float)
    last = int(_ordinals(pd.Series([end]), period).iloc[0])
    for c in counts.index:
        for k in counts.columns:
            observed = (_start(c, period) + pd.Timedelta(days=k * rolling) <= end) if rolling else (c + k <= last)
            if not observed:
                counts.loc[c, k] = np.nan
    counts.index = pd.DatetimeIndex([_start(c, period) for c in counts.index], name="cohort")
    counts.columns = pd.RangeIndex(n_ages, name="age")
    rates = counts.div(sizes.to_numpy(), axis=0)
    rev = None
    if revenue:
        rev = d.groupby(["cohort", "age"])["revenue"].sum().unstack(fill_value=0.0)
        rev = rev.reindex(columns=range(n_ages), fill_value=0.0)
        rev.index = counts.index
        rev.columns = counts.columns
        rev = rev.where(counts.notna())
    return counts, rates, rev


def random_events(seed: int, n: int = 4000, customers: int = 300, start: str = "2023-11-15", days: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    return pd.DataFrame({
        "customer": rng.integers(0, customers, n),
        "time": t0 + pd.to_timedelta(rng.integers(0, days * 86400, n), unit="s"),
        "revenue": rng.integers(1, 100, n).astype(float),
    })


# ---------------------------------------------------------------------------------------------------
# retention


@pytest.mark.parametrize("period", ["D", "W", "M", "Q"])
@pytest.mark.parametrize("kind", ["exact", "unbounded"])
def test_retention_matches_pandas(period, kind):
    days = 60 if period == "D" else 500
    df = random_events(1, n=3000 if period == "D" else 4000, days=days)
    r = cx.retention(df, customer="customer", time="time", period=period, kind=kind)
    counts, rates, _ = oracle(df, period, kind)
    pd.testing.assert_frame_equal(r.counts, counts, check_freq=False)
    pd.testing.assert_frame_equal(r.rates, rates, check_freq=False)
    assert r.n_missing == 0 and r.n == len(df)
    # pooled curve from the definition: observed cells only
    sizes = counts[0]
    num = counts.sum(axis=0, skipna=True)
    den = counts.notna().mul(sizes, axis=0).sum(axis=0)
    np.testing.assert_allclose(r.curve.to_numpy(), (num / den).to_numpy(), rtol=1e-15)
    # the state gives the same matrices
    acc = cx.CohortAccumulator(period)
    acc.add(df["customer"], df["time"])
    pd.testing.assert_frame_equal(acc.result(kind=kind).counts, counts, check_freq=False)


def test_retention_polars_strings_and_epoch_seconds():
    pl = importlib.import_module("polars")
    df = random_events(2)
    counts, _, _ = oracle(df)
    r = cx.retention(pl.from_pandas(df), customer="customer", time="time")
    pd.testing.assert_frame_equal(r.counts, counts, check_freq=False)
    s = df.assign(customer="c" + df["customer"].astype(str), time=df["time"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    pd.testing.assert_frame_equal(cx.retention(s, customer="customer", time="time").counts, counts, check_freq=False)
    secs = df["time"].astype("int64") // 10**9
    r2 = cx.retention(None, customer=df["customer"].to_numpy(), time=secs.to_numpy(), time_unit="s")
    pd.testing.assert_frame_equal(r2.counts, counts, check_freq=False)


def test_revenue_retention():
    df = random_events(3)
    r = cx.retention(df, customer="customer", time="time", revenue="revenue")
    counts, _, rev = oracle(df, revenue=True)
    pd.testing.assert_frame_equal(r.revenue, rev, check_freq=False)
    pd.testing.assert_frame_equal(r.revenue_rates, rev.div(rev[0], axis=0), check_freq=False)
    pd.testing.assert_frame_equal(r.counts, counts, check_freq=False)


@pytest.mark.parametrize("n_days", [7, 30])
def test_rolling_periods(n_days):
    df = random_events(4)
    r = cx.retention(df, customer="customer", time="time", period="M", rolling_days=n_days)
    counts, _, _ = oracle(df, "M", rolling=n_days)
    pd.testing.assert_frame_equal(r.counts, counts, check_freq=False)
    acc = cx.CohortAccumulator("M", rolling_days=n_days)
    acc.add(df["customer"], df["time"])
    pd.testing.assert_frame_equal(acc.result().counts, counts, check_freq=False)


def test_unobserved_cells_nan_and_partial_flags():
    # Hand-built: last event 2024-04-10, so April is a partial period; cohort Feb is observed to age 2.
    df = pd.DataFrame({
        "customer": [1, 1, 1, 2, 3, 3],
        "time": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-04-10", "2024-01-31", "2024-02-29", "2024-03-01"]),
    })
    r = cx.retention(df, customer="customer", time="time")
    assert r.counts.to_numpy(na_value=-1).tolist() == [[2, 1, 0, 1], [1, 1, 0, -1]]
    assert r.partial.to_numpy().tolist() == [[False, False, False, True], [False, False, True, False]]
    # observation_end at the end of April: nothing is partial any more
    r2 = cx.retention(df, customer="customer", time="time", observation_end="2024-04-30")
    assert not r2.partial.to_numpy().any()
    # observation_end in May: a new, unobserved-by-data but observable age (count 0, not NaN)
    r3 = cx.retention(df, customer="customer", time="time", observation_end="2024-05-02")
    assert r3.counts.iloc[0, 4] == 0 and r3.partial.iloc[0, 4]


def test_online_retail_extract():
    raw = pd.read_csv(DATA / "online_cohorts.csv")
    assert raw["CustomerID"].isna().sum() == 277
    ev = pd.DataFrame({"customer": raw["CustomerID"], "time": pd.to_datetime(raw["InvoiceDate"])})
    r = cx.retention(ev, customer="customer", time="time", period="M")
    assert r.n_missing == 277
    assert r.n + r.n_missing + r.n_invalid == len(raw)
    counts, rates, _ = oracle(ev, "M")
    pd.testing.assert_frame_equal(r.counts, counts, check_freq=False)
    pd.testing.assert_frame_equal(r.rates, rates, check_freq=False)
    assert r.n_customers == ev["customer"].nunique()
    ru = cx.retention(ev, customer="customer", time="time", period="Q", kind="unbounded")
    pd.testing.assert_frame_equal(ru.counts, oracle(ev, "Q", "unbounded")[0], check_freq=False)


# ---------------------------------------------------------------------------------------------------
# churn


def churn_oracle(df: pd.DataFrame, period: str = "M") -> pd.DataFrame:
    d = df.dropna(subset=["customer", "time"]).copy()
    d["per"] = _ordinals(d["time"], period)
    active = d.groupby("per")["customer"].apply(set)
    lo, hi = int(d["per"].min()), int(d["per"].max())
    rows = []
    for p in range(lo + 1, hi + 1):
        prev, cur = active.get(p - 1, set()), active.get(p, set())
        lost = len(prev - cur)
        rows.append((_start(p, period), len(prev), lost, lost / len(prev) if prev else np.nan))
    out = pd.DataFrame(rows, columns=["period", "active_start", "lost", "churn_rate"]).set_index("period")
    return out


@pytest.mark.parametrize("period", ["W", "M", "Q"])
def test_churn_rate_matches_pandas(period):
    df = random_events(5, customers=150)
    got = cx.churn_rate(df, customer="customer", time="time", period=period)
    exp = churn_oracle(df, period)
    np.testing.assert_array_equal(got.index.to_numpy(), exp.index.to_numpy())
    np.testing.assert_array_equal(got["active_start"].to_numpy(), exp["active_start"].to_numpy())
    np.testing.assert_array_equal(got["lost"].to_numpy(), exp["lost"].to_numpy())
    np.testing.assert_allclose(got["churn_rate"].to_numpy(), exp["churn_rate"].to_numpy(), rtol=1e-15)
    assert got["partial"].iloc[-1] == (df["time"].max().normalize() < _start(int(_ordinals(pd.Series([df["time"].max()]), period).iloc[0]) + 1, period) - pd.Timedelta(days=1))


@pytest.mark.parametrize("threshold", [0, 30, 90])
def test_churn_durations_match_pandas(threshold):
    df = random_events(6, customers=200)
    got = cx.churn_durations(df, customer="customer", time="time", threshold_days=threshold)
    day = df["time"].dt.floor("D")
    g = day.groupby(df["customer"])
    first, last = g.min(), g.max()
    end = day.max()
    observed = (end - last).dt.days > threshold
    duration = np.where(observed, (last - first).dt.days, (end - first).dt.days)
    np.testing.assert_array_equal(got.index.to_numpy(), first.index.to_numpy())
    np.testing.assert_array_equal(got["observed"].to_numpy(), observed.to_numpy())
    np.testing.assert_array_equal(got["duration"].to_numpy(), duration)
    np.testing.assert_array_equal(got["first_activity"].to_numpy(), first.to_numpy())
    np.testing.assert_array_equal(got["last_activity"].to_numpy(), last.to_numpy())


def test_churn_durations_feed_kaplan_meier():
    lifelines = importlib.import_module("lifelines")
    df = random_events(7, customers=100)
    d = cx.churn_durations(df, customer="customer", time="time", threshold_days=45)
    km = lifelines.KaplanMeierFitter().fit(d["duration"], d["observed"])
    assert km.event_observed.sum() == d["observed"].sum()
    assert 0 < d["observed"].sum() < len(d)


# ---------------------------------------------------------------------------------------------------
# the state: merge laws


def _state(df: pd.DataFrame, period: str = "M", revenue: bool = False, rolling: int | None = None) -> cx.CohortAccumulator:
    acc = cx.CohortAccumulator(period, rolling_days=rolling, revenue=revenue)
    if len(df):
        acc.add(df["customer"], df["time"], df["revenue"] if revenue else None)
    return acc


frames = st.integers(0, 2**31).map(lambda s: random_events(s, n=int(s % 60), customers=12, days=200))


@settings(max_examples=40, deadline=None)
@given(frames, frames, frames, st.sampled_from(["D", "W", "M", "Q"]))
def test_merge_laws(a, b, c, period):
    sa, sb, sc = (_state(x, period, revenue=True) for x in (a, b, c))
    assert (sa + sb) + sc == sa + (sb + sc)
    assert sa + sb == sb + sa
    empty = cx.CohortAccumulator(period, revenue=True)
    assert sa + empty == sa and empty + sa == sa
    assert sa + sb + sc == _state(pd.concat([a, b, c], ignore_index=True), period, revenue=True)
    assert cx.CohortAccumulator.from_bytes(sa.to_bytes()) == sa
    assert pickle.loads(pickle.dumps(sa)) == sa


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 5), st.sampled_from([None, 7]))
def test_customers_split_across_partitions(seed, parts, rolling):
    df = random_events(seed, n=300, customers=25)
    rng = np.random.default_rng(seed)
    part = rng.integers(0, parts, len(df))  # by row: one customer's events land in several parts
    merged = cx.CohortAccumulator("M", rolling_days=rolling)
    for p in range(parts):
        merged += _state(df[part == p], "M", rolling=rolling)
    whole = cx.retention(df, customer="customer", time="time", rolling_days=rolling)
    pd.testing.assert_frame_equal(merged.result().counts, whole.counts, check_freq=False)
    assert merged == _state(df, "M", rolling=rolling)


def test_string_customer_keys_merge_across_states():
    df = random_events(8, n=500, customers=40)
    df["customer"] = "cust-" + df["customer"].astype(str)
    a, b = _state(df.iloc[:250]), _state(df.iloc[250:])
    pd.testing.assert_frame_equal((a + b).result().counts, cx.retention(df, customer="customer", time="time").counts,
                                  check_freq=False)
    assert len(a + b) == df["customer"].nunique()


# ---------------------------------------------------------------------------------------------------
# bad input


def test_missing_rows_counted_and_invalid_raise_or_drop():
    df = pd.DataFrame({
        "customer": pd.array([1, None, 2, 3, 3], dtype="Int64"),
        "time": ["2024-01-01", "2024-01-02", None, "not a date", "2024-02-01"],
    })
    with pytest.raises(cx.InvalidInputError, match=r"position 3.*1 invalid row"):
        cx.retention(df, customer="customer", time="time")
    r = cx.retention(df, customer="customer", time="time", on_invalid="drop")
    assert (r.n, r.n_missing, r.n_invalid) == (2, 2, 1)
    assert r.n + r.n_missing + r.n_invalid == len(df)
    acc = cx.CohortAccumulator()
    with pytest.raises(cx.InvalidInputError):
        acc.add(df["customer"], df["time"])
    assert acc.n == 0  # the batch was refused whole
    acc.add(df["customer"], df["time"], on_invalid="drop")
    assert (acc.n, acc.n_missing, acc.n_invalid) == (2, 2, 1)
    with pytest.raises(cx.InvalidInputError, match="revenue"):
        cx.retention(df.assign(time="2024-01-01", rev=[1.0, 2.0, np.inf, 1.0, 1.0]), customer="customer",
                     time="time", revenue="rev")
    with pytest.raises(cx.InvalidInputError, match="after the observation end"):
        cx.retention(df.iloc[[0, 4]], customer="customer", time="time", observation_end="2024-01-15")


def test_empty_input_and_bad_arguments():
    empty = pd.DataFrame({"customer": pd.Series([], dtype="int64"), "time": pd.Series([], dtype="datetime64[ns]")})
    r = cx.retention(empty, customer="customer", time="time")
    assert r.counts.shape == (0, 0) and r.n == 0 and r.n_missing == 0 and r.curve.empty
    df = random_events(9, n=20)
    with pytest.raises(cx.InvalidArgumentError, match="customer"):
        cx.retention(df, customer="nope", time="time")
    with pytest.raises(cx.InvalidArgumentError, match="time"):
        cx.retention(None, customer=[1, 2], time=["2024-01-01"])
    with pytest.raises(cx.InvalidArgumentError, match="period"):
        cx.retention(df, customer="customer", time="time", period="Y")
    with pytest.raises(cx.InvalidArgumentError, match="kind"):
        cx.retention(df, customer="customer", time="time", kind="both")
    with pytest.raises(cx.InvalidArgumentError, match="rolling_days"):
        cx.retention(df, customer="customer", time="time", rolling_days=0)
    with pytest.raises(cx.InvalidArgumentError, match="threshold_days"):
        cx.churn_durations(df, customer="customer", time="time", threshold_days=-1)
    with pytest.raises(cx.InvalidArgumentError):
        cx.CohortAccumulator("M") + cx.CohortAccumulator("W")
    with pytest.raises(cx.InvalidArgumentError, match="revenue"):
        cx.CohortAccumulator(revenue=True).add([1], ["2024-01-01"])


def test_corrupt_bytes():
    acc = _state(random_events(10, n=50))
    raw = bytearray(acc.to_bytes())
    with pytest.raises(cx.CorruptStateError, match="corrupt state"):
        cx.CohortAccumulator.from_bytes(bytes(raw[:-2]))
    raw[-5] ^= 0xFF
    with pytest.raises(cx.CorruptStateError, match="corrupt state"):
        cx.CohortAccumulator.from_bytes(bytes(raw))


# ---------------------------------------------------------------------------------------------------
# golden file tests/golden/cohort_v1.bin (layout in tests/golden/README.md), encoded here with
# struct and zlib.crc32


def test_golden_cohort_v1():
    import struct
    import zlib

    path = Path(__file__).resolve().parents[1] / "golden" / "cohort_v1.bin"
    data = path.read_bytes()
    jan = (2024 - 1970) * 12
    last = (pd.Timestamp("2024-03-02") - pd.Timestamp("1970-01-01")).days
    payload = struct.pack("<BqBQQQBqQ", 2, 0, 1, 2, 1, 4, 1, last, 3)
    for cust, unit, rev in ((7, jan, 12.5), (7, jan + 2, 1.0), (9, jan + 1, 4.25)):
        payload += struct.pack("<qqd", cust, unit, rev)
    blob = b"CXK1" + struct.pack("<HHIQI", 7, 1, 0, len(payload), zlib.crc32(payload)) + payload
    assert data == blob
    acc = cx.CohortAccumulator("M", revenue=True)
    acc.add([7, 7, 9, 7, 9, 5, 9],
            ["2024-01-05T12:00", "2024-01-20T12:00", "2024-02-29T12:00", "2024-03-02T12:00", None,
             "2024-03-09T12:00", "not a time"],
            [10.5, 2.0, 4.25, 1.0, 3.0, np.nan, 1.0], on_invalid="drop")
    assert acc.to_bytes() == data
    assert cx.CohortAccumulator.from_bytes(data) == acc
