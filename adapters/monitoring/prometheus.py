"""Prometheus + Pushgateway + a PromQL alert rule, with real servers (Debian's packages).

``PrometheusAlerting`` is what both Prometheus tools share. Each check pushes one gauge
per column to the Pushgateway: the statistic (a p-value or a distance), never a verdict.
Prometheus scrapes it, evaluates the alert rule that holds the thresholds
(``drift_p_value < 0.05``, ``drift_distance >= 0.1``, per column), and the verdicts are
the rule's firing alerts, read back over Prometheus's HTTP API. The Grafana dashboard is
only generated (``adapters.monitoring.grafana_dashboard``): no Grafana server runs here.

``PrometheusMonitor`` (the ``baseline_prometheus`` tool) computes the statistics with the
baseline's scipy code, so its detection is the baseline's (bakeoff's own code); what
Prometheus adds is the alerting and the history.
"""

from __future__ import annotations

import abc
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adapters import servers
from adapters.base import NotRunnable
from adapters.monitoring.base import Alert, ColumnVerdict, Dashboard, DriftMonitor, source_of
from adapters.monitoring.grafana_dashboard import drift_dashboard, panel_queries, write_dashboard
from adapters.monitoring.prometheus_stack import INTERVAL_SECONDS, PROGRAMS, Stack
from adapters.monitoring.stats import STATISTICS_CODE, p_values

GAUGES = '{__name__=~"drift_p_value|drift_distance"'  # + the batch label and "}"
BATCH_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # safe in a URL path and a PromQL regex as is
NO_GRAFANA = (
    "generated with grafana-foundation-sdk, not rendered: no Grafana server here (Debian "
    "has no grafana package); each panel's PromQL was run against Prometheus"
)


@dataclass(frozen=True)
class Statistic:
    # one column's drift statistic as pushed: kind is "p_value" or "distance"

    column: str
    value: float
    test: str
    kind: str


def alert_rules(p_value_level: float, distance_level: float) -> str:
    summary = "{{ $labels.column }} drifted in batch {{ $labels.batch }} ({{ $value }})"
    return f"""groups:
  - name: drift
    rules:
      - alert: ColumnDrift
        expr: drift_p_value < {p_value_level}
        annotations: {{summary: "{summary}"}}
      - alert: ColumnDrift
        expr: drift_distance >= {distance_level}
        annotations: {{summary: "{summary}"}}
"""


def push_statistics(pushgateway: str, batch: str, statistics: list[Statistic], rows: int,
                    group: str = "") -> None:  # fmt: skip
    # one gauge per column, labelled with the batch, the column and the test
    lines = []
    for kind in sorted({s.kind for s in statistics}):
        lines.append(f"# TYPE drift_{kind} gauge")
        lines += [
            f'drift_{kind}{{batch="{batch}",column="{s.column}",test="{s.test}"}} {s.value!r}'
            for s in statistics
            if s.kind == kind
        ]
    lines += ["# TYPE drift_batch_rows gauge", f'drift_batch_rows{{batch="{batch}"}} {rows}']
    body = ("\n".join(lines) + "\n").encode()
    servers.http(f"{pushgateway}/metrics/job/drift{group}", body, "PUT")


class PrometheusAlerting(DriftMonitor):
    """Push per-column statistics; Prometheus's alert rule decides which columns drifted."""

    system_packages = PROGRAMS
    p_value_level, distance_level = 0.05, 0.1  # the rule's thresholds (Evidently's defaults)
    checked_together = (
        "the batches' statistics pushed at once (a Pushgateway group each) and decided by one "
        "evaluation of the alert rule"
    )

    def setup(self) -> None:
        self.stack = Stack(self.workdir)
        self.step(
            f"write prometheus.yml (scrape the Pushgateway every {INTERVAL_SECONDS:g} s, "
            "honor_labels) and rules.yml (alert ColumnDrift per column when its p-value < "
            f"{self.p_value_level} or its distance >= {self.distance_level})",
            self._write_config,
        )
        self.step("start prometheus-pushgateway and prometheus on 127.0.0.1", self._start)
        self.step("wait for Prometheus to scrape the Pushgateway", self.stack.wait_scraped)

    def _write_config(self) -> None:
        self.stack.write_config(alert_rules(self.p_value_level, self.distance_level))

    def _start(self) -> None:
        """Start both servers; new ports when another process took one in between."""
        for attempt in range(3):
            try:
                return self.stack.start()
            except servers.ServerError as error:
                self.stack.stop()
                if "address already in use" not in str(error) or attempt == 2:
                    raise NotRunnable(f"the Prometheus servers did not start: {error}") from error
                self._write_config()

    def close(self) -> None:
        if hasattr(self, "stack"):
            self.stack.stop()
        super().close()

    @abc.abstractmethod
    def statistics(self, reference: pd.DataFrame, current: pd.DataFrame) -> list[Statistic]:
        """One Statistic per monitored column, in the monitored order; no threshold."""

    def statistics_of_many(self, reference: pd.DataFrame, current: pd.DataFrame):
        """:meth:`statistics` for :meth:`check_many`, which keeps no report of a batch: a
        tool may compute the same statistics without what only the report needs."""
        return self.statistics(reference, current)

    @abc.abstractmethod
    def statistics_code(self) -> dict[str, str]:
        """The user code that computes the statistics: label -> source."""

    def check(self, reference: pd.DataFrame, current: pd.DataFrame, batch: str):
        """Push the statistics; the verdicts are the alerts Prometheus's rule fires."""
        self.require_columns(reference, current)
        self.batch, self.rows = batch, len(current)
        self.pushed = self.statistics(reference, current)
        started = time.perf_counter()
        push_statistics(self.stack.pushgateway, batch, self.pushed, self.rows)
        selector = f'{GAUGES},batch="{batch}"}}'
        rules = self.stack.wait_evaluated(selector, len(self.pushed), time.time())
        self.fired_after = time.perf_counter() - started
        firing = firing_columns([a for rule in rules for a in rule["alerts"]], batch)
        values = _by_column(self.stack.query(selector))
        return [ColumnVerdict(s.column, s.column in firing, values[s.column], s.test)
                for s in self.pushed]  # fmt: skip

    def check_many(
        self, reference: pd.DataFrame, batches: list[tuple[pd.DataFrame, str]]
    ) -> list[list[ColumnVerdict]]:
        """Push every batch's statistics at once (a Pushgateway group per batch), wait for
        one rule evaluation over all of them and read each batch's firing alerts: the
        verdicts are still the rule's, with one scrape-and-evaluate wait instead of one per
        batch. The groups are deleted afterwards."""
        names = [name for _, name in batches]
        if len(set(names)) < len(names) or not all(BATCH_NAME.fullmatch(n) for n in names):
            return super().check_many(reference, batches)
        self.require_columns(reference, *(frame for frame, _ in batches))
        pushed = {name: self.statistics_of_many(reference, frame) for frame, name in batches}
        moment, gateway = time.time(), self.stack.pushgateway
        selector = f'{GAUGES},batch=~"{"|".join(names)}"}}'
        try:
            for frame, name in batches:
                push_statistics(gateway, name, pushed[name], len(frame), f"/batch/{name}")
            count = sum(len(statistics) for statistics in pushed.values())
            rules = self.stack.wait_evaluated(selector, count, moment)
            values: dict[str, dict[str, float]] = {}
            for result in self.stack.query(selector):
                labels = result["metric"]
                values.setdefault(labels["batch"], {})[labels["column"]] = float(result["value"][1])
        finally:
            for name in names:
                servers.http(f"{gateway}/metrics/job/drift/batch/{name}", None, "DELETE")
        alerts = [a for rule in rules for a in rule["alerts"]]
        return [[ColumnVerdict(s.column, s.column in firing_columns(alerts, name),
                               values[name][s.column], s.test) for s in pushed[name]]
                for name in names]  # fmt: skip

    def alert(self, batch: str, verdicts: list[ColumnVerdict]) -> Alert | None:
        """The drift alerts Prometheus reports firing for ``batch`` (the last checked)."""
        if batch != self.batch:
            raise ValueError(f"alert reads the last checked batch ({self.batch}), not {batch}")
        firing = firing_columns(self.stack.api("alerts")["alerts"], batch)
        return Alert(batch, tuple(sorted(firing)), "the tool", self.fired_after) if firing else None

    def report(self, directory: Path) -> Path:
        """The generated Grafana dashboard JSON (nothing renders it here)."""
        return write_dashboard(Path(directory) / f"grafana-dashboard-{self.batch}.json")

    def dashboard(self, directory: Path) -> Dashboard:
        """The dashboard JSON, and what each panel's PromQL returns from Prometheus."""
        path = write_dashboard(Path(directory) / "grafana-dashboard.json")
        queries = panel_queries(path).values()
        shown = {expr: _sorted_values(self.stack.query(expr)) for expr in queries}
        return Dashboard(str(path), "", shown, self._expected_panels(), NO_GRAFANA)

    def _expected_panels(self) -> dict[str, list[float]]:
        """What each panel query must return: the last push and the alerts it fired."""
        by_column = sorted(self.pushed, key=lambda s: s.column)
        firing = firing_columns(self.stack.api("alerts")["alerts"], self.batch)
        return {
            "drift_p_value": [s.value for s in by_column if s.kind == "p_value"],
            "drift_distance": [s.value for s in by_column if s.kind == "distance"],
            'ALERTS{alertname="ColumnDrift"}': [1.0] * len(firing),
            "drift_batch_rows": [float(self.rows)],
        }

    def history(self) -> int:
        """Batches Prometheus holds samples of within the last hour."""
        expr = f"count(count by (batch) (last_over_time({GAUGES}}}[1h])))"
        result = self.stack.query(expr)
        return int(float(result[0]["value"][1])) if result else 0

    def user_code(self) -> dict[str, str]:
        files = self.stack.config_files()
        return self.statistics_code() | {
            "alert rule (rules.yml)": files["rules.yml"],
            "scrape config (prometheus.yml)": files["prometheus.yml"],
            "push code (gauges to the Pushgateway)": source_of(Statistic, push_statistics),
            "Grafana dashboard (grafana-foundation-sdk, not rendered)": source_of(drift_dashboard),
        }


def firing_columns(alerts: list[dict], batch: str) -> set[str]:
    """Columns of the firing ColumnDrift alerts of ``batch``."""
    return {
        a["labels"]["column"]
        for a in alerts
        if a["state"] == "firing"
        and a["labels"].get("alertname") == "ColumnDrift"
        and a["labels"].get("batch") == batch
    }


def _by_column(result: list[dict]) -> dict[str, float]:
    return {r["metric"]["column"]: float(r["value"][1]) for r in result}


def _sorted_values(result: list[dict]) -> list[float]:
    rows = sorted(result, key=lambda r: r["metric"].get("column", ""))
    return [float(r["value"][1]) for r in rows]


class PrometheusMonitor(PrometheusAlerting):
    name = "baseline_prometheus"  # its statistics are the baseline's code, as it says
    detection = (
        "same statistics as baseline (bakeoff's scipy KS / chi-square code); Prometheus "
        "evaluates the alert threshold"
    )

    def statistics(self, reference: pd.DataFrame, current: pd.DataFrame) -> list[Statistic]:
        found = p_values(reference, current, self.numeric, self.categorical)
        return [Statistic(column, p, test, "p_value") for column, p, test in found]

    def statistics_code(self) -> dict[str, str]:
        return {"statistics code (scipy KS / chi-square)": source_of(*STATISTICS_CODE)}
