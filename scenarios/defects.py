"""Labelled defect injection for the validation stage.

``inject_defects`` takes a clean frame (no exact duplicate rows) and returns a copy
with known defects in known rows, plus the ground truth: one ``(kind, row)`` pair per
injected defect, where ``row`` is the position in the returned frame. Each row gets
at most one defect, so every finding can be attributed to exactly one kind.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from scenarios.wish import STAR_COLUMNS

Injector = Callable[[pd.DataFrame, np.ndarray, np.random.Generator], None]


def _null(column: str) -> Injector:
    def inject(frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = np.nan

    return inject


def _set(column: str, values: tuple) -> Injector:
    def inject(frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = rng.choice(np.asarray(values), len(rows))

    return inject


def _star_mismatch(frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
    frame.loc[rows, "rating_count"] = frame.loc[rows, "rating_count"] + 1
    frame.loc[rows, STAR_COLUMNS[0]] = frame.loc[rows, STAR_COLUMNS[0]].fillna(0.0) + 3


def _badge_mismatch(frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
    frame.loc[rows, "badges_count"] = frame.loc[rows, "badges_count"] + 2


# kind -> how to inject it; the validation rules are keyed by the same kind names
DEFECTS: dict[str, Injector] = {
    "null_required": _null("price"),
    "null_product_id": _null("product_id"),
    "price_out_of_range": _set("price", (-4.0, 0.0, 1500.0)),
    "retail_price_out_of_range": _set("retail_price", (-1, 0, 9000)),
    "rating_out_of_range": _set("rating", (0.2, 7.5, 12.0)),
    "units_sold_not_bucket": _set("units_sold", (4, 123, 777)),
    "unknown_origin": _set("origin_country", ("XX", "ZZ", "China")),
    "star_sum_mismatch": _star_mismatch,
    "badge_sum_mismatch": _badge_mismatch,
    "bad_id_format": _set(
        "product_id", ("not-an-id", "5e9ae51d43e6a8", "ZZZ9ae51d43e6a80ba8c7b0e3")
    ),
    "bad_currency": _set("currency_buyer", ("USD", "eur")),
    "shipping_price_out_of_range": _set("shipping_option_price", (-2, 0, 99)),
}
DUPLICATE_ROW = "duplicate_row"
KINDS = (*DEFECTS, DUPLICATE_ROW)


def defects_per_kind(rows: int) -> int:
    """How many rows get each defect: about 0.5% of rows, at least 3."""
    return max(3, rows // 200)


def deduplicated(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame less its exact duplicate rows: the clean data defects are injected into."""
    return frame.drop_duplicates().reset_index(drop=True)


def inject_defects(
    clean: pd.DataFrame, seed: int = 7, per_kind: int | None = None
) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Return (defective copy of ``clean``, ground truth as (kind, row) pairs)."""
    per_kind = per_kind or defects_per_kind(len(clean))
    if len(clean) < per_kind * len(KINDS):
        raise ValueError(f"need at least {per_kind * len(KINDS)} rows to inject defects")
    rng = np.random.default_rng(seed)
    frame = clean.reset_index(drop=True).astype({"rating_count": float, "badges_count": float})
    frame = frame.astype(
        {"units_sold": float, "retail_price": float, "shipping_option_price": float}
    )
    chosen = rng.permutation(len(frame))[: per_kind * len(KINDS)].reshape(len(KINDS), per_kind)
    truth: list[tuple[str, int]] = []
    for (kind, inject), rows in zip(DEFECTS.items(), chosen, strict=False):
        inject(frame, np.sort(rows), rng)
        truth += [(kind, int(row)) for row in rows]
    copies = frame.iloc[np.sort(chosen[-1])]  # exact copies appended at the end, as crawled
    start = len(frame)
    frame = pd.concat([frame, copies], ignore_index=True)
    truth += [(DUPLICATE_ROW, start + offset) for offset in range(len(copies))]
    return frame, sorted(truth, key=lambda pair: pair[1])
