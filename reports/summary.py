"""The decision layer of the report: rankings per stage, the recommended stack per
profile, and the architecture diagram of the recommended pipeline."""

from __future__ import annotations

from dataclasses import dataclass, replace

from reports import charts, scoring
from reports.results import Record

# the stages in the order data flows through them, with what each box does
PIPELINE = (
    ("cicd", "checks every change"),
    ("versioning", "data versions"),
    ("validation", "data checks"),
    ("orchestration", "training pipeline"),
    ("tracking", "runs + model registry"),
    ("serving", "web app / API"),
    ("monitoring", "drift alerts"),
)


@dataclass
class Recommendation:
    profile: str
    rankings: dict[str, scoring.Ranking]  # stage -> ranking

    def stack(self) -> dict[str, str | None]:
        """stage -> what to adopt: the best tool, or the roll-your-own baseline where it
        ranks above every tool (shown with the best tool beside it)."""
        return {stage: pick(ranking) for stage, ranking in self.rankings.items()}


def pick(ranking: scoring.Ranking) -> str | None:
    """The stage's pick in words a table cell can hold: "pandera", "pandera (tie)",
    "baseline (best tool: dvc)"."""
    if ranking.winner is None:
        return "baseline" if ranking.baseline_ahead else None
    tool = ranking.winner + (" (tie)" if ranking.verdict == "tie" else "")
    return f"baseline (best tool: {tool})" if ranking.baseline_ahead else tool


def recommend(stage_records: dict[str, list[Record]], profile: str,
              context: scoring.Context) -> Recommendation:  # fmt: skip
    weights = scoring.load_profile(profile)
    context = replace(context, licence_scores=scoring.load_licence_scores(profile))
    rankings = {stage: scoring.rank(records, weights, context)
                for stage, records in stage_records.items()}  # fmt: skip
    return Recommendation(profile, rankings)


def every_profile(stage_records: dict[str, list[Record]],
                  context: scoring.Context) -> list[dict]:  # fmt: skip
    """The recommended stack for each profile file: {"profile", "stack": {stage: pick}}."""
    return [{"profile": name, "stack": recommend(stage_records, name, context).stack()}
            for name in scoring.profile_names()]  # fmt: skip


def why(ranking: scoring.Ranking) -> str:
    """The winner's two largest criterion contributions and its margin over the runner-up."""
    if not ranking.totals:
        return "no tool ran"
    candidates = [item for item in ranking.totals if item[0] != "baseline"]
    if not candidates:
        return "only the baseline ran"
    _, total, parts = candidates[0]
    top = sorted(parts.items(), key=lambda item: -item[1])[:2]
    reasons = " and ".join(f"{criterion} ({share:.2f})" for criterion, share in top)
    text = f"{total:.2f}; strongest on {reasons}"
    if len(candidates) > 1:
        text = f"{total:.2f} vs {candidates[1][0]} {candidates[1][1]:.2f}; strongest on {reasons}"
    if ranking.baseline_ahead:
        text += f"; the roll-your-own baseline scores higher ({ranking.totals[0][1]:.2f})"
    if ranking.noise == scoring.UNTESTED:
        text += "; not tested against measurement noise (one timed round per operation)"
    elif ranking.noise:
        text += f"; under measurement noise the pick {ranking.noise}"
    failed = [f"{tool} {why}" for tool, why in ranking.failed_at.items()]
    if failed:
        text += "; ranked last for failing: " + "; ".join(failed)
    return text


def architecture_png(stack: dict[str, str | None]) -> str:
    """A left-to-right diagram of the pipeline with the recommended tool in each box."""
    plt, fig, axes = charts.figure(width=11.5, height=2.6)
    axes.set_xlim(0, len(PIPELINE) * 2)
    axes.set_ylim(0, 2)
    axes.axis("off")
    for index, (stage, role) in enumerate(PIPELINE):
        x = index * 2 + 0.15
        tool = stack.get(stage)
        colour = "#dbe6f5" if tool else "#eeeeee"
        if tool and tool.startswith("baseline"):
            colour = "#f5e6c8"  # roll your own: a different colour, and the best tool named
            tool = tool.replace(" (best tool: ", "\nbest tool: ")[:-1]
        axes.add_patch(plt.Rectangle((x, 0.45), 1.7, 1.1, facecolor=colour, edgecolor="#4C72B0"))
        axes.text(x + 0.85, 1.25, stage, ha="center", fontsize=10, weight="bold")
        size = 10 if "\n" not in (tool or "") else 7.5
        axes.text(x + 0.85, 0.95, tool or "no results", ha="center", va="center", fontsize=size)
        axes.text(x + 0.85, 0.65, role, ha="center", fontsize=8, color="#555555")
        if index:
            axes.annotate("", xy=(x, 1.0), xytext=(x - 0.3, 1.0),
                          arrowprops={"arrowstyle": "->", "color": "#4C72B0"})  # fmt: skip
    return charts.png(plt, fig)


def criteria_png(ranking: scoring.Ranking) -> str:
    """Stacked bars: each tool's total split into its criteria contributions."""
    plt, fig, axes = charts.figure()
    tools = [tool for tool, _, _ in ranking.totals]
    bottoms = [0.0] * len(tools)
    criteria = list(dict.fromkeys(c for _, _, parts in ranking.totals for c in parts))
    shades = (*charts.PALETTE, charts.BASELINE_COLOUR)
    for index, criterion in enumerate(criteria):
        heights = [parts.get(criterion, 0.0) for _, _, parts in ranking.totals]
        axes.bar(tools, heights, bottom=bottoms, label=criterion, color=shades[index % 8])
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set(ylabel="weighted score (0-1)", title=f"{ranking.stage}: score by criterion")
    axes.legend(fontsize="x-small", ncol=4, loc="upper right")
    axes.tick_params(axis="x", labelrotation=15)
    return charts.png(plt, fig)
