"""Validation stage: data quality checks on the Wish frame."""

from adapters.registry import Tool

_HINT = "the validation extra: pip install -e '.[validation]'"

TOOLS = {
    "baseline": Tool("adapters.validation.baseline:PandasValidator", ("pandas",)),
    "great_expectations": Tool(
        "adapters.validation.great_expectations:GreatExpectationsValidator",
        ("great_expectations",),
        hint=_HINT,
    ),
    "pandera": Tool("adapters.validation.pandera:PanderaValidator", ("pandera",), hint=_HINT),
}
