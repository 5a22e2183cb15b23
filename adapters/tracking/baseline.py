"""What a team writes by hand: one folder per run, params as JSON, metrics as JSON lines,
the model with joblib, and a registry that is one JSON file of versions and aliases."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from adapters.tracking.base import RunData, Tracker, file_version


class FolderTracker(Tracker):
    name = "baseline"
    durability = "appended to the run's metrics.jsonl and flushed; readable at once"
    metric_api = "one write of all the series' JSON lines"
    search_method = "a scan of every run's metrics.jsonl in Python"
    store_kind = "folders of JSON files on local disk"

    def prepare(self) -> None:
        self._locate()
        self.step("create the runs folder", lambda: self.root.mkdir())
        self.step("write an empty registry.json", lambda: self.registry.write_text("{}"))

    def _locate(self) -> None:
        self.root = self.workdir / "runs"
        self.registry = self.workdir / "registry.json"

    def address(self) -> str:
        return str(self.workdir)

    @classmethod
    def attach(cls, address: str) -> FolderTracker:
        tracker = cls(Path(address))
        tracker._locate()
        return tracker

    def _run(self, run_id: str) -> Path:
        return next(self.root.glob(f"*/{run_id}"))

    def start_run(self, experiment: str, name: str) -> str:
        run_id = uuid.uuid4().hex
        folder = self.root / experiment / run_id
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps({"name": name, "status": "running"}))
        return run_id

    def log_params(self, run_id: str, params: dict[str, object]) -> None:
        text = json.dumps({k: str(v) for k, v in params.items()})
        (self._run(run_id) / "params.json").write_text(text)

    def log_metrics(self, run_id: str, key: str, values: list[float]) -> None:
        lines = (json.dumps({"key": key, "step": s, "value": v}) for s, v in enumerate(values))
        with open(self._run(run_id) / "metrics.jsonl", "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")

    def log_model(self, run_id: str, model) -> str:
        import joblib

        path = self._run(run_id) / "model.joblib"
        joblib.dump(model, path)
        return str(path)

    def end_run(self, run_id: str) -> None:
        path = self._run(run_id) / "run.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "status": "finished"}))

    def register_model(self, model_ref: str, name: str, alias: str) -> str:
        table = json.loads(self.registry.read_text())
        entry = table.setdefault(name, {"versions": [], "aliases": {}})
        entry["versions"].append(model_ref)
        entry["aliases"][alias] = len(entry["versions"])
        self.registry.write_text(json.dumps(table, indent=1))
        return str(len(entry["versions"]))

    def load_model(self, name: str, alias: str):
        import joblib

        entry = json.loads(self.registry.read_text())[name]
        return joblib.load(entry["versions"][entry["aliases"][alias] - 1])

    def best_run(self, experiment: str, metric: str) -> str:
        last = {
            folder.name: series[-1]
            for folder in (self.root / experiment).iterdir()
            if (series := self._metrics(folder).get(metric))
        }
        return max(last, key=last.get)

    def read_run(self, run_id: str) -> RunData:
        folder = self._run(run_id)
        params = folder / "params.json"
        logged = json.loads(params.read_text()) if params.exists() else {}
        return RunData(logged, self._metrics(folder))

    def link_data(self, run_id: str, path: Path) -> None:
        record = {"path": str(path), "version": file_version(path)}
        (self._run(run_id) / "data.json").write_text(json.dumps(record))

    def data_version(self, run_id: str) -> str:
        return json.loads((self._run(run_id) / "data.json").read_text())["version"]

    def _metrics(self, folder: Path) -> dict[str, list[float]]:
        path, series = folder / "metrics.jsonl", {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                point = json.loads(line)
                series.setdefault(point["key"], []).append(point["value"])
        return series
