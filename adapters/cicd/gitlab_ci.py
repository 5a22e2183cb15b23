"""GitLab CI, run locally by ``gitlab-emulator`` (``gle``) as shell jobs (no Docker).

``gle --ignore-docker --full report`` runs the ``report`` job after every job it
``needs``, one job at a time, in the checkout itself. gle does not expand
``parallel: matrix`` when it runs a pipeline (``--full`` and ``--parallel`` exclude each
other, and the matrix job runs once without its variables), so the two model jobs are
written as two jobs extending one template, as GitLab users also do. gle's config check
is its loader: it refuses what it cannot load (``gle --list``).

Probes: one job ``probe`` in ``probe-gitlab-ci.yml`` (``gle -c``) with the feature's
keys (``rules:``, ``cache:``, ``artifacts:``, ``retry:``). gle sets no
``CI_COMMIT_BRANCH``, so bakeoff passes the one GitLab would set (``--var``), and the
secret as a pipeline variable read from the environment (``--var PROBE_SECRET``). Each
probe run starts from a checkout cleaned as GitLab's runner cleans it for every job
(``git clean -ffdx``): gle runs jobs in the checkout itself, where a left-over file
would otherwise pass for a restored cache.
"""

from __future__ import annotations

import json

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
PROBE_PATH = "probe-gitlab-ci.yml"
PROBE_KEYS = {
    base.BRANCH_FILTER: {"rules": [{"if": '$CI_COMMIT_BRANCH == "main"'}]},
    base.CACHE: {"cache": {"key": "probe", "paths": [".probe-cache/"]}},
    base.ARTEFACT_UPLOAD: {"artifacts": {"paths": [f"build/{base.ARTEFACT_NAME}"]}},
    base.SCHEDULE: {"rules": [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]},
    base.RETRY: {"retry": 1},
}


class GleRunner(Runner):
    name = "gitlab_ci"
    cache_runs = ("run 1", "run 2 from a cleaned checkout (git clean -ffdx, as GitLab's runner)")

    def config_files(self) -> dict[str, str]:
        return {CONFIG_PATH: PIPELINE}

    def run_pipeline(self) -> PipelineRun:
        return self.execute(GLE, r"Shell job (\S+) failed")

    def probe_config(self, feature: str) -> dict[str, str]:
        job = {"script": [self.probe_step(feature)], **PROBE_KEYS.get(feature, {})}
        return {PROBE_PATH: json.dumps({"probe": job}, indent=1) + "\n"}  # JSON is YAML

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        self.repo.git("clean", "-ffdxq")
        variables = ["--var", f"CI_COMMIT_BRANCH={branch}", "--var", base.SECRET_NAME]
        command = [venv_program("gle"), "--ignore-docker", "-c", PROBE_PATH, *variables]
        return self.execute([*command, "probe"], r"Shell job (\S+) failed")

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
