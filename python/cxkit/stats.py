"""Statistical helpers shared by the metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core

__all__ = ["adjust_pvalues"]


def adjust_pvalues(p_values: Any, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons.

    Parameters
    ----------
    p_values : array-like of float
        Raw p-values in [0, 1]; NaN entries stay NaN and do not count.
    method : {"holm", "bh", "bonferroni"}
        Holm step-down (default), Benjamini-Hochberg step-up (false discovery rate), or
        Bonferroni.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order.

    Examples
    --------
    >>> import cxkit as cx
    >>> cx.adjust_pvalues([0.01, 0.04, 0.03], method="holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    return _core.adjust_pvalues(p_values, method)
