"""The validation interface: translate the shared rules, validate a frame.

Contracts (what is true when each call returns):

- ``validate(frame)``: every rule was checked against every row of ``frame``, and the
  findings name, per broken rule, *every* row (position) that breaks it, not a sample.
  Recall and precision are computed from these rows, so a tool whose default returns
  fewer rows is asked for all of them (:attr:`Validator.non_default_settings` says how).
- ``validate_default(frame)``: the same check with the tool's default settings, as a
  user calling it plainly would; its findings may be partial (a sample of rows, or the
  first broken rule only). Timed beside ``validate`` so the cost of the extra is shown.
- ``html_report(frame, path)``: ``path`` holds an HTML page a person can read without
  the tool running; what it must show is judged by the benchmark, the same way for all.
- ``infer_rules(reference, frame)``: the tool proposed checks from ``reference`` alone
  (no rules given) and ``frame`` was checked against them.
"""

from __future__ import annotations

import abc
import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from adapters.base import Adapter
from adapters.validation.rules import RULES, Rule


@dataclass(frozen=True)
class Finding:
    """Rows of the frame (positions) that break one rule."""

    rule: str  # the rule's kind, e.g. "price_out_of_range"
    column: str | None
    rows: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Inferred:
    """Checks a tool inferred from reference data, and the rows of a frame they reject."""

    checks: int
    rows: tuple[int, ...]


class Validator(Adapter):
    """Checks a Wish frame against RULES with one tool."""

    stage = "validation"
    operations = ("validate", "validate_default", "html_report", "infer_rules")
    # what ``validate`` asks of the tool beyond its defaults, one sentence each
    non_default_settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rules: tuple[Rule, ...] = RULES, workdir=None):
        super().__init__(workdir)
        self.rules = rules

    def setup(self) -> None:
        self.build()

    @abc.abstractmethod
    def build(self) -> None:
        """Translate ``self.rules`` into the tool's native suite/schema, recording steps."""

    @abc.abstractmethod
    def translate(self, rule: Rule):
        """The tool's native form of one rule."""

    @abc.abstractmethod
    def validate(self, frame: pd.DataFrame) -> list[Finding]:
        """Check ``frame`` (RangeIndex); one Finding per broken rule with all its rows."""

    def validate_default(self, frame: pd.DataFrame) -> list[Finding]:
        """Check ``frame`` with the tool's default settings. A tool whose ``validate``
        needs no non-default setting is already at its default."""
        return self.validate(frame)

    def html_report(self, frame: pd.DataFrame, path: Path) -> Path:
        """Validate ``frame`` and write a report a person can read as HTML at ``path``."""
        raise self.not_supported("html_report", "it has no HTML report of a validation")

    def infer_rules(self, reference: pd.DataFrame, frame: pd.DataFrame) -> Inferred:
        """Infer checks from ``reference`` and check ``frame`` (RangeIndex) against them."""
        raise self.not_supported("infer_rules", "it cannot infer rules from data")

    @classmethod
    def user_code(cls) -> dict[str, str]:
        """What a user writes to state the rules in this tool's form: label -> source
        (docstrings left out). Bakeoff's glue (mapping results back to rules) is not in it."""
        return {"rules in the tool's form": source_of(cls.translate)}

    def findings(self, rows_by_kind: dict[str, list]) -> list[Finding]:
        """Findings from ``{kind: row labels}`` (labels are positions: a RangeIndex)."""
        columns = {rule.kind: rule.column for rule in self.rules}
        return [
            Finding(kind, columns[kind], tuple(sorted({int(r) for r in rows})))
            for kind, rows in rows_by_kind.items()
            if len(rows)
        ]


def source_of(function: Callable) -> str:
    """The source of ``function`` without its docstring."""
    source = textwrap.dedent(inspect.getsource(function))
    body = ast.parse(source).body[0].body
    lines = source.splitlines()
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        del lines[first.lineno - 1 : first.end_lineno]
    return "\n".join(lines)
