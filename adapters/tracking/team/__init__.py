"""Tracking, team topology: the shared stores a whole team logs to at once, and the client
processes that do a day of work against them together.

A store is what the team shares: an ``mlflow server`` on PostgreSQL or on a SQLite file
(the artefacts in one shared folder, served through the server), trackio's project SQLite
files in one folder, or the baseline's run folders and registry.json. Each client is a
process of its own (``spawn``) that attaches to the store as a second user would
(:meth:`Tracker.attach`), warms up with one untimed day, then waits at a barrier so that
every client starts each round's day at the same moment. A call that fails is counted with
the tool's own message and never retried by bakeoff; a separate reader process then reads
every run and model version back.
"""

from __future__ import annotations

from adapters import setups
from adapters.tracking.team.base import CALLS, PARAMS, SERIES, WARMUP_TEAM_DAYS, TeamStore
from adapters.tracking.team.clients import (
    Clients,
    PeakMemory,
    TeamError,
    day_of_work,
    read_back,
)

__all__ = [
    "CALLS",
    "PARAMS",
    "SERIES",
    "WARMUP_TEAM_DAYS",
    "Clients",
    "PeakMemory",
    "TeamError",
    "TeamStore",
    "day_of_work",
    "read_back",
    "store",
]  # fmt: skip


def store(tool: str, lean: bool = False) -> TeamStore:
    """The team store of a team set-up's tool ('mlflow+postgresql', 'trackio', ...; one
    file per tool, listed in adapters/setups.py); ``lean``: MLflow's, for a quick test."""
    store_class = setups.load("tracking", "team", tool)
    return store_class(lean=True) if lean else store_class()
