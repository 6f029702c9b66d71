"""Shared fixtures and *independent* oracles for the cxkit Python tests.

Every expected value in this suite comes from the formulas of METRICS.md written out here with
numpy/scipy (never from cxkit), from independent packages (statsmodels, scipy, pandas), or from
published values. Nothing here imports cxkit's private modules.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from scipy import stats

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"

settings.register_profile(
    "cxkit",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
    derandomize=True,  # the same examples on every run: a failure is never flaky
)
settings.load_profile(os.environ.get("CXKIT_HYPOTHESIS_PROFILE", "cxkit"))

NPS_FIELDS = [
    "nps", "promoters", "passives", "detractors", "promoter_share", "passive_share",
    "detractor_share", "n", "n_effective", "n_missing", "n_invalid", "std_error", "ci_low",
    "ci_high", "method", "confidence",
]
RATING_FIELDS = [
    "csat", "mean", "std", "n", "n_effective", "n_missing", "n_invalid", "ci_low", "ci_high",
    "mean_ci_low", "mean_ci_high", "distribution",
]
COMPARISON_FIELDS = ["difference", "std_error", "statistic", "p_value", "ci_low", "ci_high", "method"]

REL = 1e-9
ABS = 1e-9


def z_of(confidence: float) -> float:
    """Two-sided standard normal quantile."""
    return float(stats.norm.ppf(1.0 - (1.0 - confidence) / 2.0))


def _clean(scores: Any, weights: Any = None):
    """Scores as float64 with NaN for missing (NaN, None, pd.NA); weights as float64 (1 if None)."""
    s = np.array([math.nan if pd.isna(v) else float(v) for v in list(scores)], dtype=float)
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=float)
    return s, w


# --------------------------------------------------------------------------------------------------
# NPS (METRICS.md §1)


def nps_oracle(
    scores: Any,
    weights: Any = None,
    *,
    method: str = "adjusted_wald",
    confidence: float = 0.95,
    promoter_min: int = 9,
    passive_min: int = 7,
) -> dict:
    """NPS with its interval, from the formula. Scores must be valid or NaN (missing)."""
    s, w = _clean(scores, weights)
    missing = np.isnan(s)
    s, w = s[~missing], w[~missing]
    prom = float(w[s >= promoter_min].sum())
    pas = float(w[(s >= passive_min) & (s < promoter_min)].sum())
    det = float(w[s < passive_min].sum())
    W = prom + pas + det
    sw2 = float((w * w).sum())
    n_eff = W * W / sw2 if W > 0 else 0.0
    out = dict(
        nps=math.nan, promoters=prom, passives=pas, detractors=det, promoter_share=math.nan,
        passive_share=math.nan, detractor_share=math.nan, n=int(len(s)), n_effective=n_eff,
        n_missing=int(missing.sum()), n_invalid=0, std_error=math.nan, ci_low=math.nan,
        ci_high=math.nan, method=method, confidence=confidence,
    )
    if W <= 0:
        return out
    p, d = prom / W, det / W
    out.update(promoter_share=p, passive_share=pas / W, detractor_share=d, nps=100.0 * (p - d))
    centre, se = nps_centre_se(p, d, n_eff, method)
    z = z_of(confidence)
    out.update(std_error=se, ci_low=max(-100.0, centre - z * se), ci_high=min(100.0, centre + z * se))
    return out


def nps_centre_se(p: float, d: float, n_eff: float, method: str) -> tuple[float, float]:
    """Centre of the interval and SE in points: Wald, or adjusted Wald (Rocks 2016)."""
    if n_eff <= 0:
        return math.nan, math.nan
    if method == "adjusted_wald":
        p = (p * n_eff + 0.75) / (n_eff + 3.0)
        d = (d * n_eff + 0.75) / (n_eff + 3.0)
        n_eff = n_eff + 3.0
    var = p + d - (p - d) ** 2
    return 100.0 * (p - d), 100.0 * math.sqrt(max(var, 0.0) / n_eff)


# --------------------------------------------------------------------------------------------------
# Ratings (CSAT / CES)


def wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson (1927) score interval of a proportion with sample size n (may be non-integer)."""
    if n <= 0:
        return math.nan, math.nan
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def rating_oracle(
    scores: Any,
    weights: Any = None,
    *,
    scale: tuple = (1, 5),
    satisfied_min: int = 4,
    confidence: float = 0.95,
) -> dict:
    """CSAT/CES summary from the formulas. Scores must be valid or NaN (missing)."""
    lo, hi = scale
    s, w = _clean(scores, weights)
    missing = np.isnan(s)
    s, w = s[~missing], w[~missing]
    dist = np.array([w[s == v].sum() for v in range(lo, hi + 1)], dtype=float)
    W = float(w.sum())
    sw2 = float((w * w).sum())
    n_eff = W * W / sw2 if W > 0 else 0.0
    out = dict(
        csat=math.nan, mean=math.nan, std=math.nan, n=int(len(s)), n_effective=n_eff,
        n_missing=int(missing.sum()), n_invalid=0, ci_low=math.nan, ci_high=math.nan,
        mean_ci_low=math.nan, mean_ci_high=math.nan, distribution=dist,
    )
    if W <= 0:
        return out
    p = float(w[s >= satisfied_min].sum()) / W
    lo_w, hi_w = wilson(p, n_eff, z_of(confidence))
    mean = float((w * s).sum() / W)
    out.update(csat=100 * p, ci_low=100 * lo_w, ci_high=100 * hi_w, mean=mean)
    denom = W - sw2 / W  # reliability weights: sum w (x - mean)^2 / (W - sum w^2 / W)
    if n_eff > 1 + 1e-12 and denom > 0:
        std = math.sqrt(float((w * (s - mean) ** 2).sum()) / denom)
        t = float(stats.t.ppf(1.0 - (1.0 - confidence) / 2.0, n_eff - 1.0))
        half = t * std / math.sqrt(n_eff)
        out.update(std=std, mean_ci_low=mean - half, mean_ci_high=mean + half)
    return out


# --------------------------------------------------------------------------------------------------
# comparing results with oracles


def _same(a: Any, b: Any, rel: float, abs_: float) -> bool:
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        return False
    return bool(np.allclose(a_arr, b_arr, rtol=rel, atol=abs_, equal_nan=True))


def assert_fields(result: Any, expected: dict, *, rel: float = REL, abs: float = ABS, fields=None) -> None:
    """Every field of ``expected`` (or those listed) matches the result (NaN == NaN)."""
    got = result.to_dict() if hasattr(result, "to_dict") and not isinstance(result, (pd.Series, dict)) else result
    bad = []
    for k in fields if fields is not None else expected:
        if not _same(got[k], expected[k], rel, abs):
            bad.append(f"{k}: got {got[k]!r}, expected {expected[k]!r}")
    assert not bad, "; ".join(bad)


def assert_same_rating(a: Any, b: Any) -> None:
    """Two RatingResults hold the same fields (compared field by field, not with ==)."""
    da, db = a.to_dict(), b.to_dict()
    assert list(da) == list(db)
    for k in da:
        if isinstance(da[k], np.ndarray):
            np.testing.assert_array_equal(da[k], db[k], err_msg=k)
        elif isinstance(da[k], float) and math.isnan(da[k]):
            assert math.isnan(db[k]), k
        else:
            assert da[k] == db[k], k


def assert_same_state(a: Any, b: Any) -> None:
    """Two accumulators hold the same state, field by field (and ==)."""
    assert a.n == b.n and a.n_missing == b.n_missing and a.n_invalid == b.n_invalid
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a == b


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240607)


def random_scores(rng: np.random.Generator, n: int, low: int = 0, high: int = 10) -> np.ndarray:
    return rng.integers(low, high + 1, size=n)


def random_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.gamma(2.0, 0.7, size=n)

