"""Throwaway PostgreSQL and Redis servers for the team topology, shared by every stage.

Each one runs from Debian's packages (``postgresql``, ``redis-server``) in a temporary
folder, on a free 127.0.0.1 port, in its own process group, and is stopped with everything
it started when the ``with`` block ends, also when the block raises. ``--postgres-url`` and
``--redis-url`` (the environment variables ``BAKEOFF_POSTGRES_URL`` / ``BAKEOFF_REDIS_URL``)
point at existing servers instead; then nothing is started or stopped and ``Service.started``
is False, so a report can name which was used.

A missing package raises ``ServiceMissing`` whose message is "install <package>", for the
row's "not run: install postgresql".
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adapters import processes, servers

POSTGRES_URL_ENV = "BAKEOFF_POSTGRES_URL"
REDIS_URL_ENV = "BAKEOFF_REDIS_URL"


class ServiceMissing(RuntimeError):
    """The Debian package behind a service is not installed; the message is 'install X'."""


@dataclass
class Service:
    """A running server: its URL, whether bakeoff started it, and its process group."""

    name: str
    url: str
    started: bool
    process: subprocess.Popen | None = None
    workdir: Path | None = None
    extra: dict = field(default_factory=dict)

    def rss_mb(self) -> float:
        """Resident memory of the server and its children, MB (0 for an existing server)."""
        return processes.tree_rss_bytes(self.process.pid) / 1e6 if self.process else 0.0

    def url_for(self, database: str) -> str:
        """The URL of another database on the same PostgreSQL server."""
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{database}"


def postgres_binaries() -> Path:
    """The folder of Debian's PostgreSQL server programs (initdb, pg_ctl, postgres)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major, reverse=True)
    if not found:
        raise ServiceMissing("install postgresql")
    return Path(found[0]).parent


def _major(path: str) -> int:
    with contextlib.suppress(ValueError):
        return int(Path(path).parent.parent.name)
    return 0


def _run_as(user: str | None):
    """``preexec_fn`` that drops root to ``user`` (PostgreSQL refuses to run as root)."""
    if user is None:
        return None
    entry = pwd.getpwnam(user)

    def drop() -> None:
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return drop


@contextlib.contextmanager
def postgres(database: str = "bakeoff", url: str | None = None) -> Iterator[Service]:
    """A PostgreSQL server with ``database`` created; yields its SQLAlchemy-style URL
    ``postgresql://bakeoff@127.0.0.1:PORT/database``. Durable defaults (fsync on)."""
    url = url or os.environ.get(POSTGRES_URL_ENV)
    if url:
        yield Service("postgresql", url, started=False)
        return
    bindir = postgres_binaries()
    user = "postgres" if os.geteuid() == 0 else None
    workdir = Path(tempfile.mkdtemp(prefix="bakeoff-pg-"))
    data, socket_dir = workdir / "data", workdir / "socket"
    socket_dir.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        for path in (workdir, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = servers.free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "cwd": workdir}
    initdb = subprocess.run(
        [bindir / "initdb", "-D", data, "-U", "bakeoff", "--auth=trust", "-E", "UTF8"],
        preexec_fn=_run_as(user),
        **quiet,
    )
    if initdb.returncode:
        shutil.rmtree(workdir, ignore_errors=True)
        raise servers.ServerError(f"initdb failed: {initdb.stderr.decode().strip()[-300:]}")
    process = processes.start(
        [
            bindir / "postgres",
            "-D",
            data,
            "-p",
            str(port),
            "-h",
            servers.HOST,
            "-k",
            socket_dir,
            "-c",
            "max_connections=200",
        ],
        workdir / "postgres.log",
        cwd=workdir,
        preexec_fn=_run_as(user),
    )
    address = f"postgresql://bakeoff@{servers.HOST}:{port}/{database}"
    service = Service("postgresql", address, True, process, workdir)
    try:
        _wait_for_postgres(bindir, port, process, workdir)
        create = subprocess.run(
            [bindir / "createdb", "-h", servers.HOST, "-p", str(port), "-U", "bakeoff", database],
            **quiet,
        )
        if create.returncode:
            raise servers.ServerError(f"createdb failed: {create.stderr.decode().strip()[-300:]}")
        yield service
    finally:
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect
        processes.signal_group(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        _stop(process, port)
        shutil.rmtree(workdir, ignore_errors=True)


def create_database(service: Service, database: str) -> str:
    """Create another database on a PostgreSQL ``service``; returns its URL."""
    import psycopg2

    connection = psycopg2.connect(service.url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    connection.close()
    return service.url_for(database)


def _wait_for_postgres(bindir, port, process, workdir) -> None:
    ready = [bindir / "pg_isready", "-q", "-h", servers.HOST, "-p", str(port)]

    def accepting() -> bool:
        if process.poll() is not None:
            tail = (workdir / "postgres.log").read_text(errors="replace")[-400:]
            raise servers.ServerError(f"postgres exited with code {process.returncode}: {tail}")
        return subprocess.run(ready).returncode == 0

    processes.wait_for(accepting, "postgres accepting connections", timeout=60, every=0.1)


@contextlib.contextmanager
def redis(url: str | None = None) -> Iterator[Service]:
    """A Redis server on a free loopback port with persistence off (a broker, not a
    store); yields ``redis://127.0.0.1:PORT/0``."""
    url = url or os.environ.get(REDIS_URL_ENV)
    if url:
        yield Service("redis", url, started=False)
        return
    program = shutil.which("redis-server")
    if program is None:
        raise ServiceMissing("install redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="bakeoff-redis-"))
    port = servers.free_port()
    process = processes.start(
        [
            program,
            "--bind",
            servers.HOST,
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
        ],
        workdir / "redis.log",
        cwd=workdir,
    )
    try:
        processes.wait_for(lambda: _redis_ping(port), "redis-server answering PING", timeout=30)
        yield Service("redis", f"redis://{servers.HOST}:{port}/0", True, process, workdir)
    finally:
        _stop(process, port)
        shutil.rmtree(workdir, ignore_errors=True)


def _redis_ping(port: int) -> bool:
    import socket

    with socket.create_connection((servers.HOST, port), timeout=1) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64).startswith(b"+PONG")


def _stop(process: subprocess.Popen, port: int) -> None:
    processes.stop(process, grace=15)
    servers.wait_until_free(port, 15)


def unique_name(prefix: str) -> str:
    """A database or queue name no other trial uses."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"
