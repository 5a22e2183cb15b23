"""Local servers, shared by every stage: free ports on 127.0.0.1, HTTP checks, and a server
run as a child process in its own process group (adapters/processes.py), watched for peak
memory and stopped with everything it started."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from adapters import processes
from adapters.processes import ServerError

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when a new server could listen on ``port`` (SO_REUSEADDR, as servers bind: the
    TIME_WAIT leftovers of closed connections do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_until_free(port: int, timeout: float) -> None:
    """Wait up to ``timeout`` seconds for a stopped server's ``port`` to be free again; past
    that, go on: stopping never raises, and a later bind on the port says what is wrong."""
    with contextlib.suppress(ServerError):
        processes.wait_for(lambda: port_is_free(port), f"port {port} free", timeout, every=0.1)


def http_status(url: str, timeout: float = 5.0) -> int:
    """The HTTP status of GET ``url``, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except OSError:
        return 0


def http(url: str, data: bytes | None = None, method: str = "GET", headers=None) -> str:
    """The body of an HTTP request as text; raises OSError when it fails."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


class Server:
    """``command(port)`` run in ``workdir`` with ``env``; healthy when ``health`` answers 200."""

    def __init__(self, command: Callable[[int], list[str]], workdir: Path, env: dict[str, str]):
        self.port = free_port()
        self.command, self.workdir, self.env = command(self.port), workdir, env
        self.process: subprocess.Popen | None = None
        self.peak_rss_bytes = 0
        self._sampling = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, health: str = "/health", timeout: float = 240.0) -> float:
        """Start the server and wait until ``health`` answers; return the seconds it took."""
        started = time.perf_counter()
        log = self.workdir / f"server-{self.port}.log"
        env = {**os.environ, **self.env}
        self.process = processes.start(self.command, log, cwd=self.workdir, env=env)
        threading.Thread(target=self._sample_memory, daemon=True).start()
        what = f"a healthy answer at {health}"
        processes.wait_for(lambda: self._healthy(health), what, timeout, every=0.2)
        return time.perf_counter() - started

    def _healthy(self, health: str) -> bool:
        """Whether ``health`` answers 200; ServerError once the server has exited."""
        if http_status(self.url + health, timeout=2) == 200:
            return True
        if self.process.poll() is not None:
            raise ServerError(f"the server exited with code {self.process.returncode}")
        return False

    def rss_bytes(self) -> int:
        """Resident memory of the server and every process it started."""
        return processes.tree_rss_bytes(self.process.pid) if self.process else 0

    def process_count(self) -> int:
        import psutil

        with contextlib.suppress(psutil.NoSuchProcess):
            return 1 + len(psutil.Process(self.process.pid).children(recursive=True))
        return 0

    def _sample_memory(self) -> None:
        while not self._sampling.wait(0.25):
            self.peak_rss_bytes = max(self.peak_rss_bytes, self.rss_bytes())

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM the server's process group, SIGKILL what is left after ``grace`` seconds,
        and wait until the port is free again. Safe to call twice."""
        self._sampling.set()
        if self.process is None:
            return
        processes.stop(self.process, grace=grace)
        wait_until_free(self.port, grace)

    def group_alive(self) -> bool:
        return self.process is not None and processes.group_alive(self.process.pid)
