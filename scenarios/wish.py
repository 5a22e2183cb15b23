"""Seeded synthetic generator for the Wish "summer products" schema (43 columns).

The frame has the real file's columns, types, value sets and quirks (see
wish-schema.md): non-English titles with a newline inside one, NaN-encoded flags,
missing star counts where there are no ratings, exact duplicate rows, repeated
product ids, price above retail price, messy size labels. Everything is drawn from
one ``numpy`` generator, column by column, so the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_ROWS = 1600
DEFAULT_SEED = 2020

UNITS_BUCKETS = (1, 2, 3, 6, 7, 8, 10, 50, 100, 1000, 5000, 10000, 20000, 50000, 100000)
_UNITS_WEIGHTS = (1, 1, 1, 1, 1, 1, 40, 70, 330, 400, 95, 120, 12, 10, 4)
STAR_COLUMNS = (
    "rating_five_count",
    "rating_four_count",
    "rating_three_count",
    "rating_two_count",
    "rating_one_count",
)
BADGE_COLUMNS = ("badge_local_product", "badge_product_quality", "badge_fast_shipping")
ORIGIN_COUNTRIES = ("CN", "US", "VE", "SG", "GB", "AT")
_ORIGIN_WEIGHTS = (0.945, 0.03, 0.006, 0.005, 0.004, 0.002)

COLUMNS = (
    "title",
    "title_orig",
    "price",
    "retail_price",
    "currency_buyer",
    "units_sold",
    "uses_ad_boosts",
    "rating",
    "rating_count",
    *STAR_COLUMNS,
    "badges_count",
    *BADGE_COLUMNS,
    "tags",
    "product_color",
    "product_variation_size_id",
    "product_variation_inventory",
    "shipping_option_name",
    "shipping_option_price",
    "shipping_is_express",
    "countries_shipped_to",
    "inventory_total",
    "has_urgency_banner",
    "urgency_text",
    "origin_country",
    "merchant_title",
    "merchant_name",
    "merchant_info_subtitle",
    "merchant_rating_count",
    "merchant_rating",
    "merchant_id",
    "merchant_has_profile_picture",
    "merchant_profile_picture",
    "product_url",
    "product_picture",
    "product_id",
    "theme",
    "crawl_month",
)

_TITLES = (
    ("Robe d'été à fleurs pour femmes", "Women's floral summer dress"),
    ("Damen Sommer Kurzarm T-Shirt", "Women's summer short sleeve T-shirt"),
    ("Vestido de playa sin mangas", "Sleeveless beach dress"),
    ("Maillot de bain deux pièces", "Two-piece swimsuit"),
    ("Short en jean taille haute", "High waist denim shorts"),
    ("Débardeur à col en V", "V-neck tank top"),
    ("Conjunto deportivo de verano", "Summer sports set"),
    ("Bikini push-up imprimé léopard", "Leopard print push-up bikini"),
    ("Sommerkleid mit Spaghettiträgern", "Spaghetti strap summer dress"),
    ("Chemise ample à manches courtes", "Loose short sleeve shirt"),
)
_TAGS = (
    "Summer",
    "Fashion",
    "womens dresses",
    "Women's Fashion",
    "Beach",
    "Casual",
    "Plus Size",
    "sleeveless",
    "Floral print",
    "Necks",
    "Tank",
    "Sexy",
    "Shorts",
    "Swimwear",
    "Bikini",
    "Cotton",
    "Loose",
    "Print",
    "Vest",
    "Party",
)
_COLORS = (
    "black",
    "white",
    "yellow",
    "pink",
    "red",
    "blue",
    "navyblue",
    "green",
    "grey",
    "leopardprint",
    "Black",
    "White",
    "multicolor",
    "armygreen",
)
_SIZES = (
    "S",
    "XS",
    "M",
    "L",
    "XL",
    "XXS",
    "XXL",
    "S.",
    "s",
    "Size S",
    "XS.",
    "25-S",
    "Size-XS",
    "M.",
    "4XL",
    "One Size",
)
_SIZE_WEIGHTS = (30, 18, 11, 5, 3, 6, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1)
_SHIPPING = (
    "Livraison standard",
    "Standard Shipping",
    "Envio Padrão",
    "Envío normal",
    "Standardversand",
    "Spedizione standard",
    "Expediere Standard",
)
_SHIPPING_WEIGHTS = (80, 5, 4, 4, 3, 2, 2)
_URGENCY = ("Quantité limitée !", "Réduction sur les achats en gros")
_MERCHANT_WORDS = ("shop", "store", "fashion", "trade", "mall", "boutique", "style", "co")


def _hex_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """24-hex-character ids (Wish's ObjectId format)."""
    high = rng.integers(0, 2**48, size=count, dtype=np.int64)
    low = rng.integers(0, 2**48, size=count, dtype=np.int64)
    return np.array([f"{a:012x}{b:012x}" for a, b in zip(high, low, strict=True)], dtype=object)


def _choice(rng: np.random.Generator, values, count: int, weights=None) -> np.ndarray:
    probabilities = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return np.asarray(values, dtype=object)[rng.choice(len(values), count, p=probabilities)]


def _with_missing(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(out)) < share] = np.nan
    return out


def _prices(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    price = np.clip(np.round(rng.lognormal(2.0, 0.45, count), 2), 1.0, 49.0)
    # about a quarter of listings show a "retail" price below the selling price
    factor = np.where(
        rng.random(count) < 0.25, rng.uniform(0.5, 1.0, count), rng.lognormal(0.9, 0.8, count)
    )
    retail = np.clip(np.round(price * factor), 1, 252).astype(np.int64)
    return {"price": price, "retail_price": retail}


def _ratings(rng: np.random.Generator, units: np.ndarray) -> dict[str, np.ndarray]:
    count = len(units)
    rating_count = np.minimum(np.round(units * rng.uniform(0.02, 0.4, count)), 20744)
    rating_count = rating_count.astype(np.int64)
    rating_count[rng.random(count) < 0.03] = 0
    quality = rng.choice(3, count, p=(0.25, 0.55, 0.2))
    shares = np.array(
        [
            [0.62, 0.16, 0.1, 0.05, 0.07],
            [0.45, 0.19, 0.15, 0.08, 0.13],
            [0.3, 0.17, 0.17, 0.12, 0.24],
        ]
    )
    stars = np.zeros((count, 5), dtype=np.int64)
    for group in range(3):
        rows = quality == group
        stars[rows] = rng.multinomial(rating_count[rows], shares[group])
    weighted = stars @ np.array([5, 4, 3, 2, 1])
    has_ratings = rating_count > 0
    rating = np.where(has_ratings, weighted / np.maximum(rating_count, 1), 5.0).round(2)
    columns = {"rating": rating, "rating_count": rating_count}
    for index, name in enumerate(STAR_COLUMNS):
        columns[name] = np.where(has_ratings, stars[:, index].astype(float), np.nan)
    return columns


def _badges(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    flags = {
        name: (rng.random(count) < share).astype(np.int64)
        for name, share in zip(BADGE_COLUMNS, (0.02, 0.07, 0.01), strict=True)
    }
    return {"badges_count": sum(flags.values()), **flags}


def _texts(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    pick = rng.integers(0, len(_TITLES), count)
    suffix = rng.integers(1, 99, count).astype(str)
    title = np.array([t for t, _ in _TITLES], dtype=object)[pick] + " " + suffix
    title_orig = np.array([o for _, o in _TITLES], dtype=object)[pick] + " " + suffix
    title[count // 2] += "\nNouvelle collection"  # the real file has a newline in a quoted field
    tag_sets = rng.integers(0, len(_TAGS), (count, 4))
    tags = np.array([",".join(_TAGS[i] for i in row) for row in tag_sets], dtype=object)
    return {"title": title, "title_orig": title_orig, "tags": tags}


def _listing(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    banner = rng.random(count) < 0.3
    express = (rng.random(count) < 0.03).astype(np.int64)
    return {
        "currency_buyer": np.full(count, "EUR", dtype=object),
        "uses_ad_boosts": (rng.random(count) < 0.43).astype(np.int64),
        "product_color": _with_missing(rng, _choice(rng, _COLORS, count), 0.03),
        "product_variation_size_id": _with_missing(
            rng, _choice(rng, _SIZES, count, _SIZE_WEIGHTS), 0.01
        ),
        "product_variation_inventory": rng.integers(1, 51, count),
        "shipping_option_name": _choice(rng, _SHIPPING, count, _SHIPPING_WEIGHTS),
        "shipping_option_price": np.clip(rng.poisson(2.0, count) + 1 + 6 * express, 1, 12),
        "shipping_is_express": express,
        "countries_shipped_to": rng.integers(6, 141, count),
        "inventory_total": np.where(rng.random(count) < 0.99, 50, rng.integers(1, 50, count)),
        "has_urgency_banner": np.where(banner, 1.0, np.nan),
        "urgency_text": np.where(banner, _choice(rng, _URGENCY, count, (95, 5)), np.nan),
        "origin_country": _with_missing(
            rng, _choice(rng, ORIGIN_COUNTRIES, count, _ORIGIN_WEIGHTS), 0.01
        ),
        "theme": np.full(count, "summer", dtype=object),
        "crawl_month": np.full(count, "2020-08", dtype=object),
    }


def _merchants(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    pool = max(count // 2, 1)
    ids = _hex_ids(rng, pool)
    words = _choice(rng, _MERCHANT_WORDS, pool)
    names = np.array([f"{w}{i:04d}" for i, w in enumerate(words)], dtype=object)
    rating_counts = np.round(rng.lognormal(8.5, 1.8, pool)).clip(0, 2_000_000).astype(np.int64)
    ratings = np.clip(rng.normal(4.03, 0.2, pool), 2.33, 5.0).round(6)
    positive = np.clip(np.round((ratings - 1) / 4 * 100), 0, 100).astype(np.int64)
    subtitles = np.array(
        [
            f"{p} % avis positifs ({c:,} notes)"
            for p, c in zip(positive, rating_counts, strict=True)
        ],
        dtype=object,
    )
    has_picture = (rng.random(pool) < 0.14).astype(np.int64)
    pictures = np.where(
        has_picture == 1,
        "https://s3-us-west-1.amazonaws.com/sweeper-production-merchantimage/" + ids + ".jpg",
        np.nan,
    )
    pick = rng.integers(0, pool, count)
    return {
        "merchant_title": ("Shop " + names)[pick],
        "merchant_name": _with_missing(rng, names[pick], 0.002),
        "merchant_info_subtitle": subtitles[pick],
        "merchant_rating_count": rating_counts[pick],
        "merchant_rating": ratings[pick],
        "merchant_id": ids[pick],
        "merchant_has_profile_picture": has_picture[pick],
        "merchant_profile_picture": pictures[pick],
    }


def _products(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    ids = _hex_ids(rng, count)
    repeated = rng.random(count) < 0.03  # some products are listed more than once
    ids[repeated] = ids[rng.integers(0, count, int(repeated.sum()))]
    return {
        "product_id": ids,
        "product_url": "https://www.wish.com/c/" + ids,
        "product_picture": "https://contestimg.wish.com/api/webimage/" + ids + "-medium.jpg",
    }


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A Wish-schema frame of ``rows`` rows; the same seed gives the same frame."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    rng = np.random.default_rng(seed)
    units = _choice(rng, UNITS_BUCKETS, rows, _UNITS_WEIGHTS).astype(np.int64)
    columns = {
        "units_sold": units,
        **_prices(rng, rows),
        **_ratings(rng, units),
        **_badges(rng, rows),
        **_texts(rng, rows),
        **_listing(rng, rows),
        **_merchants(rng, rows),
        **_products(rng, rows),
    }
    frame = pd.DataFrame({name: columns[name] for name in COLUMNS})
    source = np.arange(rows)
    duplicates = np.flatnonzero(rng.random(rows) < 0.015)  # exact duplicate rows, as crawled
    duplicates = duplicates[duplicates > 0]
    source[duplicates] = rng.integers(0, duplicates)
    return frame.iloc[source].reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as the Kaggle file is written (comma separated, no index)."""
    frame.to_csv(path, index=False, lineterminator="\n")
    return path
