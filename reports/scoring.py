"""Score and rank each stage's tools for a company profile, from stored results only.

Every criterion is a number per tool computed from records (``reports/criteria.py``)
and dated facts (openness, maturity), turned into a 0..1 score where the best tool of
the stage gets 1. Times, marginal costs and setup effort are scored on a log scale, and a
difference under the materiality threshold scores as none. A profile is a set of weights
in ``reports/profiles/<size>/<team>.toml``; a tool's total is the weighted mean of the
criteria that have data for that stage.

The floor (the roll-your-own baseline) is ranked beside the tools as the yardstick, never
picked. A tool that failed at a size ranks below every tool that completed that size,
and one that lost work in the team set-up (for a profile that weighs team use) below
every tool that kept it, whatever their totals. The verdict on the pick is
``reports/verdict.py``'s.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reports import capabilities, criteria, maturity, roles
from reports.labels import size, tool_name
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


def load_team_use(name: str = DEFAULT_PROFILE, path: Path | None = None) -> bool:
    """Whether the profile weighs team use (``team_use``, default true): then a tool that
    lost work in its stage's team set-up fails correctness."""
    path = path or PROFILES / f"{name}.toml"
    return bool(_read_profile(path).get("team_use", True)) if path.exists() else True


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

UNTESTED = "untested: one timed round per operation, no spread to test the lead against"
HIGHER_IS_BETTER = {"correctness", "footprint", "features", "openness", "maturity"}
LOG_DECADES = 2.0  # a lower-is-better value this many decades above the best scores 0
# absolute differences that count as none (speed's are per operation, in criteria.speed):
# scale in seconds per million rows, setup in steps plus lines a user writes
MATERIAL_DIFFERENCE = {"scale": criteria.MATERIAL_SECONDS, "setup": 10.0}


def normalise(criterion: str, raw: dict[str, float]) -> dict[str, float]:
    """0..1 scores: the best tool 1. Higher-is-better values by their share of the best;
    lower-is-better ones (times, costs, effort) on a log scale, 1 - log10(value / best) / 2
    (10x the best: 0.5, 100x: 0), a difference under the materiality threshold counting as
    none."""
    if not raw:
        return {}
    if criterion in HIGHER_IS_BETTER:
        best = max(raw.values())
        return {tool: (value / best if best > 0 else 0.0) for tool, value in raw.items()}
    best = min(raw.values())
    return {tool: log_score(material(criterion, value, best)) for tool, value in raw.items()}


def material(criterion: str, value: float, best: float) -> float:
    """value / best, or 1 where the difference is under the criterion's absolute threshold
    or under criteria.MATERIAL_SHARE of the best; counts (setup) are compared plus one."""
    if criterion == "setup":
        value, best = value + 1, best + 1
    difference = value - best
    small = difference < MATERIAL_DIFFERENCE.get(criterion, 0.0)
    if best <= 0 or small or difference < criteria.MATERIAL_SHARE * best:
        return 1.0
    return value / best


def log_score(ratio: float) -> float:
    return max(0.0, 1.0 - math.log10(ratio) / LOG_DECADES)


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
    floors: set[str] = field(default_factory=lambda: {"baseline"})  # yardsticks, never picked
    sensitivity: list[str] = field(default_factory=list)
    not_ranked: list[str] = field(default_factory=list)  # tools with no ok record
    failed_at: dict[str, str] = field(default_factory=dict)  # tool -> "failed at N rows: why"
    failed_rows: dict[str, int] = field(default_factory=dict)  # tool -> smallest size failed
    # tool -> the work it lost in the team set-up, for a profile that weighs team use
    gate_failures: dict[str, str] = field(default_factory=dict)
    gates: list[str] = field(default_factory=list)  # correctness measures all met alike
    compared: dict[int, list[str]] = field(default_factory=dict)  # rows -> operations in speed
    fits: dict[str, dict] = field(default_factory=dict)  # tool -> operation -> criteria.Fit
    footprint: dict[str, dict] = field(default_factory=dict)  # tool -> part -> value/None
    noise: str = ""  # "holds", "tie within noise with X" or UNTESTED
    # when scale came from a set-up that grows the load: tool -> {"value", "setup"}
    scale_from: dict[str, dict] = field(default_factory=dict)
    scale_section: str = ""  # that set-up's section, e.g. "<stage>-team"
    # what a team needs from the stage -> where the answer is; tool -> capability -> answer
    wanted: dict[str, str] = field(default_factory=dict)
    capabilities: dict[str, dict[str, dict]] = field(default_factory=dict)
    missing_setups: list[str] = field(default_factory=list)  # set-ups asked for, not run
    emulators: dict[str, str] = field(default_factory=dict)  # tool -> what runs it here
    flaws: dict[str, str] = field(default_factory=dict)  # tool -> a stated ceiling it breaks
    tie_with: str = ""  # the rival the pick ties with
    untested: str = ""  # why the lead is not tested against noise, when it is not
    roles: dict[str, dict] = field(default_factory=dict)  # tool -> its part (reports.roles)
    layer: Ranking | None = None  # the stage's layers (what runs on top of or inside it)
    layer_feed: str = ""  # the detector whose scores the ranked layer rows take

    @property
    def candidates(self) -> list[tuple[str, float, dict[str, float]]]:
        """The ranked rivals for the pick, best first: every tool but the floors."""
        return [item for item in self.totals if item[0] not in self.floors]

    @property
    def winner(self) -> str | None:
        """The pick: the best-ranked tool; a floor is the yardstick, never the pick."""
        return self.candidates[0][0] if self.candidates else None

    @property
    def runner_up(self) -> str | None:
        return self.candidates[1][0] if len(self.candidates) > 1 else None

    @property
    def floor(self) -> str | None:
        """The yardstick ranked here (the roll-your-own baseline), when it ran."""
        return next((tool for tool, _, _ in self.totals if tool in self.floors), None)

    @property
    def baseline_ahead(self) -> bool:
        """True when the floor ranks above every tool on this profile."""
        return bool(self.totals) and self.totals[0][0] in self.floors

    @property
    def verdict(self) -> str:
        """uncontested (no rival ran), tie (the lead is under the minimum margin or within
        measurement noise; "tie, both flawed" or "tie, <the one> flawed" where the tied
        tools break a stated ceiling), flawed (the pick breaks a stated ceiling), untested
        (the lead rests on figures timed once), close (a ±50% weight change flips it) or
        clear."""
        if self.winner is None:
            return ""
        if self.runner_up is None:
            return "uncontested"
        if self.tie_with:
            flawed = [t for t in (self.winner, self.tie_with) if self.flaws.get(t)]
            if len(flawed) == 2:
                return "tie, both flawed"
            return f"tie, {tool_name(self.stage, flawed[0])} flawed" if flawed else "tie"
        for verdict, reason in (
            ("flawed", self.flaws.get(self.winner)),
            ("untested", self.untested),
            ("close", self.sensitivity),
        ):
            if reason:
                return verdict
        return "clear"


@dataclass(frozen=True)
class Context:
    """What a ranking needs besides the records: install evidence and dated facts."""

    install: dict[str, Record] = field(default_factory=dict)
    openness: dict[str, dict] = field(default_factory=dict)
    maturity: dict[str, dict] = field(default_factory=dict)
    licence_scores: dict[str, float] = field(default_factory=dict)
    # stage -> records of its set-up that grows the load (e.g. "<stage>-team"), whose scale
    # stands in for the stage's own when the stage ran at one size only
    grown: dict[str, list[Record]] = field(default_factory=dict)
    # stage -> set-up name ("team", "spark") -> its records: capabilities answered there
    setups: dict[str, dict[str, list[Record]]] = field(default_factory=dict)
    team_use: bool = True  # the profile weighs team use: lost team work fails correctness


def criterion_values(records: list[Record], context: Context,
                     floors: set[str]) -> dict[str, dict[str, float]]:  # fmt: skip
    largest = criteria.largest(records)
    stage = records[0].section if records else ""
    setups = context.setups.get(stage, {})
    compute: dict[str, Callable[[], dict[str, float]]] = {
        "speed": lambda: criteria.speed(records),
        "scale": lambda: criteria.scale(records) or _grown_scale(records, context),
        "correctness": lambda: criteria.correctness(records),
        "setup": lambda: criteria.setup_effort(records),
        "footprint": lambda: footprint_score(criteria.footprint_parts(records, context.install)),
        "features": lambda: capabilities.features(records, setups, floors),
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


def rank(records: list[Record], weights: dict[str, float], context: Context | None = None,
         floors: set[str] | None = None) -> Ranking:  # fmt: skip
    """Rank one stage's tools (records of several sizes) under ``weights``; ``floors`` (by
    default the records' own) are ranked as yardsticks, never picked."""
    from reports import verdict

    context = context or Context()
    floors = roles.of_kind(records, "floor") if floors is None else floors
    raw = criterion_values(records, context, floors)
    scores = {criterion: normalise(criterion, values) for criterion, values in raw.items()}
    ranking = Ranking(records[0].section if records else "", raw, scores, floors=floors)
    ranking.roles = roles.roles(records)
    tools = sorted({r.tool for r in criteria.ok(records)})
    ranking.not_ranked = sorted({r.tool for r in records} - set(tools))
    failed = criteria.failures(records)
    ranking.failed_at = {tool: f"failed at {size(ranking.stage, rows)}: {why}"
                         for tool, (rows, why) in failed.items()}  # fmt: skip
    ranking.failed_rows = {tool: rows for tool, (rows, _) in failed.items()}
    _team_gate(ranking, tools, context)
    ranking.totals = totals(tools, scores, weights, failed, ranking.gate_failures)
    ranking.gates = criteria.gates(records)
    ranking.compared = criteria.compared_operations(records)
    ranking.fits = criteria.scale_fits(records)
    if not criteria.scale(records) and context.grown.get(ranking.stage):
        grown = context.grown[ranking.stage]
        ranking.scale_from = criteria.setup_scale(tools, grown)
        ranking.scale_section = grown[0].section if ranking.scale_from else ""
    ranking.footprint = criteria.footprint_parts(records, context.install)
    _capabilities(ranking, records, context)
    ranking.emulators = {
        tool: found
        for tool in tools
        if (found := maturity.emulator(context.maturity, ranking.stage, tool))
    }
    ranking.flaws = criteria.false_alarm_flaws(records)
    verdict.judge(ranking, records, weights, context)
    return ranking


def _team_gate(ranking: Ranking, tools: list[str], context: Context) -> None:
    """For a profile that weighs team use, the tools whose team set-up lost work."""
    team = context.setups.get(ranking.stage, {}).get("team", [])
    if context.team_use and team:
        losses = criteria.team_losses(tools, team)
        ranking.gate_failures = {tool: f"lost work in the team set-up ({what})"
                                 for tool, what in losses.items()}  # fmt: skip


def _capabilities(ranking: Ranking, records: list[Record], context: Context) -> None:
    setups = context.setups.get(ranking.stage, {})
    ranking.wanted = capabilities.declared_capabilities(records, ranking.floors)
    ranking.capabilities = capabilities.capability_answers(records, ranking.wanted, setups)
    asked = {source.removesuffix(capabilities.SETUP_SUFFIX) for source in ranking.wanted.values()
             if source.endswith(capabilities.SETUP_SUFFIX)}  # fmt: skip
    ranking.missing_setups = sorted(asked - set(setups))


def totals(tools: list[str], scores: dict, weights: dict, failed: dict | None = None,
           gate_failures: dict | None = None) -> list[tuple[str, float, dict]]:  # fmt: skip
    """(tool, total, contribution per criterion), best first; criteria without data drop
    out. A tool that failed at a size ranks below every tool that completed that size, and
    one that failed a gate below every tool that passed it."""
    failed, gate_failures = failed or {}, gate_failures or {}
    active = {c: w for c, w in weights.items() if w > 0 and scores.get(c)}
    weight_sum = sum(active.values())
    ranked = []
    for tool in tools:
        parts = {c: w / weight_sum * scores[c].get(tool, 0.0) for c, w in active.items()}
        ranked.append((tool, sum(parts.values()), parts))
    completed = {tool: failed[tool][0] if tool in failed else math.inf for tool in tools}
    return sorted(ranked, key=lambda item: (-completed[item[0]], item[0] in gate_failures,
                                            -item[1], item[0]))  # fmt: skip
