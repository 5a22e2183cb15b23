"""A trial's key: what its figures depend on, each part computed once per run (``Today``).

- machine: host name, CPU model and count, memory, OS with kernel, Python;
- packages: the version of every installed distribution the trial process imported, and
  of every distribution the tool's registered modules and the project's core dependencies
  need, recursively (servers and command-line tools import theirs in other processes);
- programs: the Debian package version of each system program the tool declares
  (registry ``Tool.programs``, a set-up's ``programs``), else a digest of the program;
- code: a digest of every module the trial process imported that is not installed (its
  adapter and the modules it uses, the bench file, probe helpers, harness, conftest files,
  scenarios, the results model: found, not listed), plus every file that other processes
  run: all of ``scenarios/`` (copied into CI repositories, linted) and the subfolders of
  the stage's adapter package (DAG files, served apps, team and Spark set-ups);
- work: rows, set-up, data (synthetic, or a ``--data`` file's path and content digest),
  timed rounds (``--repeats``), whether this size runs the feature probes, smoke, and every
  ``BAKEOFF_*`` variable that points a trial elsewhere (``--postgres-url``, ...).

Left out: the seed (it only orders trials, each in its own process) and the time limit
(it only stops a trial; benchmarks/reuse.py measures again a record that took longer).
Answers about a tool version (feature probes, detection quality) have a key of their own
(:func:`answer_key`): the trial's, less the timed rounds and the timing harness.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import platform
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from adapters import registry, setups

if TYPE_CHECKING:
    from benchmarks.runner import Plan

ROOT = Path(__file__).resolve().parent.parent
# timing and recording, options and cached data: a change here re-measures every trial
# but re-asks no probe (the probe rule, benchmarks/probes.py, is in the answers' key)
TIMING_HARNESS = ("benchmarks/harness.py", "benchmarks/options.py", "benchmarks/datacache.py",
                  "benchmarks/conftest.py", "conftest.py", "benchmarks/ledger.py",
                  "reports/results.py")  # fmt: skip
NOT_WORK = ("BAKEOFF_HISTORY", "BAKEOFF_RUNNER_PID")  # where trial times go; who runs it


def machine() -> dict:
    """What every figure depends on besides the code: host, CPU, memory, OS, Python."""
    import psutil

    return {
        "host": platform.node(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return models[0] if models else platform.processor() or platform.machine()


def shown(path: str | Path) -> str:
    """A code file's name in a key: relative to the repository, else absolute."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def digest(name: str) -> str:
    """The first 16 hex digits of the sha256 of a code file's bytes; "missing" for a file
    that is gone."""
    path = Path(name) if Path(name).is_absolute() else ROOT / name
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return _file_digest(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _tree(folder: Path) -> list[str]:
    return [shown(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts]  # fmt: skip


def stage_folder(stage: str) -> Path:
    """The stage's adapter package folder (found, so a stage outside adapters/ works too)."""
    return Path(importlib.util.find_spec(f"adapters.{stage}").origin).parent


def declared_files(stage: str) -> list[str]:
    """Code other processes run, whichever modules the trial imported: all of scenarios/
    and every subfolder of the stage's adapter package."""
    folder = stage_folder(stage)
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__")
    return _tree(ROOT / "scenarios") + [name for sub in subfolders for name in _tree(sub)]


def project_files(files: list[str], stage: str, bench_folder: Path) -> list[str]:
    """The imported files that are this project's code: in the repository, or beside the
    stage's bench file or adapters (a stage kept elsewhere); not temporary files."""
    roots = (ROOT, bench_folder.resolve(), stage_folder(stage).parent.resolve())
    return sorted({shown(f) for f in files
                   if any(Path(f).resolve().is_relative_to(r) for r in roots)})  # fmt: skip


class Installed:
    """The installed distributions, read once: versions, requirements, top-level modules."""

    def __init__(self):
        from importlib import metadata

        self.version, self.requires = {}, {}
        for dist in metadata.distributions():
            name = canonical(dist.metadata["Name"] or "")
            if name and name not in self.version:
                self.version[name] = dist.version
                self.requires[name] = dist.requires or []
        self.by_module = {top: [canonical(d) for d in dists]
                          for top, dists in metadata.packages_distributions().items()}  # fmt: skip

    def of_modules(self, modules) -> set[str]:
        """The distributions that provide these modules' top-level packages."""
        return {d for m in modules for d in self.by_module.get(m.split(".")[0], [])}

    def closure(self, names) -> set[str]:
        """``names`` and everything they require, recursively (extras left out)."""
        from packaging.requirements import InvalidRequirement, Requirement

        found, queue = set(), [canonical(n) for n in names]
        while queue:
            name = queue.pop()
            if name in found or name not in self.version:
                continue
            found.add(name)
            for text in self.requires[name]:
                try:
                    requirement = Requirement(text)
                except InvalidRequirement:
                    continue
                marker = requirement.marker
                if marker is None or marker.evaluate({"extra": ""}):
                    queue.append(canonical(requirement.name))
        return found

    def versions(self, names) -> dict[str, str]:
        return {n: self.version.get(n, "not installed") for n in sorted(names)}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def core_dependencies() -> list[str]:
    """The project's own dependencies (pyproject.toml): what the harness and baselines use."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [re.split(r"[ <>=!~;\[]", r, maxsplit=1)[0] for r in project.get("dependencies", [])]


@functools.cache
def program_version(program: str) -> str:
    """The Debian package and version a system program comes from, else a digest of it."""
    from benchmarks import system_packages

    path = system_packages.program_path(program)
    if path is None:
        return "not found"
    package = system_packages.owning_package(program)
    version = system_packages.package_version(package) if package else None
    if version:
        return f"{package} {version}"
    return "file " + hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def set_up_programs(plan: Plan) -> tuple[str, ...]:
    """The system programs a set-up declares (its ``programs``), e.g. PostgreSQL's."""
    return setups.lookup(plan.stage, plan.setup).programs if plan.setup else ()


def data_source(path: Path | None) -> dict:
    if path is None:
        return {"source": "synthetic"}
    resolved = Path(path).resolve()
    return {"source": str(resolved), "sha256": digest(str(resolved))}


def work(plan: Plan, rows: int) -> dict:
    """What the trial is asked to do, beside its code."""
    elsewhere = {k: v for k, v in sorted(os.environ.items())
                 if k.startswith("BAKEOFF_") and k not in NOT_WORK}  # fmt: skip
    return {
        "rows": rows,
        "setup": plan.setup,
        "repeats": plan.repeats,
        "probes": rows == min(plan.sizes) and not plan.smoke,
        "smoke": plan.smoke,
        "data": data_source(plan.data),
        "environment": elsewhere,
    }


class Today:
    """This machine and checkout now: the parts of a key, each computed once per run."""

    def __init__(self):
        self.machine = machine()
        self._installed: Installed | None = None

    @property
    def installed(self) -> Installed:
        if self._installed is None:
            self._installed = Installed()
        return self._installed

    def tool_version(self, stage: str, tool: str) -> str:
        """'pandera 0.20.4': the tool's main distribution and its version, else its
        programs' Debian packages ('git-lfs 3.3.0-1'); "" for bakeoff's own baselines."""
        entry = registry.lookup(stage, setups.base_tool(tool))
        main = entry.modules[0].split(".")[0] if entry.modules else ""
        found = self.installed.by_module.get(main, [])
        if found:
            return f"{found[0]} {self.installed.version.get(found[0], '')}"
        return ", ".join(program_version(p) for p in entry.programs)

    def key(self, plan: Plan, tool: str, rows: int, files=(), distributions=()) -> dict:
        """The trial's key over ``files`` and ``distributions`` (what it used last time, or
        what it imported now) and what the stage and tool declare."""
        entry = registry.lookup(plan.stage, setups.base_tool(tool))
        code = set(files) | set(declared_files(plan.stage))
        roots = self.installed.of_modules(entry.modules) | set(core_dependencies())
        names = set(distributions) | self.installed.closure(roots)
        programs = (*entry.programs, *set_up_programs(plan))
        return {
            "machine": self.machine,
            "packages": self.installed.versions(names),
            "programs": {p: program_version(p) for p in sorted(set(programs))},
            "code": {name: digest(name) for name in sorted(code)},
            "work": work(plan, rows),
        }


def answer_key(key: dict) -> dict:
    """The key of the answers a trial gave: its own less the rounds and timing harness."""
    code = {k: v for k, v in key.get("code", {}).items() if k not in TIMING_HARNESS}
    rest = {k: v for k, v in key.get("work", {}).items() if k != "repeats"}
    return {**key, "code": code, "work": rest}


def changes(old: dict, new: dict, limit: int = 2) -> str:
    """What differs between two keys, in a few words ("adapters/x.py changed")."""
    found = []
    for part in ("machine", "work", "programs", "packages", "code"):
        before, after = old.get(part, {}), new.get(part, {})
        for name in sorted(set(before) | set(after), key=str):
            if before.get(name) == after.get(name):
                continue
            if part == "code":
                found.append(f"{name} {'changed' if name in before else 'is new'}")
            elif part == "machine":
                found.append(f"another machine ({name})")
            else:
                found.append(f"{name} {before.get(name, 'none')} -> {after.get(name, 'none')}")
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return ", ".join(found[:limit]) + more
