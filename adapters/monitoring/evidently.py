"""Evidently 0.7: the DataDriftPreset on reference vs current, read back as data.

``EvidentlyMonitor`` keeps Evidently's defaults (above 1000 reference rows: normed
Wasserstein distance for numbers, Jensen-Shannon distance for categories, threshold
0.1). ``EvidentlyKsMonitor`` asks for the baseline's tests by name (``ks`` and
``chisquare``, p < 0.05), so the two settings can be compared on the same batches.
The verdicts are Evidently's own: the status of each column's ValueDrift test.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import pandas as pd

from adapters import servers
from adapters.monitoring.base import ColumnVerdict, Dashboard, DriftMonitor, source_of

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry off (UI server too)
_JSON = {"Content-Type": "application/json"}


class EvidentlyMonitor(DriftMonitor):
    name = "evidently"
    detection = "Evidently's default drift methods and thresholds, decided by Evidently"
    preset_options: dict = {}
    checked_together = (
        "each batch by the preset's per-column ValueDrift metrics in a Report of their own, "
        "without the preset's page: the same scores and tests as the full report"
    )

    def setup(self) -> None:
        self.step("import evidently", _import_evidently)
        self.definition = self.step(
            "declare numerical and categorical columns in a DataDefinition",
            lambda: data_definition(self.numeric, self.categorical),
        )
        self.workspace, self.project = None, None
        self.stored_scores: list[dict[str, float]] = []

    def check(self, reference: pd.DataFrame, current: pd.DataFrame, batch: str):
        self.require_columns(reference, current)
        self.batch, self.run = batch, self.evidently_run(drift_report, reference, current)
        self.last = self.verdicts(self.run.dict())
        return self.last

    def check_many(self, reference: pd.DataFrame, batches: list[tuple[pd.DataFrame, str]]):
        """Evidently's verdicts for each batch from :func:`drift_scores_report`: the same
        tests as :meth:`check`'s, in about half the time (no page is drawn). The last
        checked batch, for ``alert`` and ``report``, stays the one :meth:`check` last saw."""
        self.require_columns(reference, *(frame for frame, _ in batches))
        return [
            self.verdicts(self.evidently_run(drift_scores_report, reference, frame).dict())
            for frame, _ in batches
        ]

    def evidently_run(self, report, reference: pd.DataFrame, current: pd.DataFrame):
        return run_on_columns(report, reference, current, self.definition, self.preset_options)

    @staticmethod
    def verdicts(result: dict) -> list[ColumnVerdict]:
        """One verdict per ValueDrift test (its status); the score is its metric's value."""
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
            self.workspace, self.project = workspace_project(self.workdir / "workspace")
        self.workspace.add_run(self.project.id, self.run)
        self.stored_scores.append({v.column: v.score for v in self.last})
        return len(self.workspace.list_runs(self.project.id))

    def dashboard(self, directory: Path) -> Dashboard:
        """A panel of each column's drift score, read back through a real `evidently ui`
        (a server started for this alone: its memory is reported on its own)."""
        if self.project is None:
            self.history()
        columns = [*self.numeric, *self.categorical]
        add_drift_panel(self.project, columns)
        server = servers.Server(self._ui_command, self.workdir, {"DO_NOT_TRACK": "1"})
        try:
            server.start(health="/api/v2/projects", timeout=180)
            shown = ui_series(server.url, str(self.project.id))
        finally:
            server.stop()
        return Dashboard(
            location=server.url,
            served_by="evidently ui",
            shown=shown,
            expected={c: [run[c] for run in self.stored_scores] for c in columns},
            note=f"project {self.project.id}: series read back through the UI's data API",
            server_rss_mb=server.peak_rss_bytes / 2**20,
        )

    def _ui_command(self, port: int) -> list[str]:
        command = [sys.executable, "-m", "evidently.cli", "ui", "--host", servers.HOST]
        return [*command, "--port", str(port), "--workspace", str(self.workdir / "workspace")]

    def user_code(self) -> dict[str, str]:
        return {
            "drift report definition": source_of(data_definition, drift_report),
            "workspace project and dashboard panel": source_of(workspace_project, add_drift_panel),
        }


class EvidentlyKsMonitor(EvidentlyMonitor):
    name = "evidently_ks"
    detection = "Evidently's ks / chisquare options (p < 0.05), decided by Evidently"
    preset_options = {"num_method": "ks", "cat_method": "chisquare"}


def data_definition(numeric, categorical):
    from evidently import DataDefinition

    return DataDefinition(numerical_columns=list(numeric), categorical_columns=list(categorical))


def run_on_columns(report, reference, current, definition, options: dict):
    """``report`` (:func:`drift_report` or :func:`drift_scores_report`) run on the
    definition's columns of both frames."""
    columns = [*(definition.numerical_columns or []), *(definition.categorical_columns or [])]
    with warnings.catch_warnings():
        # chisquare divides by the zero expected count of a category new in the batch;
        # its p-value of 0 is the right verdict
        warnings.simplefilter("ignore", RuntimeWarning)
        return report(reference[columns], current[columns], definition, options)


def drift_report(reference, current, definition, options: dict):
    from evidently import Dataset, Report
    from evidently.presets import DataDriftPreset

    report = Report([DataDriftPreset(**options)], include_tests=True)
    return report.run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )


def drift_scores_report(reference, current, definition, options: dict):
    """The DataDriftPreset's own ValueDrift metrics, one per column with the method the
    preset gives it (``num_method`` / ``cat_method`` by column type, else Evidently's
    choice), in a Report of their own with their tests. Their scores and tests are the
    preset's; left out are its count of drifted columns and its page, which computes the
    drift a second time to draw its table (about half of a run). For verdicts over many
    batches, where nobody reads a page; tests/test_monitoring.py holds the verdicts equal."""
    from evidently import Dataset, Report
    from evidently.metrics import ValueDrift

    unknown = set(options) - {"num_method", "cat_method"}
    if unknown:
        raise ValueError(f"drift_scores_report mirrors no preset option {sorted(unknown)}")
    numeric = set(definition.numerical_columns)
    columns = [*definition.numerical_columns, *definition.categorical_columns]
    metrics = [
        ValueDrift(column=c, method=options.get("num_method" if c in numeric else "cat_method"))
        for c in columns
    ]
    return Report(metrics, include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )


def workspace_project(directory: Path):
    from evidently.ui.workspace import Workspace

    workspace = Workspace.create(str(directory))
    return workspace, workspace.create_project("wish drift")


def add_drift_panel(project, columns) -> None:
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    metrics = [
        PanelMetric(legend=c, metric="ValueDrift", metric_labels={"column": c}) for c in columns
    ]
    project.dashboard.add_panel(line_plot_panel("Drift score per column", metrics))


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


def _import_evidently():
    import evidently

    return evidently
