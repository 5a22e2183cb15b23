"""CI/CD stage: the sales model's repository run through each CI system's pipeline.

act, gle, actionlint, buildbot, pre-commit and nox are programs installed into this
virtual environment by the cicd extra; they are named by their path there, so they are
found whether or not the environment is activated.
"""

import sys
from pathlib import Path

from adapters.registry import Tool

VENV_BIN = Path(sys.executable).parent
_HINT = "the cicd extra: pip install -e '.[cicd]'"


def venv_program(name: str) -> str:
    return str(VENV_BIN / name)


TOOLS = {
    "baseline": Tool("adapters.cicd.baseline:MakeRunner", programs=("make", "git")),
    "buildbot": Tool(
        "adapters.cicd.buildbot:BuildbotRunner",
        ("buildbot", "buildbot_worker"),
        (venv_program("buildbot"), venv_program("buildbot-worker"), "git"),
        hint=_HINT,
    ),
    # Jenkins cannot be installed here, so its pipeline is "not run" (NotRunnable from
    # the adapter); its Jenkinsfile is still written and checked with npm-groovy-lint
    "jenkins": Tool("adapters.cicd.jenkins:JenkinsRunner", programs=("git",)),
    "nox": Tool(
        "adapters.cicd.local_runners:NoxRunner", ("nox",), (venv_program("nox"), "git"), hint=_HINT
    ),
    "pre_commit": Tool(
        "adapters.cicd.local_runners:PreCommitRunner",
        ("pre_commit",),
        (venv_program("pre-commit"), "git"),
        hint=_HINT,
    ),
    "github_actions": Tool(
        "adapters.cicd.github_actions:ActRunner",
        programs=(venv_program("act"), venv_program("actionlint"), "git"),
        hint=_HINT,
    ),
    "gitlab_ci": Tool(
        "adapters.cicd.gitlab_ci:GleRunner",
        ("gitlabemu",),
        (venv_program("gle"), "git"),
        hint=_HINT,
    ),
}
