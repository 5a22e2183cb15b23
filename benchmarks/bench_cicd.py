"""CI/CD stage: the same pipeline run by each CI system on the generated repository.

Timed: a pipeline run from the trigger to the verdict, cold (the first run on a fresh
repository and empty tool caches) and warm (later runs), and a failing run (a pushed
lint defect). Judged the same way for every system, from the repository's job log:
whether the matrix jobs overlapped, whether a failed job blocked the later ones, and the
recall of each system's own config checker on injected config defects. Last, untimed:
the feature probes (branch filter, cache, artefact upload, secrets, schedule, retry),
each a small config of the system's own run on the repository and judged in
``benchmarks/cicd_probes.py``.
"""

from __future__ import annotations

import time

import pytest

from adapters import registry
from adapters.base import NotSupported
from adapters.cicd import base, repo
from benchmarks import cicd_probes, harness, probes
from benchmarks.user_code import code_lines

STAGE = "cicd"
REPEATS = 3

pytestmark = pytest.mark.cicd


@pytest.fixture(scope="module")
def runner(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(rows=rows), rows) as adapter:
        yield adapter


def _passing_run(runner):
    runner.repo.clear_artefacts()
    run = runner.run_pipeline()
    last = run.output.strip().splitlines()[-3:]
    assert run.returncode == 0, (
        f"the pipeline failed on the clean repository (job {run.failed_job}): {' | '.join(last)}"
    )
    return run


def test_pipeline(benchmark, runner, recorder, bench_options, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        record.user_code = {path: code_lines(text) for path, text in runner.config_files().items()}
        started = time.perf_counter()
        with harness.measuring():
            cold = _passing_run(runner)
        recorder.once(tool, rows, "pipeline_cold", time.perf_counter() - started)
        jobs = runner.repo.jobs()
        # the cold run warmed the caches: no extra warm-up round
        harness.measure(benchmark, "pipeline_warm", _passing_run, runner,
                        rounds=bench_options.repeats, warmup=0)  # fmt: skip
        recorder.timing(tool, rows, "pipeline_warm", benchmark)
        record.measures["pipeline_cold_reported_s"] = round(cold.seconds, 3)
        for process, megabytes in runner.servers_rss_mb().items():
            record.measures[f"{process}_rss_mb"] = round(megabytes, 1)
        record.details["tables"] = [jobs_table("Jobs of the cold run", jobs)]
        probes.record_probe(record, "matrix jobs run in parallel",
                             lambda: matrix_overlap(runner.repo.jobs()))  # fmt: skip
    assert sorted(job.name for job in jobs) == sorted(repo.JOBS)
    assert runner.repo.models() == sorted(repo.CONFIGS)


def test_failure_handling(runner, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        runner.repo.clear_artefacts()
        runner.repo.push_lint_defect()
        started = time.perf_counter()
        with harness.measuring():
            failed = runner.run_pipeline()
        recorder.once(tool, rows, "pipeline_failing", time.perf_counter() - started)
        jobs = runner.repo.jobs()
        runner.repo.revert_head()
        probes.record_probe(record, "required-check gating (a failed job blocks the later ones)",
                             lambda: blocked(jobs))  # fmt: skip
        probes.record_probe(record, "names the failed job", lambda: named(failed))
        record.measures["failing_run_exit_code"] = failed.returncode
    assert failed.returncode != 0, "a failing lint job gave a passing verdict"
    assert [job.name for job in jobs] == ["lint"], "jobs after the failed lint job ran"
    assert failed.failed_job == "lint"


def test_config_checks(runner, recorder, tool, rows):
    defects = runner.defective_configs()
    if not defects:
        pytest.skip(f"{tool} has no checker of its pipeline config")
    with harness.trial(recorder, tool, rows) as record:
        variants = [files for kind in defects.values() for files in kind]
        try:
            clean_findings, *found = runner.check_configs([runner.config_files(), *variants])
        except NotSupported as error:
            record.details["config_check"] = str(error)
            pytest.skip(str(error))
        rows_out, caught_total = [], 0
        for kind, kind_variants in defects.items():
            caught = sum(1 for findings in found[: len(kind_variants)] if findings)
            found = found[len(kind_variants) :]
            rows_out.append([kind, len(kind_variants), caught, caught / len(kind_variants)])
            caught_total += caught
        record.correctness = {
            "config_defect_recall": caught_total / len(variants),
            "config_defects_injected": len(variants),
            "clean_config_findings": len(clean_findings),
        }
        record.details.setdefault("tables", []).append({
            "title": "Config checker: injected defects caught, per kind",
            "columns": ["defect kind", "injected", "caught", "recall"],
            "rows": rows_out,
        })  # fmt: skip
        if (megabytes := runner.checker_install_mb()) is not None:
            record.measures["checker_install_mb"] = round(megabytes, 1)
    assert clean_findings == [], f"the checker flags the clean config: {clean_findings}"


def test_features(runner, recorder, bench_options, tool, rows):
    probes.skip_unless_probing(bench_options, rows)
    if recorder.record(tool, rows).status == "not_run":
        pytest.skip(f"{tool}'s pipeline is not run here")
    with harness.trial(recorder, tool, rows) as record:
        started = time.perf_counter()
        for feature in base.FEATURES:
            harness.progress(f"probe: {feature}")
            probes.record_probe(record, feature, cicd_probes.exercise(runner, feature))
        record.measures["probes_s"] = round(time.perf_counter() - started, 1)


def matrix_overlap(jobs) -> str:
    """Yes when the matrix jobs' runs overlapped in time."""
    train = [job for job in jobs if job.name.startswith("train-")]
    if len(train) < 2 or any(job.end is None for job in train):
        raise probes.Absent(f"only {len(train)} matrix job(s) finished")
    overlap = min(job.end for job in train) - max(job.start for job in train)
    if overlap <= 0:
        raise probes.Absent(f"the matrix jobs ran one after the other ({-overlap:.2f} s apart)")
    return f"the {len(train)} matrix jobs overlapped for {overlap:.2f} s"


def blocked(jobs) -> str:
    later = [job.name for job in jobs if job.name != "lint"]
    if later:
        raise probes.Absent(f"jobs after the failed lint job still ran: {', '.join(later)}")
    return "only the lint job ran; test, validate and train were not started"


def named(run) -> str:
    if run.failed_job != "lint":
        raise probes.Absent(f"the output names {run.failed_job!r} as failed, not 'lint'")
    return f"exit code {run.returncode}; the system names job 'lint' as failed"


def jobs_table(title: str, jobs) -> dict:
    first = min((job.start for job in jobs), default=0.0)

    def offset(stamp):
        return None if stamp is None else round(stamp - first, 2)

    return {
        "title": title,
        "columns": ["job", "started, s", "ended, s", "exit status"],
        "rows": [[job.name, offset(job.start), offset(job.end), job.status] for job in jobs],
    }
