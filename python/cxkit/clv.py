"""Customer lifetime value: BG/NBD purchase model, Gamma-Gamma spend model, discounted CLV.

Formulas: METRICS.md §4 "Customer lifetime value" (Fader, Hardie & Lee 2005, "Counting your
customers the easy way" and "RFM and CLV"); the C++ side is ``include/cxkit/customer/clv.hpp``.

Design
------
* **Input**: the per-customer summary in model periods (as ``cx.clv_summary`` returns it):
  ``frequency`` (repeat purchases x), ``recency`` (t_x), ``T`` (age), ``monetary_value`` (mean
  value of the repeat purchases). Arguments are array-likes (numpy, pandas, Polars, lists) or
  column names of the frame given as ``data=``.
* **Rows** (ARCHITECTURE §3): a NaN/None value is missing (skipped and counted in ``n_missing``);
  a frequency that is negative or not a whole number, a recency outside [0, T] (or non-zero when
  frequency is 0), T <= 0, a negative or NaN weight are invalid: the fit raises
  :class:`cxkit.InvalidInputError` naming the row and its values, or with ``on_invalid="drop"``
  skips and counts them (``n_invalid``). ``n + n_missing + n_invalid`` is the number of rows
  (for Gamma-Gamma also ``+ n_excluded_zero``, the valid customers with x = 0).
* **Fits** maximise the log-likelihood with damped Newton steps on log-parameters (analytic
  gradient and Hessian); identical rows are aggregated first. Convergence is reported as data
  (``converged``, ``iterations``, ``gradient_norm``, ``message``); a fit that does not converge
  also warns (RuntimeWarning). Standard errors come from the Hessian (delta method).
* **Predictions** are vectorised: arrays/Series in (broadcast against each other), numpy arrays
  out; all-scalar input gives a float. Missing inputs give NaN; invalid ones raise.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core, _frame

__all__ = [
    "BetaGeoFitter",
    "GammaGammaFitter",
    "customer_lifetime_value",
    "clv_simple",
    "clv_retention",
]

#: |r| of frequency vs monetary value above which GammaGammaFitter flags ``correlation_warning``.
CORRELATION_THRESHOLD = 0.3


def _floats(values: Any, name: str, data: Any = None) -> np.ndarray:
    """A column (or a name in ``data``) as float64 with missing entries as NaN."""
    if data is not None:
        values = _frame._column(data, values, name)
    arr, mask = _frame.as_numeric(values, name)
    out = np.asarray(arr, dtype=np.float64)
    if mask is not None:
        out = out.copy()
        out[np.asarray(mask, dtype=bool)] = np.nan
    return out


def _is_scalar(v: Any) -> bool:
    return np.ndim(v) == 0 and not isinstance(v, (pd.Series, pd.Index)) and not _frame._is_polars(v)


def _broadcast(named: list[tuple[Any, str]]) -> tuple[list[np.ndarray], tuple, bool]:
    """Float columns broadcast against each other: (flat arrays, shape, all inputs scalar)."""
    scalar = all(_is_scalar(v) for v, _ in named)
    arrays = [_floats(np.asarray(v, dtype=float).reshape(1) if _is_scalar(v) else v, name) for v, name in named]
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError:
        lengths = ", ".join(f"{name}: {len(a)}" for a, (_, name) in zip(arrays, named))
        raise _core.InvalidArgumentError(f"arguments have different lengths ({lengths})") from None
    shape = b[0].shape
    return [np.ascontiguousarray(x.ravel(), dtype=np.float64) for x in b], shape, scalar


def _out(values: np.ndarray, scalar: bool) -> Any:
    return float(values[0]) if scalar else values


def _summary(names: list[str], params: dict, se: dict) -> pd.DataFrame:
    coef = np.array([params[k] for k in names])
    s = np.array([se[k] for k in names])
    return pd.DataFrame(
        {"coef": coef, "se": s, "lower 95%": coef - 1.959963984540054 * s, "upper 95%": coef + 1.959963984540054 * s},
        index=pd.Index(names, name="param"),
    )


class _Fitter:
    """Shared fit bookkeeping of the two models."""

    _names: list[str] = []
    _model = ""

    def __init__(self, penalizer: float = 0.0) -> None:
        if not (isinstance(penalizer, (int, float)) and math.isfinite(penalizer) and penalizer >= 0):
            raise _core.InvalidArgumentError(f"penalizer must be a finite number >= 0, got {penalizer!r}")
        self.penalizer = float(penalizer)
        self.params: Optional[dict] = None
        self.log_likelihood = math.nan
        self.converged = False
        self.iterations = 0
        self.gradient_norm = math.nan
        self.message = "not fitted"
        self.standard_errors: dict = {}
        self.covariance: Optional[pd.DataFrame] = None
        self.summary: Optional[pd.DataFrame] = None
        self.n = 0
        self.n_missing = 0
        self.n_invalid = 0
        self.n_unique = 0
        self.weight_total = 0.0

    def _store(self, d: dict) -> None:
        names = self._names
        self.params = {k: float(v) for k, v in zip(names, d["params"])}
        self.log_likelihood = float(d["log_likelihood"])
        self.converged = bool(d["converged"])
        self.iterations = int(d["iterations"])
        self.gradient_norm = float(d["gradient_norm"])
        self.message = str(d["message"])
        se = [float(v) for v in d["standard_errors"]]
        self.standard_errors = dict(zip(names, se))
        k = len(names)
        self.covariance = pd.DataFrame(np.asarray(d["covariance"], dtype=float).reshape(k, k), index=names, columns=names)
        self.summary = _summary(names, self.params, self.standard_errors)
        self.n = int(d["n"])
        self.n_missing = int(d["n_missing"])
        self.n_invalid = int(d["n_invalid"])
        self.n_unique = int(d["n_unique"])
        self.weight_total = float(d["weight_total"])
        if not self.converged:
            warnings.warn(f"{self._model} fit did not converge: {self.message}", RuntimeWarning, stacklevel=3)

    def _check_fitted(self) -> list[float]:
        if self.params is None:
            raise _core.InvalidArgumentError(
                f"{type(self).__name__} is not fitted: call fit(...) first (or set params)"
            )
        return [self.params[k] for k in self._names]

    def __repr__(self) -> str:
        if self.params is None:
            return f"<cxkit.{type(self).__name__}: not fitted>"
        p = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return (
            f"<cxkit.{type(self).__name__}: fitted with {self.n} customers ({self.n_unique} distinct rows), {p}, "
            f"log_likelihood={self.log_likelihood:.6g}, converged={self.converged} in {self.iterations} iterations>"
        )


class BetaGeoFitter(_Fitter):
    """BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005; METRICS.md §4).

    Parameters
    ----------
    penalizer : float
        c >= 0: the fit maximises mean log-likelihood - c * (r² + α² + a² + b²) (parameters in the
        data's time units). 0 (default) is plain maximum likelihood.

    Attributes after :meth:`fit`: ``params`` (dict ``r``, ``alpha``, ``a``, ``b``),
    ``log_likelihood`` (Σ w log L), ``converged``, ``iterations``, ``gradient_norm`` (of the mean
    log-likelihood in log-parameters), ``message``, ``standard_errors`` (dict), ``covariance``,
    ``summary`` (frame: coef, se, lower 95%, upper 95%), ``n``, ``n_missing``, ``n_invalid``,
    ``n_unique`` (distinct (x, t_x, T) rows after aggregation), ``weight_total``.

    Examples
    --------
    Weekly summary of the CDNOW purchase log up to 1997-09-30 (23,570 customers):

    >>> import cxkit as cx
    >>> from cxkit.datasets import load_cdnow
    >>> s = cx.clv_summary(load_cdnow(), customer="customer", time="date", amount="amount",
    ...                    period="W", observation_end="1997-09-30")
    >>> bgf = cx.BetaGeoFitter().fit("frequency", "recency", "T", data=s)
    >>> bgf.converged, {k: round(v, 3) for k, v in bgf.params.items()}
    (True, {'r': 0.291, 'alpha': 6.943, 'a': 0.606, 'b': 2.134})
    >>> round(bgf.probability_alive(2, 13.0, 39.0), 3)  # 2 repeat purchases, the last in week 13
    0.433
    >>> round(bgf.conditional_expected_transactions(52, 2, 13.0, 39.0), 3)  # in the next year
    0.934
    """

    _names = ["r", "alpha", "a", "b"]
    _model = "BG/NBD"

    def fit(
        self,
        frequency: Any,
        recency: Any,
        T: Any,
        *,
        weights: Any = None,
        data: Any = None,
        on_invalid: str = "raise",
        max_iterations: int = 200,
        tolerance: float = 1e-10,
        initial_params: Optional[dict] = None,
    ) -> "BetaGeoFitter":
        """Fit by maximum likelihood; returns ``self``.

        ``weights`` counts each row as that many identical customers. Raises
        :class:`cxkit.InvalidArgumentError` when no valid row is left (nothing to fit).
        """
        x = _floats(frequency, "frequency", data)
        tx = _floats(recency, "recency", data)
        t = _floats(T, "T", data)
        w = None if weights is None else _floats(weights, "weights", data)
        start = None if initial_params is None else [float(initial_params[k]) for k in self._names]
        d = _core.bgnbd_fit(
            x, tx, t, w, penalizer=self.penalizer, on_invalid=on_invalid, max_iterations=max_iterations,
            tolerance=tolerance, start=start,
        )
        self._store(d)
        return self

    def expected_transactions(self, t: Any) -> Any:
        """E[X(t)]: expected purchases of a new customer in (0, t] (FHL 2005 eq. 7)."""
        p = self._check_fitted()
        (tt,), shape, scalar = _broadcast([(t, "t")])
        return _out(_core.bgnbd_predict("expected", p, tt).reshape(shape), scalar)

    def conditional_expected_transactions(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        """E[Y(t) | x, t_x, T]: expected purchases in the next t periods (FHL 2005 eq. 10)."""
        p = self._check_fitted()
        (tt, x, tx, T_), shape, scalar = _broadcast([(t, "t"), (frequency, "frequency"), (recency, "recency"), (T, "T")])
        return _out(_core.bgnbd_predict("conditional", p, tt, x, tx, T_).reshape(shape), scalar)

    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        """P(alive | x, t_x, T) = 1 / (1 + 1[x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x))."""
        p = self._check_fitted()
        (x, tx, T_), shape, scalar = _broadcast([(frequency, "frequency"), (recency, "recency"), (T, "T")])
        return _out(_core.bgnbd_predict("alive", p, x, x, tx, T_).reshape(shape), scalar)

    def probability_of_purchases(self, t: Any, n: Any) -> Any:
        """P(X(t) = n) for a new customer (Fader, Hardie & Lee, note on the BG/NBD probability)."""
        p = self._check_fitted()
        (tt, nn), shape, scalar = _broadcast([(t, "t"), (n, "n")])
        return _out(_core.bgnbd_predict("purchases", p, tt, nn).reshape(shape), scalar)


class GammaGammaFitter(_Fitter):
    """Gamma-Gamma model of the spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV").

    Fitted on the customers with frequency > 0; valid customers with frequency 0 are counted in
    ``n_excluded_zero``. The model assumes spend is independent of frequency: the Pearson
    correlation of the fitted customers' frequency and monetary value is reported as
    ``frequency_spend_correlation``, and ``correlation_warning`` is a message (and a
    ``UserWarning`` is issued) when its absolute value exceeds ``correlation_threshold``
    (default 0.3), else False.

    Examples
    --------
    On the CDNOW summary of :class:`BetaGeoFitter`'s example; one repeat buyer spent $0 (invalid
    for the model: dropped and counted):

    >>> import cxkit as cx
    >>> from cxkit.datasets import load_cdnow
    >>> s = cx.clv_summary(load_cdnow(), customer="customer", time="date", amount="amount",
    ...                    period="W", observation_end="1997-09-30")
    >>> ggf = cx.GammaGammaFitter().fit("frequency", "monetary_value", data=s, on_invalid="drop")
    >>> ggf.n, ggf.n_excluded_zero, ggf.n_invalid, ggf.correlation_warning
    (9292, 14277, 1, False)
    >>> round(ggf.conditional_expected_value(2, 20.15), 2)
    22.99
    """

    _names = ["p", "q", "gamma"]
    _model = "Gamma-Gamma"

    def __init__(self, penalizer: float = 0.0, *, correlation_threshold: float = CORRELATION_THRESHOLD) -> None:
        super().__init__(penalizer)
        self.correlation_threshold = float(correlation_threshold)
        self.n_excluded_zero = 0
        self.frequency_spend_correlation = math.nan
        self.correlation_warning: Any = False

    def fit(
        self,
        frequency: Any,
        monetary_value: Any,
        *,
        weights: Any = None,
        data: Any = None,
        on_invalid: str = "raise",
        max_iterations: int = 200,
        tolerance: float = 1e-10,
        initial_params: Optional[dict] = None,
    ) -> "GammaGammaFitter":
        """Fit by maximum likelihood on the rows with frequency > 0; returns ``self``."""
        x = _floats(frequency, "frequency", data)
        m = _floats(monetary_value, "monetary_value", data)
        w = None if weights is None else _floats(weights, "weights", data)
        start = None if initial_params is None else [float(initial_params[k]) for k in self._names]
        d = _core.gamma_gamma_fit(
            x, m, w, penalizer=self.penalizer, on_invalid=on_invalid, max_iterations=max_iterations,
            tolerance=tolerance, start=start,
        )
        self._store(d)
        self.n_excluded_zero = int(d["n_excluded_zero"])
        r = float(d["frequency_spend_correlation"])
        self.frequency_spend_correlation = r
        if math.isfinite(r) and abs(r) > self.correlation_threshold:
            self.correlation_warning = (
                f"frequency and monetary value are correlated (Pearson r = {r:.3f}, |r| > "
                f"{self.correlation_threshold}): the Gamma-Gamma model assumes they are independent"
            )
            warnings.warn(self.correlation_warning, UserWarning, stacklevel=2)
        else:
            self.correlation_warning = False
        return self

    def conditional_expected_value(self, frequency: Any, monetary_value: Any) -> Any:
        """E[M | x, m̄] = (q-1)/(px+q-1) · γp/(q-1) + px/(px+q-1) · m̄; γp/(q-1) for x = 0."""
        p = self._check_fitted()
        (x, m), shape, scalar = _broadcast([(frequency, "frequency"), (monetary_value, "monetary_value")])
        return _out(_core.gamma_gamma_expected_value(p, x, m).reshape(shape), scalar)


def customer_lifetime_value(
    bgf: BetaGeoFitter,
    ggf: GammaGammaFitter,
    frequency: Any,
    recency: Any,
    T: Any,
    monetary_value: Any,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    period_days: float = 7,
    data: Any = None,
    threads: int = 0,
) -> np.ndarray:
    """Discounted CLV per customer (METRICS.md §4).

    Σ_{m=1..months} E[M] · (E[X(m)] - E[X(m-1)]) / (1 + discount_rate)^m, with E[M] from the
    Gamma-Gamma fit and E[X(m)] the BG/NBD conditional expected transactions in the next
    m · 30 / period_days model periods (a month is 30 days; ``period_days`` is the length of a
    model period, 7 for weekly summaries). Missing inputs give NaN. ``threads``: threads for
    large inputs (0 = all cores; one thread below 262,144 customers).

    Examples
    --------
    On the weekly CDNOW summary (see :class:`BetaGeoFitter` and :class:`GammaGammaFitter`):

    >>> import cxkit as cx
    >>> from cxkit.datasets import load_cdnow
    >>> s = cx.clv_summary(load_cdnow(), customer="customer", time="date", amount="amount",
    ...                    period="W", observation_end="1997-09-30")
    >>> bgf = cx.BetaGeoFitter().fit("frequency", "recency", "T", data=s)
    >>> ggf = cx.GammaGammaFitter().fit("frequency", "monetary_value", data=s, on_invalid="drop")
    >>> clv = cx.customer_lifetime_value(bgf, ggf, "frequency", "recency", "T", "monetary_value", data=s)
    >>> clv[:3].round(2)
    array([10.1 , 10.31, 20.03])
    """
    if not isinstance(bgf, BetaGeoFitter) or not isinstance(ggf, GammaGammaFitter):
        raise _core.InvalidArgumentError("customer_lifetime_value needs a BetaGeoFitter and a GammaGammaFitter")
    bg = bgf._check_fitted()
    gg = ggf._check_fitted()
    if int(months) != months or months < 0:
        raise _core.InvalidArgumentError(f"months must be a whole number >= 0, got {months!r}")
    cols = [_floats(v, name, data) for v, name in
            [(frequency, "frequency"), (recency, "recency"), (T, "T"), (monetary_value, "monetary_value")]]
    n = len(cols[0])
    for c, name in zip(cols[1:], ["recency", "T", "monetary_value"]):
        if len(c) != n:
            raise _core.InvalidArgumentError(f"{name} has {len(c)} values but frequency has {n}")
    if int(threads) != threads or threads < 0:
        raise _core.InvalidArgumentError(f"threads must be a whole number >= 0, got {threads!r}")
    return _core.customer_lifetime_value(bg, gg, *cols, int(months), float(discount_rate), float(period_days), int(threads))


def clv_simple(contribution: Any, lifetime: Any) -> Any:
    """Simple CLV: average yearly contribution × average customer lifetime in years (METRICS.md §4).

    Vectorised (numpy broadcasting); scalars give a float.

    >>> import cxkit as cx
    >>> cx.clv_simple(120.0, 3.5)
    420.0
    """
    c = np.asarray(contribution, dtype=float)
    life = np.asarray(lifetime, dtype=float)
    bad = ~np.isnan(life) & (life < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise _core.InvalidInputError(f"lifetime at position {i} is {float(life.ravel()[i])!r} (expected a number >= 0)")
    out = c * life
    return float(out) if out.ndim == 0 else out


def clv_retention(margin: Any, retention_rate: Any, discount_rate: Any) -> Any:
    """CLV from a retention rate: margin · r / (1 + d - r) (METRICS.md §4).

    ``retention_rate`` r must be in [0, 1) and ``discount_rate`` d > -1 (raises
    :class:`cxkit.InvalidInputError` naming the position and value). Vectorised; scalars give a
    float.

    >>> import cxkit as cx
    >>> round(cx.clv_retention(100.0, 0.8, 0.1), 6)
    266.666667
    """
    m = np.asarray(margin, dtype=float)
    r = np.asarray(retention_rate, dtype=float)
    d = np.asarray(discount_rate, dtype=float)
    for arr, name, ok in [
        (r, "retention_rate", lambda a: (a >= 0) & (a < 1)),
        (d, "discount_rate", lambda a: (a > -1) & np.isfinite(a)),
    ]:
        bad = ~np.isnan(arr) & ~ok(arr)
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            expected = "a number in [0, 1)" if name == "retention_rate" else "a finite number > -1"
            where = f" at position {i}" if arr.ndim else ""
            raise _core.InvalidInputError(f"{name}{where} is {float(arr.ravel()[i])!r} (expected {expected})")
    out = m * r / (1.0 + d - r)
    return float(out) if out.ndim == 0 else out
