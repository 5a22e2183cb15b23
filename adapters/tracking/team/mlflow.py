"""``mlflow server`` on PostgreSQL or a SQLite file, the artefacts in one shared folder."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from adapters import servers, services
from adapters.base import NotRunnable
from adapters.tracking.base import QUIET_ENV
from adapters.tracking.mlflow import MlflowServerTracker, _mlflow_program
from adapters.tracking.team.base import EXPERIMENT, MODEL_NAME, WARMUP, TeamStore

# the MLflow server reports errors of its database in its log; the client retries a 5xx
DB_ERRORS = ("database is locked", "OperationalError", "deadlock detected")
# the default server's four workers import MLflow each; on a busy 2-core machine uvicorn
# restarts those that miss its 5 s health check, and the start takes minutes
START_LIMIT = 900.0
WORKER_DIED = "INFO:     Child process ["  # uvicorn's line when a worker is gone


class MlflowTeamStore(TeamStore):
    """``mlflow server`` with MLflow's defaults (4 workers, job execution on, artefacts
    served from ``--artifacts-destination``) on PostgreSQL or a SQLite file. ``lean`` (one
    worker, job execution off) is for the conformance test only."""

    tracker = MlflowServerTracker

    backend = ""  # the store's database: "postgresql" or "sqlite"

    def __init__(self, workdir: Path | None = None, lean: bool = False):
        super().__init__(workdir)
        self.lean = lean
        self.name = f"mlflow+{self.backend}"
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


class MlflowPostgresStore(MlflowTeamStore):
    """``mlflow+postgresql``: the store on a PostgreSQL database."""

    backend = "postgresql"


class MlflowSqliteStore(MlflowTeamStore):
    """``mlflow+sqlite``: the store on a SQLite file beside the artefacts."""

    backend = "sqlite"
