"""Trackio (Hugging Face), local mode: one SQLite file per project under the work folder,
artifacts in a content-addressed folder, a local registry with aliases. No account and no
Hugging Face Space: the run never leaves this machine."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from adapters.processes import ServerError, wait_for
from adapters.servers import HOST, free_port, http_status
from adapters.tracking.base import RunData, Tracker, file_version

REGISTRY = "models"
CONSUMERS = "model-consumers"  # project of the short runs that fetch artifacts back
# trackio reads TRACKIO_DIR once, at import, into these module attributes
_DIR_ATTRIBUTES = {
    "trackio.utils": {"TRACKIO_DIR": "", "MEDIA_DIR": "media", "ARTIFACTS_DIR": "artifacts"},
    "trackio.sqlite_storage": {"TRACKIO_DIR": ""},
    "trackio.run": {"MEDIA_DIR": "media"},
    "trackio.media.media": {"MEDIA_DIR": "media"},
    "trackio.table": {"MEDIA_DIR": "media"},
}


class TrackioTracker(Tracker):
    name = "trackio"
    durability = (
        "committed to the project's SQLite file by trackio's background sender (it writes "
        "every 0.5 s); the clock stops when the last point is readable"
    )
    metric_api = "run.log({key: value}, step=...) per point (trackio batches them itself)"
    search_method = "a scan of every run's logs in Python: trackio has no run query API"
    store_kind = "one SQLite file per project and an artifact folder on local disk"
    not_equivalent = {
        "start_run": "not durable: trackio.init writes nothing to the store; the run exists "
        "for other processes only once its first metric is written",
        "log_params": "not durable: trackio keeps params in memory (run.config) until the "
        "run's first logged metric is written; it has no call to store them on their own",
    }

    def prepare(self) -> None:
        self._open_state()
        self.step("point TRACKIO_DIR at the work folder", self._point_at_workdir)
        self.step(f"create the local registry '{REGISTRY}'", self._create_registry)

    def _open_state(self) -> None:
        self.runs: dict[str, object] = {}
        self.artifacts: dict[str, object] = {}

    def address(self) -> str:
        return str(self.workdir)

    @classmethod
    def attach(cls, address: str) -> TrackioTracker:
        tracker = cls(Path(address))
        tracker._open_state()
        tracker._point_at_workdir()
        return tracker

    def _point_at_workdir(self) -> None:
        home = self.workdir / "trackio"
        os.environ["TRACKIO_DIR"] = str(home)
        for module, attributes in _DIR_ATTRIBUTES.items():
            if module in sys.modules:  # imported by an earlier adapter in this process
                for attribute, child in attributes.items():
                    setattr(sys.modules[module], attribute, home / child if child else home)

    def _create_registry(self) -> None:
        import trackio

        trackio.Api().create_registry(REGISTRY)

    def start_run(self, experiment: str, name: str) -> str:
        import trackio

        run = trackio.init(
            project=experiment, name=name, auto_log_cpu=False, auto_log_gpu=False, embed=False
        )
        run_id = f"{experiment}/{name}"  # trackio names a run within its project
        self.runs[run_id] = run
        return run_id

    def log_params(self, run_id: str, params: dict[str, object]) -> None:
        # trackio stores the config with the run's first logged batch
        self.runs[run_id].config.update(params)

    def log_metrics(self, run_id: str, key: str, values: list[float]) -> None:
        from trackio.sqlite_storage import SQLiteStorage

        run, (project, name) = self.runs[run_id], _split(run_id)
        expected = SQLiteStorage.get_log_count(project, name) + len(values)
        for step, value in enumerate(values):
            run.log({key: float(value)}, step=step)
        while SQLiteStorage.get_log_count(project, name) < expected:
            time.sleep(0.005)

    def log_model(self, run_id: str, model) -> str:
        import joblib

        name = _split(run_id)[1]
        path = self.workdir / f"model-{name}.joblib"
        joblib.dump(model, path)
        artifact = self.runs[run_id].log_artifact(path, name=f"model-{name}", type="model")
        self.artifacts[f"{artifact.name}:{artifact.version}"] = artifact
        return f"{artifact.name}:{artifact.version}"

    def end_run(self, run_id: str) -> None:
        self.runs.pop(run_id).finish()

    def register_model(self, model_ref: str, name: str, alias: str) -> str:
        linked = self.artifacts[model_ref].link(f"registry-{REGISTRY}/{name}", aliases=[alias])
        return str(linked.version)

    def load_model(self, name: str, alias: str):
        import joblib

        artifact = self._fetch(CONSUMERS, f"registry-{REGISTRY}/{name}:{alias}")
        folder = Path(artifact.download(self.workdir / "downloads" / f"{name}-{alias}"))
        return joblib.load(next(folder.glob("*.joblib")))

    def best_run(self, experiment: str, metric: str) -> str:
        import trackio

        last = {
            run.name: self._series(experiment, run.name, metric)
            for run in trackio.Api().runs(experiment)
        }
        best = max((name for name in last if last[name]), key=lambda name: last[name][-1])
        return f"{experiment}/{best}"

    def read_run(self, run_id: str) -> RunData:
        import trackio

        project, name = _split(run_id)
        found = [r for r in trackio.Api().runs(project) if r.name == name]
        if not found:
            raise LookupError(f"trackio's project {project!r} has no run {name!r}")
        params = {k: str(v) for k, v in (found[0].config or {}).items() if not k.startswith("_")}
        logs = self._logs(project, name)
        keys = dict.fromkeys(k for log in logs for k in log if k not in ("step", "timestamp"))
        return RunData(params, {k: [log[k] for log in logs if k in log] for k in keys})

    def link_data(self, run_id: str, path: Path) -> None:
        self.runs[run_id].log_artifact(path, name=f"data-{_split(run_id)[1]}", type="dataset")

    def data_version(self, run_id: str) -> str:
        project, name = _split(run_id)
        artifact = self._fetch(project, f"data-{name}:latest")
        return artifact.manifest[0]["digest"][: len(file_version(Path(__file__)))]

    def ui_url(self) -> str:
        import trackio

        if getattr(self, "ui", None) is None:
            self.ui = trackio.show(
                open_browser=False, block_thread=False, host=HOST, server_port=free_port()
            )
        url = self.ui[1]
        if http_status(url) != 200:
            raise RuntimeError(f"the trackio dashboard at {url} did not answer 200")
        return url

    def _fetch(self, project: str, spec: str):
        """An artifact fetched back; trackio only does that inside a run."""
        import trackio

        consumer = trackio.init(
            project=project, name=f"fetch-{time.time_ns()}", auto_log_cpu=False, auto_log_gpu=False
        )
        try:
            return consumer.use_artifact(spec)
        finally:
            consumer.finish()

    def _logs(self, project: str, run_name: str) -> list[dict]:
        from trackio.sqlite_storage import SQLiteStorage

        return sorted(SQLiteStorage.get_logs(project, run_name), key=lambda log: log["step"])

    def _series(self, project: str, run_name: str, metric: str) -> list[float]:
        return [log[metric] for log in self._logs(project, run_name) if metric in log]

    def close(self) -> None:
        for run in getattr(self, "runs", {}).values():
            run.finish()
        self.stop_ui()
        super().close()

    def stop_ui(self) -> None:
        if getattr(self, "ui", None) is not None:
            self.ui[0].close()  # asks uvicorn to exit; wait until it no longer answers
            url = self.ui[1]
            with contextlib.suppress(ServerError):
                wait_for(lambda: not http_status(url, timeout=1), "the UI stopping", 10, 0.1)
            self.ui = None


def _split(run_id: str) -> tuple[str, str]:
    """(project, run name) of a run id made by ``start_run``."""
    project, _, name = run_id.partition("/")
    return project, name
