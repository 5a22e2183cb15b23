"""What the resolver chooses for a set of requirements (uv pip compile, else pip's dry
run), installing nothing."""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.install_evidence.installer import canonical, uv_binary

RESOLVE_TIMEOUT = 600.0
RESOLVE_WORKERS = 2  # the resolver waits on the network as much as on a CPU


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


def resolve_many(python: Path, constraints: Path, sets: list[tuple[str, ...]], offline=False):
    """Each requirement set resolved alone, a few at a time."""
    with ThreadPoolExecutor(RESOLVE_WORKERS) as pool:
        return list(pool.map(lambda s: resolve(python, s, constraints, offline), sets))
