"""MLflow 3 in two real modes: a local store (SQLite file + artifact folder) and a tracking
server the adapter starts on 127.0.0.1, driven over HTTP. The registry is MLflow's own."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from adapters.servers import Server
from adapters.tracking.base import RunData, Tracker, file_version

BATCH = 1000  # MLflow's limit of metrics per log_batch call
# skops refuses to load types it does not know; these are the ones the sales model holds
TRUSTED_TYPES = ["numpy.dtype", "sklearn.tree._tree.Tree"]


class _MlflowTracker(Tracker):
    """Everything both modes share; they differ only in where the store lives."""

    operations = (*Tracker.operations, "log_model_default")
    metric_api = f"MlflowClient.log_batch, {BATCH} points per call"
    search_method = "the tool's query: search_runs(order_by=['metrics.r2 DESC'])"
    uri = ""
    artifact_root: str | None = None

    def connect(self) -> None:
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(self.uri)
        mlflow.set_registry_uri(self.uri)
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        self.experiments: dict[str, str] = {}

    def _experiment_id(self, name: str) -> str:
        if name not in self.experiments:
            found = self.client.get_experiment_by_name(name)
            self.experiments[name] = (
                found.experiment_id
                if found
                else self.client.create_experiment(name, artifact_location=self._artifacts(name))
            )
        return self.experiments[name]

    def _artifacts(self, experiment: str) -> str | None:
        return f"{self.artifact_root}/{experiment}" if self.artifact_root else None

    def start_run(self, experiment: str, name: str) -> str:
        return self.client.create_run(self._experiment_id(experiment), run_name=name).info.run_id

    def log_params(self, run_id: str, params: dict[str, object]) -> None:
        from mlflow.entities import Param

        self.client.log_batch(run_id, params=[Param(k, str(v)) for k, v in params.items()])

    def log_metrics(self, run_id: str, key: str, values: list[float]) -> None:
        from mlflow.entities import Metric

        stamp = 0  # one timestamp for the series: the step is what orders it
        points = [Metric(key, float(v), stamp, step) for step, v in enumerate(values)]
        for start in range(0, len(points), BATCH):
            self.client.log_batch(run_id, metrics=points[start : start + BATCH])

    def log_model(self, run_id: str, model) -> str:
        """The tuned call: pinned requirements, so MLflow does not infer them."""
        import sklearn

        return self._log_model(
            run_id, model, TRUSTED_TYPES, [f"scikit-learn=={sklearn.__version__}"]
        )

    def log_model_default(self, run_id: str, model, trusted: bool = True) -> str:
        """The call as a user first writes it: no pip_requirements (MLflow infers them), and
        with ``trusted=False`` not even the skops types (which MLflow 3 then refuses)."""
        return self._log_model(run_id, model, TRUSTED_TYPES if trusted else None, None)

    def _log_model(self, run_id: str, model, trusted, requirements) -> str:
        import mlflow

        mlflow.set_tracking_uri(self.uri)
        with mlflow.start_run(run_id=run_id, log_system_metrics=False):
            info = mlflow.sklearn.log_model(
                model, name="model", skops_trusted_types=trusted, pip_requirements=requirements
            )
        return info.model_uri

    def end_run(self, run_id: str) -> None:
        self.client.set_terminated(run_id)

    def register_model(self, model_ref: str, name: str, alias: str) -> str:
        import mlflow

        mlflow.set_registry_uri(self.uri)
        version = mlflow.register_model(model_ref, name).version
        self.client.set_registered_model_alias(name, alias, version)
        return str(version)

    def load_model(self, name: str, alias: str):
        import mlflow

        mlflow.set_registry_uri(self.uri)
        return mlflow.sklearn.load_model(f"models:/{name}@{alias}")

    def best_run(self, experiment: str, metric: str) -> str:
        runs = self.client.search_runs(
            [self._experiment_id(experiment)], order_by=[f"metrics.`{metric}` DESC"], max_results=1
        )
        return runs[0].info.run_id

    def read_run(self, run_id: str) -> RunData:
        run = self.client.get_run(run_id)
        metrics = {
            key: [m.value for m in sorted(self.client.get_metric_history(run_id, key), key=_step)]
            for key in run.data.metrics
        }
        return RunData(dict(run.data.params), metrics)

    def link_data(self, run_id: str, path: Path) -> None:
        from mlflow.entities import Dataset, DatasetInput

        source = json.dumps({"uri": str(path)})
        dataset = Dataset(path.name, file_version(path), "local", source)
        self.client.log_inputs(run_id, datasets=[DatasetInput(dataset)])

    def data_version(self, run_id: str) -> str:
        return self.client.get_run(run_id).inputs.dataset_inputs[0].dataset.digest


def _step(metric) -> int:
    return metric.step


def _mlflow_program() -> str:
    return str(Path(sys.executable).with_name("mlflow"))


def server_command(store: Path, workers: int | None = None):
    """``mlflow server`` on 127.0.0.1 with a SQLite store under ``store``."""

    def command(port: int) -> list[str]:
        options = ["--workers", str(workers)] if workers else []
        return [
            _mlflow_program(),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{store}/mlflow.db",
            "--artifacts-destination",
            str(store / "artifacts"),
            *options,
        ]

    return command


LEAN_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


class MlflowLocalTracker(_MlflowTracker):
    name = "mlflow"
    durability = "committed to the SQLite file; readable at once"
    store_kind = "a SQLite file and an artifact folder on local disk"

    def prepare(self) -> None:
        self._locate()
        self.step("open the SQLite store (creates its tables)", self._open)

    def _locate(self) -> None:
        self.uri = f"sqlite:///{self.workdir}/mlflow.db"
        self.artifact_root = (self.workdir / "artifacts").as_uri()

    def address(self) -> str:
        return str(self.workdir)

    @classmethod
    def attach(cls, address: str) -> MlflowLocalTracker:
        tracker = cls(Path(address))
        tracker._locate()
        tracker.connect()
        return tracker

    def _open(self) -> None:
        self.connect()
        self.client.search_experiments()

    def ui_url(self) -> str:
        """Local mode has no UI process of its own: the probe starts ``mlflow server`` on
        the same store (lean settings), as a user running ``mlflow ui`` would."""
        if getattr(self, "ui_server", None) is None:
            self.ui_server = Server(server_command(self.workdir, 1), self.workdir, LEAN_ENV)
            self.ui_server.start()
        return self.ui_server.url + "/"

    def ui_rss_bytes(self) -> int | None:
        server = getattr(self, "ui_server", None)
        return server.rss_bytes() if server is not None else None

    def stop_ui(self) -> None:
        if getattr(self, "ui_server", None) is not None:
            self.ui_server.stop()
            self.ui_server = None

    def close(self) -> None:
        self.stop_ui()
        super().close()


class MlflowServerTracker(_MlflowTracker):
    """The lean server: one worker, no job consumers (the default's cost is measured apart)."""

    name = "mlflow_server"
    durability = "committed by the server to its SQLite file; readable at once over HTTP"
    store_kind = "an `mlflow server` on 127.0.0.1 (SQLite backend), over HTTP"
    server: Server | None = None

    def prepare(self) -> None:
        store = self.workdir / "server"
        store.mkdir()
        self.server = Server(server_command(store, workers=1), store, LEAN_ENV)
        self.start_seconds = self.step(
            "start `mlflow server --workers 1` (job execution off) on 127.0.0.1, free port",
            self.server.start,
        )
        self.uri = self.server.url
        self.step("point the client at the server over HTTP", self.connect)

    def address(self) -> str:
        return self.uri

    @classmethod
    def attach(cls, address: str) -> MlflowServerTracker:
        tracker = cls()
        tracker.uri = address
        tracker.connect()
        return tracker

    def ui_url(self) -> str:
        return self.server.url + "/"

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        super().close()


def measure_default_server(workdir: Path, settle: float = 3.0) -> dict:
    """Start ``mlflow server`` with default settings once: seconds to a healthy /health,
    resident memory and process count once settled. Stopped before returning."""
    import time

    server = Server(server_command(workdir), workdir, {})
    try:
        started = server.start()
        time.sleep(settle)
        return {
            "start_seconds": started,
            "rss_mb": server.rss_bytes() / 2**20,
            "processes": server.process_count(),
        }
    finally:
        server.stop()
