"""The set-ups a stage runs besides its default one, in one registry.

A set-up is another way of running a stage's tools: ``team`` (the tools on shared
servers, PostgreSQL and Redis, with concurrent clients; ``bakeoff run --topology team``)
or ``spark`` (validation on Spark; ``bakeoff run --engine spark``). Per stage, a set-up
names its tools as ``tool+set-up`` (``mlflow+postgresql``, ``pandera+spark``; a plain
name is the tool in the set-up's usual form), each with its ``"module:Class"`` imported
on first use, as ``adapters/registry.py`` does for the stages' own tools. The registered
tool behind a name is :func:`base_tool`'s.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from adapters import registry

REGISTERED = ""  # a set-up's tool that is the stage's registered adapter, unchanged


@dataclass(frozen=True)
class SetUp:
    """One stage in one set-up: its tools, what its size counts, and what it runs."""

    name: str
    tools: dict[str, str] = field(default_factory=dict)  # tool+set-up -> "module:Class"
    sizes: tuple[int, ...] = ()
    quick: tuple[int, ...] = ()  # the sizes of ``bakeoff run --quick``
    unit: str = "rows"
    programs: tuple[str, ...] = ()  # system programs it runs (in its trials' key)


_TRACKING = "adapters.tracking.team"
_ORCHESTRATION = "adapters.orchestration.team"
_SPARK = "adapters.validation.spark"

# set-up name -> stage -> the stage in that set-up
SETUPS: dict[str, dict[str, SetUp]] = {
    "team": {
        # sizes are concurrent client processes, each doing a day of work on one shared
        # store. Neptune is left out: offline it only appends to a local log that no other
        # process reads, so there is nothing a team could share and nothing to read back.
        "tracking": SetUp(
            "team",
            {
                "mlflow+postgresql": f"{_TRACKING}.mlflow:MlflowPostgresStore",
                "mlflow+sqlite": f"{_TRACKING}.mlflow:MlflowSqliteStore",
                "trackio": f"{_TRACKING}.trackio:TrackioTeamStore",
                "baseline": f"{_TRACKING}.baseline:BaselineTeamStore",
            },
            sizes=(1, 4, 16),
            quick=(1, 4),
            unit="concurrent clients",
            programs=("postgres",),
        ),
        # the size is the number of sales-pipeline runs triggered together
        "orchestration": SetUp(
            "team",
            {
                "airflow+celery": f"{_ORCHESTRATION}.airflow:AirflowCelery",
                "airflow+local": f"{_ORCHESTRATION}.airflow:AirflowLocal",
                "metaflow": f"{_ORCHESTRATION}.metaflow:MetaflowTeam",
                "baseline": f"{_ORCHESTRATION}.baseline:BaselineTeam",
            },
            sizes=(1, 4, 10),
            quick=(1, 4),
            unit="concurrent runs",
            programs=("postgres", "redis-server"),
        ),
    },
    "spark": {
        # the same rules on Spark; the pandas tools read the same Parquet at 1M rows
        # (the crossover)
        "validation": SetUp(
            "spark",
            {
                "baseline+spark": f"{_SPARK}.baseline:SparkBaseline",
                "pandera+spark": f"{_SPARK}.pandera:PanderaSparkValidator",
                "great_expectations+spark": (
                    f"{_SPARK}.great_expectations:GreatExpectationsSparkValidator"
                ),
                "baseline+pandas": REGISTERED,
                "pandera+pandas": REGISTERED,
            },
            sizes=(1_000_000, 10_000_000),
            quick=(100_000,),
            programs=("java",),
        ),
    },
}


class UnknownSetUp(LookupError):
    """A set-up or set-up tool bakeoff does not know; the message lists the known ones."""


def base_tool(name: str) -> str:
    """The registered tool behind a set-up's tool name ('mlflow+postgresql' -> 'mlflow')."""
    return name.split("+", 1)[0]


def of_stage(stage: str) -> dict[str, SetUp]:
    """The set-ups the stage has besides its default one, by name."""
    return {name: stages[stage] for name, stages in SETUPS.items() if stage in stages}


def lookup(stage: str, setup: str) -> SetUp:
    found = of_stage(stage)
    if setup not in found:
        offered = ", ".join(found) or "none"
        raise UnknownSetUp(f"the {stage} stage has no set-up '{setup}'; it has: {offered}.")
    return found[setup]


def load(stage: str, setup: str, tool: str) -> type:
    """The adapter class of ``tool`` in the stage's ``setup`` (the stage's registered
    adapter for a tool the set-up runs unchanged); UnknownSetUp for an unknown name."""
    tools = lookup(stage, setup).tools
    if tool not in tools:
        raise UnknownSetUp(f"no {setup} set-up for {tool!r}; choose from: {', '.join(tools)}.")
    if tools[tool] == REGISTERED:
        return registry.load(stage, base_tool(tool))
    module_name, _, class_name = tools[tool].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
