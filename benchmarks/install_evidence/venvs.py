"""Installing into fresh virtual environments, and what an install added."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.install_evidence.installer import PYTHON, InstallEvidenceError, canonical, uv_binary
from benchmarks.install_evidence.resolver import pip_error
from reports.results import now_iso

INSTALL_TIMEOUT = 1800.0


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
