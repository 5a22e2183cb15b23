"""What the tools that run a pipeline as one command share: environment, command, records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from adapters import processes
from adapters.orchestration.base import REPO, Outcome, StepRecord

RUN_TIMEOUT = 900  # seconds; a hung run is stopped and reported, never waited on forever


def tool_env(**extra: str) -> dict[str, str]:
    """This environment with the project importable and telemetry-free, plus ``extra``."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "DO_NOT_TRACK": "1", **extra}


def python(script: Path, *args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``script`` with this interpreter to its end (stopped after RUN_TIMEOUT)."""
    return processes.run([sys.executable, str(script), *args], env, cwd, RUN_TIMEOUT)


def tail(done: subprocess.CompletedProcess) -> str:
    """Exit code and the last lines of stderr, for an error message."""
    return f"exit {done.returncode}: " + "\n".join(done.stderr.strip().splitlines()[-20:])


def outcome_from(records: dict, run_id: str = "") -> Outcome:
    """An Outcome from the JSON records a runner script wrote."""
    steps = tuple(
        StepRecord(
            r["name"],
            r["state"],
            r.get("attempts", 1),
            r.get("started"),
            r.get("ended"),
            r.get("error", ""),
        )
        for r in records["steps"]
    )
    failed = [s.error for s in steps if s.state == "failed" and s.error]
    error = records.get("error") or (failed[-1] if failed else "")
    return Outcome(records["state"], steps, error, run_id or records.get("run_id", ""))


def read_records(run_dir: Path) -> dict:
    return json.loads((run_dir / "records.json").read_text())
