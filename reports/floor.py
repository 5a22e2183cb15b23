"""The DIY floor line: what the pick costs over the roll-your-own floor, and what it buys.

"Pandera costs 1.9x the baseline's time and buys: a report a person reads, rules inferred
from the data". The cost is the geometric mean of the pick's median over the floor's, over
every operation (at every size) both did to the operation's contract, where the floor took
at least 1 ms (a smaller base measures noise); n/a when they share none. What it buys: the
stage's capabilities the pick has (answered yes) and the floor has not.
"""

from __future__ import annotations

from reports import criteria, formatting
from reports.labels import label, size, tool_name
from reports.results import Record
from reports.scoring import Ranking


def cost(records: list[Record], tool: str, floor: str) -> tuple[float | None, list[str]]:
    """(geometric mean of tool / floor medians, the operations it is taken over)."""
    done = {(r.tool, r.rows): r for r in criteria.ok(records)}
    ratios, operations = [], []
    for (name, rows), record in sorted(done.items(), key=lambda item: item[0][1]):
        base = done.get((floor, rows))
        if name != tool or base is None:
            continue
        for operation, timing in record.timings.items():
            reference = base.timings.get(operation)
            ratio = formatting.ratio(timing["median"], reference and reference["median"])
            if ratio is None or operation == "setup" or operation in record.not_equivalent:
                continue
            if operation not in base.not_equivalent:
                ratios.append(ratio)
                operations.append(f"{label(operation)} at {size(record.section, rows)}")
    return criteria.geometric_mean(ratios), operations


def bought(ranking: Ranking, tool: str, floor: str) -> tuple[list[str], list[str]]:
    """(capabilities the tool has and the floor lacks, those the tool has where the floor's
    answer was not probed)."""
    mine, theirs = ranking.capabilities.get(tool, {}), ranking.capabilities.get(floor, {})
    has = [c for c in ranking.wanted if mine.get(c, {}).get("answer") == "yes"]
    unknown = [c for c in has if theirs.get(c, {}).get("answer") == "not probed"]
    lacking = [c for c in has if c not in unknown and theirs.get(c, {}).get("answer") != "yes"]
    return lacking, unknown


def line(ranking: Ranking, records: list[Record], name: str | None = None) -> str:
    """The floor line of the ranking's pick (``name``: how to call it), or "" when there is
    no pick or no floor ran."""
    tool, floor = ranking.winner, ranking.floor
    if tool is None or floor is None:
        return ""
    name = name or tool_name(ranking.stage, tool)
    base = "the baseline" if floor == "baseline" else f"{tool_name(ranking.stage, floor)} alone"
    ratio, _ = cost(records, tool, floor)
    if ratio is None:  # equal work or no comparison: the line says so
        text = (f"no time is compared with {base}'s (no operation both did to the same "
                f"standard); {name} buys")  # fmt: skip
    else:
        text = f"{name} costs {formatting.significant(ratio)}× {base}'s time and buys"
    runs = ranking.emulators.get(tool)
    text += f"{f' (as run here by {runs})' if runs else ''}: {_buys(ranking, tool, floor)}"
    owned = _owned_lines(records, floor)
    if owned and ranking.roles.get(floor, {}).get("kind") == "floor":
        text += f"; {base} is {owned:,} lines your team writes and maintains"
    return text


def _buys(ranking: Ranking, tool: str, floor: str) -> str:
    if not ranking.wanted:
        return "no capabilities declared for this stage"
    mine = ranking.capabilities.get(tool, {})
    if all(answer["answer"] == "not probed" for answer in mine.values()):
        return "not probed in this run (a smoke run runs no feature probes)"
    lacking, unknown = bought(ranking, tool, floor)
    parts = lacking + [f"{c} (the floor's answer not probed)" for c in unknown]
    if parts:
        return ", ".join(parts)
    return f"nothing the floor lacks, of {len(ranking.wanted)} capabilities asked"


def _owned_lines(records: list[Record], floor: str) -> int:
    """Lines of code and config a user writes for the floor (its own code, owned)."""
    written = [r for r in criteria.ok(records) if r.tool == floor and r.user_code]
    return sum(max(written, key=lambda r: r.rows).user_code.values()) if written else 0


def cost_note(records: list[Record], ranking: Ranking) -> str:
    """How the cost figure was taken, for the stage's evidence."""
    tool, floor = ranking.winner, ranking.floor
    if tool is None or floor is None:
        return ""
    ratio, operations = cost(records, tool, floor)
    shown, base = tool_name(ranking.stage, tool), tool_name(ranking.stage, floor)
    if ratio is None:
        return (
            f"Cost over {base}: n/a, no operation both did to contract where {base} "
            "took at least 1 ms."
        )
    return (
        f"Cost over {base}: {formatting.significant(ratio)}×, the geometric mean of "
        f"{shown}'s median over {base}'s on {len(operations)} operations both did to "
        f"contract ({'; '.join(operations)})."
    )
