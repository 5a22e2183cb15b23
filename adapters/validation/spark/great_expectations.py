"""Great Expectations 1.x on Spark: the same expectation suite through a Spark data source.

The suite is the pandas adapter's (same expectations, same custom "parts sum to a total"
expectation); on Spark that custom metric needs its Spark implementation too, which a
user writes beside it. Failing rows are asked for by ``row_id``
(``unexpected_index_column_names``).
"""

from __future__ import annotations

import functools

from adapters.validation.base import Finding, source_of
from adapters.validation.great_expectations import (
    GreatExpectationsValidator,
    _raise_if_errored,
    _sum_expectation,
)
from adapters.validation.spark import ROW_ID
from adapters.validation.spark.base import SparkValidator


@functools.cache
def _sum_on_spark() -> None:
    """Register (once) the Spark implementation of the custom 'parts sum to the last
    column' metric; the expectation itself is the pandas adapter's."""
    from great_expectations.execution_engine import SparkDFExecutionEngine
    from great_expectations.expectations.metrics.map_metric_provider import (
        MulticolumnMapMetricProvider,
        multicolumn_condition_partial,
    )
    from pyspark.sql import functions as F

    _sum_expectation()

    class MulticolumnPartsSumToLastOnSpark(MulticolumnMapMetricProvider):
        condition_metric_name = "multicolumn_values.parts_sum_to_last"
        condition_domain_keys = (
            "batch_id",
            "table",
            "column_list",
            "row_condition",
            "condition_parser",
            "ignore_row_if",
        )

        @multicolumn_condition_partial(engine=SparkDFExecutionEngine)
        def _spark(cls, column_list, **kwargs):
            *parts, total = column_list.columns
            summed = sum((F.coalesce(F.col(p), F.lit(0)) for p in parts), F.lit(0))
            return summed.eqNullSafe(F.col(total))


def _declared_pyspark() -> tuple[str, str]:
    """(GX's declared PySpark range for its ``spark`` extra, the installed PySpark)."""
    from importlib.metadata import requires, version

    from packaging.requirements import Requirement

    for text in requires("great_expectations") or []:
        requirement = Requirement(text)
        spark_extra = requirement.marker and requirement.marker.evaluate({"extra": "spark"})
        if requirement.name == "pyspark" and spark_extra:
            return str(requirement.specifier), version("pyspark")
    return "", version("pyspark")


class GreatExpectationsSparkValidator(SparkValidator, GreatExpectationsValidator):
    name = "great_expectations+spark"
    non_default_settings = (
        "result_format=COMPLETE with unexpected_index_column_names=['row_id'] (default: "
        "SUMMARY, at most 20 failing values per expectation and no row identifiers) to get "
        "every failing row",
    )

    @classmethod
    def unsupported_reason(cls) -> str | None:
        from importlib.metadata import version

        from packaging.specifiers import SpecifierSet

        declared, installed = _declared_pyspark()
        if declared and not SpecifierSet(declared).contains(installed, prereleases=True):
            return (
                f"great_expectations {version('great_expectations')} declares pyspark"
                f"{declared} for its spark extra; pyspark {installed} is installed"
            )
        return None

    def build(self) -> None:
        reason = self.unsupported_reason()
        if reason:
            from adapters.base import NotRunnable

            raise NotRunnable(reason)
        _sum_on_spark()
        super().build()

    def add_source(self, context):
        add = context.data_sources.add_spark
        return self.step("add a Spark data source", lambda: add("wish"))

    @classmethod
    def user_code(cls) -> dict[str, str]:
        spark_metric = "custom expectation's Spark implementation"
        return {**GreatExpectationsValidator.user_code(), spark_metric: source_of(_sum_on_spark)}

    def validate(self, frame) -> list[Finding]:
        result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}
        result = self.definition.run(
            batch_parameters={"dataframe": frame}, result_format=result_format
        )
        rows = {}
        for outcome in result.results:
            _raise_if_errored(outcome)
            if not outcome.success:
                kind = outcome.expectation_config.meta["kind"]
                rows[kind] = outcome.result.get("unexpected_index_list") or []
        if rows.get("duplicate_row"):
            rows["duplicate_row"] = _later_copies(rows["duplicate_row"])
        return self.findings({kind: [row[ROW_ID] for row in found] for kind, found in rows.items()})


def _later_copies(members: list[dict]) -> list[dict]:
    """GX flags every member of a duplicate group (with its values); keep the later
    copies, as the others do."""
    import pandas as pd

    table = pd.DataFrame(members).sort_values(ROW_ID)
    values = [column for column in table.columns if column != ROW_ID]
    return table[table.duplicated(subset=values, keep="first")].to_dict("records")
