"""Conformance suite for the tracking stage: written once, run for every tracker.

Small sizes: a 60-tree forest on 800 rows, series of a few hundred points. Operations a
tool does not support must raise the clear "not supported by <tool>" error. Each write's
contract is checked from another process (this file run as a script, attached to the same
store) right after the call returns: a write the adapter does not mark ``not_equivalent``
must read back there, and a marked one must not.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from adapters import registry
from adapters.base import AdapterError, NotSupported
from adapters.servers import port_is_free
from adapters.tracking.base import QUIET_ENV, file_version
from scenarios import model, wish

pytestmark = pytest.mark.tracking
TOOLS = list(registry.tools("tracking"))
OPTIONAL = ("register_model", "load_model", "best_run", "read_run", "data_version")
SERVERS_AFTER_A_RUN = []


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    frame = wish.generate(800, seed=5)
    data_file = tmp_path_factory.mktemp("data") / "wish.csv"
    frame.to_csv(data_file, index=False)
    split = model.split(frame)
    return split, model.train(split, "forest"), data_file


@pytest.fixture(scope="module", params=TOOLS)
def tracker(request, open_tool):
    with open_tool("tracking", request.param) as adapter:
        if getattr(adapter, "server", None) is not None:
            SERVERS_AFTER_A_RUN.append(adapter.server)  # checked once the module closed it
        yield adapter


@pytest.fixture(scope="module")
def cycle(tracker, trained):
    """Three runs with known r2; the best logs data version and model, registered as
    'champion'. Returns what each step produced, or the NotSupported it raised."""
    _, fitted, data_file = trained
    scores, outcome = {}, {}
    for score in (0.3, 0.8, 0.6):
        run_id = tracker.start_run("sales", f"run-{score}")
        tracker.log_params(run_id, {"config": "forest", "score": score})
        tracker.log_metrics(run_id, "r2", [score / 4, score / 2, score])
        tracker.log_metrics(run_id, "loss", [float(step) for step in range(300)])
        scores[run_id] = score
    best = max(scores, key=scores.get)
    tracker.link_data(best, data_file)
    model_ref = tracker.log_model(best, fitted)
    for run_id in scores:
        tracker.end_run(run_id)
    steps = {
        "register_model": lambda: tracker.register_model(model_ref, "sales-model", "champion"),
        "load_model": lambda: tracker.load_model("sales-model", "champion"),
        "best_run": lambda: tracker.best_run("sales", "r2"),
        "read_run": lambda: {run: tracker.read_run(run) for run in scores},
        "data_version": lambda: tracker.data_version(best),
    }
    for name, step in steps.items():
        try:
            outcome[name] = step()
        except NotSupported as error:
            outcome[name] = error
    return {"scores": scores, "best": best, "outcome": outcome}


def _supported(cycle, operation):
    value = cycle["outcome"][operation]
    if isinstance(value, NotSupported):
        pytest.skip(f"{operation}: {value}")
    return value


def test_every_metric_value_reads_back_equal(cycle):
    runs = _supported(cycle, "read_run")
    for run_id, score in cycle["scores"].items():
        assert runs[run_id].metrics["r2"] == [score / 4, score / 2, score]
        assert runs[run_id].metrics["loss"] == [float(step) for step in range(300)]
        assert runs[run_id].params["config"] == "forest"


def test_model_loaded_by_alias_predicts_identically(cycle, trained):
    split, fitted, _ = trained
    loaded = _supported(cycle, "load_model")
    assert np.array_equal(loaded.predict(split.x_test), fitted.predict(split.x_test))


def test_best_run_query_returns_the_run_with_the_best_metric(cycle):
    assert _supported(cycle, "best_run") == cycle["best"]


def test_data_version_reads_back_as_the_file_hash(cycle, trained):
    assert _supported(cycle, "data_version") == file_version(trained[2])


def test_unsupported_operations_raise_the_clear_error(tracker, cycle):
    for operation in OPTIONAL:
        value = cycle["outcome"][operation]
        if isinstance(value, NotSupported):
            assert f"{operation} is not supported by {tracker.name}" in str(value)


def test_neptune_refusals_carry_the_clients_own_words(tracker, cycle):
    if tracker.name != "neptune":
        pytest.skip("neptune only")
    refusals = {op: str(cycle["outcome"][op]) for op in OPTIONAL}
    assert "can't be initialized in OFFLINE mode" in refusals["register_model"]
    assert "offline mode" in refusals["read_run"]


def test_setup_steps_recorded_and_telemetry_off(tracker):
    assert tracker.setup_steps and all(step.seconds >= 0 for step in tracker.setup_steps)
    assert all(os.environ.get(key) == value for key, value in QUIET_ENV.items())
    assert tracker.durability and tracker.metric_api and tracker.store_kind


def test_a_tool_failure_names_stage_tool_and_operation(tracker):
    with pytest.raises((AdapterError, NotSupported), match=rf"{tracker.name}"):
        tracker.read_run("no-such-run")


def test_store_lives_in_the_adapters_temporary_folder(tracker):
    assert tracker.store_bytes() > 0


def _server_tracker():
    reason = registry.missing("tracking", "mlflow_server")
    if reason:
        pytest.skip(f"not run: {reason}")
    return registry.load("tracking", "mlflow_server")()


def _listening_addresses(pid: int) -> set[str]:
    import psutil

    root = psutil.Process(pid)
    members = [root, *root.children(recursive=True)]
    return {
        c.laddr.ip
        for member in members
        for c in member.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }


def test_mlflow_server_is_gone_and_its_port_free_after_a_failing_trial():
    adapter = _server_tracker()
    failure = pytest.raises(AdapterError, match="mlflow_server failed in log_params")
    with failure, adapter:
        assert _listening_addresses(adapter.server.process.pid) == {"127.0.0.1"}
        adapter.log_params("no-such-run", {"alpha": 1})
    assert not adapter.server.group_alive()
    assert port_is_free(adapter.server.port)


def test_mlflow_server_is_gone_and_its_port_free_after_a_run():
    """Runs last: the conformance suite above ran on this server and closed it."""
    if not SERVERS_AFTER_A_RUN:
        pytest.skip("the mlflow_server adapter did not run in this session")
    for server in SERVERS_AFTER_A_RUN:
        assert not server.group_alive()
        assert port_is_free(server.port)


ANSWER = "answer: "  # the reader's reply lines; the tools print their own lines too


class OtherProcess:
    """A second Python process attached to the tracker's store, answering reads."""

    def __init__(self, tracker):
        command = [sys.executable, __file__, tracker.name, tracker.address()]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, operation: str, *args) -> dict:
        """{"value": ...}, {"not_supported": ...} or {"error": ...}."""
        self.process.stdin.write(json.dumps([operation, *args]) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(ANSWER):
                return json.loads(line[len(ANSWER) :])
        raise RuntimeError(f"the reading process ended (exit {self.process.wait()})")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _serve_reads(tool: str, address: str) -> None:
    """The other process: attach to the store and answer one read per stdin line."""
    tracker = registry.load("tracking", tool).attach(address)
    for line in sys.stdin:
        operation, *args = json.loads(line)
        try:
            answer = {"value": _read(tracker, operation, args)}
        except NotSupported as error:
            answer = {"not_supported": str(error)}
        except AdapterError as error:
            answer = {"error": str(error)}
        print(ANSWER + json.dumps(answer), flush=True)


def _read(tracker, operation: str, args: list):
    if operation == "read_run":
        return dataclasses.asdict(tracker.read_run(*args))
    if operation == "predict":
        import joblib

        name, alias, features = args
        return tracker.load_model(name, alias).predict(joblib.load(features)).tolist()
    return getattr(tracker, operation)(*args)


WRITES = ("start_run", "log_params", "log_metrics", "link_data", "log_model", "register_model",
          "end_run")  # fmt: skip


@pytest.fixture(scope="module")
def read_elsewhere(tracker, trained, tmp_path_factory):
    """Each write, then what another process reads of it at once (the run still open)."""
    import joblib

    split, fitted, data_file = trained
    features = tmp_path_factory.mktemp("features") / "x_test.joblib"
    joblib.dump(split.x_test, features)
    seen, registered = {}, True
    with OtherProcess(tracker) as other:
        run_id = tracker.start_run("contract", "contract-run")
        seen["start_run"] = other.ask("read_run", run_id)
        tracker.log_params(run_id, {"alpha": 0.5})
        seen["log_params"] = other.ask("read_run", run_id)
        tracker.log_metrics(run_id, "r2", [0.1, 0.2, 0.3])
        seen["log_metrics"] = other.ask("read_run", run_id)
        tracker.link_data(run_id, data_file)
        seen["link_data"] = other.ask("data_version", run_id)
        model_ref = tracker.log_model(run_id, fitted)
        try:
            tracker.register_model(model_ref, "contract-model", "candidate")
        except NotSupported:
            registered = False
        seen["log_model"] = seen["register_model"] = other.ask(
            "predict", "contract-model", "candidate", str(features)
        )
        tracker.end_run(run_id)
        seen["end_run"] = other.ask("read_run", run_id)
    return seen, registered


def _shows_the_write(operation: str, answer: dict, trained) -> bool:
    if "value" not in answer:
        return False
    value = answer["value"]
    split, fitted, data_file = trained
    expected = {
        "start_run": lambda: True,
        "log_params": lambda: value["params"].get("alpha") == "0.5",
        "log_metrics": lambda: value["metrics"].get("r2") == [0.1, 0.2, 0.3],
        "link_data": lambda: value == file_version(data_file),
        "log_model": lambda: np.array_equal(value, fitted.predict(split.x_test)),
        "end_run": lambda: (
            value["metrics"].get("r2") == [0.1, 0.2, 0.3] and value["params"].get("alpha") == "0.5"
        ),
    }
    expected["register_model"] = expected["log_model"]
    return expected[operation]()


@pytest.mark.parametrize("operation", WRITES)
def test_a_write_is_readable_by_another_process_when_the_call_returns(
    tracker, read_elsewhere, trained, operation
):
    seen, registered = read_elsewhere
    answer = seen[operation]
    marked = operation in tracker.not_equivalent
    if operation in ("log_model", "register_model") and not registered and not marked:
        pytest.skip(f"{tracker.name} has no registry to load the model back through")
    shown = _shows_the_write(operation, answer, trained)
    if marked:
        assert not shown, f"{operation} is marked not equivalent, yet another process read it"
    else:
        assert shown, f"another process did not read what {operation} wrote: {answer}"


def test_not_equivalent_marks_name_write_operations_with_a_reason(tracker):
    for operation, reason in tracker.not_equivalent.items():
        assert operation in WRITES and reason.startswith("not ")


if __name__ == "__main__":
    _serve_reads(*sys.argv[1:3])
