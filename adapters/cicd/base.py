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
- ``exercise(feature)``: the system ran a small config of its own language that uses
  ``feature`` (one of ``FEATURES``) on the repository, triggered the way the feature
  needs (a push to another branch, two runs, a secret given, no trigger at all), and
  every run it started has finished. Each ``Attempt`` holds what one trigger did: the
  system's verdict (None when nothing was started), its output, and the lines the probe
  step wrote (``PROBE_STEPS``). Judging is the benchmark's job, not the adapter's.
"""

from __future__ import annotations

import abc
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from adapters import processes
from adapters.base import Adapter
from adapters.cicd import repo as repository

# kinds of config defects injected for the config checkers
MISSPELT_KEY = "misspelt key"
UNDEFINED_DEPENDENCY = "undefined job or stage dependency"
SHELL_ERROR = "shell error in a step"
UNTRUSTED_EXPRESSION = "untrusted expression in a step"
SYNTAX_ERROR = "syntax error in the config file"
DEFECT_KINDS = (MISSPELT_KEY, UNDEFINED_DEPENDENCY, SHELL_ERROR, UNTRUSTED_EXPRESSION, SYNTAX_ERROR)


# features probed by exercise(): each has a step that notes what happened in a marks file
BRANCH_FILTER = "branch filter (runs on main, not on another branch)"
CACHE = "caching between runs"
ARTEFACT_UPLOAD = "artefact upload (collected outside the job's workspace)"
SECRETS = "secrets (reach the step and are masked in the output)"
SCHEDULE = "scheduled runs (fired by the system's own clock)"
RETRY = "retry of a flaky step"
# the schedule last: a system's clock may go on starting runs until the trial ends
FEATURES = (BRANCH_FILTER, CACHE, ARTEFACT_UPLOAD, SECRETS, RETRY, SCHEDULE)

CACHE_BUILD = "mkdir -p .probe-cache && date > .probe-cache/stamp && echo miss >> {marks}"
# the probe step of each feature, as one sh command; {marks} is the feature's marks file,
# {probe} the probe folder (outside the checkout), {secret} how the system spells the secret
PROBE_STEPS = {
    BRANCH_FILTER: "echo ran >> {marks}",
    SCHEDULE: "echo ran >> {marks}",
    CACHE: f"if [ -f .probe-cache/stamp ]; then echo hit >> {{marks}}; else {CACHE_BUILD}; fi",
    ARTEFACT_UPLOAD: "mkdir -p build && head -c 256 /dev/urandom > build/model.joblib"
    " && sha256sum build/model.joblib | cut -c1-64 >> {marks}",
    SECRETS: 'echo -n "{secret}" | sha256sum | cut -c1-64 >> {marks}; '
    'echo "the secret is {secret}"',
    RETRY: "if [ -f {probe}/failed-once ]; then echo pass >> {marks}; "
    "else touch {probe}/failed-once; echo fail >> {marks}; exit 1; fi",
}
# the cache step where the system's cache is the environment it runs the step in (nox's
# reused virtualenv, pre-commit's hook environments): a stamp file beside that python
ENV_CACHE_STEP = (
    "python -c \"import pathlib, sys; stamp = pathlib.Path(sys.prefix, 'probe-stamp'); "
    "print('hit' if stamp.exists() else 'miss', file=open('{marks}', 'a')); stamp.touch()\""
)
SECRET_NAME = "PROBE_SECRET"
ARTEFACT_NAME = "model.joblib"


@dataclass(frozen=True)
class Attempt:
    """What one trigger of a probe config did."""

    label: str  # how it was triggered ("push to branch feature", "run 2", ...)
    returncode: int | None  # the system's verdict; None: the system started no run
    output: str  # the tail of what the system printed
    marks: tuple[str, ...]  # lines the probe step wrote during this attempt
    left_running: bool = False  # a process of the system was still alive after it returned
    triggered: bool = True  # False: bakeoff only waited, the system started it on its own


@dataclass(frozen=True)
class ProbeRun:
    """What :meth:`Runner.exercise` saw for one feature."""

    feature: str
    attempts: tuple[Attempt, ...]
    collected: dict[str, str] = field(default_factory=dict)  # artefact path -> sha256
    secret: str = ""  # the secret value given to the system (SECRETS only)


@dataclass(frozen=True)
class PipelineRun:
    """What one pipeline run ended with."""

    returncode: int  # the system's verdict: 0 passed, anything else failed
    seconds: float  # from the trigger to the verdict
    failed_job: str | None  # the job the system names as failed
    output: str  # the tail of what the system printed
    left_running: bool = False  # a process it started was still alive after it returned


class Runner(Adapter):
    """Runs the repository's pipeline with one CI system."""

    stage = "cicd"
    operations = ("run_pipeline", "check_config", "check_configs", "exercise")

    def __init__(self, rows: int = repository.DATA_ROWS, workdir: Path | None = None):
        super().__init__(workdir)
        self.rows = rows
        self.repo: repository.Repo | None = None
        self.probe_secret = ""  # set while the secrets probe runs

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
        the first run is really cold and nothing is left behind (and, during the secrets
        probe, the secret, where the system reads secrets from the environment)."""
        from adapters.cicd import VENV_BIN

        path = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])
        env = {**os.environ, "PATH": path, "XDG_CACHE_HOME": str(self.workdir / "cache")}
        return {**env, SECRET_NAME: self.probe_secret} if self.probe_secret else env

    # feature probes: the adapter runs a small config and reports; benchmarks judge

    def probe_config(self, feature: str) -> dict[str, str]:
        """The probe config that uses ``feature`` (repository path -> text); raises
        NotSupported where the system's config language has no way to say it."""
        raise self.not_supported("exercise", f"no probe config for {feature}")

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        """Trigger the probe config of ``feature`` once, as a push to ``branch``."""
        raise self.not_supported("exercise", f"no probe trigger for {feature}")

    def probe_step(self, feature: str, secret: str = "$" + SECRET_NAME, step: str = "") -> str:
        """The feature's probe step (or ``step``) as one sh command; ``secret`` is how the
        system spells the secret inside a step."""
        if not step:
            step = ENV_CACHE_STEP if feature == CACHE and self.env_cache else PROBE_STEPS[feature]
        marks, probe = self.marks_path(feature), self.workdir / "probe"
        return step.format(marks=marks, probe=probe, secret=secret)

    env_cache = False  # the system's cache is the environment it runs steps in
    cache_runs = ("run 1", "run 2")  # labels of the cache probe's two runs

    def marks_path(self, feature: str) -> Path:
        return self.workdir / "probe" / f"{FEATURES.index(feature)}.marks"

    def marks(self, feature: str) -> list[str]:
        path = self.marks_path(feature)
        return path.read_text(encoding="utf-8").split() if path.exists() else []

    def exercise(self, feature: str) -> ProbeRun:
        """Run the probe config of ``feature`` on the repository (see the contract)."""
        shutil.rmtree(self.workdir / "probe", ignore_errors=True)
        (self.workdir / "probe").mkdir()
        self.repo.clear_artefacts()
        self.probe_secret = secrets.token_hex(12) if feature == SECRETS else ""
        try:
            self.repo.commit(f"probe: {feature}", self.probe_config(feature))
            attempts = self.probe_attempts(feature)
        finally:
            self.probe_secret, secret = "", self.probe_secret
        return ProbeRun(feature, tuple(attempts), self.collected(), secret)

    def probe_attempts(self, feature: str) -> list[Attempt]:
        """The triggers each feature needs, in order."""
        if feature == BRANCH_FILTER:
            return self.branch_attempts(feature)
        if feature == CACHE:
            return [self.attempt(feature, label) for label in self.cache_runs]
        label = "run on demand" if feature == SCHEDULE else "run"
        return [self.attempt(feature, label)]

    def branch_attempts(self, feature: str) -> list[Attempt]:
        """A push to a branch ``feature`` (a commit there), then a push to main."""
        self.repo.git("checkout", "-q", "-b", "feature")
        try:
            self.repo.commit("a change on a branch", {"FEATURE.md": "work in progress\n"})
            elsewhere = self.attempt(feature, "push to branch feature", branch="feature")
        finally:
            self.repo.git("checkout", "-q", "main")
        return [elsewhere, self.attempt(feature, "push to main", branch="main")]

    def attempt(self, feature: str, label: str, branch: str = "main") -> Attempt:
        """Trigger once and note which marks the probe step wrote meanwhile."""
        before = len(self.marks(feature))
        run = self.probe_run(feature, branch)
        marks = tuple(self.marks(feature)[before:])
        return Attempt(label, run.returncode, run.output, marks, run.left_running)

    def workspaces(self) -> list[Path]:
        """Folders where jobs run (what the system collects must be outside them)."""
        return [self.repo.path]

    def collected(self) -> dict[str, str]:
        """Files named like the probe's artefact anywhere in the trial folder outside
        the jobs' workspaces (where a system would have collected them): path -> sha256."""
        found = (p for p in self.workdir.rglob(f"{ARTEFACT_NAME}*") if p.is_file())
        outside = (p for p in found if not any(p.is_relative_to(w) for w in self.workspaces()))
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in outside}

    def execute(self, command: list[str], failed_job: str, timeout: float = 900) -> PipelineRun:
        """Run ``command`` in the repository; ``failed_job`` is a regular expression whose
        first group is the job the system names as failed in its output."""
        started = time.perf_counter()
        done = processes.run(command, self.environment(), self.repo.path, timeout, grace=0)
        seconds = time.perf_counter() - started
        output = done.stdout + done.stderr
        named = re.findall(failed_job, output) if done.returncode else []
        failed = named[-1] if named else None
        return PipelineRun(done.returncode, seconds, failed, output[-4000:], done.left_running)


def edited(files: dict[str, str], path: str, old: str, new: str) -> dict[str, str]:
    """``files`` with the first ``old`` in ``path`` replaced by ``new`` (which must exist)."""
    if old not in files[path]:
        raise ValueError(f"{old!r} is not in {path}")
    return {**files, path: files[path].replace(old, new, 1)}
