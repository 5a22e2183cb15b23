"""The leadership report: scoring, profiles, HTML in a real browser, the slide deck."""

import os
import shutil
from pathlib import Path

import pytest

from adapters import registry
from reports import capabilities, criteria, render, results, scoring
from reports.results import Record

pytestmark = [pytest.mark.report, pytest.mark.usefixtures("declared")]
CHROMIUM = "/usr/bin/chromium"
ENV = {"date": "2026-11-01T00:00:00", "machine": "box"}
LATER = {"date": "2026-11-02T00:00:00", "machine": "box"}  # a day after ENV


def timing(median: float) -> dict:
    return {"median": median, "iqr": median / 10, "mean": median, "stdev": 0.0,
            "min": median, "max": median, "rounds": 5}  # fmt: skip


def steps(count: int) -> list[dict]:
    return [{"description": f"step {i}", "seconds": 0.01} for i in range(count)]


def sample_records() -> list[Record]:
    """A fixed fixture: 'fast' is quick and correct; 'slow' is slow, heavy and misses defects."""
    records = []
    for rows, scale in ((1_000, 1), (100_000, 100)):
        for tool, seconds, recall, rss, n_steps in (
            ("baseline", 0.01, 1.0, 100, 1),
            ("fast", 0.02, 1.0, 150, 2),
            ("slow", 0.3, 0.5, 900, 8),
        ):
            records.append(Record("validation", tool, rows, setup_steps=steps(n_steps),
                                  peak_rss_mb=rss, timings={"validate": timing(seconds * scale)},
                                  correctness={"recall": recall, "precision": 1.0}))  # fmt: skip
    records.append(Record("validation", "absent", 1_000, status="not_run", reason="install X"))
    return records


@pytest.fixture
def results_dir(tmp_path):
    stored = results.Results(ENV, sample_records(), stages=registry.as_json())
    results.save(stored, tmp_path / "results", "2026-11-01-validation")
    return tmp_path / "results"


def test_scoring_ranks_the_fixture_as_expected():
    ranking = scoring.rank(sample_records(), scoring.load_profile("mid-size/core-ml"))
    assert [tool for tool, _, _ in ranking.totals] == ["baseline", "fast", "slow"]
    assert ranking.winner == "fast" and ranking.baseline_ahead
    assert ranking.not_ranked == ["absent"]
    assert ranking.raw["speed"]["slow"] == pytest.approx(30.0)
    assert ranking.raw["scale"]["fast"] == pytest.approx(20.0)  # s per million rows
    # precision is 1.0 for every tool: a gate, not averaged in; recall alone tells them apart
    assert ranking.scores["correctness"]["slow"] == pytest.approx(0.5)
    assert ranking.gates == ["precision"]
    total, parts = ranking.totals[1][1], ranking.totals[1][2]
    assert total == pytest.approx(sum(parts.values()))


def test_sensitivity_names_the_weight_changes_that_flip_the_winner():
    records = [r for r in sample_records() if r.tool != "baseline"]
    weights = dict.fromkeys(scoring.CRITERIA, 0.0) | {"correctness": 1.0, "setup": 0.9}
    for record in records:  # 'slow' now needs fewer steps (a material difference: 11 more)
        record.setup_steps = steps(1 if record.tool == "slow" else 12)
    ranking = scoring.rank(records, weights)
    assert ranking.winner == "fast"
    assert "setup ×1.5 → slow" in ranking.sensitivity


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[weights]\nspeed = 1\nluck = 2\n", "unknown criteria luck"),
        ("[weights]\nspeed = -1\n", "weights must be numbers of 0 or more"),
        ("[weights\n", "is not valid TOML"),
    ],
)
def test_bad_profile_files_are_refused_with_one_sentence(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(scoring.ProfileError, match=message) as raised:
        scoring.load_profile("bad", path)
    assert len(str(raised.value).splitlines()) == 1


def test_every_shipped_profile_loads():
    names = scoring.profile_names()
    assert len(names) == 9 and scoring.DEFAULT_PROFILE in names
    for name in names:
        assert sum(scoring.load_profile(name).values()) > 0


def test_unknown_profile_on_the_command_line_exits_2(results_dir, tmp_path):
    from benchmarks.cli import main

    assert main(["report", "--results", str(results_dir), "--profile", "tiny/none",
                 "--out", str(tmp_path / "out")]) == 2  # fmt: skip


def test_report_names_its_sources_and_shows_not_run_rows(results_dir, tmp_path):
    render.render([results_dir], tmp_path / "out", "startup/experimentation")
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "2026-11-01-validation.json" in markdown
    assert "not run: install X" in markdown
    assert "startup/experimentation" in markdown and "**fast**" in markdown


def test_the_first_screen_shows_each_stages_pick_verdict_and_diy_floor_line(results_dir, tmp_path):
    """Issue 26: the baseline ranks first in the fixture; the first screen names the best
    real tool, its verdict and what it costs over the baseline and buys (before: the cell
    said "baseline (best tool: fast)" and there was no floor line)."""
    render.render([results_dir], tmp_path / "out")
    first_screen = (tmp_path / "out" / "report.md").read_text().split("\n## ")[0]
    row = next(line for line in first_screen.splitlines() if line.startswith("| Validation |"))
    pick, verdict, floor_line = row.split("|")[2:5]
    assert pick.strip() == "**fast**" and verdict.strip() in ("clear", "close", "tie")
    assert floor_line.strip().startswith("fast costs 2× the baseline's time and buys: ")


def wide_records() -> list[Record]:
    """Monitoring-like records: many measures with raw field names, a microsecond baseline."""
    measures = {"combined_recall": 0.9, "false_alarm_batches": 0.15, "artifact_kb": 4260.0,
                "unchanged_false_alarms": 3.0, "combined_precision": 0.88}  # fmt: skip
    records = []
    for tool, build, check in (("baseline", 3e-6, 0.02), ("evidently", 0.47, 2.5),
                               ("evidently_ks", 0.5, 2.1), ("prometheus", 1.0, 1.3),
                               ("evidently_prometheus", 1.1, 3.0)):  # fmt: skip
        timings = {"build_dashboard": timing(build), "check_drift": timing(check),
                   "push_to_alert": {**timing(check * 3), "rounds": 1, "iqr": 0.0}}  # fmt: skip
        records.append(Record("monitoring", tool, 1_600, timings=timings,
                              correctness=dict(measures), setup_steps=steps(2)))  # fmt: skip
    return records


@pytest.fixture
def wide_dir(results_dir):
    stored = results.Results(ENV, wide_records(), stages=registry.as_json())
    results.save(stored, results_dir, "2026-11-01-monitoring")
    return results_dir


def test_a_ratio_to_a_microsecond_baseline_is_not_shown(wide_dir, tmp_path):
    render.render([wide_dir], tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    line = next(row for row in markdown.splitlines() if row.startswith("| build dashboard"))
    assert "×" not in line and "470 ms ± 47 ms" in line
    check = next(row for row in markdown.splitlines() if row.startswith("| check drift"))
    assert "(125×)" in check
    once = next(row for row in markdown.splitlines() if row.startswith("| push to alert"))
    assert "60 ms, once" in once and "±" not in once


def test_deck_fits_a_five_minute_talk_with_notes(wide_dir, tmp_path):
    from pptx import Presentation

    render.render([wide_dir], tmp_path / "out")
    deck = Presentation(str(tmp_path / "out" / "report.pptx"))
    titles = [_first_text(slide) for slide in deck.slides]
    assert titles[:3] == ["Which MLOps tools should we adopt?", "The recommended pipeline",
                          "The tools compared, and how"]  # fmt: skip
    assert titles[-1] == "The pick per company profile"
    tools = next(s for s in deck.slides if _first_text(s) == "The tools compared, and how")
    assert any("Not run: " in shape.text_frame.text for shape in tools.shapes
               if shape.has_text_frame)  # fmt: skip
    assert any(title.startswith("Validation: ") for title in titles)
    assert all(slide.notes_slide.notes_text_frame.text.strip() for slide in deck.slides)


def _first_text(slide) -> str:
    return next(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


@pytest.mark.skipif(
    not shutil.which("soffice") or not shutil.which("pdftotext"),
    reason="LibreOffice and poppler-utils are not installed (make test installs them as root)",
)
def test_every_slides_text_stays_inside_its_shapes(wide_dir, tmp_path):
    import subprocess

    from pptx import Presentation

    render.render([wide_dir], tmp_path / "out")
    pptx = tmp_path / "out" / "report.pptx"
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(pptx)], check=True, capture_output=True, timeout=240,
                   env={**os.environ, "HOME": str(tmp_path)})  # fmt: skip
    pdf = tmp_path / "report.pdf"
    keep = Path(__file__).resolve().parent.parent / "reports" / "out" / "test-deck"
    keep.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(keep / "slide")], check=True)
    print(f"slide images: {keep}")
    words = _pdf_words(pdf, tmp_path / "words.html")
    deck = Presentation(str(pptx))
    assert len(words) == len(deck.slides) == 4 + 2  # 3 opening, 1 per stage, 1 closing
    for number, (slide, on_page) in enumerate(zip(deck.slides, words, strict=True), start=1):
        boxes = [_points(shape) for shape in slide.shapes if shape.has_text_frame
                 or shape.has_table]  # fmt: skip
        outside = [w for w, (x0, y0, x1, y1) in on_page
                   if not any(bx0 - 4 <= x0 and x1 <= bx1 + 4 and by0 - 4 <= y0 and y1 <= by1 + 4
                              for bx0, by0, bx1, by1 in boxes)]  # fmt: skip
        assert not outside, f"slide {number}: text outside its shapes: {outside[:5]}"


def _points(shape) -> tuple[float, float, float, float]:
    emu = 12700  # per point
    x, y = shape.left / emu, shape.top / emu
    return x, y, x + shape.width / emu, y + shape.height / emu


def _pdf_words(pdf: Path, out: Path) -> list[list[tuple[str, tuple]]]:
    import re
    import subprocess

    subprocess.run(["pdftotext", "-bbox", str(pdf), str(out)], check=True)
    pages = out.read_text(encoding="utf-8").split("<page ")[1:]
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [[(m[4], tuple(map(float, m[:4]))) for m in re.findall(pattern, page)]
            for page in pages]  # fmt: skip


def test_false_alarm_rates_count_against_correctness():
    calm = Record("monitoring", "calm", 10, correctness={"recall": 1.0, "false_alarm_rate": 0.1})
    noisy = Record("monitoring", "noisy", 10, correctness={"recall": 1.0, "false_alarm_rate": 0.9})
    values = criteria.correctness([calm, noisy])
    # recall is 1.0 for both, a gate: only the false alarms tell them apart
    assert values["calm"] == pytest.approx(0.9) and values["noisy"] == pytest.approx(0.1)


@pytest.mark.parametrize("case", ["missing folder", "empty folder", "out is a file"])
def test_bad_report_input_is_refused_and_leaves_the_last_report_untouched(tmp_path, case):
    import subprocess
    import sys

    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("the last good report")
    given, target = tmp_path / "no-such-folder", out
    if case == "empty folder":
        given.mkdir()
    if case == "out is a file":
        given, target = tmp_path / "results", tmp_path / "a-file"
        given.mkdir()
        (given / "x.json").write_text("{}")
        target.write_text("not a folder")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cli", "report", "--results", str(given),
         "--out", str(target)],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    message = done.stderr.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert str(given if case != "out is a file" else target) in message
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


# a first screen plus about one screen per stage (six stages today, seven with CI/CD) when
# every detail is folded: beyond that a reader scrolls past detail to find the next verdict
MAX_FOLDED_PAGE_PX = 9_000
FIRST_SCREEN = {"width": 1280, "height": 900}
FIRST_SCREEN_JS = """() => ({
  table: document.querySelector('table.stack').getBoundingClientRect().bottom,
  diagram: document.querySelector('#architecture').getBoundingClientRect().bottom,
})"""
TOO_WIDE_JS = """() => [...document.querySelectorAll('table')]
  .filter(t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)
  .map(t => (t.querySelector('caption') || t.querySelector('th')).innerText)"""


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (make test installs it as root)"
)
def test_html_report_reads_in_chromium_at_1280_px(wide_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    render.render([wide_dir], tmp_path / "out")
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-gpu"])  # fmt: skip
        page = browser.new_page(viewport=FIRST_SCREEN)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((tmp_path / "out" / "report.html").as_uri())
        shot = tmp_path / "report-summary.png"
        page.screenshot(path=str(shot))
        first_screen = page.evaluate(FIRST_SCREEN_JS)
        folded_height = page.evaluate("document.documentElement.scrollHeight")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        too_wide = page.evaluate(TOO_WIDE_JS)
        labels = page.eval_on_selector_all(
            "h1, h2, h3, h4, th, caption, summary", "nodes => nodes.map(n => n.innerText)"
        )
        browser.close()
    keep = Path(__file__).resolve().parent.parent / "reports" / "out" / "test-report-summary.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep)
    print(f"screenshot of the report's first screen: {keep}; folded height {folded_height} px")
    assert errors == []
    assert widths and all(width > 0 for width in widths)
    assert too_wide == []
    assert [text for text in labels if "_" in text] == []
    assert first_screen["table"] <= FIRST_SCREEN["height"]
    assert first_screen["diagram"] <= FIRST_SCREEN["height"]
    assert folded_height < MAX_FOLDED_PAGE_PX


def team_records() -> list[Record]:
    """A tracking stage's team set-up: clients as sizes, MLflow on two back ends."""
    records = []
    for clients in (1, 4):
        for tool, seconds, found in (("baseline", 0.5, 1.0), ("mlflow+postgresql", 2.0, 1.0),
                                     ("mlflow+sqlite", 3.0, 0.75)):  # fmt: skip
            records.append(Record("tracking", tool, clients, setup="team",
                                  timings={"team_day_of_work": timing(seconds * clients)},
                                  correctness={"runs_read_back": found},
                                  measures={"runs_per_second": clients / seconds}))  # fmt: skip
    return records


def test_a_team_set_up_is_its_own_section_after_its_stage_and_leaves_the_stack_alone(
    results_dir, tmp_path
):
    single = [Record("tracking", "mlflow", 1_600, timings={"log_metric": timing(0.01)},
                     correctness={"read_back": 1.0})]  # fmt: skip
    stored = results.Results(LATER, single + team_records(), stages=registry.as_json())
    results.save(stored, results_dir, "2026-11-02-tracking")
    context = render.build_context([results_dir])
    names = [view.name for view in context["sections"]]
    assert names.index("tracking-team") == names.index("tracking") + 1
    assert "tracking-team" not in [view.name for view in context["stages"]]
    assert all("tracking-team" not in p["stack"] for p in context["profiles"])
    team = next(view for view in context["sections"] if view.name == "tracking-team")
    assert team.tables[0]["size"] == "1 concurrent client"
    assert team.ranking.winner == "mlflow+postgresql" and team.ranking.floor == "baseline"
    assert any("runs per second against concurrent clients" in c["title"].lower()
               or "against concurrent clients" in c["title"] for c in team.charts)  # fmt: skip
    render.render([results_dir], tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "Tracking, team set-up" in markdown and "MLflow on SQLite" in markdown


def test_a_report_of_team_runs_alone_renders_every_format(tmp_path):
    stored = results.Results(LATER, team_records(), stages=registry.as_json())
    results.save(stored, tmp_path / "r", "2026-11-02-tracking")
    written = render.render([tmp_path / "r"], tmp_path / "out")
    assert {path.name for path in written} == {"report.html", "report.md", "report.pptx"}
    assert "Tracking, team set-up" in (tmp_path / "out" / "report.md").read_text()


ALIAS_RACE = (
    "UniqueViolation: (psycopg2.errors.UniqueViolation) duplicate key value violates "
    'unique constraint "registered_model_alias_pk"'
)


def test_a_tools_error_under_load_shows_in_its_team_section_in_its_own_words(tmp_path):
    """MLflow on PostgreSQL losing the alias race at 4 clients: the team section says which
    call failed, how often and what MLflow said; the day at 1 client, with no error, adds
    no line."""
    days = []
    for clients, errors in ((1, []), (4, [["register_model", ALIAS_RACE, 1]])):
        days.append(Record("tracking", "mlflow+postgresql", clients, setup="team",
                           timings={"team_day_of_work": timing(2.0 * clients)},
                           correctness={"calls_succeeded": 1 - len(errors) / (6 * clients)},
                           measures={"errors": len(errors)},
                           details={results.TOOL_ERRORS: errors}))  # fmt: skip
    stored = results.Results(LATER, days, stages=registry.as_json())
    results.save(stored, tmp_path / "r", "2026-11-02-tracking")
    render.render([tmp_path / "r"], tmp_path / "out")
    line = f"MLflow on PostgreSQL at 4 concurrent clients: register_model failed once: {ALIAS_RACE}"
    markdown = (tmp_path / "out" / "report.md").read_text()
    section = markdown.split("Tracking, team set-up", 1)[1]
    assert f"- {line}" in section
    assert "at 1 concurrent client:" not in section
    html = (tmp_path / "out" / "report.html").read_text()
    assert (
        "registered_model_alias_pk" in html
        and "counted; a measured operation is never retried by bakeoff" in html
    )


def test_the_time_split_separates_measured_operations_checks_and_overhead():
    from reports import timesplit

    records = [
        Record("validation", "a", 1_600, wall_seconds=10.0, measured_seconds=6.0,
               checks_seconds=3.0),
        Record("validation", "b", 1_600, wall_seconds=10.0, measured_seconds=2.0),
    ]  # fmt: skip
    result = timesplit.split(records)
    assert result["total"] == [2, 20.0, 8.0, 3.0, 9.0, 0.4]
    assert result["rows"][0] == ["validation", "a", 1, 10.0, 6.0, 3.0, 1.0, 0.6]
    assert "3 s in checks and probes, 9 s harness overhead" in timesplit.lines(records)[0]


def test_a_non_default_setting_names_the_sizes_that_ran_with_it_unless_all_did():
    from reports.evidence import _settings_lines

    def record(tool, rows, settings):
        return Record("validation", tool, rows, details={"non_default_settings": settings})

    lines = _settings_lines(
        [
            record("gx", 1_000_000, ["result_format=COMPLETE"]),
            record("gx", 10_000_000, ["result_format=COMPLETE", "driver memory 6g"]),
            record("pandera", 1_000_000, []),
        ]
    )
    assert lines == [
        "gx at 10,000,000 rows: bakeoff asks for more than the default: driver memory 6g.",
        "gx: bakeoff asks for more than the default: result_format=COMPLETE.",
    ]


def test_features_come_from_the_size_that_ran_the_probes():
    """bakeoff run probes once per tool, at its smallest size: the larger sizes' records
    carry no features, and neither the matrix nor the score may lose them."""
    yes, no = {"ok": True, "answer": "yes"}, {"ok": False, "answer": "no"}
    records = [
        Record("validation", "a", 1_600, features={"html": yes, "infer": no}),
        Record("validation", "a", 1_000_000),
        Record("validation", "b", 1_600, features={"html": yes, "infer": yes}),
        Record("validation", "b", 1_000_000),
    ]
    assert capabilities.features(records) == {"a": 0.5, "b": 1.0}
    matrix = render.feature_matrix(records, "validation")
    assert [row["tool"] for row in matrix["tools"]] == ["a", "b"]
    assert matrix["tools"][0]["cells"] == [yes, no]
    assert matrix["probed_at"] == "1,600 rows"


def test_a_timing_cell_shows_the_first_call_apart_from_the_rounds():
    from reports import formatting

    cell = {"median": 1.0, "iqr": 0.01, "rounds": 3, "first_call": 5.0}
    assert formatting.timing(cell) == "1 s ± 10 ms (n=3); first call 5 s"
    assert "first call" not in formatting.timing(cell | {"first_call": None})


def test_the_report_shows_each_tool_by_the_name_its_stage_declares(tmp_path):
    """Hand-made records of a stage that declares its tools' names: the HTML and the Markdown
    show "Quick Tidy" and "Slow Tidy" in the table header, the ranking and the why sentence,
    never the names they ran under; the section's anchor keeps the stage's own name."""
    names = {"quick_tidy": "Quick Tidy", "slow_tidy": "Slow Tidy"}
    declared = {"tidying": {"name": "Tidying", "question": "Tidying: which tidier?", "place": 1,
                            "box": "tidy rows", "setups": {}, "tool_names": names}}  # fmt: skip
    records = [Record("tidying", tool, rows, setup_steps=steps(2),
                      timings={"tidy": timing(seconds * rows / 1_000)},
                      correctness={"recall": recall})
               for rows in (1_000, 100_000)
               for tool, seconds, recall in (("baseline", 0.01, 1.0), ("quick_tidy", 0.02, 1.0),
                                             ("slow_tidy", 0.3, 0.5))]  # fmt: skip
    results.save(results.Results(ENV, records, stages=declared), tmp_path / "r", "2026-11-01")
    render.render([tmp_path / "r"], tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "<th>measure</th><th>baseline</th><th>Quick Tidy</th><th>Slow Tidy</th>" in html
    assert "| measure | baseline | Quick Tidy | Slow Tidy |" in markdown
    assert "<td>1</td><td>Quick Tidy</td>" in html or "<td>2</td><td>Quick Tidy</td>" in html
    assert any(line.startswith(("| 1 | Quick Tidy |", "| 2 | Quick Tidy |"))
               for line in markdown.splitlines())  # fmt: skip
    assert "Score: " in html and " vs Slow Tidy " in html.split("Score: ", 1)[1].split("</p>")[0]
    assert " vs Slow Tidy " in markdown.split("Score: ", 1)[1].splitlines()[0]
    assert "**Quick Tidy**" in markdown and 'id="tidying"' in html
    for text in (html, markdown):
        assert "quick_tidy" not in text and "slow_tidy" not in text
