"""The sales model: the same scikit-learn pipeline for every tool.

A regression of ``log1p(units_sold)`` from price, discount, ratings, badges,
shipping, ad boosts, merchant figures, the urgency banner, origin and a normalised
size. Fixed seed, fixed split: the tools are what is compared, not the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEED = 42
TEST_SHARE = 0.2
TARGET = "units_sold"
NUMERIC_FEATURES = (
    "price",
    "retail_price",
    "discount",
    "rating",
    "rating_count",
    "badges_count",
    "badge_local_product",
    "badge_product_quality",
    "badge_fast_shipping",
    "uses_ad_boosts",
    "shipping_option_price",
    "shipping_is_express",
    "countries_shipped_to",
    "merchant_rating",
    "merchant_rating_count",
    "has_urgency_banner",
    "product_variation_inventory",
)
CATEGORICAL_FEATURES = ("origin_country", "size")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
# raw columns the features are built from (what a user's CSV must have)
MODEL_COLUMNS = (
    *(c for c in NUMERIC_FEATURES if c != "discount"),
    "origin_country",
    "product_variation_size_id",
    TARGET,
)
SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL")

# three configurations, trained side by side (the orchestration stage fans them out)
CONFIGS: dict[str, dict] = {
    "ridge": {"kind": "ridge", "alpha": 1.0},
    "forest": {"kind": "forest", "n_estimators": 60, "max_depth": 10},
    "boosting": {"kind": "boosting", "max_iter": 150, "learning_rate": 0.1},
}


def normalise_size(labels: pd.Series) -> pd.Series:
    """'Size S', 's', 'S.', '25-S' -> 'S'; anything else -> 'other'."""
    cleaned = (
        labels.astype("string").str.upper().str.replace(r"^SIZE[\s-]*|^\d+-|\.$", "", regex=True)
    )
    return cleaned.where(cleaned.isin(SIZES), "other").fillna("other").astype(object)


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """The workload's own cleaning: drop exact duplicates and rows without a target."""
    return frame.drop_duplicates().dropna(subset=[TARGET]).reset_index(drop=True)


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """Model inputs (a DataFrame with feature names) from raw Wish columns."""
    out = frame.reindex(columns=[c for c in NUMERIC_FEATURES if c != "discount"]).astype(float)
    out["discount"] = 1.0 - frame["price"] / frame["retail_price"].clip(lower=1)
    out["has_urgency_banner"] = out["has_urgency_banner"].fillna(0.0)
    out["origin_country"] = frame["origin_country"].fillna("unknown").astype(object)
    out["size"] = normalise_size(frame["product_variation_size_id"])
    return out[list(FEATURES)]


def target(frame: pd.DataFrame) -> pd.Series:
    return np.log1p(frame[TARGET].astype(float))


@dataclass(frozen=True)
class Split:
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


def split(frame: pd.DataFrame) -> Split:
    """Clean, build features and split with the fixed seed."""
    from sklearn.model_selection import train_test_split

    data = clean(frame)
    parts = train_test_split(features(data), target(data), test_size=TEST_SHARE, random_state=SEED)
    return Split(*parts)


def make_model(config: str = "boosting"):
    """An unfitted pipeline (preprocessing + regressor) for one of CONFIGS."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    params = dict(CONFIGS[config])
    kind = params.pop("kind")
    regressors = {
        "ridge": lambda: Ridge(**params),
        "forest": lambda: RandomForestRegressor(random_state=SEED, n_jobs=1, **params),
        "boosting": lambda: HistGradientBoostingRegressor(random_state=SEED, **params),
    }
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    prepare = ColumnTransformer(
        [("num", numeric, list(NUMERIC_FEATURES)), ("cat", categorical, list(CATEGORICAL_FEATURES))]
    )
    return Pipeline([("prepare", prepare), ("regress", regressors[kind]())])


def train(data: Split, config: str = "boosting"):
    """Fit one configuration on the training split."""
    return make_model(config).fit(data.x_train, data.y_train)


def score(model, data: Split) -> float:
    """R^2 on the test split."""
    return float(model.score(data.x_test, data.y_test))


def units_bucket(prediction: float) -> int:
    """The units-sold bucket (a lower bound, as Wish shows it) for a log1p prediction."""
    from scenarios.wish import UNITS_BUCKETS

    units = float(np.expm1(prediction))
    return max((b for b in UNITS_BUCKETS if b <= units), default=UNITS_BUCKETS[0])
