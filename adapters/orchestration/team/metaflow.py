"""Metaflow's local runtime under the team load: N runs started together."""

from __future__ import annotations

from pathlib import Path

from adapters.orchestration.base import FLOWS, Outcome
from adapters.orchestration.metaflow import MetaflowOrchestrator
from adapters.orchestration.team.base import FANOUT, SLOTS, TeamLoad


class MetaflowTeam(MetaflowOrchestrator, TeamLoad):
    name = "metaflow"
    operations = TeamLoad.operations

    def deploy(self) -> None:
        super().deploy()
        self.flows[FANOUT] = (FLOWS / "metaflow_fanout.py", "FanoutFlow")

    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        params = ("--run_dir", str(run_dir)) if name == "sales" else ()
        workers = str(SLOTS if parallel else 1)
        return self._outcome(name, run_dir, "run", *params, "--max-workers", workers)
