"""The repository under CI: a small Git repository generated from the workload.

It holds the sales model's training code (copied from ``scenarios/``), its tests, a Wish
data sample and a Makefile whose targets are the pipeline's jobs. Every CI system's
config calls the same targets, so the systems differ only in how they run them.

Each job is wrapped by ``ci/timed`` (bakeoff's instrument, not the user's code), which
appends ``<job> start|end <epoch seconds>`` to ``jobs.log`` in the artefact folder: the
benchmark reads which jobs ran, in which order and whether the matrix jobs overlapped,
the same way for every tool. The artefact folder lies outside the checkout, as a CI
system's artefact store does.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CONFIGS = ("ridge", "forest")  # the model configurations run as a matrix
JOBS = ("lint", "test", "validate", *(f"train-{c}" for c in CONFIGS))
DATA_ROWS = 400
_SCENARIO_FILES = ("__init__.py", "model.py", "wish.py", "loader.py")

MAKEFILE = """\
PYTHON := {python}
ARTEFACTS := {artefacts}
CONFIG ?= ridge
TIMED := sh ci/timed $(ARTEFACTS)

.PHONY: lint test validate train save report

lint:
\t$(TIMED) lint $(PYTHON) -m ruff check .

test:
\t$(TIMED) test $(PYTHON) -m pytest -q -p no:cacheprovider tests

validate:
\t$(TIMED) validate $(PYTHON) validate_data.py data/sample.csv

train:
\t$(TIMED) train-$(CONFIG) $(PYTHON) train.py $(CONFIG) build/model-$(CONFIG).joblib

save:
\tmkdir -p $(ARTEFACTS)/$(CONFIG)
\tcp build/model-$(CONFIG).joblib $(ARTEFACTS)/$(CONFIG)/model.joblib

# two calls: under make -j, the goals of one call (train save) would run at once
model-%:
\t$(MAKE) train CONFIG=$*
\t$(MAKE) save CONFIG=$*

report:
\tls -l $(ARTEFACTS)/*/model.joblib
"""

TIMED = """\
#!/bin/sh
# ci/timed ARTEFACTS JOB COMMAND...: run COMMAND, noting when job JOB started and ended.
log="$1/jobs.log"; job="$2"; shift 2
mkdir -p "$(dirname "$log")"
echo "$job start $(date +%s.%N)" >> "$log"
"$@"
status=$?
echo "$job end $(date +%s.%N) $status" >> "$log"
exit $status
"""

TRAIN = '''\
"""Train one model configuration on the data sample and save it."""

import sys
from pathlib import Path

import joblib
import pandas as pd

from scenarios import model


def main(config: str, out: str) -> None:
    data = model.split(pd.read_csv("data/sample.csv"))
    fitted = model.train(data, config)
    print(f"{config}: R^2 {model.score(fitted, data):.3f}")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(fitted, out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
'''

VALIDATE = '''\
"""Refuse a data sample without the model's columns or with impossible values."""

import sys

from scenarios.loader import load_csv


def main(path: str) -> int:
    frame = load_csv(path)
    problems = []
    if (frame["price"] <= 0).any():
        problems.append("price must be positive")
    if not frame["rating"].between(1, 5).all():
        problems.append("rating must lie between 1 and 5")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
'''

TESTS = """\
import pandas as pd

from scenarios import model, wish


def test_sizes_are_normalised():
    labels = pd.Series(["Size S", "xs", "M.", "25-L", "banana"])
    assert model.normalise_size(labels).tolist() == ["S", "XS", "M", "L", "other"]


def test_features_have_the_model_columns():
    frame = wish.generate(50, seed=1)
    assert list(model.features(frame).columns) == list(model.FEATURES)
"""

RUFF = """\
line-length = 100

[lint]
select = ["E", "F", "W", "I"]
"""

LINT_DEFECT = ("train.py", "import sys\n", "import os\nimport sys\n")  # F401, unused import


@dataclass
class Job:
    name: str
    start: float
    end: float | None
    status: int | None


class Repo:
    """A generated repository at ``path`` whose jobs save into ``artefacts``."""

    def __init__(self, path: Path, artefacts: Path):
        self.path, self.artefacts = path, artefacts

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(self, message: str, files: dict[str, str]) -> str:
        """Write ``files`` (path -> text), commit them; the new commit's hash."""
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        self.git("add", *files)
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def push_lint_defect(self) -> str:
        """Commit an unused import in train.py (a lint error); the commit's hash."""
        name, old, new = LINT_DEFECT
        text = (self.path / name).read_text(encoding="utf-8").replace(old, new, 1)
        return self.commit("use os in training", {name: text})

    def revert_head(self) -> str:
        """Commit the undoing of the last commit; the new commit's hash."""
        self.git("revert", "--no-edit", "HEAD")
        return self.head()

    def clear_artefacts(self) -> None:
        """Forget earlier runs' job log and models (kept: nothing a run needs)."""
        subprocess.run(["rm", "-rf", str(self.artefacts)], check=True)
        self.artefacts.mkdir(parents=True)

    def jobs(self) -> list[Job]:
        """The jobs of the last runs, in start order, from ``jobs.log``."""
        log = self.artefacts / "jobs.log"
        jobs: dict[str, Job] = {}
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        for line in lines:
            name, event, stamp, *status = line.split()
            if event == "start":
                jobs[name] = Job(name, float(stamp), None, None)
            elif name in jobs:
                jobs[name].end, jobs[name].status = float(stamp), int(status[0])
        return sorted(jobs.values(), key=lambda job: job.start)

    def models(self) -> list[str]:
        """Configurations whose model artefact was saved."""
        return sorted(p.parent.name for p in self.artefacts.glob("*/model.joblib"))


def create(path: Path, rows: int = DATA_ROWS, python: str = sys.executable) -> Repo:
    """Generate the repository at ``path`` (artefacts beside it) with one commit."""
    import scenarios
    from scenarios import wish

    path.mkdir(parents=True)
    repo = Repo(path, path.parent / f"{path.name}-artefacts")
    repo.artefacts.mkdir(exist_ok=True)
    source = Path(scenarios.__file__).parent
    files = {f"scenarios/{name}": (source / name).read_text(encoding="utf-8")
             for name in _SCENARIO_FILES}  # fmt: skip
    files |= {
        "Makefile": MAKEFILE.format(python=python, artefacts=repo.artefacts),
        "ci/timed": TIMED,
        "train.py": TRAIN,
        "validate_data.py": VALIDATE,
        "tests/test_model.py": TESTS,
        "ruff.toml": RUFF,
        ".gitignore": "build/\n__pycache__/\n",
    }
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.email", "ci@bakeoff.invalid")
    repo.git("config", "user.name", "bakeoff")
    (path / "data").mkdir()
    wish.write_csv(wish.generate(rows, seed=5), path / "data/sample.csv")
    repo.git("add", "data/sample.csv")
    repo.commit("the sales model", files)
    return repo
