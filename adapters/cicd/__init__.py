"""CI/CD stage: the sales model's repository run through each CI system's pipeline.

act, gle, actionlint, buildbot, pre-commit and nox are programs installed into this
virtual environment by the cicd extra; they are named by their path there, so they are
found whether or not the environment is activated.
"""

import sys
from pathlib import Path

from adapters.cicd import repo
from adapters.registry import Stage, Tool

VENV_BIN = Path(sys.executable).parent
_HINT = "the cicd extra: pip install -e '.[cicd]'"


def venv_program(name: str) -> str:
    return str(VENV_BIN / name)


STAGE = Stage(
    name="CI/CD",
    question="CI/CD: which runs lint, tests and training on every change, and stops bad ones?",
    place=2,
    box="checks every change",
    sizes=(repo.DATA_ROWS,),  # the repository's data sample
    unit="rows in the repository's data sample",
    tool_names={
        "buildbot": "Buildbot",
        "jenkins": "Jenkins",
        "nox": "nox",
        "pre_commit": "pre-commit",
        "github_actions": "GitHub Actions",
        "gitlab_ci": "GitLab CI",
    },
)

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

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
_GATING = "required-check gating (a failed job blocks the later ones)"
ROLES = {
    "baseline": {"kind": "floor"},
    # local runners: what the CI system's jobs run, not its rivals
    "pre_commit": {"kind": "layer", "layer": "pre-commit hooks"},
    "nox": {"kind": "layer", "layer": "nox sessions"},
}
LAYERS = {
    "question": "What runs inside the CI system: the local runner its jobs call",
    "pair": "{pick}, running {layer}",
}
CAPABILITIES = {
    "runs only for the branches named": "branch filter (runs on main, not on another branch)",
    "caches between runs": "caching between runs",
    "keeps build artefacts": "artefact upload (collected outside the job's workspace)",
    "secrets, masked in the log": "secrets (reach the step and are masked in the output)",
    "runs on a schedule": "scheduled runs (fired by the system's own clock)",
    "retries a flaky job": "retry of a flaky step",
    "matrix jobs in parallel": "matrix jobs run in parallel",
    "a failed job blocks the later ones": _GATING,
}
LAYER_CAPABILITIES = {
    "caches between runs": "caching between runs",
    "matrix jobs in parallel": "matrix jobs run in parallel",
    "a failed job blocks the later ones": _GATING,
    "names the failed job": "names the failed job",
}
