"""Reuse, --force and resume: what a run keeps from earlier runs, and what it measures again."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import keys, reuse, runner
from reports import results

pytestmark = pytest.mark.harness
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def today():
    return keys.Today()  # reads the installed distributions once (about a second)


def _plan(**changes) -> runner.Plan:
    fields = {"stage": "versioning", "tools": ("git_lfs", "baseline"), "sizes": (1_000,),
              "repeats": 3, **changes}  # fmt: skip
    return runner.Plan(**fields)


def test_the_key_changes_when_each_of_its_parts_changes(today, tmp_path, monkeypatch):
    code, data = tmp_path / "adapter.py", tmp_path / "mine.csv"
    code.write_text("x = 1\n")
    data.write_text("a\n1\n")

    def key(plan=None, rows=1_000, tool="git_lfs"):
        return today.key(plan or _plan(), tool, rows, [str(code)], ["pandas"])

    first = key()
    assert first == key(), "a key is the same when nothing changed"
    assert first["packages"]["pandas"] and first["programs"]["git-lfs"].startswith("git-lfs ")
    assert "adapters/versioning/git_lfs.py" not in first["code"]  # what the trial imported...
    assert str(code) in first["code"] and "scenarios/wish.py" in first["code"]  # ...+ declared
    # what does not change the work: the seed (order only) and the time limit
    assert key(_plan(seed=7, time_limit=5)) == first
    changed = {
        "rows": key(rows=2_000),
        "repeats": key(_plan(repeats=5)),
        "smoke": key(_plan(smoke=True)),
        "probes": key(_plan(sizes=(100, 1_000))),  # the probes run at the smallest size only
        "data": key(_plan(data=data)),
    }
    code.write_text("x = 2  # an edit\n")
    changed["code"] = key()
    monkeypatch.setitem(today.installed.version, "pandas", "0.0.1")
    changed["packages"] = key()
    monkeypatch.setattr(keys, "program_version", lambda program: f"{program} 9.9")
    changed["programs"] = key()
    monkeypatch.setitem(today.machine, "cpus", 64)
    changed["machine"] = key()
    monkeypatch.setenv("BAKEOFF_POSTGRES_URL", "postgresql://elsewhere/db")
    changed["environment"] = key()
    for part, other in changed.items():
        assert other != first, f"{part} must change the key"
    assert "adapter.py changed" in keys.changes(first, changed["code"])
    assert "repeats 3 -> 5" in keys.changes(first, changed["repeats"])
    data.write_text("a\n22\n")  # the same --data path with other content
    assert key(_plan(data=data)) != changed["data"]


def _stored(record, file="2026-12-03T101500-versioning.json", smoke=False) -> dict:
    return {(keys.machine()["host"], record.section, record.tool, record.rows):
            reuse.Stored(record, file, smoke)}  # fmt: skip


def _record(today, status="ok", **fields) -> results.Record:
    key = today.key(_plan(), "git_lfs", 1_000, ["benchmarks/harness.py", "benchmarks/probes.py"])
    return results.Record("versioning", "git_lfs", 1_000, status=status, key=key,
                          wall_seconds=5.0, **fields)  # fmt: skip


def test_only_an_ok_record_under_the_same_key_is_reused(today):
    ok = _record(today)
    decision = reuse.Reuse(_stored(ok), today=today).decide(_plan(), "git_lfs", 1_000)
    assert decision.reuse.record is ok and decision.reuse.date == "2026-12-03"
    for record, smoke in ((_record(today, "failed", reason="check failed"), False),
                          (_record(today, "not_run", reason="install git-lfs"), False),
                          (ok, True)):  # fmt: skip
        decision = reuse.Reuse(_stored(record, smoke=smoke), today=today).decide(
            _plan(), "git_lfs", 1_000
        )
        assert decision.reuse is None, f"a {record.status} record (smoke {smoke}) is reused"
    slow = reuse.Reuse(_stored(ok), today=today).decide(_plan(time_limit=1), "git_lfs", 1_000)
    assert slow.reuse is None and "--time-limit" in slow.why
    smoke = reuse.Reuse(_stored(ok), today=today).decide(_plan(smoke=True), "git_lfs", 1_000)
    assert smoke.reuse is None and smoke.answers is None, "a smoke run measures everything"
    assert reuse.Reuse({}, today=today).decide(_plan(), "git_lfs", 1_000).why == (
        "never measured here"
    )


def test_a_record_that_names_its_set_up_variant_loads_and_is_still_reused(today, tmp_path):
    """Until format 4 a record's set-up was ``variant``, in the record and in its key: such
    a file loads under today's name, and its trial is reused while nothing else changed."""
    plan = _plan(stage="tracking", tools=("mlflow+postgresql",), sizes=(4,), setup="team")
    key = today.key(plan, "mlflow+postgresql", 4, ["benchmarks/harness.py"])
    record = results.Record("tracking", "mlflow+postgresql", 4, setup="team", key=key,
                            wall_seconds=5.0, measured_at="2026-12-03T10:15:00+00:00")  # fmt: skip
    stored = json.loads(results.Results({"machine": today.machine["host"]}, [record]).to_json())
    stored["format"], [old] = 4, stored["records"]
    work = old["key"]["work"]
    old["variant"], work["variant"] = old.pop("setup"), work.pop("setup")
    (tmp_path / "2026-12-03T101500-tracking.json").write_text(json.dumps(stored))
    [(_, loaded)] = results.load_all([tmp_path])
    assert loaded.records == [record] and record.section == "tracking-team"
    decision = reuse.Reuse(reuse.newest(tmp_path), today=today).decide(plan, record.tool, 4)
    assert decision.reuse is not None and decision.reuse.record == record, decision.why


def test_force_measures_again_what_it_names(today):
    ok = _record(today)

    def forced(*names):
        chosen = reuse.Reuse(_stored(ok), reuse.Force(frozenset(names)), today=today)
        return chosen.decide(_plan(), "git_lfs", 1_000).reuse is None

    assert forced("all") and forced("versioning") and forced("versioning.git_lfs")
    assert not forced() and not forced("tracking") and not forced("versioning.dvc")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cli", "run", "--stage", "versioning", "--force",
         "versioning.nosuchtool"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--force tracking.mlflow (a tool)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_stored_answers_are_carried_over_when_only_rounds_or_timing_harness_changed(today):
    parts = {"set": {"features": {"works offline": {"ok": True, "answer": "yes"}}},
             "append": {"details": {"tables": [{"title": "probed"}]}}}  # fmt: skip
    answered = {"parts": parts, "from": {"version": "git-lfs 3.3", "measured_at": "2026-12-01"}}
    stored = _record(today, answers=answered)
    stored.key["code"]["benchmarks/harness.py"] = "an older timing harness"
    decision = reuse.Reuse(_stored(stored), today=today).decide(_plan(repeats=5), "git_lfs", 1_000)
    assert decision.reuse is None and decision.answers.record is stored
    assert decision.answers.answered_on == "2026-12-01"
    new = results.Record("versioning", "git_lfs", 1_000, details={"tables": [{"title": "mine"}]})
    reuse.carry_answers(new, stored)
    assert new.features["works offline"]["answer"] == "yes"
    assert new.details["tables"] == [{"title": "mine"}, {"title": "probed"}]
    assert new.answers["carried"] and new.answers["from"]["version"] == "git-lfs 3.3"
    stored.key["code"]["benchmarks/probes.py"] = "another probe rule"
    decision = reuse.Reuse(_stored(stored), today=today).decide(_plan(), "git_lfs", 1_000)
    assert decision.answers is None, "a changed probe helper asks the probes again"


def test_a_test_that_answers_keeps_what_it_added_apart(monkeypatch):
    from benchmarks import options, probes

    record = results.Record("versioning", "git_lfs", 1_000, details={"tables": [1]})
    record.measures["commit MB"] = 3.0
    with probes.answers(record, declared=False):
        record.measures["timed, not an answer"] = 1.0
    assert not record.answers
    opts = options.Options((1_000,), None, (), 1, None, probe_rows=1_000)
    with probes.answers(record, declared=False):
        probes.skip_unless_probing(opts, 1_000)
        record.features["diff"] = {"ok": True, "answer": "yes"}
        record.details["tables"].append(2)
    assert record.answers["parts"] == {
        "set": {"features": {"diff": {"ok": True, "answer": "yes"}}},
        "append": {"details": {"tables": [2]}},
    }
    known = options.Options((1_000,), None, (), 1, None, probe_rows=1_000, answers_known=True)
    assert not probes.probes_here(known, 1_000)
    with pytest.raises(pytest.skip.Exception, match="answered for this tool version"):
        probes.skip_unless_probing(known, 1_000)


# A throwaway stage kept in a temporary folder: a fast tool and a slow one, each starting a
# server in its own session (as PostgreSQL or Prometheus do) that its fixture stops.
STAGE_INIT = """
from adapters.registry import Stage, Tool
STAGE = Stage("Slow", "Slow: which is slow?", place=99, box="waits", sizes=(1,))
TOOLS = {"fast": Tool("adapters.slowstage:Nothing"), "slow": Tool("adapters.slowstage:Nothing")}
"""
# found as stage packages are: a package under adapters/ (here a folder added to its path)
SETUP = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import adapters
adapters.__path__.append({{adapters!r}})
"""
BENCH_CONFTEST = """
import importlib.util
spec = importlib.util.spec_from_file_location("root_conftest", {root_conftest!r})
root = importlib.util.module_from_spec(spec)
spec.loader.exec_module(root)
pytest_addoption = root.pytest_addoption
from benchmarks import conftest as shared
from benchmarks.conftest import *  # the recorder fixture, the hooks, the orphan watch


def pytest_configure(config):
    root.pytest_configure(config)  # the stage's marker, from its declaration
    shared.pytest_configure(config)
"""
BENCH = """
import os, subprocess, sys, time
from pathlib import Path
import pytest
from benchmarks import harness, options, probes

STAGE, REPEATS = "slowstage", 1
pytestmark = pytest.mark.slowstage


@pytest.fixture(scope="module")
def server(tool):
    process = subprocess.Popen([sys.executable, "-m", "http.server", "-b", "127.0.0.1", "0"],
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    Path(os.environ["SLOWSTAGE_PIDS"], tool).write_text(str(process.pid))
    yield process
    process.terminate()
    process.wait()


def test_work(server, recorder, tool, rows):
    with harness.trial(recorder, tool, rows):
        harness.progress("working")
        seconds = 0.2 if tool == "fast" else float(os.environ["SLOWSTAGE_SECONDS"])
        time.sleep(seconds)
        recorder.once(tool, rows, "work", seconds)


def test_probe(recorder, bench_options, tool, rows):
    probes.skip_unless_probing(bench_options, rows)
    with harness.trial(recorder, tool, rows) as record:
        probes.record_probe(record, "answers", lambda: "yes")
"""


def _throwaway_stage(folder: Path, name: str = "slowstage", init: str = STAGE_INIT,
                     bench: str = BENCH) -> Path:  # fmt: skip
    """A stage's own files only (its package, its benchmark) in ``folder``, and a script
    that runs `bakeoff` with that folder's package under ``adapters``."""
    (folder / "adapters" / name).mkdir(parents=True)
    (folder / "adapters" / name / "__init__.py").write_text(init)
    (folder / "bench").mkdir()
    setup = SETUP.format(adapters=str(folder / "adapters"))
    conftest = BENCH_CONFTEST.format(root_conftest=str(ROOT / "conftest.py"))
    (folder / "bench" / "conftest.py").write_text(setup + conftest)
    (folder / "bench" / f"bench_{name}.py").write_text(bench)
    (folder / "pids").mkdir()
    drive = folder / "bakeoff.py"
    drive.write_text(setup + "import benchmarks\nfrom benchmarks import cli, runner\n"
                     f"benchmarks.__path__.append({str(folder / 'bench')!r})\n"
                     f"runner.BENCHMARKS = type(runner.ROOT)({str(folder / 'bench')!r})\n"
                     "sys.exit(cli.main(sys.argv[1:]))\n")  # fmt: skip
    return drive


def _start(started: list, drive: Path, folder: Path, seconds: float, *extra: str):
    command = [sys.executable, str(drive), "run", "--stage", "slowstage", "--rows", "1",
               "--repeats", "1", "--seed", "3", "--results", str(folder / "r"), *extra]  # fmt: skip
    env = {**os.environ, "BAKEOFF_HISTORY": str(folder / "history"),
           "SLOWSTAGE_PIDS": str(folder / "pids"), "SLOWSTAGE_SECONDS": str(seconds)}  # fmt: skip
    run = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)  # fmt: skip
    started.append(run)
    return run


def _until(process: subprocess.Popen, text: str) -> list[str]:
    lines = []
    for line in process.stdout:
        lines.append(line)
        if text in line:
            time.sleep(0.5)  # the runner notes the trial's processes every 0.1 s
            return lines
    raise AssertionError(f"no line with {text!r} in:\n{''.join(lines)}")


def _server(folder: Path, tool: str):
    import psutil

    server = psutil.Process(int((folder / "pids" / tool).read_text()))
    port = server.net_connections()[0].laddr.port if server.net_connections() else None
    return server, port


def _gone(process, port, within: float = 15.0) -> bool:
    import psutil

    from adapters.servers import port_is_free

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
            return port is None or port_is_free(port)
        time.sleep(0.2)
    return False


@pytest.fixture
def started(tmp_path):
    """The runs a test starts; whatever it asserts, they and the throwaway stage's servers
    do not outlive it."""
    runs: list[subprocess.Popen] = []
    yield runs
    import psutil

    for run in runs:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)  # bakeoff run stops its trial on the way out
            run.communicate(timeout=60)
    for pid_file in (tmp_path / "pids").glob("*"):
        with contextlib.suppress(psutil.Error):
            server = psutil.Process(int(pid_file.read_text()))
            if "http.server" in server.cmdline():
                server.kill()


def test_a_killed_run_resumes_and_leaves_no_server_behind(tmp_path, started):
    import psutil

    order = runner.trial_order(runner.Plan("slowstage", ("fast", "slow"), (1,), 1, seed=3))
    assert [tool for _, tool in order] == ["fast", "slow"]  # --seed 3: the slow tool second
    drive = _throwaway_stage(tmp_path)
    first = _start(started, drive, tmp_path, 60)
    _until(first, "slow, 1 row: working")
    server, port = _server(tmp_path, "slow")
    first.send_signal(signal.SIGKILL)  # kill -9: no handler runs in bakeoff run
    first.wait()
    assert _gone(server, port), "the orphaned trial stops its server through its fixtures"
    [stored] = results.load_all([tmp_path / "r"])
    assert [(r.tool, r.status) for r in stored[1].records] == [("fast", "ok")]

    second = _start(started, drive, tmp_path, 60)
    lines = _until(second, "slow, 1 row: working")
    assert "fast, 1 row: reused, measured" in "".join(lines)
    server, port = _server(tmp_path, "slow")
    trial = [p for p in psutil.Process(second.pid).children() if "pytest" in " ".join(p.cmdline())]
    for process in (second, *trial):  # runner and trial killed: the server is left running
        os.kill(process.pid, signal.SIGKILL)
    second.wait()
    assert server.is_running() and server.status() != psutil.STATUS_ZOMBIE

    third = _start(started, drive, tmp_path, 0.5, "--force", "slowstage.fast")
    output, _ = third.communicate(timeout=60)
    assert third.returncode == 0, output
    assert "was killed and left 1 process(es) running (python" in output
    assert _gone(server, port, within=1), "the ledger's leftover was stopped first"
    assert "fast, 1 row: running (--force" in output and "slow, 1 row: ok" in output

    fourth = _start(started, drive, tmp_path, 0.5)
    output, _ = fourth.communicate(timeout=60)
    assert "2 of 2 trials reused" in output and "no results file written" in output
    assert not list((tmp_path / "history" / "running").glob("*.json")), "no ledger is left"
    newest = results.load_all([tmp_path / "r"])[-1][1].records
    answered = {r.tool: r.features["answers"]["answer"] for r in newest}
    assert answered == {"fast": "yes", "slow": "yes"}
    assert all(str(tmp_path / "bench" / "bench_slowstage.py") in r.key["code"] for r in newest)


NEW_STAGE_INIT = """
from adapters.registry import Stage, Tool
STAGE = Stage("Tidying", "Tidying: which tool tidies fastest?", place=99, box="tidy data",
              sizes=(3,), unit="drawers", tool_names={"solo": "Solo Tidy"})
TOOLS = {"baseline": Tool("adapters.tidying:Nothing"), "solo": Tool("adapters.tidying:Nothing")}
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {"folds the socks": "folds socks"}
"""
NEW_STAGE_BENCH = """
import pytest
from benchmarks import harness, probes

STAGE, REPEATS = "tidying", 1
pytestmark = pytest.mark.tidying


def test_tidy(recorder, tool, rows):
    with harness.trial(recorder, tool, rows):
        recorder.once(tool, rows, "tidy", 0.1 if tool == "solo" else 0.3)


def test_probe(recorder, bench_options, tool, rows):
    probes.skip_unless_probing(bench_options, rows)
    with harness.trial(recorder, tool, rows) as record:
        probes.record_probe(record, "folds socks", lambda: "yes")
"""


def test_a_new_stage_is_its_folder_and_its_benchmark_and_the_report_finds_it(tmp_path):
    """A stage from a temporary folder, its package and its benchmark and nothing else: it
    runs, is scored, and the report has its section, its stack row and its box in the
    pipeline, in its own words, though no file of reports/ names it."""
    from reports import render

    drive = _throwaway_stage(tmp_path, "tidying", NEW_STAGE_INIT, NEW_STAGE_BENCH)
    command = [sys.executable, str(drive), "run", "--stage", "tidying", "--repeats", "1",
               "--results", str(tmp_path / "r")]  # fmt: skip
    env = {**os.environ, "BAKEOFF_HISTORY": str(tmp_path / "history")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    context = render.build_context([tmp_path / "r"])
    [view] = context["stages"]
    assert (view.name, view.title, view.question) == (
        "tidying", "Tidying", "Tidying: which tool tidies fastest?")  # fmt: skip
    assert view.ranking.winner == "solo" and view.ranking.totals
    assert view.tables[0]["size"] == "3 drawers"
    assert context["pipeline"][-1] == {"stage": "Tidying", "box": "tidy data", "pick": "Solo Tidy"}
    render.render([tmp_path / "r"], tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "## Tidying: which tool tidies fastest?" in markdown
    assert "| Tidying | **Solo Tidy** |" in markdown


def _results_folder(folder: Path) -> Path:
    """Two stored runs of one stage, measured on different days."""
    timing = {"commit": results.stats([0.2, 0.21, 0.22])}
    for day, tool in (("2026-12-01", "baseline"), ("2026-12-03", "git_lfs")):
        record = results.Record("versioning", tool, 1_000, timings=timing,
                                measured_at=f"{day}T10:00:00+00:00")  # fmt: skip
        stored = results.Results({"date": f"{day}T09:00:00+00:00", "machine": "m"}, [record])
        results.save(stored, folder, f"{day}T090000-versioning")
    return folder


def test_the_report_is_rendered_after_each_stage_marked_partial_until_the_last(tmp_path):
    from benchmarks.cli import PartialReports

    out, folder = tmp_path / "out", _results_folder(tmp_path / "r")
    (out / "report.pptx").parent.mkdir()
    (out / "report.pptx").write_text("a deck of an earlier run")
    renders = PartialReports(out, folder, stages=3)
    renders.after(1, measured=True)
    markdown = (out / "report.md").read_text()
    assert "**Partial: 1 of 3 stages finished.**" in markdown
    assert not (out / "report.pptx").exists(), "no deck passes for the finished comparison"
    assert "Figures measured from 2026-12-01 (the oldest: Versioning: baseline at 1,000 rows)" \
        " to 2026-12-03" in markdown  # fmt: skip
    assert "| measured on | 2026-12-01 | 2026-12-03 |" in markdown
    (out / "report.md").unlink()
    renders.after(2, measured=False)  # nothing new: nothing rendered
    assert not (out / "report.md").exists()
    renders.after(3, measured=False)  # the last stage: the complete report, unmarked
    assert "Partial" not in (out / "report.md").read_text() and (out / "report.pptx").exists()


def test_a_report_that_cannot_be_rendered_never_stops_the_run(tmp_path, monkeypatch, capsys):
    from benchmarks.cli import PartialReports
    from reports import render

    def broken(*args, **kwargs):
        raise ValueError("a template bug")

    monkeypatch.setattr(render, "render", broken)
    PartialReports(tmp_path / "out", tmp_path, stages=2).after(1, measured=True)
    assert "the report was NOT rendered (ValueError: a template bug)" in capsys.readouterr().err


PREPARED_BENCH = (
    NEW_STAGE_BENCH
    + """

def workload_data(bench_options, rows):
    import os, time
    from pathlib import Path
    time.sleep(1.2)
    with open(Path(os.environ["TIDYING_MADE"]), "a") as made:
        made.write(f"{rows} {bench_options.probe_rows}\\n")
"""
)


def test_each_size_s_workload_data_is_made_once_before_its_first_trial_and_shown_apart(tmp_path):
    init = NEW_STAGE_INIT.replace("sizes=(3,)", "sizes=(3, 5)")
    drive = _throwaway_stage(tmp_path, "tidying", init, PREPARED_BENCH)
    command = [sys.executable, str(drive), "run", "--stage", "tidying", "--repeats", "1",
               "--results", str(tmp_path / "r")]  # fmt: skip
    env = {**os.environ, "BAKEOFF_HISTORY": str(tmp_path / "history"),
           "TIDYING_MADE": str(tmp_path / "made.txt")}  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "made.txt").read_text().splitlines() == ["3 3", "5 3"]
    assert len(re.findall(r"rows: workload data made in \d+ s", done.stdout)) == 2
    [(_, stored)] = results.load_all([tmp_path / "r"])
    made = {(r.tool, r.rows): r.data_seconds for r in stored.records}
    for rows in (3, 5):  # the first trial of the size carries the time, the second none
        assert sorted(made[t, rows] is None for t in ("baseline", "solo")) == [False, True]
        assert 1.2 <= max(made[t, rows] or 0 for t in ("baseline", "solo")) < 10
    assert "workload data made before the trials: " in done.stdout
    from reports import render

    render.render([tmp_path / "r"], tmp_path / "out")
    for page in ("report.md", "report.html"):
        text = (tmp_path / "out" / page).read_text()
        assert "went into making the workload data they read" in text, page
