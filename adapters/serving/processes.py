"""The serving apps' processes: their trees, peak memory, stopping, and polling them."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path


def tree(process: subprocess.Popen) -> list:
    """``process`` and its children (psutil objects); empty once it is gone."""
    import psutil

    try:
        parent = psutil.Process(process.pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def peak_rss_mb(members: list) -> float:
    """Peak resident memory (VmHWM) summed over ``members``, in MB."""
    total_kb = 0
    for member in members:
        status = Path(f"/proc/{member.pid}/status")
        with contextlib.suppress(OSError):
            lines = status.read_text().splitlines()
            total_kb += sum(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))
    return total_kb / 1024


def stop_tree(process: subprocess.Popen) -> list[int]:
    """SIGTERM ``process`` and wait; kill its children left after that; their ids."""
    children = tree(process)[1:]
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return [child.pid for child in children if kill_if_alive(child)]


def read(url: str) -> str | None:
    """The body of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.read().decode("utf-8", "replace")
    except OSError:
        return None


def wait_until(condition: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until ``condition()`` held, polling; None if it did not within ``seconds``."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if condition():
            return time.perf_counter() - started
        time.sleep(0.2)
    return None


def kill_if_alive(member) -> bool:
    import psutil

    try:
        member.kill()
        return True
    except psutil.NoSuchProcess:
        return False
