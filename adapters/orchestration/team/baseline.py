"""The plain-Python pipeline scripts under the team load: N started together."""

from __future__ import annotations

from adapters.orchestration.base import PIPELINES
from adapters.orchestration.baseline import PlainPython
from adapters.orchestration.team.base import TeamLoad


class BaselineTeam(PlainPython, TeamLoad):
    name = "baseline"
    operations = TeamLoad.operations
    pipelines = PIPELINES  # the plain script has no 100-task fan-out
