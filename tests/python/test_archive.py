"""Golden serialized states (tests/golden/*_v1.bin) and the binary layout of archive.hpp.

The golden files were written once with format version 1 from a fixed input (documented in
tests/golden/README.md and tests/golden/make_golden.cpp); every later build must read them to the
same state and write the same bytes. The layout is parsed and encoded here independently with
`struct`/`zlib`, from the byte-layout tables of tests/golden/README.md.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import struct
import zlib

import numpy as np
import pytest

import cxkit as cx
from conftest import GOLDEN

NAN = math.nan

# The fixed inputs the golden files encode.
NPS_SCORES = [0, 3, 6, 7, 8, 9, 10, 10, NAN, 11]
NPS_WEIGHTS = [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1]
RATING_SCORES = [5, 4, 4, 3, 1, 5, 2, 4, 5, NAN, 0, 6, 4.5]

PREAMBLE = struct.Struct("<4sHHIQI")  # magic, family, version, flags, payload size, CRC-32


def parse(blob: bytes) -> dict:
    """An independent reader of the v1 layout: preamble, then the histogram payload."""
    magic, family, version, flags, size, crc = PREAMBLE.unpack_from(blob, 0)
    payload = blob[PREAMBLE.size:]
    low, high, bins = struct.unpack_from("<qqQ", payload, 0)
    off = 24
    counts = list(struct.unpack_from(f"<{bins}Q", payload, off))
    off += 8 * bins
    weights = list(struct.unpack_from(f"<{bins}d", payload, off))
    off += 8 * bins
    weight_sq, missing, invalid = struct.unpack_from("<dQQ", payload, off)
    off += 24
    return dict(magic=magic, family=family, version=version, flags=flags, size=size, crc=crc,
                crc_ok=crc == (zlib.crc32(payload) & 0xFFFFFFFF), payload_len=len(payload), consumed=off,
                low=low, high=high, bins=bins, counts=counts, weights=weights, weight_sq=weight_sq,
                missing=missing, invalid=invalid)


def encode(family: int, low: int, high: int, counts, weights, weight_sq: float, missing: int, invalid: int,
           version: int = 1) -> bytes:
    """An independent writer of the v1 layout (README.md "Byte layout")."""
    k = high - low + 1
    assert len(counts) == len(weights) == k
    payload = (struct.pack("<qqQ", low, high, k) + struct.pack(f"<{k}Q", *counts)
               + struct.pack(f"<{k}d", *weights) + struct.pack("<dQQ", weight_sq, missing, invalid))
    return PREAMBLE.pack(b"CXK1", family, version, 0, len(payload), zlib.crc32(payload) & 0xFFFFFFFF) + payload


# Documented in tests/golden/README.md: size, SHA-256, CRC-32 of the payload.
DOCUMENTED = {
    "nps_v1.bin": (248, "5c74c166330bb290c0ead1af3897a1abea90d64243f87b95f09e1cb0fb3ae6de", 0x53EED434),
    "rating_v1.bin": (152, "78665602a68e53906760ce7e33b96b45a8d126623d1f14256188fa7abf4546c3", 0x42A9FDD9),
}


def golden(name: str) -> bytes:
    path = GOLDEN / name
    assert path.exists(), f"missing golden file {path}"
    return path.read_bytes()


# --------------------------------------------------------------------------------------------------
# golden files


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_golden_files_are_the_documented_bytes(name):
    blob = golden(name)
    size, sha, crc = DOCUMENTED[name]
    assert len(blob) == size
    assert hashlib.sha256(blob).hexdigest() == sha
    assert parse(blob)["crc"] == crc


def test_independent_encoder_reproduces_the_golden_files():
    nps = encode(1, 0, 10, [1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 2], [1, 0, 0, 2, 0, 0, 1, 1, 0.5, 1, 4], 18.25, 1, 1)
    assert nps == golden("nps_v1.bin")
    rating = encode(2, 1, 5, [1, 1, 1, 3, 3], [1, 1, 1, 3, 3], 9.0, 1, 3)
    assert rating == golden("rating_v1.bin")


@pytest.mark.parametrize("scale", [(1, 5), (-3, 3), (0, 0)])
def test_states_encoded_independently_are_read(scale):
    lo, hi = scale
    k = hi - lo + 1
    counts = [(i * 7) % 5 for i in range(k)]
    weights = [c * 1.5 for c in counts]
    blob = encode(2, lo, hi, counts, weights, sum(c * 2.25 for c in counts), 4, 2)
    acc = cx.RatingAccumulator.from_bytes(blob)
    assert acc.scale == scale and (acc.n, acc.n_missing, acc.n_invalid) == (sum(counts), 4, 2)
    np.testing.assert_array_equal(acc.counts, counts)
    np.testing.assert_array_equal(acc.weights, weights)
    assert acc.to_bytes() == blob


def test_nps_golden_file_layout():
    g = parse(golden("nps_v1.bin"))
    assert (g["magic"], g["family"], g["version"], g["flags"]) == (b"CXK1", 1, 1, 0)
    assert g["crc_ok"] and g["size"] == g["payload_len"] == g["consumed"]
    assert (g["low"], g["high"], g["bins"]) == (0, 10, 11)
    assert g["counts"] == [1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 2]
    assert g["weights"] == [1.0, 0, 0, 2.0, 0, 0, 1.0, 1.0, 0.5, 1.0, 4.0]
    assert g["weight_sq"] == 1 + 4 + 1 + 1 + 0.25 + 1 + 1 + 9
    assert (g["missing"], g["invalid"]) == (1, 1)


def test_rating_golden_file_layout():
    g = parse(golden("rating_v1.bin"))
    assert (g["magic"], g["family"], g["version"], g["flags"]) == (b"CXK1", 2, 1, 0)
    assert g["crc_ok"] and g["size"] == g["payload_len"] == g["consumed"]
    assert (g["low"], g["high"], g["bins"]) == (1, 5, 5)
    assert g["counts"] == [1, 1, 1, 3, 3]
    assert g["weights"] == [1.0, 1.0, 1.0, 3.0, 3.0]
    assert g["weight_sq"] == 9.0
    assert (g["missing"], g["invalid"]) == (1, 3)


def test_nps_golden_file_loads_to_the_documented_state():
    blob = golden("nps_v1.bin")
    acc = cx.NpsAccumulator.from_bytes(blob)
    rebuilt = cx.NpsAccumulator()
    rebuilt.add(np.array(NPS_SCORES), weights=np.array(NPS_WEIGHTS, dtype=float), on_invalid="drop")
    assert acc == rebuilt
    assert (acc.n, acc.n_missing, acc.n_invalid) == (8, 1, 1)
    np.testing.assert_array_equal(acc.counts, [1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 2])
    np.testing.assert_array_equal(acc.weights, [1, 0, 0, 2, 0, 0, 1, 1, 0.5, 1, 4])
    # this build still writes exactly the same bytes
    assert acc.to_bytes() == blob
    assert rebuilt.to_bytes() == blob
    assert pickle.loads(pickle.dumps(acc)) == acc


def test_nps_golden_result_by_hand():
    r = cx.NpsAccumulator.from_bytes(golden("nps_v1.bin")).result(method="wald")
    assert r.nps == pytest.approx(9.5238, abs=1e-4) and r.n_effective == pytest.approx(6.041, abs=1e-3)  # README
    promoters, passives, detractors = 1 + 4.0, 1 + 0.5, 1 + 2 + 1.0
    W = promoters + passives + detractors
    n_eff = W**2 / 18.25
    p, d = promoters / W, detractors / W
    assert (r.promoters, r.passives, r.detractors) == (promoters, passives, detractors)
    assert r.nps == pytest.approx(100 * (p - d), rel=1e-12)
    assert r.n_effective == pytest.approx(n_eff, rel=1e-12)
    assert r.std_error == pytest.approx(100 * math.sqrt((p + d - (p - d) ** 2) / n_eff), rel=1e-12)


def test_rating_golden_file_loads_to_the_documented_state():
    blob = golden("rating_v1.bin")
    acc = cx.RatingAccumulator.from_bytes(blob)
    rebuilt = cx.RatingAccumulator(scale=(1, 5))
    rebuilt.add(np.array(RATING_SCORES), on_invalid="drop")
    assert acc == rebuilt
    assert acc.scale == (1, 5)
    assert (acc.n, acc.n_missing, acc.n_invalid) == (9, 1, 3)
    assert acc.to_bytes() == blob
    assert rebuilt.to_bytes() == blob
    r = acc.result(satisfied_min=4)
    assert round(r.csat, 1) == 66.7 and round(r.mean, 3) == 3.667  # README
    assert r.csat == pytest.approx(100 * 6 / 9, rel=1e-12)
    assert r.mean == pytest.approx((5 * 3 + 4 * 3 + 3 + 2 + 1) / 9, rel=1e-12)
    assert pickle.loads(pickle.dumps(acc)) == acc


def test_golden_files_are_not_interchangeable():
    with pytest.raises(cx.CorruptStateError, match="expected a rating state"):
        cx.RatingAccumulator.from_bytes(golden("nps_v1.bin"))
    with pytest.raises(cx.CorruptStateError, match="expected a nps state"):
        cx.NpsAccumulator.from_bytes(golden("rating_v1.bin"))


# --------------------------------------------------------------------------------------------------
# the layout of freshly written states


@pytest.mark.parametrize("scale", [(1, 5), (-3, 3), (0, 1000)])
def test_fresh_rating_state_layout(rng, scale):
    acc = cx.RatingAccumulator(scale=scale)
    x = rng.integers(scale[0], scale[1] + 1, 200).astype(float)
    w = rng.uniform(0, 2, 200)
    x[:3] = np.nan
    acc.add(x, weights=w)
    acc.add([scale[1] + 1, scale[0] - 1], on_invalid="drop")
    g = parse(acc.to_bytes())
    assert (g["magic"], g["family"], g["version"], g["flags"]) == (b"CXK1", 2, 1, 0)
    assert g["crc_ok"] and g["size"] == g["payload_len"] == g["consumed"]
    assert (g["low"], g["high"], g["bins"]) == (scale[0], scale[1], scale[1] - scale[0] + 1)
    valid = ~np.isnan(x)
    codes = (x[valid] - scale[0]).astype(int)
    assert g["counts"] == np.bincount(codes, minlength=g["bins"]).tolist()
    np.testing.assert_allclose(g["weights"], np.bincount(codes, weights=w[valid], minlength=g["bins"]), rtol=1e-12)
    assert g["weight_sq"] == pytest.approx((w[valid] ** 2).sum(), rel=1e-12)
    assert (g["missing"], g["invalid"]) == (3, 2)


def test_empty_states_layout():
    g = parse(cx.NpsAccumulator().to_bytes())
    assert g["counts"] == [0] * 11 and g["weights"] == [0.0] * 11 and g["weight_sq"] == 0.0
    assert len(cx.NpsAccumulator().to_bytes()) == 24 + 24 + 11 * 16 + 24
