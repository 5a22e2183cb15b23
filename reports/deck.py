"""report.pptx: ten to twelve slides for a five-minute leadership talk, with speaker notes,
built from the report context (never from a tool): the question, the pipeline, the tools
and what could not run, one slide per stage, the pick per profile."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from reports.labels import tool_name

WIDTH_IN, HEIGHT_IN = 13.333, 7.5
METHOD = [
    "One workload for every tool: the Wish sales data and the same sales model.",
    "Each tool at each size in its own process; median and spread over repeated rounds.",
    "Correctness against known answers: injected defects, original hashes, model.predict.",
    "Every tool is held against a plain roll-your-own baseline.",
    "Picks are weighted per company profile; weights live in editable files.",
]


def write(context: dict, path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(WIDTH_IN), Inches(HEIGHT_IN)
    stages = context["stages"]
    _text(deck, "Which MLOps tools should we adopt?",
          [f"Measured on our machine with bakeoff, for a {context['profile']} profile.",
           "Every number traces to a stored results file."],
          "We were choosing tools from blog posts and vendor slides. Instead we ran one real "
          "workload through each candidate, stage by stage, and measured. Five minutes: the "
          "pick, the evidence per stage, and what we could not test.")  # fmt: skip
    _picture(deck, "The recommended pipeline", context["architecture"],
             "; ".join(f"{s.title}: {s.pick or 'none'}" for s in stages)
             or "No stage has single-user results in these files yet.",
             "Left to right is how data flows. Each box is the pick for its stage under this "
             "profile's weights: always a real tool. Our own roll-your-own code is the "
             "yardstick, never the pick; each stage's slide says what the pick costs over "
             "it and what it buys.")  # fmt: skip
    missing = [_short(sentence(line), 100) for line in context["not_run"]][:3]
    missing = missing or ["every tool ran"]
    _text(deck, "The tools compared, and how",
          [f"{s.title}: {', '.join(tool_name(s.name, t) for t in s.tables[0]['tools'])}"
           for s in stages][:8]
          + [f"Not run: {line}" for line in missing],
          "Each stage has a plain baseline and two to six real tools, all run for real here: "
          "same data, same model, timings over repeated rounds, correctness checked against "
          "answers we know. What could not run says why instead of showing a number.")  # fmt: skip
    for stage in stages:
        chart = stage.headline or next(iter(stage.charts), None)
        _picture(deck, f"{stage.title}: {stage.pick or 'no pick'}",
                 chart["png"] if chart else None,
                 _short(stage.floor_line or stage.finding, 190),
                 f"{stage.title}: the pick is {stage.pick or 'none'}, and the verdict is "
                 f"{stage.ranking.verdict or 'none'}. {_short(stage.finding, 300)} "
                 f"{stage.floor_line}")  # fmt: skip
    _profiles(deck, context)
    deck.save(path)
    return path


# a failed subprocess in Python's words: "Command '['npm', 'install', ...]' returned
# non-zero exit status 1." A slide says what failed, not the command line
COMMAND = re.compile(r"Command '\[.*?\]' returned non-zero exit status -?\d+\.?")
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def sentence(text: str) -> str:
    """The first sentence of a line for a slide, a failed command's argument list left
    out (the HTML and Markdown keep the whole line)."""
    text = COMMAND.sub("its command failed:", text).replace(":  ", ": ").rstrip()
    end = SENTENCE_END.search(text)
    text = text[: end.end()] if end else text
    return text.removesuffix(":") + "." if text.endswith(":") else text


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _slide(deck, title: str, notes: str):
    from pptx.util import Inches, Pt

    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: every box is ours
    box = slide.shapes.add_textbox(Inches(0.5), Inches(0.3), Inches(12.3), Inches(0.9))
    box.text_frame.word_wrap = True
    box.text_frame.text = _short(title, 70)
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(30)
    box.text_frame.paragraphs[0].runs[0].font.bold = True
    slide.notes_slide.notes_text_frame.text = notes
    return slide


def _text(deck, title: str, lines: list[str], notes: str) -> None:
    from pptx.util import Inches, Pt

    slide = _slide(deck, title, notes)
    box = slide.shapes.add_textbox(Inches(0.7), Inches(1.5), Inches(11.9), Inches(5.5))
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = f"• {line}"
        paragraph.runs[0].font.size = Pt(18 if len(lines) <= 6 else 15)
        paragraph.space_after = Pt(6)


def _picture(deck, title: str, png: str | None, caption: str, notes: str) -> None:
    from pptx.util import Inches, Pt

    slide = _slide(deck, title, notes)
    if png:
        picture = slide.shapes.add_picture(
            io.BytesIO(base64.b64decode(png)), Inches(0.7), Inches(1.3)
        )
        scale = min(Inches(11.9) / picture.width, Inches(4.6) / picture.height)
        picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
    box = slide.shapes.add_textbox(Inches(0.7), Inches(6.0), Inches(11.9), Inches(1.3))
    box.text_frame.word_wrap = True
    box.text_frame.text = caption
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(16)


def _profiles(deck, context: dict) -> None:
    from pptx.util import Inches, Pt

    stages = [s.name for s in context["stages"]]
    rows = [[p["profile"], *(p["stack"].get(s) or "–" for s in stages)]
            for p in context["profiles"]]  # fmt: skip
    titles = [s.title for s in context["stages"]]
    notes = (
        "Weights differ by company size and team; this is where the picks differ. "
        "Every cell is a real tool: the roll-your-own baseline is the yardstick, not a pick."
    )
    slide = _slide(deck, "The pick per company profile", notes)
    # the whole space below the title: rows whose cells wrap stay inside the table's frame
    shape = slide.shapes.add_table(len(rows) + 1, len(stages) + 1, Inches(0.4), Inches(1.2),
                                   Inches(12.5), Inches(6.0))  # fmt: skip
    for row_index, row in enumerate([["profile", *titles], *rows]):
        for column, value in enumerate(row):
            cell = shape.table.cell(row_index, column)
            cell.text = str(value)
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
