"""Score and rank each stage's tools for a company profile, from stored results only.

Every criterion is a number per tool computed from records (and the dated openness
facts), turned into a 0..1 score where the best tool of the stage gets 1. A profile
is a set of weights in ``reports/profiles/<size>/<team>.toml``; a tool's total is the
weighted mean of the criteria that have data for that stage.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reports.results import Record

HERE = Path(__file__).resolve().parent
PROFILES = HERE / "profiles"
DEFAULT_PROFILE = "mid-size/core-ml"
CRITERIA = ("speed", "scale", "correctness", "setup", "footprint", "features", "openness")


class ProfileError(ValueError):
    """A profile file bakeoff cannot use; the message is one sentence saying what to fix."""


def profile_names() -> list[str]:
    return sorted(f"{p.parent.name}/{p.stem}" for p in PROFILES.glob("*/*.toml"))


def load_profile(name: str = DEFAULT_PROFILE, path: Path | None = None) -> dict[str, float]:
    """The weights of profile ``name`` (e.g. "startup/experimentation"), checked."""
    path = path or PROFILES / f"{name}.toml"
    if not path.exists():
        raise ProfileError(
            f"unknown profile '{name}'; choose one of: {', '.join(profile_names())}."
        )
    try:
        weights = tomllib.loads(path.read_text(encoding="utf-8")).get("weights", {})
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path} is not valid TOML ({error}).") from None
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ProfileError(
            f"{path} has unknown criteria {', '.join(unknown)}; use: {', '.join(CRITERIA)}."
        )
    bad = sorted(k for k, v in weights.items() if not isinstance(v, int | float) or v < 0)
    if bad or not any(weights.values()):
        raise ProfileError(f"{path}: weights must be numbers of 0 or more, not all 0 ({bad}).")
    return {criterion: float(weights.get(criterion, 0)) for criterion in CRITERIA}


# --- raw criterion values per tool (lower is better unless noted) -------------------------


def _geometric_mean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def speed(records: list[Record]) -> dict[str, float]:
    """Geometric mean of median time / baseline's median, over operations and sizes."""
    baseline = {r.rows: r for r in records if r.tool == "baseline" and r.status == "ok"}
    ratios: dict[str, list[float]] = {}
    for record in _ok(records):
        base = baseline.get(record.rows)
        for operation, timing in record.timings.items():
            reference = base.timings.get(operation) if base else None
            if operation != "setup" and reference and reference["median"] > 0:
                ratios.setdefault(record.tool, []).append(timing["median"] / reference["median"])
    return _drop_none({tool: _geometric_mean(values) for tool, values in ratios.items()})


def scale_exponent(records: list[Record]) -> dict[str, float]:
    """Fitted exponent b of time ~ rows**b (least squares in log-log), mean over operations."""
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for record in _ok(records):
        for operation, timing in record.timings.items():
            if operation != "setup" and timing["median"] > 0:
                key = (record.tool, operation)
                series.setdefault(key, []).append(
                    (math.log(record.rows), math.log(timing["median"]))
                )
    exponents: dict[str, list[float]] = {}
    for (tool, _), points in series.items():
        if len({x for x, _ in points}) >= 2:
            exponents.setdefault(tool, []).append(_slope(points))
    return {tool: sum(values) / len(values) for tool, values in exponents.items()}


def _slope(points: list[tuple[float, float]]) -> float:
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def correctness(records: list[Record]) -> dict[str, float]:
    """Mean of the 0..1 correctness values (rates and yes/no checks; counts are ignored).

    Rates named ``false_...`` (false alarms, false positives) are errors: 1 - rate counts.
    """
    values: dict[str, list[float]] = {}
    for record in _ok(records):
        for name, value in record.correctness.items():
            if isinstance(value, bool) or (isinstance(value, float) and 0 <= value <= 1):
                right = 1.0 - value if name.startswith("false_") else float(value)
                values.setdefault(record.tool, []).append(right)
    return {tool: sum(v) / len(v) for tool, v in values.items()}


def setup_effort(records: list[Record]) -> dict[str, float]:
    """Setup steps executed plus lines of code written for the tool (largest size)."""
    effort = {}
    for record in _ok(records):
        lines = sum((record.details.get("lines_of_code") or {}).values())
        effort[record.tool] = len(record.setup_steps) + lines
    return effort


def footprint(records: list[Record], install: dict[str, Record]) -> dict[str, float]:
    """Geometric mean of peak RSS, installed MB, package count and import seconds."""
    result = {}
    for record in _ok(records):
        evidence = install.get(f"{record.stage}.{record.tool}")
        parts = [record.peak_rss_mb]
        if evidence and evidence.status == "ok":
            parts += [evidence.details.get("installed_mb"), evidence.details.get("packages")]
            parts.append((evidence.timings.get("import") or {}).get("median"))
        value = _geometric_mean([p for p in parts if isinstance(p, int | float)])
        if value is not None:
            result[record.tool] = value
    return result


def features(records: list[Record]) -> dict[str, float]:
    """Share of probed features that worked (higher is better)."""
    return {r.tool: sum(bool(f.get("ok")) for f in r.features.values()) / len(r.features)
            for r in _ok(records) if r.features}  # fmt: skip


def openness(tools: list[str], stage: str, facts: dict[str, dict]) -> dict[str, float]:
    """Share of yes answers: open source, self-hostable, service still available."""
    keys = ("open_source", "self_hostable", "service_available")
    result = {}
    for tool in tools:
        known = [facts[f"{stage}.{tool}"][k] for k in keys if k in facts.get(f"{stage}.{tool}", {})]
        if known:
            result[tool] = sum(map(bool, known)) / len(known)
    return result


def _ok(records: list[Record]) -> list[Record]:
    return [r for r in records if r.status == "ok"]


def _drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


# --- from raw values to scores and rankings ----------------------------------------------

HIGHER_IS_BETTER = {"correctness", "features", "openness"}


def normalise(criterion: str, raw: dict[str, float]) -> dict[str, float]:
    """0..1 scores: best tool 1; others by ratio (lower-better) or by value (higher-better)."""
    if not raw:
        return {}
    if criterion in HIGHER_IS_BETTER:
        best = max(raw.values())
        return {tool: (value / best if best > 0 else 0.0) for tool, value in raw.items()}
    floor = min(v for v in raw.values())
    if criterion == "scale":  # exponents: compare as growth over 3 decades of rows
        return {tool: 1000 ** (floor - value) for tool, value in raw.items()}
    return {tool: (floor / value if value > 0 else 1.0) for tool, value in raw.items()}


@dataclass
class Ranking:
    stage: str
    raw: dict[str, dict[str, float]]  # criterion -> tool -> raw value
    scores: dict[str, dict[str, float]]  # criterion -> tool -> 0..1
    totals: list[tuple[str, float, dict[str, float]]] = field(default_factory=list)
    sensitivity: list[str] = field(default_factory=list)
    not_ranked: list[str] = field(default_factory=list)  # tools with no ok record

    @property
    def winner(self) -> str | None:
        """The best-scoring tool; the baseline is the yardstick, not a candidate."""
        return next((tool for tool, _, _ in self.totals if tool != "baseline"), None)

    @property
    def baseline_ahead(self) -> bool:
        """True when the roll-your-own baseline outscores every tool on this profile."""
        return bool(self.totals) and self.totals[0][0] == "baseline"


def criterion_values(records: list[Record], install: dict[str, Record],
                     facts: dict[str, dict]) -> dict[str, dict[str, float]]:  # fmt: skip
    largest = {r.tool: r for r in sorted(_ok(records), key=lambda r: r.rows)}
    stage = records[0].stage if records else ""
    compute: dict[str, Callable[[], dict[str, float]]] = {
        "speed": lambda: speed(records),
        "scale": lambda: scale_exponent(records),
        "correctness": lambda: correctness(list(largest.values())),
        "setup": lambda: setup_effort(list(largest.values())),
        "footprint": lambda: footprint(list(largest.values()), install),
        "features": lambda: features(list(largest.values())),
        "openness": lambda: openness(list(largest), stage, facts),
    }
    return {criterion: compute[criterion]() for criterion in CRITERIA}


def rank(records: list[Record], weights: dict[str, float], install: dict[str, Record] | None = None,
         facts: dict[str, dict] | None = None) -> Ranking:  # fmt: skip
    """Rank one stage's tools (records of several sizes) under ``weights``."""
    raw = criterion_values(records, install or {}, facts or {})
    scores = {criterion: normalise(criterion, values) for criterion, values in raw.items()}
    ranking = Ranking(records[0].stage if records else "", raw, scores)
    tools = sorted({r.tool for r in _ok(records)})
    ranking.not_ranked = sorted({r.tool for r in records} - set(tools))
    ranking.totals = totals(tools, scores, weights)
    ranking.sensitivity = sensitivity(tools, scores, weights, ranking.winner)
    return ranking


def totals(tools: list[str], scores: dict, weights: dict) -> list[tuple[str, float, dict]]:
    """(tool, total, contribution per criterion), best first; criteria without data drop out."""
    active = {c: w for c, w in weights.items() if w > 0 and scores.get(c)}
    weight_sum = sum(active.values())
    ranked = []
    for tool in tools:
        parts = {c: w / weight_sum * scores[c].get(tool, 0.0) for c, w in active.items()}
        ranked.append((tool, sum(parts.values()), parts))
    return sorted(ranked, key=lambda item: (-item[1], item[0]))


def sensitivity(tools: list[str], scores: dict, weights: dict, winner: str | None) -> list[str]:
    """Which single ±50% weight change would change the winner (empty: the winner holds)."""
    changes = []
    for criterion, weight in weights.items():
        for factor in (0.5, 1.5):
            moved = {**weights, criterion: weight * factor}
            ranked = totals(tools, scores, moved)
            best = next((tool for tool, _, _ in ranked if tool != "baseline"), None)
            if best != winner:
                changes.append(f"{criterion} ×{factor:g} → {best}")
    return changes


def load_openness(path: Path = HERE / "facts" / "openness.toml") -> dict[str, dict]:
    """Dated openness facts per "stage.tool" (licence, self-hosting, hosted-service status)."""
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
