"""Raw criterion values per tool, from one stage's stored records (all sizes).

Each function takes the stage's records and returns {tool: value}; the scoring module
turns values into 0..1 scores. The rules a sceptical reviewer checks live here:

- speed compares each tool on every operation it shares with at least one other tool at
  that size, done to the operation's contract (``Record.not_equivalent`` leaves a timing
  out), against the fastest of those; a difference under MATERIAL_SECONDS or under
  MATERIAL_SHARE of the faster time counts as none;
- scale is the marginal cost b of a fit ``time = a + b·rows`` (seconds per million rows),
  so a fixed wait does not make a tool "scale better";
- correctness is the mean, over every size, of the 0..1 measures on which the tools
  differ; a measure every ranked tool meets alike is a gate, shown, not averaged in;
- capabilities: what a team needs from the stage (declared with its tools), answered by
  each tool's feature probes or by its trial in a set-up (the team set-up's lost work);
- footprint is kept per part (units apart); a part that does not apply is "n/a";
- setup effort is what a user runs and writes (steps + ``Record.user_code`` lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.results import Record, base_tool, fact_key

# a per-million-row cost below this (1 ns a row) is measurement noise, not a cost
MIN_MARGINAL_SECONDS = 1e-3
# a timing difference below either threshold does not matter to a user: scored as equal
MATERIAL_SECONDS = 0.1  # per call of the operation
MATERIAL_SHARE = 0.10  # of the faster tool's time
# a detector that alarms on more unchanged batches than this cannot be a clear pick
FALSE_ALARM_CEILING = 0.05
FOOTPRINT_PARTS = ("install_mb", "packages", "import_seconds", "memory_mb")


def ok(records: list[Record]) -> list[Record]:
    return [r for r in records if r.status == "ok"]


def geometric_mean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def compared_operations(records: list[Record]) -> dict[int, list[str]]:
    """rows -> operations timed, to contract, by at least two tools that completed that
    size and met the contract of at least one operation besides starting up; a tool that
    met none (e.g. Neptune offline, whose writes nothing reads back, or pandera+spark,
    which names the broken rules but not the rows, and otherwise only started Spark) gets
    no speed score and narrows no one's comparison."""
    return {rows: sorted(sharing) for rows, sharing in _sharing(records).items()}


def _sharing(records: list[Record]) -> dict[int, dict[str, list[Record]]]:
    """rows -> operation -> the records that did it to contract, for operations at least
    two tools did at that size."""
    shared = {}
    for rows in sorted({r.rows for r in ok(records)}):
        by_operation: dict[str, list[Record]] = {}
        for record in ok(records):
            if record.rows == rows:
                for operation in _equivalent_operations(record):
                    by_operation.setdefault(operation, []).append(record)
        shared[rows] = {op: done for op, done in by_operation.items() if len(done) > 1}
    return shared


def _equivalent_operations(record: Record) -> set[str]:
    """The record's operations timed to contract; none when those are only start-ups
    (``server_start``, ``session_start``): starting is not the work being compared."""
    done = {op for op in record.timings if op != "setup" and op not in record.not_equivalent}
    return done if any(not _start_up(op) for op in done) else set()


def _start_up(operation: str) -> bool:
    return operation.endswith("_start")


def material_ratio(median: float, fastest: float) -> float:
    """median / fastest, or 1 where the difference is under MATERIAL_SECONDS or under
    MATERIAL_SHARE of the faster time: a user would not notice it."""
    difference = median - fastest
    if difference < MATERIAL_SECONDS or difference < MATERIAL_SHARE * fastest:
        return 1.0
    return median / fastest


def speed(records: list[Record]) -> dict[str, float]:
    """Geometric mean, over every operation and size a tool shares with another, of its
    median over the fastest sharing tool's (1 where the difference is immaterial)."""
    ratios: dict[str, list[float]] = {}
    for sharing in _sharing(records).values():
        for operation, done in sharing.items():
            fastest = min(r.timings[operation]["median"] for r in done)
            for record in done:
                if fastest > 0:
                    median = record.timings[operation]["median"]
                    ratios.setdefault(record.tool, []).append(material_ratio(median, fastest))
    return {tool: value for tool, values in ratios.items()
            if (value := geometric_mean(values)) is not None}  # fmt: skip


@dataclass(frozen=True)
class Fit:
    """time = fixed + per_million * rows / 1e6, least squares over the sizes run."""

    fixed: float  # seconds
    per_million: float  # seconds per million rows
    sizes: int


def linear_fit(points: list[tuple[int, float]]) -> Fit:
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return Fit(mean_y - slope * mean_x, slope * 1e6, len(points))


def scale_fits(records: list[Record]) -> dict[str, dict[str, Fit]]:
    """tool -> operation -> fit, for operations the tool did to contract, shared with
    another tool, at two sizes or more."""
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for rows, sharing in _sharing(records).items():
        for operation, done in sharing.items():
            for record in done:
                point = (rows, record.timings[operation]["median"])
                series.setdefault((record.tool, operation), []).append(point)
    fits: dict[str, dict[str, Fit]] = {}
    for (tool, operation), points in series.items():
        if len({x for x, _ in points}) >= 2:
            fits.setdefault(tool, {})[operation] = linear_fit(points)
    return fits


def scale(records: list[Record]) -> dict[str, float]:
    """Geometric mean of the per-million-row cost b over the operations every tool has."""
    fits = scale_fits(records)
    shared = set.intersection(*(set(f) for f in fits.values())) if fits else set()
    return {tool: geometric_mean([max(by_op[op].per_million, MIN_MARGINAL_SECONDS)
                                  for op in shared])
            for tool, by_op in fits.items() if shared}  # fmt: skip


def setup_scale(tools: list[str], setup_records: list[Record]) -> dict[str, dict]:
    """Scale for a stage measured at one size, from its set-up that grows the load (the team
    set-up: concurrent clients or runs): each tool gets the lowest marginal cost among its
    product's set-ups ('mlflow' and 'mlflow_server' from 'mlflow+postgresql' or
    'mlflow+sqlite') that kept all their work under the load; a set-up that lost calls,
    writes or outputs does not count. tool -> {"value": cost or None, "setup": name(s),
    "lost": what was lost, when no set-up of the tool held}."""
    values, lost = scale(setup_records), lost_work(setup_records)
    found = {}
    for tool in tools:
        mine = sorted((value, setup) for setup, value in values.items()
                      if same_product(tool, base_tool(setup)))  # fmt: skip
        held = [(value, setup) for value, setup in mine if setup not in lost]
        if held:
            found[tool] = {"value": held[0][0], "setup": held[0][1]}
        elif mine:
            found[tool] = {"value": None, "setup": ", ".join(setup for _, setup in mine),
                           "lost": "; ".join(lost[setup] for _, setup in mine)}  # fmt: skip
    return found


def lost_work(records: list[Record]) -> dict[str, str]:
    """tool -> the first 0..1 correctness value below 1 and the size it was seen at, or
    the smallest size at which its trial failed."""
    lost = {tool: f"failed at {rows:,}" for tool, (rows, _) in failures(records).items()}
    for record in sorted(ok(records), key=lambda r: r.rows):
        for name, right in rates(record).items():
            if right < 1 and record.tool not in lost:
                lost[record.tool] = f"{name.replace('_', ' ')} {right:.2f} at {record.rows:,}"
    return lost


def same_product(tool: str, product: str) -> bool:
    return tool == product or tool.startswith(product + "_")


def correctness(records: list[Record]) -> dict[str, float]:
    """Mean, over the measures on which the ranked tools differ, of each tool's mean of that
    measure over every size (0..1 rates and yes/no checks; counts are ignored; rates named
    ``false_...`` are errors: 1 - rate counts). Measures every tool meets alike are gates
    (:func:`gates`): they separate no one, so they are not averaged in."""
    means = _measure_means(records)
    telling = _discriminating(means)
    values = {tool: [v for name, v in by_name.items() if name in telling]
              for tool, by_name in means.items()}  # fmt: skip
    return {tool: sum(v) / len(v) for tool, v in values.items() if v}


def gates(records: list[Record]) -> list[str]:
    """The 0..1 measures every ranked tool that has them meets alike (e.g. every restored
    file equal, every injected defect caught): passed by all, shown, not averaged."""
    means = _measure_means(records)
    names = {name for by_name in means.values() for name in by_name}
    return sorted(names - _discriminating(means))


def _measure_means(records: list[Record]) -> dict[str, dict[str, float]]:
    values: dict[str, dict[str, list[float]]] = {}
    for record in ok(records):
        for name, value in rates(record).items():
            values.setdefault(record.tool, {}).setdefault(name, []).append(value)
    return {tool: {name: sum(v) / len(v) for name, v in by_name.items()}
            for tool, by_name in values.items()}  # fmt: skip


def _discriminating(means: dict[str, dict[str, float]]) -> set[str]:
    names = {name for by_name in means.values() for name in by_name}
    return {name for name in names
            if len({round(m[name], 9) for m in means.values() if name in m}) > 1}  # fmt: skip


def rates(record: Record) -> dict[str, float]:
    """The record's 0..1 correctness values as how right it was (rates and yes/no checks;
    counts are ignored; ``false_...`` rates are errors, so 1 - rate)."""
    found = {}
    for name, value in record.correctness.items():
        if isinstance(value, bool) or (isinstance(value, float) and 0 <= value <= 1):
            found[name] = 1.0 - value if name.startswith("false_") else float(value)
    return found


def setup_effort(records: list[Record]) -> dict[str, float]:
    """Setup steps a user runs plus lines of code/config a user writes (largest size)."""
    return {record.tool: len(record.setup_steps) + sum(record.user_code.values())
            for record in largest(records).values()}  # fmt: skip


def footprint_parts(records: list[Record], install: dict[str, Record]) -> dict[str, dict]:
    """tool -> part -> value or None ("n/a"): installed MB (Python and system packages),
    package count, import seconds (install evidence) and memory while measured."""
    parts = {}
    for record in largest(records).values():
        evidence = install.get(fact_key(record.stage, record.tool))
        found = evidence is not None and evidence.status == "ok"
        details = evidence.details if found else {}
        parts[record.tool] = {
            "install_mb": details.get("installed_mb"),
            "packages": details.get("packages"),
            "import_seconds": (evidence.timings.get("import") or {}).get("median")
            if found
            else None,
            "memory_mb": _memory_while_measured(records, record.tool),
        }
    return parts


def _memory_while_measured(records: list[Record], tool: str) -> float | None:
    measured = [r.measured_rss_mb for r in ok(records) if r.tool == tool and r.measured_rss_mb]
    return max(measured) if measured else None


def team_losses(tools: list[str], team: list[Record]) -> dict[str, str]:
    """tool -> what its product lost in the team set-up (any of its rows there: a lost
    registration, a call that failed with the tool's error, a failed trial)."""
    lost = lost_work(team)
    found = {}
    for tool in tools:
        mine = sorted(f"{setup}: {what}" for setup, what in lost.items()
                      if same_product(tool, base_tool(setup)))  # fmt: skip
        if mine:
            found[tool] = "; ".join(mine)
    return found


def openness(tools: list[str], stage: str, facts: dict[str, dict]) -> dict[str, float]:
    """Share of yes answers: open source, self-hostable, service still available."""
    keys = ("open_source", "self_hostable", "service_available")
    result = {}
    for tool in tools:
        entry = facts.get(fact_key(stage, tool), {})
        known = [entry[k] for k in keys if k in entry]
        if known:
            result[tool] = sum(map(bool, known)) / len(known)
    return result


def probed(records: list[Record]) -> dict[str, Record]:
    """Each tool's ok record at its largest size that ran the feature probes (``bakeoff
    run`` probes once per tool, at its smallest size)."""
    return {r.tool: r for r in sorted(ok(records), key=lambda r: r.rows) if r.features}


def largest(records: list[Record]) -> dict[str, Record]:
    """Each tool's ok record at its largest completed size."""
    return {r.tool: r for r in sorted(ok(records), key=lambda r: r.rows)}


def failures(records: list[Record]) -> dict[str, tuple[int, str]]:
    """tool -> (smallest size it failed at, reason); tools that completed every size
    they ran are absent."""
    failed = {}
    for record in sorted(records, key=lambda r: -r.rows):
        if record.status == "failed":
            failed[record.tool] = (record.rows, record.reason)
    return failed


def false_alarms(records: list[Record]) -> dict[str, tuple[int, int]]:
    """tool -> (unchanged batches with any alarm, unchanged batches checked), summed over
    every size that ran (``unchanged_batches`` and ``unchanged_batches_alarmed``)."""
    counts: dict[str, tuple[int, int]] = {}
    for record in ok(records):
        checked = int(record.measures.get("unchanged_batches", 0))
        if checked:
            alarmed, total = counts.get(record.tool, (0, 0))
            alarmed += int(record.measures.get("unchanged_batches_alarmed", 0))
            counts[record.tool] = (alarmed, total + checked)
    return counts


def false_alarm_flaws(records: list[Record]) -> dict[str, str]:
    """tool -> its false alarms, where they exceed FALSE_ALARM_CEILING."""
    return {tool: f"false alarms on {alarmed} of {checked} unchanged batches "
                  f"({alarmed / checked:.0%}), above the {FALSE_ALARM_CEILING:.0%} ceiling"
            for tool, (alarmed, checked) in false_alarms(records).items()
            if alarmed / checked > FALSE_ALARM_CEILING}  # fmt: skip
