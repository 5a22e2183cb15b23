"""What every serving app shares: the form's fields, the input checks and the prediction.

The apps (``apps/``) import this module in their own server process; the model is the
pickled scikit-learn pipeline named by the BAKEOFF_SERVING_MODEL variable; the apps
behind a team password (``apps/*_auth_app.py``) read it from BAKEOFF_APP_PASSWORD.
"""

from __future__ import annotations

import json
import math
import os
import pickle
from dataclasses import dataclass

MODEL_ENV = "BAKEOFF_SERVING_MODEL"
PASSWORD_ENV = "BAKEOFF_APP_PASSWORD"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    default: float
    flag: bool = False  # 0 or 1 only


NUMBER_FIELDS = (
    Field("price", "Price (EUR)", 8.0),
    Field("retail_price", "Retail price (EUR)", 20.0),
    Field("rating", "Rating (1-5)", 4.0),
    Field("rating_count", "Number of ratings", 150.0),
    Field("badge_local_product", "Badge: local product (0/1)", 0.0, flag=True),
    Field("badge_product_quality", "Badge: product quality (0/1)", 0.0, flag=True),
    Field("badge_fast_shipping", "Badge: fast shipping (0/1)", 0.0, flag=True),
    Field("uses_ad_boosts", "Ad boost (0/1)", 0.0, flag=True),
    Field("shipping_option_price", "Shipping price (EUR)", 2.0),
    Field("shipping_is_express", "Express shipping (0/1)", 0.0, flag=True),
    Field("countries_shipped_to", "Countries shipped to", 40.0),
    Field("merchant_rating", "Merchant rating (1-5)", 4.1),
    Field("merchant_rating_count", "Merchant rating count", 20000.0),
    Field("has_urgency_banner", "Urgency banner (0/1)", 0.0, flag=True),
    Field("product_variation_inventory", "Variation inventory", 50.0),
)
CHOICE_FIELDS = {
    "origin_country": ("CN", "US", "VE", "SG", "GB", "AT", "unknown"),
    "size": ("XXS", "XS", "S", "M", "L", "XL", "XXL", "other"),
}
FIELD_NAMES = tuple(f.name for f in NUMBER_FIELDS) + tuple(CHOICE_FIELDS)
BADGES = ("badge_local_product", "badge_product_quality", "badge_fast_shipping")


class InputError(ValueError):
    """Input the model cannot take; the message is one sentence for the user."""


@dataclass(frozen=True)
class Prediction:
    log_units: float  # what model.predict returns: log1p(units_sold)
    units_sold: float
    bucket: int

    def as_text(self) -> str:
        """The figure every page shows (two decimals of units sold)."""
        return format_units(self.units_sold)

    def as_json(self) -> dict[str, float | int]:
        """The JSON endpoint's answer."""
        return {"prediction": self.log_units, "units_sold": self.units_sold, "bucket": self.bucket}


def format_units(units_sold: float) -> str:
    return f"{units_sold:.2f}"


def default_inputs() -> dict[str, object]:
    """The form's initial values."""
    return {f.name: f.default for f in NUMBER_FIELDS} | {
        name: choices[0] for name, choices in CHOICE_FIELDS.items()
    }


def _number(field: Field, raw: object) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InputError(f"{field.label} is empty; enter a number.")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InputError(f"{field.label} must be a number.")
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{field.label} must be a number, not {str(raw)[:20]!r}.") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{field.label} must be a finite number of at least 0.")
    if field.flag and value not in (0.0, 1.0):
        raise InputError(f"{field.label} must be 0 or 1.")
    return value


def parse_inputs(raw: object) -> dict[str, object]:
    """Checked model inputs from a form or a JSON object; raises InputError."""
    if not isinstance(raw, dict):
        raise InputError("The request body must be a JSON object with the product's fields.")
    missing = [name for name in FIELD_NAMES if name not in raw]
    if missing:
        more = ", ..." if len(missing) > 3 else ""
        raise InputError(f"Missing {len(missing)} field(s): {', '.join(missing[:3])}{more}.")
    inputs: dict[str, object] = {f.name: _number(f, raw[f.name]) for f in NUMBER_FIELDS}
    for name, choices in CHOICE_FIELDS.items():
        if raw[name] not in choices:
            raise InputError(f"{name} must be one of {', '.join(choices)}.")
        inputs[name] = raw[name]
    return inputs


def _body(**changes: object) -> bytes:
    return json.dumps(default_inputs() | changes).encode()


# what a careless client sends; each must get HTTP 400 with a message, the server up
BAD_JSON = {
    "empty body": b"",
    "not JSON": b"price=8",
    "a list, not an object": b"[1, 2]",
    "missing field": json.dumps({"price": 8.0}).encode(),
    "text price": _body(price="abc"),
    "negative price": _body(price=-3),
    "NaN price": _body(price=float("nan")),  # Python's json accepts NaN
}


def model_frame(inputs: dict[str, object]):
    """The one-row feature DataFrame (with feature names) that the model predicts from."""
    import pandas as pd

    from scenarios.model import features

    row = dict(inputs, product_variation_size_id=inputs["size"])
    row["badges_count"] = sum(float(row[name]) for name in BADGES)
    return features(pd.DataFrame([row]))


def load_model(path: str | None = None):
    """The pickled model at ``path`` (default: the BAKEOFF_SERVING_MODEL variable)."""
    with open(path or os.environ[MODEL_ENV], "rb") as handle:
        return pickle.load(handle)


def predict(model, inputs: dict[str, object]) -> Prediction:
    import numpy as np

    from scenarios.model import units_bucket

    log_units = float(model.predict(model_frame(inputs))[0])
    return Prediction(log_units, float(np.expm1(log_units)), units_bucket(log_units))
