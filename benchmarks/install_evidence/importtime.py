"""A module's import time in fresh interpreters (``python -X importtime``)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import asdict
from pathlib import Path

from benchmarks.install_evidence.installer import InstallEvidenceError
from benchmarks.install_evidence.venvs import Measurement

IMPORT_RUNS = 3


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
