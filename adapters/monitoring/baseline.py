"""Plain scipy tests per column and an HTML table: the floor for the other tools."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from adapters.monitoring.base import ColumnVerdict, DriftMonitor
from adapters.monitoring.stats import scipy_verdicts


class ScipyMonitor(DriftMonitor):
    name = "baseline"

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
        table = pd.DataFrame([asdict(v) for v in self.verdicts]).to_html(index=False)
        path.write_text(f"<html><body><h1>Drift: {self.batch}</h1>{table}</body></html>")
        return path
