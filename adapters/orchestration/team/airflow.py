"""Airflow 3 under the team load: the CeleryExecutor on PostgreSQL and Redis with two
workers, and the LocalExecutor on SQLite with the same task slots."""

from __future__ import annotations

import contextlib
import secrets
import sys
import time
from pathlib import Path

from adapters import processes, services
from adapters.base import NotRunnable
from adapters.orchestration.airflow import (
    DAG_FILES,
    AirflowScheduler,
    _epoch,
    last_exception,
    step_record,
)
from adapters.orchestration.base import FLOWS, Outcome
from adapters.orchestration.subprocess_tool import RUN_TIMEOUT
from adapters.orchestration.team.base import FANOUT, SLOTS, TeamLoad, TeamRun

WORKERS = 2
PAGE = 100  # Airflow's REST API returns at most [api] maximum_page_limit (100) items


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
        """As for one run, and when a component exits or the wait times out, the last error
        logged is in the message (the logs go with the temporary AIRFLOW_HOME)."""
        try:
            super()._until(ready, what, timeout)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; last error logged: {self._last_logged()}") from error

    def _last_logged(self) -> str:
        logs = "\n".join(p.read_text(errors="replace") for p in self.home.glob("*.log"))
        return last_exception(logs)

    def launch_together(self, name: str, run_dirs: list[Path]) -> list[TeamRun]:
        triggered = {}
        for run_dir in run_dirs:
            moment = time.time()
            reply = self.api.post(
                f"/api/v2/dags/{name}/dagRuns",
                json={"logical_date": None, "conf": {"run_dir": str(run_dir)}},
            )
            if reply.is_error:  # e.g. a 500: the api-server's own error says why
                raise RuntimeError(f"triggering {name} answered {reply.status_code} "
                                   f"{reply.reason_phrase}; last error logged: "
                                   f"{self._last_logged()}")  # fmt: skip
            triggered[reply.json()["dag_run_id"]] = (run_dir, moment)
        self._until(
            lambda: self._ended(name, set(triggered)),
            f"the end of {len(run_dirs)} runs of {name}",
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
            self.workers.append(processes.start(command, log, env=self.env, cwd=self.home))
        super()._start()
        self.components += self.workers  # after COMPONENTS: memory_groups relies on it
        self._until(self._workers_ready, "the Celery workers being ready")

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
            # also when start-up failed early
            processes.stop(*getattr(self, "workers", []), grace=30)
            super().close()
        finally:
            if hasattr(self, "services"):
                self.services.close()
