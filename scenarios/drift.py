"""Labelled drift for the monitoring stage: batches of new listings, some of them drifted.

A monitor compares each batch against the reference (the training data). A batch is
either unchanged (fresh rows from the same generator, or from the same file) or has
drift injected at a known strength in known columns. The ground truth of a batch is
the set of columns whose distribution was changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios import wish

# the raw model inputs a monitor watches; flags and small counts are categories
NUMERIC = (
    "price",
    "retail_price",
    "rating",
    "rating_count",
    "shipping_option_price",
    "countries_shipped_to",
    "merchant_rating",
    "merchant_rating_count",
    "product_variation_inventory",
)
CATEGORICAL = (
    "origin_country",
    "product_variation_size_id",
    "uses_ad_boosts",
    "badges_count",
    "shipping_is_express",
)
MONITORED = NUMERIC + CATEGORICAL

Injector = Callable[[pd.DataFrame, np.random.Generator], None]


def _prices_up(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    frame["price"] = (frame["price"] * 1.25).round(2)


def _ratings_down(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    frame["rating"] = (frame["rating"] - 0.3).clip(1.0, 5.0).round(2)


def _origin_mix(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    moved = rng.random(len(frame)) < 0.2  # a fifth of the listings now ship from the US
    frame.loc[moved, "origin_country"] = "US"


def _more_missing(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    lost = rng.random(len(frame)) < 0.2  # the size field goes missing in a fifth of rows
    frame.loc[lost, "product_variation_size_id"] = np.nan


def _unseen_category(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    new = rng.random(len(frame)) < 0.05  # a country the reference never had
    frame.loc[new, "origin_country"] = "DE"


# kind -> (how to inject it, the columns it changes)
KINDS: dict[str, tuple[Injector, tuple[str, ...]]] = {
    "prices_up": (_prices_up, ("price",)),
    "ratings_down": (_ratings_down, ("rating",)),
    "origin_mix": (_origin_mix, ("origin_country",)),
    "more_missing": (_more_missing, ("product_variation_size_id",)),
    "unseen_category": (_unseen_category, ("origin_country",)),
}
COMBINED = ("prices_up", "ratings_down", "origin_mix")  # one batch with three columns drifted


@dataclass(frozen=True)
class Batch:
    """One current batch and its ground truth."""

    name: str  # "unchanged", a kind, or "combined"
    frame: pd.DataFrame
    drifted: frozenset[str]  # the columns whose distribution was changed


def inject(frame: pd.DataFrame, kinds: tuple[str, ...], seed: int = 0) -> Batch:
    """A copy of ``frame`` with the drift ``kinds`` injected, and its ground truth."""
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown drift kind {unknown[0]!r}; choose from: {', '.join(KINDS)}.")
    drifted, rng = frame.copy(), np.random.default_rng(seed)
    for kind in kinds:
        KINDS[kind][0](drifted, rng)
    columns = frozenset(c for kind in kinds for c in KINDS[kind][1])
    name = kinds[0] if len(kinds) == 1 else "combined"
    return Batch(name if kinds else "unchanged", drifted, columns)


def batches(fresh: pd.DataFrame, seed: int = 0) -> list[Batch]:
    """The unchanged batch, one batch per drift kind, and the combined batch."""
    kinds = [(), *((kind,) for kind in KINDS), COMBINED]
    return [inject(fresh, chosen, seed) for chosen in kinds]


def synthetic_pair(
    rows: int, seed: int, generate: Callable[..., pd.DataFrame] = wish.generate
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, fresh rows) of ``rows`` each: the two halves of one generated frame
    (``generate(rows, seed=...)``: the benchmarks pass a cached ``wish.generate``).

    Halves of one frame share the generator's merchants, as next week's listings share
    this week's sellers; two separate ``generate`` calls would draw two different
    merchant populations, which a two-sample test rightly calls drift.
    """
    return split_pair(generate(2 * rows, seed=10_000 + seed), seed)


def split_pair(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, fresh rows) from one frame (e.g. a user's file): a random half each."""
    if len(frame) < 2:
        raise ValueError("the data needs at least 2 rows to split into reference and batch")
    order = np.random.default_rng(seed).permutation(len(frame))
    half = len(frame) // 2
    reference, fresh = (frame.iloc[part].reset_index(drop=True) for part in np.split(order, [half]))
    return reference, fresh
