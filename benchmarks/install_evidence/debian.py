"""The Debian packages a tool's system programs come from, charged to its footprint."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.install_evidence.pyproject import Target
    from reports.results import Record


def system_footprint(target: Target) -> dict:
    """The Debian packages of the tool's declared programs, their sizes and what is missing."""
    from adapters import registry
    from benchmarks import system_packages

    return system_packages.footprint(registry.lookup(target.stage, target.tool).programs)


def add_system(record: Record, system: dict) -> None:
    """Charge the Debian packages the tool's programs come from to its footprint."""
    if not system["packages"]:
        return
    details = record.details
    details["system_packages"] = system["packages"]
    details["python_mb"] = details.get("installed_mb", 0.0)
    details["installed_mb"] = round(details["python_mb"] + system["mb"], 1)
    details["packages"] = details.get("packages", 0) + len(system["packages"])
