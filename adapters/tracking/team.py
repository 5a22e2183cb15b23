"""Tracking, team topology: the shared stores a whole team logs to at once, and the client
processes that do a day of work against them together.

A store is what the team shares: an ``mlflow server`` on PostgreSQL or on a SQLite file
(the artefacts in one shared folder, served through the server), trackio's project SQLite
files in one folder, or the baseline's run folders and registry.json. Each client is a
process of its own (``spawn``) that attaches to the store as a second user would
(:meth:`Tracker.attach`), warms up with one untimed day, then waits at a barrier so that
every client starts each round's day at the same moment. A call that fails is counted with
the tool's own message and never retried by bakeoff; a separate reader process then reads
every run and model version back.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import ClassVar

from adapters import servers, services
from adapters.base import Adapter, AdapterError, NotRunnable
from adapters.tracking.base import QUIET_ENV, Tracker
from adapters.tracking.baseline import FolderTracker
from adapters.tracking.mlflow import MlflowServerTracker, _mlflow_program
from adapters.tracking.trackio import REGISTRY, TrackioTracker

EXPERIMENT, WARMUP = "team", "warmup"  # the measured days' experiment, and the warm-up's
MODEL_NAME, ALIAS = "team-model", "candidate"
PARAMS = {"config": "forest", "n_estimators": "60", "owner": "team"}
SERIES = [step / 100 for step in range(100)]  # the day's metric series, "loss" by step
CALLS = ("start_run", "log_params", "log_metrics", "log_model", "register_model", "end_run")
# the MLflow server reports errors of its database in its log; the client retries a 5xx
DB_ERRORS = ("database is locked", "OperationalError", "deadlock detected")
# the default server's four workers import MLflow each; on a busy 2-core machine uvicorn
# restarts those that miss its 5 s health check, and the start takes minutes
START_LIMIT = 900.0
WORKER_DIED = "INFO:     Child process ["  # uvicorn's line when a worker is gone


class TeamStore(Adapter):
    """The shared store of one team set-up; ``owner`` is a tracker attached to it."""

    stage = "tracking"
    tracker: ClassVar[type[Tracker]]
    start_seconds: float | None = None  # the server start, PostgreSQL's included
    owner: Tracker

    def address(self) -> str:
        return self.owner.address()

    def create_names(self) -> None:
        """What a team creates once: the experiments and the registered model."""

    def settings(self) -> list[str]:
        """What bakeoff set on the store, one sentence each, for the record's notes."""
        return []

    def user_config(self) -> dict[str, str]:
        """What a user writes to run the store beside the tracking calls: label -> text."""
        return {}

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of the store's servers now, by part ("server", "postgres")."""
        return {}

    def logged(self) -> dict[str, int]:
        """Counts read from the server's log: database errors, worker restarts."""
        return {}

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        """What each registered version of ``name`` points at (a run id or name in it)."""
        raise NotImplementedError


class MlflowTeamStore(TeamStore):
    """``mlflow server`` with MLflow's defaults (4 workers, job execution on, artefacts
    served from ``--artifacts-destination``) on PostgreSQL or a SQLite file. ``lean`` (one
    worker, job execution off) is for the conformance test only."""

    tracker = MlflowServerTracker

    def __init__(self, backend: str, workdir: Path | None = None, lean: bool = False):
        super().__init__(workdir)
        self.backend, self.lean = backend, lean
        self.name = f"mlflow+{backend}"
        self.server: servers.Server | None = None
        self.postgres: services.Service | None = None
        self._services = contextlib.ExitStack()

    def setup(self) -> None:
        os.environ.update(QUIET_ENV)
        started = time.perf_counter()
        store = self._database()
        env = {"PYTEST_CURRENT_TEST": ""}  # MLflow checks its sessions in its own tests
        if self.lean:
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        self.server = servers.Server(self._command(store), self.workdir, env)
        self.step(
            f"start `mlflow server` on {self.backend}, artefacts served from a shared folder, "
            "127.0.0.1, free port",
            lambda: self.server.start(timeout=START_LIMIT),
        )
        self.start_seconds = time.perf_counter() - started
        self.owner = self.tracker.attach(self.server.url)

    def _database(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir}/mlflow.db"
        try:
            self.postgres = self.step(
                "start PostgreSQL (initdb, postgres, createdb mlflow) on 127.0.0.1, free port",
                lambda: self._services.enter_context(services.postgres(database="mlflow")),
            )
        except services.ServiceMissing as missing:
            raise NotRunnable(str(missing)) from missing
        url = self.postgres.url
        if not self.postgres.started:  # --postgres-url: a fresh database of our own on it
            url = services.create_database(self.postgres, services.unique_name("mlflow"))
        # SQLAlchemy 2.1 maps postgresql:// to psycopg 3; the team extra installs psycopg2
        return url.replace("postgresql://", "postgresql+psycopg2://", 1)

    def _command(self, store: str) -> Callable[[int], list[str]]:
        workers = ["--workers", "1"] if self.lean else []
        artefacts = str(self.workdir / "artifacts")

        def command(port: int) -> list[str]:
            return [_mlflow_program(), "server", "--host", servers.HOST, "--port", str(port),
                    "--backend-store-uri", store, "--artifacts-destination", artefacts,
                    *workers]  # fmt: skip

        return command

    def settings(self) -> list[str]:
        return [
            "Server: `mlflow server --host 127.0.0.1 --port <free> --backend-store-uri "
            f"{self._shown_store()} --artifacts-destination <shared folder>`"
            + (
                " --workers 1 with MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false"
                if self.lean
                else "; everything else MLflow's defaults (4 uvicorn workers, job execution on)"
            )
            + "; --serve-artifacts is on by default, so clients upload models through the "
            "server.",
            "Clients: MLflow's defaults, which retry a 408/429/5xx answer up to 7 times with "
            "backoff; a database error the server answers with 500 is retried there, so "
            "server_logged_db_errors counts what the server logged.",
        ]

    def user_config(self) -> dict[str, str]:
        store = f"{self._shown_store().split()[0]}"
        command = f"mlflow server --backend-store-uri {store} --artifacts-destination /srv/mlflow"
        return {"server command (shell)": command}

    def _shown_store(self) -> str:
        if self.backend == "sqlite":
            return "sqlite:///<folder>/mlflow.db"
        where = "bakeoff's own PostgreSQL" if self.postgres.started else "--postgres-url"
        return f"postgresql+psycopg2://…/mlflow ({where})"

    def create_names(self) -> None:
        for experiment in (EXPERIMENT, WARMUP):
            self.owner.client.create_experiment(experiment)
        for name in (MODEL_NAME, f"{WARMUP}-model"):
            self.owner.client.create_registered_model(name)

    def rss_mb(self) -> dict[str, float]:
        parts = {"server": self.server.rss_bytes() / 2**20}
        if self.postgres is not None and self.postgres.started:
            parts["postgres"] = self.postgres.rss_mb() * 1e6 / 2**20
        return parts

    def logged(self) -> dict[str, int]:
        lines = (self.workdir / f"server-{self.server.port}.log").read_text(errors="replace")
        lines = lines.splitlines()
        return {
            "server_logged_db_errors": sum(any(e in line for e in DB_ERRORS) for line in lines),
            # uvicorn replaces a worker that misses its 5 s health check (a busy machine)
            "server_worker_restarts": sum(WORKER_DIED in line for line in lines),
        }

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        from mlflow import MlflowClient

        versions = MlflowClient(address).search_model_versions(f"name='{name}'")
        return [version.run_id for version in versions]

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        self._services.close()
        super().close()


class _LocalTeamStore(TeamStore):
    """A store of local files every client opens itself: no server runs."""

    def setup(self) -> None:
        shared = self.workdir / "store"
        shared.mkdir()
        self.owner = self.tracker(shared)
        self.owner.__enter__()
        self.setup_steps += self.owner.setup_steps

    def close(self) -> None:
        if getattr(self, "owner", None) is not None:
            self.owner.close()
        super().close()


class TrackioTeamStore(_LocalTeamStore):
    """trackio's local mode in one folder: a SQLite file per project, written by every
    client under trackio's own file lock."""

    name, tracker = "trackio", TrackioTracker

    def create_names(self) -> None:
        import trackio

        registry = trackio.Api().registry(REGISTRY)
        for name in (MODEL_NAME, f"{WARMUP}-model"):
            registry.create_collection(name, artifact_type="model")

    def settings(self) -> list[str]:
        return ["Store: trackio's local mode, one TRACKIO_DIR shared by every client; no "
                "server (its dashboard only reads)."]  # fmt: skip

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        import trackio

        TrackioTracker.attach(address)  # points trackio at the store
        collection = trackio.Api().registry(REGISTRY).collection(name)
        return [link["source_artifact"] for link in collection.links] if collection else []


class BaselineTeamStore(_LocalTeamStore):
    """The baseline's run folders and registry.json in one shared folder."""

    name, tracker = "baseline", FolderTracker

    def create_names(self) -> None:
        import json

        names = (MODEL_NAME, f"{WARMUP}-model")
        table = {name: {"versions": [], "aliases": {}} for name in names}
        self.owner.registry.write_text(json.dumps(table))

    def settings(self) -> list[str]:
        return ["Store: the baseline's folders in one shared folder; registry.json is read, "
                "changed and written back by each registration, without a lock."]  # fmt: skip

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        import json

        registry = Path(address) / "registry.json"
        try:
            return list(json.loads(registry.read_text())[name]["versions"])
        except (ValueError, KeyError):  # a registry a concurrent write left unreadable
            return []


def store(tool: str, lean: bool = False) -> TeamStore:
    """The team store of a variant tool name ('mlflow+postgresql', 'trackio', ...)."""
    if tool.startswith("mlflow+"):
        return MlflowTeamStore(tool.partition("+")[2], lean=lean)
    return {"trackio": TrackioTeamStore, "baseline": BaselineTeamStore}[tool]()


class TeamError(RuntimeError):
    """A client process did not start, or did not report a round in time."""


class Clients:
    """``count`` client processes attached to ``team``; ``round()`` runs one day in each,
    all released together. Always stopped on exit, also when a round fails."""

    def __init__(self, team: TeamStore, count: int, model_path: Path, timeout: float = 900):
        self.team, self.count, self.model_path, self.timeout = team, count, model_path, timeout
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(count + 1)
        self.stopping = context.Value("i", 0)
        self.results = context.Queue()
        self.processes = [
            context.Process(target=_client, args=(self._settings(number),), daemon=True)
            for number in range(count)
        ]
        self.warmup_errors: list[list[str]] = []

    def _settings(self, number: int) -> dict:
        return {"tracker": self.team.tracker, "address": self.team.address(),
                "model": str(self.model_path), "number": number, "barrier": self.barrier,
                "stopping": self.stopping, "results": self.results,
                "timeout": self.timeout}  # fmt: skip

    def __enter__(self) -> Clients:
        try:
            for process in self.processes:
                process.start()
            for _ in self.processes:  # each one attached and did its warm-up day
                ready = self._next()
                if "failed" in ready:
                    raise TeamError(f"a client could not start: {ready['failed']}")
                self.warmup_errors += ready["errors"]
        except BaseException:
            self.close()
            raise
        return self

    def round(self, number: int) -> tuple[float, list[dict]]:
        """Release every client into day ``number``; (wall seconds until the last one
        finished, each client's day)."""
        self.barrier.wait(self.timeout)
        released = time.monotonic()
        days = [self._next() for _ in self.processes]
        return max(day["ended"] for day in days) - released, days

    def _next(self) -> dict:
        try:
            return self.results.get(timeout=self.timeout)
        except queue.Empty:
            codes = [process.exitcode for process in self.processes]
            raise TeamError(f"a client did not report within {self.timeout:.0f} s "
                            f"(exit codes {codes})") from None  # fmt: skip

    def rss_mb(self) -> float:
        pids = [process.pid for process in self.processes if process.pid]
        return sum(servers.tree_rss_bytes(pid) for pid in pids) / 2**20

    def close(self) -> None:
        self.stopping.value = 1
        self.barrier.abort()  # a client waiting at the barrier leaves
        for process in self.processes:
            if process.pid is not None:
                process.join(15)
                if process.is_alive():
                    process.kill()
                    process.join()

    def __exit__(self, *exc_info) -> None:
        self.close()


def _client(settings: dict) -> None:
    """A client process: attach, warm up, then one day per barrier release until stopped."""
    import joblib

    results, barrier = settings["results"], settings["barrier"]
    try:
        os.environ.update({**QUIET_ENV, "PYTEST_CURRENT_TEST": ""})
        tracker = settings["tracker"].attach(settings["address"])
        model = joblib.load(settings["model"])
        label = f"c{settings['number']}"
        warmup = day_of_work(tracker, model, WARMUP, f"{WARMUP}-model", f"{label}-warmup")
    except Exception:
        results.put({"failed": traceback.format_exc(limit=3)[-1500:]})
        return
    results.put({"errors": warmup["errors"]})
    for number in itertools.count():
        try:
            barrier.wait(settings["timeout"])
        except threading.BrokenBarrierError:
            return
        if settings["stopping"].value:
            return
        results.put(day_of_work(tracker, model, EXPERIMENT, MODEL_NAME, f"{label}-r{number}"))


_FAILED = object()


def day_of_work(tracker: Tracker, model, experiment: str, model_name: str, label: str) -> dict:
    """One run: start, params, a 100-point series, the model logged and registered, end.
    Each call is timed; a failed call is counted with its message and not retried."""
    day = {"run_id": None, "latency": {}, "errors": [], "points": 0, "ended": 0.0}

    def call(kind: str, action: Callable[[], object]):
        started = time.perf_counter()
        try:
            value = action()
        except Exception as error:
            day["errors"].append([kind, describe(error)])
            return _FAILED
        day["latency"][kind] = time.perf_counter() - started
        return value

    run_id = call("start_run", lambda: tracker.start_run(experiment, label))
    if run_id is not _FAILED:
        day["run_id"] = run_id
        call("log_params", lambda: tracker.log_params(run_id, PARAMS))
        if call("log_metrics", lambda: tracker.log_metrics(run_id, "loss", SERIES)) is not _FAILED:
            day["points"] = len(SERIES)
        reference = call("log_model", lambda: tracker.log_model(run_id, model))
        if reference is not _FAILED:
            call("register_model", lambda: tracker.register_model(reference, model_name, ALIAS))
        call("end_run", lambda: tracker.end_run(run_id))
    day["ended"] = time.monotonic()
    return day


def describe(error: BaseException) -> str:
    """The tool's own message, on one line; 'database is locked' whatever wraps it."""
    cause = error.__cause__ or error
    words = " ".join(str(cause).split())
    if "database is locked" in words.lower():
        return "database is locked"
    return f"{type(cause).__name__}: {words[:200]}"


def read_back(team: TeamStore, days: list[dict]) -> dict[str, float]:
    """In a separate process attached to the store: the share of the days' params, metric
    points and registered versions that are there, each 0..1."""
    runs = [day["run_id"] for day in days]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as reader:
        found = reader.submit(_read, type(team), team.address(), runs).result()
    expected = {"params": len(PARAMS), "points": len(SERIES), "versions": 1}
    return {kind: found[kind] / (count * len(days)) for kind, count in expected.items()}


def _read(team: type[TeamStore], address: str, runs: list[str | None]) -> dict[str, int]:
    os.environ.update(QUIET_ENV)
    tracker = team.tracker.attach(address)
    pointers = team.registered(address, MODEL_NAME)
    found = {"params": 0, "points": 0, "versions": 0}
    for run_id in filter(None, runs):
        with contextlib.suppress(AdapterError):  # a run the store does not have counts 0
            run = tracker.read_run(run_id)
            series = run.metrics.get("loss", [])  # a series cut short counts what it holds
            found["params"] += sum(run.params.get(k) == v for k, v in PARAMS.items())
            found["points"] += sum(a == b for a, b in zip(series, SERIES, strict=False))
        key = run_id.rpartition("/")[2]  # trackio's ids are project/name
        found["versions"] += any(key in pointer for pointer in pointers)
    return found


class PeakMemory:
    """Samples the store's servers and the clients every 0.2 s; keeps each part's peak."""

    def __init__(self, team: TeamStore, clients: Clients):
        self.team, self.clients = team, clients
        self.peaks: dict[str, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            parts = {**self.team.rss_mb(), "clients": self.clients.rss_mb()}
            for part, megabytes in parts.items():
                self.peaks[part] = max(self.peaks.get(part, 0.0), megabytes)
            if self._done.wait(0.2):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()
