"""What a team needs from a stage, and which tool has it.

Each stage declares, beside its tools, a fixed list of capabilities written from what
teams need (for experiment runs: a model registry with aliases, a web UI, safety when a
team logs at once, ...). Every record carries the list and where each answer is: a feature
probe of the tool (yes, no, or "not supported" in the tool's own words), or the tool's
trial in one of the stage's set-ups ("team set-up": yes when every row of its product there
kept all its work). The floor is asked the same questions: what a tool buys is what the floor lacks.
"""

from __future__ import annotations

from reports import criteria
from reports.results import Record, base_tool

SETUP_SUFFIX = " set-up"  # a capability answered by a set-up's trial: "team set-up"


def features(records: list[Record], setups: dict[str, list[Record]] | None = None,
             floors: set[str] | None = None) -> dict[str, float]:  # fmt: skip
    """Share of the stage's capabilities each tool has (answered yes), when the records
    declare them; else, for files written before, the share of probed features that worked
    (higher is better)."""
    wanted = declared_capabilities(records, floors or set())
    if not wanted:
        return {r.tool: sum(bool(f.get("ok")) for f in r.features.values()) / len(r.features)
                for r in criteria.probed(records).values()}  # fmt: skip
    answers = capability_answers(records, wanted, setups or {})
    return {tool: sum(a["answer"] == "yes" for a in found.values()) / len(wanted)
            for tool, found in answers.items()}  # fmt: skip


def declared_capabilities(records: list[Record], floors: set[str]) -> dict[str, str]:
    """capability -> where its answer is, as the rivals' records declare it (a layer's
    own list where layers are ranked): the floor is asked the rivals' questions."""
    for group in ([r for r in records if r.tool not in floors], records):
        for record in group:
            if record.capabilities:
                return dict(record.capabilities)
    return {}


def capability_answers(records: list[Record], wanted: dict[str, str],
                       setups: dict[str, list[Record]]) -> dict[str, dict[str, dict]]:  # fmt: skip
    """tool -> capability -> {"answer": yes | no | not supported | not probed, "evidence"}:
    from the tool's probes (its largest size that ran them), or from its trial in the
    set-up named ("team set-up"): yes when every row of that set-up kept all its work."""
    tested = criteria.probed(records)
    answers = {}
    for tool in criteria.largest(records):
        features = tested[tool].features if tool in tested else {}
        answers[tool] = {capability: _answer(tool, source, features, setups)
                         for capability, source in wanted.items()}  # fmt: skip
    return answers


def _answer(tool: str, source: str, features: dict, setups: dict[str, list[Record]]) -> dict:
    if source.endswith(SETUP_SUFFIX):
        return setup_answer(tool, source.removesuffix(SETUP_SUFFIX), setups)
    if source in features:
        found = features[source]
        return {"answer": found.get("answer", "yes" if found.get("ok") else "no"),
                "evidence": found.get("evidence", "")}  # fmt: skip
    why = "no feature probes in this run" if not features else f"no probe '{source}' ran"
    return {"answer": "not probed", "evidence": why}


def setup_answer(tool: str, setup: str, setups: dict[str, list[Record]]) -> dict:
    """yes when the tool's rows in the set-up (those named '<tool>+<set-up>' where there
    are such, else every row of its product) kept all their work at every load."""
    rows = setups.get(setup, [])
    if not rows:
        return {"answer": "not probed", "evidence": f"the {setup} set-up did not run"}
    mine = [r for r in rows if criteria.same_product(tool, base_tool(r.tool))]
    named = [r for r in mine if r.tool.endswith(f"+{setup}")]
    mine = named or mine
    if not mine:
        return {"answer": "not probed", "evidence": f"no row of {tool} in the {setup} set-up"}
    lost = criteria.lost_work(mine)
    loads = ", ".join(f"{n:,}" for n in sorted({r.rows for r in mine}))
    names = ", ".join(sorted({r.tool for r in mine}))
    if lost:
        return {"answer": "no", "evidence": "; ".join(f"{t}: {w}" for t, w in sorted(lost.items()))}
    return {"answer": "yes", "evidence": f"{names} kept all its work at {loads}"}
