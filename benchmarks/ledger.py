"""Nothing left running after a killed run: the runner's ledger of the processes its trials
started, and the trial's watch on its runner.

A trial runs in its own session, and the servers it starts (PostgreSQL, Redis, Celery,
Airflow, MLflow, Buildbot, Prometheus) in theirs, so a ``kill -9`` of ``bakeoff run``
reaches none of them. Two guards:

- the trial watches its runner (``BAKEOFF_RUNNER_PID``): once orphaned it interrupts its
  process group, so pytest tears its fixtures down and they stop their servers as usual;
  if that takes longer than ``ORPHAN_GRACE`` seconds it stops what it started and exits;
- the runner keeps a ledger of every process its trials started (pid and start time) in
  ``<history folder>/running/<runner pid>.json``; the next ``bakeoff run`` stops whatever
  a dead runner's ledger still lists, saying so, before it starts a trial.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

RUNNER_ENV = "BAKEOFF_RUNNER_PID"
ORPHANED = threading.Event()  # set in a trial whose runner is gone
ORPHAN_GRACE = 60.0  # seconds an orphaned trial's teardown may take before it is cut short
WAIT_FOR_TEARDOWN = 60.0  # seconds the next run waits for an orphaned trial to stop itself


def folder() -> Path:
    from benchmarks.clock import HISTORY

    return HISTORY / "running"


def _created(pid: int) -> float | None:
    import psutil

    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).create_time()
    return None


class Ledger:
    """The processes this run's trials started, on disk while the run lasts."""

    def __init__(self, where: Path | None = None):
        self.path = (where or folder()) / f"{os.getpid()}.json"
        self.runner = {"pid": os.getpid(), "created": _created(os.getpid())}
        self.processes: dict[int, dict] = {}

    def note(self, found: list[dict]) -> None:
        """Add processes ({"pid", "created", "name", "trial"}) and forget those that ended;
        the file is rewritten only when something is new."""
        new = [e for e in found if self.processes.get(e["pid"], {}).get("created") != e["created"]]
        if not new:
            return
        self.processes = {pid: e for pid, e in self.processes.items() if _exists(pid)}
        self.processes.update((entry["pid"], entry) for entry in new)
        text = json.dumps({"runner": self.runner, "processes": list(self.processes.values())})
        with contextlib.suppress(OSError):  # a ledger is a safety net, never a reason to stop
            self.path.parent.mkdir(parents=True, exist_ok=True)
            scratch = self.path.with_suffix(".tmp")
            scratch.write_text(text, encoding="utf-8")
            scratch.replace(self.path)

    def close(self) -> None:
        """The run stopped its trials itself: nothing to leave for the next run."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def _exists(pid: int) -> bool:
    with contextlib.suppress(PermissionError):  # alive, someone else's
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
    return True


def _alive(entry: dict):
    """The process an entry names, if it still runs (same pid and start time)."""
    import psutil

    with contextlib.suppress(psutil.Error):
        process = psutil.Process(entry["pid"])
        if process.create_time() == entry["created"] and process.status() != "zombie":
            return process
    return None


def stop_leftovers(report: Callable[[str], None] = print, where: Path | None = None) -> int:
    """Stop what the ledgers of runs that died (``kill -9``) still list; return how many.

    A trial such a run left first gets up to ``WAIT_FOR_TEARDOWN`` seconds to stop itself
    through its fixtures (it watches its runner); what is left then gets SIGTERM, and
    SIGKILL 10 s later."""
    import psutil

    stopped = 0
    for path in sorted((where or folder()).glob("*.json")):
        try:
            ledger = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _alive(ledger["runner"]):
            continue  # a run still going (another terminal, a test): not ours to stop
        left = [(entry, found) for entry in ledger["processes"] if (found := _alive(entry))]
        if left:
            names = ", ".join(sorted({entry["name"] for entry, _ in left}))
            report(f"an earlier bakeoff run (pid {ledger['runner']['pid']}) was killed and left "
                   f"{len(left)} process(es) running ({names}); stopping them first")  # fmt: skip
            psutil.wait_procs([p for e, p in left if e["trial"]], timeout=WAIT_FOR_TEARDOWN)
            stop_processes([p for _, p in left if p.is_running()])
            stopped += len(left)
        with contextlib.suppress(OSError):
            path.unlink()
    return stopped


def stop_processes(processes: list, grace: float = 10.0) -> None:
    """SIGTERM ``processes`` (psutil), then SIGKILL those alive ``grace`` seconds later."""
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, still = psutil.wait_procs(processes, timeout=grace)
    for process in still:
        with contextlib.suppress(psutil.Error):
            process.kill()


def stop_when_orphaned(every: float = 0.5) -> None:
    """In a trial started by ``bakeoff run``: once the runner is gone, stop through the
    fixtures' teardown (a SIGINT to the trial's process group, as Ctrl-C in a terminal:
    pytest tears every fixture down, worker processes stop), output going nowhere; after
    ``ORPHAN_GRACE`` seconds, stop what is left and exit."""
    runner = os.environ.get(RUNNER_ENV)
    if not runner or int(runner) != os.getppid():
        return
    threading.Thread(target=_watch, args=(int(runner), every), daemon=True).start()


def _watch(runner: int, every: float) -> None:
    import psutil

    while os.getppid() == runner:
        time.sleep(every)
    ORPHANED.set()
    nowhere = os.open(os.devnull, os.O_WRONLY)  # the runner read our output; no one does now
    os.dup2(nowhere, 1)
    os.dup2(nowhere, 2)
    os.killpg(os.getpgrp(), signal.SIGINT)  # as Ctrl-C would: the trial and its workers
    time.sleep(ORPHAN_GRACE)
    with contextlib.suppress(psutil.Error):
        stop_processes(psutil.Process().children(recursive=True))
    os._exit(1)
