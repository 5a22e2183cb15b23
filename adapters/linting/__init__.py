"""Linting stage: linters and formatters on a package with labelled defects and on real
code bases, each tool run as the program a user runs (``python -m <tool>``)."""

from adapters.registry import Tool

_HINT = "the linting extra: pip install -e '.[linting]'"

TOOLS = {
    "baseline": Tool("adapters.linting.baseline:PyCompileLinter"),
    "flake8_black_isort": Tool(
        "adapters.linting.flake8_black_isort:Flake8BlackIsortLinter",
        ("flake8", "black", "isort"),
        hint=_HINT,
    ),
    "pylint": Tool("adapters.linting.pylint:PylintLinter", ("pylint",), hint=_HINT),
    "ruff": Tool("adapters.linting.ruff:RuffLinter", ("ruff",), hint=_HINT),
}
