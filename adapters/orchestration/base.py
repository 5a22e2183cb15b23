"""The orchestration interface: deploy the pipeline, run it to its end state, resume it.

Every tool runs the same steps (``scenarios/pipeline.py``) on files in a run directory.
``run`` and ``resume`` are timed here, once for all tools: wall time, CPU time and peak
memory (PSS and RSS) of every process the tool started (see ``usage.Usage``).

Contracts (what is true when each call returns):

- ``run(name, data)``: the run has reached its end state *as the tool records it* (not
  an exit code: ``dag.test()`` returns normally when a task failed), every step that ran
  has ended, and a successful ``sales`` run's outputs (``pipeline.PREDICTIONS`` and
  ``pipeline.FINAL_MODEL``) are written and closed in its run directory, readable by
  another process. Servers the tool needs to run (scheduler, API server) are part of it.
- ``run(..., parallel=False)``: the same, with the training fan-out one task at a time.
- ``resume(earlier)``: the failed run went on to its end state without running again
  the steps that had succeeded; the same outputs are on disk as for a fresh run.
"""

from __future__ import annotations

import abc
import ast
import itertools
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from adapters.base import Adapter
from adapters.orchestration.usage import Usage
from scenarios import pipeline

PIPELINES = ("sales", "chain-10", "chain-50")
REPO = Path(pipeline.__file__).resolve().parents[1]
FLOWS = Path(__file__).resolve().parent / "flows"


@dataclass(frozen=True)
class StepRecord:
    """One task as the tool recorded it; ``train[forest]`` names a fan-out branch."""

    name: str
    state: str  # "success", "failed", or "reused" (finished earlier, not run again)
    attempts: int = 1
    started: float | None = None  # epoch seconds
    ended: float | None = None
    error: str = ""

    @property
    def seconds(self) -> float | None:
        return self.ended - self.started if self.started and self.ended else None


@dataclass(frozen=True)
class Outcome:
    """What the tool reports at the end of a run."""

    state: str  # "success" or "failed"
    steps: tuple[StepRecord, ...]
    error: str = ""  # the failing step's error, as the tool shows it
    run_id: str = ""


@dataclass(frozen=True)
class RunResult:
    pipeline: str
    run_dir: Path
    outcome: Outcome
    usage: Usage = field(default_factory=Usage)

    @property
    def state(self) -> str:
        return self.outcome.state

    def count(self, state: str) -> int:
        return sum(1 for step in self.outcome.steps if step.state == state)

    def retried(self) -> int:
        """Steps that failed and then succeeded on a retry."""
        return sum(1 for s in self.outcome.steps if s.state == "success" and s.attempts > 1)

    def concurrency(self, prefix: str = "train[") -> int:
        """Most branches whose run times overlapped (1 means the fan-out ran serially)."""
        spans = [
            (s.started, s.ended)
            for s in self.outcome.steps
            if s.name.startswith(prefix) and s.seconds is not None
        ]
        return max((sum(1 for a, b in spans if a <= start < b) for start, _ in spans), default=0)


class Orchestrator(Adapter):
    """Runs the sales pipeline (and no-op chains) with one tool."""

    stage = "orchestration"
    operations = ("run", "resume")
    pipeline_files: ClassVar[tuple[Path, ...]] = ()  # the sales pipeline as a user writes it

    def __init__(self, workdir=None):
        super().__init__(workdir)
        self._runs = itertools.count(1)

    def setup(self) -> None:
        self.deploy()

    def settings(self) -> dict[str, str]:
        """The tool's configuration a user sets (environment or config-file entries)."""
        return {}

    def user_code(self) -> dict[str, str]:
        """What a user writes to run the sales pipeline with this tool: label -> text. The
        module docstrings (bakeoff's notes) and files that only define no-op chains are
        left out."""
        code = {"pipeline definition": "\n".join(map(_without_docstring, self.pipeline_files))}
        if self.settings():
            code["configuration"] = "\n".join(f"{k}={v}" for k, v in self.settings().items())
        return code

    @abc.abstractmethod
    def deploy(self) -> None:
        """Put the pipeline definitions where the tool finds them, recording steps."""

    @abc.abstractmethod
    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        """Run pipeline ``name`` on ``run_dir``, wait for its end state, read its records."""

    def relaunch(self, earlier: RunResult) -> Outcome:
        """Re-run a failed run without redoing its finished steps."""
        raise self.not_supported("resume", "the tool has no way to continue a failed run")

    def ui_url(self) -> str:
        """URL of the tool's web UI for this deployment, served while the adapter is open."""
        raise self.not_supported("ui_url", "the tool has no web UI")

    def run(
        self, name: str, data: Path, faults: dict[str, str] | None = None, parallel: bool = True
    ) -> RunResult:
        """Run ``name`` on a copy of the CSV ``data``; ``faults`` maps a step to once/always."""
        if name not in PIPELINES:
            raise ValueError(f"unknown pipeline {name!r}; choose one of {', '.join(PIPELINES)}.")
        run_dir = self.workdir / "runs" / str(next(self._runs))
        run_dir.mkdir(parents=True)
        shutil.copyfile(data, run_dir / pipeline.INPUT)
        for step, kind in (faults or {}).items():
            pipeline.inject(str(run_dir), step, kind)
        with Usage.measure() as usage:
            outcome = self.launch(name, run_dir, parallel)
        return RunResult(name, run_dir, outcome, usage.result())

    def resume(self, earlier: RunResult) -> RunResult:
        """Remove the injected faults and continue ``earlier``; finished steps are reused."""
        pipeline.clear_faults(str(earlier.run_dir))
        with Usage.measure() as usage:
            outcome = self.relaunch(earlier)
        return replace(earlier, outcome=outcome, usage=usage.result())


def _without_docstring(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    first = ast.parse(source).body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return "\n".join(source.splitlines()[first.end_lineno :])
    return source
