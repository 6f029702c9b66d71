"""TransactionAccumulator: the mergeable state behind :func:`cxkit.rfm` and :func:`cxkit.clv_summary`.

The state (``include/cxkit/customer/transactions.hpp``) keeps, per customer key, the sorted distinct
purchase days with the transactions and the amount sum per day, plus the row counts. Its results
run the same C++ kernel as the one-pass functions over those entries and go through the same frame
building (``rfm._rfm_frame`` / ``rfm._clv_frame``), so they return the same frames for the same
rows. Customer keys are those of :class:`cxkit.CohortAccumulator` (integers as they are, other ids
as a 64-bit hash of their text): the result index holds these keys.

The state knows days, not times of day: ``as_of``, ``observation_end``, ``calibration_end`` and
``holdout_end`` are days (numbers are day numbers since 1970-01-01), and a calibration end day
holds that day's rows in the calibration part.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame
from .rfm import _check_clv_options, _clv_frame, _rfm_frame, _rfm_options, _stamp
from ._core import TransactionAccumulator

__all__ = ["TransactionAccumulator"]


def _state_add(state: TransactionAccumulator, customer: Any, time: Any, amount: Any, time_unit: str,
               on_invalid: str) -> None:
    keys, mask, stamps, flags, units, amt = _frame.state_rows(customer, time, amount, "amount", time_unit)
    if amt is None and state.has_amount:
        raise _core.InvalidArgumentError("this TransactionAccumulator keeps amounts: pass amount= "
                                         "(or make it with TransactionAccumulator(amount=False))")
    state._add(keys, mask, stamps, flags, units, amt, on_invalid)


def _day(value: Any, name: str) -> Any:
    """A date argument as a day number (numbers are day numbers)."""
    return _stamp(value, name, 1, "D")


def _index(d: dict) -> pd.Index:
    return pd.Index(np.asarray(d["customer"], dtype=np.int64), name="customer")


def _state_rfm(state: TransactionAccumulator, as_of: Any, bins: Any, segments: Any, thresholds: Any,
               default_segment: Any, tiers: Any, tier_period: Any, default_tier: Any) -> pd.DataFrame:
    opts = _rfm_options(bins, segments, thresholds, default_segment, tiers, tier_period, default_tier)
    as_of_day = _day(as_of, "as_of")
    d = state._rfm(as_of_day, opts.bins, opts.cuts_given, opts.rules)
    return _rfm_frame(d, _index(d), opts, as_of_day is not None)


def _state_clv_summary(state: TransactionAccumulator, period: Any, observation_end: Any, multiplier: Any,
                       calibration_end: Any, holdout_end: Any) -> pd.DataFrame:
    _check_clv_options(period, observation_end, multiplier, calibration_end, holdout_end)
    d = state._clv_summary(period, float(multiplier), _day(observation_end, "observation_end"),
                           _day(calibration_end, "calibration_end"), _day(holdout_end, "holdout_end"))
    has_end = observation_end is not None or calibration_end is not None
    return _clv_frame(d, _index(d), state.has_amount, period, multiplier, has_end)
