"""Pandera: the rules as one ``DataFrameSchema``, validated lazily to collect every failure."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from adapters.validation.base import Finding, Inferred, Validator, source_of
from adapters.validation.rules import Rule, grouped


class PanderaValidator(Validator):
    name = "pandera"
    non_default_settings = (
        "lazy=True (default: lazy=False, which stops at the first broken check) to get "
        "every failing row of every rule; the default is timed as validate_default",
    )

    def build(self) -> None:
        self.schema = self.step("build a DataFrameSchema", self.schema_of_rules)
        # pandera names built-in checks after themselves ("in_range(1, 5)") in its failure
        # cases, so failures are mapped back to rules by (column, position of the check)
        self.kind_of = {
            (column, number): check.name
            for column, spec in self.schema.columns.items()
            for number, check in enumerate(spec.checks)
        }
        self.kind_of |= {
            (r.column, "not_nullable"): r.kind for r in self.rules if r.check == "not_null"
        }
        self.frame_kinds = {r.kind for r in self.rules if r.check == "sum_equals"}
        self.unique_kind = next((r.kind for r in self.rules if r.check == "unique_rows"), None)

    def schema_of_rules(self):
        """The rules as one schema: column checks, frame checks, nullability, uniqueness."""
        import pandera.pandas as pa

        checks, frame_checks, not_null, unique = grouped(self.rules, self.translate)
        columns = {
            name: pa.Column(nullable=name not in not_null, checks=checks[name], required=True)
            for name in {*checks, *not_null}
        }
        return pa.DataFrameSchema(
            columns, checks=frame_checks, unique=unique, report_duplicates="exclude_first"
        )

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

    @classmethod
    def user_code(cls) -> dict[str, str]:
        return {**super().user_code(), "the schema": source_of(cls.schema_of_rules)}

    def validate(self, frame: pd.DataFrame) -> list[Finding]:
        import pandera.errors

        try:
            self.schema.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            return self.findings(self._rows_by_kind(errors.failure_cases))
        return []

    def validate_default(self, frame: pd.DataFrame) -> list[Finding]:
        import pandera.errors

        try:
            self.schema.validate(frame)
        except pandera.errors.SchemaError as error:  # the first broken check only
            failures = pandera.errors.SchemaErrors(self.schema, [error], frame).failure_cases
            return self.findings(self._rows_by_kind(failures))
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

    def infer_rules(self, reference: pd.DataFrame, frame: pd.DataFrame) -> Inferred:
        import pandera.errors
        import pandera.pandas as pa

        schema = pa.infer_schema(reference)
        checks = sum(len(column.checks) + 1 for column in schema.columns.values())  # +1: dtype
        try:
            schema.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            rows = errors.failure_cases["index"].dropna().astype(int)
            return Inferred(checks, tuple(sorted(set(rows))))
        return Inferred(checks, ())
