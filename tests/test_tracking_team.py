"""Tracking, team topology: one quick case per kind of shared store, with its servers started
and stopped here. Two client processes do one day of work together; a separate reader then
finds their runs, and afterwards no server, client or port is left behind. The sweep over
1/4/16 clients belongs to the benchmark (``bakeoff run --stage tracking --topology team``).
"""

from __future__ import annotations

import sqlite3

import psutil
import pytest

from adapters import registry, servers, services
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


def test_mlflow_server_on_postgresql_holds_two_clients(model_file):
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
        assert store.logged()["server_logged_db_errors"] == 0
    assert [day["errors"] for day in days] == [[], []]
    assert {len(day["latency"]) for day in days} == {len(team.CALLS)}
    assert found == {"params": 1.0, "points": 1.0, "versions": 1.0}
    postgres_port = int(postgres.url.rsplit(":", 1)[1].split("/")[0])
    assert servers.port_is_free(server.port) and servers.port_is_free(postgres_port)
    assert not server.group_alive() and not servers.group_alive(postgres.process.pid)
    assert _gone(pids)


def test_baseline_shares_its_folders_and_loses_registrations_to_the_race(model_file):
    with team.store("baseline") as store:
        days, found, pids = _one_day(store, model_file)
    # runs, params and series live in each run's own folder: nothing is lost there
    assert found["params"] == 1.0 and found["points"] == 1.0
    # registry.json is read, changed and written back without a lock: a registration may
    # fail or be overwritten by the other client's, never more than one version per day
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
