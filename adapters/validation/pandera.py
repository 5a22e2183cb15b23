"""Pandera: the rules as one ``DataFrameSchema``, validated lazily to collect every failure."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from adapters.validation.base import Finding, Validator
from adapters.validation.rules import Rule


class PanderaValidator(Validator):
    name = "pandera"

    def build(self) -> None:
        import pandera.pandas as pa

        checks, frame_checks, not_null, unique = defaultdict(list), [], set(), None
        for rule in self.rules:
            native = self.translate(rule)
            if rule.check == "not_null":
                not_null.add(rule.column)
            elif rule.check == "unique_rows":
                unique = list(rule.parts)
            elif rule.check == "sum_equals":
                frame_checks.append(native)
            else:
                checks[rule.column].append(native)
        columns = {
            name: pa.Column(nullable=name not in not_null, checks=checks[name], required=True)
            for name in {*checks, *not_null}
        }
        self.schema = self.step(
            "build a DataFrameSchema",
            lambda: pa.DataFrameSchema(
                columns, checks=frame_checks, unique=unique, report_duplicates="exclude_first"
            ),
        )
        # pandera names built-in checks after themselves ("in_range(1, 5)"), so failures
        # are mapped back to rules by (column, position in the column's checks)
        self.kind_of = {
            (column, number): check.name
            for column, natives in checks.items()
            for number, check in enumerate(natives)
        }
        self.kind_of |= {
            (r.column, "not_nullable"): r.kind for r in self.rules if r.check == "not_null"
        }
        self.frame_kinds = {r.kind for r in self.rules if r.check == "sum_equals"}
        self.unique_kind = next((r.kind for r in self.rules if r.check == "unique_rows"), None)

    def translate(self, rule: Rule):
        """A pandera Check named after the rule's kind (not_null/unique: schema options)."""
        import pandera.pandas as pa

        if rule.check == "range":
            return pa.Check.in_range(rule.minimum, rule.maximum, name=rule.kind)
        if rule.check == "in_set":
            return pa.Check.isin(rule.values, name=rule.kind)
        if rule.check == "regex":
            return pa.Check.str_matches(rule.pattern, name=rule.kind)
        if rule.check == "sum_equals":
            parts, total = list(rule.parts), rule.column
            return pa.Check(
                lambda f: f[parts].fillna(0).sum(axis=1) == f[total],
                name=rule.kind,
                ignore_na=False,
            )
        return None  # not_null and unique_rows are options of the schema itself

    def validate(self, frame: pd.DataFrame) -> list[Finding]:
        import pandera.errors

        try:
            self.schema.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            return self.findings(self._rows_by_kind(errors.failure_cases))
        return []

    def _rows_by_kind(self, failures: pd.DataFrame) -> dict[str, list]:
        rows: dict[str, list] = defaultdict(list)
        keys = ["check", "column", "check_number"]
        for (check, column, number), group in failures.groupby(keys, dropna=False):
            if check == "multiple_fields_uniqueness":
                kind = self.unique_kind
            elif check in self.frame_kinds:  # frame-level checks keep their names
                kind = check
            else:
                kind = self.kind_of[(column, "not_nullable" if check == "not_nullable" else number)]
            rows[kind] += group["index"].dropna().astype(int).tolist()
        return rows

    def infer_rules(self, frame: pd.DataFrame) -> int:
        import pandera.pandas as pa

        schema = pa.infer_schema(frame)
        schema.validate(frame)  # what it inferred must accept the frame it came from
        return sum(len(column.checks) + 1 for column in schema.columns.values())
