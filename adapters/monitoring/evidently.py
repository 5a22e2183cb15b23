"""Evidently 0.7: the DataDriftPreset on reference vs current, read back as data.

``EvidentlyMonitor`` keeps Evidently's defaults (above 1000 reference rows: normed
Wasserstein distance for numbers, Jensen-Shannon distance for categories, threshold
0.1). ``EvidentlyKsMonitor`` asks for the baseline's tests by name (``ks`` and
``chisquare``, p < 0.05), so the two settings can be compared on the same batches.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd

from adapters import servers
from adapters.monitoring.base import ColumnVerdict, DriftMonitor

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry off (UI server too)
_JSON = {"Content-Type": "application/json"}


class EvidentlyMonitor(DriftMonitor):
    name = "evidently"
    preset_options: dict = {}

    def setup(self) -> None:
        evidently = self.step("import evidently", _import_evidently)
        self.definition = self.step(
            "declare numerical and categorical columns in a DataDefinition",
            lambda: evidently.DataDefinition(
                numerical_columns=list(self.numeric), categorical_columns=list(self.categorical)
            ),
        )
        self.evidently, self.workspace, self.project = evidently, None, None
        self.stored_scores: list[dict[str, float]] = []

    def check(self, reference: pd.DataFrame, current: pd.DataFrame, batch: str):
        from evidently.presets import DataDriftPreset

        self.require_columns(reference, current)
        columns = [*self.numeric, *self.categorical]
        report = self.evidently.Report([DataDriftPreset(**self.preset_options)], include_tests=True)
        with warnings.catch_warnings():
            # chisquare divides by the zero expected count of a category new in the batch;
            # its p-value of 0 is the right verdict
            warnings.simplefilter("ignore", RuntimeWarning)
            self.run = report.run(
                self._dataset(current[columns]), self._dataset(reference[columns])
            )
        self.batch, self.last = batch, self.verdicts(self.run.dict())
        return self.last

    def _dataset(self, frame: pd.DataFrame):
        return self.evidently.Dataset.from_pandas(frame, data_definition=self.definition)

    @staticmethod
    def verdicts(result: dict) -> list[ColumnVerdict]:
        """One verdict per ValueDrift test; the score is its metric's value."""
        values = {metric["id"]: metric["value"] for metric in result["metrics"]}
        out = []
        for test in result["tests"]:
            params = test["metric_config"]["params"]
            if params["type"].endswith(":ValueDrift"):
                metric_id = test["metric_config"]["metric_id"]
                drifted = test["status"] == "FAIL"
                score = float(values[metric_id])
                out.append(ColumnVerdict(params["column"], drifted, score, params["method"]))
        return out

    def report(self, directory: Path) -> Path:
        path = Path(directory) / f"evidently-{self.batch}.html"
        self.run.save_html(str(path))
        return path

    def history(self) -> int:
        """Add the last run to a local Workspace project; its stored runs form the history."""
        if self.workspace is None:
            from evidently.ui.workspace import Workspace

            self.workspace = Workspace.create(str(self.workdir / "workspace"))
            self.project = self.workspace.create_project("wish drift")
        self.workspace.add_run(self.project.id, self.run)
        self.stored_scores.append({v.column: v.score for v in self.last})
        return len(self.workspace.list_runs(self.project.id))

    def dashboard(self, directory: Path) -> str:
        """A panel of each column's drift score, read back through a real `evidently ui`."""
        from evidently.sdk.models import PanelMetric
        from evidently.sdk.panels import line_plot_panel

        if self.project is None:
            self.history()
        columns = [*self.numeric, *self.categorical]
        metrics = [
            PanelMetric(legend=c, metric="ValueDrift", metric_labels={"column": c}) for c in columns
        ]
        self.project.dashboard.add_panel(line_plot_panel("Drift score per column", metrics))
        with self._ui_server() as url:
            shown = ui_series(url, str(self.project.id))
        expected = {c: [run[c] for run in self.stored_scores] for c in columns}
        if shown != expected:
            raise AssertionError("the evidently ui dashboard shows other scores than the runs")
        return (
            f"a panel of {len(columns)} drift-score series over {len(self.stored_scores)} runs, "
            "served by `evidently ui` on 127.0.0.1 with the runs' scores"
        )

    @contextlib.contextmanager
    def _ui_server(self):
        port = servers.free_port()
        command = [sys.executable, "-m", "evidently.cli", "ui", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workspace", str(self.workdir / "workspace")]
        with (self.workdir / "ui.log").open("w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}"
                servers.wait_for(lambda: servers.http(f"{url}/api/v2/projects") is not None,
                                 "evidently ui ready", timeout=180)  # fmt: skip
                yield url
            finally:
                servers.stop(process)


def ui_series(url: str, project_id: str) -> dict[str, list[float]]:
    """Every series of the project's dashboard panels, as the UI fetches them: column -> values."""
    dashboard = json.loads(servers.http(f"{url}/api/v2/dashboards/{project_id}"))
    filters = [
        {key: value[key] for key in ("tags", "metadata", "metric", "metric_labels")}
        for panel in dashboard["panels"]
        for value in panel["values"]
    ]
    body = json.dumps({"series_filter": filters}).encode()
    reply = servers.http(
        f"{url}/api/v2/snapshots/{project_id}/data_series_batch", body, "POST", _JSON
    )
    return {s["params"]["column"]: s["values"] for s in json.loads(reply)["series"]}


class EvidentlyKsMonitor(EvidentlyMonitor):
    name = "evidently_ks"
    preset_options = {"num_method": "ks", "cat_method": "chisquare"}


def _import_evidently():
    import evidently

    return evidently
