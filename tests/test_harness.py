"""The runner, the results store and the command line, end to end."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports import results

pytestmark = pytest.mark.harness
ROOT = Path(__file__).resolve().parent.parent


def bakeoff(*args, cwd=ROOT, env=None):
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
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
    history = tmp_path / "history"  # earlier runs' trial times: the progress line's estimate
    history.mkdir()
    earlier = {f"validation:{tool}:2000": 5.0 for tool in ("baseline", "pandera")}
    (history / "trial-seconds.json").write_text(json.dumps(earlier))
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
        env={"BAKEOFF_HISTORY": str(history)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round 2 of at most 2" in done.stdout and "left + 1 trial never timed)" in done.stdout
    now = json.loads((history / "trial-seconds.json").read_text())
    assert now.keys() == earlier.keys() | {"validation:great_expectations:2000"}
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


def test_a_quick_run_is_a_smoke_run_kept_apart_and_labelled(tmp_path):
    done = bakeoff("run", "--stage", "validation", "--tools", "pandera,great_expectations",
                   "--quick", "--results", str(tmp_path / "r"))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warm-up" not in done.stdout and "a smoke run" in done.stdout
    [path] = list((tmp_path / "r").glob("*.json"))
    stored = results.load(path)
    assert stored.environment["smoke"] is True
    for record in stored.records:  # the checks ran; one cold round; no probes
        assert record.status == "ok" and record.correctness["recall"] == 1.0
        assert {t["rounds"] for t in record.timings.values()} == {1} and not record.features
    assert "validate_default" in stored.records[0].timings | stored.records[1].timings
    shown = bakeoff("report", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "out"))
    assert shown.returncode == 0, shown.stderr
    assert "Made from a smoke run" in (tmp_path / "out" / "report.md").read_text()


def test_a_smoke_run_times_cold_and_skips_probes_saying_why(monkeypatch):
    from benchmarks import harness, options, probes

    calls = []
    monkeypatch.setitem(harness.SMOKE, "on", True)
    harness.measure(_fake_benchmark(), "op", lambda: calls.append(1), rounds=1, warmup=1)
    assert len(calls) == 1 and harness.warmups(1) == 0  # the one call is the timed round
    smoke = options.Options((1_600,), None, (), 1, None, probe_rows=1_600, smoke=True)
    assert not probes.probes_here(smoke, 1_600)
    with pytest.raises(pytest.skip.Exception, match="not in a smoke run"):
        probes.skip_unless_probing(smoke, 1_600)


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

    # the second trial must still be running when the signal comes: Great Expectations'
    # trial takes ~12 s (baseline's took 2 s, and a 1 s wait let it finish once in CI)
    command = [sys.executable, "-m", "benchmarks.cli", "run", "--stage", "validation",
               "--tools", "pandera,great_expectations", "--rows", "2000", "--repeats", "2",
               "--results", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("[1/2 validation]"):
            first = line.split("]")[1].split(",")[0].strip()
        if line.startswith("[2/2 validation]"):  # the first trial has finished
            break
    deadline, trial = time.monotonic() + 10, []
    while not trial and time.monotonic() < deadline:
        trial = psutil.Process(process.pid).children(recursive=True)
        time.sleep(0.05)
    assert trial, "the second trial should be running"
    time.sleep(0.5)  # into the trial's start-up, well before it can finish
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    [path] = list(tmp_path.glob("*.json"))
    assert [r.tool for r in results.load(path).records] == [first]
    assert not [p for p in trial if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


FAKE_CONFTEST = f"""
import importlib.util, sys
sys.path.insert(0, {str(ROOT)!r})
spec = importlib.util.spec_from_file_location("root_conftest", {str(ROOT / "conftest.py")!r})
root = importlib.util.module_from_spec(spec)
spec.loader.exec_module(root)
pytest_addoption = root.pytest_addoption
from benchmarks.conftest import *  # the recorder fixture and the failed-check hook
"""
FAKE_BENCH = """
from benchmarks import datacache, harness, options, probes
STAGE, REPEATS = "validation", 1

def test_timed_then_checked(recorder, tool, rows):
    with harness.trial(recorder, tool, rows):
        recorder.once(tool, rows, "validate", 0.25)
    assert 1 + 1 == 3, "the validator missed injected defects"
"""


def test_a_failed_check_after_a_timing_fails_the_trial(tmp_path):
    (tmp_path / "conftest.py").write_text(FAKE_CONFTEST)
    (tmp_path / "bench_fake.py").write_text(FAKE_BENCH)
    out = tmp_path / "records.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path / "bench_fake.py"), "-q",
         "-p", "no:cacheprovider", "--tools=baseline", "--rows=10", f"--bakeoff-out={out}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    [stored] = json.loads(out.read_text())
    assert stored["status"] == "failed" and stored["timings"]["validate"]["median"] == 0.25
    assert "the validator missed injected defects" in stored["reason"]


def test_tools_run_in_a_seeded_shuffled_order_within_each_size():
    from benchmarks import runner

    tools = tuple(f"tool{i}" for i in range(8))
    plan = runner.Plan("validation", tools, (10, 20), 1)
    order = runner.trial_order(plan)
    assert [rows for rows, _ in order] == [10] * 8 + [20] * 8
    assert sorted(t for r, t in order if r == 10) == sorted(tools)
    assert [t for r, t in order if r == 10] != list(tools)
    assert order == runner.trial_order(plan)
    assert order != runner.trial_order(runner.Plan("validation", tools, (10, 20), 1, seed=1))


def test_a_user_file_is_resampled_to_each_size_and_the_record_says_so(tmp_path):
    from benchmarks import datacache, options
    from scenarios import wish

    data = tmp_path / "mine.csv"
    wish.generate(150).to_csv(data, index=False)
    opts = options.Options((), data, (), 1, None)
    for rows in (100, 1_000):
        frame = datacache.synthetic_or_user_frame(opts, rows)
        assert len(frame) == rows
        source = datacache.DATA_SOURCES[rows]
        assert source["file_rows"] == 150 and source["resampled"] and source["rows"] == rows


def test_with_data_and_no_rows_the_run_uses_the_files_own_size(tmp_path):
    from scenarios import wish

    data = tmp_path / "mine.csv"
    wish.generate(300).to_csv(data, index=False)
    done = bakeoff("run", "--stage", "validation", "--tools", "baseline", "--data", str(data),
                   "--repeats", "1", "--results", str(tmp_path / "r"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    [path] = list((tmp_path / "r").glob("*.json"))
    [stored] = results.load(path).records
    assert stored.rows == 300 and stored.data["file_rows"] == 300
    assert stored.data["resampled"] is False


def _fake_benchmark():
    from types import SimpleNamespace

    return SimpleNamespace(disabled=False, name="t", fullname="t", group=None, param=None,
                           params=None, extra_info={}, cprofile_stats=None)  # fmt: skip


def test_rounds_stop_early_when_the_spread_is_small_and_go_on_when_it_is_not(monkeypatch):
    import itertools
    import time

    from benchmarks import harness

    # a clock only the timed calls move: the test does not depend on the machine's load
    now = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])

    def takes(seconds: float) -> None:
        now[0] += seconds

    steady = _fake_benchmark()
    harness.measure(steady, "steady", takes, 0.1, rounds=10, warmup=0)
    assert steady.stats.stats.rounds == harness.MIN_ROUNDS  # no spread: stop at the minimum
    pauses = itertools.cycle((0.001, 0.03))
    noisy = _fake_benchmark()
    harness.measure(noisy, "noisy", lambda: takes(next(pauses)), rounds=6, warmup=0)
    assert noisy.stats.stats.rounds == 6  # never settles: up to the maximum
    slow = _fake_benchmark()  # two calls of seconds within 5 % of each other settle it
    harness.measure(slow, "slow", takes, harness.SLOW_ROUND_SECONDS, rounds=5, warmup=0)
    assert slow.stats.stats.rounds == harness.SLOW_MIN_ROUNDS == 2
    uneven = iter((3.0, 3.2, 3.0, 3.0, 3.0))  # 7 % apart: a third round and the usual rule
    slow_but_uneven = _fake_benchmark()
    harness.measure(slow_but_uneven, "uneven", lambda: takes(next(uneven)), rounds=5, warmup=0)
    assert slow_but_uneven.stats.stats.rounds == 3
    # 20 % apart: rounds go on until they have taken the budget (asv's max_time), after two
    for pause, expected in ((30.0, 2), (10.0, 2), (3.0, 7)):
        long_and_noisy = itertools.cycle((pause, pause * 1.2))
        noisy_slow = _fake_benchmark()
        harness.measure(noisy_slow, "noisy slow", lambda c=long_and_noisy: takes(next(c)),
                        rounds=10, warmup=0)  # fmt: skip
        assert noisy_slow.stats.stats.rounds == expected
        assert sum(noisy_slow.stats.stats.data) >= harness.ROUND_BUDGET_SECONDS


def test_the_warm_up_is_timed_apart_stored_as_the_first_call_and_counted_as_measured(
    monkeypatch, tmp_path
):
    import time

    from benchmarks import harness

    now = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    monkeypatch.setitem(harness.MEASURED, "seconds", 0.0)
    monkeypatch.setitem(harness.CHECKS, "seconds", 0.0)
    calls = iter((5.0, 1.0, 1.0, 1.0))  # a slow first call, then steady rounds

    def takes() -> None:
        now[0] += next(calls)

    benchmark = _fake_benchmark()
    with harness.counting_checks():
        harness.measure(benchmark, "op", takes, rounds=3, warmup=1)
    recorder = harness.Recorder("validation", None)
    recorder.timing("baseline", 100, "op", benchmark)
    timing = recorder.record("baseline", 100).timings["op"]
    assert timing["median"] == 1.0 and timing["rounds"] == 3  # the rounds alone
    assert timing["first_call"] == 5.0  # the warm-up, kept apart
    assert harness.MEASURED["seconds"] == 8.0 and harness.CHECKS["seconds"] == 0.0


def test_a_first_call_the_test_timed_itself_replaces_the_warm_up(monkeypatch):
    import time

    from benchmarks import harness

    now = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    calls = []

    def takes() -> None:
        calls.append(now[0])
        now[0] += 1.0

    benchmark = _fake_benchmark()
    harness.measure(benchmark, "op", takes, rounds=3, warmup=0, first_call=4.0)
    recorder = harness.Recorder("monitoring", None)
    recorder.timing("baseline", 100, "op", benchmark)
    timing = recorder.record("baseline", 100).timings["op"]
    assert len(calls) == 3 and timing["rounds"] == 3  # no warm-up call of its own
    assert timing["first_call"] == 4.0


def test_a_load_test_counts_as_measured_time_but_not_as_memory_while_measured(monkeypatch, capsys):
    import time

    from benchmarks import harness

    now = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    monkeypatch.setitem(harness.MEASURED, "seconds", 0.0)
    with harness.measuring(memory=False):
        now[0] += 2.0
        with harness.measuring():  # a measured operation inside it is charged as ever
            now[0] += 1.0
    phases = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[phase]")]
    assert phases == [harness.PHASE_MEASURING, harness.PHASE_IDLE]
    assert harness.MEASURED["seconds"] == 3.0
    with harness.measuring(memory=False):
        now[0] += 1.0
    assert "[phase]" not in capsys.readouterr().err
    assert harness.MEASURED["seconds"] == 4.0 and harness.MEASURED["memory"] == 0


def test_the_clock_estimates_from_earlier_runs_and_leaves_out_what_exceeds_the_budget(tmp_path):
    from benchmarks.clock import Clock

    earlier = Clock(folder=tmp_path)
    earlier.finished("validation", "pandera", 1_000, 10.0)
    clock = Clock(budget=60, folder=tmp_path)  # a new run reads the history
    assert clock.estimate("validation", "pandera", 1_000) == 10.0
    assert clock.estimate("validation", "pandera", 10_000) == 100.0  # scaled by rows
    assert clock.estimate("validation", "pandera", 1_000_000) is None  # too far to scale
    assert clock.estimate("validation", "baseline", 1_000) is None
    assert clock.fits("validation", "pandera", 1_000) is None
    assert "left out to fit --budget 1 min 00 s" in clock.fits("validation", "pandera", 10_000)
    assert clock.remaining([("validation", "pandera", 1_000), ("validation", "x", 1)]) == (
        "about 10 s left + 1 trial never timed"
    )


def test_the_clock_extrapolates_a_size_it_never_timed_from_what_grows_with_rows(tmp_path):
    from benchmarks.clock import Clock

    earlier = Clock(folder=tmp_path)
    for tool, small, middle, large in (("gx", 10.0, 20.0, None), ("baseline", 4.0, 5.0, 14.0)):
        earlier.finished("validation", tool, 1_000, small)
        earlier.finished("validation", tool, 100_000, middle)
        if large:
            earlier.finished("validation", tool, 1_000_000, large)
    earlier.finished("monitoring", "evidently", 1_000, 3.0)
    clock = Clock(folder=tmp_path)
    # two sizes: along their line (10 s more per 99,000 rows), not 200 s in proportion
    assert clock.estimate("validation", "gx", 1_000_000) == pytest.approx(20 + 10 / 99_000 * 9e5)
    # one size: as much as the stage's other tools grew between those sizes (5/4)
    earlier.finished("monitoring", "other", 1_000, 2.0)
    earlier.finished("monitoring", "other", 100_000, 2.5)
    assert Clock(folder=tmp_path).estimate("monitoring", "evidently", 100_000) == 3.75


def test_a_bad_budget_is_refused_in_one_sentence(tmp_path):
    done = bakeoff("run", "--stage", "validation", "--budget", "soon", "--results", str(tmp_path))
    assert done.returncode == 2 and "write e.g. 20m" in done.stderr
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())


def test_a_set_up_tool_names_its_registered_tools_version():
    from benchmarks import runner

    versions = runner._versions({"validation": ("pandera+spark", "baseline+pandas")})
    assert versions["validation.pandera+spark"].startswith("pandera ")


def test_a_stopped_trial_leaves_no_server_it_started_in_its_own_session(tmp_path):
    import psutil

    from benchmarks import runner

    pid_file = tmp_path / "server.pid"
    script = ("import subprocess, time\n"
              "server = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
              f"open({str(pid_file)!r}, 'w').write(str(server.pid))\n"
              "time.sleep(300)\n")  # fmt: skip
    outcome = runner._supervise([sys.executable, "-c", script], 3.0, lambda line: None)
    assert outcome.timed_out
    server = int(pid_file.read_text())
    assert not psutil.pid_exists(server) or psutil.Process(server).status() == "zombie"


def test_a_spark_jvm_error_says_why_not_only_which_call():
    from adapters.base import AdapterError

    cause = RuntimeError(
        "An error occurred while calling o221.count.\n"
        ": org.apache.spark.SparkException: Job aborted due to stage failure: "
        + "x"
        * 500
        + " (executor driver): java.lang.OutOfMemoryError: Java heap space\n"
        "\tat org.apache.spark.Something(Something.scala:1)"
    )
    message = str(AdapterError("validation", "pandera+spark", "validate", cause))
    assert message.startswith("validation.pandera+spark failed in validate: An error occurred")
    assert "SparkException" in message and message.endswith(
        "java.lang.OutOfMemoryError: Java heap space"
    )
    plain = AdapterError("tracking", "mlflow", "log", ValueError("bad\nsecond"))
    assert str(plain) == "tracking.mlflow failed in log: bad"


def test_feature_probes_run_at_the_probe_size_only_when_one_is_given():
    from benchmarks.options import Options
    from benchmarks.probes import probes_here

    every = Options((1_600, 1_000_000), None, (), 3, None)
    once = Options((1_600, 1_000_000), None, (), 3, None, probe_rows=1_600)
    assert probes_here(every, 1_000_000) and probes_here(every, 1_600)
    assert probes_here(once, 1_600) and not probes_here(once, 1_000_000)


def test_a_cached_workload_folder_is_built_once_and_follows_its_code(tmp_path, monkeypatch):
    from benchmarks.datacache import cached_folder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = tmp_path / "maker.py"
    code.write_text("v1")
    built = []

    def build(folder):
        built.append(folder)
        (folder / "data.csv").write_text("a\n1\n")

    first = cached_folder("history-10-2", (str(code),), build)
    again = cached_folder("history-10-2", (str(code),), build)
    assert first == again and len(built) == 1 and (first / "data.csv").read_text() == "a\n1\n"
    code.write_text("v2")  # the code that makes the files changed: built anew
    assert cached_folder("history-10-2", (str(code),), build) != first and len(built) == 2
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no scratch left


def test_forked_map_keeps_order_and_uses_other_processes():
    from benchmarks.forked import forked_map

    answers = forked_map(lambda n: (n * n, os.getpid()), range(7), processes=3)
    assert [square for square, _ in answers] == [n * n for n in range(7)]
    assert len({pid for _, pid in answers}) == 3  # the parent and two children
    assert forked_map(lambda n: os.getpid(), [1, 2], processes=1) == [os.getpid()] * 2


def test_a_forked_workers_error_is_raised_in_the_parent_with_its_traceback():
    import psutil

    from benchmarks.forked import WORKER_NAME, ChildError, forked_map

    def odd_fails(n):
        if n % 2:
            raise KeyError(f"item {n}")
        return n

    with pytest.raises(KeyError, match="item 1") as raised:
        forked_map(odd_fails, range(4), processes=2)
    assert isinstance(raised.value.__cause__, ChildError)
    assert "odd_fails" in str(raised.value.__cause__)  # the child's own traceback

    def unpicklable(n):
        if n:
            raise ValueError(lambda: n)  # an error that cannot be sent back as itself

    with pytest.raises(ChildError, match="ValueError"):
        forked_map(unpicklable, [0, 1], processes=2)
    with pytest.raises(ChildError, match="exited with 3 and no answer"):
        forked_map(lambda n: os._exit(3) if n else n, [0, 1], processes=2)
    workers = [c for c in psutil.Process().children() if c.name() == WORKER_NAME]
    assert not workers  # every worker was waited for: none is left, not even a zombie


def test_a_forked_worker_is_named_and_left_out_of_the_trials_memory():
    from adapters.processes import tree
    from benchmarks.forked import WORKER_NAME, forked_map, without_workers

    def seen(_):
        kept = {member.pid for member in without_workers(tree(os.getppid()))}
        name = Path("/proc/self/comm").read_text().strip()
        return name, os.getpid() in kept, os.getppid() in kept

    ours, worker = forked_map(seen, [0, 1], processes=2)
    assert worker == (WORKER_NAME, False, True)  # the worker is left out, the trial is not
    assert ours[0] != WORKER_NAME


def test_a_cached_pickle_is_made_once_and_follows_its_code(tmp_path, monkeypatch):
    import pandas as pd

    from benchmarks.datacache import cached_pickle

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = tmp_path / "maker.py"
    code.write_text("v1")
    made = []

    def make():
        made.append(1)
        return pd.DataFrame({"a": [1, 2], "b": ["x", None]})

    first = cached_pickle("clean-2", (str(code),), make)
    again = cached_pickle("clean-2", (str(code),), make)
    pd.testing.assert_frame_equal(first, again)
    assert len(made) == 1
    code.write_text("v2")  # the code that makes the frame changed: made anew
    cached_pickle("clean-2", (str(code),), make)
    assert len(made) == 2


def test_a_cached_column_subset_equals_those_columns_of_the_whole_frame(tmp_path, monkeypatch):
    import pandas as pd

    from benchmarks.datacache import cached_synthetic

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    columns = ("price", "origin_country", "rating")
    subset = cached_synthetic(300, seed=3, columns=columns)
    assert list(subset.columns) == list(columns)
    pd.testing.assert_frame_equal(subset, cached_synthetic(300, seed=3)[list(columns)])
    assert len(list((tmp_path / "cache" / "bakeoff" / "data").glob("*.pkl"))) == 2


def test_every_stage_s_workload_data_is_made_in_advance_and_read_back_by_its_trial(tmp_path):
    """``python -m benchmarks.prepare`` for each stage that caches data: it exits 0 and
    fills the cache; a trial after it makes nothing new (it reads what was made)."""
    from benchmarks import runner

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    data = tmp_path / "cache" / "bakeoff" / "data"
    for stage in ("validation", "versioning", "monitoring"):
        bench = runner.bench_file(stage)
        assert "def workload_data(" in bench.read_text(), stage
        done = subprocess.run([sys.executable, "-m", "benchmarks.prepare", "--bench", str(bench),
                               "--rows", "1600", "--probe-rows", "1600"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in data.iterdir())
    assert any(n.startswith("wish-clean-1600-") for n in made)
    assert any(n.startswith("history-1600-") for n in made)
    assert sum(n.startswith("wish-3200-seed") for n in made) == 20  # the 20 seeds' pairs
    trial = [sys.executable, "-m", "pytest", str(runner.bench_file("validation")), "-m",
             "validation", "-q", "-p", "no:cacheprovider", "--tools=baseline", "--rows=1600",
             "--repeats=1", "--benchmark-disable"]  # fmt: skip
    done = subprocess.run(trial, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in data.iterdir()) == made


def test_a_tool_failing_in_setup_with_its_own_error_xfails_the_tests_that_need_it(
    monkeypatch, open_tool
):
    """``open_tool``: a set-up that fails with the tool's own error (ToolFailed) xfails with
    its words; any other set-up error stays an error of the test."""
    from adapters import base as adapters_base
    from adapters import registry

    class Failing(adapters_base.Adapter):
        stage, name = "cicd", "failing"
        error: Exception = adapters_base.ToolFailed("the server logged: KeyError: 'x'")

        def setup(self) -> None:
            raise self.error

    monkeypatch.setattr(registry, "missing", lambda stage, tool: "")
    monkeypatch.setattr(registry, "load", lambda stage, tool: Failing)
    own = r"own failure.*the server logged: KeyError"
    with pytest.raises(pytest.xfail.Exception, match=own), open_tool("cicd", "failing"):
        pass
    Failing.error = RuntimeError("a bakeoff bug")
    with (
        pytest.raises(adapters_base.AdapterError, match="a bakeoff bug"),
        open_tool("cicd", "failing"),
    ):
        pass


def test_the_tools_errors_bakeoff_read_past_go_with_the_trials_record():
    """``opened`` records ``errors_read_past`` with the trial (the report lists them as the
    tool's errors), beside any the stage recorded itself."""
    from adapters import base as adapters_base
    from benchmarks import harness
    from reports.results import TOOL_ERRORS

    class ReadPast(adapters_base.Adapter):
        stage, name = "cicd", "buildbot"

        def errors_read_past(self) -> list[list]:
            return [["REST read", "the answer ended early", 2]]

    recorder = harness.Recorder("cicd", None)
    recorder.record("buildbot", 400).details[TOOL_ERRORS] = [["run", "the stage's own", 1]]
    with harness.opened(recorder, ReadPast(), 400):
        pass
    assert recorder.record("buildbot", 400).details[TOOL_ERRORS] == [
        ["run", "the stage's own", 1],
        ["REST read", "the answer ended early", 2],
    ]
