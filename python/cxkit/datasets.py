"""Real data shipped with cxkit, for examples, the demo and quick experiments.

The files and their attribution are listed in ``cxkit/data/README.md``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

__all__ = ["load_cdnow"]

_DATA = os.path.join(os.path.dirname(__file__), "data")


def load_cdnow() -> pd.DataFrame:
    """The CDNOW purchase log: 69,659 purchases of 23,570 customers, 1997-01-01 to 1998-06-30.

    Every customer made a first purchase at CDNOW in the first quarter of 1997 (Fader, Hardie &
    Lee 2005). Several rows of one customer may share a day.

    Returns
    -------
    DataFrame
        ``customer`` (int64 id), ``date`` (datetime64[ns], the day of the purchase), ``cds``
        (int64 number of CDs) and ``amount`` (float64, US dollars), in the file's order
        (by customer, then day).

    Examples
    --------
    >>> from cxkit.datasets import load_cdnow
    >>> log = load_cdnow()
    >>> len(log), log["customer"].nunique()
    (69659, 23570)
    >>> str(log["date"].min().date()), str(log["date"].max().date())
    ('1997-01-01', '1998-06-30')
    """
    raw = pd.read_csv(
        os.path.join(_DATA, "cdnow_master.txt.gz"),
        sep=r"\s+",
        header=0,
        names=["customer", "date", "cds", "amount"],
        dtype={"customer": np.int64, "date": str, "cds": np.int64, "amount": np.float64},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw
