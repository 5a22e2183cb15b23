"""Plain pandas checks: what a team writes by hand, the floor for the other tools."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from adapters.validation.base import Finding, Validator, source_of
from adapters.validation.rules import Rule


class PandasValidator(Validator):
    name = "baseline"

    def build(self) -> None:
        self.checks = self.step(
            f"write {len(self.rules)} check functions",
            lambda: {rule.kind: self.translate(rule) for rule in self.rules},
        )

    def translate(self, rule: Rule):
        """A function frame -> boolean Series, True where the row breaks the rule."""
        column = rule.column
        if rule.check == "not_null":
            return lambda f: f[column].isna()
        if rule.check == "range":
            return lambda f: f[column].notna() & ~f[column].between(rule.minimum, rule.maximum)
        if rule.check == "in_set":
            return lambda f: f[column].notna() & ~f[column].isin(rule.values)
        if rule.check == "regex":
            return lambda f: f[column].notna() & ~f[column].astype(str).str.match(rule.pattern)
        if rule.check == "sum_equals":
            return lambda f: f[list(rule.parts)].fillna(0).sum(axis=1) != f[column]
        if rule.check == "unique_rows":
            return lambda f: f.duplicated(subset=list(rule.parts), keep="first")
        raise ValueError(f"unknown check {rule.check!r}")

    @classmethod
    def user_code(cls) -> dict[str, str]:
        """The floor's code is all the user's to write and maintain: the rules, and running
        them and showing the result, which a tool would do."""
        run = "\n".join(source_of(method) for method in (cls.validate, cls.html_report))
        return {**super().user_code(), "running the checks and the report page (pandas)": run}

    def validate(self, frame: pd.DataFrame) -> list[Finding]:
        return self.findings(
            {kind: frame.index[broken(frame)].tolist() for kind, broken in self.checks.items()}
        )

    def html_report(self, frame: pd.DataFrame, path: Path) -> Path:
        findings = pd.DataFrame(
            [(f.rule, f.column, f.count) for f in self.validate(frame)],
            columns=["rule", "column", "rows flagged"],
        )
        path.write_text(findings.to_html(index=False), encoding="utf-8")
        return path
