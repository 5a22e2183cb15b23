"""The monitoring interface: compare a batch with the reference, show it, alert on drift."""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adapters.base import Adapter
from scenarios.drift import CATEGORICAL, NUMERIC

P_VALUE_LEVEL = 0.05  # the baseline's test level; tools keep their own documented thresholds


@dataclass(frozen=True)
class ColumnVerdict:
    """Whether one column of a batch drifted from the reference, and by which test."""

    column: str
    drifted: bool
    score: float  # a p-value or a distance, as named by ``test``
    test: str


@dataclass(frozen=True)
class Alert:
    """An alert raised for a batch with drifted columns."""

    batch: str
    columns: tuple[str, ...]
    raised_by: str  # "the tool" when the tool evaluates the rule itself, else "bakeoff code"
    seconds: float  # from the verdicts being known to the alert being raised


def drifted_columns(verdicts: list[ColumnVerdict]) -> tuple[str, ...]:
    return tuple(sorted(v.column for v in verdicts if v.drifted))


class DriftMonitor(Adapter):
    """Watches the monitored columns of the Wish frame with one tool."""

    stage = "monitoring"
    operations = ("check", "report", "alert", "dashboard", "history")

    def __init__(
        self,
        numeric: tuple[str, ...] = NUMERIC,
        categorical: tuple[str, ...] = CATEGORICAL,
        workdir: Path | None = None,
    ):
        super().__init__(workdir)
        self.numeric, self.categorical = numeric, categorical

    @abc.abstractmethod
    def check(self, reference: pd.DataFrame, current: pd.DataFrame, batch: str):
        """Compare ``current`` with ``reference``; one ColumnVerdict per monitored column.

        Raises KeyError (wrapped as AdapterError) when a monitored column is missing.
        """

    @abc.abstractmethod
    def report(self, directory: Path) -> Path:
        """Write the artifact a person looks at for the last check; returns its path."""

    def alert(self, batch: str, verdicts: list[ColumnVerdict]) -> Alert | None:
        """An Alert when any column drifted, else None (default: raised by our own code)."""
        started = time.perf_counter()
        columns = drifted_columns(verdicts)
        if not columns:
            return None
        return Alert(batch, columns, "bakeoff code", time.perf_counter() - started)

    def dashboard(self, directory: Path) -> str:
        """Build a dashboard over the checks so far; returns evidence that it shows them."""
        raise self.not_supported("dashboard")

    def history(self) -> int:
        """How many past checks the tool itself keeps and can show over time."""
        raise self.not_supported("history")

    def require_columns(self, *frames: pd.DataFrame) -> None:
        for frame in frames:
            absent = [c for c in (*self.numeric, *self.categorical) if c not in frame.columns]
            if absent:
                raise KeyError(f"the data has no column {absent[0]!r} to monitor")
