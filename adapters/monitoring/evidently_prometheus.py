"""Evidently's drift scores exported to Prometheus: the stack teams build.

Each check runs Evidently's DataDriftPreset with its defaults and pushes each column's
drift score (a p-value or a distance, by Evidently's chosen method) to the Pushgateway;
Prometheus's alert rule, with the thresholds of Evidently's defaults, decides the
verdicts (see ``adapters.monitoring.prometheus``). The report is Evidently's HTML.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from adapters.monitoring.base import source_of
from adapters.monitoring.evidently import (
    data_definition,
    drift_report,
    drift_scores_report,
    run_on_columns,
)
from adapters.monitoring.prometheus import PrometheusAlerting, Statistic


class EvidentlyPrometheusMonitor(PrometheusAlerting):
    name = "evidently_prometheus"
    detection = (
        "Evidently's default drift scores per column; Prometheus evaluates the alert threshold"
    )

    checked_together = (
        f"{PrometheusAlerting.checked_together}; Evidently's scores from the preset's "
        "per-column ValueDrift metrics alone, without the preset's page: the same scores"
    )

    def setup(self) -> None:
        self.definition = self.step(
            "declare numerical and categorical columns in an Evidently DataDefinition",
            lambda: data_definition(self.numeric, self.categorical),
        )
        super().setup()

    def statistics(self, reference: pd.DataFrame, current: pd.DataFrame) -> list[Statistic]:
        self.run = run_on_columns(drift_report, reference, current, self.definition, {})
        return evidently_statistics(self.run.dict())

    def statistics_of_many(self, reference: pd.DataFrame, current: pd.DataFrame):
        """The same scores from the preset's ValueDrift metrics alone (no page drawn)."""
        run = run_on_columns(drift_scores_report, reference, current, self.definition, {})
        return evidently_statistics(run.dict())

    def report(self, directory: Path) -> Path:
        """Evidently's HTML report of the last check."""
        path = Path(directory) / f"evidently-{self.batch}.html"
        self.run.save_html(str(path))
        return path

    def statistics_code(self) -> dict[str, str]:
        return {
            "drift report definition": source_of(data_definition, drift_report),
            "export of Evidently's scores": source_of(evidently_statistics),
        }


def evidently_statistics(result: dict) -> list[Statistic]:
    # which of Evidently's default methods give p-values and which distances
    p_values = ("K-S p_value", "chi-square p_value", "Z-test p_value")
    distances = ("Wasserstein distance (normed)", "Jensen-Shannon distance")
    kinds = dict.fromkeys(p_values, "p_value") | dict.fromkeys(distances, "distance")
    out = []
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            if config["method"] not in kinds:
                raise ValueError(f"no alert rule for Evidently's method {config['method']!r}")
            kind = kinds[config["method"]]
            out.append(Statistic(config["column"], float(metric["value"]), config["method"], kind))
    return out
