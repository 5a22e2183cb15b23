"""Orchestration stage: the sales-model pipeline run by each orchestrator."""

from adapters.registry import Setup, Stage, Tool

_HINT = "the orchestration extra: pip install -e '.[orchestration]'"

STAGE = Stage(
    name="Orchestration",
    question="Orchestration: which runs the training pipeline with least overhead?",
    place=5,
    box="training pipeline",
    sizes=(1_600,),
    setups={
        "team": Setup(
            "Orchestration, team set-up: what do Celery workers on PostgreSQL and Redis cost, "
            "and do many runs at once still finish?",
            # the size is the number of sales-pipeline runs triggered together
            unit="concurrent runs",
            tools={
                "airflow+celery": "adapters.orchestration.team.airflow:AirflowCelery",
                "airflow+local": "adapters.orchestration.team.airflow:AirflowLocal",
                "metaflow": "adapters.orchestration.team.metaflow:MetaflowTeam",
                "baseline": "adapters.orchestration.team.baseline:BaselineTeam",
            },
            sizes=(1, 4, 10),
            quick=(1, 4),
            programs=("postgres", "redis-server"),
        )
    },
    tool_names={
        "airflow": "Airflow",
        "airflow+celery": "Airflow + Celery",  # the team set-up's executors
        "airflow+local": "Airflow (LocalExecutor)",
        "airflow_scheduler": "Airflow scheduler",
        "metaflow": "Metaflow",
    },
)

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

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {
    "retries a failed step": "retry",
    "reports a failed run with its error": "failure reported",
    "resumes a failed run without redoing finished steps": "resume",
    "runs independent steps in parallel": "parallel fan-out",
    "a web UI": "UI reachable",
    "many runs at once, none lost": "team set-up",
}
