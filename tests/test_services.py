"""The throwaway PostgreSQL and Redis servers of the team topology start, answer, and leave
nothing behind (no process, no port, no folder), also when the block raises."""

import os
import shutil

import pytest

from adapters import processes, servers, services

pytestmark = pytest.mark.harness


def _skip_without(package: str) -> None:
    if package == "postgresql":
        try:
            services.postgres_binaries()
        except services.ServiceMissing as missing:
            pytest.skip(f"not run: {missing}")
    elif shutil.which(package) is None:
        pytest.skip(f"not run: install {package}")


def test_postgres_starts_answers_and_is_gone_afterwards():
    psycopg2 = pytest.importorskip("psycopg2")
    _skip_without("postgresql")
    box = {}
    with pytest.raises(RuntimeError, match="trial failed"), services.postgres() as pg:
        box["service"] = pg
        connection = psycopg2.connect(pg.url)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (41)")
            cursor.execute("SELECT x + 1 FROM t")
            assert cursor.fetchone() == (42,)
        connection.close()
        assert pg.started and pg.rss_mb() > 1
        raise RuntimeError("trial failed")
    pg = box["service"]
    port = int(pg.url.rsplit(":", 1)[1].split("/")[0])
    assert servers.port_is_free(port)
    assert not processes.group_alive(pg.process.pid)
    assert not pg.workdir.exists()


def test_redis_starts_answers_and_is_gone_afterwards():
    redis = pytest.importorskip("redis")
    _skip_without("redis-server")
    with services.redis() as rd:
        client = redis.Redis.from_url(rd.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
    port = int(rd.url.rsplit(":", 1)[1].split("/")[0])
    assert servers.port_is_free(port)
    assert not processes.group_alive(rd.process.pid)


def test_an_existing_server_is_used_as_given_and_never_stopped(monkeypatch):
    monkeypatch.setenv(services.POSTGRES_URL_ENV, "postgresql://someone@127.0.0.1:5999/db")
    with services.postgres() as pg:
        assert pg.url == "postgresql://someone@127.0.0.1:5999/db"
        assert not pg.started and pg.process is None
    assert os.environ[services.POSTGRES_URL_ENV]
