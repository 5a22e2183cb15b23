"""The tracking interface: runs with params and metric series, models in a registry.

The five abstract methods are what every tracker does (start a run, log params, log a
metric series, log the model, end the run). Registering, loading by alias, finding the
best run, reading a run back and linking a data version have defaults that raise
``NotSupported``: the runner records those as missing features, not failures.
"""

from __future__ import annotations

import abc
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from adapters.base import Adapter

# what mlflow and neptune would otherwise phone home with, or check for updates
QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


@dataclass(frozen=True)
class RunData:
    """A run as the tool gives it back: params as strings, metric series by step."""

    params: dict[str, str]
    metrics: dict[str, list[float]]


class Tracker(Adapter):
    """One experiment tracker driven through the daily operations of a team."""

    stage = "tracking"
    operations = (
        "start_run",
        "log_params",
        "log_metrics",
        "log_model",
        "end_run",
        "register_model",
        "load_model",
        "best_run",
        "read_run",
        "link_data",
        "data_version",
        "ui_url",
    )
    # one sentence: what is on disk and readable when log_metrics returns
    durability: ClassVar[str] = ""
    # how log_metrics sends a series (the tool's batch API where it has one)
    metric_api: ClassVar[str] = ""
    # how best_run finds the run: the tool's query, or a scan written by hand
    search_method: ClassVar[str] = ""
    # where the runs live and what answers reads
    store_kind: ClassVar[str] = ""

    def setup(self) -> None:
        self.step("turn telemetry and update checks off", lambda: os.environ.update(QUIET_ENV))
        self.prepare()

    @abc.abstractmethod
    def prepare(self) -> None:
        """Create the tool's store (and server) under ``self.workdir``, recording steps."""

    @abc.abstractmethod
    def start_run(self, experiment: str, name: str) -> str:
        """Start a run in ``experiment``; return its id."""

    @abc.abstractmethod
    def log_params(self, run_id: str, params: dict[str, object]) -> None:
        """Log the run's parameters."""

    @abc.abstractmethod
    def log_metrics(self, run_id: str, key: str, values: list[float]) -> None:
        """Log ``values`` as the series ``key`` (step = position); return once ``durability``
        holds."""

    @abc.abstractmethod
    def log_model(self, run_id: str, model) -> str:
        """Store the fitted model as an artifact of the run; return a reference to it."""

    @abc.abstractmethod
    def end_run(self, run_id: str) -> None:
        """Mark the run finished."""

    def register_model(self, model_ref: str, name: str, alias: str) -> str:
        """Register ``model_ref`` as a new version of ``name``, point ``alias`` at it; return
        the version."""
        raise self.not_supported("register_model")

    def load_model(self, name: str, alias: str):
        """The model the registry's ``alias`` points at, loaded back."""
        raise self.not_supported("load_model")

    def best_run(self, experiment: str, metric: str) -> str:
        """Id of the run of ``experiment`` with the highest last value of ``metric``."""
        raise self.not_supported("best_run")

    def read_run(self, run_id: str) -> RunData:
        """The run's params and metric series as stored."""
        raise self.not_supported("read_run")

    def link_data(self, run_id: str, path: Path) -> None:
        """Record the data file's version (content hash) on the run, while it is open."""
        raise self.not_supported("link_data")

    def data_version(self, run_id: str) -> str:
        """The data version recorded by ``link_data``, read back from the tool."""
        raise self.not_supported("data_version")

    def ui_url(self) -> str:
        """URL of the tool's web UI for this store (starting it if needed)."""
        raise self.not_supported("ui_url")

    def stop_ui(self) -> None:
        """Stop what ``ui_url`` started, so it does not run beside the measurements."""

    def store_bytes(self) -> int:
        """Bytes the tool's store takes on disk."""
        return sum(p.stat().st_size for p in self.workdir.rglob("*") if p.is_file())


def file_version(path: Path) -> str:
    """The data version a team would record: the file's sha256, cut to 32 hex digits because
    MLflow's dataset digest holds at most 36 characters."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:32]
