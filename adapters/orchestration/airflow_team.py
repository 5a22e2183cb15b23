"""The team topology of the orchestration stage: many pipeline runs at once, a wide fan-out.

- ``airflow+celery``: Airflow 3 as its docs describe for scaling out: the metadata DB on
  PostgreSQL, the CeleryExecutor with Redis as broker, and two ``airflow celery worker``
  processes (4 task slots each; they could run on other machines) beside the api-server,
  scheduler and dag-processor, all on 127.0.0.1. PostgreSQL and Redis are throwaway
  servers (``adapters.services``) unless ``--postgres-url``/``--redis-url`` name others.
- ``airflow+local``: the same components with the LocalExecutor on SQLite (Airflow 3.3
  accepts that pair) and the same 8 task slots: the single-machine set-up.
- ``metaflow``: N local runs started together, each ``--max-workers 8``. Its local runtime
  has no scheduler shared between runs: each run is its own process tree. Its scale-out
  backends (Kubernetes, Argo Workflows, AWS Batch) cannot run here, see
  ``reports/facts/orchestration.toml``.
- ``baseline``: N plain-Python pipeline scripts started together.

Contract of ``run_together(name, data, count)``: ``count`` runs of ``name`` were triggered
together, each on its own copy of ``data``; when it returns, every run has reached its end
state as the tool records it (a run that failed is returned as failed, never retried by
bakeoff), and every successful sales run's outputs are on disk, readable by another process.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from adapters import services
from adapters.base import NotRunnable
from adapters.orchestration import processes
from adapters.orchestration.airflow import (
    DAG_FILES,
    AirflowScheduler,
    _epoch,
    last_exception,
    step_record,
)
from adapters.orchestration.base import FLOWS, PIPELINES, Orchestrator, Outcome
from adapters.orchestration.baseline import PlainPython
from adapters.orchestration.metaflow import MetaflowOrchestrator
from adapters.orchestration.subprocess_tool import RUN_TIMEOUT
from scenarios import pipeline

FANOUT = "fanout-100"  # one run of 100 short tasks between a first task and a join
SLOTS = 8  # task slots for every tool: 2 Celery workers x 4, LocalExecutor 8, Metaflow 8
WORKERS = 2
PAGE = 100  # Airflow's REST API returns at most [api] maximum_page_limit (100) items
# a task's place in its pipeline: it may start once every task one place before it ended
# (the first ones once the run is triggered); Metaflow names its start/end steps load/save
ORDER = {
    "sales": {step: place for place, step in enumerate(pipeline.STEPS)},
    FANOUT: {"start": 0, "load": 0, "fan": 1, "join": 2, "save": 3},
}


@dataclass(frozen=True)
class TeamRun:
    """One run of a burst: its outcome, when bakeoff triggered it and when the tool says it
    ended (epoch seconds), and Airflow's queued -> started delay of each task (seconds)."""

    run_dir: Path
    outcome: Outcome
    triggered: float
    ended: float
    queue_delays: tuple[float, ...] = ()

    def start_delays(self, name: str) -> list[float]:
        """Seconds from the moment each task of this run of pipeline ``name`` could start
        (the run triggered, or every task one place before it ended) to its start."""
        places = [(ORDER[name][s.name.split("[")[0]], s) for s in self.outcome.steps]
        ends: dict[int, float] = {}
        for place, step in places:
            ends[place] = max(ends.get(place, 0.0), step.ended or 0.0)
        ready = {0: self.triggered, **{place + 1: end for place, end in ends.items()}}
        return [step.started - ready[place] for place, step in places if step.started]


@dataclass(frozen=True)
class Burst:
    """Runs triggered together, and the peak memory (MB) of each component while they ran."""

    runs: tuple[TeamRun, ...]
    peak_rss_mb: dict[str, float]
    peak_pss_mb: dict[str, float]

    @property
    def makespan(self) -> float:
        """Seconds from the first trigger to the last run's end, by the tool's records."""
        return max(r.ended for r in self.runs) - min(r.triggered for r in self.runs)


class TeamLoad(Orchestrator):
    """Runs started together; by default one thread per run waits on the tool's command."""

    operations = ("run", "resume", "run_together")
    pipelines = (*PIPELINES, FANOUT)

    def run_together(self, name: str, data: Path, count: int) -> Burst:
        """Trigger ``count`` runs of ``name`` at once and wait for all of them to end."""
        if name not in self.pipelines:
            known = ", ".join(self.pipelines)
            raise ValueError(f"unknown pipeline {name!r}; choose one of {known}.")
        run_dirs = [self._run_dir(data) for _ in range(count)]
        sampler = processes.GroupSampler(self.memory_groups)
        sampler.start()
        try:
            runs = self.launch_together(name, run_dirs)
        finally:
            sampler.stop()
        return Burst(tuple(runs), sampler.peak_rss_mb, sampler.peak_pss_mb)

    def _run_dir(self, data: Path) -> Path:
        run_dir = self.workdir / "runs" / str(next(self._runs))
        run_dir.mkdir(parents=True)
        shutil.copyfile(data, run_dir / pipeline.INPUT)
        return run_dir

    def launch_together(self, name: str, run_dirs: list[Path]) -> list[TeamRun]:
        with ThreadPoolExecutor(len(run_dirs)) as pool:
            return list(pool.map(lambda run_dir: self._launch_one(name, run_dir), run_dirs))

    def _launch_one(self, name: str, run_dir: Path) -> TeamRun:
        triggered = time.time()
        outcome = self.launch(name, run_dir, True)
        ended = max((s.ended for s in outcome.steps if s.ended), default=triggered)
        return TeamRun(run_dir, outcome, triggered, ended)

    def memory_groups(self) -> dict[str, list[int]]:
        """Component name -> root pids whose process trees are measured."""
        return {"runs": [p.pid for p in psutil.Process().children()]}

    def idle_components_mb(self) -> tuple[dict[str, float], dict[str, float]]:
        """(PSS, RSS) in MB of each component with no run going: what staying up costs."""
        sampler = processes.GroupSampler(self.memory_groups)
        sampler.sample()
        return sampler.peak_pss_mb, sampler.peak_rss_mb


class MetaflowTeam(MetaflowOrchestrator, TeamLoad):
    name = "metaflow"
    operations = TeamLoad.operations

    def deploy(self) -> None:
        super().deploy()
        self.flows[FANOUT] = (FLOWS / "metaflow_fanout.py", "FanoutFlow")

    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        params = ("--run_dir", str(run_dir)) if name == "sales" else ()
        workers = str(SLOTS if parallel else 1)
        return self._outcome(name, run_dir, "run", *params, "--max-workers", workers)


class BaselineTeam(PlainPython, TeamLoad):
    name = "baseline"
    operations = TeamLoad.operations
    pipelines = PIPELINES  # the plain script has no 100-task fan-out


class AirflowTeam(AirflowScheduler, TeamLoad):
    """api-server, scheduler and dag-processor with 8 task slots; runs over the REST API."""

    operations = TeamLoad.operations
    extra_dags = (FLOWS / "airflow_fanout.py",)

    def __init__(self, workdir=None):
        super().__init__(workdir)
        # every component signs or checks the task tokens with it: set, not generated
        self.jwt_secret = secrets.token_urlsafe(32)

    def settings(self) -> dict[str, str]:
        return {
            **super().settings(),
            "AIRFLOW__CORE__PARALLELISM": str(SLOTS),
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
        }

    def dag_names(self) -> tuple[str, ...]:
        return (*DAG_FILES, FANOUT)

    def _until(self, ready, what: str, timeout: float = 180) -> None:
        """As for one run, and when a component exits, its last error is in the message
        (the logs go with the temporary AIRFLOW_HOME)."""
        try:
            super()._until(ready, what, timeout)
        except RuntimeError as error:
            logs = "\n".join(p.read_text(errors="replace") for p in self.home.glob("*.log"))
            raise RuntimeError(f"{error}; last error logged: {last_exception(logs)}") from error

    def launch_together(self, name: str, run_dirs: list[Path]) -> list[TeamRun]:
        triggered = {}
        for run_dir in run_dirs:
            moment = time.time()
            reply = self.api.post(
                f"/api/v2/dags/{name}/dagRuns",
                json={"logical_date": None, "conf": {"run_dir": str(run_dir)}},
            )
            triggered[reply.raise_for_status().json()["dag_run_id"]] = (run_dir, moment)
        self._until(
            lambda: self._ended(name, set(triggered)),
            f"{len(run_dirs)} runs of {name}",
            RUN_TIMEOUT,
        )
        return [self._team_run(name, run_id, *triggered[run_id]) for run_id in triggered]

    def _ended(self, name: str, run_ids: set[str]) -> bool:
        time.sleep(0.3)  # one request per poll for all runs, not a busy loop on the api-server
        runs = self._pages(f"/api/v2/dags/{name}/dagRuns", "dag_runs")
        ended = {r["dag_run_id"] for r in runs if r["state"] in ("success", "failed")}
        return run_ids <= ended

    def _pages(self, path: str, key: str) -> list[dict]:
        items, offset = [], 0
        while True:
            page = self.api.get(path, params={"limit": PAGE, "offset": offset})
            batch = page.raise_for_status().json()[key]
            items += batch
            if len(batch) < PAGE:
                return items
            offset += PAGE

    def _team_run(self, name: str, run_id: str, run_dir: Path, triggered: float) -> TeamRun:
        path = f"/api/v2/dags/{name}/dagRuns/{run_id}"
        run = self.api.get(path).raise_for_status().json()
        tasks = self._pages(f"{path}/taskInstances", "task_instances")
        failed = [t for t in tasks if t["state"] == "failed"]
        outcome = Outcome(
            run["state"],
            tuple(step_record(t) for t in tasks if t["start_date"]),
            self._task_error(path, failed[0]) if failed else "",
            run_id,
        )
        delays = tuple(
            _epoch(t["start_date"]) - _epoch(t["queued_when"])
            for t in tasks
            if t["start_date"] and t["queued_when"]
        )
        return TeamRun(run_dir, outcome, triggered, _epoch(run["end_date"]), delays)

    def memory_groups(self) -> dict[str, list[int]]:
        # the first components are COMPONENTS, in order; workers come after them
        names = [command[0].replace("-", "_") for command in self.COMPONENTS]
        started = getattr(self, "components", [])[: len(names)]
        return {name: [c.pid] for name, c in zip(names, started, strict=False)}


class AirflowLocal(AirflowTeam):
    name = "airflow+local"


class AirflowCelery(AirflowTeam):
    name = "airflow+celery"
    database = "PostgreSQL"
    start_step = (
        f"start api-server, scheduler, dag-processor and {WORKERS} airflow celery workers "
        "(log servers off); wait until healthy and the workers ready"
    )

    def deploy(self) -> None:
        self.services, self.workers = contextlib.ExitStack(), []
        try:
            self.postgres = self.step(
                "start PostgreSQL for the metadata DB (initdb, postgres on 127.0.0.1)",
                lambda: self.services.enter_context(services.postgres("airflow")),
            )
            self.redis = self.step(
                "start Redis as the Celery broker (127.0.0.1, no persistence)",
                lambda: self.services.enter_context(services.redis()),
            )
        except services.ServiceMissing as missing:
            raise NotRunnable(str(missing)) from missing
        if not self.postgres.started:  # someone's server: a database of our own on it
            self.database_url = services.create_database(
                self.postgres, services.unique_name("airflow")
            )
        super().deploy()

    def settings(self) -> dict[str, str]:
        # the driver named: SQLAlchemy 2.1 picks psycopg 3 for a bare postgresql:// URL
        database = getattr(self, "database_url", self.postgres.url).replace(
            "postgresql://", "postgresql+psycopg2://", 1
        )
        return {
            **super().settings(),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
            "AIRFLOW__CELERY__BROKER_URL": self.redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{database}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(SLOTS // WORKERS),
        }

    def _start(self) -> None:
        """The workers start beside the other components, as separate services would."""
        for number in range(1, WORKERS + 1):
            command = [sys.executable, "-m", "airflow", "celery", "worker", "--skip-serve-logs"]
            command += ["--celery-hostname", f"worker{number}@%h"]
            log = self.home / f"worker-{number}.log"
            self.workers.append(processes.start(command, self.env, self.home, log))
        super()._start()
        self.components += self.workers  # after COMPONENTS: memory_groups relies on it
        self._until(self._workers_ready, "the Celery workers to be ready")

    def _workers_ready(self) -> bool:
        logs = [self.home / f"worker-{n}.log" for n in range(1, WORKERS + 1)]
        return all(" ready." in log.read_text(errors="replace") for log in logs)

    def memory_groups(self) -> dict[str, list[int]]:
        groups = super().memory_groups()
        groups["workers"] = [w.pid for w in self.workers]
        for service in (self.postgres, self.redis):
            if service.process is not None:
                groups[service.name] = [service.process.pid]
        return groups

    def close(self) -> None:
        try:
            processes.stop(getattr(self, "workers", []))  # also when start-up failed early
            super().close()
        finally:
            if hasattr(self, "services"):
                self.services.close()


TEAM_TOOLS: dict[str, type[TeamLoad]] = {
    "airflow+celery": AirflowCelery,
    "airflow+local": AirflowLocal,
    "baseline": BaselineTeam,
    "metaflow": MetaflowTeam,
}
