"""Install evidence: what each tool costs to install, measured in fresh virtual environments.

For every registered tool, the Python requirements come from ``pyproject.toml`` (the
stage's extra; baselines need only the core dependencies), resolved and installed with
every pin of the project as constraints (e.g. ``pandas<3``, ``pyarrow<26``), by uv where it
is installed (else pip; the record names the installer). Each tool is installed into a
new virtual environment of python3.11 (``uv venv``, else ``python -m venv``) and
measured: install seconds, the bytes it added to site-packages, the distributions it
added (``pip list`` minus a fresh venv's), and the import time of its main module
(median of fresh ``python -X importtime`` runs). Tools with identical requirements share
one venv. A co-installability matrix asks the resolver (``uv pip compile``, else pip's
``--dry-run --ignore-installed``; nothing installed) whether each pair can live in one
environment; uv resolves the pairs from the metadata the run's resolutions of each tool
alone have just fetched, and asks the registry only for a pair that needs more.

Measurements are cached per (tool, version) in ``~/.cache/bakeoff/install/``, so a second
run only resolves (a few seconds per tool) and reinstalls nothing; ``refresh`` re-measures.
Resolving fills pip's HTTP cache with metadata and the install may use cached wheels: each
record says where its distributions came from and whether the cache was warm.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reports.results import Record, Results, now_iso, save, stats

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
PYTHON = shutil.which("python3.11") or sys.executable
STAGE = "install"
CACHE_FORMAT = 1
CACHE_NAME = "install-cache.json"
# in the user's cache folder, not results/: a fresh clone's `make bench` reuses what this
# machine measured for the same tool versions and installer
USER_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bakeoff" / "install"
)
IMPORT_RUNS = 3
INSTALL_TIMEOUT = 1800.0
RESOLVE_TIMEOUT = 600.0
RESOLVE_WORKERS = 2  # the resolver waits on the network as much as on a CPU


class InstallEvidenceError(RuntimeError):
    """A step that bakeoff needs (creating a venv, reading pyproject.toml) failed."""


# --- what to install: pyproject.toml's pins, mapped to registered tools ------------------


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


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise InstallEvidenceError(f"cannot read the requirement {requirement!r}.")
    return canonical(match.group(1))


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


# --- running pip and python ----------------------------------------------------------


@dataclass
class Resolution:
    """What pip's resolver chose for a set of requirements, or why it could not."""

    ok: bool
    versions: dict[str, str] = field(default_factory=dict)  # canonical name -> version
    error: str = ""


def pip_error(output: str) -> str:
    """pip's failure in one line: its first ERROR and what it says caused the conflict."""
    lines = [line.strip() for line in output.splitlines()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    last = next((line for line in reversed(lines) if line), "pip failed without a message")
    causes = []
    if "The conflict is caused by:" in lines:
        start = lines.index("The conflict is caused by:") + 1
        causes = list(itertools.takewhile(bool, lines[start:]))
    return "; ".join([errors[0] if errors else last, *causes])[:400]


@functools.cache
def uv_binary() -> str | None:
    """The uv resolver-installer beside this Python (the Makefile installs it), or on PATH:
    it resolves and installs the same requirements in a fraction of pip's time."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def resolve(
    python: Path, requirements: Iterable[str], constraints: Path, offline: bool = False
) -> Resolution:
    """Which versions would be installed, installing nothing (uv, else pip --dry-run).
    ``offline``: uv first resolves from its cache alone (0.1 s where asking the registry
    takes 1.7 s), and asks the registry when that fails; for the pairs, whose packages the
    run's resolutions of each tool alone have just fetched."""
    uv = uv_binary()
    if uv:
        found = _uv_resolve(uv, list(requirements), constraints, offline) if offline else None
        return found if found and found.ok else _uv_resolve(uv, list(requirements), constraints)
    with tempfile.TemporaryDirectory(prefix="bakeoff-resolve-") as folder:
        report = Path(folder) / "report.json"
        command = [python, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        command += ["--report", report, "-c", constraints, *requirements]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return Resolution(False, error=f"pip did not resolve within {RESOLVE_TIMEOUT:.0f} s")
        if done.returncode != 0:
            return Resolution(False, error=pip_error(done.stderr + "\n" + done.stdout))
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    versions = {canonical(i["metadata"]["name"]): i["metadata"]["version"] for i in installs}
    return Resolution(True, dict(sorted(versions.items())))


def _uv_resolve(uv: str, requirements: list[str], constraints: Path, offline=False) -> Resolution:
    command = [uv, "pip", "compile", "-", "--python-version", "3.11", "--no-header"]
    command += ["--no-annotate", "--quiet", "-c", str(constraints)] + ["--offline"] * offline
    try:
        done = subprocess.run(command, input="\n".join(requirements), capture_output=True,
                              text=True, timeout=RESOLVE_TIMEOUT)  # fmt: skip
    except subprocess.TimeoutExpired:
        return Resolution(False, error=f"uv did not resolve within {RESOLVE_TIMEOUT:.0f} s")
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        return Resolution(False, error="; ".join(lines[:3])[:400] or "uv failed")
    pins = [line.split("==") for line in done.stdout.splitlines() if "==" in line]
    return Resolution(True, dict(sorted((canonical(n), v.strip()) for n, v in pins)))


def create_venv(path: Path) -> Path:
    """A new virtual environment at ``path``; returns its python. With uv, ``uv venv``
    (no pip in it, 0.2 s where ``python -m venv`` takes 4 s); else ``python -m venv``."""
    uv = uv_binary()
    command = [PYTHON, "-m", "venv", path]
    if uv:
        command = [uv, "venv", "--quiet", "--python", PYTHON, path]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallEvidenceError(f"{' '.join(map(str, command[:2]))} {path} failed: "
                                   f"{done.stderr.strip()}")  # fmt: skip
    return path / "bin" / "python"


def pip_list(python: Path) -> set[str]:
    """``name==version`` of every distribution in the environment of ``python``."""
    uv = uv_binary()
    command = [python, "-m", "pip", "list", "--format=json"]
    if uv:
        command = [uv, "pip", "list", "--python", python, "--format", "json"]
    listed = json.loads(subprocess.run(command, capture_output=True, text=True).stdout or "[]")
    return {f"{canonical(item['name'])}=={item['version']}" for item in listed}


def site_packages_bytes(venv: Path) -> int:
    """Bytes of the files under the venv's site-packages (symbolic links not followed)."""
    total = 0
    for folder in venv.glob("lib/python*/site-packages"):
        for directory, _, files in os.walk(folder):
            total += sum(os.lstat(os.path.join(directory, name)).st_size for name in files)
    return total


def download_sources(pip_output: str) -> dict[str, int]:
    """How many distributions pip downloaded, took from its cache, or read from local files."""
    lines = [line.strip() for line in pip_output.splitlines() if ".metadata" not in line]
    prefixes = {
        "downloaded": "Downloading ",
        "pip cache": "Using cached ",
        "local files": "Processing /",
    }
    return {kind: sum(line.startswith(p) for line in lines) for kind, p in prefixes.items()}


def parse_importtime(stderr: str, module: str) -> float | None:
    """Seconds ``import module`` took, from ``python -X importtime`` output (cumulative)."""
    seconds = None
    for line in stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[2][1:] == module:
            seconds = int(parts[1]) / 1e6
    return seconds


def import_seconds(python: Path | str, module: str) -> float:
    """One fresh interpreter's import time of ``module``; raises with Python's last line."""
    command = [python, "-X", "importtime", "-c", f"import {module}"]
    # A new HOME: the import of a fresh user, and whatever files a tool writes on import
    # (config folders) land in a scratch folder; the venv's bin folder as working directory
    # keeps the checkout from shadowing the installed module.
    with tempfile.TemporaryDirectory(prefix="bakeoff-home-") as home:
        env = {**os.environ, "HOME": home}
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=600, cwd=Path(python).parent, env=env
        )
    seconds = parse_importtime(done.stderr, module)
    if done.returncode != 0 or seconds is None:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallEvidenceError(f"import {module} failed: {last[:300]}")
    return seconds


# --- measuring one install ------------------------------------------------------------


@dataclass(frozen=True)
class Fresh:
    """A fresh venv: the reference for packages and bytes, and the resolver's pip."""

    python: Path
    packages: frozenset[str]
    site_bytes: int
    pip_version: str

    @classmethod
    def create(cls, path: Path) -> Fresh:
        python = create_venv(path)
        packages = frozenset(pip_list(python))
        pip = next((p.split("==")[1] for p in packages if p.startswith("pip==")), "")
        return cls(python, packages, site_packages_bytes(path), pip)


@dataclass
class Measurement:
    """One tool's install evidence, as cached and as recorded."""

    version: str
    requirements: list[str]
    install_seconds: float | None = None
    installed_bytes: int = 0
    packages: list[str] = field(default_factory=list)  # name==version added to a fresh venv
    sources: dict[str, int] = field(default_factory=dict)
    import_seconds: list[float] = field(default_factory=list)
    error: str = ""  # pip's or Python's one-line reason when something failed
    measured: str = field(default_factory=now_iso)


def install_group(venv: Path, requirements: tuple[str, ...], constraints: Path, fresh: Fresh):
    """Install ``requirements`` into a new venv; the figures every tool of the group shares."""
    python = create_venv(venv)
    uv = uv_binary()
    command = [python, "-m", "pip", "install", "--no-input", "-c", constraints, *requirements]
    if uv:
        command = [uv, "pip", "install", "--python", python, "-c", constraints, *requirements]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return python, Measurement("", list(requirements), error="pip install timed out")
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return python, Measurement(
            "", list(requirements), seconds, error=pip_error(done.stderr + "\n" + done.stdout)
        )
    return python, Measurement(
        "",
        list(requirements),
        seconds,
        site_packages_bytes(venv) - fresh.site_bytes,
        sorted(pip_list(python) - fresh.packages),
        uv_sources(done.stderr) if uv else download_sources(done.stdout),
    )


def uv_sources(uv_output: str) -> dict[str, int]:
    """uv's own count: "Prepared N packages" were fetched or built (not in its cache)."""
    match = re.search(r"Prepared (\d+) package", uv_output)
    installed = re.search(r"Installed (\d+) package", uv_output)
    prepared = int(match[1]) if match else 0
    total = int(installed[1]) if installed else prepared
    return {"downloaded": prepared, "uv cache": max(total - prepared, 0)}


def with_imports(shared: Measurement, python: Path, module: str, version: str) -> Measurement:
    """The group's install figures plus this tool's import times (median of fresh runs)."""
    measurement = Measurement(**{**asdict(shared), "version": version})
    if shared.error or not module:
        return measurement
    try:
        measurement.import_seconds = [import_seconds(python, module) for _ in range(IMPORT_RUNS)]
    except (InstallEvidenceError, subprocess.TimeoutExpired) as error:
        measurement.error = str(error)
    return measurement


# --- the cache ------------------------------------------------------------------------


def fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


def tool_key(target: Target, version: str, constraints: tuple[str, ...], python: str) -> str:
    """(tool, version), plus what else changes the figures: pins, module, Python."""
    installer = "uv" if uv_binary() else "pip"
    digest = fingerprint(target.requirements, target.module, constraints, python, installer)
    return f"{target.name} {version} {digest}"


def load_cache(path: Path) -> dict:
    """Cached entries by key; an unreadable or older cache is simply measured again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data.get("entries", {}) if data.get("format") == CACHE_FORMAT else {}


def save_cache(path: Path, entries: dict) -> None:
    """Write the cache atomically, so an interrupted run leaves the previous one whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1, sort_keys=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as out:
        out.write(text)
    os.replace(out.name, path)


# --- the co-installability matrix -------------------------------------------------------


@dataclass
class Pair:
    """Whether two tools resolve into one environment, and what that changes."""

    tools: list[str]
    ok: bool | None  # None: one of them does not resolve alone
    changed: dict[str, list[str]] = field(default_factory=dict)  # name -> [alone, together]
    error: str = ""


def pin_changes(together: dict[str, str], *alone: dict[str, str]) -> dict[str, list[str]]:
    """Distributions whose version in the pair differs from the version either tool chose."""
    changes = {}
    for name, version in together.items():
        chosen = [solo[name] for solo in alone if name in solo and solo[name] != version]
        if chosen:
            changes[name] = ["/".join(dict.fromkeys(chosen)), version]
    return changes


def pair_outcome(names: list[str], solo: list[Resolution], together: Resolution | None) -> Pair:
    if together is None:
        return Pair(names, None, error="one of them does not resolve alone")
    if not together.ok:
        return Pair(names, False, error=together.error)
    return Pair(names, True, pin_changes(together.versions, *(r.versions for r in solo)))


def matrix_tables(names: list[str], pairs: dict[tuple[str, str], Pair]) -> list[dict]:
    """The yes/no matrix and the pairs that conflict or move a pin, as report tables."""
    word = {True: "yes", False: "no", None: "–"}
    both = {**pairs, **{(b, a): pair for (a, b), pair in pairs.items()}}
    notable = [p for p in pairs.values() if p.ok is False or p.changed]
    matrix = {
        "title": "Co-installable in one environment (the installer's resolver, project pins)",
        "columns": ["tool", *names],
        "rows": [[a, *(word[both[a, b].ok] if a != b else "·" for b in names)] for a in names],
    }
    moved = {
        "title": "Pairs that conflict, or resolve with other versions than alone",
        "columns": ["tool", "with", "together", "versions moved (alone → together)"],
        "rows": [[*p.tools, word[p.ok], p.error or _moves(p.changed)] for p in notable],
    }
    return [matrix, moved] if notable else [matrix]


def _moves(changed: dict[str, list[str]]) -> str:
    return ", ".join(f"{name} {alone} → {together}" for name, (alone, together) in changed.items())


# --- the run --------------------------------------------------------------------------


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


def main_version(target: Target, resolution: Resolution) -> str:
    """The resolved version of the distribution behind the tool's main module."""
    return resolution.versions.get(target.distribution, "unknown")


def resolve_all(context: Context, targets: list[Target]) -> dict[tuple[str, ...], Resolution]:
    """Each distinct requirement set resolved alone (tools sharing requirements share this)."""
    sets = list(dict.fromkeys(t.requirements for t in targets if t.requirements))
    context.report(f"[install] resolving {len(sets)} requirement sets with the project's pins")
    found = _resolve_many(context, sets)
    return dict(zip(sets, found, strict=True))


def _resolve_many(context: Context, sets: list[tuple[str, ...]], offline=False) -> list[Resolution]:
    python, constraints = context.fresh.python, context.constraints
    with ThreadPoolExecutor(RESOLVE_WORKERS) as pool:
        return list(pool.map(lambda s: resolve(python, s, constraints, offline), sets))


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
    python, shared = install_group(venv, group[0].requirements, context.constraints, context.fresh)
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
    system = _system_footprint(target)
    if not target.requirements and not system["packages"]:
        record.status, record.reason = "not_run", "the tool has no package to install"
    elif target.requirements and found is None:
        record.status, record.reason = "failed", (resolution.error if resolution else "")
    elif found is not None:
        _fill(record, target, found)
    _add_system(record, system)
    return record


def _system_footprint(target: Target) -> dict:
    from adapters import registry
    from benchmarks import system_packages

    return system_packages.footprint(registry.lookup(target.stage, target.tool).programs)


def _add_system(record: Record, system: dict) -> None:
    """Charge the Debian packages the tool's programs come from to its footprint."""
    if not system["packages"]:
        return
    details = record.details
    details["system_packages"] = system["packages"]
    details["python_mb"] = details.get("installed_mb", 0.0)
    details["installed_mb"] = round(details["python_mb"] + system["mb"], 1)
    details["packages"] = details.get("packages", 0) + len(system["packages"])


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


def co_install(context: Context, targets: list[Target], solo: dict) -> dict:
    """Every pair of tools resolved together (dry run), cached by both requirement sets."""
    pairs, pending = {}, {}
    for index, first in enumerate(targets):
        for second in targets[index + 1 :]:
            pairs[(first.name, second.name)] = _pair(context, first, second, solo, pending)
    context.report(f"[install] co-installability: {len(pending)} pairs to resolve")
    keys = list(pending)
    resolved = _resolve_many(context, [pending[k] for k in keys], offline=True)
    for key, resolution in zip(keys, resolved, strict=True):
        context.cache[key] = asdict(resolution)
    save_cache(context.cache_path, context.cache)
    return {
        names: pair_outcome(list(names), alone, Resolution(**context.cache[key]) if key else None)
        for names, (alone, key) in pairs.items()
    }


def _pair(context: Context, first: Target, second: Target, solo: dict, pending: dict):
    """(solo resolutions, cache key of the pair's resolution or "" when there is none)."""
    alone = [solo.get(first.requirements), solo.get(second.requirements)]
    if not all(r is not None and r.ok for r in alone):
        return alone, ""
    requirements = tuple(dict.fromkeys(first.requirements + second.requirements))
    solo_versions = sorted(json.dumps(r.versions, sort_keys=True) for r in alone)
    key = "pair " + fingerprint(sorted(requirements), context.pins, PYTHON, solo_versions)
    if key not in context.cache:
        pending[key] = requirements
    return alone, key


def matrix_record(targets: list[Target], pairs: dict[tuple[str, str], Pair]) -> Record:
    names = [t.name for t in targets]
    details = {"tables": matrix_tables(names, pairs), "pairs": [asdict(p) for p in pairs.values()]}
    return Record(STAGE, "matrix", 0, details=details)


def run(
    results_dir: Path,
    refresh: bool = False,
    report: Callable[[str], None] = print,
    cache_dir: Path | None = None,
) -> Path:
    """Measure every registered tool's install evidence; write and return the results file."""
    pins = read_pins()
    targets = registered_targets(pins)
    cache_path = (cache_dir or USER_CACHE) / CACHE_NAME
    with tempfile.TemporaryDirectory(prefix="bakeoff-install-") as scratch:
        context = _context(Path(scratch), pins, cache_path, refresh, report)
        solo = resolve_all(context, targets)
        measured = measure_targets(context, targets, solo)
        installable = [t for t in targets if t.requirements]
        pairs = co_install(context, installable, solo)
    records = [tool_record(t, solo.get(t.requirements), measured.get(t.name)) for t in targets]
    records.append(matrix_record(installable, pairs))
    return _save(records, targets, context.fresh, Path(results_dir), report)


def _context(scratch: Path, pins: Pins, cache_path: Path, refresh: bool, report) -> Context:
    constraints = scratch / "constraints.txt"
    constraints.write_text("\n".join(pins.everything()) + "\n", encoding="utf-8")
    fresh = Fresh.create(scratch / "fresh")
    cache = {} if refresh else load_cache(cache_path)
    return Context(scratch, constraints, fresh, cache, cache_path, report, pins.everything())


def _save(records: list[Record], targets: list[Target], fresh: Fresh, results_dir: Path,
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
