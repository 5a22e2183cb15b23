"""Plain Python, the floor: one script calls the steps in order, the fan-out on a pool."""

from __future__ import annotations

from pathlib import Path

from adapters.orchestration.base import FLOWS, Orchestrator, Outcome, RunResult
from adapters.orchestration.subprocess_tool import (
    outcome_from,
    python,
    read_records,
    tail,
    tool_env,
)

SCRIPT = FLOWS / "baseline_pipeline.py"


class PlainPython(Orchestrator):
    name = "baseline"
    pipeline_files = (SCRIPT,)

    def deploy(self) -> None:
        self.env = self.step("set PYTHONPATH so the script imports the project", tool_env)

    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        flags = () if parallel else ("--sequential",)
        return self._outcome(name, run_dir, *flags)

    def relaunch(self, earlier: RunResult) -> Outcome:
        return self._outcome(earlier.pipeline, earlier.run_dir, "--resume")

    def ui_url(self) -> str:
        raise self.not_supported("ui_url", "a plain Python script has no web UI")

    def _outcome(self, name: str, run_dir: Path, *flags: str) -> Outcome:
        done = python(SCRIPT, name, str(run_dir), *flags, env=self.env, cwd=run_dir)
        if not (run_dir / "records.json").exists():
            raise RuntimeError(f"the pipeline script stopped ({tail(done)})")
        return outcome_from(read_records(run_dir))
