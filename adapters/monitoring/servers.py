"""Small helpers for the local servers a monitor starts: free ports, HTTP, waiting."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable


class ServerError(RuntimeError):
    """A server did not start or answer in time; the message says which and why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` (closed connections may linger in TIME_WAIT, as usual)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http(url: str, data: bytes | None = None, method: str = "GET", headers=None) -> str:
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
