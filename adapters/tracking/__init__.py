"""Tracking stage: experiment runs, metric series and a model registry for the sales model."""

from adapters.registry import Setup, Stage, Tool

_HINT = "the tracking extra: pip install -e '.[tracking]'"

STAGE = Stage(
    name="Tracking",
    question="Tracking: where do experiments and models live, and what does it cost?",
    place=6,
    box="runs + model registry",
    sizes=(1_600,),  # rows the model is trained on; tracking costs do not grow with them
    setups={
        "team": Setup(
            "Tracking, team set-up: which server holds when a whole team logs at once?",
            # sizes are concurrent client processes, each doing a day of work on one shared
            # store. Neptune is left out: offline it only appends to a local log that no
            # other process reads, so there is nothing a team could share and nothing to
            # read back.
            unit="concurrent clients",
            tools={
                "mlflow+postgresql": "adapters.tracking.team.mlflow:MlflowPostgresStore",
                "mlflow+sqlite": "adapters.tracking.team.mlflow:MlflowSqliteStore",
                "trackio": "adapters.tracking.team.trackio:TrackioTeamStore",
                "baseline": "adapters.tracking.team.baseline:BaselineTeamStore",
            },
            sizes=(1, 4, 16),
            quick=(1, 4),
            programs=("postgres",),
        )
    },
    tool_names={
        "mlflow": "MLflow",
        "mlflow+postgresql": "MLflow on PostgreSQL",  # the team set-up's servers
        "mlflow+sqlite": "MLflow on SQLite",
        "mlflow_server": "MLflow server",
        "neptune": "Neptune",
        "trackio": "Trackio",
    },
)

TOOLS = {
    "baseline": Tool("adapters.tracking.baseline:FolderTracker", ("joblib",)),
    "mlflow": Tool("adapters.tracking.mlflow:MlflowLocalTracker", ("mlflow",), hint=_HINT),
    "mlflow_server": Tool("adapters.tracking.mlflow:MlflowServerTracker", ("mlflow",), hint=_HINT),
    "neptune": Tool("adapters.tracking.neptune:NeptuneOfflineTracker", ("neptune",), hint=_HINT),
    "trackio": Tool("adapters.tracking.trackio:TrackioTracker", ("trackio",), hint=_HINT),
}

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {
    "safe when a team logs at once (no lost runs or versions)": "team set-up",
    "model registry with aliases": "aliases",
    "search runs by a metric": "run search",
    "a web UI": "UI reachable",
    "links a run to its data version": "links run to data version",
}
