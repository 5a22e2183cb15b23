"""Child processes, for every stage: started in a process group of their own, waited on,
stopped with everything they started, and their trees' memory.

A process group of its own lets :func:`stop` reach the workers a server forks; a Ctrl-C
to a trial (benchmarks/ledger.py) then reaches a server only through the fixture that
stops it, and the runner stops whatever a killed trial left (benchmarks/runner.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class ServerError(RuntimeError):
    """A process did not come up, or what was awaited did not happen; the message says what."""


def start(command: list, log: Path, **popen) -> subprocess.Popen:
    """Start ``command`` in a process group of its own, its output appended to ``log``;
    ``popen``: ``cwd``, ``env`` and any other argument of ``subprocess.Popen``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )


class Finished(subprocess.CompletedProcess):
    """A command :func:`run` ran to its end; ``left_running``: a process it started was
    still running in its process group when it ended."""

    def __init__(self, process: subprocess.Popen, stdout: str, stderr: str):
        super().__init__(process.args, process.returncode, stdout, stderr)
        self.left_running = group_alive(process.pid)


def run(command: list, env: dict, cwd: Path, timeout: float, grace: float = 30.0) -> Finished:
    """Run ``command`` to its end, its output captured as text; on timeout stop its whole
    process group (SIGKILL after ``grace`` seconds) and raise TimeoutError."""
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process, grace=grace)
        shown = " ".join([Path(command[0]).name, *map(str, command[1:])])
        raise TimeoutError(f"`{shown}` did not finish within {timeout:.0f} s") from None
    return Finished(process, stdout, stderr)


def wait_for(
    condition: Callable[[], bool], what: str, timeout: float = 30.0, every: float = 0.02
) -> float:
    """Poll ``condition`` every ``every`` seconds until true (an OSError counts as not yet,
    any other exception ends the wait); returns the seconds waited, ServerError when
    ``timeout`` passes first."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if condition():
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(every)
    raise ServerError(f"{what} did not happen within {timeout:.0f} s")


def stop(*processes: subprocess.Popen, grace: float = 10.0, leader_first=False) -> list[int]:
    """SIGTERM each process's group, SIGKILL what is left of the groups after ``grace``
    seconds; wait for each. ``leader_first``: SIGTERM the process alone, to see whether it
    stops what it started: its children still alive once it has stopped (or been killed
    after ``grace``) are killed, and their ids returned. Safe to call twice."""
    children = [c for p in processes for c in tree(p.pid)[1:]] if leader_first else []
    for process in processes:
        if leader_first:
            process.terminate()
        else:
            signal_group(process.pid, signal.SIGTERM)
    stopped = f"{len(processes)} process(es) stopping"
    with contextlib.suppress(ServerError):  # what is still running after ``grace`` is killed
        wait_for(lambda: not any(_running(p, leader_first) for p in processes), stopped, grace, 0.1)
    for process in processes:
        if leader_first and process.poll() is None:
            process.kill()
    killed = [child.pid for child in children if _kill_if_alive(child)]
    for process in processes:
        signal_group(process.pid, signal.SIGKILL)
        process.wait()
    return killed


def _running(process: subprocess.Popen, leader_only: bool) -> bool:
    process.poll()  # reap the leader so that only live members keep the group alive
    return process.returncode is None if leader_only else group_alive(process.pid)


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    """Whether a process of process group ``pgid`` is still running."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_if_alive(member) -> bool:
    import psutil

    try:
        member.kill()
        return True
    except psutil.NoSuchProcess:
        return False


def tree(*pids: int) -> list:
    """The processes ``pids`` still running and every process they started (psutil)."""
    import psutil

    found = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            found += [root, *root.children(recursive=True)]
    return found


def rss_bytes(members: list) -> int:
    """The resident memory of these processes (psutil), those still running."""
    import psutil

    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` and every process it started (0 once it is gone)."""
    return rss_bytes(tree(pid))


def peak_rss_mb(members: list) -> float:
    """Peak resident memory (VmHWM) summed over ``members``, in MB."""
    total_kb = 0
    for member in members:
        status = Path(f"/proc/{member.pid}/status")
        with contextlib.suppress(OSError):
            lines = status.read_text().splitlines()
            total_kb += sum(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))
    return total_kb / 1024
