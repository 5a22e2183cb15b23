"""Where a run's time went: wall time per stage and tool, split into measured operations,
checks and probes (the tools at work, untimed: correctness checks, feature probes,
read-backs) and harness overhead (process start, imports, data, fixtures), and
the slowest trials."""

from __future__ import annotations

from reports.labels import size
from reports.results import Record


def split(records: list[Record]) -> dict:
    """{"rows": [[stage, tool, trials, wall s, measured s, checks s, overhead s, measured
    share]], "stages": [[stage, the same figures]], "total": [trials, wall s, measured s,
    checks s, overhead s, measured share],
    "slowest": [[stage, tool, rows, wall s]], "data": seconds spent making cached workload
    data before trials, outside their wall} over records that ran (wall time known)."""
    ran = [r for r in records if r.wall_seconds]
    groups = _grouped(ran, lambda r: (r.section, r.tool))
    rows = [[stage, tool, *_figures(group)] for (stage, tool), group in sorted(groups.items())]
    sections = _grouped(ran, lambda r: r.section)
    slowest = sorted(ran, key=lambda r: -r.wall_seconds)[:5]
    return {
        "rows": rows,
        "stages": [[section, *_figures(group)] for section, group in sorted(sections.items())],
        "total": _figures(ran) if ran else None,
        "slowest": [[r.section, r.tool, r.rows, r.wall_seconds] for r in slowest],
        "data": sum(r.data_seconds or 0.0 for r in ran),
    }


def _grouped(records: list[Record], key) -> dict:
    groups: dict = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    return groups


def _figures(group: list[Record]) -> list:
    wall = sum(r.wall_seconds for r in group)
    measured = sum(r.measured_seconds or 0.0 for r in group)
    checks = sum(r.checks_seconds or 0.0 for r in group)
    overhead = max(wall - measured - checks, 0.0)
    return [len(group), wall, measured, checks, overhead, measured / wall if wall else None]


def lines(records: list[Record]) -> list[str]:
    """The split as text for the end of ``bakeoff run``."""
    result = split(records)
    if result["total"] is None:
        return []
    trials, wall, measured, checks, overhead, share = result["total"]
    text = [f"time: {trials} trials, {wall:.0f} s wall: {measured:.0f} s in measured "
            f"operations ({share:.0%}), {checks:.0f} s in checks and probes, "
            f"{overhead:.0f} s harness overhead"]  # fmt: skip
    if result["data"] >= 0.5:
        text.append(f"  workload data made before the trials: {result['data']:.0f} s "
                    "(once per data cache; in no trial's wall)")  # fmt: skip
    for section, _, section_wall, section_measured, _, _, section_share in result["stages"]:
        text.append(f"  {section}: {section_wall:.0f} s wall, {section_measured:.0f} s "
                    f"measured ({section_share:.0%})")  # fmt: skip
        for stage, tool, _, tool_wall, tool_measured, tool_checks, *_ in result["rows"]:
            if stage == section:
                text.append(f"    {tool}: {tool_wall:.0f} s wall, {tool_measured:.0f} s "
                            f"measured, {tool_checks:.0f} s checks and probes")  # fmt: skip
    text += [
        f"  slowest: {s}.{t} at {size(s, rows)}, {w:.0f} s" for s, t, rows, w in result["slowest"]
    ]
    return text
