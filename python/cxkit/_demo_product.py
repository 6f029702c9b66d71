"""Demo section: feature research on synthetic data (part of ``python -m cxkit demo``).

Seeded data, so every run prints the same tables:

1. a Kano questionnaire: 800 respondents answer the functional and dysfunctional question for
   eight candidate features of a delivery app (a few answers skipped, a few out of scale);
   the Kano categories, Better / Worse with bootstrap intervals;
2. a key-driver analysis of overall satisfaction (0..10) on six attribute scores (1..5) from
   2,500 customers: Johnson's relative weights next to the exact Shapley (LMG) values, and the
   importance-performance grid built on the same data;
3. an impact-cost plan: the Kano impact of each feature against its cost in developer-weeks,
   the quadrants, the non-dominated frontier with its bootstrap stability, and the exact best
   plan within a budget of 20 weeks.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
import pandas as pd

from .drivers import ipa, key_drivers
from .kano import kano
from .prioritize import kano_impact, prioritize

__all__ = ["product_demo", "make_kano_survey", "make_driver_survey", "FEATURE_COSTS"]

# Candidate features, their true Kano category (the answer pattern most respondents follow) and
# the estimated cost in developer-weeks.
FEATURES = {
    "live tracking": ("O", 6.0),
    "delivery time slot": ("M", 4.5),
    "contactless drop": ("A", 2.0),
    "order history": ("M", 1.5),
    "carbon offset": ("I", 3.0),
    "loyalty points": ("A", 7.5),
    "chat with courier": ("O", 5.0),
    "video ads": ("R", 2.5),
}
FEATURE_COSTS = {name: cost for name, (_, cost) in FEATURES.items()}
BUDGET_WEEKS = 20.0

# The answer pairs (functional, dysfunctional) typical of each category (METRICS.md standard table):
# 1 Like, 2 Must-be, 3 Neutral, 4 Live-with, 5 Dislike.
_PATTERNS = {
    "A": [(1, 3), (1, 4), (1, 2)],
    "O": [(1, 5)],
    "M": [(2, 5), (3, 5), (4, 5)],
    "I": [(3, 3), (2, 3), (3, 4), (4, 4)],
    "R": [(5, 1), (5, 3), (4, 1)],
}

ATTRIBUTES = ("ease of ordering", "delivery speed", "food quality", "price", "support", "app stability")


def make_kano_survey(n: int = 800, *, seed: int = 20261122) -> pd.DataFrame:
    """Long-form Kano answers: respondent, feature, functional, dysfunctional (1..5; NaN skipped)."""
    rng = np.random.default_rng(seed)
    rows = []
    for f, (cat, _) in FEATURES.items():
        pattern = _PATTERNS[cat]
        follows = rng.random(n) < 0.62  # the rest answer as another category or at random
        pick = rng.integers(0, len(pattern), n)
        other = rng.integers(1, 6, (n, 2))
        func = np.where(follows, [pattern[i][0] for i in pick], other[:, 0]).astype(float)
        dys = np.where(follows, [pattern[i][1] for i in pick], other[:, 1]).astype(float)
        rows.append(pd.DataFrame({"respondent": np.arange(n), "feature": f, "functional": func,
                                  "dysfunctional": dys}))
    df = pd.concat(rows, ignore_index=True)
    skipped = rng.choice(len(df), len(df) // 150, replace=False)
    df.loc[skipped, "dysfunctional"] = np.nan  # an incomplete pair is missing
    bad = rng.choice(len(df), len(df) // 400, replace=False)
    df.loc[bad, "functional"] = 6.0  # outside 1..5: invalid
    return df


def make_driver_survey(n: int = 2500, *, seed: int = 20261122) -> pd.DataFrame:
    """Attribute scores 1..5 (correlated through a shared mood) and overall satisfaction 0..10."""
    rng = np.random.default_rng(seed + 1)
    mood = rng.normal(0, 1, n)
    latent = 0.55 * mood[:, None] + rng.normal(0, 1, (n, len(ATTRIBUTES)))
    scores = np.clip(np.rint(3.4 + 0.9 * latent + np.array([0.3, -0.4, 0.5, -0.6, 0.0, 0.2])), 1, 5)
    effect = np.array([0.35, 0.9, 1.1, 0.55, 0.25, 0.45])  # true influence on overall satisfaction
    overall = np.clip(np.rint(5.0 + (latent @ effect) * 0.9 + rng.normal(0, 1.2, n)), 0, 10)
    df = pd.DataFrame(scores, columns=list(ATTRIBUTES))
    df["overall"] = overall
    df.loc[rng.choice(n, n // 100, replace=False), "support"] = np.nan  # not answered: dropped listwise
    return df


def product_demo(quiet: bool = False, out_dir: Optional[str] = None, *, seed: int = 20261122) -> dict:
    """Run the feature-research section; print it unless ``quiet``; write CSVs to ``out_dir``.

    Returns the tables by name: ``kano_answers``, ``kano``, ``driver_survey``, ``drivers``,
    ``ipa``, ``plan``.

    Examples
    --------
    >>> from cxkit._demo_product import product_demo
    >>> tables = product_demo(quiet=True)
    >>> bool(tables["plan"]["selected"].any())
    True
    """
    answers = make_kano_survey(seed=seed)
    kano_frame = kano(answers, feature="feature", functional="functional", dysfunctional="dysfunctional",
                      respondent="respondent", on_invalid="drop", bootstrap=500, seed=seed)

    survey = make_driver_survey(seed=seed)
    attrs = list(ATTRIBUTES)
    weights = key_drivers(survey, target="overall", drivers=attrs, method="relative_weights")
    shapley = key_drivers(survey, target="overall", drivers=attrs, method="shapley")
    drivers = weights[["weight", "rescaled", "sign", "beta"]].copy()
    drivers["shapley"] = shapley["weight"]
    drivers["shapley_rescaled"] = shapley["rescaled"]
    drivers.attrs.update(weights.attrs)
    grid = ipa(survey, attributes=attrs, overall="overall")

    # Impact from the Kano frame (a Series by feature carrying its bootstrap replicates, so the
    # plan also reports how stable each feature's place on the frontier is).
    impact = kano_impact(kano_frame)
    items = pd.DataFrame({"feature": list(FEATURES), "cost": [FEATURE_COSTS[f] for f in FEATURES]})
    plan = prioritize(items, item="feature", impact=impact, cost="cost", budget=BUDGET_WEEKS)

    tables = {"kano_answers": answers, "kano": kano_frame, "driver_survey": survey, "drivers": drivers,
              "ipa": grid, "plan": plan}
    if not quiet:
        _print(tables)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(os.path.join(out_dir, f"{name}.csv"))
    return tables


def _print(tables: dict) -> None:
    k, answers = tables["kano"], tables["kano_answers"]
    with pd.option_context("display.width", 150, "display.max_columns", 30, "display.precision", 3):
        n_resp = answers["respondent"].nunique()
        print(f"\ncxkit demo, feature research: a Kano questionnaire of {n_resp:,} respondents on "
              f"{len(k)} features")
        print("\n== Kano categories (Better/Worse with 95% bootstrap intervals)")
        cols = [c for c in ("A", "O", "M", "I", "R", "Q", "n", "n_missing", "n_invalid", "category", "better",
                            "better_lo", "better_hi", "worse", "worse_lo", "worse_hi", "fong_significant")
                if c in k.columns]
        print(k[cols].to_string())
        d = tables["drivers"]
        print(f"\n== Key drivers of overall satisfaction (R² = {d.attrs['r_squared']:.3f}, "
              f"{d.attrs.get('n', len(tables['driver_survey'])):,} complete answers)")
        print(d.sort_values("rescaled", ascending=False).to_string())
        print("\n== Importance-performance grid (importance: correlation with overall satisfaction)")
        print(tables["ipa"].to_string())
        plan = tables["plan"]
        chosen = plan.index[plan["selected"]].tolist()
        print(f"\n== Impact-cost plan (impact = Better + |Worse|, cost in developer-weeks, budget "
              f"{BUDGET_WEEKS:g} weeks)")
        print(plan.sort_values("rank").to_string())
        print(f"best plan within {BUDGET_WEEKS:g} weeks: {', '.join(map(str, chosen))} "
              f"(impact {plan.loc[plan['selected'], 'impact'].sum():.3f}, "
              f"cost {plan.loc[plan['selected'], 'cost'].sum():g} weeks)")
