"""The tracking interface: runs with params and metric series, models in a registry.

The five abstract methods are what every tracker does (start a run, log params, log a
metric series, log the model, end the run). Registering, loading by alias, finding the
best run, reading a run back and linking a data version have defaults that raise
``NotSupported``: the runner records those as missing features, not failures.

Each operation's docstring states its contract: what is true when the call returns. A
write is *durable* when it survives the writing process ending and another process
opening the same store (:meth:`Tracker.attach`) reads it back; writes must be durable when
the call returns, not later (no background queue left to drain). Power-loss durability
(fsync) is not part of the contract: MLflow's SQLite commits fsync, trackio's WAL journal
syncs at checkpoints, the baseline leaves it to the operating system. A tool whose call
cannot meet its contract says so in ``not_equivalent`` (operation -> why); its timing is
then shown but not compared. The conformance suite checks both ways, from another
process: what is not marked reads back, what is marked does not.
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
    # operation -> one sentence: why this tool's call does not meet the operation's contract
    not_equivalent: ClassVar[dict[str, str]] = {}

    def setup(self) -> None:
        self.step("turn telemetry and update checks off", lambda: os.environ.update(QUIET_ENV))
        self.prepare()

    @abc.abstractmethod
    def prepare(self) -> None:
        """Create the tool's store (and server) under ``self.workdir``, recording steps."""

    @abc.abstractmethod
    def address(self) -> str:
        """What another process needs to open this store with :meth:`attach` (a folder
        or a URL)."""

    @classmethod
    @abc.abstractmethod
    def attach(cls, address: str) -> Tracker:
        """A tracker on the existing store at ``address``, as a second process (a notebook,
        a serving job) opens it: nothing is created, reads see what others wrote."""

    @abc.abstractmethod
    def start_run(self, experiment: str, name: str) -> str:
        """Start a run in ``experiment``; return its id. Contract: the run exists in the
        store; another process reads it (``read_run``) by that id."""

    @abc.abstractmethod
    def log_params(self, run_id: str, params: dict[str, object]) -> None:
        """Log the run's parameters. Contract: durable; another process reads them back
        as strings (``read_run().params``)."""

    @abc.abstractmethod
    def log_metrics(self, run_id: str, key: str, values: list[float]) -> None:
        """Log ``values`` as the series ``key`` (step = position). Contract: every point is
        durable; another process reads the whole series back equal (``durability`` says
        how the tool gets there)."""

    @abc.abstractmethod
    def log_model(self, run_id: str, model) -> str:
        """Store the fitted model as an artifact of the run; return a reference to it.
        Contract: the model's bytes are in the store; registered from that reference,
        another process loads it back (``load_model``) and it predicts identically."""

    @abc.abstractmethod
    def end_run(self, run_id: str) -> None:
        """Mark the run finished. Contract: nothing the run logged is still queued in this
        process; another process reads all of it back."""

    def register_model(self, model_ref: str, name: str, alias: str) -> str:
        """Register ``model_ref`` as a new version of ``name``, point ``alias`` at it; return
        the version. Contract: durable; another process loads the model by the alias."""
        raise self.not_supported("register_model")

    def load_model(self, name: str, alias: str):
        """The model the registry's ``alias`` points at, loaded back from the store (not
        from this process's memory)."""
        raise self.not_supported("load_model")

    def best_run(self, experiment: str, metric: str) -> str:
        """Id of the run of ``experiment`` with the highest last value of ``metric``, as
        the store holds it (every durable write counts)."""
        raise self.not_supported("best_run")

    def read_run(self, run_id: str) -> RunData:
        """The run's params and metric series as the store holds them; raises if the
        store has no such run."""
        raise self.not_supported("read_run")

    def link_data(self, run_id: str, path: Path) -> None:
        """Record the data file's version (content hash) on the run, while it is open.
        Contract: durable; another process reads the same version (``data_version``)."""
        raise self.not_supported("link_data")

    def data_version(self, run_id: str) -> str:
        """The data version recorded by ``link_data``, read back from the tool."""
        raise self.not_supported("data_version")

    def ui_url(self) -> str:
        """URL of the tool's web UI for this store (starting it if needed)."""
        raise self.not_supported("ui_url")

    def stop_ui(self) -> None:
        """Stop what ``ui_url`` started, so it does not run beside the measurements."""

    def ui_rss_bytes(self) -> int | None:
        """Resident memory of a UI server ``ui_url`` started as a process of its own (None
        when the UI is the tool's server itself or runs inside this process)."""
        return None

    def store_bytes(self) -> int:
        """Bytes the tool's store takes on disk."""
        return sum(p.stat().st_size for p in self.workdir.rglob("*") if p.is_file())


def file_version(path: Path) -> str:
    """The data version a team would record: the file's sha256, cut to 32 hex digits because
    MLflow's dataset digest holds at most 36 characters."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:32]
