"""Orchestration stage: the sales-model pipeline run by each orchestrator."""

from adapters.registry import Tool

_HINT = "the orchestration extra: pip install -e '.[orchestration]'"

TOOLS = {
    "airflow": Tool("adapters.orchestration.airflow:AirflowDagTest", ("airflow",), hint=_HINT),
    "airflow_scheduler": Tool(
        "adapters.orchestration.airflow:AirflowScheduler", ("airflow", "httpx"), hint=_HINT
    ),
    "baseline": Tool("adapters.orchestration.baseline:PlainPython", ("psutil",)),
    "metaflow": Tool(
        "adapters.orchestration.metaflow:MetaflowOrchestrator", ("metaflow",), hint=_HINT
    ),
}
