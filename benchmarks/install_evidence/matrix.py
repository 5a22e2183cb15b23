"""The co-installability matrix: whether each pair of tools resolves into one environment."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from benchmarks.install_evidence.cache import fingerprint, save_cache
from benchmarks.install_evidence.installer import PYTHON
from benchmarks.install_evidence.records import STAGE
from benchmarks.install_evidence.resolver import Resolution
from reports.results import Record

if TYPE_CHECKING:
    from benchmarks.install_evidence.measure import Context
    from benchmarks.install_evidence.pyproject import Target


@dataclass
class Pair:
    """Whether two tools resolve into one environment, and what that changes."""

    tools: list[str]
    ok: bool | None  # None: one of them does not resolve alone
    changed: dict[str, list[str]] = field(default_factory=dict)  # name -> [alone, together]
    error: str = ""


def pin_changes(together: dict[str, str], *alone: dict[str, str]) -> dict[str, list[str]]:
    """Distributions whose version in the pair differs from the version either tool chose."""
    changes = {}
    for name, version in together.items():
        chosen = [solo[name] for solo in alone if name in solo and solo[name] != version]
        if chosen:
            changes[name] = ["/".join(dict.fromkeys(chosen)), version]
    return changes


def pair_outcome(names: list[str], solo: list[Resolution], together: Resolution | None) -> Pair:
    if together is None:
        return Pair(names, None, error="one of them does not resolve alone")
    if not together.ok:
        return Pair(names, False, error=together.error)
    return Pair(names, True, pin_changes(together.versions, *(r.versions for r in solo)))


def matrix_tables(names: list[str], pairs: dict[tuple[str, str], Pair]) -> list[dict]:
    """The yes/no matrix and the pairs that conflict or move a pin, as report tables."""
    word = {True: "yes", False: "no", None: "–"}
    both = {**pairs, **{(b, a): pair for (a, b), pair in pairs.items()}}
    notable = [p for p in pairs.values() if p.ok is False or p.changed]
    matrix = {
        "title": "Co-installable in one environment (the installer's resolver, project pins)",
        "columns": ["tool", *names],
        "rows": [[a, *(word[both[a, b].ok] if a != b else "·" for b in names)] for a in names],
    }
    moved = {
        "title": "Pairs that conflict, or resolve with other versions than alone",
        "columns": ["tool", "with", "together", "versions moved (alone → together)"],
        "rows": [[*p.tools, word[p.ok], p.error or _moves(p.changed)] for p in notable],
    }
    return [matrix, moved] if notable else [matrix]


def _moves(changed: dict[str, list[str]]) -> str:
    return ", ".join(f"{name} {alone} → {together}" for name, (alone, together) in changed.items())


def co_install(context: Context, targets: list[Target], solo: dict) -> dict:
    """Every pair of tools resolved together (dry run), cached by both requirement sets."""
    pairs, pending = {}, {}
    for index, first in enumerate(targets):
        for second in targets[index + 1 :]:
            pairs[(first.name, second.name)] = _pair(context, first, second, solo, pending)
    context.report(f"[install] co-installability: {len(pending)} pairs to resolve")
    keys = list(pending)
    resolved = context.resolve([pending[k] for k in keys], offline=True)
    for key, resolution in zip(keys, resolved, strict=True):
        context.cache[key] = asdict(resolution)
    save_cache(context.cache_path, context.cache)
    return {
        names: pair_outcome(list(names), alone, Resolution(**context.cache[key]) if key else None)
        for names, (alone, key) in pairs.items()
    }


def _pair(context: Context, first: Target, second: Target, solo: dict, pending: dict):
    """(solo resolutions, cache key of the pair's resolution or "" when there is none)."""
    alone = [solo.get(first.requirements), solo.get(second.requirements)]
    if not all(r is not None and r.ok for r in alone):
        return alone, ""
    requirements = tuple(dict.fromkeys(first.requirements + second.requirements))
    solo_versions = sorted(json.dumps(r.versions, sort_keys=True) for r in alone)
    key = "pair " + fingerprint(sorted(requirements), context.pins, PYTHON, solo_versions)
    if key not in context.cache:
        pending[key] = requirements
    return alone, key


def matrix_record(targets: list[Target], pairs: dict[tuple[str, str], Pair]) -> Record:
    names = [t.name for t in targets]
    details = {"tables": matrix_tables(names, pairs), "pairs": [asdict(p) for p in pairs.values()]}
    return Record(STAGE, "matrix", 0, details=details)
