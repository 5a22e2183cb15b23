"""Untimed work spread over the machine's cores: answers, not timings.

A trial's timed rounds run one at a time, alone on the machine. Work whose result is an
answer rather than a time (detection quality over 20 seeds: Evidently's full check 140
times) may use every core the trial has: ``forked_map`` forks the trial process after
its imports and set-up, so each child holds the same adapter (and talks to the same
servers) and computes its share of the items; the parent computes the first share and
collects the rest in order. A child's error is raised again in the parent, with the
child's traceback in its message: an error is never lost to a child's exit.

A child names itself ``bakeoff-worker`` first thing: the runner leaves such processes and
what they start out of the trial's memory (a fork's copy of the trial process, or a
second lint at the same time, is bakeoff's choice, not the tool's footprint).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
WORKER_NAME = "bakeoff-worker"  # the process name (Linux comm) of a forked worker


def workers(items: int, wanted: int | None = None) -> int:
    """The processes ``forked_map`` uses for ``items`` items: up to ``wanted`` (default: the
    cores this process may run on), one where fork is not safe (all but Linux)."""
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(wanted or len(os.sched_getaffinity(0)), items))


class ChildError(RuntimeError):
    """A forked child failed: raised with its traceback as text where its error could not
    be sent back as itself, else the cause of the error raised again."""


def forked_map(
    func: Callable[[Item], Result], items: Iterable[Item], processes: int | None = None
) -> list[Result]:
    """``[func(item) for item in items]``, in order, over up to ``processes`` processes
    (default: the cores). Items go round-robin, so slow and fast items share out evenly.
    Only for work that is not timed: the processes run at the same time."""
    items = list(items)
    count = workers(len(items), processes)
    if count == 1:
        return [func(item) for item in items]
    shares = [items[start::count] for start in range(count)]
    children = [_fork(func, share) for share in shares[1:]]
    try:
        results = [[func(item) for item in shares[0]]]
    finally:
        answers = [_collect(*child) for child in children]  # reaped even when ours failed
    for answer in answers:
        results.append(_unpacked(answer))
    out = [None] * len(items)
    for start, share in enumerate(results):
        out[start::count] = share
    return out


def _fork(func: Callable, share: list) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    _name_worker()
    os.close(read)  # the child: compute, send, and leave without pytest's teardown
    try:
        payload = ("ok", [func(item) for item in share])
    except BaseException as error:  # sent to the parent, which raises it
        payload = ("error", error, traceback.format_exc())
    try:
        data = pickle.dumps(payload)
    except Exception as error:  # what does not pickle goes back as text
        text = payload[2] if payload[0] == "error" else f"its answers did not pickle: {error}"
        data = pickle.dumps(("error", None, text))
    with os.fdopen(write, "wb") as out:
        out.write(data)
    os._exit(0)


def _collect(pid: int, read: int) -> tuple:
    with os.fdopen(read, "rb") as source:
        data = source.read()  # before waitpid: a child blocks on a full pipe until read
    _, status = os.waitpid(pid, 0)
    if not data:
        code = os.waitstatus_to_exitcode(status)
        return ("error", None, f"a forked worker (pid {pid}) exited with {code} and no answer")
    return pickle.loads(data)


def _unpacked(answer: tuple) -> list:
    if answer[0] == "ok":
        return answer[1]
    _, error, text = answer
    if error is None:
        raise ChildError(f"in a forked worker: {text}")
    raise error from ChildError(f"in a forked worker:\n{text}")


def _name_worker() -> None:
    """Set this process's name to WORKER_NAME (Linux prctl PR_SET_NAME); where the call
    fails it keeps its name, and its memory counts with the trial's."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(15, WORKER_NAME.encode(), 0, 0, 0)


def without_workers(members: list) -> list:
    """``members`` (psutil processes) less forked workers and every process they started."""
    import psutil

    left_out = set()
    for member in members:
        with contextlib.suppress(psutil.Error):
            if member.name() == WORKER_NAME:
                left_out |= {member.pid, *(c.pid for c in member.children(recursive=True))}
    return [member for member in members if member.pid not in left_out]
