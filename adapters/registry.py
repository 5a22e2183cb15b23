"""Find adapters by name: ``"stage.tool" -> "module:Class"``, imported on first use.

Each stage package lists its tools in ``adapters/<stage>/__init__.py`` as ``TOOLS``;
importing that package is cheap (no tool is imported). A tool whose Python modules or
system programs are missing is reported with an install hint, for that tool alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from dataclasses import dataclass

STAGES = (
    "validation",
    "tracking",
    "versioning",
    "orchestration",
    "serving",
    "monitoring",
    "cicd",
    "linting",
)


@dataclass(frozen=True)
class Tool:
    """Where a tool's adapter lives and what it needs installed."""

    target: str  # "package.module:Class"
    modules: tuple[str, ...] = ()  # importable Python modules it needs
    programs: tuple[str, ...] = ()  # system programs it needs on PATH
    hint: str = ""  # what to install when something is missing


class UnknownTool(LookupError):
    """A stage or tool name bakeoff does not know; the message lists the known ones."""


def stages() -> tuple[str, ...]:
    """Stages that have adapters in this checkout."""
    return tuple(s for s in STAGES if importlib.util.find_spec(f"adapters.{s}") is not None)


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
