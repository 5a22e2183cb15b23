"""Which rows of a stage compete for the pick, and which are its floor or its layers.

Each stage declares its rows' parts beside its tools, and every record carries its own
(``Record.role``): a candidate is a rival for the pick; the floor (the roll-your-own
baseline) is the yardstick the pick is held against, never the pick; a layer runs on top
of or inside the pick (Prometheus alerts on a detector's scores; the local runner a CI
system's jobs call) and is ranked on its own question. Files written before roles were
recorded read as before: the baseline is the floor, every other tool a candidate.
"""

from __future__ import annotations

from reports.results import Record


def roles(records: list[Record]) -> dict[str, dict]:
    """tool -> its role, from the first of its records that carries one (a record the
    runner wrote for a trial that could not start carries none)."""
    found: dict[str, dict] = {}
    for record in records:
        if record.role and record.tool not in found:
            found[record.tool] = dict(record.role)
    for record in records:
        kind = "floor" if record.tool == "baseline" else "candidate"
        found.setdefault(record.tool, {"kind": kind})
    return found


def of_kind(records: list[Record], kind: str) -> set[str]:
    return {tool for tool, role in roles(records).items() if role.get("kind") == kind}


def main_rows(records: list[Record]) -> list[Record]:
    """The candidates' and the floor's records: what the stage's pick is chosen from."""
    layers = of_kind(records, "layer")
    return [r for r in records if r.tool not in layers]


def layer_rows(records: list[Record], ranked: list[str]) -> tuple[list[Record], set[str], str]:
    """(records, floors, feed) for ranking the stage's layers, or ([], set(), "") when it
    has none. Layers fed by a detector's scores are ranked as fed by the first tool in
    ``ranked`` (the pick first) that feeds one, against that tool alone as their floor (no
    layer); other layers against the stage's floor."""
    every = roles(records)
    layers = [r for r in records if every[r.tool].get("kind") == "layer"]
    if not layers:
        return [], set(), ""
    feeds = {every[r.tool].get("fed_by", "") for r in layers} - {""}
    if not feeds:
        floors = of_kind(records, "floor")
        return layers + [r for r in records if r.tool in floors], floors, ""
    feed = next((tool for tool in ranked if tool in feeds), sorted(feeds)[0])
    fed = [r for r in layers if every[r.tool].get("fed_by") == feed]
    return fed + [r for r in records if r.tool == feed], {feed}, feed
