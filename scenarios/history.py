"""A data set's life as a series of versions, as training data changes week to week.

The history starts from the Wish-schema frame and applies the edits a real team
makes: new rows arrive (about 1%), one column is corrected, some rows are deleted,
and finally a cleaned copy is produced. Every step is seeded, so the same rows and
seed give the same bytes, and each version is written as one CSV file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.wish import DEFAULT_SEED, generate, write_csv

APPEND_SHARE = 0.01
DELETE_SHARE = 0.02


@dataclass(frozen=True)
class Version:
    """One step of the history: a short name, what changed, and the data."""

    name: str
    change: str
    frame: pd.DataFrame


def _appended(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    new_rows = generate(max(1, round(len(frame) * APPEND_SHARE)), seed + 1)
    return pd.concat([frame, new_rows], ignore_index=True)


def _corrected(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    # the merchant feed sent colours in mixed case ("Black" and "black")
    return frame.assign(product_color=frame["product_color"].str.lower())


def _deleted(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    keep = np.random.default_rng(seed + 2).random(len(frame)) >= DELETE_SHARE
    return frame[keep].reset_index(drop=True)


def _cleaned(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    sizes = frame["product_variation_size_id"].str.upper()
    cleaned = frame.assign(
        product_variation_size_id=sizes.str.replace(r"^SIZE[ -]|\.$", "", regex=True),
        has_urgency_banner=frame["has_urgency_banner"].fillna(0.0),
    )
    return cleaned.drop_duplicates().reset_index(drop=True)


_STEPS: tuple[tuple[str, str, Callable[[pd.DataFrame, int], pd.DataFrame]], ...] = (
    ("appended", f"about {APPEND_SHARE:.0%} new rows appended", _appended),
    ("corrected", "product_color corrected to lower case", _corrected),
    ("deleted", f"about {DELETE_SHARE:.0%} of rows deleted", _deleted),
    ("cleaned", "duplicates dropped, sizes normalised, banner flag filled", _cleaned),
)
VERSION_NAMES = ("initial", *(name for name, _, _ in _STEPS))


def history(
    frame: pd.DataFrame, versions: int = len(VERSION_NAMES), seed: int = DEFAULT_SEED
) -> Iterator[Version]:
    """Yield the first ``versions`` versions of a history that starts from ``frame``."""
    if not 1 <= versions <= len(VERSION_NAMES):
        raise ValueError(f"versions must be between 1 and {len(VERSION_NAMES)}, got {versions}")
    yield Version("initial", f"{len(frame):,} rows as given", frame)
    for name, change, step in _STEPS[: versions - 1]:
        frame = step(frame, seed)
        yield Version(name, change, frame)


def write_version(version: Version, path: Path) -> Path:
    """Write one version as the CSV a team would commit."""
    return write_csv(version.frame, path)
