"""The baseline's run folders and registry.json as a team store."""

from __future__ import annotations

from pathlib import Path

from adapters.tracking.baseline import FolderTracker
from adapters.tracking.team.base import MODEL_NAME, WARMUP, LocalTeamStore


class BaselineTeamStore(LocalTeamStore):
    """The baseline's run folders and registry.json in one shared folder."""

    name, tracker = "baseline", FolderTracker

    def create_names(self) -> None:
        import json

        names = (MODEL_NAME, f"{WARMUP}-model")
        table = {name: {"versions": [], "aliases": {}} for name in names}
        self.owner.registry.write_text(json.dumps(table))

    def settings(self) -> list[str]:
        return ["Store: the baseline's folders in one shared folder; registry.json is read, "
                "changed and written back by each registration, without a lock."]  # fmt: skip

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        import json

        registry = Path(address) / "registry.json"
        try:
            return list(json.loads(registry.read_text())[name]["versions"])
        except (ValueError, KeyError):  # a registry a concurrent write left unreadable
            return []
