"""Plain PySpark: each rule a Column condition, one pass flags every row with its rules."""

from __future__ import annotations

from adapters.validation.base import Finding
from adapters.validation.rules import Rule
from adapters.validation.spark import ROW_ID
from adapters.validation.spark.base import SparkValidator


class SparkBaseline(SparkValidator):
    name = "baseline+spark"

    def build(self) -> None:
        self.checks = self.step(
            f"write {len(self.rules)} column conditions",
            lambda: {rule.kind: self.translate(rule) for rule in self.rules},
        )

    def translate(self, rule: Rule):
        """A Spark Column, True where the row breaks the rule."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        column = F.col(rule.column) if rule.column else None
        if rule.check == "not_null":
            return column.isNull()
        if rule.check == "range":
            return column.isNotNull() & ~column.between(rule.minimum, rule.maximum)
        if rule.check == "in_set":
            return column.isNotNull() & ~column.isin(list(rule.values))
        if rule.check == "regex":
            return column.isNotNull() & ~column.rlike(rule.pattern)
        if rule.check == "sum_equals":
            total = sum((F.coalesce(F.col(part), F.lit(0)) for part in rule.parts), F.lit(0))
            return ~total.eqNullSafe(column)
        if rule.check == "unique_rows":  # later copies of a row, as pandas' keep="first"
            copies = Window.partitionBy(*rule.parts).orderBy(ROW_ID)
            return F.row_number().over(copies) > 1
        raise ValueError(f"unknown check {rule.check!r}")

    def validate(self, frame) -> list[Finding]:
        from pyspark.sql import functions as F

        broken = F.array(*(F.when(c, F.lit(kind)) for kind, c in self.checks.items()))
        flagged = frame.select(ROW_ID, F.array_compact(broken).alias("rules"))
        found = flagged.select(ROW_ID, F.explode("rules").alias("rule")).toPandas()
        return self.findings(found.groupby("rule")[ROW_ID].apply(list).to_dict())
