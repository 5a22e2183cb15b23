"""Airflow 3 in two modes, both on a real DAG file and a migrated SQLite metadata DB.

``airflow``: ``dag.test()``, the documented local-development path, in a subprocess
(it runs tasks one by one and returns normally on failure: the run's state is read).
``airflow_scheduler``: api-server, scheduler and dag-processor on 127.0.0.1 with the
LocalExecutor; runs are triggered and followed over the REST API.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

from adapters import processes, servers
from adapters.orchestration import usage
from adapters.orchestration.base import FLOWS, Orchestrator, Outcome, RunResult, StepRecord
from adapters.orchestration.subprocess_tool import RUN_TIMEOUT, python, tail, tool_env
from scenarios.model import CONFIGS

SALES_DAG, CHAIN_DAGS = FLOWS / "airflow_sales.py", FLOWS / "airflow_chains.py"
DAG_FILES = {"sales": SALES_DAG, "chain-10": CHAIN_DAGS, "chain-50": CHAIN_DAGS}
DAG_TEST = FLOWS / "airflow_dag_test.py"
PARALLELISM = 4  # the LocalExecutor pre-forks this many workers (32 by default)
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Fault): .*$", re.MULTILINE)


def step_record(task: dict) -> StepRecord:
    """A StepRecord from a task instance as the REST API (or dag_test script) gives it."""
    name, index = task["task_id"], task.get("map_index", -1)
    if index >= 0:
        name = f"{name}[{list(CONFIGS)[index] if name == 'train' else index}]"
    return StepRecord(
        name,
        task["state"],
        task["try_number"],
        _epoch(task["start_date"]),
        _epoch(task["end_date"]),
    )


def _epoch(stamp: str | None) -> float | None:
    return datetime.fromisoformat(stamp).timestamp() if stamp else None


def last_exception(text: str) -> str:
    """The last ``SomeError: message`` line of a log, as a user would look for it."""
    found = EXCEPTION_LINE.findall(text)
    return found[-1] if found else ""


class AirflowHome(Orchestrator):
    """What both modes share: a temp AIRFLOW_HOME with the DAG files and a migrated DB."""

    pipeline_files = (SALES_DAG,)
    database = "SQLite"
    extra_dags: tuple[Path, ...] = ()  # bakeoff's other benchmark DAGs, not user steps

    def deploy(self) -> None:
        self.home = self.workdir / "airflow"
        (self.home / "dags").mkdir(parents=True)
        self.step(
            "copy the DAG file into the DAGs folder",
            lambda: shutil.copy(SALES_DAG, self.home / "dags"),
        )
        for bench_dag in (CHAIN_DAGS, *self.extra_dags):  # bakeoff's no-op DAGs: not user steps
            shutil.copy(bench_dag, self.home / "dags")
        self.env = self.step(
            "configure AIRFLOW_HOME, DAGs folder, examples off",
            lambda: tool_env(AIRFLOW_HOME=str(self.home), **self.settings()),
        )
        migrate = [sys.executable, "-m", "airflow", "db", "migrate"]
        done = self.step(
            f"airflow db migrate ({self.database})",
            lambda: processes.run(migrate, self.env, self.home, RUN_TIMEOUT),
        )
        if done.returncode:
            raise RuntimeError(f"airflow db migrate failed ({tail(done)})")

    def settings(self) -> dict[str, str]:
        return {
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "SCARF_ANALYTICS": "false",
            "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        }


class AirflowDagTest(AirflowHome):
    name = "airflow"

    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        done = python(
            DAG_TEST,
            str(self.home / "dags" / DAG_FILES[name].name),
            name,
            str(run_dir),
            env=self.env,
            cwd=self.home,
        )
        if not (run_dir / "records.json").exists():
            raise RuntimeError(f"dag.test() stopped before the run ended ({tail(done)})")
        records = json.loads((run_dir / "records.json").read_text())
        steps = tuple(step_record(task) for task in records["steps"])
        error = last_exception(done.stdout + done.stderr) if records["state"] == "failed" else ""
        return Outcome(records["state"], steps, error, records["run_id"])

    def relaunch(self, earlier: RunResult) -> Outcome:
        raise self.not_supported("resume", "dag.test() clears every task of the run it repeats")

    def ui_url(self) -> str:
        raise self.not_supported(
            "ui_url", "dag.test() runs the DAG in this process; no api-server serves the UI"
        )


class AirflowScheduler(AirflowHome):
    name = "airflow_scheduler"
    start_step = "start api-server, scheduler (log server off), dag-processor; wait healthy"
    COMPONENTS = (
        ("api-server", "--host", "127.0.0.1"),
        ("scheduler", "--skip-serve-logs"),
        ("dag-processor",),
    )

    def deploy(self) -> None:
        import httpx

        self.port, self.components = servers.free_port(), []
        super().deploy()
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        self.step(self.start_step, self._start)
        self.step("get a REST token with the generated admin password", self._login)
        self.step("wait until the dag-processor has parsed the DAGs", self._wait_for_dags)
        self.idle_memory_mb = usage.memory_mb()

    def settings(self) -> dict[str, str]:
        return {
            **super().settings(),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
        }

    def _start(self) -> None:
        for command in self.COMPONENTS:
            args = [sys.executable, "-m", "airflow", *command]
            args += ["--port", str(self.port)] if command[0] == "api-server" else []
            self.components.append(
                processes.start(args, self.home / f"{command[0]}.log", env=self.env, cwd=self.home)
            )
        self._until(self._healthy, "the Airflow components becoming healthy")

    def _healthy(self) -> bool:
        import httpx

        try:
            health = self.api.get("/api/v2/monitor/health").json()
        except httpx.HTTPError:
            return False
        return all(
            health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "dag_processor")
        )

    def _login(self) -> None:
        passwords = json.loads(
            (self.home / "simple_auth_manager_passwords.json.generated").read_text()
        )
        reply = self.api.post(
            "/auth/token", json={"username": "admin", "password": passwords["admin"]}
        )
        self.api.headers["Authorization"] = (
            f"Bearer {reply.raise_for_status().json()['access_token']}"
        )

    def dag_names(self) -> tuple[str, ...]:
        return tuple(DAG_FILES)

    def _wait_for_dags(self) -> None:
        self._until(
            lambda: all(
                self.api.get(f"/api/v2/dags/{n}").status_code == 200 for n in self.dag_names()
            ),
            "the DAGs being parsed",
        )

    def _until(self, ready, what: str, timeout: float = 180) -> None:
        """Poll ``ready`` every 0.2 s until true: RuntimeError once an Airflow component has
        exited, ServerError after ``timeout`` seconds; ``what`` names what is awaited."""

        def done() -> bool:
            if ready():
                return True
            if any(c.poll() is not None for c in self.components):
                raise RuntimeError(
                    f"an Airflow component exited while waiting for {what}; "
                    f"see the logs in {self.home}"
                )
            return False

        processes.wait_for(done, what, timeout, every=0.2)

    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        self._pool_slots(128 if parallel else 1)
        reply = self.api.post(
            f"/api/v2/dags/{name}/dagRuns",
            json={"logical_date": None, "conf": {"run_dir": str(run_dir)}},
        )
        return self._follow(name, reply.raise_for_status().json()["dag_run_id"])

    def relaunch(self, earlier: RunResult) -> Outcome:
        name, run_id = earlier.pipeline, earlier.outcome.run_id
        self.api.post(
            f"/api/v2/dags/{name}/clearTaskInstances",
            json={
                "dag_run_id": run_id,
                "only_failed": True,
                "dry_run": False,
                "reset_dag_runs": True,
            },
        ).raise_for_status()
        outcome = self._follow(name, run_id)
        before = {(s.name, s.started) for s in earlier.outcome.steps}
        steps = tuple(
            StepRecord(s.name, "reused", s.attempts, s.started, s.ended)
            if (s.name, s.started) in before
            else s
            for s in outcome.steps
        )
        return Outcome(outcome.state, steps, outcome.error, run_id)

    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _pool_slots(self, slots: int) -> None:
        """Sequential runs get one slot in the default pool: the tool's own throttle."""
        self.api.patch(
            "/api/v2/pools/default_pool", params={"update_mask": "slots"}, json={"slots": slots}
        ).raise_for_status()

    def _follow(self, name: str, run_id: str) -> Outcome:
        run = f"/api/v2/dags/{name}/dagRuns/{run_id}"
        ended = ("success", "failed")
        self._until(lambda: self._state(run) in ended, f"the end of run {run_id}", RUN_TIMEOUT)
        tasks = self.api.get(f"{run}/taskInstances", params={"limit": 1000}).json()
        steps = tuple(step_record(t) for t in tasks["task_instances"] if t["start_date"])
        failed = [t for t in tasks["task_instances"] if t["state"] == "failed"]
        error = self._task_error(run, failed[0]) if failed else ""
        return Outcome(self._state(run), steps, error, run_id)

    def _state(self, run: str) -> str:
        return self.api.get(run).raise_for_status().json()["state"]

    def _task_error(self, run: str, task: dict) -> str:
        log = self.api.get(
            f"{run}/taskInstances/{task['task_id']}/logs/{task['try_number']}",
            params={"map_index": task["map_index"]},
            headers={"Accept": "application/json"},
        )
        details = [
            e
            for e in log.json().get("content", [])
            if isinstance(e, dict) and e.get("error_detail")
        ]
        if not details:
            return ""
        last = details[-1]["error_detail"][-1]
        return f"{last.get('exc_type')}: {last.get('exc_value')}"

    def close(self) -> None:
        processes.stop(*getattr(self, "components", []), grace=30)
        if hasattr(self, "api"):
            self.api.close()
        super().close()
