"""The client processes that do a day of work together, the reader, and the memory sampler."""

from __future__ import annotations

import contextlib
import itertools
import math
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from adapters import processes
from adapters.base import AdapterError
from adapters.tracking.base import QUIET_ENV, Tracker
from adapters.tracking.team.base import (
    ALIAS,
    EXPERIMENT,
    MODEL_NAME,
    PARAMS,
    SERIES,
    WARMUP,
    WARMUP_TEAM_DAYS,
    TeamStore,
)


class TeamError(RuntimeError):
    """A client process did not start, or did not report a round in time."""


class Clients:
    """``count`` client processes attached to ``team``; ``round()`` runs one day in each,
    all released together. Always stopped on exit, also when a round fails."""

    def __init__(self, team: TeamStore, count: int, model_path: Path, timeout: float = 900):
        self.team, self.count, self.model_path, self.timeout = team, count, model_path, timeout
        # every server worker has served a day before the clock starts, however few clients
        self.warmup_days = max(1, math.ceil(WARMUP_TEAM_DAYS / count))
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
                "timeout": self.timeout, "warmup_days": self.warmup_days}  # fmt: skip

    def __enter__(self) -> Clients:
        try:
            for process in self.processes:
                process.start()
            for _ in self.processes:  # each one attached and did its warm-up days
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
        return sum(processes.tree_rss_bytes(pid) for pid in pids) / 2**20

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
        errors = []
        for day in range(settings["warmup_days"]):
            name = f"{label}-warmup{day}"
            errors += day_of_work(tracker, model, WARMUP, f"{WARMUP}-model", name)["errors"]
    except Exception:
        results.put({"failed": traceback.format_exc(limit=3)[-1500:]})
        return
    results.put({"errors": errors})
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
