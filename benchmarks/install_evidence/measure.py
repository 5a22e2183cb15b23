"""The run: resolve every tool, install what the cache lacks, ask the matrix, record."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.install_evidence import pyproject, venvs
from benchmarks.install_evidence.cache import (
    CACHE_NAME,
    USER_CACHE,
    load_cache,
    save_cache,
    tool_key,
)
from benchmarks.install_evidence.importtime import with_imports
from benchmarks.install_evidence.installer import PYTHON
from benchmarks.install_evidence.matrix import co_install, matrix_record
from benchmarks.install_evidence.pyproject import Pins, Target
from benchmarks.install_evidence.records import save_results, summary, tool_record
from benchmarks.install_evidence.resolver import Resolution, resolve_many
from benchmarks.install_evidence.venvs import Fresh, Measurement


@dataclass
class Context:
    """What every step of one run shares."""

    scratch: Path
    constraints: Path
    fresh: Fresh
    cache: dict
    cache_path: Path
    report: Callable[[str], None]
    pins: tuple[str, ...]

    def resolve(self, sets: list[tuple[str, ...]], offline=False) -> list[Resolution]:
        """Each requirement set resolved alone, with the project's pins as constraints."""
        return resolve_many(self.fresh.python, self.constraints, sets, offline)


def main_version(target: Target, resolution: Resolution) -> str:
    """The resolved version of the distribution behind the tool's main module."""
    return resolution.versions.get(target.distribution, "unknown")


def resolve_all(context: Context, targets: list[Target]) -> dict[tuple[str, ...], Resolution]:
    """Each distinct requirement set resolved alone (tools sharing requirements share this)."""
    sets = list(dict.fromkeys(t.requirements for t in targets if t.requirements))
    context.report(f"[install] resolving {len(sets)} requirement sets with the project's pins")
    found = context.resolve(sets)
    return dict(zip(sets, found, strict=True))


def measure_targets(context: Context, targets: list[Target], solo: dict) -> dict[str, Measurement]:
    """Each tool's measurement, from the cache or measured now (one venv per requirement set)."""
    measured: dict[str, Measurement] = {}
    pending: dict[tuple[str, ...], list[Target]] = {}
    for target in targets:
        resolution = solo.get(target.requirements)
        if resolution is None or not resolution.ok:
            continue
        key = tool_key(target, main_version(target, resolution), context.pins, PYTHON)
        if key in context.cache:
            measured[target.name] = Measurement(**context.cache[key])
            context.report(f"[install] {target.name}: cached, {summary(measured[target.name])}")
        else:
            pending.setdefault(target.requirements, []).append(target)
    for number, (requirements, group) in enumerate(pending.items(), start=1):
        context.report(f"[install {number}/{len(pending)}] {', '.join(requirements)}: installing")
        measured.update(measure_group(context, group, solo[requirements]))
    return measured


def measure_group(context: Context, group: list[Target], resolution: Resolution) -> dict:
    """Install once for tools with the same requirements; time each one's import; cache them."""
    venv = context.scratch / "venv"
    requirements = group[0].requirements
    python, shared = venvs.install_group(venv, requirements, context.constraints, context.fresh)
    found = {}
    for target in group:
        version = main_version(target, resolution)
        found[target.name] = with_imports(shared, python, target.module, version)
        context.report(f"[install] {target.name}: {summary(found[target.name])}")
        if not shared.error:  # a failed install is retried next run, not cached
            key = tool_key(target, version, context.pins, PYTHON)
            context.cache[key] = asdict(found[target.name])
    shutil.rmtree(venv, ignore_errors=True)
    save_cache(context.cache_path, context.cache)
    return found


def run(
    results_dir: Path,
    refresh: bool = False,
    report: Callable[[str], None] = print,
    cache_dir: Path | None = None,
) -> Path:
    """Measure every registered tool's install evidence; write and return the results file."""
    pins = pyproject.read_pins()
    targets = pyproject.registered_targets(pins)
    cache_path = (cache_dir or USER_CACHE) / CACHE_NAME
    with tempfile.TemporaryDirectory(prefix="bakeoff-install-") as scratch:
        context = _context(Path(scratch), pins, cache_path, refresh, report)
        solo = resolve_all(context, targets)
        measured = measure_targets(context, targets, solo)
        installable = [t for t in targets if t.requirements]
        pairs = co_install(context, installable, solo)
    records = [tool_record(t, solo.get(t.requirements), measured.get(t.name)) for t in targets]
    records.append(matrix_record(installable, pairs))
    return save_results(records, targets, context.fresh, Path(results_dir), report)


def _context(scratch: Path, pins: Pins, cache_path: Path, refresh: bool, report) -> Context:
    constraints = scratch / "constraints.txt"
    constraints.write_text("\n".join(pins.everything()) + "\n", encoding="utf-8")
    fresh = Fresh.create(scratch / "fresh")
    cache = {} if refresh else load_cache(cache_path)
    return Context(scratch, constraints, fresh, cache, cache_path, report, pins.everything())
