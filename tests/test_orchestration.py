"""Conformance suite for the orchestration stage: written once, run for every orchestrator."""

import psutil
import pytest

from adapters import registry
from adapters.base import AdapterError, NotSupported
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
