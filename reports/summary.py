"""The decision layer of the report: rankings per stage, the recommended stack per
profile, and the architecture diagram of the recommended pipeline."""

from __future__ import annotations

from dataclasses import dataclass, replace

from reports import charts, labels, roles, scoring, verdict
from reports.results import Record


@dataclass
class Recommendation:
    profile: str
    rankings: dict[str, scoring.Ranking]  # stage -> ranking

    def stack(self) -> dict[str, str | None]:
        """stage -> what to adopt: the best real tool (never the floor), with its layer."""
        return {stage: pick(ranking) for stage, ranking in self.rankings.items()}


def named(ranking: scoring.Ranking, tool: str) -> str:
    """A tool as a row names it: with the emulator that runs it here, if any."""
    runs = ranking.emulators.get(tool)
    shown = labels.tool_name(ranking.stage, tool)
    return f"{shown} (run here by {runs})" if runs else shown


def pick(ranking: scoring.Ranking) -> str | None:
    """The stage's pick in words a table cell can hold, by the names the stage declares:
    "Pandera", "Pandera or Great Expectations (tie)", "Evidently scores → Prometheus
    alerts"; None when no tool but the floor ran."""
    if ranking.winner is None:
        return None
    text = named(ranking, ranking.winner)
    if ranking.tie_with:
        text = f"{text} or {named(ranking, ranking.tie_with)} (tie)"
    layer = ranking.layer
    if layer is None or layer.winner is None:
        return text
    role = layer.roles.get(layer.winner, {})
    on_top = role.get("layer") or named(layer, layer.winner)
    if layer.tie_with:
        tied = layer.roles.get(layer.tie_with, {}).get("layer")
        on_top += f" or {tied or named(layer, layer.tie_with)}"
    text = role.get("pair", "{pick} → {layer}").format(pick=text, layer=on_top)
    if ranking.layer_feed and ranking.layer_feed != ranking.winner:
        text += f" (measured on {labels.tool_name(ranking.stage, ranking.layer_feed)}'s scores)"
    return text


def rank_stage(records: list[Record], weights: dict[str, float],
               context: scoring.Context) -> scoring.Ranking:  # fmt: skip
    """The stage's ranking of its candidates against its floor, and of its layers (if it
    has any) as its own question."""
    ranking = scoring.rank(roles.main_rows(records), weights, context)
    order = [tool for tool, _, _ in ranking.candidates] + sorted(ranking.floors)
    layered, floors, feed = roles.layer_rows(records, order)
    if layered:
        ranking.layer = scoring.rank(layered, weights, context, floors)
        ranking.layer_feed = feed
    return ranking


def recommend(stage_records: dict[str, list[Record]], profile: str,
              context: scoring.Context) -> Recommendation:  # fmt: skip
    weights = scoring.load_profile(profile)
    context = replace(context, licence_scores=scoring.load_licence_scores(profile),
                      team_use=scoring.load_team_use(profile))  # fmt: skip
    rankings = {stage: rank_stage(records, weights, context)
                for stage, records in stage_records.items()}  # fmt: skip
    return Recommendation(profile, rankings)


def every_profile(stage_records: dict[str, list[Record]],
                  context: scoring.Context) -> list[dict]:  # fmt: skip
    """The recommended stack for each profile file: {"profile", "stack": {stage: pick}}."""
    return [{"profile": name, "stack": recommend(stage_records, name, context).stack()}
            for name in scoring.profile_names()]  # fmt: skip


def why(ranking: scoring.Ranking) -> str:
    """The pick's total against the runner-up's, the criteria its lead comes from (by their
    share of the margin) and what qualifies the verdict."""
    if not ranking.totals:
        return "no tool ran"
    candidates = ranking.candidates
    if not candidates:
        return "only the floor (the roll-your-own baseline) ran: no tool to pick"
    pick, total, _ = candidates[0]
    if len(candidates) == 1:
        text = f"{total:.2f}; the only tool that ran besides the floor"
    else:
        text = f"{total:.2f} vs {_name(ranking, candidates[1][0])} {candidates[1][1]:.2f}"
        shares = verdict.margin_shares(ranking)
        if shares:
            text += "; the lead comes from " + ", ".join(
                f"{criterion} {share:+.0%}" for criterion, share in shares
            )
    return text + "".join(f"; {note}" for note in _qualifiers(ranking, pick))


def _qualifiers(ranking: scoring.Ranking, pick: str) -> list[str]:
    notes = []
    if ranking.baseline_ahead:
        own = ranking.roles.get(ranking.floor, {}).get("kind") == "floor"
        shown = _name(ranking, ranking.floor)
        floor = f"the roll-your-own {shown}" if own else f"{shown} alone"
        notes.append(f"{floor} scores higher ({ranking.totals[0][1]:.2f}), but the floor is "
                     "the yardstick, not a candidate")  # fmt: skip
    if ranking.tie_with:
        notes.append(f"a tie with {_name(ranking, ranking.tie_with)}: the lead is under "
                     f"{verdict.MIN_MARGIN:.2f} or within measurement noise")  # fmt: skip
    if pick in ranking.flaws:
        notes.append(ranking.flaws[pick])
    if ranking.untested:
        notes.append(ranking.untested)
    elif ranking.noise == scoring.UNTESTED:
        notes.append("not tested against measurement noise (one timed round per operation)")
    elif ranking.noise:
        notes.append(f"under measurement noise the pick {verdict.noise_words(ranking)}")
    notes += [f"{_name(ranking, tool)} ranked below for {why}"
              for tool, why in ranking.gate_failures.items()]  # fmt: skip
    failed = [f"{_name(ranking, tool)} {why}" for tool, why in ranking.failed_at.items()]
    if failed:
        notes.append("ranked last for failing: " + "; ".join(failed))
    notes += [f"the {name} set-up did not run" for name in ranking.missing_setups]
    return notes


def _name(ranking: scoring.Ranking, tool: str) -> str:
    return labels.tool_name(ranking.stage, tool)


def architecture_png(pipeline: list[dict]) -> str:
    """A left-to-right diagram of the pipeline with the recommended tool in each box:
    ``pipeline`` holds one {"stage", "box", "pick"} per stage, in the order data flows."""
    import textwrap

    plt, fig, axes = charts.figure(width=11.5, height=1.8)
    axes.set_xlim(0, max(len(pipeline), 1) * 2)
    axes.set_ylim(0.4, 1.6)  # the boxes and nothing else: the first screen is short
    axes.axis("off")
    for index, step in enumerate(pipeline):
        x = index * 2 + 0.15
        stage, role, tool = step["stage"], step["box"], step["pick"]
        colour = "#dbe6f5" if tool else "#eeeeee"
        axes.add_patch(plt.Rectangle((x, 0.45), 1.7, 1.1, facecolor=colour, edgecolor="#4C72B0"))
        axes.text(x + 0.85, 1.25, stage, ha="center", fontsize=10, weight="bold")
        shown = textwrap.fill(tool or "no results", 20, max_lines=3, placeholder="…")
        size = 10 if "\n" not in shown else 7
        axes.text(x + 0.85, 0.95, shown, ha="center", va="center", fontsize=size)
        axes.text(x + 0.85, 0.55, role, ha="center", fontsize=8, color="#555555")
        if index:
            axes.annotate("", xy=(x, 1.0), xytext=(x - 0.3, 1.0),
                          arrowprops={"arrowstyle": "->", "color": "#4C72B0"})  # fmt: skip
    return charts.png(plt, fig)


def criteria_png(ranking: scoring.Ranking) -> str:
    """Stacked bars: each tool's total split into its criteria contributions."""
    plt, fig, axes = charts.figure()
    tools = [labels.tool_name(ranking.stage, tool) for tool, _, _ in ranking.totals]
    bottoms = [0.0] * len(tools)
    criteria = list(dict.fromkeys(c for _, _, parts in ranking.totals for c in parts))
    shades = (*charts.PALETTE, charts.BASELINE_COLOUR)
    for index, criterion in enumerate(criteria):
        heights = [parts.get(criterion, 0.0) for _, _, parts in ranking.totals]
        axes.bar(tools, heights, bottom=bottoms, label=criterion, color=shades[index % 8])
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set(ylabel="weighted score (0-1)",
             title=f"{labels.stage_name(ranking.stage)}: score by criterion")  # fmt: skip
    axes.legend(fontsize="x-small", ncol=4, loc="upper right")
    axes.tick_params(axis="x", labelrotation=15)
    return charts.png(plt, fig)
