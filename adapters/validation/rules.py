"""The Wish data rules, written once as data; every validator translates them.

Each rule is keyed by the defect kind it catches (see scenarios.defects), so a
finding can be scored against the injected ground truth. Value rules let missing
values pass; ``not_null`` rules are the ones that catch them.
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.wish import BADGE_COLUMNS, COLUMNS, STAR_COLUMNS, UNITS_BUCKETS

CHECKS = ("not_null", "range", "in_set", "regex", "sum_equals", "unique_rows")


@dataclass(frozen=True)
class Rule:
    """One data rule. ``check`` is one of CHECKS; the other fields are its arguments."""

    kind: str
    check: str
    column: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    values: tuple = ()
    pattern: str = ""
    parts: tuple[str, ...] = ()  # sum_equals: these columns (missing = 0) sum to ``column``


# ISO 3166-1 alpha-2 shape, minus the user-assigned codes (AA, QM-QZ, XA-XZ, ZZ)
ISO_COUNTRY = r"^(?!AA|Q[M-Z]|X[A-Z]|ZZ)[A-Z]{2}$"

RULES: tuple[Rule, ...] = (
    Rule("null_required", "not_null", "price"),
    Rule("null_product_id", "not_null", "product_id"),
    Rule("price_out_of_range", "range", "price", minimum=0.01, maximum=1000),
    Rule("retail_price_out_of_range", "range", "retail_price", minimum=1, maximum=5000),
    Rule("rating_out_of_range", "range", "rating", minimum=1, maximum=5),
    Rule("shipping_price_out_of_range", "range", "shipping_option_price", minimum=1, maximum=50),
    Rule("units_sold_not_bucket", "in_set", "units_sold", values=UNITS_BUCKETS),
    Rule("bad_currency", "in_set", "currency_buyer", values=("EUR",)),
    Rule("unknown_origin", "regex", "origin_country", pattern=ISO_COUNTRY),
    Rule("bad_id_format", "regex", "product_id", pattern=r"^[0-9a-f]{24}$"),
    Rule("star_sum_mismatch", "sum_equals", "rating_count", parts=STAR_COLUMNS),
    Rule("badge_sum_mismatch", "sum_equals", "badges_count", parts=BADGE_COLUMNS),
    Rule("duplicate_row", "unique_rows", parts=COLUMNS),
)


def grouped(rules, translate) -> tuple[dict[str, list], list, set[str], list[str] | None]:
    """The rules as a schema-based tool (Pandera) takes them: per-column checks, frame
    checks (``sum_equals``), the not-null columns and the unique-row columns, each check
    made by ``translate(rule)``."""
    from collections import defaultdict

    checks, frame_checks, not_null, unique = defaultdict(list), [], set(), None
    for rule in rules:
        if rule.check == "not_null":
            not_null.add(rule.column)
        elif rule.check == "unique_rows":
            unique = list(rule.parts)
        elif rule.check == "sum_equals":
            frame_checks.append(translate(rule))
        else:
            checks[rule.column].append(translate(rule))
    return checks, frame_checks, not_null, unique
