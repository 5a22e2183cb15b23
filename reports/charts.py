"""Charts for the report, drawn with matplotlib from stored records only."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from reports.results import Record

MAX_OPERATION_CHARTS = 6


def stage_charts(stage: str, records: list[Record]) -> list[dict]:
    """One chart per timed operation: time vs rows when sizes vary, else bars per tool."""
    operations = list(dict.fromkeys(op for r in records for op in r.timings if op != "setup"))
    charts = []
    for operation in operations[:MAX_OPERATION_CHARTS]:
        points = [
            (r.tool, r.rows, r.timings[operation]["median"])
            for r in records
            if operation in r.timings
        ]
        sizes = {rows for _, rows, _ in points}
        draw = _lines if len(sizes) > 1 else _bars
        charts.append(
            {
                "title": f"{stage}: {operation}",
                "slug": re.sub(r"[^a-z0-9]+", "-", f"{stage}-{operation}".lower()).strip("-"),
                "png": draw(operation, points),
            }
        )
    return charts


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


def _lines(operation: str, points: list[tuple[str, int, float]]) -> str:
    plt, fig, axes = figure()
    for tool in dict.fromkeys(tool for tool, _, _ in points):
        series = sorted((rows, seconds) for t, rows, seconds in points if t == tool)
        axes.plot(*zip(*series, strict=True), marker="o", label=tool)
    axes.set(
        xscale="log",
        yscale="log",
        xlabel="rows",
        ylabel="median seconds",
        title=f"{operation}: time vs rows",
    )
    axes.legend(fontsize="small")
    axes.grid(True, which="both", alpha=0.3)
    return png(plt, fig)


def _bars(operation: str, points: list[tuple[str, int, float]]) -> str:
    plt, fig, axes = figure()
    tools = [tool for tool, _, _ in points]
    axes.bar(tools, [seconds for _, _, seconds in points], color="#4C72B0")
    axes.set(ylabel="median seconds", title=f"{operation} ({points[0][1]:,} rows)")
    axes.tick_params(axis="x", labelrotation=20)
    return png(plt, fig)


def write_pngs(charts: list[dict], directory: Path) -> None:
    """Write each chart ({"slug", "png"}) as a PNG beside report.md (the HTML embeds them)."""
    directory.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (directory / f"{chart['slug']}.png").write_bytes(base64.b64decode(chart["png"]))
