"""Monitoring stage: drift of production batches against the training data."""

from adapters.registry import Tool

_HINT = "the monitoring extra: pip install -e '.[monitoring]'"
_PROMETHEUS = (
    "the Debian packages prometheus and prometheus-pushgateway (apt-get install prometheus "
    "prometheus-pushgateway) and the monitoring extra: pip install -e '.[monitoring]'"
)
_PROGRAMS = ("prometheus", "prometheus-pushgateway")

TOOLS = {
    "baseline": Tool("adapters.monitoring.baseline:ScipyMonitor", ("scipy",)),
    "evidently": Tool("adapters.monitoring.evidently:EvidentlyMonitor", ("evidently",), hint=_HINT),
    "evidently_ks": Tool(
        "adapters.monitoring.evidently:EvidentlyKsMonitor", ("evidently",), hint=_HINT
    ),
    "evidently_prometheus": Tool(
        "adapters.monitoring.evidently_prometheus:EvidentlyPrometheusMonitor",
        ("evidently", "grafana_foundation_sdk"),
        _PROGRAMS,
        hint=_PROMETHEUS,
    ),
    "prometheus": Tool(
        "adapters.monitoring.prometheus:PrometheusMonitor",
        ("grafana_foundation_sdk", "scipy"),
        _PROGRAMS,
        hint=_PROMETHEUS,
    ),
}
