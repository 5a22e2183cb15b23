"""The set-ups a stage runs besides its default one, found in the stages' declarations.

A set-up is another way of running a stage's tools: ``team`` (the tools on shared
servers, PostgreSQL and Redis, with concurrent clients; ``bakeoff run --topology team``)
or ``spark`` (validation on Spark; ``bakeoff run --engine spark``). Per stage, a set-up
names its tools as ``tool+set-up`` (``mlflow+postgresql``, ``pandera+spark``; a plain
name is the tool in the set-up's usual form), each with its ``"module:Class"`` imported
on first use, as ``adapters/registry.py`` does for the stages' own tools; each stage
declares its set-ups in its ``STAGE`` (``adapters/<stage>/__init__.py``). The registered
tool behind a name is :func:`base_tool`'s.
"""

from __future__ import annotations

import importlib

from adapters import registry
from adapters.registry import REGISTERED, Setup


class UnknownSetUp(LookupError):
    """A set-up or set-up tool bakeoff does not know; the message lists the known ones."""


def base_tool(name: str) -> str:
    """The registered tool behind a set-up's tool name ('mlflow+postgresql' -> 'mlflow')."""
    return name.split("+", 1)[0]


def of_stage(stage: str) -> dict[str, Setup]:
    """The set-ups the stage declares (its ``STAGE.setups``) besides its default one."""
    declared = registry.declarations().get(stage)
    return dict(declared.setups) if declared else {}


def sizes(stage: str, setup: str = "", quick: bool = False) -> tuple[int, ...]:
    """The sizes the stage declares (its ``STAGE.sizes``), or those of its set-up ``setup``;
    with ``quick``, their ``quick`` sizes where declared."""
    declared = lookup(stage, setup) if setup else registry.declarations()[stage]
    return (declared.quick or declared.sizes) if quick else declared.sizes


def lookup(stage: str, setup: str) -> Setup:
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
