"""Plain scipy tests per column and an HTML table: the floor for the other tools."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from adapters.monitoring.base import ColumnVerdict, DriftMonitor, source_of
from adapters.monitoring.stats import STATISTICS_CODE, scipy_verdicts


class ScipyMonitor(DriftMonitor):
    name = "baseline"
    detection = "scipy KS / chi-square per column, p < 0.05 decided in the user's own Python code"

    def setup(self) -> None:
        self.verdicts: list[ColumnVerdict] = []
        self.step("write a KS test per number and a chi-square test per category")

    def check(self, reference: pd.DataFrame, current: pd.DataFrame, batch: str):
        self.require_columns(reference, current)
        self.batch = batch
        self.verdicts = scipy_verdicts(reference, current, self.numeric, self.categorical)
        return self.verdicts

    def report(self, directory: Path) -> Path:
        path = Path(directory) / f"drift-{self.batch}.html"
        html_table(path, self.batch, self.verdicts)
        return path

    def user_code(self) -> dict[str, str]:
        return {
            "statistics code (scipy KS / chi-square)": source_of(*STATISTICS_CODE),
            "threshold and verdicts": source_of(scipy_verdicts),
            "HTML table of the verdicts": source_of(html_table),
        }


def html_table(path: Path, batch: str, verdicts: list[ColumnVerdict]) -> None:
    table = pd.DataFrame([asdict(v) for v in verdicts]).to_html(index=False)
    path.write_text(f"<html><body><h1>Drift: {batch}</h1>{table}</body></html>")
