"""Monitoring stage: drift of production batches against the training data."""

from adapters.registry import Stage, Tool

_HINT = "the monitoring extra: pip install -e '.[monitoring]'"
_PROMETHEUS = (
    "the Debian packages prometheus and prometheus-pushgateway (apt-get install prometheus "
    "prometheus-pushgateway) and the monitoring extra: pip install -e '.[monitoring]'"
)
_PROGRAMS = ("prometheus", "prometheus-pushgateway")

STAGE = Stage(
    name="Monitoring",
    question="Monitoring: which tells us, correctly and quickly, that data drifted?",
    place=8,
    box="drift alerts",
    sizes=(1_600, 100_000, 1_000_000),
    quick=(1_600,),
    tool_names={
        "evidently": "Evidently",
        "evidently_ks": "Evidently (KS test)",
        "evidently_prometheus": "Evidently + Prometheus",
        "baseline_prometheus": "baseline + Prometheus",
    },
)

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
    "baseline_prometheus": Tool(
        "adapters.monitoring.prometheus:PrometheusMonitor",
        ("grafana_foundation_sdk", "scipy"),
        _PROGRAMS,
        hint=_PROMETHEUS,
    ),
}

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {
    "baseline": {"kind": "floor"},
    # Prometheus is an alerting layer, fed by a detector's scores: by the baseline's own
    # scipy statistics (bakeoff's code, as the name says) or by Evidently's
    "baseline_prometheus": {"kind": "layer", "layer": "Prometheus alerts", "fed_by": "baseline"},
    "evidently_prometheus": {"kind": "layer", "layer": "Prometheus alerts", "fed_by": "evidently"},
}
LAYERS = {
    "question": "Alerting and history: what turns the chosen detector's scores into alerts?",
    "pair": "{pick} scores → {layer}",
}
CAPABILITIES = {
    "a named test per column": "per-column tests",
    "an HTML report a person opens": "HTML report",
}
LAYER_CAPABILITIES = {
    "an alert rule fires in the tool": "alerting",
    "history of every check": "history over time",
    "a dashboard": "dashboard",
}
