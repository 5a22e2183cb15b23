"""The leadership report: scoring, profiles, HTML in a real browser, the slide deck."""

import shutil
from pathlib import Path

import pytest

from reports import criteria, render, results, scoring
from reports.results import Record

pytestmark = pytest.mark.report
CHROMIUM = "/usr/bin/chromium"


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
    stored = results.Results({"date": "2026-11-01T00:00:00", "machine": "box"}, sample_records())
    results.save(stored, tmp_path / "results", "2026-11-01-validation")
    return tmp_path / "results"


def test_scoring_ranks_the_fixture_as_expected():
    ranking = scoring.rank(sample_records(), scoring.load_profile("mid-size/core-ml"))
    assert [tool for tool, _, _ in ranking.totals] == ["baseline", "fast", "slow"]
    assert ranking.winner == "fast" and ranking.baseline_ahead
    assert ranking.not_ranked == ["absent"]
    assert ranking.raw["speed"]["slow"] == pytest.approx(30.0)
    assert ranking.raw["scale"]["fast"] == pytest.approx(20.0)  # s per million rows
    assert ranking.scores["correctness"]["slow"] == pytest.approx(0.75)
    total, parts = ranking.totals[1][1], ranking.totals[1][2]
    assert total == pytest.approx(sum(parts.values()))


def test_sensitivity_names_the_weight_changes_that_flip_the_winner():
    records = [r for r in sample_records() if r.tool != "baseline"]
    weights = dict.fromkeys(scoring.CRITERIA, 0.0) | {"correctness": 1.0, "setup": 0.4}
    for record in records:  # 'slow' now needs fewer steps but still misses defects
        record.setup_steps = steps(1 if record.tool == "slow" else 2)
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


def test_deck_has_the_expected_slides(results_dir, tmp_path):
    from pptx import Presentation

    render.render([results_dir], tmp_path / "out")
    deck = Presentation(str(tmp_path / "out" / "report.pptx"))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[:5] == [
        "Which MLOps tools should we adopt?",
        "The problem",
        "Recommended pipeline",
        "The tools compared",
        "How we compared them",
    ]
    assert titles[-1] == "Recommendation per company profile"
    assert any(title.startswith("Validation") for title in titles)
    pictures = [s for slide in deck.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) >= 2


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (make test installs it as root)"
)
def test_html_report_renders_in_chromium(results_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    render.render([results_dir], tmp_path / "out")
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-gpu"])  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((tmp_path / "out" / "report.html").as_uri())
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        diagram = page.eval_on_selector("#architecture", "i => i.getBoundingClientRect().height")
        shot = tmp_path / "report-summary.png"
        page.screenshot(path=str(shot))
        browser.close()
    keep = Path(__file__).resolve().parent.parent / "reports" / "out" / "test-report-summary.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep)
    print(f"screenshot of the report's summary page: {keep}")
    assert errors == []
    assert widths and all(width > 0 for width in widths)
    assert diagram > 50


def test_false_alarm_rates_count_against_correctness():
    calm = Record("monitoring", "calm", 10, correctness={"recall": 1.0, "false_alarm_rate": 0.1})
    noisy = Record("monitoring", "noisy", 10, correctness={"recall": 1.0, "false_alarm_rate": 0.9})
    values = criteria.correctness([calm, noisy])
    assert values["calm"] == pytest.approx(0.95) and values["noisy"] == pytest.approx(0.55)


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
