"""Linting stage: linters and formatters on a package with labelled defects and on real
code bases, each tool run as the program a user runs (``python -m <tool>``)."""

from adapters.linting import package
from adapters.registry import Stage, Tool

_HINT = "the linting extra: pip install -e '.[linting]'"
# a size is the lines of source of one installed code base (flask, then rich beside it)
_CODE_BASE_LINES = tuple(package.code_bases_by_lines())

STAGE = Stage(
    name="Linting",
    question="Linting and style: which finds real defects fastest, with fewest false alarms?",
    place=1,
    box="code checks",
    sizes=_CODE_BASE_LINES,
    quick=_CODE_BASE_LINES[:1],
    unit="lines of source",
    tool_names={
        "flake8_black_isort": "flake8 + black + isort",
        "pylint": "Pylint",
        "ruff": "Ruff",
    },
)

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

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {
    "formats code": "formats code",
    "sorts imports": "flags unsorted imports",
    "finds undefined names (bugs, not style)": "flags undefined names",
    "finds unused imports and variables": "flags unused names",
}
