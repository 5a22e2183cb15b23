"""Tracking stage: experiment runs, metric series and a model registry for the sales model."""

from adapters.registry import Tool

_HINT = "the tracking extra: pip install -e '.[tracking]'"

TOOLS = {
    "baseline": Tool("adapters.tracking.baseline:FolderTracker", ("joblib",)),
    "mlflow": Tool("adapters.tracking.mlflow:MlflowLocalTracker", ("mlflow",), hint=_HINT),
    "mlflow_server": Tool("adapters.tracking.mlflow:MlflowServerTracker", ("mlflow",), hint=_HINT),
    "neptune": Tool("adapters.tracking.neptune:NeptuneOfflineTracker", ("neptune",), hint=_HINT),
    "trackio": Tool("adapters.tracking.trackio:TrackioTracker", ("trackio",), hint=_HINT),
}
