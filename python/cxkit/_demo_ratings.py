"""Demo section: Detailed Seller Ratings on a synthetic marketplace (part of ``python -m cxkit demo``).

A seeded year of ratings for 30 sellers in three categories on the four DSR dimensions, with a
few buyers who rate the same seller many times in a month (the monthly cap at work), some missing
and out-of-scale ratings, and two sellers whose shipping gets worse in the last quarter. Shows:
the 180-day DSR per seller at the year end against the category's peers with the Welch test,
the monthly sliding DSR of one seller from a DsrAccumulator, and the row accounting.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .dsr import DEFAULT_DIMENSIONS, DsrAccumulator, dsr
from .stats import adjust_pvalues

CATEGORIES = ("Electronics", "Home", "Fashion")


def make_ratings(n: int = 40_000, *, seed: int = 20261122, sellers: int = 30) -> pd.DataFrame:
    """A seeded marketplace rating log: seller, category, buyer, dimension, rating, time."""
    rng = np.random.default_rng(seed)
    names = np.array([f"shop-{i:02d}" for i in range(sellers)], dtype=object)
    category = {s: CATEGORIES[i % len(CATEGORIES)] for i, s in enumerate(names)}
    quality = rng.normal(0.0, 0.35, sellers)  # seller effect on the latent satisfaction
    s = rng.integers(0, sellers, n)
    start = np.datetime64("2026-01-01T00:00:00")
    seconds = rng.integers(0, 365 * 86400, n)
    time = start + seconds.astype("timedelta64[s]")
    dims = np.array(DEFAULT_DIMENSIONS, dtype=object)
    d = rng.integers(0, len(dims), n)
    late = seconds > 270 * 86400
    slipping = np.isin(s, [3, 7]) & (d == 1) & late  # shipping of two sellers gets worse in Q4
    latent = 4.3 + quality[s] - 1.3 * slipping + rng.normal(0, 0.8, n)
    rating = np.clip(np.rint(latent), 1, 5).astype(float)
    buyer = rng.integers(0, n // 4, n)
    # a few enthusiastic buyers rate seller shop-00 many times a month (the cap at work)
    fans = rng.choice(n, n // 100, replace=False)
    s[fans], d[fans], buyer[fans], rating[fans] = 0, 0, rng.integers(0, 5, fans.size), 5.0
    rating[rng.choice(n, n // 200, replace=False)] = np.nan  # skipped questions
    rating[rng.choice(n, n // 500, replace=False)] = 0.0  # out of scale: invalid
    df = pd.DataFrame({"seller": names[s], "dimension": dims[d], "rating": rating, "time": time, "buyer": buyer})
    df["category"] = df["seller"].map(category)
    return df.sort_values("time", kind="stable").reset_index(drop=True)


def _print(title: str, frame: pd.DataFrame) -> None:
    print(f"\n== {title}")
    with pd.option_context("display.width", 150, "display.max_rows", 60):
        print(frame.to_string())


def ratings_demo(quiet: bool = False, out_dir: Optional[str] = None, *, seed: int = 20261122) -> dict:
    """Run the DSR section; returns its tables (name -> DataFrame)."""
    import os

    df = make_ratings(seed=seed)
    as_of = np.datetime64("2026-12-31", "D")
    table = dsr(df, seller="seller", dimension="dimension", rating="rating", time="time", buyer="buyer",
                as_of=as_of, peers="category", on_invalid="drop")
    table["p_holm"] = adjust_pvalues(table["p_value"].to_numpy())

    # The monthly sliding DSR of one seller: one state, advanced to every month end.
    acc = DsrAccumulator(window_days=180, monthly_cap=3)
    month_ends = pd.date_range("2026-01-31", "2026-12-31", freq="ME")
    sliding = []
    t = pd.to_datetime(df["time"])
    done = 0
    for end in month_ends:
        upto = int((t < end + pd.Timedelta(days=1)).sum())
        part = df.iloc[done:upto]
        acc.add(part["seller"], part["dimension"], part["rating"], part["time"], part["buyer"], on_invalid="drop")
        acc.advance(end)
        done = upto
        r = acc.result(peers=df.groupby("seller")["category"].first())
        one = r.xs("shop-03", level="seller")
        sliding.append(one["dsr"].rename(end.strftime("%Y-%m")))
    tables = {
        "dsr_by_seller": table,
        "dsr_sliding_shop_03": pd.DataFrame(sliding),
    }

    if not quiet:
        rows = len(df)
        accounted = int(table[["n", "n_capped", "n_missing", "n_invalid", "n_expired"]].to_numpy().sum())
        print(f"\ncxkit demo, seller ratings: {rows} ratings of {df['seller'].nunique()} sellers on "
              f"{len(DEFAULT_DIMENSIONS)} dimensions, 180-day window at {as_of}; peers = same category")
        print(f"  every row accounted for: {int(table['n'].sum())} counted + {int(table['n_capped'].sum())} capped "
              f"(> 3 per buyer and month) + {int(table['n_expired'].sum())} older than the window + "
              f"{int(table['n_missing'].sum())} missing + {int(table['n_invalid'].sum())} invalid = {accounted}")
        shipping = table.xs("shipping", level="dimension").sort_values("vs_peer_normalized")
        cols = ["peer_group", "dsr", "n", "peer_mean", "vs_peer_pct", "vs_peer_normalized", "share_low", "p_value", "p_holm"]
        shown = pd.concat([shipping.head(4), shipping.tail(3)])[cols].round(3)
        for c in ("p_value", "p_holm"):
            shown[c] = shown[c].map(lambda p: f"{p:.2g}")
        _print("Shipping DSR vs category peers: the weakest and the strongest (Welch test vs the other peers, Holm-adjusted)", shown)
        capped = table[table["n_capped"] > 0][["dsr", "n", "n_capped"]]
        _print("Sellers with capped ratings (more than 3 from one buyer in a month)", capped)
        _print("shop-03: DSR over the last 180 days at each month end (its shipping slips in Q4)",
               tables["dsr_sliding_shop_03"].round(3))
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        df.to_csv(os.path.join(out_dir, "ratings.csv"), index=False)
        for name, t_ in tables.items():
            t_.to_csv(os.path.join(out_dir, f"{name}.csv"))
    return tables
