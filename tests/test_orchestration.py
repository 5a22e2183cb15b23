"""Conformance suite for the orchestration stage: written once, run for every orchestrator;
then the team topology, quick: Airflow with the CeleryExecutor on a throwaway PostgreSQL
and Redis, two sales runs triggered together (one set-up serves every check of it: Airflow
takes most of a minute to start; closing it must stop everything).

Both are in one file so that `make test` (--dist loadfile) runs them on one worker, one
after the other: two Airflows at once on 2 cores ran 3.5 times as long (the
airflow_scheduler retry test took 271 s beside the team set-up, 78 s alone)."""

from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from adapters import registry, servers, services
from adapters.base import AdapterError, NotRunnable, NotSupported
from adapters.orchestration.base import Outcome, StepRecord
from adapters.orchestration.team import TeamRun
from adapters.orchestration.team.airflow import AirflowCelery
from scenarios import model, pipeline, wish

pytestmark = pytest.mark.orchestration
TOOLS = list(registry.tools("orchestration"))
ROWS = 400


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return wish.write_csv(wish.generate(ROWS, seed=5), tmp_path_factory.mktemp("data") / "in.csv")


@pytest.fixture(scope="module")
def expected(data, tmp_path_factory):
    """Best configuration and test predictions of the steps run in order, without a tool."""
    return pipeline.reference_outputs(data, tmp_path_factory.mktemp("direct"))


@pytest.fixture(scope="module", params=TOOLS)
def orchestrator(request, open_tool):
    with open_tool("orchestration", request.param) as adapter:
        workdir = adapter.workdir
        yield adapter
    # closing must stop everything the tool started and remove its files
    assert not psutil.Process().children(recursive=True), "processes left running after close"
    assert not workdir.exists(), "temporary files left behind after close"


def test_retry_recovers_a_permanent_failure_fails_and_resume_finishes_with_the_same_outputs(
    orchestrator, data, expected
):
    """One run with faults and its resume cover the whole pipeline in the tool: the steps
    before evaluate succeed in the first run (train after a retry), evaluate and save in
    the resume. A separate clean run would repeat all of it (135 s of make test for
    airflow_scheduler, 105 s for metaflow); make bench times clean runs and checks their
    outputs. A tool without resume is checked on a clean run instead."""
    failed = orchestrator.run("sales", data, faults={"train": "once", "evaluate": "always"})
    assert failed.state == "failed"
    assert failed.retried() == 1, "the one-off failure in train was not retried"
    assert "injected permanent failure in step evaluate" in failed.outcome.error
    try:
        finished = orchestrator.resume(failed)
    except NotSupported as missing:
        assert orchestrator.name in str(missing)
        finished, failed = orchestrator.run("sales", data), None
    assert finished.state == "success", finished.outcome.error
    if failed is not None:
        assert finished.count("reused") >= 7, "resume ran finished steps again"
        done = {s.name for s in finished.outcome.steps if s.state == "success"}
        assert done <= {"evaluate", "save"}
    assert pipeline.outputs(finished.run_dir) == expected
    assert (finished.run_dir / pipeline.FINAL_MODEL).is_file()
    steps = [*(failed.outcome.steps if failed else ()), *finished.outcome.steps]
    names = {step.name for step in steps}
    assert {"load", "validate", "features", "pick_best", "evaluate", "save"} <= names
    assert {f"train[{config}]" for config in model.CONFIGS} <= names
    assert finished.usage.wall_seconds > 0 and finished.usage.peak_rss_mb > 0


def test_an_unknown_pipeline_is_one_clear_error(orchestrator, data):
    with pytest.raises(AdapterError, match="unknown pipeline 'nope'"):
        orchestrator.run("nope", data)


def test_setup_steps_are_recorded(orchestrator):
    assert orchestrator.setup_steps and all(s.seconds >= 0 for s in orchestrator.setup_steps)


def test_user_code_is_the_pipeline_a_user_writes_and_its_configuration(orchestrator):
    from benchmarks.user_code import code_lines

    code = orchestrator.user_code()
    definition = code["pipeline definition"]
    assert code_lines(definition) > 5
    assert '"""' not in definition.split("\n", 1)[0], "the module docstring is counted"
    assert "noop" not in definition or orchestrator.name == "baseline", "the chains count"
    assert "pipeline.train" in definition
    assert code_lines(code.get("configuration", "")) == len(orchestrator.settings())


# The team topology: Airflow with the CeleryExecutor on PostgreSQL and Redis.


def _listening() -> set[tuple[str, int]]:
    """(address, port) of every socket our descendants listen on."""
    found = set()
    for process in psutil.Process().children(recursive=True):
        try:
            sockets = process.net_connections(kind="inet")
        except psutil.Error:
            continue
        found |= {(s.laddr.ip, s.laddr.port) for s in sockets if s.status == psutil.CONN_LISTEN}
    return found


@pytest.fixture(scope="module")
def celery(data):
    """Airflow+Celery set up, with two sales runs triggered together and their sockets."""
    missing = registry.missing("orchestration", "airflow")
    if missing:
        pytest.skip(f"not run: {missing}")
    adapter = AirflowCelery()
    try:
        adapter.__enter__()
    except NotRunnable as why:
        pytest.skip(f"not run: {why}")
    try:
        burst = adapter.run_together("sales", data, 2)
        sockets = _listening()
        worker_logs = [(adapter.home / f"worker-{n}.log").read_text() for n in (1, 2)]
        finished = [run for run in burst.runs if run.outcome.state == "success"]
        outputs = [pipeline.outputs(run.run_dir) for run in finished]
    finally:
        workdir = adapter.workdir
        adapter.close()
    assert not psutil.Process().children(recursive=True), "processes left running after close"
    assert not workdir.exists(), "temporary files left behind after close"
    return SimpleNamespace(
        adapter=adapter, burst=burst, sockets=sockets, worker_logs=worker_logs, outputs=outputs
    )


def test_two_runs_together_end_as_airflow_recorded_them_and_finished_ones_match(celery, expected):
    """What bakeoff controls: both runs were triggered and waited for to an end state, a
    failed run (Airflow's own failure under concurrency is a finding the benchmark records,
    not a test failure) carries the tool's words, and every finished run has the outputs of
    a single run."""
    burst = celery.burst
    assert len(burst.runs) == 2
    for run in burst.runs:
        assert run.outcome.state in ("success", "failed")
        assert run.outcome.state == "success" or run.outcome.error.strip()
        assert len(run.queue_delays) == len(run.outcome.steps)  # Airflow's queued times
    finished = [run for run in burst.runs if run.outcome.state == "success"]
    assert all(len(run.outcome.steps) == 9 for run in finished)
    assert celery.outputs == [expected] * len(finished)
    assert burst.makespan > 0


def test_the_tasks_ran_on_the_celery_workers_and_every_component_was_measured(celery):
    adapter, burst = celery.adapter, celery.burst
    executed = sum(log.count("Executing workload in Celery") for log in celery.worker_logs)
    attempts = sum(s.attempts for run in burst.runs for s in run.outcome.steps
                   if s.state != "reused")  # fmt: skip
    assert executed == attempts, f"{executed} of the {attempts} task attempts ran on Celery"
    components = {"api_server", "scheduler", "dag_processor", "workers", "postgresql", "redis"}
    assert components <= set(burst.peak_pss_mb)
    assert all(burst.peak_pss_mb[name] > 0 for name in components)
    settings = adapter.settings()
    assert settings["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")


def test_every_server_listened_on_loopback_only_and_its_port_is_free_again(celery):
    sockets = celery.sockets
    assert sockets, "no listening socket seen (api-server, PostgreSQL, Redis)"
    assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets
    for _, port in sockets:
        assert servers.port_is_free(port), f"port {port} still in use after close"


def test_without_postgresql_the_tool_is_not_runnable_and_leaves_nothing(monkeypatch):
    def absent():
        raise services.ServiceMissing("install postgresql")

    monkeypatch.setattr(services, "postgres_binaries", absent)
    monkeypatch.delenv(services.POSTGRES_URL_ENV, raising=False)
    with pytest.raises(NotRunnable, match="install postgresql"):
        AirflowCelery().__enter__()
    assert not psutil.Process().children(recursive=True)


def test_start_delay_counts_from_the_trigger_or_the_end_of_the_tasks_before():
    steps = (
        StepRecord("load", "success", 1, 10.5, 11.0),
        StepRecord("validate", "success", 1, 11.25, 12.0),
        StepRecord("features", "success", 1, 12.0, 13.0),
        StepRecord("train[ridge]", "success", 1, 13.5, 14.0),
        StepRecord("train[forest]", "success", 1, 14.0, 16.0),
        StepRecord("pick_best", "success", 1, 17.0, 17.5),
    )
    run = TeamRun(Path("run"), Outcome("success", steps), triggered=10.0, ended=17.5)
    assert run.start_delays("sales") == [0.5, 0.25, 0.0, 0.5, 1.0, 1.0]
