"""Pandera's PySpark backend (``pandera.pyspark``): the rules as one DataFrameSchema.

On Spark, Pandera answers *whether* each check passed (each check runs
``filter(~condition).limit(1).count()``) and returns an error summary
(``frame.pandera.errors``): which column and check failed, not the failing rows. So its
findings name the broken rules with no rows (``returns_rows = False``).
"""

from __future__ import annotations

from adapters.validation.base import Finding, source_of
from adapters.validation.rules import Rule, grouped
from adapters.validation.spark.base import SparkValidator

# Pandera's PySpark checks need each checked column's Spark type in the schema
TYPES = {
    "price": "double",
    "retail_price": "double",
    "rating": "double",
    "shipping_option_price": "double",
    "units_sold": "double",
    "currency_buyer": "string",
    "origin_country": "string",
    "product_id": "string",
}


class PanderaSparkValidator(SparkValidator):
    name = "pandera+spark"
    returns_rows = False

    def build(self) -> None:
        self.schema = self.step("build a pandera.pyspark DataFrameSchema", self.schema_of_rules)
        # the summary names a check by its ``error`` text (the rule's kind, see translate),
        # a null in a non-nullable column as "not_nullable", duplicate rows as "unique"
        self.kind_of = {(None, rule.kind): rule.kind for rule in self.rules}
        for rule in self.rules:
            if rule.check == "not_null":
                self.kind_of[(rule.column, "not_nullable")] = rule.kind
            elif rule.check == "unique_rows":
                self.kind_of[(None, "unique")] = rule.kind

    def schema_of_rules(self):
        """The rules as one schema: typed columns with checks, frame checks, uniqueness."""
        import pandera.pyspark as pa
        from pyspark.sql.types import _parse_datatype_string

        checks, frame_checks, not_null, unique = grouped(self.rules, self.translate)
        columns = {
            name: pa.Column(
                _parse_datatype_string(TYPES[name]),
                checks=checks[name],
                nullable=name not in not_null,
            )
            for name in {*checks, *not_null}
        }
        return pa.DataFrameSchema(columns, checks=frame_checks, unique=unique)

    def translate(self, rule: Rule):
        """A pandera Check whose error text is the rule's kind (not_null/unique: options)."""
        import pandera.pyspark as pa
        from pyspark.sql import functions as F

        label = {"name": rule.kind, "error": rule.kind}
        if rule.check == "range":
            return pa.Check.in_range(rule.minimum, rule.maximum, **label)
        if rule.check == "in_set":
            return pa.Check.isin(list(rule.values), **label)
        if rule.check == "regex":
            return pa.Check.str_matches(rule.pattern, **label)
        if rule.check == "sum_equals":
            total = sum((F.coalesce(F.col(p), F.lit(0)) for p in rule.parts), F.lit(0))
            matches = total.eqNullSafe(F.col(rule.column))
            return pa.Check(lambda frame: frame.filter(~matches).limit(1).count() == 0, **label)
        return None  # not_null and unique_rows are options of the schema itself

    @classmethod
    def user_code(cls) -> dict[str, str]:
        types = "\n".join(f"{name}: {kind}" for name, kind in TYPES.items())
        return {
            **super().user_code(),
            "the schema": source_of(cls.schema_of_rules),
            "column types": types,
        }

    def validate(self, frame) -> list[Finding]:
        checked = self.schema.validate(frame, lazy=True)
        self.summary = checked.pandera.errors
        failed = [
            entry
            for reasons in self.summary.values()
            for entries in reasons.values()
            for entry in entries
        ]
        rows = {}
        for entry in failed:
            check = entry["check"]
            column = entry["column"] if check == "not_nullable" else None
            kind = self.kind_of.get((column, check))
            if kind is None:  # a failure that is no rule's (a wrong type, a check that raised)
                raise RuntimeError(f"pandera reported {entry['check']}: {entry['error']}")
            rows[kind] = ()
        columns = {rule.kind: rule.column for rule in self.rules}
        return [Finding(kind, columns[kind], ()) for kind in rows]
