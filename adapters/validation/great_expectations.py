"""Great Expectations 1.x: an expectation suite run through a real (ephemeral) GX context.

GX has no built-in "these columns sum to that column" expectation, so the rule is a
custom multicolumn expectation, GX's documented extension point; a user writes it too,
so its lines count as user code beside the expectations.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd

from adapters.validation.base import Finding, Inferred, Validator, source_of
from adapters.validation.rules import Rule

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@functools.cache
def _sum_expectation():
    """Register (once) and return a custom 'parts sum to the last column' expectation."""
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import MulticolumnMapExpectation
    from great_expectations.expectations.metrics.map_metric_provider import (
        MulticolumnMapMetricProvider,
        multicolumn_condition_partial,
    )

    class MulticolumnPartsSumToLast(MulticolumnMapMetricProvider):
        condition_metric_name = "multicolumn_values.parts_sum_to_last"
        condition_domain_keys = (
            "batch_id",
            "table",
            "column_list",
            "row_condition",
            "condition_parser",
            "ignore_row_if",
        )

        @multicolumn_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column_list, **kwargs):
            return column_list.iloc[:, :-1].fillna(0).sum(axis=1) == column_list.iloc[:, -1]

    class ExpectMulticolumnPartsToSumToLast(MulticolumnMapExpectation):
        map_metric = "multicolumn_values.parts_sum_to_last"
        ignore_row_if: str = "never"

    return ExpectMulticolumnPartsToSumToLast


def _raise_if_errored(outcome) -> None:
    """GX reports an expectation that crashed as a failed result; surface it as an error."""
    info = outcome.exception_info or {}
    errors = [info] if "raised_exception" in info else list(info.values())
    for error in errors:
        if error.get("raised_exception"):
            raise RuntimeError(error.get("exception_message") or "an expectation raised")


class GreatExpectationsValidator(Validator):
    name = "great_expectations"
    non_default_settings = (
        "result_format=COMPLETE (default: SUMMARY, which lists at most 20 failing rows per "
        "expectation) to get every failing row index; the default is timed as "
        "validate_default",
    )

    def add_source(self, context):
        """The GX data source the frames are read through (Spark's adapter overrides it)."""
        add = context.data_sources.add_pandas
        return self.step("add a pandas data source", lambda: add("wish"))

    def build(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = self.context = self.step(
            "create an ephemeral GX context", lambda: gx.get_context(mode="ephemeral")
        )
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.add_source(context)
        asset = self.step("add a dataframe asset", lambda: source.add_dataframe_asset("listings"))
        batch = self.step(
            "add a whole-frame batch definition",
            lambda: asset.add_batch_definition_whole_dataframe("all"),
        )
        suite = self.step(
            "create an expectation suite",
            lambda: context.suites.add(gx.ExpectationSuite(name="wish")),
        )
        for rule in self.rules:
            suite.add_expectation(self.translate(rule))
        self.step(f"add {len(self.rules)} expectations to the suite")
        self.definition = self.step(
            "create a validation definition",
            lambda: context.validation_definitions.add(
                gx.ValidationDefinition(name="wish-rules", data=batch, suite=suite)
            ),
        )

    def translate(self, rule: Rule):
        """One GX expectation; ``meta`` carries the rule's kind back from the results."""
        import great_expectations.expectations as gxe

        meta, column = {"kind": rule.kind}, rule.column
        if rule.check == "not_null":
            return gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta)
        if rule.check == "range":
            return gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=rule.minimum, max_value=rule.maximum, meta=meta
            )
        if rule.check == "in_set":
            return gxe.ExpectColumnValuesToBeInSet(
                column=column, value_set=list(rule.values), meta=meta
            )
        if rule.check == "regex":
            return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=rule.pattern, meta=meta)
        if rule.check == "sum_equals":
            return _sum_expectation()(column_list=[*rule.parts, column], meta=meta)
        if rule.check == "unique_rows":
            return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(rule.parts), meta=meta)
        raise ValueError(f"unknown check {rule.check!r}")

    def validate(self, frame: pd.DataFrame) -> list[Finding]:
        return self._findings(frame, "COMPLETE", "unexpected_index_list")

    def validate_default(self, frame: pd.DataFrame) -> list[Finding]:
        return self._findings(frame, None, "partial_unexpected_index_list")

    def _findings(self, frame: pd.DataFrame, result_format: str | None, key: str):
        """Run the suite (GX's default result format when ``result_format`` is None) and
        read each failed expectation's row indices from ``result[key]``."""
        options = {"result_format": {"result_format": result_format}} if result_format else {}
        result = self.definition.run(batch_parameters={"dataframe": frame}, **options)
        rows = {}
        for outcome in result.results:
            _raise_if_errored(outcome)
            if not outcome.success:
                kind = outcome.expectation_config.meta["kind"]
                rows[kind] = outcome.result.get(key) or []
        if rows.get("duplicate_row"):
            rows["duplicate_row"] = self._later_copies(frame, rows["duplicate_row"])
        return self.findings(rows)

    @staticmethod
    def _later_copies(frame: pd.DataFrame, flagged: list) -> list:
        """GX flags every member of a duplicate group; keep the later copies, as the others do."""
        members = frame.loc[sorted(flagged)]
        return members.index[members.duplicated(keep="first")].tolist()

    def html_report(self, frame: pd.DataFrame, path: Path) -> Path:
        from great_expectations.render.renderer import ValidationResultsPageRenderer
        from great_expectations.render.view import DefaultJinjaPageView

        result = self.definition.run(batch_parameters={"dataframe": frame})
        page = ValidationResultsPageRenderer().render(result)
        path.write_text(DefaultJinjaPageView().render(page), encoding="utf-8")
        return path

    def infer_rules(self, reference: pd.DataFrame, frame: pd.DataFrame) -> Inferred:
        try:
            assistants = self.context.assistants  # GX 0.x's rule profiler entry point
        except AttributeError as error:
            reason = f"GX 1.x has no rule profiler ({error})"
            raise self.not_supported("infer_rules", reason) from None
        raise RuntimeError(f"GX has a profiler again ({assistants!r}); bakeoff cannot drive it")

    @classmethod
    def user_code(cls) -> dict[str, str]:
        custom = "custom expectation (columns sum to a total)"
        return {**super().user_code(), custom: source_of(_sum_expectation)}
