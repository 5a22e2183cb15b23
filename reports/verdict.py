"""The verdict on the pick shown: is its lead over the runner-up real?

The pick is the best-ranked tool that is not the floor; it is judged against the
runner-up, the next such tool. Its lead is a tie when it is under MIN_MARGIN of the total
or does not survive the measured spread (the pick's timings at the top of their
interquartile range, the rivals' at the bottom), and untested when it rests on figures
timed once, which that test cannot move. A pick that breaks a stated ceiling (a detector's
false alarms) is flawed; one that a single ±50% weight change flips is close.
"""

from __future__ import annotations

import dataclasses

from reports import criteria, labels, scoring
from reports.results import Record

MIN_MARGIN = 0.02  # of a 0..1 total: a smaller lead is a tie
TIMED = ("speed", "scale")  # the criteria made of timings, which the noise test shifts
UNTESTED = scoring.UNTESTED
NOISE_TIE = "tie within noise with "  # then the rival's name, as it ran (Ranking.noise)


def judge(ranking: scoring.Ranking, records: list[Record], weights: dict,
          context: scoring.Context) -> None:  # fmt: skip
    """Set the ranking's sensitivity, noise, tie and untested reason."""
    ranking.sensitivity = sensitivity(ranking, weights)
    ranking.noise = noise(records, weights, context, ranking)
    ranking.tie_with = _tie(ranking)
    ranking.untested = _untested(ranking, records)


def margin(ranking: scoring.Ranking) -> float:
    """The pick's total minus the runner-up's (0 without a runner-up)."""
    rivals = ranking.candidates
    return rivals[0][1] - rivals[1][1] if len(rivals) > 1 else 0.0


def margin_shares(ranking: scoring.Ranking) -> list[tuple[str, float]]:
    """(criterion, its part of the pick's lead over the runner-up as a share of the lead),
    largest first; criteria on which the two are level are left out, those against the
    pick have negative shares."""
    rivals = ranking.candidates
    if len(rivals) < 2 or margin(ranking) <= 0:
        return []
    (_, _, mine), (_, _, theirs) = rivals[0], rivals[1]
    lead = margin(ranking)
    shares = [(c, (mine.get(c, 0.0) - theirs.get(c, 0.0)) / lead) for c in mine]
    return sorted(((c, s) for c, s in shares if abs(s) >= 0.005), key=lambda item: -item[1])


def _same_standing(ranking: scoring.Ranking, tool: str, rival: str) -> bool:
    """Both completed every size and both passed the gates, or neither: the totals decide."""
    failed, gates = ranking.failed_rows, ranking.gate_failures
    same_sizes = failed.get(tool) == failed.get(rival)
    return same_sizes and (tool in gates) == (rival in gates)


def _tie(ranking: scoring.Ranking) -> str:
    pick, rival = ranking.winner, ranking.runner_up
    if pick is None or rival is None or not _same_standing(ranking, pick, rival):
        return ""
    if margin(ranking) < MIN_MARGIN:
        return rival
    if ranking.noise.startswith(NOISE_TIE):
        return ranking.noise.removeprefix(NOISE_TIE)
    return ""


def _untested(ranking: scoring.Ranking, records: list[Record]) -> str:
    """Why the lead is untested: the timing criteria carry it (without their part the
    lead would be under MIN_MARGIN) and some of its timings were measured once."""
    pick, rival = ranking.winner, ranking.runner_up
    if pick is None or rival is None or ranking.tie_with:
        return ""
    once = _timed_once(records, ranking.compared, {pick, rival}, ranking.stage)
    carrying = [(c, share) for c, share in margin_shares(ranking) if c in TIMED and share > 0]
    carried = sum(share for _, share in carrying) * margin(ranking)
    if once and carried > margin(ranking) - MIN_MARGIN:
        return (
            f"the lead rests on {' and '.join(c for c, _ in carrying)}, from timings "
            f"measured once ({', '.join(once[:3])}): no spread to test it against"
        )
    return ""


def _timed_once(records: list[Record], compared: dict[int, list[str]],
                tools: set[str], stage: str) -> list[str]:  # fmt: skip
    """The pick's and rival's compared operations timed once, in words ("Flask predict")."""
    return sorted({f"{labels.tool_name(stage, r.tool)} {op}" for r in criteria.ok(records)
                   if r.tool in tools
                   for op in compared.get(r.rows, [])
                   if op in r.timings and r.timings[op].get("rounds", 1) <= 1})  # fmt: skip


def sensitivity(ranking: scoring.Ranking, weights: dict) -> list[str]:
    """Which single ±50% weight change would change the pick (empty: the pick holds)."""
    tools = [tool for tool, _, _ in ranking.totals]
    failed = {tool: (rows, "") for tool, rows in ranking.failed_rows.items()}
    changes = []
    for criterion, weight in weights.items():
        for factor in (0.5, 1.5):
            moved = {**weights, criterion: weight * factor}
            ranked = scoring.totals(tools, ranking.scores, moved, failed, ranking.gate_failures)
            best = _best(ranked, ranking.floors)
            if best != ranking.winner:
                shown = labels.tool_name(ranking.stage, best)
                changes.append(f"{criterion} ×{factor:g} → {shown}")
    return changes


def _best(ranked: list[tuple[str, float, dict]], floors: set[str]) -> str | None:
    return next((tool for tool, _, _ in ranked if tool not in floors), None)


def noise(records: list[Record], weights: dict, context: scoring.Context,
          ranking: scoring.Ranking) -> str:  # fmt: skip
    """Does the pick hold when the measured spread goes against it? Each timing of the
    pick is moved to the top of its interquartile range (median + IQR/2) and every
    rival's to the bottom (median - IQR/2); the stage is re-scored."""
    winner = ranking.winner
    if winner is None:
        return ""
    if not _spread_known(records, ranking.compared):
        return UNTESTED
    shifted = [_shift(r, +0.5 if r.tool == winner else -0.5) for r in records]
    raw = scoring.criterion_values(shifted, context, ranking.floors)
    scores = {criterion: scoring.normalise(criterion, values) for criterion, values in raw.items()}
    tools = sorted({r.tool for r in criteria.ok(records)})
    ranked = scoring.totals(tools, scores, weights, criteria.failures(records),
                            ranking.gate_failures)  # fmt: skip
    best = _best(ranked, ranking.floors)
    return "holds" if best == winner else f"{NOISE_TIE}{best}"


def noise_words(ranking: scoring.Ranking) -> str:
    """The noise verdict as what "the pick" does, the rival it ties with by its declared
    name: "holds", "is a tie within noise with Great Expectations"."""
    if not ranking.noise.startswith(NOISE_TIE):
        return ranking.noise
    rival = labels.tool_name(ranking.stage, ranking.noise.removeprefix(NOISE_TIE))
    return f"is a {NOISE_TIE}{rival}"


def _spread_known(records: list[Record], compared: dict[int, list[str]]) -> bool:
    """Whether any compared timing has more than one round (a smoke run has one each)."""
    rounds = [record.timings[op].get("rounds", 1) for record in criteria.ok(records)
              for op in compared.get(record.rows, []) if op in record.timings]  # fmt: skip
    return not rounds or max(rounds) > 1


def _shift(record: Record, direction: float) -> Record:
    timings = {op: {**t, "median": max(t["median"] + direction * t.get("iqr", 0.0), 0.0)}
               for op, t in record.timings.items()}  # fmt: skip
    return dataclasses.replace(record, timings=timings)
