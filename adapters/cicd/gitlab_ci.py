"""GitLab CI, run locally by ``gitlab-emulator`` (``gle``) as shell jobs (no Docker).

``gle --ignore-docker --full report`` runs the ``report`` job after every job it
``needs``, one job at a time, in the checkout itself. gle does not expand
``parallel: matrix`` when it runs a pipeline (``--full`` and ``--parallel`` exclude each
other, and the matrix job runs once without its variables), so the two model jobs are
written as two jobs extending one template, as GitLab users also do. gle's config check
is its loader: it refuses what it cannot load (``gle --list``).
"""

from __future__ import annotations

from adapters.cicd import base, venv_program
from adapters.cicd.base import PipelineRun, Runner, edited

CONFIG_PATH = ".gitlab-ci.yml"
PIPELINE = """\
stages: [lint, test, validate, train, report]
lint:
  stage: lint
  script: [make lint]
test:
  stage: test
  needs: [lint]
  script: [make test]
validate:
  stage: validate
  needs: [test]
  script: [make validate]
.train:
  stage: train
  needs: [validate]
  script:
    - make train CONFIG=$CONFIG
    - make save CONFIG=$CONFIG
train-ridge:
  extends: .train
  variables: {CONFIG: ridge}
train-forest:
  extends: .train
  variables: {CONFIG: forest}
report:
  stage: report
  needs: [train-ridge, train-forest]
  script: [make report]
"""
GLE = [venv_program("gle"), "--ignore-docker", "--full", "report"]


class GleRunner(Runner):
    name = "gitlab_ci"

    def config_files(self) -> dict[str, str]:
        return {CONFIG_PATH: PIPELINE}

    def run_pipeline(self) -> PipelineRun:
        return self.execute(GLE, r"Shell job (\S+) failed")

    def check_config(self, files: dict[str, str]) -> list[str]:
        done = self.run_checker(files, [venv_program("gle"), "--list"])
        if done.returncode == 0:
            return []
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return lines[-1:] or [f"gle exited {done.returncode}"]

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        clean, path = self.config_files(), CONFIG_PATH
        return {
            base.MISSPELT_KEY: [
                edited(clean, path, "  script: [make lint]", "  scirpt: [make lint]"),
                edited(clean, path, "  stage: test\n", "  stag: test\n"),
            ],
            base.UNDEFINED_DEPENDENCY: [
                edited(clean, path, "needs: [test]", "needs: [tests]"),
                edited(clean, path, "  stage: report", "  stage: publish"),
            ],
            base.SHELL_ERROR: [
                edited(clean, path, "script: [make report]",
                       "script: ['if [ -d build ]; then make report']"),
            ],
            base.SYNTAX_ERROR: [edited(clean, path, "script: [make test]", "script: [make test")],
        }  # fmt: skip
