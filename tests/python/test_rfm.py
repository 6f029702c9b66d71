"""cx.rfm against a pandas groupby computation written from METRICS.md §4 (recency, frequency,
monetary; the rank-based score rule written out with sorted values; segments by a plain Python
loop over the rules; value tiers) on the CDNOW sample log, hypothesis properties (split-by-customer
concatenation of the raw R/F/M columns, ties share a score, scores monotone in the value), the
tie warning, and the bad-input policy."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxkit as cx

DATA = Path(__file__).resolve().parents[1] / "data"
ACCOUNT = ["n", "n_missing", "n_invalid", "n_after_end"]


@pytest.fixture(scope="module")
def elog() -> pd.DataFrame:
    e = pd.read_csv(DATA / "cdnow_sample_elog.csv")
    return pd.DataFrame({
        "customer": e["masterid"],
        "time": pd.to_datetime(e["date"].astype(str), format="%Y%m%d"),
        "amount": e["sales"],
    })


def run(df, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.RfmTiesWarning)
        return cx.rfm(df, customer="customer", time="time", amount="amount", **kw)


# ---------------------------------------------------------------------------------------------------
# the oracle (METRICS.md §4, written out)


def raw_oracle(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    d = df.dropna(subset=["customer", "time", "amount"]).copy()
    d["day"] = d["time"].dt.floor("D")
    as_of = d["day"].max() if as_of is None else pd.Timestamp(as_of).floor("D")
    d = d[d["day"] <= as_of]
    g = d.groupby("customer")
    return pd.DataFrame({
        "recency": (as_of - g["day"].max()).dt.days.astype(np.int64),
        "frequency": g.size().astype(np.int64),
        "monetary": g["amount"].sum(),
    })


def cut_points(values: np.ndarray, bins: int) -> list[float]:
    s = np.sort(values)
    n = len(s)
    return [float(s[(k * (n - 1)) // bins]) for k in range(1, bins)]


def score(values: np.ndarray, cuts: list[float], reverse: bool, bins: int) -> np.ndarray:
    above = np.array([sum(1 for c in cuts if v > c) for v in values], dtype=np.int64)
    return bins - above if reverse else 1 + above


def segment_loop(r, f, m, rules, default="other") -> list[str]:
    out = []
    for ri, fi, mi in zip(r, f, m):
        label = default
        for name, rule in rules:
            ranges = {"r": (1, 99), "f": (1, 99), "m": (1, 99)}
            for k, v in rule.items():
                ranges[k] = (v, v) if isinstance(v, int) else tuple(v)
            if all(lo <= s <= hi for s, (lo, hi) in zip((ri, fi, mi), (ranges["r"], ranges["f"], ranges["m"]))):
                label = name
                break
        out.append(label)
    return out


def oracle(df, bins=5, as_of=None, thresholds=None, rules=(), default="other") -> pd.DataFrame:
    o = raw_oracle(df, as_of)
    for dim, col in (("r", "recency"), ("f", "frequency"), ("m", "monetary")):
        v = o[col].to_numpy(np.float64)
        cuts = thresholds[dim] if thresholds and dim in thresholds else cut_points(v, bins)
        o[dim + "_score"] = score(v, cuts, dim == "r", bins)
    o["rfm"] = 100 * o["r_score"] + 10 * o["f_score"] + o["m_score"]
    o["segment"] = segment_loop(o["r_score"], o["f_score"], o["m_score"], rules, default)
    return o


def check(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.index) == list(want.index)
    for col in ("recency", "frequency", "r_score", "f_score", "m_score", "rfm"):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(got["monetary"].to_numpy(), want["monetary"].to_numpy(), rtol=1e-12)
    assert got["segment"].astype(str).tolist() == list(want["segment"])


# ---------------------------------------------------------------------------------------------------
# against the oracle


@pytest.mark.parametrize("bins", [2, 3, 5, 7])
def test_rfm_matches_pandas_on_cdnow(elog, bins):
    got = run(elog, bins=bins)
    check(got, oracle(elog, bins))
    o = raw_oracle(elog)
    assert got.attrs["cut_points"]["m"] == pytest.approx(cut_points(o["monetary"].to_numpy(np.float64), bins), rel=1e-12)
    assert got.attrs["cut_points"]["r"] == cut_points(o["recency"].to_numpy(np.float64), bins)
    assert got.attrs["n_scores"]["f"] == got["f_score"].nunique()
    assert got.attrs["as_of"] == elog["time"].max()
    assert got.attrs["n"] == len(elog) and got.attrs["bins"] == bins


def test_as_of_excludes_later_purchases_and_counts_them(elog):
    got = run(elog, as_of="1997-12-31")
    check(got, oracle(elog, as_of="1997-12-31"))
    later = (elog["time"] > "1997-12-31").sum()
    assert got.attrs["n_after_end"] == later
    assert sum(got.attrs[k] for k in ACCOUNT) == len(elog)


def test_standard_segments_and_custom_rules(elog):
    std = [(name, dict(rule)) for name, rule in cx.RFM_STANDARD_SEGMENTS]
    got = run(elog, segments="standard")
    check(got, oracle(elog, rules=std))
    assert "other" not in set(got["segment"].astype(str))  # the standard grid covers every (r, f)
    rules = [("vip", {"r": (4, 5), "m": 5}), ("big spender", {"m": (4, 5)}), ("recent", {"r": 5})]
    got = run(elog, segments=rules, default_segment="rest")
    check(got, oracle(elog, rules=rules, default="rest"))
    got = run(elog, segments=dict(rules))
    check(got, oracle(elog, rules=rules))


def test_thresholds_replace_quantiles(elog):
    th = {"r": [30, 90, 180, 365], "f": [1, 2, 3, 5], "m": [20, 50, 100, 250]}
    got = run(elog, thresholds=th)
    check(got, oracle(elog, thresholds=th))
    assert got.attrs["cut_points"]["r"] == [30.0, 90.0, 180.0, 365.0]
    partial = run(elog, thresholds={"monetary": [20, 50, 100, 250]})
    check(partial, oracle(elog, thresholds={"m": [20, 50, 100, 250]}))


@pytest.mark.parametrize("tier_period", ["D", "W", "M", "Q", "Y"])
def test_value_tiers_from_spend_per_period(elog, tier_period):
    tiers = {"high value": 100.0, "medium": 20.0}
    got = run(elog, tiers=tiers, tier_period=tier_period)
    o = raw_oracle(elog)
    first = elog.groupby("customer")["time"].min()
    freq = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}[tier_period]
    periods = (elog["time"].max().to_period(freq) - first.dt.to_period(freq)).apply(lambda x: x.n) + 1
    spend = o["monetary"] / periods.reindex(o.index).astype(float)
    want = np.where(spend > 100, "high value", np.where(spend > 20, "medium", "other"))
    np.testing.assert_allclose(got["spend_per_period"], spend, rtol=1e-12)
    assert got["tier"].astype(str).tolist() == want.tolist()


def test_ties_warn_naming_the_dimension_and_cut_points(elog):
    with pytest.warns(cx.RfmTiesWarning, match=r"ties in f \(frequency\).*cut points \[1\.0, 1\.0"):
        cx.rfm(elog, customer="customer", time="time", amount="amount")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # given thresholds: no quantiles, no warning
        cx.rfm(elog, customer="customer", time="time", amount="amount", bins=2,
               thresholds={"f": [1], "r": [100], "m": [50]})


# ---------------------------------------------------------------------------------------------------
# properties


@st.composite
def logs(draw):
    n = draw(st.integers(1, 60))
    df = pd.DataFrame({
        "customer": draw(st.lists(st.integers(0, 15), min_size=n, max_size=n)),
        "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), unit="D"),
        "amount": np.asarray(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), dtype=float) * 5.0,
    })
    side = np.asarray(draw(st.lists(st.booleans(), min_size=16, max_size=16)))
    return df, side


@given(logs())
def test_split_by_customer_concatenates_raw_columns(case):
    df, side = case
    as_of = df["time"].max()
    whole = run(df, as_of=as_of)
    part = side[df["customer"].to_numpy()]
    pieces = [run(df[part == s], as_of=as_of) for s in (False, True)]
    cols = ["recency", "frequency", "monetary"]
    joined = pd.concat([p[cols] for p in pieces]).sort_index()
    pd.testing.assert_frame_equal(joined, whole[cols], check_index_type=False)
    for k in ACCOUNT:
        assert sum(p.attrs[k] for p in pieces) == whole.attrs[k]


@given(logs(), st.integers(1, 9))
def test_ties_share_a_score_and_scores_are_monotone(case, bins):
    df, _ = case
    got = run(df, bins=bins)
    check(got, oracle(df, bins))
    for col, sc, sign in (("recency", "r_score", -1), ("frequency", "f_score", 1), ("monetary", "m_score", 1)):
        assert (got.groupby(col)[sc].nunique() == 1).all()
        ordered = got.sort_values(col)[sc].to_numpy() * sign
        assert (np.diff(ordered) >= 0).all()
        assert got[sc].between(1, bins).all()


# ---------------------------------------------------------------------------------------------------
# bad input


def test_missing_rows_are_counted():
    df = pd.DataFrame({
        "customer": ["a", None, "a", "b", "b"],
        "time": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-05", "2024-01-09"]),
        "amount": [1.0, 2.0, 3.0, np.nan, 4.0],
    })
    got = run(df)
    assert got.attrs["n_missing"] == 3 and got.attrs["n"] == 2
    assert list(got.index) == ["a", "b"]


def test_negative_amounts_raise_or_drop():
    df = pd.DataFrame({"customer": [1, 2, 3], "time": pd.to_datetime(["2024-01-01"] * 3), "amount": [1.0, 2.0, -0.5]})
    with pytest.raises(cx.InvalidInputError, match=r"position 2: -0\.5"):
        run(df)
    got = run(df, on_invalid="drop")
    assert got.attrs["n_invalid"] == 1 and list(got.index) == [1, 2]


def test_unparseable_times_raise_or_drop():
    df = pd.DataFrame({"customer": [1, 2], "time": ["2024-01-01", "yesterday"], "amount": [1.0, 2.0]})
    with pytest.raises(cx.InvalidInputError, match="position 1"):
        run(df)
    assert run(df, on_invalid="drop").attrs["n_invalid"] == 1


def test_empty_input_gives_an_empty_frame_without_warning():
    df = pd.DataFrame({"customer": pd.Series([], dtype=np.int64), "time": pd.Series([], dtype="datetime64[ns]"),
                       "amount": pd.Series([], dtype=float)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cx.rfm(df, customer="customer", time="time", amount="amount", segments="standard")
    assert len(got) == 0
    assert list(got.columns) == ["recency", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm", "segment"]
    assert all(got.attrs[k] == 0 for k in ACCOUNT)


@pytest.mark.parametrize("kw, match", [
    (dict(bins=0), "bins.*0"),
    (dict(bins=10), "bins.*10"),
    (dict(bins=2.5), r"bins.*2\.5"),
    (dict(bins=True), "bins.*True"),
    (dict(segments="fancy"), "fancy"),
    (dict(segments="standard", bins=4), "bins=4"),
    (dict(segments=[("x", {"q": 1})]), "rule 'x'.*unknown key 'q'"),
    (dict(segments=[("x", {"r": (4, 2)})]), r"rule 'x'.*\(4, 2\)"),
    (dict(segments=[("x", {"f": (0, 2)})]), r"rule 'x'.*\(0, 2\)"),
    (dict(segments=[("x", {"m": 6})]), r"rule 'x'.*\(6, 6\)"),
    (dict(segments=[("x", {"m": "high"})]), "rule 'x'.*'high'"),
    (dict(thresholds={"r": [1, 2]}), "expected bins - 1 = 4"),
    (dict(thresholds={"f": [1, 3, 2, 4]}), "strictly increasing"),
    (dict(thresholds={"z": [1, 2, 3, 4]}), "unknown dimension 'z'"),
    (dict(tiers={"a": 1}, tier_period="H"), "tier_period.*'H'"),
    (dict(tiers={"a": "lots"}), "tiers"),
    (dict(as_of="whenever"), "as_of.*whenever"),
    (dict(as_of=20240101), "as_of=20240101 is a number but the times are datetimes"),
    (dict(on_invalid="ignore"), "on_invalid.*ignore"),
])
def test_invalid_arguments_raise_naming_the_value(kw, match):
    df = pd.DataFrame({"customer": [1, 2], "time": pd.to_datetime(["2024-01-01", "2024-01-03"]), "amount": [1.0, 2.0]})
    with pytest.raises(cx.InvalidArgumentError, match=match):
        run(df, **kw)


def test_numeric_epoch_times_take_numeric_dates():
    # times as epoch numbers in time_unit: as_of is a number in the same unit (days since
    # 1970-01-01 here); recency written out from the definition
    day = (pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-05"]) - pd.Timestamp("1970-01-01")).days.to_numpy()
    as_of = int((pd.Timestamp("2024-01-20") - pd.Timestamp("1970-01-01")).days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.RfmTiesWarning)
        r = cx.rfm(None, customer=np.array([1, 1, 2]), time=day, amount=np.array([1.0, 2.0, 3.0]),
                   time_unit="D", as_of=as_of)
    assert r["recency"].tolist() == [as_of - day[1], as_of - day[2]]
    assert r["frequency"].tolist() == [2, 1]
