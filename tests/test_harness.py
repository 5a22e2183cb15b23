"""The runner, the results store and the command line, end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reports import results

pytestmark = pytest.mark.harness
ROOT = Path(__file__).resolve().parent.parent


def bakeoff(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_results_round_trip(tmp_path):
    stored = results.Results(
        {"date": "2026-01-01", "machine": "m"},
        [
            results.Record("validation", "baseline", 10, timings={"validate": {"median": 0.1}}),
            results.Record("validation", "gx", 10, status="not_run", reason="install gx"),
        ],
    )
    first = results.save(stored, tmp_path, "run")
    second = results.save(stored, tmp_path, "run")
    assert first != second and first.read_text() == second.read_text()
    assert results.load(first) == stored


def test_unknown_format_is_refused_with_a_message(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": 99, "environment": {}, "records": []}))
    with pytest.raises(results.ResultsError, match=r"format 99.*re-run"):
        results.load(path)
    done = bakeoff("report", "--results", str(tmp_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_unknown_tool_exits_2_with_one_line():
    done = bakeoff("run", "--stage", "validation", "--tools", "nosuchtool", "--quick")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "bakeoff: unknown tool 'nosuchtool' for stage validation; "
        "choose from: baseline, great_expectations, pandera."
    ]


def test_bad_data_file_is_refused_before_anything_runs(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    done = bakeoff(
        "run", "--stage", "validation", "--data", str(bad), "--results", str(tmp_path / "r")
    )
    assert done.returncode == 2 and "lacks the column(s)" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r").exists()


def test_help_and_list_explain_themselves():
    assert "--data" in bakeoff("run", "--help").stdout
    listing = bakeoff("list").stdout
    assert "validation" in listing and "pandera" in listing


def test_run_then_report_end_to_end(tmp_path):
    done = bakeoff(
        "run",
        "--stage",
        "validation",
        "--rows",
        "2000",
        "--repeats",
        "2",
        "--results",
        str(tmp_path / "r"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round 2/2" in done.stdout
    [path] = list((tmp_path / "r").glob("*.json"))
    stored = results.load(path)
    assert {r.tool for r in stored.records} == {"baseline", "great_expectations", "pandera"}
    for record in stored.records:
        assert record.status == "ok" and record.correctness["recall"] == 1.0
        assert record.timings["validate"]["rounds"] == 2 and record.peak_rss_mb > 0
    assert stored.environment["tool_versions"]["validation.pandera"].startswith("pandera ")
    shown = bakeoff("report", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "out"))
    assert shown.returncode == 0, shown.stderr
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert path.name in markdown and "great_expectations" in markdown
    html = (tmp_path / "out" / "report.html").read_text()
    assert "data:image/png;base64," in html


def test_a_crashing_trial_is_recorded_as_failed(tmp_path):
    from benchmarks import runner

    plan = runner.Plan("validation", ("baseline",), (2000,), 1, time_limit=0.5)
    records = []
    runner.run_plan(plan, records, report=lambda line: None)
    assert [r.status for r in records] == ["failed"]
    assert "time limit" in records[0].reason


def test_ctrl_c_stops_the_trial_and_keeps_finished_records(tmp_path):
    import signal
    import time

    import psutil

    command = [sys.executable, "-m", "benchmarks.cli", "run", "--stage", "validation",
               "--rows", "2000", "--repeats", "2", "--results", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("[validation 2/3]"):  # the first trial has finished
            break
    time.sleep(1)
    trial = psutil.Process(process.pid).children(recursive=True)
    assert trial, "the second trial should be running"
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    [path] = list(tmp_path.glob("*.json"))
    assert [r.tool for r in results.load(path).records] == ["baseline"]
    assert not [p for p in trial if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
