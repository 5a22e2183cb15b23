"""Charts for the report, drawn with matplotlib from stored records only."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from reports.labels import label, stage_name, tool_name
from reports.results import Record

MAX_OPERATION_CHARTS = 6
# Okabe-Ito, a palette that colour-blind readers can tell apart; the baseline is always black
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
BASELINE_COLOUR = "#000000"
GROWTH = 2.0  # an operation whose time grows by this much over the sizes is drawn vs rows


def colours(tools: list[str]) -> dict[str, str]:
    """One colour per tool of a stage, the same in every chart of the report and deck."""
    others = sorted(t for t in set(tools) if t != "baseline")
    chosen = {tool: PALETTE[index % len(PALETTE)] for index, tool in enumerate(others)}
    return chosen | {"baseline": BASELINE_COLOUR}


def stage_charts(stage: str, records: list[Record], unit: str = "rows") -> list[dict]:
    """One chart per timed operation: time against rows (or the section's ``unit``, e.g.
    concurrent clients) where the time grows with them, else bars per tool at the largest
    size."""
    operations = list(dict.fromkeys(op for r in records for op in r.timings if op != "setup"))
    palette, shown = _named_colours(stage, records)
    charts = []
    for operation in operations[:MAX_OPERATION_CHARTS]:
        points = [(shown[r.tool], r.rows, r.timings[operation]["median"])
                  for r in records if operation in r.timings]  # fmt: skip
        draw = _lines if grows_with_rows(points) else _bars
        charts.append(
            {
                "operation": operation,
                "title": f"{stage_name(stage)}: {label(operation)}",
                "slug": re.sub(r"[^a-z0-9]+", "-", f"{stage}-{operation}".lower()).strip("-"),
                "png": draw(operation, points, palette, unit),
            }
        )
    return charts


def throughput_charts(stage: str, records: list[Record], unit: str) -> list[dict]:
    """One chart per throughput measure (``*_per_second``) against the section's sizes,
    e.g. runs per second against concurrent clients: does the set-up hold a team?"""
    names = list(dict.fromkeys(k for r in records for k in r.measures if k.endswith("_per_second")))
    palette, shown = _named_colours(stage, records)
    charts = []
    for name in names:
        points = sorted((shown[r.tool], r.rows, r.measures[name])
                        for r in records if name in r.measures)  # fmt: skip
        if len({rows for _, rows, _ in points}) < 2:
            continue
        plt, fig, axes = figure()
        for tool in dict.fromkeys(tool for tool, _, _ in points):
            series = [(rows, value) for t, rows, value in points if t == tool]
            axes.plot(*zip(*series, strict=True), marker="o", label=tool, color=palette.get(tool))
        axes.set(xscale="log", xlabel=f"{unit} (log scale)", ylabel=label(name))
        axes.set(title=f"{label(name)} against {unit}", ylim=(0, None))
        axes.legend(fontsize="small")
        axes.grid(True, which="both", alpha=0.3)
        charts.append({"operation": name,
                       "title": f"{stage_name(stage)}: {label(name)} against {unit}",
                       "slug": re.sub(r"[^a-z0-9]+", "-", f"{stage}-{name}").strip("-"),
                       "png": png(plt, fig)})  # fmt: skip
    return charts


def _named_colours(stage: str, records: list[Record]) -> tuple[dict, dict]:
    """Each tool's colour by the name a chart shows (the stage's name for it), and those
    names by the names the tools ran under."""
    shown = {r.tool: tool_name(stage, r.tool) for r in records}
    return {shown.get(tool, tool): colour for tool, colour in colours(list(shown)).items()}, shown


def grows_with_rows(points: list[tuple[str, int, float]]) -> bool:
    sizes = sorted({rows for _, rows, _ in points})
    if len(sizes) < 2:
        return False
    for tool in {tool for tool, _, _ in points}:
        times = dict((rows, secs) for t, rows, secs in points if t == tool)
        small, large = times.get(sizes[0]), times.get(sizes[-1])
        if small and large and large / small >= GROWTH:
            return True
    return False


def figure(width: float = 6.4, height: float = 3.6):
    """(pyplot, figure, axes) on the non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, *plt.subplots(figsize=(width, height), dpi=100)


def png(plt, fig) -> str:
    """The figure as base64 PNG text (closed afterwards)."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _lines(operation: str, points: list[tuple[str, int, float]], palette: dict,
           unit: str = "rows") -> str:  # fmt: skip
    plt, fig, axes = figure()
    for tool in dict.fromkeys(tool for tool, _, _ in points):
        series = sorted((rows, seconds) for t, rows, seconds in points if t == tool)
        axes.plot(*zip(*series, strict=True), marker="o", label=tool, color=palette.get(tool))
    axes.set(xscale="log", yscale="log", xlabel=f"{unit} (log scale)")
    axes.set(ylabel="median time, s (log scale)", title=f"{label(operation)}: time against {unit}")
    axes.legend(fontsize="small")
    axes.grid(True, which="both", alpha=0.3)
    return png(plt, fig)


def _bars(operation: str, points: list[tuple[str, int, float]], palette: dict,
          unit: str = "rows") -> str:  # fmt: skip
    plt, fig, axes = figure()
    largest = max(rows for _, rows, _ in points)
    shown = [(tool, secs) for tool, rows, secs in points if rows == largest]
    axes.bar([t for t, _ in shown], [s for _, s in shown],
             color=[palette.get(t, PALETTE[0]) for t, _ in shown])  # fmt: skip
    axes.set(ylabel="median time, s", title=f"{label(operation)} ({largest:,} {unit})")
    axes.tick_params(axis="x", labelrotation=20)
    return png(plt, fig)


def write_pngs(charts: list[dict], directory: Path) -> None:
    """Write each chart ({"slug", "png"}) as a PNG beside report.md (the HTML embeds them)."""
    directory.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (directory / f"{chart['slug']}.png").write_bytes(base64.b64decode(chart["png"]))
