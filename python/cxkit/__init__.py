"""cxkit: customer-experience metrics on mergeable states.

>>> import cxkit as cx
>>> cx.nps([10, 9, 8, 3]).nps
25.0
"""

from ._core import (
    ComparisonResult,
    CorruptStateError,
    CsiResult,
    Error,
    InvalidArgumentError,
    InvalidInputError,
    NpsAccumulator,
    NpsResult,
    NumericalError,
    OutOfRangeError,
    RatingAccumulator,
    RatingResult,
    UnsupportedTypeError,
    __version__,
)
from . import datasets
from .clv import BetaGeoFitter, GammaGammaFitter, clv_retention, clv_simple, customer_lifetime_value
from .cohort import CohortAccumulator, Retention, churn_durations, churn_rate, retention
from .drivers import DriverAccumulator, ipa, key_drivers
from .dsr import DsrAccumulator, dsr
from .feedback import TargetResult, TrendResult, control_chart, mann_kendall, pareto, rate_ratio_test, target_progress
from .kano import KanoAccumulator, kano
from .prioritize import kano_impact, prioritize
from .rfm import RFM_STANDARD_SEGMENTS, RfmTiesWarning, clv_summary, rfm
from .transactions import TransactionAccumulator
from .stats import adjust_pvalues
from .survival import SurvivalAccumulator, SurvivalResult, SurvivalResults, TestResult, kaplan_meier, logrank_test
from .survey import ces, compare_csat, compare_nps, compare_periods, compare_segments, csat, csi, nps

__all__ = [
    "__version__",
    "datasets",
    # survey scores
    "nps",
    "csat",
    "ces",
    "compare_nps",
    "compare_csat",
    "compare_segments",
    "compare_periods",
    "csi",
    "NpsAccumulator",
    "RatingAccumulator",
    "NpsResult",
    "RatingResult",
    "ComparisonResult",
    "CsiResult",
    # seller ratings
    "dsr",
    "DsrAccumulator",
    # complaints and feedback
    "pareto",
    "control_chart",
    "rate_ratio_test",
    "mann_kendall",
    "target_progress",
    "TrendResult",
    "TargetResult",
    # product research: Kano, IPA, key drivers, prioritisation
    "kano",
    "KanoAccumulator",
    "ipa",
    "key_drivers",
    "DriverAccumulator",
    "prioritize",
    "kano_impact",
    # customers: cohort retention and churn
    "retention",
    "churn_rate",
    "churn_durations",
    "Retention",
    "CohortAccumulator",
    "TransactionAccumulator",
    # customers: survival
    "kaplan_meier",
    "logrank_test",
    "SurvivalAccumulator",
    "SurvivalResult",
    "SurvivalResults",
    "TestResult",
    # customers: lifetime value (BG/NBD, Gamma-Gamma)
    "BetaGeoFitter",
    "GammaGammaFitter",
    "customer_lifetime_value",
    "clv_simple",
    "clv_retention",
    # customers: RFM and transaction summaries
    "rfm",
    "clv_summary",
    "RFM_STANDARD_SEGMENTS",
    "RfmTiesWarning",
    # statistics
    "adjust_pvalues",
    # errors
    "Error",
    "InvalidInputError",
    "InvalidArgumentError",
    "CorruptStateError",
    "UnsupportedTypeError",
    "OutOfRangeError",
    "NumericalError",
]
