"""The monitoring interface: compare a batch with the reference, show it, alert on drift.

Operation contracts (what is true when each call returns):

- ``check``: one verdict per monitored column, and each verdict is what the tool itself
  decided. Where the tool evaluates the threshold (Evidently's tests, Prometheus's alert
  rule), bakeoff code never compares a score with a threshold; the baseline decides in
  its own Python code, which is its job.
- ``alert``: an Alert with ``raised_by="the tool"`` only when the tool's alerting system
  reports the alert firing (read back from it); otherwise bakeoff code raised it from the
  verdicts and says so.
- ``report``: the file a person looks at for the last check exists on disk, complete.
- ``dashboard``: says what serves the dashboard (nothing, when the definition is only a
  file) and what its own queries returned, beside the values of the checks.
- ``history``: the number of past checks the tool itself stores and can show over time.
"""

from __future__ import annotations

import abc
import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

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
    raised_by: str  # "the tool" when its alerting system reports it firing, else "bakeoff code"
    seconds: float  # the tool: from the push to the firing; bakeoff code: from the verdicts


@dataclass(frozen=True)
class Dashboard:
    """A dashboard over the checks so far, and what its own queries returned."""

    location: str  # a file or a URL
    served_by: str  # the server that renders it for a browser; "" when nothing does
    shown: dict[str, list[float]]  # series -> values, read back through the dashboard's queries
    expected: dict[str, list[float]]  # the same series, from the checks
    note: str = ""  # why nothing serves it, or how it was read back
    server_rss_mb: float | None = None  # peak memory of a server started only to show it


def drifted_columns(verdicts: list[ColumnVerdict]) -> tuple[str, ...]:
    return tuple(sorted(v.column for v in verdicts if v.drifted))


def source_of(*objects) -> str:
    """The source text of functions or classes a user of the tool would write."""
    return "\n".join(inspect.getsource(thing) for thing in objects)


class DriftMonitor(Adapter):
    """Watches the monitored columns of the Wish frame with one tool."""

    stage = "monitoring"
    operations = ("check", "report", "alert", "dashboard", "history")
    detection: ClassVar[str] = ""  # which statistics decide drift, and where the threshold is
    # how check_many decides a list of batches, where not by check in a loop (shown with
    # the detection quality it serves)
    checked_together: ClassVar[str] = ""
    system_packages: ClassVar[tuple[str, ...]] = ()  # Debian packages the tool needs

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
        """Compare ``current`` with ``reference``; one ColumnVerdict per monitored column,
        as the tool decided it.

        Raises KeyError (wrapped as AdapterError) when a monitored column is missing.
        """

    def check_many(
        self, reference: pd.DataFrame, batches: list[tuple[pd.DataFrame, str]]
    ) -> list[list[ColumnVerdict]]:
        """The verdicts of :meth:`check` for each ``(frame, name)``, in order. A tool may
        decide the batches together or leave out what only a report of the batch needs
        (Prometheus: one rule evaluation for all of them; Evidently: no page), with the
        same verdicts (:attr:`checked_together` says how); the last checked batch (for
        ``alert`` and ``report``) is then whatever :meth:`check` last saw."""
        return [self.check(reference, frame, name) for frame, name in batches]

    @abc.abstractmethod
    def report(self, directory: Path) -> Path:
        """Write the artifact a person looks at for the last check; returns its path."""

    @abc.abstractmethod
    def user_code(self) -> dict[str, str]:
        """What a user writes to do this stage with the tool: label -> the text (rules,
        config files, report definitions, the code that computes or pushes statistics)."""

    def alert(self, batch: str, verdicts: list[ColumnVerdict]) -> Alert | None:
        """An Alert when any column drifted, else None (default: raised by our own code)."""
        started = time.perf_counter()
        columns = drifted_columns(verdicts)
        if not columns:
            return None
        return Alert(batch, columns, "bakeoff code", time.perf_counter() - started)

    def dashboard(self, directory: Path) -> Dashboard:
        """Build a dashboard over the checks so far and read back what it shows."""
        raise self.not_supported("dashboard")

    def history(self) -> int:
        """How many past checks the tool itself keeps and can show over time."""
        raise self.not_supported("history")

    def require_columns(self, *frames: pd.DataFrame) -> None:
        for frame in frames:
            absent = [c for c in (*self.numeric, *self.categorical) if c not in frame.columns]
            if absent:
                raise KeyError(f"the data has no column {absent[0]!r} to monitor")
