"""What the orchestrators' processes use: wall and CPU seconds, peak memory.

"Everything the tool started" is every descendant of this process, so one sampler
serves every tool: subprocess runs, the Metaflow step processes, the Airflow servers
(started and stopped through adapters/processes.py).
"""

from __future__ import annotations

import contextlib
import resource
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil

from adapters import processes

SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Usage:
    """Wall and CPU seconds, and the peak memory of the tool's processes, for one run."""

    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0

    @staticmethod
    @contextlib.contextmanager
    def measure() -> Iterator[Sampler]:
        sampler = Sampler()
        sampler.start()
        try:
            yield sampler
        finally:
            sampler.stop()


def descendants() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _reaped_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def memory_mb() -> tuple[float, float]:
    """(PSS, RSS) in MB summed over the live descendants."""
    pss = rss = 0
    for process in descendants():
        with contextlib.suppress(psutil.Error):
            info = process.memory_full_info()
            pss, rss = pss + info.pss, rss + info.rss
    return pss / 1e6, rss / 1e6


class Sampler(threading.Thread):
    """Samples descendants' memory until stopped; CPU from live trees and reaped children."""

    def __init__(self):
        super().__init__(daemon=True)
        self._done = threading.Event()
        self._peak = (0.0, 0.0)
        self._began = time.perf_counter()
        self._cpu_start = {p.pid: self._safe_cpu(p) for p in descendants()}
        self._reaped_start = _reaped_cpu()
        self._ended = self._cpu = 0.0

    @staticmethod
    def _safe_cpu(process: psutil.Process) -> float:
        try:
            return _cpu(process)
        except psutil.Error:
            return 0.0

    def run(self) -> None:
        while not self._done.is_set():
            pss, rss = memory_mb()
            self._peak = (max(self._peak[0], pss), max(self._peak[1], rss))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._ended = time.perf_counter()
        live = sum(self._safe_cpu(p) - self._cpu_start.get(p.pid, 0.0) for p in descendants())
        self._cpu = live + _reaped_cpu() - self._reaped_start
        self._done.set()
        self.join()

    def result(self) -> Usage:
        return Usage(self._ended - self._began, self._cpu, *self._peak)


class GroupSampler(threading.Thread):
    """Peak RSS and PSS (MB) per named group of process trees, sampled until stopped.

    ``groups`` returns, at each sample, group name -> root pids (components come and go)."""

    SECONDS = 0.5  # reading every process's smaps is not free on a busy 2-core machine

    def __init__(self, groups):
        super().__init__(daemon=True)
        self._groups, self._done = groups, threading.Event()
        self.peak_rss_mb: dict[str, float] = {}
        self.peak_pss_mb: dict[str, float] = {}

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.SECONDS)

    def sample(self) -> None:
        for name, roots in self._groups().items():
            pss = rss = 0
            for process in processes.tree(*roots):
                with contextlib.suppress(psutil.Error):
                    info = process.memory_full_info()
                    pss, rss = pss + info.pss, rss + info.rss
            self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), rss / 1e6)
            self.peak_pss_mb[name] = max(self.peak_pss_mb.get(name, 0.0), pss / 1e6)

    def stop(self) -> None:
        self._done.set()
        self.join()
