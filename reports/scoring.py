"""Score and rank each stage's tools for a company profile, from stored results only.

Every criterion is a number per tool computed from records (``reports/criteria.py``)
and dated facts (openness, maturity), turned into a 0..1 score where the best tool of
the stage gets 1. A profile is a set of weights in ``reports/profiles/<size>/<team>.toml``;
a tool's total is the weighted mean of the criteria that have data for that stage.

A tool that failed at a size ranks below every tool that completed that size, whatever
its total; a pick whose lead does not survive the measured spread is called a tie.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reports import criteria, maturity
from reports.labels import size
from reports.results import Record

HERE = Path(__file__).resolve().parent
PROFILES = HERE / "profiles"
DEFAULT_PROFILE = "mid-size/core-ml"
CRITERIA = (
    "speed",
    "scale",
    "correctness",
    "setup",
    "footprint",
    "features",
    "openness",
    "maturity",
)


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
    weights = _read_profile(path).get("weights", {})
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ProfileError(
            f"{path} has unknown criteria {', '.join(unknown)}; use: {', '.join(CRITERIA)}."
        )
    bad = sorted(k for k, v in weights.items() if not isinstance(v, int | float) or v < 0)
    if bad or not any(weights.values()):
        raise ProfileError(f"{path}: weights must be numbers of 0 or more, not all 0 ({bad}).")
    return {criterion: float(weights.get(criterion, 0)) for criterion in CRITERIA}


def load_licence_scores(name: str = DEFAULT_PROFILE, path: Path | None = None) -> dict:
    """How the profile values each licence kind (``[licence]``; default: permissive 1,
    copyleft 0.5, proprietary service 0.25), for the maturity criterion."""
    path = path or PROFILES / f"{name}.toml"
    given = _read_profile(path).get("licence", {}) if path.exists() else {}
    return {**maturity.DEFAULT_LICENCE_SCORES, **given}


def _read_profile(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path} is not valid TOML ({error}).") from None


# --- from raw values to scores and rankings ----------------------------------------------

HIGHER_IS_BETTER = {"correctness", "footprint", "features", "openness", "maturity"}


def normalise(criterion: str, raw: dict[str, float]) -> dict[str, float]:
    """0..1 scores: best tool 1; others by ratio (lower-better) or by value (higher-better)."""
    if not raw:
        return {}
    if criterion in HIGHER_IS_BETTER:
        best = max(raw.values())
        return {tool: (value / best if best > 0 else 0.0) for tool, value in raw.items()}
    floor = min(raw.values())
    return {tool: (floor / value if value > 0 else 1.0) for tool, value in raw.items()}


def footprint_score(parts: dict[str, dict]) -> dict[str, float]:
    """Each part scored on its own (the smallest value gets 1, others smallest/value), then
    the mean of the parts that apply to the tool; "n/a" parts are not in its mean and a
    tool's missing part changes no other tool's score."""
    best = {part: min((p[part] for p in parts.values() if p.get(part)), default=None)
            for part in criteria.FOOTPRINT_PARTS}  # fmt: skip
    result = {}
    for tool, values in parts.items():
        scored = [best[k] / v for k, v in values.items() if v and best.get(k)]
        if scored:
            result[tool] = sum(scored) / len(scored)
    return result


@dataclass
class Ranking:
    stage: str
    raw: dict[str, dict[str, float]]  # criterion -> tool -> raw value
    scores: dict[str, dict[str, float]]  # criterion -> tool -> 0..1
    totals: list[tuple[str, float, dict[str, float]]] = field(default_factory=list)
    sensitivity: list[str] = field(default_factory=list)
    not_ranked: list[str] = field(default_factory=list)  # tools with no ok record
    failed_at: dict[str, str] = field(default_factory=dict)  # tool -> "failed at N rows: why"
    compared: dict[int, list[str]] = field(default_factory=dict)  # rows -> operations in speed
    fits: dict[str, dict] = field(default_factory=dict)  # tool -> operation -> criteria.Fit
    footprint: dict[str, dict] = field(default_factory=dict)  # tool -> part -> value/None
    noise: str = ""  # "holds" or "tie within noise with X"
    # when scale came from a set-up that grows the load: tool -> {"value", "setup"}
    scale_from: dict[str, dict] = field(default_factory=dict)
    scale_section: str = ""  # that set-up's section, e.g. "tracking-team"

    @property
    def winner(self) -> str | None:
        """The best-ranked tool; the baseline is the yardstick, not a candidate."""
        return next((tool for tool, _, _ in self.totals if tool != "baseline"), None)

    @property
    def baseline_ahead(self) -> bool:
        """True when the roll-your-own baseline ranks above every tool on this profile."""
        return bool(self.totals) and self.totals[0][0] == "baseline"

    @property
    def verdict(self) -> str:
        """clear, close (a ±50% weight change flips it), tie (within measurement noise) or
        untested (one timed round per operation: no spread to test the lead against)."""
        if self.noise.startswith("tie"):
            return "tie"
        if self.sensitivity:
            return "close"
        return "untested" if self.noise == UNTESTED else "clear"


@dataclass(frozen=True)
class Context:
    """What a ranking needs besides the records: install evidence and dated facts."""

    install: dict[str, Record] = field(default_factory=dict)
    openness: dict[str, dict] = field(default_factory=dict)
    maturity: dict[str, dict] = field(default_factory=dict)
    licence_scores: dict[str, float] = field(default_factory=dict)
    # stage -> records of its set-up that grows the load (e.g. "tracking-team"), whose scale
    # stands in for the stage's own when the stage ran at one size only
    grown: dict[str, list[Record]] = field(default_factory=dict)


def criterion_values(records: list[Record], context: Context) -> dict[str, dict[str, float]]:
    largest = criteria.largest(records)
    stage = records[0].section if records else ""
    compute: dict[str, Callable[[], dict[str, float]]] = {
        "speed": lambda: criteria.speed(records),
        "scale": lambda: criteria.scale(records) or _grown_scale(records, context),
        "correctness": lambda: criteria.correctness(records),
        "setup": lambda: criteria.setup_effort(records),
        "footprint": lambda: footprint_score(criteria.footprint_parts(records, context.install)),
        "features": lambda: criteria.features(records),
        "openness": lambda: criteria.openness(list(largest), stage, context.openness),
        "maturity": lambda: maturity.maturity(
            largest, stage, context.maturity, context.licence_scores or None
        ),
    }
    return {criterion: compute[criterion]() for criterion in CRITERIA}


def _grown_scale(records: list[Record], context: Context) -> dict[str, float]:
    stage = records[0].section if records else ""
    tools = sorted(criteria.largest(records))
    found = criteria.setup_scale(tools, context.grown.get(stage, []))
    return {tool: entry["value"] for tool, entry in found.items() if entry["value"] is not None}


def rank(records: list[Record], weights: dict[str, float],
         context: Context | None = None) -> Ranking:  # fmt: skip
    """Rank one stage's tools (records of several sizes) under ``weights``."""
    context = context or Context()
    raw = criterion_values(records, context)
    scores = {criterion: normalise(criterion, values) for criterion, values in raw.items()}
    ranking = Ranking(records[0].section if records else "", raw, scores)
    tools = sorted({r.tool for r in criteria.ok(records)})
    ranking.not_ranked = sorted({r.tool for r in records} - set(tools))
    failed = criteria.failures(records)
    ranking.failed_at = {tool: f"failed at {size(ranking.stage, rows)}: {why}"
                         for tool, (rows, why) in failed.items()}  # fmt: skip
    ranking.totals = totals(tools, scores, weights, failed)
    ranking.sensitivity = sensitivity(tools, scores, weights, ranking.winner, failed)
    ranking.compared = criteria.compared_operations(records)
    ranking.fits = criteria.scale_fits(records)
    if not criteria.scale(records) and context.grown.get(ranking.stage):
        grown = context.grown[ranking.stage]
        ranking.scale_from = criteria.setup_scale(tools, grown)
        ranking.scale_section = grown[0].section if ranking.scale_from else ""
    ranking.footprint = criteria.footprint_parts(records, context.install)
    ranking.noise = noise(records, weights, context, ranking)
    return ranking


def totals(
    tools: list[str], scores: dict, weights: dict, failed: dict | None = None
) -> list[tuple[str, float, dict]]:
    """(tool, total, contribution per criterion), best first; criteria without data drop
    out. A tool that failed at a size ranks below every tool that completed that size."""
    failed = failed or {}
    active = {c: w for c, w in weights.items() if w > 0 and scores.get(c)}
    weight_sum = sum(active.values())
    ranked = []
    for tool in tools:
        parts = {c: w / weight_sum * scores[c].get(tool, 0.0) for c, w in active.items()}
        ranked.append((tool, sum(parts.values()), parts))
    completed = {tool: failed[tool][0] if tool in failed else math.inf for tool in tools}
    return sorted(ranked, key=lambda item: (-completed[item[0]], -item[1], item[0]))


def _best_tool(ranked: list[tuple[str, float, dict]]) -> str | None:
    return next((tool for tool, _, _ in ranked if tool != "baseline"), None)


def sensitivity(tools: list[str], scores: dict, weights: dict, winner: str | None,
                failed: dict | None = None) -> list[str]:  # fmt: skip
    """Which single ±50% weight change would change the winner (empty: the winner holds)."""
    changes = []
    for criterion, weight in weights.items():
        for factor in (0.5, 1.5):
            moved = {**weights, criterion: weight * factor}
            best = _best_tool(totals(tools, scores, moved, failed))
            if best != winner:
                changes.append(f"{criterion} ×{factor:g} → {best}")
    return changes


def noise(records: list[Record], weights: dict, context: Context, ranking: Ranking) -> str:
    """Does the pick hold when the measured spread goes against it? Each timing of the
    winner is moved to the top of its interquartile range (median + IQR/2) and every
    rival's to the bottom (median - IQR/2); the stage is re-scored."""
    winner = ranking.winner
    if winner is None:
        return ""
    if not _spread_known(records, ranking.compared):
        return UNTESTED
    shifted = [_shift(r, +0.5 if r.tool == winner else -0.5) for r in records]
    raw = criterion_values(shifted, context)
    scores = {criterion: normalise(criterion, values) for criterion, values in raw.items()}
    tools = sorted({r.tool for r in criteria.ok(records)})
    best = _best_tool(totals(tools, scores, weights, criteria.failures(records)))
    return "holds" if best == winner else f"tie within noise with {best}"


UNTESTED = "untested: one timed round per operation, no spread to test the lead against"


def _spread_known(records: list[Record], compared: dict[int, list[str]]) -> bool:
    """Whether any compared timing has more than one round (a smoke run has one each)."""
    rounds = [record.timings[op].get("rounds", 1) for record in criteria.ok(records)
              for op in compared.get(record.rows, []) if op in record.timings]  # fmt: skip
    return not rounds or max(rounds) > 1


def _shift(record: Record, direction: float) -> Record:
    import dataclasses

    timings = {op: {**t, "median": max(t["median"] + direction * t.get("iqr", 0.0), 0.0)}
               for op, t in record.timings.items()}  # fmt: skip
    return dataclasses.replace(record, timings=timings)


def load_openness(path: Path = HERE / "facts" / "openness.toml") -> dict[str, dict]:
    """Dated openness facts per "stage.tool" (licence, self-hosting, hosted-service status)."""
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
