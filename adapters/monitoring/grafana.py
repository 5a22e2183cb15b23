"""The Prometheus path a Grafana user builds, with real servers (Debian's packages).

Per-column drift statistics (the baseline's scipy tests) are pushed to a Pushgateway,
Prometheus scrapes them and evaluates an alerting rule, and the verdicts are read back
from Prometheus. The Grafana dashboard is JSON generated with grafana-foundation-sdk;
each panel's PromQL is run against Prometheus and must return the pushed values. The
Grafana server itself is not run here: no package of it is reachable from this machine
(set GRAFANA_URL, and GRAFANA_TOKEN if needed, to upload the dashboard to one).
"""

from __future__ import annotations

import json
import math
import os
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adapters import servers
from adapters.base import NotRunnable
from adapters.monitoring import prometheus
from adapters.monitoring.base import Alert, ColumnVerdict, DriftMonitor, drifted_columns
from adapters.monitoring.stats import scipy_verdicts

JOB = "drift"
RULES = """groups:
  - name: drift
    interval: 1s
    rules:
      - alert: ColumnDrift
        expr: bakeoff_drift_detected == 1
        labels: {severity: warning}
        annotations: {summary: "{{ $labels.column }} drifted in batch {{ $labels.batch }}"}
"""


@dataclass(frozen=True)
class PanelQuery:
    """One dashboard panel: its PromQL and the values it must show for the pushed batch."""

    title: str
    kind: str  # "timeseries", "table" or "stat"
    expr: str
    legend: str


PANELS = (
    PanelQuery("Drift score per column", "timeseries", "bakeoff_drift_score", "{{column}}"),
    PanelQuery("Drifted columns (1 = drifted)", "table", "bakeoff_drift_detected", "{{column}}"),
    PanelQuery("Columns drifted", "stat", "sum(bakeoff_drift_detected)", "drifted"),
    PanelQuery("Rows in the batch", "stat", "bakeoff_batch_rows", "rows"),
)


class GrafanaMonitor(DriftMonitor):
    name = "grafana"

    def setup(self) -> None:
        self.stack = prometheus.Stack(self.workdir)
        self.step(
            "write prometheus.yml (scrape the Pushgateway every 1 s, honor_labels) "
            "and rules.yml (alert ColumnDrift when bakeoff_drift_detected == 1)",
            lambda: self.stack.write_config(RULES),
        )
        self.step("start prometheus-pushgateway and prometheus on 127.0.0.1", self._start)
        self.step("wait for Prometheus to scrape the Pushgateway", self.stack.wait_scraped)

    def _start(self) -> None:
        """Start both servers; new ports when another process took one in between."""
        for attempt in range(3):
            try:
                return self.stack.start()
            except servers.ServerError as error:
                self.stack.stop()
                if "address already in use" not in str(error) or attempt == 2:
                    raise NotRunnable(f"the Prometheus servers did not start: {error}") from error
                self.stack.write_config(RULES)

    def close(self) -> None:
        if hasattr(self, "stack"):
            self.stack.stop()
        super().close()

    def check(self, reference: pd.DataFrame, current: pd.DataFrame, batch: str):
        """Compute, push, wait for the scrape, and read the verdicts back from Prometheus."""
        self.require_columns(reference, current)
        self.batch, self.rows = batch, len(current)
        self.pushed = scipy_verdicts(reference, current, self.numeric, self.categorical)
        self.stack.push(JOB, metrics_text(batch, self.pushed, self.rows))
        self.pushed_at, pushed_epoch = time.perf_counter(), time.time()
        # only samples scraped after the push count: a batch name may have been pushed before
        fresh = f'timestamp(bakeoff_drift_detected{{batch="{batch}"}}) >= {pushed_epoch}'
        servers.wait_for(
            lambda: len(self.stack.query(fresh)) == len(self.pushed),
            f"Prometheus scraping batch {batch}",
        )
        return self._verdicts_in_prometheus(batch)

    def _verdicts_in_prometheus(self, batch: str) -> list[ColumnVerdict]:
        tests = {v.column: v.test for v in self.pushed}
        scores = _by_column(self.stack.query(f'bakeoff_drift_score{{batch="{batch}"}}'))
        flags = _by_column(self.stack.query(f'bakeoff_drift_detected{{batch="{batch}"}}'))
        return [ColumnVerdict(c, flags[c] == 1.0, scores[c], tests[c]) for c in tests]

    def alert(self, batch: str, verdicts: list[ColumnVerdict]) -> Alert | None:
        """Wait for Prometheus's rule to fire for every drifted column (or for none)."""
        expected = set(drifted_columns(verdicts))
        if not expected:
            time.sleep(2.5)  # two rule evaluations after the scrape: nothing may fire
            if self._firing_columns(batch):
                raise AssertionError(f"Prometheus fired on batch {batch} without drift")
            return None
        servers.wait_for(
            lambda: self._firing_columns(batch) == expected, f"the drift alert for {batch}"
        )
        seconds = time.perf_counter() - self.pushed_at
        return Alert(batch, tuple(sorted(expected)), "the tool", seconds)

    def _firing_columns(self, batch: str) -> set[str]:
        alerts = self.stack.firing()
        return {a["labels"]["column"] for a in alerts if a["labels"].get("batch") == batch}

    def report(self, directory: Path) -> Path:
        """The dashboard JSON; each panel's query must return the pushed values."""
        path = Path(directory) / f"grafana-dashboard-{self.batch}.json"
        path.write_text(dashboard_json(), encoding="utf-8")
        self.panel_results = [self._panel_matches(panel) for panel in panels_of(path)]
        if not all(ok for _, ok in self.panel_results):
            failed = [title for title, ok in self.panel_results if not ok]
            raise AssertionError(f"dashboard panels showed other values than pushed: {failed}")
        if os.environ.get("GRAFANA_URL"):
            upload(path, os.environ["GRAFANA_URL"], os.environ.get("GRAFANA_TOKEN", ""))
        return path

    def _panel_matches(self, panel: dict) -> tuple[str, bool]:
        expected = expected_values(panel["expr"], self.pushed, self.rows)
        shown = _by_column(self.stack.query(panel["expr"]), default=panel["expr"])
        same = shown.keys() == expected.keys() and all(
            math.isclose(shown[k], expected[k], rel_tol=1e-12) for k in expected
        )
        return panel["title"], same

    def dashboard(self, directory: Path) -> str:
        self.report(directory)
        return (
            f"{len(self.panel_results)} panels generated with grafana-foundation-sdk; each "
            "panel's PromQL returned the pushed values from Prometheus (Grafana not run here)"
        )

    def history(self) -> int:
        """Batches Prometheus holds samples of within the last hour."""
        expr = "count(count by (batch) (last_over_time(bakeoff_drift_score[1h])))"
        result = self.stack.query(expr)
        return int(float(result[0]["value"][1])) if result else 0


def metrics_text(batch: str, verdicts: list[ColumnVerdict], rows: int) -> str:
    """The batch's statistics in Prometheus's text exposition format."""
    lines = ["# TYPE bakeoff_drift_score gauge"]
    lines += [f"bakeoff_drift_score{_labels(batch, v)} {v.score!r}" for v in verdicts]
    lines.append("# TYPE bakeoff_drift_detected gauge")
    lines += [f"bakeoff_drift_detected{_labels(batch, v)} {int(v.drifted)}" for v in verdicts]
    lines += ["# TYPE bakeoff_batch_rows gauge", f'bakeoff_batch_rows{{batch="{batch}"}} {rows}']
    return "\n".join(lines) + "\n"


def _labels(batch: str, verdict: ColumnVerdict) -> str:
    return f'{{batch="{batch}",column="{verdict.column}",test="{verdict.test}"}}'


def expected_values(expr: str, verdicts: list[ColumnVerdict], rows: int) -> dict[str, float]:
    """What a panel's query must return for the pushed batch, keyed like ``_by_column``."""
    if expr == "bakeoff_drift_score":
        return {v.column: v.score for v in verdicts}
    if expr == "bakeoff_drift_detected":
        return {v.column: float(v.drifted) for v in verdicts}
    if expr == "sum(bakeoff_drift_detected)":
        return {expr: float(sum(v.drifted for v in verdicts))}
    return {expr: float(rows)}


def _by_column(result: list[dict], default: str = "") -> dict[str, float]:
    return {r["metric"].get("column", default): float(r["value"][1]) for r in result}


def dashboard_json() -> str:
    """The Grafana dashboard (schema of Grafana 11.6) built with grafana-foundation-sdk."""
    from grafana_foundation_sdk.builders import dashboard, stat, table, timeseries
    from grafana_foundation_sdk.builders import prometheus as promql
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import DataSourceRef

    source = DataSourceRef(type_val="prometheus", uid="${datasource}")
    builders = {"timeseries": timeseries.Panel, "table": table.Panel, "stat": stat.Panel}
    board = (
        dashboard.Dashboard("Wish data drift")
        .uid("bakeoff-drift")
        .tags(["bakeoff", "drift"])
        .refresh("10s")
        .time("now-6h", "now")
        .with_variable(dashboard.DatasourceVariable("datasource").type("prometheus"))
    )
    for panel in PANELS:
        query = promql.Dataquery().expr(panel.expr).legend_format(panel.legend).instant()
        board = board.with_panel(
            builders[panel.kind]().title(panel.title).datasource(source).with_target(query)
        )
    return JSONEncoder(sort_keys=True, indent=2).encode(board.build())


def panels_of(path: Path) -> list[dict]:
    """(title, PromQL) of every panel target in a dashboard JSON file."""
    board = json.loads(path.read_text(encoding="utf-8"))
    return [
        {"title": panel["title"], "expr": target["expr"]}
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]


def upload(path: Path, grafana_url: str, token: str) -> None:
    """POST the dashboard to a Grafana server's dashboard API (only when GRAFANA_URL is set)."""
    body = json.dumps({"dashboard": json.loads(path.read_text()), "overwrite": True}).encode()
    request = urllib.request.Request(
        f"{grafana_url.rstrip('/')}/api/dashboards/db", data=body, method="POST"
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
