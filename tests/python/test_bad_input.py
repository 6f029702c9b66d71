"""Every bad-input class of ARCHITECTURE §3 for every public function.

missing values -> skipped and counted; invalid values -> ValueError naming position, value and
count (or dropped and counted); empty input -> NaN estimates and zero counts; NaN/negative/inf
weights -> invalid; mismatched lengths, unknown columns, unsupported dtypes -> ValueError/TypeError
naming the argument; corrupt serialized bytes -> CorruptStateError, never a crash.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
import re
import struct
import zlib

import numpy as np
import pandas as pd
import polars as pl
import pytest

import cxkit as cx

# --------------------------------------------------------------------------------------------------
# one entry per public scoring entry point: (name, call(values, **kw) -> object with n/n_missing/...)


def _acc_nps(values, **kw):
    a = cx.NpsAccumulator()
    a.add(values, **kw)
    return a


def _acc_rating(values, **kw):
    a = cx.RatingAccumulator(scale=(0, 10))
    a.add(values, **kw)
    return a


def _segments(values, weights=None, **kw):
    # compare_segments with one segment: its row holds n; rest is empty
    n = len(values)
    df = pd.DataFrame({"seg": ["s"] * n, "q": values})
    out = cx.compare_segments(df, "q", by="seg", weights=weights, **kw)
    return out


SCORERS = {
    "nps": lambda v, **kw: cx.nps(v, **kw),
    "csat": lambda v, **kw: cx.csat(v, scale=(0, 10), satisfied_min=9, **kw),
    "ces": lambda v, **kw: cx.ces(v, scale=(0, 10), satisfied_min=9, **kw),
    "nps_by": lambda v, **kw: cx.nps(v, by=np.zeros(len(v), dtype=np.int64), **kw),
    "csat_by": lambda v, **kw: cx.csat(v, by=np.zeros(len(v), dtype=np.int64), scale=(0, 10), satisfied_min=9, **kw),
    "NpsAccumulator.add": _acc_nps,
    "RatingAccumulator.add": _acc_rating,
}


def counts(obj):
    """(n, n_missing, n_invalid) of a result, an accumulator, or a one-group frame."""
    if isinstance(obj, pd.DataFrame):
        assert len(obj) <= 1
        if len(obj) == 0:
            return 0, 0, 0
        row = obj.iloc[0]
        return int(row["n"]), int(row["n_missing"]), int(row["n_invalid"])
    return obj.n, obj.n_missing, obj.n_invalid


# --------------------------------------------------------------------------------------------------
# missing values


MISSING_INPUTS = {
    "nan": lambda: np.array([10, np.nan, 3, np.nan, 9]),
    "float32-nan": lambda: np.array([10, np.nan, 3, np.nan, 9], dtype=np.float32),
    "None-list": lambda: [10, None, 3, None, 9],
    "None-object": lambda: np.array([10, None, 3, np.nan, 9], dtype=object),
    "pd.NA-object": lambda: pd.Series([10, pd.NA, 3, None, 9], dtype=object),
    "pandas-Int64": lambda: pd.Series([10, None, 3, None, 9], dtype="Int64"),
    "pandas-Float64": lambda: pd.Series([10, None, 3, None, 9], dtype="Float64"),
    "pandas-arrow": lambda: pd.Series([10, None, 3, None, 9], dtype="int64[pyarrow]"),
    "polars-null-int": lambda: pl.Series([10, None, 3, None, 9]),
    "polars-null-float": lambda: pl.Series([10.0, None, 3.0, float("nan"), 9.0]),
}


@pytest.mark.parametrize("scorer", list(SCORERS))
@pytest.mark.parametrize("make", list(MISSING_INPUTS))
def test_missing_values_are_skipped_and_counted(scorer, make):
    out = SCORERS[scorer](MISSING_INPUTS[make]())
    assert counts(out) == (3, 2, 0)


@pytest.mark.parametrize("make", list(MISSING_INPUTS))
def test_missing_values_do_not_change_the_estimate(make):
    clean = cx.nps([10, 3, 9])
    r = cx.nps(MISSING_INPUTS[make]())
    for f in ("nps", "std_error", "ci_low", "ci_high", "n_effective"):
        assert getattr(r, f) == pytest.approx(getattr(clean, f), rel=1e-12), f
    assert cx.compare_nps(MISSING_INPUTS[make](), [10, 3, 9]).difference == pytest.approx(0.0, abs=1e-12)
    assert cx.compare_csat(MISSING_INPUTS[make](), [10, 3, 9], scale=(0, 10), satisfied_min=9).difference == pytest.approx(0.0, abs=1e-12)


def test_missing_values_in_frames_pandas_and_polars():
    pdf = pd.DataFrame({"seg": ["a", "a", "b", "b"], "q": pd.array([10, None, 3, 9], dtype="Int64")})
    out = cx.compare_segments(pdf, "q", by="seg")
    assert out.loc["a", "n"] == 1 and out.loc["b", "n"] == 2
    g = cx.nps(pdf, "q", by="seg")
    assert g.loc["a", "n_missing"] == 1
    pol = pl.DataFrame({"seg": ["a", "a", "b", "b"], "q": [10, None, 3, 9]})
    assert cx.nps(pol, "q", by="seg").loc["a", "n_missing"] == 1
    assert cx.csat(pol.with_columns(pl.col("q").clip(1, 5)), "q").n_missing == 1


def test_all_missing_gives_nan_and_counts():
    for scorer in SCORERS:
        out = SCORERS[scorer]([None, np.nan])
        assert counts(out) == (0, 2, 0), scorer
    r = cx.nps([None, np.nan])
    assert math.isnan(r.nps) and math.isnan(r.ci_low)
    r = cx.csat([None])
    assert math.isnan(r.csat) and math.isnan(r.mean)


def test_missing_score_with_bad_weight_is_missing_not_invalid():
    r = cx.nps([np.nan, 10], weights=[np.nan, 1.0], on_invalid="drop")
    assert counts(r) == (1, 1, 0)
    r = cx.nps([np.nan, 10], weights=[-1.0, 1.0])  # no error: the row is missing anyway
    assert counts(r) == (1, 1, 0)


# --------------------------------------------------------------------------------------------------
# invalid values


@pytest.mark.parametrize("scorer", list(SCORERS))
def test_invalid_values_raise_naming_position_value_expected_and_count(scorer):
    values = np.array([10, 9, 11.0, 3, -1, 7.5])
    with pytest.raises(cx.InvalidInputError) as info:
        SCORERS[scorer](values)
    msg = str(info.value)
    assert "position 2" in msg and "11" in msg and "0..10" in msg and "3 invalid rows" in msg, msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, cx.Error)


@pytest.mark.parametrize("scorer", list(SCORERS))
def test_invalid_values_dropped_and_counted(scorer):
    values = np.array([10, 9, 11.0, 3, -1, 7.5, np.inf, -np.inf, 1e300, np.nan])
    out = SCORERS[scorer](values, on_invalid="drop")
    assert counts(out) == (3, 1, 6)


def shown_value(message: str, pos: int) -> float:
    """The value an error message names at `pos` ("... position 3: 11.5 (expected ...")."""
    m = re.search(rf"position {pos}: (\S+) \(expected", message)
    assert m, message
    return float(m.group(1))


@pytest.mark.parametrize(
    "values, pos",
    [
        (np.array([3, 12], dtype=np.int8), 1),
        (np.array([3, 200], dtype=np.uint8), 1),
        (np.array([-5, 3], dtype=np.int16), 0),
        (np.array([3, 2**32 - 1], dtype=np.uint32), 1),
        (np.array([3, -(2**63)], dtype=np.int64), 1),
        (np.array([3, 2**63 + 1], dtype=np.uint64), 1),
        (np.array([3, 2**64 - 11], dtype=np.uint64), 1),  # would wrap to -11 as int64
        (np.array([3, 9.000001], dtype=np.float64), 1),
        (np.array([3, 10.5], dtype=np.float32), 1),
        (np.array([np.inf]), 0),
        (np.array([3, 4, 1e-300]), 2),
    ],
)
def test_invalid_values_of_every_dtype(values, pos):
    with pytest.raises(cx.InvalidInputError) as info:
        cx.nps(values)
    got = shown_value(str(info.value), pos)
    if values.dtype.kind in "iu":
        assert str(int(values[pos])) in str(info.value)  # integers exactly
    else:
        assert got == float(values[pos])  # floats with full precision
    assert cx.nps(values, on_invalid="drop").n_invalid == 1


@pytest.mark.parametrize("scale, value", [((-2, 2), 1e-20), ((-2, 2), 2.0000000000000004), ((-3, 3), -1e-300), ((-1000, 0), -0.5 + 1e-14)])
def test_non_integer_scores_near_an_integer_are_invalid_on_any_scale(scale, value):
    """A non-integer score is invalid, also when the scale starts below zero."""
    assert value != round(value)
    with pytest.raises(cx.InvalidInputError, match="position 0"):
        cx.csat([value], scale=scale, satisfied_min=scale[0])
    acc = cx.RatingAccumulator(scale=scale)
    acc.add([value], on_invalid="drop")
    assert (acc.n, acc.n_invalid) == (0, 1)


def test_raise_leaves_the_accumulator_unchanged():
    for acc in (cx.NpsAccumulator(), cx.RatingAccumulator()):
        acc.add([1, 2, 3])
        before = acc.to_bytes()
        with pytest.raises(cx.InvalidInputError):
            acc.add([4, 5, 99])
        with pytest.raises(cx.InvalidInputError):
            acc.add([4, 5], weights=[1.0, -1.0])
        assert acc.to_bytes() == before


def test_invalid_values_in_compare_functions():
    with pytest.raises(cx.InvalidInputError, match="position 1"):
        cx.compare_nps([10, 11], [9])
    with pytest.raises(cx.InvalidInputError, match="position 0"):
        cx.compare_nps([10], [-1])
    with pytest.raises(cx.InvalidInputError, match="position 2"):
        cx.compare_csat([1, 2, 6], [5])
    with pytest.raises(cx.InvalidInputError, match="position 1"):
        cx.compare_segments(pd.DataFrame({"s": ["a", "b"], "q": [1, 12]}), "q", by="s")
    out = cx.compare_segments(pd.DataFrame({"s": ["a", "b", "b"], "q": [1, 12, 10]}), "q", by="s", on_invalid="drop")
    assert out.loc["b", "n"] == 1


@pytest.mark.parametrize("fn", [lambda **kw: cx.nps([1], **kw), lambda **kw: cx.csat([1], **kw), lambda **kw: cx.ces([1], **kw),
                                lambda **kw: cx.NpsAccumulator().add([1], **kw), lambda **kw: cx.RatingAccumulator().add([1], **kw),
                                lambda **kw: cx.compare_segments(pd.DataFrame({"s": ["a"], "q": [1]}), "q", by="s", **kw)])
def test_bad_on_invalid_names_the_option(fn):
    with pytest.raises(cx.InvalidArgumentError, match="on_invalid"):
        fn(on_invalid="ignore")


# --------------------------------------------------------------------------------------------------
# empty input


EMPTY_INPUTS = {
    "list": lambda: [],
    "numpy-float": lambda: np.array([], dtype=float),
    "numpy-int8": lambda: np.array([], dtype=np.int8),
    "pandas": lambda: pd.Series([], dtype=float),
    "pandas-Int64": lambda: pd.Series([], dtype="Int64"),
    "polars": lambda: pl.Series([], dtype=pl.Int64),
}


@pytest.mark.parametrize("make", list(EMPTY_INPUTS))
def test_empty_input_gives_nan_and_zero_counts(make):
    make = EMPTY_INPUTS[make]
    r = cx.nps(make())
    assert (r.n, r.n_missing, r.n_invalid, r.n_effective) == (0, 0, 0, 0.0)
    assert math.isnan(r.nps) and math.isnan(r.std_error) and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    for fn in (cx.csat, cx.ces):
        r = fn(make())
        assert (r.n, r.n_effective) == (0, 0.0) and math.isnan(r.csat) and math.isnan(r.mean) and math.isnan(r.ci_high)
    for acc in (cx.NpsAccumulator(), cx.RatingAccumulator()):
        acc.add(make())
        assert (acc.n, acc.n_missing, acc.n_invalid) == (0, 0, 0)
    assert math.isnan(cx.compare_nps(make(), make()).difference)
    assert math.isnan(cx.compare_csat(make(), make()).p_value)
    assert math.isnan(cx.compare_nps(make(), 0).p_value)
    assert math.isnan(cx.compare_csat(make(), 50).p_value)
    weighted = cx.nps(make(), weights=[])
    assert weighted.n == 0


def test_empty_grouped_inputs():
    for fn in (cx.nps, cx.csat, cx.ces):
        out = fn(np.array([], dtype=float), by=np.array([], dtype=object))
        assert isinstance(out, pd.DataFrame) and len(out) == 0 and out.attrs["n_missing_key"] == 0
    out = cx.compare_segments(pd.DataFrame({"s": pd.Series([], dtype=object), "q": pd.Series([], dtype=float)}), "q", by="s")
    assert len(out) == 0 and "p_adjusted" in out.columns
    assert cx.adjust_pvalues(np.array([])).shape == (0,)


def test_all_keys_missing():
    out = cx.nps([10, 9, 3], by=np.array([None, None, None], dtype=object))
    assert len(out) == 0 and out.attrs["n_missing_key"] == 3
    out = cx.nps([10, 9, 3], by=pd.Series([None, None, None], dtype="Int64"))
    assert len(out) == 0 and out.attrs["n_missing_key"] == 3


# --------------------------------------------------------------------------------------------------
# weights


@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf, -np.inf, -1e-300])
@pytest.mark.parametrize("scorer", list(SCORERS))
def test_nan_negative_and_infinite_weights_are_invalid(scorer, bad):
    values, w = [10, 9, 3, 5], [1.0, 2.0, bad, 0.5]
    with pytest.raises(cx.InvalidInputError) as info:
        SCORERS[scorer](values, weights=w)
    msg = str(info.value)
    assert "weight" in msg and "1 invalid row" in msg, msg
    got = shown_value(msg, 2)
    assert got == bad or (math.isnan(got) and math.isnan(bad))
    assert counts(SCORERS[scorer](values, weights=w, on_invalid="drop")) == (3, 0, 1)


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param([1.0, None, 2.0], id="None"),
        pytest.param(pd.Series([1.0, None, 2.0], dtype="Float64"), id="pandas-NA"),
        pytest.param(pl.Series([1.0, None, 2.0]), id="polars-null"),
    ],
)
def test_missing_weights_are_invalid_weights(weights):
    """A missing weight is a NaN weight: invalid -> raise by default, dropped and counted with drop."""
    with pytest.raises(cx.InvalidInputError, match="weight"):
        cx.nps([10, 9, 3], weights=weights)
    r = cx.nps([10, 9, 3], weights=weights, on_invalid="drop")
    assert counts(r) == (2, 0, 1)


def test_weights_on_compare_segments():
    df = pd.DataFrame({"s": ["a", "a", "b"], "q": [10, 3, 9], "w": [1.0, -2.0, 1.0]})
    with pytest.raises(cx.InvalidInputError, match="weight"):
        cx.compare_segments(df, "q", by="s", weights="w")
    out = cx.compare_segments(df, "q", by="s", weights="w", on_invalid="drop")
    assert out.loc["a", "n"] == 1


@pytest.mark.parametrize("weights", [["a", "b"], np.array([True, False]), np.array(["2020-01-01"] * 2, dtype="datetime64[D]")])
def test_unsupported_weight_types_name_weights(weights):
    with pytest.raises(cx.UnsupportedTypeError, match="weights"):
        cx.nps([10, 9], weights=weights)
    with pytest.raises(TypeError, match="weights"):
        cx.NpsAccumulator().add([10, 9], weights=weights)


@pytest.mark.parametrize("call", [
    lambda: cx.nps([10, 9, 8], weights=[1.0, 1.0]),
    lambda: cx.csat([1, 2], weights=[1.0, 1.0, 1.0]),
    lambda: cx.ces([1, 2], weights=np.ones(3)),
    lambda: cx.NpsAccumulator().add([10, 9], weights=[1.0]),
    lambda: cx.RatingAccumulator().add([1], weights=[1.0, 2.0]),
    lambda: cx.compare_segments(pd.DataFrame({"s": ["a", "b"], "q": [1, 2]}), "q", by="s", weights=[1.0]),
])
def test_mismatched_weight_length_names_weights(call):
    with pytest.raises(cx.InvalidArgumentError, match="weights"):
        call()


def test_mismatched_key_length_names_by():
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.csat([1, 2, 3], by=np.array(["a", "b"]))
    with pytest.raises(cx.InvalidArgumentError, match="by"):
        cx.compare_segments([1, 2, 3], by=np.array([1, 2]))


# --------------------------------------------------------------------------------------------------
# unsupported dtypes


UNSUPPORTED = {
    "str-list": lambda: ["9", "10"],
    "str-numpy": lambda: np.array(["9", "10"]),
    "str-pandas": lambda: pd.Series(["9", "10"]),
    "str-object-mixed": lambda: np.array([9, "ten"], dtype=object),
    "str-polars": lambda: pl.Series(["9", "10"]),
    "bool-list": lambda: [True, False],
    "bool-numpy": lambda: np.array([True, False]),
    "bool-pandas": lambda: pd.Series([True, False]),
    "bool-pandas-nullable": lambda: pd.Series([True, None], dtype="boolean"),
    "bool-polars": lambda: pl.Series([True, False]),
    "datetime-numpy": lambda: np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"),
    "datetime-pandas": lambda: pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"])),
    "datetime-polars": lambda: pl.Series([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)]),
    "timedelta-numpy": lambda: np.array([1, 2], dtype="timedelta64[s]"),
    "complex": lambda: np.array([1 + 0j, 2 + 0j]),
    "bytes": lambda: np.array([b"9", b"1"]),
}


@pytest.mark.parametrize("make", list(UNSUPPORTED))
def test_unsupported_score_dtypes_raise_type_error_naming_the_argument(make):
    make = UNSUPPORTED[make]
    with pytest.raises(cx.UnsupportedTypeError, match="score"):
        cx.nps(make())
    with pytest.raises(cx.UnsupportedTypeError, match="score"):
        cx.csat(make())
    with pytest.raises(cx.UnsupportedTypeError, match="values"):
        cx.NpsAccumulator().add(make())
    with pytest.raises(TypeError, match="values"):
        cx.RatingAccumulator().add(make())
    with pytest.raises(TypeError):
        cx.compare_nps(make(), [10])
    with pytest.raises(TypeError):
        cx.compare_csat([5], make())


def test_unsupported_frame_column_names_the_argument():
    df = pd.DataFrame({"s": ["a", "b"], "q": ["9", "10"], "when": pd.to_datetime(["2024-01-01"] * 2)})
    with pytest.raises(cx.UnsupportedTypeError, match="score"):
        cx.nps(df, "q")
    with pytest.raises(cx.UnsupportedTypeError, match="score"):
        cx.compare_segments(df, "when", by="s")
    with pytest.raises(cx.UnsupportedTypeError, match="score"):
        cx.ces(pl.from_pandas(df), "q", by="s")


def test_two_dimensional_input_is_refused():
    with pytest.raises(cx.InvalidArgumentError, match="1-D"):
        cx.nps(np.ones((2, 2)))
    with pytest.raises(cx.InvalidArgumentError, match="1-D"):
        cx.RatingAccumulator().add([[1, 2], [3, 4]])


def test_data_none_is_refused():
    with pytest.raises(cx.InvalidArgumentError, match="data"):
        cx.nps(None)


# --------------------------------------------------------------------------------------------------
# corrupt serialized state


def valid_blobs():
    a = cx.NpsAccumulator()
    a.add([10, 9, 3, 7, np.nan], weights=[1.0, 2.0, 0.5, 1.0, 1.0])
    a.add([11], on_invalid="drop")
    b = cx.RatingAccumulator(scale=(1, 7))
    b.add([7, 1, 4, 5, 5])
    return {"nps": (cx.NpsAccumulator, a.to_bytes()), "rating": (cx.RatingAccumulator, b.to_bytes())}


def reseal(blob: bytes, payload: bytes | None = None, *, family=None, version=None, flags=None) -> bytes:
    """Rebuild a blob with a new payload and/or header fields and a correct size and CRC-32."""
    magic, fam, ver, flg, _size, _crc = struct.unpack_from("<4sHHIQI", blob, 0)
    payload = blob[24:] if payload is None else payload
    head = struct.pack(
        "<4sHHIQI", magic, fam if family is None else family, ver if version is None else version,
        flg if flags is None else flags, len(payload), zlib.crc32(payload) & 0xFFFFFFFF,
    )
    return head + payload


def histogram_payload(low, high, counts, weights, weight_sq, missing=0, invalid=0, bins=None) -> bytes:
    bins = len(counts) if bins is None else bins
    return (struct.pack("<qqQ", low, high, bins) + struct.pack(f"<{len(counts)}Q", *counts)
            + struct.pack(f"<{len(weights)}d", *weights) + struct.pack("<dQQ", weight_sq, missing, invalid))


@pytest.mark.parametrize("family", ["nps", "rating"])
def test_every_truncation_is_refused(family):
    cls, blob = valid_blobs()[family]
    for k in range(len(blob)):
        with pytest.raises(cx.CorruptStateError, match="^corrupt state: "):
            cls.from_bytes(blob[:k])
    assert cls.from_bytes(blob).to_bytes() == blob


@pytest.mark.parametrize("family", ["nps", "rating"])
@pytest.mark.parametrize("mask", [0xFF, 0x01, 0x80])
def test_every_flipped_byte_is_refused(family, mask):
    cls, blob = valid_blobs()[family]
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= mask
        with pytest.raises(cx.CorruptStateError, match="^corrupt state: "):
            cls.from_bytes(bytes(bad))


def test_corrupt_state_error_is_a_value_error_and_a_cxkit_error():
    with pytest.raises(ValueError):
        cx.NpsAccumulator.from_bytes(b"garbage" * 10)
    with pytest.raises(cx.Error):
        cx.NpsAccumulator.from_bytes(b"")


def test_foreign_family_is_refused_naming_both():
    blobs = valid_blobs()
    with pytest.raises(cx.CorruptStateError, match="expected a rating state.*nps"):
        cx.RatingAccumulator.from_bytes(blobs["nps"][1])
    with pytest.raises(cx.CorruptStateError, match="expected a nps state.*rating"):
        cx.NpsAccumulator.from_bytes(blobs["rating"][1])
    with pytest.raises(cx.CorruptStateError, match="family 99"):
        cx.NpsAccumulator.from_bytes(reseal(blobs["nps"][1], family=99))


@pytest.mark.parametrize("version", [0, 2, 7, 65535])
def test_unknown_format_version_is_refused_with_its_number(version):
    for cls, blob in valid_blobs().values():
        with pytest.raises(cx.CorruptStateError, match=f"version {version}\\b"):
            cls.from_bytes(reseal(blob, version=version))


def test_bad_magic_unknown_flags_and_trailing_bytes():
    cls, blob = valid_blobs()["nps"]
    with pytest.raises(cx.CorruptStateError, match="magic"):
        cls.from_bytes(b"CXK2" + blob[4:])
    with pytest.raises(cx.CorruptStateError, match="flags"):
        cls.from_bytes(reseal(blob, flags=1))
    with pytest.raises(cx.CorruptStateError, match="trailing"):
        cls.from_bytes(reseal(blob, blob[24:] + b"\0"))
    with pytest.raises(cx.CorruptStateError, match="payload size"):
        cls.from_bytes(blob + b"\0")
    with pytest.raises(cx.CorruptStateError, match="checksum"):
        cls.from_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))


@pytest.mark.parametrize(
    "cls, payload, expect",
    [
        (cx.NpsAccumulator, histogram_payload(1, 5, [1] * 5, [1.0] * 5, 5.0), "scale 1..5"),
        (cx.RatingAccumulator, histogram_payload(5, 1, [], [], 0.0, bins=0), "scale 5..1"),
        (cx.RatingAccumulator, histogram_payload(0, 2000, [], [], 0.0, bins=0), "scale 0..2000"),
        (cx.RatingAccumulator, histogram_payload(-(2**63), 2**63 - 1, [], [], 0.0), "scale"),
        (cx.RatingAccumulator, histogram_payload(-(2**62), 2**62, [0], [0.0], 0.0), "scale"),
        (cx.RatingAccumulator, histogram_payload(1, 5, [1] * 5, [1.0] * 5, 5.0, bins=6), "bins 6"),
        (cx.RatingAccumulator, histogram_payload(1, 5, [1] * 5, [1.0, -1.0, 1.0, 1.0, 1.0], 5.0), "weights"),
        (cx.RatingAccumulator, histogram_payload(1, 5, [1] * 5, [1.0, math.nan, 1.0, 1.0, 1.0], 5.0), "weights"),
        (cx.RatingAccumulator, histogram_payload(1, 5, [1] * 5, [1.0, math.inf, 1.0, 1.0, 1.0], 5.0), "weights"),
        (cx.RatingAccumulator, histogram_payload(1, 5, [0, 1, 1, 1, 1], [2.0, 1.0, 1.0, 1.0, 1.0], 5.0), "empty scale point"),
        (cx.RatingAccumulator, histogram_payload(1, 5, [1] * 5, [1.0] * 5, -5.0), "weight_sq"),
        (cx.NpsAccumulator, histogram_payload(0, 10, [1] * 11, [1.0] * 11, 11.0, bins=2**63), "bins"),
    ],
    ids=["nps-scale", "reversed", "too-wide", "overflow-full-range", "overflow-2^62", "bins", "neg-weight",
         "nan-weight", "inf-weight", "weight-on-empty", "neg-weight-sq", "huge-bins"],
)
def test_inconsistent_payload_with_a_valid_checksum_is_refused(cls, payload, expect):
    _, template = valid_blobs()["nps" if cls is cx.NpsAccumulator else "rating"]
    with pytest.raises(cx.CorruptStateError, match=expect):
        cls.from_bytes(reseal(template, payload))


def test_resealed_valid_payload_is_accepted():
    # the crafting helper itself is right: a hand-written valid payload loads
    cls, template = valid_blobs()["rating"]
    blob = reseal(template, histogram_payload(1, 3, [2, 0, 1], [2.0, 0.0, 1.5], 1 + 1 + 2.25, missing=4, invalid=5))
    acc = cls.from_bytes(blob)
    assert acc.scale == (1, 3) and (acc.n, acc.n_missing, acc.n_invalid) == (3, 4, 5)
    np.testing.assert_array_equal(acc.weights, [2.0, 0.0, 1.5])


def test_random_garbage_never_crashes(rng):
    for cls in (cx.NpsAccumulator, cx.RatingAccumulator):
        for n in (0, 1, 23, 24, 25, 100, 248, 1000):
            with pytest.raises(cx.CorruptStateError):
                cls.from_bytes(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
        with pytest.raises(cx.CorruptStateError):
            cls.from_bytes(b"CXK1" + bytes(20))


def test_non_bytes_arguments():
    with pytest.raises(TypeError):
        cx.NpsAccumulator.from_bytes("CXK1")
    with pytest.raises(TypeError):
        cx.NpsAccumulator.from_bytes(None)
    blob = valid_blobs()["nps"][1]
    with pytest.raises(cx.CorruptStateError, match="contiguous"):
        cx.NpsAccumulator.from_bytes(memoryview(blob + blob)[::2])
    assert cx.NpsAccumulator.from_bytes(np.frombuffer(blob, dtype=np.uint8)).to_bytes() == blob


def test_corrupt_pickle_raises_corrupt_state():
    acc = cx.NpsAccumulator()
    acc.add([10, 3])
    data = pickle.dumps(acc)
    blob = acc.to_bytes()
    assert blob in data
    bad = data.replace(blob, blob[:-1] + bytes([blob[-1] ^ 0xFF]))
    with pytest.raises(cx.CorruptStateError):
        pickle.loads(bad)


# --------------------------------------------------------------------------------------------------
# accumulator construction


@pytest.mark.parametrize("scale", [(5, 1), (0, 1001), (-(2**62), 2**62), (-(2**63), 2**63 - 1), (0, 2**63 - 1)])
def test_rating_accumulator_refuses_bad_scales(scale):
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        cx.RatingAccumulator(scale=scale)
    with pytest.raises(cx.InvalidArgumentError, match="scale"):
        cx.csat([1], scale=scale, satisfied_min=1)


def test_rating_accumulator_scale_argument_types():
    with pytest.raises(TypeError):
        cx.RatingAccumulator(scale="1-5")
    with pytest.raises(TypeError):
        cx.RatingAccumulator(scale=(1.5, 5))
