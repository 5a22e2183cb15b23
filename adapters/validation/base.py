"""The validation interface: translate the shared rules, validate a frame."""

from __future__ import annotations

import abc
import inspect
from dataclasses import dataclass
from pathlib import Path

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


class Validator(Adapter):
    """Checks a Wish frame against RULES with one tool."""

    stage = "validation"
    operations = ("validate", "html_report", "infer_rules")

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
        """Check ``frame`` (RangeIndex) and return one Finding per broken rule."""

    def html_report(self, frame: pd.DataFrame, path: Path) -> Path:
        """Validate ``frame`` and write a report a person can read as HTML at ``path``."""
        raise self.not_supported("html_report", "it has no HTML report of a validation")

    def infer_rules(self, frame: pd.DataFrame) -> int:
        """Infer rules from a clean ``frame``; return how many checks the tool proposed."""
        raise self.not_supported("infer_rules", "it cannot infer rules from data")

    @classmethod
    def translation_lines(cls) -> int:
        """Lines of code of the rule translation (``translate``), blank lines excluded."""
        source = inspect.getsource(cls.translate).splitlines()
        return sum(1 for line in source if line.strip() and not line.strip().startswith("#"))

    def findings(self, rows_by_kind: dict[str, list]) -> list[Finding]:
        """Findings from ``{kind: row labels}`` (labels are positions: a RangeIndex)."""
        columns = {rule.kind: rule.column for rule in self.rules}
        return [
            Finding(kind, columns[kind], tuple(sorted({int(r) for r in rows})))
            for kind, rows in rows_by_kind.items()
            if len(rows)
        ]
