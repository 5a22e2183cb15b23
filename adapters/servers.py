"""Local servers and processes, shared by every stage: free ports on 127.0.0.1, HTTP checks,
waiting, process-group stops, and a server run as a child process in its own process
group, watched for peak memory and stopped with everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """The server did not come up; the message says what happened."""


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


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> float:
    """Poll ``condition`` until true; returns the seconds waited, ServerError on time-out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if condition():
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise ServerError(f"{what} did not happen within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process``; kill it if it has not exited after 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group led by ``process``; SIGKILL what is left after ``grace``."""
    signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while group_alive(process.pid) and time.monotonic() < deadline:
        process.poll()  # reap the leader so that only live members keep the group alive
        time.sleep(0.1)
    signal_group(process.pid, signal.SIGKILL)
    process.wait()


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` and every process it started (0 once it is gone)."""
    return rss_bytes(tree(pid))


def tree(pid: int) -> list:
    """Process ``pid`` and every process it started (psutil), or [] once it is gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def rss_bytes(members: list) -> int:
    """The resident memory of these processes (psutil), those still running."""
    import psutil

    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


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
        log = open(self.workdir / f"server-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command,
            cwd=self.workdir,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        threading.Thread(target=self._sample_memory, daemon=True).start()
        while http_status(self.url + health, timeout=2) != 200:
            if self.process.poll() is not None:
                raise ServerError(f"the server exited with code {self.process.returncode}")
            if time.perf_counter() - started > timeout:
                raise ServerError(f"the server was not healthy within {timeout:.0f} s")
            time.sleep(0.2)
        return time.perf_counter() - started

    def rss_bytes(self) -> int:
        """Resident memory of the server and every process it started."""
        return tree_rss_bytes(self.process.pid) if self.process else 0

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
        stop_group(self.process, grace)
        deadline = time.monotonic() + grace
        while not port_is_free(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def group_alive(self) -> bool:
        return self.process is not None and group_alive(self.process.pid)
