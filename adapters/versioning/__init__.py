"""Versioning stage: get back exactly the data a model was trained on."""

from adapters.registry import Tool

_HINT = "the versioning extra: pip install -e '.[versioning]'"

TOOLS = {
    "baseline": Tool("adapters.versioning.baseline:ContentStoreVersioner"),
    "dvc": Tool("adapters.versioning.dvc:DvcVersioner", ("dvc",), ("git",), hint=_HINT),
    "git_lfs": Tool(
        "adapters.versioning.git_lfs:GitLfsVersioner",
        programs=("git", "git-lfs"),
        hint="the Debian packages git and git-lfs (apt-get install git git-lfs)",
    ),
    "neptune": Tool("adapters.versioning.neptune:NeptuneVersioner", ("neptune",), hint=_HINT),
}
