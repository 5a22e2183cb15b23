"""A Grafana dashboard over the drift metrics in Prometheus, generated with
grafana-foundation-sdk (Grafana 11.6 schema).

Only the JSON is produced: no Grafana server runs here (Debian has no package of it),
so nothing renders the dashboard. Each panel's PromQL can still be run against
Prometheus to see what the panel would show.
"""

from __future__ import annotations

import json
from pathlib import Path


def drift_dashboard():
    from grafana_foundation_sdk.builders import dashboard, stat, table, timeseries
    from grafana_foundation_sdk.builders import prometheus as promql
    from grafana_foundation_sdk.models.dashboard import DataSourceRef

    source = DataSourceRef(type_val="prometheus", uid="${datasource}")
    panels = [
        (timeseries.Panel, "Drift p-value per column", "drift_p_value", "{{column}}"),
        (timeseries.Panel, "Drift distance per column", "drift_distance", "{{column}}"),
        (table.Panel, "Firing drift alerts", 'ALERTS{alertname="ColumnDrift"}', "{{column}}"),
        (stat.Panel, "Rows in the batch", "drift_batch_rows", "rows"),
    ]
    board = (
        dashboard.Dashboard("Wish data drift")
        .uid("wish-drift")
        .refresh("10s")
        .time("now-6h", "now")
        .with_variable(dashboard.DatasourceVariable("datasource").type("prometheus"))
    )
    for kind, title, expr, legend in panels:
        query = promql.Dataquery().expr(expr).legend_format(legend).instant()
        board = board.with_panel(kind().title(title).datasource(source).with_target(query))
    return board.build()


def write_dashboard(path: Path) -> Path:
    """Write the dashboard JSON to ``path``."""
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    path.write_text(JSONEncoder(sort_keys=True, indent=2).encode(drift_dashboard()), "utf-8")
    return path


def panel_queries(path: Path) -> dict[str, str]:
    """Panel title -> PromQL, for every panel target in a dashboard JSON file."""
    board = json.loads(path.read_text(encoding="utf-8"))
    return {
        panel["title"]: target["expr"]
        for panel in board["panels"]
        for target in panel.get("targets", [])
    }
