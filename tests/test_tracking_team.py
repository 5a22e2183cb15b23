"""Tracking, team topology: one quick case per kind of shared store, with its servers started
and stopped here. Two client processes do one day of work together; a separate reader then
finds their runs, and afterwards no server, client or port is left behind. The sweep over
1/4/16 clients belongs to the benchmark (``bakeoff run --stage tracking --topology team``).
"""

from __future__ import annotations

import sqlite3

import psutil
import pytest

from adapters import processes, registry, servers, services
from adapters.tracking import team
from adapters.tracking.baseline import FolderTracker
from scenarios import model, wish

pytestmark = pytest.mark.tracking


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    import joblib

    split = model.split(wish.generate(800, seed=5))
    path = tmp_path_factory.mktemp("team") / "model.joblib"
    joblib.dump(model.train(split, "forest"), path)
    return path


def _one_day(store: team.TeamStore, model_file, clients: int = 2):
    """(each client's day, what the reader found, the client process ids)."""
    store.create_names()
    with team.Clients(store, clients, model_file, timeout=300) as running:
        _, days = running.round(0)
        pids = [process.pid for process in running.processes]
    return days, team.read_back(store, days), pids


def _gone(pids: list[int]) -> bool:
    return not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                   for pid in pids)  # fmt: skip


def _accounted_for(days: list[dict]) -> None:
    """What bakeoff controls in a team day, whatever the tool did under the load: every
    call was made once (it succeeded or its error was counted, never retried by bakeoff),
    the calls after a failed one that needed its result were not made, and each error
    carries the tool's own words ("UniqueViolation: duplicate key value ...")."""
    for day in days:
        failed = [call for call, _ in day["errors"]]
        assert len(failed) == len(set(failed)) and not set(failed) & set(day["latency"])
        made = set(failed) | set(day["latency"])
        expected = set(team.CALLS) if "start_run" in day["latency"] else {"start_run"}
        if "log_model" in failed:
            expected.discard("register_model")
        assert made == expected, day
        for _, words in day["errors"]:
            kind, _, message = words.partition(": ")
            assert words == "database is locked" or (kind.isidentifier() and message.strip())


def _read_back_matches(days: list[dict], found: dict[str, float]) -> None:
    """The separate reader saw exactly the params and points of the calls that succeeded,
    and a model version for each registration that succeeded (a registration that failed
    after creating its version, e.g. while setting the alias, may leave that version)."""
    share = {call: sum(call in day["latency"] for day in days) / len(days)
             for call in ("log_params", "log_metrics", "log_model", "register_model")}  # fmt: skip
    assert found["params"] == pytest.approx(share["log_params"])
    assert found["points"] == pytest.approx(share["log_metrics"])
    assert share["register_model"] <= found["versions"] <= share["log_model"]


def test_mlflow_server_on_postgresql_two_clients_record_what_happened(model_file):
    """Two clients' day on one MLflow server on PostgreSQL. MLflow 3.17 there can lose a
    race between two clients setting the same alias (psycopg2 UniqueViolation on
    "registered_model_alias_pk"): a property of the tool that the benchmark records and
    the report shows, so this test checks what bakeoff controls, not that the tool won."""
    if registry.missing("tracking", "mlflow"):
        pytest.skip(f"not run: {registry.missing('tracking', 'mlflow')}")
    pytest.importorskip("psycopg2")
    try:
        services.postgres_binaries()
    except services.ServiceMissing as missing:
        pytest.skip(f"not run: {missing}")
    with team.store("mlflow+postgresql", lean=True) as store:
        days, found, pids = _one_day(store, model_file)
        server, postgres = store.server, store.postgres
        logged = store.logged()
    _accounted_for(days)
    _read_back_matches(days, found)
    assert set(logged) == {"server_logged_db_errors", "server_worker_restarts"}
    postgres_port = int(postgres.url.rsplit(":", 1)[1].split("/")[0])
    assert servers.port_is_free(server.port) and servers.port_is_free(postgres_port)
    assert not server.group_alive() and not processes.group_alive(postgres.process.pid)
    assert _gone(pids)


def test_baseline_shares_its_folders_and_loses_registrations_to_the_race(model_file):
    with team.store("baseline") as store:
        days, found, pids = _one_day(store, model_file)
    # runs, params and series live in each run's own folder: nothing is lost there
    assert found["params"] == 1.0 and found["points"] == 1.0
    # registry.json is read, changed and written back without a lock: a registration may
    # fail or be overwritten by the other client's, never more than one version per day
    _accounted_for(days)
    failed = [call for day in days for call, _ in day["errors"]]
    assert set(failed) <= {"register_model"}
    assert 0.0 <= found["versions"] <= 1.0
    assert _gone(pids)


def test_a_failed_call_is_counted_with_the_tools_words_and_the_day_goes_on(tmp_path, model_file):
    import joblib

    class LockedParams(FolderTracker):
        def log_params(self, run_id, params):
            raise sqlite3.OperationalError("database is locked")

    with LockedParams(tmp_path) as tracker:
        day = team.day_of_work(tracker, joblib.load(model_file), "team", "m", "c0-r0")
    assert day["errors"] == [["log_params", "database is locked"]]
    assert set(day["latency"]) == set(team.CALLS) - {"log_params"}
    assert day["points"] == len(team.SERIES)
