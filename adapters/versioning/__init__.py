"""Versioning stage: get back exactly the data a model was trained on."""

from adapters.registry import Stage, Tool

_HINT = "the versioning extra: pip install -e '.[versioning]'"

STAGE = Stage(
    name="Versioning",
    question="Versioning: can we get back exactly the data a model was trained on?",
    place=3,
    box="data versions",
    sizes=(1_600, 100_000, 1_000_000),
    quick=(1_600,),
    tool_names={"dvc": "DVC", "git_lfs": "Git LFS", "neptune": "Neptune"},
)

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

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {
    "a remote a teammate pulls from": "teammate clone from the remote",
    "lineage: a run's record gives its data back": "lineage: run record resolves to the data",
    "a damaged object is an error, never a wrong file": "damaged remote object is an error",
    "read an old version without checking it out": "read a version without checkout",
    "diff between versions": "diff between versions",
    "stores an unchanged file once (deduplication)": "stores an unchanged file once",
    "frees the storage of versions no longer needed": "frees unused versions (garbage collection)",
}
