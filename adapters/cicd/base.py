"""The CI/CD interface: one pipeline, defined in each CI system's own config, run on a
generated repository (``adapters/cicd/repo.py``) the way that system runs it here.

The pipeline: lint → test → validate the data → train the two model configurations (a
matrix) and save each model artefact → report. Every job calls the repository's
Makefile, so the systems differ only in how they schedule, isolate and report jobs.

Contracts (what is true when each call returns):

- ``run_pipeline()``: the system ran the pipeline on the repository's last commit and
  gave its verdict; every job it started has finished (nothing left running), each job
  that ran noted itself in the repository's ``jobs.log``, and saved models are in the
  artefact folder, readable by another process. ``PipelineRun.returncode`` is the
  system's own verdict (a command's exit code, or a server's build result) and
  ``failed_job`` is the job the system itself names as failed (parsed from its output
  or API), or None. A failed job must stop the jobs that depend on it.
- ``check_config(files)``: the system's own checker (linter, config validator) read
  ``files`` (path -> text, the config files of :meth:`config_files` with any change)
  and returned its findings, one line each; an empty list means "no problem found".
  ``check_configs(variants)`` does the same for several configs (one checker call where
  the checker is slow to start), one list of findings per variant, in order.
- ``defective_configs()``: the pipeline config with one injected defect per entry,
  ``{defect kind: [files, ...]}``; only kinds that exist in the system's config language.
"""

from __future__ import annotations

import abc
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from adapters.base import Adapter
from adapters.cicd import repo as repository

# kinds of config defects injected for the config checkers
MISSPELT_KEY = "misspelt key"
UNDEFINED_DEPENDENCY = "undefined job or stage dependency"
SHELL_ERROR = "shell error in a step"
UNTRUSTED_EXPRESSION = "untrusted expression in a step"
SYNTAX_ERROR = "syntax error in the config file"
DEFECT_KINDS = (MISSPELT_KEY, UNDEFINED_DEPENDENCY, SHELL_ERROR, UNTRUSTED_EXPRESSION, SYNTAX_ERROR)


@dataclass(frozen=True)
class PipelineRun:
    """What one pipeline run ended with."""

    returncode: int  # the system's verdict: 0 passed, anything else failed
    seconds: float  # from the trigger to the verdict
    failed_job: str | None  # the job the system names as failed
    output: str  # the tail of what the system printed


class Runner(Adapter):
    """Runs the repository's pipeline with one CI system."""

    stage = "cicd"
    operations = ("run_pipeline", "check_config", "check_configs")

    def __init__(self, rows: int = repository.DATA_ROWS, workdir: Path | None = None):
        super().__init__(workdir)
        self.rows = rows
        self.repo: repository.Repo | None = None

    def setup(self) -> None:
        self.repo = self.step(
            f"generate the repository under CI ({self.rows} data rows)",
            lambda: repository.create(self.workdir / "repo", self.rows),
        )
        files = self.config_files()
        self.step(f"write {', '.join(files)}", lambda: self.repo.commit("add the pipeline", files))
        self.prepare()

    def prepare(self) -> None:
        """Start what the system needs beside its config (servers, workers)."""

    @abc.abstractmethod
    def config_files(self) -> dict[str, str]:
        """The pipeline as the user writes it: repository path -> text."""

    @abc.abstractmethod
    def run_pipeline(self) -> PipelineRun:
        """Run the pipeline on the last commit and wait for the verdict (see the contract)."""

    def check_config(self, files: dict[str, str]) -> list[str]:
        """The system's own checker on ``files``; its findings, one line each."""
        raise self.not_supported("check_config", "it has no checker of its pipeline config")

    def check_configs(self, variants: list[dict[str, str]]) -> list[list[str]]:
        """:meth:`check_config` on each of ``variants``; one list of findings each."""
        return [self.check_config(files) for files in variants]

    def run_checker(self, files: dict[str, str], command: list[str]) -> subprocess.CompletedProcess:
        """Write ``files`` into a scratch folder and run the checker ``command`` there."""
        with tempfile.TemporaryDirectory(dir=self.workdir) as scratch:
            for name, text in files.items():
                path = Path(scratch, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            return subprocess.run(
                command, cwd=scratch, capture_output=True, text=True, env=self.environment()
            )

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        """``{defect kind: [config files with that defect injected, ...]}``."""
        return {}

    def checker_install_mb(self) -> float | None:
        """Size of a config checker bakeoff installed outside this environment, MB."""
        return None

    def servers_rss_mb(self) -> dict[str, float]:
        """Resident memory of the system's long-running processes (server, worker), MB."""
        return {}

    def environment(self) -> dict[str, str]:
        """Environment of the system's commands: its caches inside the workdir, so that
        the first run is really cold and nothing is left behind."""
        from adapters.cicd import VENV_BIN

        path = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])
        return {**os.environ, "PATH": path, "XDG_CACHE_HOME": str(self.workdir / "cache")}

    def execute(self, command: list[str], failed_job: str, timeout: float = 900) -> PipelineRun:
        """Run ``command`` in the repository; ``failed_job`` is a regular expression whose
        first group is the job the system names as failed in its output."""
        started = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=self.repo.path,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
        seconds = time.perf_counter() - started
        output = done.stdout + done.stderr
        named = re.findall(failed_job, output) if done.returncode else []
        return PipelineRun(done.returncode, seconds, named[-1] if named else None, output[-4000:])


def edited(files: dict[str, str], path: str, old: str, new: str) -> dict[str, str]:
    """``files`` with the first ``old`` in ``path`` replaced by ``new`` (which must exist)."""
    if old not in files[path]:
        raise ValueError(f"{old!r} is not in {path}")
    return {**files, path: files[path].replace(old, new, 1)}
