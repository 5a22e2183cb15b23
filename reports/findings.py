"""One finding per stage in plain words, with its key figure: what the first screen says."""

from __future__ import annotations

from reports import formatting
from reports.labels import label, size, tool_name
from reports.results import TOOL_ERRORS, Record
from reports.scoring import Ranking


def headline_operation(ranking: Ranking, records: list[Record]) -> tuple[int, str] | None:
    """(rows, operation): the compared operation at the largest size where the winner spent
    the most time, i.e. the stage's main work."""
    sized = [(rows, ops) for rows, ops in ranking.compared.items() if ops]
    if not sized or ranking.winner is None:
        return None
    rows, operations = max(sized)
    times = {op: _median(records, ranking.winner, rows, op) or 0.0 for op in operations}
    return rows, max(operations, key=times.get)


def finding(ranking: Ranking, records: list[Record]) -> str:
    """e.g. "Pandera: validate on 1,000,000 rows in 7.67 s (Great Expectations 40 s;
    baseline 3.95 s). Correctness: Pandera 100%, ..." (tools by their declared names)."""
    if ranking.winner is None:
        return "No tool completed a run."
    headline = headline_operation(ranking, records)
    rivals = [t for t, _, _ in ranking.candidates if t != ranking.winner][:1]
    shown = [ranking.winner, *rivals, *([ranking.floor] if ranking.floor else [])]
    name = {t: tool_name(ranking.stage, t) for t in shown}
    text = name[ranking.winner]
    if headline:
        rows, operation = headline
        times = [(t, _median(records, t, rows, operation)) for t in shown]
        parts = [f"{name[t]} {formatting.seconds(s)}" for t, s in times[1:] if s is not None]
        text += f": {label(operation)} on {size(ranking.stage, rows)}"
        text += f" in {formatting.seconds(times[0][1])}"
        text += f" ({'; '.join(parts)})" if parts else ""
    right = ranking.raw.get("correctness", {})
    if ranking.winner in right:
        scores = [f"{name[t]} {right[t]:.0%}" for t in shown if t in right]
        text += f". Correctness: {', '.join(scores)}"
    return text + "."


def _median(records: list[Record], tool: str, rows: int, operation: str) -> float | None:
    for record in records:
        if record.tool == tool and record.rows == rows and record.status == "ok":
            timing = record.timings.get(operation)
            return timing["median"] if timing else None
    return None


def tool_errors(records: list[Record]) -> list[str]:
    """One line per tool and size whose tool raised errors under load or concurrency, in the
    tool's own words: "mlflow+postgresql at 4 concurrent clients: register_model failed 2
    times: UniqueViolation: duplicate key value ..."."""
    lines = []
    for record in sorted(records, key=lambda r: (r.tool, r.rows)):
        errors = record.details.get(TOOL_ERRORS) or []
        said = "; ".join(f"{operation} failed {_times(count)}: {words}"
                         for operation, words, count in errors)  # fmt: skip
        if said:
            shown = tool_name(record.section, record.tool)
            lines.append(f"{shown} at {size(record.section, record.rows)}: {said}")
    return lines


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count:,} times"
