"""report.pptx: a short deck for a five-minute leadership talk, built from the report context."""

from __future__ import annotations

import base64
import io
from pathlib import Path

PROBLEM = [
    "Tool choices for our ML pipeline were being made from blog posts and vendor slides.",
    "bakeoff runs one sales-model workload through each candidate tool, on our machine.",
    "Every number here was measured and traces to a stored results file.",
]
METHOD = [
    "Same data (Wish summer-products schema) and the same model for every tool.",
    "Each tool at each size in its own process; median ± IQR over repeated rounds.",
    "Correctness checked against ground truth; setup steps counted as executed.",
    "Every tool is held against a plain roll-your-own baseline (ratio to baseline).",
    "Scores: weighted criteria per company profile; weights live in editable files.",
]


def write(context: dict, path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    _title(deck, "Which MLOps tools should we adopt?",
           f"Measured with bakeoff · profile {context['profile']}")  # fmt: skip
    _bullets(deck, "The problem", PROBLEM)
    _picture(deck, "Recommended pipeline", context["architecture"])
    _table(deck, "The tools compared", ["stage", "tools"],
           [[s.name, ", ".join(line["tool"] for line in s.tables[0]["lines"])]
            for s in context["stages"]])  # fmt: skip
    _bullets(deck, "How we compared them", METHOD)
    for stage in context["stages"]:
        chart = next((c for c in stage.charts if not c["slug"].endswith("criteria")), None)
        caption = f"Recommended: {stage.pick or 'none'} ({stage.ranking.verdict}; {stage.why})"
        _picture(deck, stage.question, chart["png"] if chart else None, caption)
    stages = [s.name for s in context["stages"]]
    _table(deck, "Recommendation per company profile", ["profile", *stages],
           [[p["profile"], *(p["stack"].get(s) or "–" for s in stages)]
            for p in context["profiles"]])  # fmt: skip
    deck.save(path)
    return path


def _title(deck, title: str, subtitle: str) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = title
    slide.placeholders[1].text = subtitle


def _bullets(deck, title: str, lines: list[str]) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = title
    body = slide.placeholders[1].text_frame
    body.text = lines[0]
    for line in lines[1:]:
        body.add_paragraph().text = line


def _picture(deck, title: str, png: str | None, caption: str = "") -> None:
    from pptx.util import Inches, Pt

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = title
    if png:
        picture = slide.shapes.add_picture(
            io.BytesIO(base64.b64decode(png)), Inches(0.7), Inches(1.5)
        )
        scale = min(Inches(11.9) / picture.width, Inches(5.0) / picture.height)
        picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
    if caption:
        box = slide.shapes.add_textbox(Inches(0.7), Inches(6.7), Inches(11.9), Inches(0.6))
        box.text_frame.text = caption
        box.text_frame.paragraphs[0].runs[0].font.size = Pt(14)


def _table(deck, title: str, header: list[str], rows: list[list[str]]) -> None:
    from pptx.util import Inches, Pt

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = title
    shape = slide.shapes.add_table(len(rows) + 1, len(header), Inches(0.5), Inches(1.5),
                                   Inches(12.3), Inches(0.4) * (len(rows) + 1))  # fmt: skip
    for row_index, row in enumerate([header, *rows]):
        for column, value in enumerate(row):
            cell = shape.table.cell(row_index, column)
            cell.text = str(value)
            cell.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
