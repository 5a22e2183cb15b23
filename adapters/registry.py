"""Find stages and adapters by name: ``"stage.tool" -> "module:Class"``, imported on first use.

A stage is a package ``adapters/<stage>/`` whose ``__init__.py`` declares itself once as
``STAGE`` (a :class:`Stage`: its question, sizes and their unit, place in the pipeline,
set-ups, display names) beside its ``TOOLS``; the registry finds such packages, no list of
stages is kept. Importing a stage package is cheap (no tool is imported). A tool whose
Python modules or system programs are missing is reported with an install hint, for that
tool alone.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
import shutil
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Tool:
    """Where a tool's adapter lives and what it needs installed."""

    target: str  # "package.module:Class"
    modules: tuple[str, ...] = ()  # importable Python modules it needs
    programs: tuple[str, ...] = ()  # system programs it needs on PATH
    hint: str = ""  # what to install when something is missing


@dataclass(frozen=True)
class Setup:
    """Another set-up of a stage (servers for a team, Spark), shown in its own section:
    its tools as ``tool+set-up`` names (``mlflow+postgresql``; a plain name is the tool in
    the set-up's usual form), each ``"module:Class"`` imported on first use, or
    ``REGISTERED`` for the stage's own adapter run unchanged (adapters/setups.py)."""

    question: str  # the section's question, as the report's heading
    unit: str = "rows"  # what its sizes count, e.g. "concurrent clients"
    tools: dict[str, str] = field(default_factory=dict)  # tool+set-up -> "module:Class"
    sizes: tuple[int, ...] = ()
    quick: tuple[int, ...] = ()  # the sizes of ``bakeoff run --quick``
    programs: tuple[str, ...] = ()  # system programs it runs (in its trials' key)


REGISTERED = ""  # a set-up's tool that is the stage's registered adapter, unchanged


@dataclass(frozen=True)
class Stage:
    """What a stage says about itself, once: the runner writes it into each results file
    and the report reads it from there (reports never import adapters)."""

    name: str  # as people write it: "CI/CD"
    question: str  # the report section's question
    place: int  # position in the pipeline diagram, data flowing left to right
    box: str  # what the stage's box in that diagram does: "drift alerts"
    sizes: tuple[int, ...]  # the sizes ``bakeoff run`` measures, in ``unit``
    quick: tuple[int, ...] = ()  # the sizes of ``bakeoff run --quick`` (none: ``sizes``)
    unit: str = "rows"  # what the stage's sizes count: "lines of source"
    setups: dict[str, Setup] = field(default_factory=dict)  # "team" -> Setup
    tool_names: dict[str, str] = field(default_factory=dict)  # "pre_commit" -> "pre-commit"


class UnknownTool(LookupError):
    """A stage or tool name bakeoff does not know; the message lists the known ones."""


def declarations() -> dict[str, Stage]:
    """Every stage package under ``adapters/`` (a package with a ``STAGE``), in pipeline order."""
    return dict(_declared())


@functools.cache
def _declared() -> dict[str, Stage]:
    """The stage packages, found once per process: a package added to ``adapters.__path__``
    (as tests/test_reuse.py's throwaway stages are) must be there before the first call."""
    import adapters

    found = {}
    for module in pkgutil.iter_modules(adapters.__path__):
        if module.ispkg:
            declared = getattr(importlib.import_module(f"adapters.{module.name}"), "STAGE", None)
            if isinstance(declared, Stage):
                found[module.name] = declared
    return dict(sorted(found.items(), key=lambda item: (item[1].place, item[0])))


def stages() -> tuple[str, ...]:
    """Stages that have adapters in this checkout, in pipeline order."""
    return tuple(declarations())


def as_json() -> dict[str, dict]:
    """Each stage's declaration as plain JSON, as a results file stores it."""
    return {name: asdict(stage) for name, stage in declarations().items()}


def tools(stage: str) -> dict[str, Tool]:
    """The stage's tools, sorted by name, baseline first."""
    if stage not in stages():
        raise UnknownTool(f"unknown stage '{stage}'; choose one of: {', '.join(stages())}.")
    table = importlib.import_module(f"adapters.{stage}").TOOLS
    return dict(sorted(table.items(), key=lambda item: (item[0] != "baseline", item[0])))


def lookup(stage: str, tool: str) -> Tool:
    table = tools(stage)
    if tool not in table:
        raise UnknownTool(
            f"unknown tool '{tool}' for stage {stage}; choose from: {', '.join(table)}."
        )
    return table[tool]


def missing(stage: str, tool: str) -> str | None:
    """Why the tool cannot run here ("install X"), or None when everything is present."""
    entry = lookup(stage, tool)
    absent = [m for m in entry.modules if importlib.util.find_spec(m) is None]
    absent += [p for p in entry.programs if shutil.which(p) is None]
    if not absent:
        return None
    return f"install {entry.hint or ' '.join(absent)} ({', '.join(absent)} not found)"


def load(stage: str, tool: str) -> type:
    """The adapter class for ``stage.tool``; UnknownTool for an unknown name."""
    module_name, _, class_name = lookup(stage, tool).target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
