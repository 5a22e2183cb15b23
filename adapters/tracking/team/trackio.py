"""trackio's local mode as a team store: one folder every client writes to."""

from __future__ import annotations

from adapters.tracking.team.base import MODEL_NAME, WARMUP, LocalTeamStore
from adapters.tracking.trackio import REGISTRY, TrackioTracker


class TrackioTeamStore(LocalTeamStore):
    """trackio's local mode in one folder: a SQLite file per project, written by every
    client under trackio's own file lock."""

    name, tracker = "trackio", TrackioTracker

    def create_names(self) -> None:
        import trackio

        registry = trackio.Api().registry(REGISTRY)
        for name in (MODEL_NAME, f"{WARMUP}-model"):
            registry.create_collection(name, artifact_type="model")

    def settings(self) -> list[str]:
        return ["Store: trackio's local mode, one TRACKIO_DIR shared by every client; no "
                "server (its dashboard only reads)."]  # fmt: skip

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        import trackio

        TrackioTracker.attach(address)  # points trackio at the store
        collection = trackio.Api().registry(REGISTRY).collection(name)
        return [link["source_artifact"] for link in collection.links] if collection else []
