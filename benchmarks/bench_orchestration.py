"""Orchestration stage: the sales pipeline, no-op chains, fan-out and faults, per tool."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from adapters import registry
from benchmarks import harness
from reports.results import stats
from scenarios import model, pipeline, wish

STAGE = "orchestration"
SIZES = (1_600,)
QUICK_SIZES = (1_600,)
REPEATS = 5
CHAIN_ROUNDS = 3  # a 50-task chain under a scheduler takes a minute a round

pytestmark = pytest.mark.orchestration


@pytest.fixture(scope="module")
def data(bench_options, rows, tmp_path_factory) -> Path:
    frame = harness.synthetic_or_user_frame(bench_options, rows)
    return wish.write_csv(frame, tmp_path_factory.mktemp("data") / "input.csv")


@pytest.fixture(scope="module")
def expected(data, tmp_path_factory):
    """Best configuration and test predictions of the steps run in order, without a tool."""
    return pipeline.reference_outputs(data, tmp_path_factory.mktemp("direct"))


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


def test_pipeline(benchmark, orchestrator, data, expected, recorder, bench_options, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        record.user_code = {
            label: harness.code_lines(text) for label, text in orchestrator.user_code().items()
        }
        timed = _timed_runs(
            benchmark,
            orchestrator,
            f"{tool} sales pipeline",
            bench_options.repeats,
            1,
            "sales",
            data,
        )
        recorder.timing(tool, rows, "pipeline", benchmark)
        runs, outputs = [r for r, _ in timed], [o for _, o in timed]
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
    if length == 50 and bench_options.repeats < REPEATS:
        pytest.skip("the 50-task chain runs in the full benchmark only (not with --quick)")
    with harness.trial(recorder, tool, rows) as record:
        runs = [
            run
            for run, _ in _timed_runs(
                benchmark,
                orchestrator,
                f"{tool} chain of {length} no-op tasks",
                min(CHAIN_ROUNDS, bench_options.repeats),
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


def test_fanout(orchestrator, data, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        parallel = orchestrator.run("sales", data)
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
        harness.record_probe(
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
        raise harness.Absent(seen)
    return seen


def test_faults(orchestrator, data, expected, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        failed = orchestrator.run("sales", data, faults={"train": "once", "evaluate": "always"})
        harness.record_probe(record, "retry", lambda: _retried(failed))
        harness.record_probe(record, "failure reported", lambda: _failure_reported(failed))
        harness.record_probe(record, "resume", lambda: _resumed(orchestrator, failed, expected))


def _retried(failed) -> str:
    seen = f"a training task that failed once: {failed.retried()} step(s) succeeded on a retry"
    if failed.retried() < 1:
        raise harness.Absent(seen)
    return seen


def _failure_reported(failed) -> str:
    seen = (
        f"run state {failed.state!r} after {failed.usage.wall_seconds:.1f} s; "
        f"error shown: {failed.outcome.error[:120]!r}"
    )
    if failed.state != "failed" or "injected permanent failure" not in failed.outcome.error:
        raise harness.Absent(seen)
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
        raise harness.Absent(seen)
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
