"""Orchestration stage: the sales pipeline, no-op chains, fan-out and faults, per tool."""

from __future__ import annotations

import collections
import math
import statistics
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import AdapterError
from benchmarks import datacache, harness, probes
from benchmarks.user_code import code_lines
from reports.results import TOOL_ERRORS, stats
from scenarios import model, pipeline, wish

STAGE = "orchestration"
REPEATS = 5
CHAIN_ROUNDS = 3  # the 10-task chain's rounds: its spread is the per-task figure's
# a 50-task chain under Airflow's scheduler takes two minutes a round: timed once, the
# check that the per-task cost holds on a longer chain (6 minutes of one tool's 11 before)
LONG_CHAIN_ROUNDS = 1
TEAM_ROWS = 1_600  # every run's input: the stage's default size
TEAM_ROUNDS = 3  # bursts per size (1 with --quick, 1 from TEAM_ONE_ROUND_RUNS on)
TEAM_ONE_ROUND_RUNS = 10
FANOUT = "fanout-100"

pytestmark = pytest.mark.orchestration


@pytest.fixture(scope="module")
def data(bench_options, rows, tmp_path_factory) -> Path:
    frame = datacache.synthetic_or_user_frame(bench_options, rows)
    return wish.write_csv(frame, tmp_path_factory.mktemp("data") / "input.csv")


@pytest.fixture(scope="module")
def expected(data, tmp_path_factory):
    """Best configuration and test predictions of the steps run in order, without a tool."""
    return pipeline.reference_outputs(data, tmp_path_factory.mktemp("direct"))


@pytest.fixture(scope="module")
def timed_runs() -> dict:
    """(tool, rows) -> the timed sales runs of ``test_pipeline``, for the later tests."""
    return {}


@pytest.fixture(scope="module")
def orchestrator(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        yield adapter


def _timed_runs(benchmark, orchestrator, label: str, rounds: int, warmup: int, *args, **kwargs):
    """Time ``orchestrator.run``; each run's outputs are read the moment it returns (the
    contract: a finished run's outputs are on disk), or None when it did not succeed."""
    results = []

    def run():
        result = orchestrator.run(*args, **kwargs)
        results.append((result, _on_disk(result)))

    harness.measure(benchmark, label, run, rounds=rounds, warmup=warmup)
    return results[warmup:]


def _on_disk(result):
    """(best configuration, predictions) of a successful sales run whose outputs, the
    final model included, are on disk; None otherwise."""
    files = (result.run_dir / pipeline.PREDICTIONS, result.run_dir / pipeline.FINAL_MODEL)
    if result.pipeline != "sales" or result.state != "success":
        return None
    return pipeline.outputs(result.run_dir) if all(f.is_file() for f in files) else None


def test_pipeline(
    benchmark, orchestrator, data, expected, recorder, bench_options, timed_runs, tool, rows
):
    with harness.trial(recorder, tool, rows) as record:
        record.user_code = {
            label: code_lines(text) for label, text in orchestrator.user_code().items()
        }
        timed = _timed_runs(
            benchmark,
            orchestrator,
            f"{tool} sales pipeline",
            bench_options.repeats,
            harness.warmups(1),
            "sales",
            data,
        )
        recorder.timing(tool, rows, "pipeline", benchmark)
        runs, outputs = [r for r, _ in timed], [o for _, o in timed]
        timed_runs[(tool, rows)] = runs
        record.timings["pipeline CPU"] = stats([r.usage.cpu_seconds for r in runs])
        failed = [r.outcome.error for r in runs if r.state != "success"]
        assert not failed, f"the pipeline failed: {failed[0]}"
        assert None not in outputs, "a run returned before its outputs were on disk"
        record.correctness.update(
            {
                "same best configuration": float(all(o[0] == expected[0] for o in outputs)),
                "identical test predictions": float(all(o[1] == expected[1] for o in outputs)),
            }
        )
        record.details.setdefault("tables", []).append(_cost_table(runs, orchestrator))
        record.details["best configuration"] = outputs[0][0]


@pytest.mark.parametrize("length", (10, 50))
def test_chain(benchmark, orchestrator, data, recorder, bench_options, tool, rows, length):
    if length == 50:
        probes.skip_in_smoke(bench_options, "the 50-task chain")
    with harness.trial(recorder, tool, rows) as record:
        runs = [
            run
            for run, _ in _timed_runs(
                benchmark,
                orchestrator,
                f"{tool} chain of {length} no-op tasks",
                min(CHAIN_ROUNDS if length == 10 else LONG_CHAIN_ROUNDS, bench_options.repeats),
                0,
                f"chain-{length}",
                data,
            )
        ]
        assert all(r.state == "success" and len(r.outcome.steps) == length for r in runs)
        per_task = {
            k: v / length if k != "rounds" else v
            for k, v in stats([r.usage.wall_seconds for r in runs]).items()
        }
        record.timings[f"per task (chain of {length})"] = per_task


def test_fanout(orchestrator, data, recorder, timed_runs, bench_options, tool, rows):
    probes.skip_in_smoke(bench_options, "the sequential run and the fan-out probe")
    with harness.trial(recorder, tool, rows) as record:
        # the last timed run of test_pipeline shows whether branches overlapped; a run of
        # its own only when that test did not get that far
        earlier = [r for r in timed_runs.get((tool, rows), []) if r.state == "success"]
        parallel = earlier[-1] if earlier else orchestrator.run("sales", data)
        with harness.measuring():
            sequential = orchestrator.run("sales", data, parallel=False)
        assert sequential.state == "success", sequential.outcome.error
        assert (sequential.run_dir / pipeline.PREDICTIONS).is_file()
        recorder.once(tool, rows, "sequential pipeline", sequential.usage.wall_seconds)
        # the timed rounds of test_pipeline are a steadier parallel figure than one run
        parallel_wall = record.timings.get("pipeline", {}).get(
            "median", parallel.usage.wall_seconds
        )
        speedup = sequential.usage.wall_seconds / parallel_wall
        record.measures["fan-out speed-up"] = speedup
        probes.record_probe(
            record,
            "parallel fan-out",
            lambda: _overlapping_branches(parallel, sequential.usage.wall_seconds, parallel_wall),
        )


def _overlapping_branches(parallel, sequential_wall: float, parallel_wall: float) -> str:
    overlap = parallel.concurrency()
    seen = (
        f"{overlap} of {len(model.CONFIGS)} training tasks overlapped in time; sequential "
        f"{sequential_wall:.1f} s vs parallel {parallel_wall:.1f} s "
        f"(speed-up {sequential_wall / parallel_wall:.2f}x on this machine)"
    )
    if overlap <= 1:
        raise probes.Absent(seen)
    return seen


def test_faults(orchestrator, data, expected, recorder, bench_options, tool, rows):
    probes.skip_unless_probing(bench_options, rows)
    with harness.trial(recorder, tool, rows) as record:
        failed = orchestrator.run("sales", data, faults={"train": "once", "evaluate": "always"})
        probes.record_probe(record, "retry", lambda: _retried(failed))
        probes.record_probe(record, "failure reported", lambda: _failure_reported(failed))
        probes.record_probe(record, "resume", lambda: _resumed(orchestrator, failed, expected))
        probes.record_probe(record, "UI reachable", lambda: _ui(orchestrator))


def _ui(orchestrator) -> str:
    from adapters.servers import http_status

    url = orchestrator.ui_url()
    status = http_status(url)
    if status != 200:
        raise probes.Absent(f"GET {url} -> HTTP {status}")
    return f"GET {url} -> HTTP {status}"


def _retried(failed) -> str:
    seen = f"a training task that failed once: {failed.retried()} step(s) succeeded on a retry"
    if failed.retried() < 1:
        raise probes.Absent(seen)
    return seen


def _failure_reported(failed) -> str:
    seen = (
        f"run state {failed.state!r} after {failed.usage.wall_seconds:.1f} s; "
        f"error shown: {failed.outcome.error[:120]!r}"
    )
    if failed.state != "failed" or "injected permanent failure" not in failed.outcome.error:
        raise probes.Absent(seen)
    return seen


def _resumed(orchestrator, failed, expected) -> str:
    resumed = orchestrator.resume(failed)
    rerun = [s.name for s in resumed.outcome.steps if s.state != "reused"]
    same = resumed.state == "success" and pipeline.outputs(resumed.run_dir) == expected
    seen = (
        f"{resumed.count('reused')} finished steps reused, re-ran {', '.join(rerun)}; "
        f"state {resumed.state!r} in {resumed.usage.wall_seconds:.1f} s; "
        f"predictions identical: {same}"
    )
    if not (same and resumed.count("reused") > 0):
        raise probes.Absent(seen)
    return seen


def _cost_table(runs, orchestrator) -> dict:
    usage = [r.usage for r in runs]
    rows = [
        ["wall time (s)", statistics.median(u.wall_seconds for u in usage)],
        ["CPU time (s)", statistics.median(u.cpu_seconds for u in usage)],
        ["peak PSS of the tool's processes (MB)", max(u.peak_pss_mb for u in usage)],
        ["peak RSS of the tool's processes (MB)", max(u.peak_rss_mb for u in usage)],
        ["training tasks overlapping", runs[-1].concurrency()],
    ]
    idle = getattr(orchestrator, "idle_memory_mb", None)
    if idle:
        rows += [["idle servers PSS (MB)", idle[0]], ["idle servers RSS (MB)", idle[1]]]
    return {
        "title": "One sales-pipeline run (median over rounds; memory: peak)",
        "columns": ["measure", "value"],
        "rows": rows,
    }


@pytest.fixture(scope="module")
def team_data(bench_options, tmp_path_factory) -> Path:
    frame = datacache.synthetic_or_user_frame(bench_options, TEAM_ROWS)
    return wish.write_csv(frame, tmp_path_factory.mktemp("data") / "input.csv")


@pytest.fixture(scope="module")
def team_expected(team_data, tmp_path_factory):
    """The outputs of one run without a tool: every run of a burst must match them."""
    return pipeline.reference_outputs(team_data, tmp_path_factory.mktemp("direct"))


@pytest.fixture(scope="module")
def team_orchestrator(tool, rows, recorder):
    """The tool in its team set-up (set-up timed, steps recorded), closed afterwards."""
    from adapters.orchestration import team

    with harness.opened(recorder, team.load(tool)(), rows, tool) as adapter:
        yield adapter


def _team_rounds(bench_options, rows: int = 1) -> int:
    """Bursts per size: one with --quick, and one at 10 runs together, where a burst takes
    minutes on 2 cores (Metaflow's 10 runs of 8 workers each: about 8); the report shows
    such a timing as measured once."""
    if bench_options.repeats < REPEATS or rows >= TEAM_ONE_ROUND_RUNS:
        return 1
    return TEAM_ROUNDS


@pytest.mark.setup("team")
def test_team_runs(
    team_orchestrator, team_data, team_expected, recorder, bench_options, tool, rows
):
    with harness.trial(recorder, tool, rows) as record:
        record.user_code = {
            label: code_lines(text) for label, text in team_orchestrator.user_code().items()
        }
        record.data = dict(datacache.DATA_SOURCES.get(TEAM_ROWS, {}))
        idle = team_orchestrator.idle_components_mb()
        rounds = _team_rounds(bench_options, rows)
        with harness.measuring():
            harness.progress(f"{tool}: warm-up, one run")
            team_orchestrator.run_together("sales", team_data, 1)
            bursts = []
            for number in range(1, rounds + 1):
                harness.progress(f"{tool}: {rows} runs together, round {number}/{rounds}")
                bursts.append(team_orchestrator.run_together("sales", team_data, rows))
        runs = [run for burst in bursts for run in burst.runs]
        outputs = [_on_disk_team(run) for run in runs]
        finished = [o for r, o in zip(runs, outputs, strict=True) if r.outcome.state == "success"]
        assert None not in finished, "a run was reported finished before its outputs were on disk"
        record.timings["concurrent runs"] = stats([burst.makespan for burst in bursts])
        record.measures.update(_load_measures(bursts, "sales"))
        record.measures.update(_memory_measures(bursts, idle))
        record.correctness["same outputs as a single run"] = sum(
            o == team_expected for o in outputs
        ) / len(outputs)
        record.details.setdefault("tables", []).append(_memory_table(bursts, idle))
        seen = collections.Counter(r.outcome.error for r in runs if r.outcome.error)
        record.details[TOOL_ERRORS] = [["run", words, n] for words, n in sorted(seen.items())]


@pytest.mark.setup("team")
def test_team_fanout(team_orchestrator, team_data, recorder, bench_options, tool, rows):
    if rows != 1:
        pytest.skip("the wide fan-out is measured once per tool, with 1 run")
    if FANOUT not in team_orchestrator.pipelines:
        pytest.skip(f"{tool} has no {FANOUT} pipeline")
    with harness.trial(recorder, tool, rows) as record:
        bursts, rounds = [], max(1, _team_rounds(bench_options) - 1)
        with harness.measuring():
            for number in range(1, rounds + 1):
                harness.progress(f"{tool}: one run of {FANOUT}, round {number}/{rounds}")
                try:
                    bursts.append(team_orchestrator.run_together(FANOUT, team_data, 1))
                except AdapterError as error:  # counted, and the runs above still stand
                    record.details["fan-out failed"] = str(error)
                    record.correctness["fan-out tasks succeeded"] = 0.0
                    return
        record.timings["fan-out of 100 tasks"] = stats([burst.makespan for burst in bursts])
        measures = _load_measures(bursts, FANOUT)
        record.measures.update({f"fanout_{key}": value for key, value in measures.items()})
        steps = [step for burst in bursts for run in burst.runs for step in run.outcome.steps]
        fanned = [step for step in steps if step.name.split("[")[0] == "fan"]
        record.correctness["fan-out tasks succeeded"] = sum(
            s.state == "success" for s in fanned
        ) / (100 * len(bursts))


def _on_disk_team(run):
    """(best configuration, predictions) of a run whose outputs are on disk, else None."""
    files = (run.run_dir / pipeline.PREDICTIONS, run.run_dir / pipeline.FINAL_MODEL)
    return pipeline.outputs(run.run_dir) if all(f.is_file() for f in files) else None


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _load_measures(bursts, name: str) -> dict[str, float]:
    runs = [run for burst in bursts for run in burst.runs]
    steps = [step for run in runs for step in run.outcome.steps]
    delays = [d for run in runs for d in run.start_delays(name)]
    done = [sum(s.state == "success" for r in b.runs for s in r.outcome.steps) for b in bursts]
    measures = {
        "tasks_per_second": statistics.median(
            n / burst.makespan for n, burst in zip(done, bursts, strict=True)
        ),
        "start_delay_p50_ms": 1000 * percentile(delays, 0.5),
        "start_delay_p99_ms": 1000 * percentile(delays, 0.99),
        "run_seconds_p50": statistics.median(r.ended - r.triggered for r in runs),
        "failed_runs": sum(r.outcome.state != "success" for r in runs),
        "failed_tasks": sum(s.state == "failed" for s in steps),
        "retried_tasks": sum(s.attempts > 1 for s in steps),
    }
    queued = [d for run in runs for d in run.queue_delays]
    if queued:  # Airflow's own record: queued (sent to the executor) -> running
        measures["queued_to_start_p50_ms"] = 1000 * percentile(queued, 0.5)
        measures["queued_to_start_p99_ms"] = 1000 * percentile(queued, 0.99)
    return measures


def _memory_measures(bursts, idle) -> dict[str, float]:
    """Peak PSS per component while the runs ran (shared pages of forked workers counted
    once), and the whole control plane's memory with no run going."""
    idle_pss, idle_rss = idle
    peaks = {
        f"{name}_pss_mb": max(burst.peak_pss_mb.get(name, 0.0) for burst in bursts)
        for name in bursts[0].peak_pss_mb
    }
    return {
        **peaks,
        "control_plane_idle_pss_mb": sum(idle_pss.values()),
        "control_plane_idle_rss_mb": sum(idle_rss.values()),
    }


def _memory_table(bursts, idle) -> dict:
    idle_pss, idle_rss = idle
    rows = [
        [
            name,
            idle_rss.get(name, 0.0),
            idle_pss.get(name, 0.0),
            max(b.peak_rss_mb.get(name, 0.0) for b in bursts),
            max(b.peak_pss_mb.get(name, 0.0) for b in bursts),
        ]
        for name in bursts[0].peak_rss_mb
    ]
    return {
        "title": "Memory by component, MB (idle: set up, no run; peak: while the runs ran, "
        "tasks included)",
        "columns": ["component", "idle RSS", "idle PSS", "peak RSS", "peak PSS"],
        "rows": rows,
    }
