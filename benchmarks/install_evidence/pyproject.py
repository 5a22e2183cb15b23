"""What to install: pyproject.toml's pins, mapped to the registered tools."""

from __future__ import annotations

import functools
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from benchmarks.install_evidence.installer import canonical, requirement_name

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@dataclass(frozen=True)
class Pins:
    """The project's requirements: core dependencies and each extra's."""

    core: tuple[str, ...]
    extras: dict[str, tuple[str, ...]]

    def everything(self) -> tuple[str, ...]:
        """Every requirement of the project once: the constraints of each install."""
        pins = [*self.core, *(r for group in self.extras.values() for r in group)]
        return tuple(dict.fromkeys(pins))


@dataclass(frozen=True)
class Target:
    """One registered tool, its main module and what pip must install for it."""

    stage: str
    tool: str
    module: str  # whose import is timed; "" when the tool has no Python module
    requirements: tuple[str, ...]
    distribution: str = ""  # whose version is the tool's version: the main module's
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.stage}.{self.tool}"


def read_pins(pyproject: Path = PYPROJECT) -> Pins:
    """Core and extra requirements from pyproject.toml, without self-references."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    own = canonical(project["name"])
    extras = {
        extra: tuple(r for r in group if requirement_name(r) != own)
        for extra, group in project.get("optional-dependencies", {}).items()
    }
    return Pins(tuple(project.get("dependencies", [])), extras)


def search_order(stage: str, pins: Pins) -> list[str]:
    """The project's requirements: the stage's extra first, then core, then other extras."""
    groups = [pins.extras.get(stage, ()), pins.core, *pins.extras.values()]
    return list(dict.fromkeys(r for group in groups for r in group))


@functools.cache
def installed_dependencies(distribution: str) -> frozenset[str]:
    """Every distribution ``distribution`` pulls in, as installed here (extras not followed)."""
    from importlib import metadata

    found: set[str] = set()
    waiting = [distribution]
    while waiting:
        try:
            requires = metadata.requires(waiting.pop()) or []
        except metadata.PackageNotFoundError:
            continue
        names = {requirement_name(r) for r in requires if "extra ==" not in r} - found
        found |= names
        waiting += names
    return frozenset(found)


def find_requirement(distributions: set[str], stage: str, pins: Pins) -> str | None:
    """The project's requirement that installs one of ``distributions``.

    A requirement of that name first; else one that brings it as a dependency (the
    orchestration tool's ``httpx`` comes with ``apache-airflow``).
    """
    order = search_order(stage, pins)
    named = (r for r in order if requirement_name(r) in distributions)
    brought = (r for r in order if distributions & installed_dependencies(requirement_name(r)))
    return next(named, None) or next(brought, None)


def module_requirement(module: str, stage: str, pins: Pins, installed: dict) -> tuple[str, str]:
    """(requirement, note) for a module; the note is set when pyproject.toml lacks it."""
    top = module.split(".")[0]
    candidates = [canonical(d) for d in installed.get(top, [])] + [canonical(top)]
    requirement = find_requirement(set(candidates), stage, pins)
    if requirement:
        return requirement, ""
    note = f"{module} comes from {candidates[0]}, which pyproject.toml does not declare: unpinned"
    return candidates[0], note


def target_for(stage: str, tool: str, modules: tuple[str, ...], pins: Pins, installed: dict):
    """What to install for one tool: the core for a baseline, else its modules' requirements."""
    python_modules = [m for m in modules if m.split(".")[0] not in sys.stdlib_module_names]
    main = python_modules[0] if python_modules else ""
    if tool == "baseline":
        provider = installed.get(main.split(".")[0], [main]) if main else pins.core[:1]
        return Target(stage, tool, main, pins.core, requirement_name(provider[0]))
    found = [module_requirement(m, stage, pins, installed) for m in python_modules]
    requirements = tuple(dict.fromkeys(requirement for requirement, _ in found))
    notes = tuple(note for _, note in found if note)
    main_distribution = requirement_name(requirements[0]) if requirements else ""
    return Target(stage, tool, main, requirements, main_distribution, notes)


def registered_targets(pins: Pins) -> list[Target]:
    """Every registered tool of every stage in this checkout, as install targets."""
    from importlib import metadata

    from adapters import registry

    installed = metadata.packages_distributions()
    return [
        target_for(stage, tool, entry.modules, pins, installed)
        for stage in registry.stages()
        for tool, entry in registry.tools(stage).items()
    ]
