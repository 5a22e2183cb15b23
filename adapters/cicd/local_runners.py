"""Local runners: the pipeline as pre-commit hooks and as nox sessions.

Both run on a developer's machine (or inside any CI job), one job after another. The
pre-commit hooks are ``repo: local`` with ``language: system``, so nothing is downloaded
(python hooks would build their environments from the registry on the first run); the
nox sessions use ``venv_backend="none"`` for the same reason: they run in this
environment instead of creating and filling a virtual environment per session.

Probes: one hook (``probe-pre-commit.yaml``) or session (``noxfile_probe.py``) running
the probe step. Their cache is the environment they run a step in: pre-commit keeps a
python hook's environment in its home, ``nox -R`` reuses a session's virtualenv; the
probe's cache step notes whether the stamp it left beside that python was still there.
Secrets are environment variables, the only way either tool takes them.
"""

from __future__ import annotations

import json
import shlex
import subprocess

from adapters.cicd import base, venv_program
from adapters.cicd.base import PipelineRun, Runner, edited

CONFIG_PATH = ".pre-commit-config.yaml"
PRE_COMMIT_CONFIG = """\
fail_fast: true
repos:
  - repo: local
    hooks:
      - {id: lint, name: lint, entry: make lint, language: system, pass_filenames: false, always_run: true}
      - {id: test, name: test, entry: make test, language: system, pass_filenames: false, always_run: true}
      - {id: validate, name: validate, entry: make validate, language: system, pass_filenames: false, always_run: true}
      - {id: train-ridge, name: train-ridge, entry: make train save CONFIG=ridge, language: system, pass_filenames: false, always_run: true}
      - {id: train-forest, name: train-forest, entry: make train save CONFIG=forest, language: system, pass_filenames: false, always_run: true}
      - {id: report, name: report, entry: make report, language: system, pass_filenames: false, always_run: true}
"""  # noqa: E501

NOXFILE = """\
import nox

nox.options.default_venv_backend = "none"
nox.options.stop_on_first_error = True


@nox.session
def lint(session):
    session.run("make", "lint", external=True)


@nox.session
def test(session):
    session.run("make", "test", external=True)


@nox.session
def validate(session):
    session.run("make", "validate", external=True)


@nox.session
@nox.parametrize("config", ["ridge", "forest"])
def train(session, config):
    session.run("make", "train", "save", f"CONFIG={config}", external=True)


@nox.session
def report(session):
    session.run("make", "report", external=True)
"""


PRE_COMMIT_PROBE_PATH = "probe-pre-commit.yaml"
PRE_COMMIT_PROBE = """\
repos:
  - repo: local
    hooks:
      - id: probe
        name: probe
        entry: {entry}
        language: {language}
        pass_filenames: false
        always_run: true
        verbose: true
"""
NOX_PROBE_PATH = "noxfile_probe.py"
NOX_PROBE = """\
import nox


@nox.session(venv_backend={backend!r})
def probe(session):
    session.run("sh", "-c", {step!r}, external=True)
"""


class PreCommitRunner(Runner):
    name = "pre_commit"
    env_cache = True

    def config_files(self) -> dict[str, str]:
        return {CONFIG_PATH: PRE_COMMIT_CONFIG}

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "PRE_COMMIT_HOME": str(self.workdir / "pre-commit")}

    def run_pipeline(self) -> PipelineRun:
        command = [venv_program("pre-commit"), "run", "--all-files", "--color", "never"]
        return self.execute(command, r"- hook id: (\S+)")

    def probe_config(self, feature: str) -> dict[str, str]:
        entry = json.dumps(f"sh -c {shlex.quote(self.probe_step(feature))}")
        language = "python" if feature == base.CACHE else "system"
        return {PRE_COMMIT_PROBE_PATH: PRE_COMMIT_PROBE.format(entry=entry, language=language)}

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        command = [venv_program("pre-commit"), "run", "-c", PRE_COMMIT_PROBE_PATH, "--all-files"]
        return self.execute([*command, "--color", "never"], r"- hook id: (\S+)")

    def check_config(self, files: dict[str, str]) -> list[str]:
        command = [venv_program("pre-commit"), "validate-config", *files]
        return findings(self.run_checker(files, command))

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        clean, path = self.config_files(), CONFIG_PATH
        return {
            base.MISSPELT_KEY: [
                edited(clean, path, "entry: make lint", "entri: make lint"),
                edited(clean, path, "fail_fast: true", "fail_fsat: true"),
            ],
            base.SHELL_ERROR: [
                edited(clean, path, "entry: make validate", "entry: make validate 'CONFIG=x"),
            ],
            base.SYNTAX_ERROR: [edited(clean, path, "always_run: true}", "always_run: true", )],
        }  # fmt: skip


class NoxRunner(Runner):
    name = "nox"
    env_cache = True

    def config_files(self) -> dict[str, str]:
        return {"noxfile.py": NOXFILE}

    def run_pipeline(self) -> PipelineRun:
        return self.execute([venv_program("nox"), "--no-color"], r"Session (\S+) failed")

    def probe_config(self, feature: str) -> dict[str, str]:
        backend = "venv" if feature == base.CACHE else "none"
        return {NOX_PROBE_PATH: NOX_PROBE.format(backend=backend, step=self.probe_step(feature))}

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        # -R: reuse the session's virtualenv (and skip installs), as a user runs it again
        command = [venv_program("nox"), "-f", NOX_PROBE_PATH, "-R", "--no-color"]
        return self.execute(command, r"Session (\S+) failed")

    def check_config(self, files: dict[str, str]) -> list[str]:
        return findings(self.run_checker(files, [venv_program("nox"), "--list", "--no-color"]))

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        clean, path = self.config_files(), "noxfile.py"
        return {
            base.MISSPELT_KEY: [
                edited(clean, path, "@nox.session\ndef lint", "@nox.sesion\ndef lint"),
                edited(clean, path, "external=True)\n\n\n@nox.session\ndef test",
                       "extrenal=True)\n\n\n@nox.session\ndef test"),
            ],
            base.UNDEFINED_DEPENDENCY: [
                edited(clean, path, "@nox.session\ndef test",
                       '@nox.session(requires=["lnt"])\ndef test'),
            ],
            base.SHELL_ERROR: [
                edited(clean, path, '"make", "validate"', '"make validate; exit 0"'),
            ],
            base.SYNTAX_ERROR: [
                edited(clean, path, "def report(session):", "def report(session)"),
            ],
        }  # fmt: skip


def findings(done: subprocess.CompletedProcess) -> list[str]:
    """A checker's findings: its warnings, and every line it printed when it failed."""
    lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0:
        return lines[-3:] or [f"exited {done.returncode}"]
    return [line for line in lines if line.startswith("[WARNING]")]
