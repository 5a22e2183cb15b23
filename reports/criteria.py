"""Raw criterion values per tool, from one stage's stored records (all sizes).

Each function takes the stage's records and returns {tool: value}; the scoring module
turns values into 0..1 scores. The rules a sceptical reviewer checks live here:

- speed and scale use only the operations that every ranked tool performed at that size
  and met the operation's contract for (``Record.not_equivalent`` leaves a timing out);
- scale is the marginal cost b of a fit ``time = a + b·rows`` (seconds per million rows),
  so a fixed wait does not make a tool "scale better";
- correctness is the mean over every size and every 0..1 measure;
- footprint is kept per part (units apart); a part that does not apply is "n/a";
- setup effort is what a user runs and writes (steps + ``Record.user_code`` lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.results import Record, fact_key

# a per-million-row cost below this (1 ns a row) is measurement noise, not a cost
MIN_MARGINAL_SECONDS = 1e-3
FOOTPRINT_PARTS = ("install_mb", "packages", "import_seconds", "memory_mb")


def ok(records: list[Record]) -> list[Record]:
    return [r for r in records if r.status == "ok"]


def geometric_mean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def compared_operations(records: list[Record]) -> dict[int, list[str]]:
    """rows -> operations timed, to contract, by every tool that completed that size and
    met the contract of at least one operation besides starting up; a tool that met none
    (e.g. Neptune offline, whose writes nothing reads back, or pandera+spark, which names
    the broken rules but not the rows, and otherwise only started Spark) gets no speed
    score instead of emptying everyone's."""
    compared = {}
    for rows in sorted({r.rows for r in ok(records)}):
        done = [_equivalent_operations(r) for r in ok(records) if r.rows == rows]
        done = [operations for operations in done if operations]
        compared[rows] = sorted(set.intersection(*done)) if done else []
    return compared


def _equivalent_operations(record: Record) -> set[str]:
    """The record's operations timed to contract; none when those are only start-ups
    (``server_start``, ``session_start``): starting is not the work being compared."""
    done = {op for op in record.timings if op != "setup" and op not in record.not_equivalent}
    return done if any(not _start_up(op) for op in done) else set()


def _start_up(operation: str) -> bool:
    return operation.endswith("_start")


def speed(records: list[Record]) -> dict[str, float]:
    """Geometric mean, over compared operations and sizes, of median / fastest median."""
    compared, ratios = compared_operations(records), {}
    for rows, operations in compared.items():
        at_size = [r for r in ok(records) if r.rows == rows and _equivalent_operations(r)]
        for operation in operations:
            fastest = min(r.timings[operation]["median"] for r in at_size)
            for record in at_size:
                median = record.timings[operation]["median"]
                if fastest > 0:
                    ratios.setdefault(record.tool, []).append(median / fastest)
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
    """tool -> operation -> fit, for operations compared at two sizes or more."""
    compared = compared_operations(records)
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for record in ok(records):
        if not _equivalent_operations(record):
            continue
        for operation in compared.get(record.rows, []):
            point = (record.rows, record.timings[operation]["median"])
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
                      if _same_product(tool, setup.split("+", 1)[0]))  # fmt: skip
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


def _same_product(tool: str, product: str) -> bool:
    return tool == product or tool.startswith(product + "_")


def correctness(records: list[Record]) -> dict[str, float]:
    """Mean of the 0..1 correctness values over every size (rates and yes/no checks;
    counts are ignored). Rates named ``false_...`` are errors: 1 - rate counts."""
    values: dict[str, list[float]] = {}
    for record in ok(records):
        values.setdefault(record.tool, []).extend(rates(record).values())
    return {tool: sum(v) / len(v) for tool, v in values.items() if v}


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


def features(records: list[Record]) -> dict[str, float]:
    """Share of probed features that worked (higher is better)."""
    return {r.tool: sum(bool(f.get("ok")) for f in r.features.values()) / len(r.features)
            for r in probed(records).values()}  # fmt: skip


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
