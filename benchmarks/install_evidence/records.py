"""The results file: one record per tool, written unless nothing changed."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.install_evidence import debian
from benchmarks.install_evidence.installer import PYTHON, uv_binary
from reports.results import Record, Results, save, stats

if TYPE_CHECKING:
    from benchmarks.install_evidence.pyproject import Target
    from benchmarks.install_evidence.resolver import Resolution
    from benchmarks.install_evidence.venvs import Fresh, Measurement

STAGE = "install"


def summary(measurement: Measurement) -> str:
    if measurement.error:
        return f"failed: {measurement.error}"
    size = measurement.installed_bytes / 2**20
    shown = f"install {measurement.install_seconds:.1f} s, {size:.0f} MB"
    shown += f", {len(measurement.packages)} packages"
    if measurement.import_seconds:
        shown += f", import {statistics.median(measurement.import_seconds):.3f} s"
    return shown


def tool_record(target: Target, resolution: Resolution | None, found: Measurement | None):
    """The results record of one tool: timings, footprint details, or why there are none."""
    record = Record(STAGE, target.name, 0, details={"requirements": list(target.requirements)})
    if target.notes:
        record.details["notes"] = list(target.notes)
    system = debian.system_footprint(target)
    if not target.requirements and not system["packages"]:
        record.status, record.reason = "not_run", "the tool has no package to install"
    elif target.requirements and found is None:
        record.status, record.reason = "failed", (resolution.error if resolution else "")
    elif found is not None:
        _fill(record, target, found)
    debian.add_system(record, system)
    return record


def _fill(record: Record, target: Target, found: Measurement) -> None:
    if found.install_seconds is not None:
        record.timings["install"] = stats([found.install_seconds])
    if found.import_seconds:
        record.timings["import"] = stats(found.import_seconds)
    record.details.update(
        distribution=target.distribution,
        version=found.version,
        installed_mb=round(found.installed_bytes / 2**20, 1),
        packages=len(found.packages),
        distributions=found.packages,
        cache_warm=found.sources.get("downloaded", 1) == 0,
        sources=found.sources,
        measured=found.measured,
        installer="uv" if uv_binary() else "pip",
    )
    if found.error:
        record.status, record.reason = "failed", found.error


def save_results(records: list[Record], targets: list[Target], fresh: Fresh, results_dir: Path,
          report: Callable[[str], None] = print) -> Path:  # fmt: skip
    """Write the results file, unless this machine's newest one holds the same records (a
    run that found nothing new leaves the results, and the report, as they were)."""
    from benchmarks import runner

    stages: dict[str, tuple[str, ...]] = {}
    for target in targets:
        stages[target.stage] = (*stages.get(target.stage, ()), target.tool)
    environment = runner.environment(stages)
    environment["install"] = {"python": PYTHON, "venv_pip": fresh.pip_version or "none (uv venv)"}
    results = Results(environment=environment, records=records)
    same = _same_records(results, results_dir)
    if same is not None:
        report(f"[install] nothing changed since {same.name}: no new results file")
        return same
    stem = f"{environment['date'].replace(':', '')[:17]}-install"
    return save(results, results_dir, stem)


def _same_records(results: Results, results_dir: Path) -> Path | None:
    """This machine's newest install evidence file, if its records equal ``results``'."""
    machine = results.environment.get("machine")
    for path in sorted(results_dir.glob("*-install*.json"), key=lambda p: p.name, reverse=True):
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("environment", {}).get("machine") == machine:
            same = stored.get("records") == json.loads(results.to_json())["records"]
            return path if same else None
    return None
