"""What every team store shares: the day's names and calls, and the store's interface."""

from __future__ import annotations

from typing import ClassVar

from adapters.base import Adapter
from adapters.tracking.base import Tracker

EXPERIMENT, WARMUP = "team", "warmup"  # the measured days' experiment, and the warm-up's
MODEL_NAME, ALIAS = "team-model", "candidate"
PARAMS = {"config": "forest", "n_estimators": "60", "owner": "team"}
SERIES = [step / 100 for step in range(100)]  # the day's metric series, "loss" by step
# untimed days the whole team does first (shared among the clients): as many as the
# default MLflow server has workers, so that no worker meets its first request in a timed day
WARMUP_TEAM_DAYS = 4
CALLS = ("start_run", "log_params", "log_metrics", "log_model", "register_model", "end_run")


class TeamStore(Adapter):
    """The shared store of one team set-up; ``owner`` is a tracker attached to it."""

    stage = "tracking"
    tracker: ClassVar[type[Tracker]]
    start_seconds: float | None = None  # the server start, PostgreSQL's included
    owner: Tracker

    def address(self) -> str:
        return self.owner.address()

    def create_names(self) -> None:
        """What a team creates once: the experiments and the registered model."""

    def settings(self) -> list[str]:
        """What bakeoff set on the store, one sentence each, for the record's notes."""
        return []

    def user_config(self) -> dict[str, str]:
        """What a user writes to run the store beside the tracking calls: label -> text."""
        return {}

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of the store's servers now, by part ("server", "postgres")."""
        return {}

    def logged(self) -> dict[str, int]:
        """Counts read from the server's log: database errors, worker restarts."""
        return {}

    @staticmethod
    def registered(address: str, name: str) -> list[str]:
        """What each registered version of ``name`` points at (a run id or name in it)."""
        raise NotImplementedError


class LocalTeamStore(TeamStore):
    """A store of local files every client opens itself: no server runs."""

    def setup(self) -> None:
        shared = self.workdir / "store"
        shared.mkdir()
        self.owner = self.tracker(shared)
        self.owner.__enter__()
        self.setup_steps += self.owner.setup_steps

    def close(self) -> None:
        if getattr(self, "owner", None) is not None:
            self.owner.close()
        super().close()
