"""Monitoring stage: drift of production batches against the training data."""

from adapters.registry import Tool

_HINT = "the monitoring extra: pip install -e '.[monitoring]'"
_DEBIAN = "the Debian packages prometheus and prometheus-pushgateway (apt-get install)"

TOOLS = {
    "baseline": Tool("adapters.monitoring.baseline:ScipyMonitor", ("scipy",)),
    "evidently": Tool("adapters.monitoring.evidently:EvidentlyMonitor", ("evidently",), hint=_HINT),
    "evidently_ks": Tool(
        "adapters.monitoring.evidently:EvidentlyKsMonitor", ("evidently",), hint=_HINT
    ),
    "grafana": Tool(
        "adapters.monitoring.grafana:GrafanaMonitor",
        ("grafana_foundation_sdk",),
        ("prometheus", "prometheus-pushgateway"),
        hint=_DEBIAN,
    ),
}
