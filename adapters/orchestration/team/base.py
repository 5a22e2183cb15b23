"""What every team set-up shares: runs started together, bursts, start delays."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from adapters.orchestration import usage
from adapters.orchestration.base import PIPELINES, Orchestrator, Outcome
from scenarios import pipeline

FANOUT = "fanout-100"  # one run of 100 short tasks between a first task and a join
SLOTS = 8  # task slots for every tool: 2 Celery workers x 4, LocalExecutor 8, Metaflow 8
# a task's place in its pipeline: it may start once every task one place before it ended
# (the first ones once the run is triggered); Metaflow names its start/end steps load/save
ORDER = {
    "sales": {step: place for place, step in enumerate(pipeline.STEPS)},
    FANOUT: {"start": 0, "load": 0, "fan": 1, "join": 2, "save": 3},
}


@dataclass(frozen=True)
class TeamRun:
    """One run of a burst: its outcome, when bakeoff triggered it and when the tool says it
    ended (epoch seconds), and Airflow's queued -> started delay of each task (seconds)."""

    run_dir: Path
    outcome: Outcome
    triggered: float
    ended: float
    queue_delays: tuple[float, ...] = ()

    def start_delays(self, name: str) -> list[float]:
        """Seconds from the moment each task of this run of pipeline ``name`` could start
        (the run triggered, or every task one place before it ended) to its start."""
        places = [(ORDER[name][s.name.split("[")[0]], s) for s in self.outcome.steps]
        ends: dict[int, float] = {}
        for place, step in places:
            ends[place] = max(ends.get(place, 0.0), step.ended or 0.0)
        ready = {0: self.triggered, **{place + 1: end for place, end in ends.items()}}
        return [step.started - ready[place] for place, step in places if step.started]


@dataclass(frozen=True)
class Burst:
    """Runs triggered together, and the peak memory (MB) of each component while they ran."""

    runs: tuple[TeamRun, ...]
    peak_rss_mb: dict[str, float]
    peak_pss_mb: dict[str, float]

    @property
    def makespan(self) -> float:
        """Seconds from the first trigger to the last run's end, by the tool's records."""
        return max(r.ended for r in self.runs) - min(r.triggered for r in self.runs)


class TeamLoad(Orchestrator):
    """Runs started together; by default one thread per run waits on the tool's command."""

    operations = ("run", "resume", "run_together")
    pipelines = (*PIPELINES, FANOUT)

    def run_together(self, name: str, data: Path, count: int) -> Burst:
        """Trigger ``count`` runs of ``name`` at once and wait for all of them to end."""
        if name not in self.pipelines:
            known = ", ".join(self.pipelines)
            raise ValueError(f"unknown pipeline {name!r}; choose one of {known}.")
        run_dirs = [self._run_dir(data) for _ in range(count)]
        sampler = usage.GroupSampler(self.memory_groups)
        sampler.start()
        try:
            runs = self.launch_together(name, run_dirs)
        finally:
            sampler.stop()
        return Burst(tuple(runs), sampler.peak_rss_mb, sampler.peak_pss_mb)

    def _run_dir(self, data: Path) -> Path:
        run_dir = self.workdir / "runs" / str(next(self._runs))
        run_dir.mkdir(parents=True)
        shutil.copyfile(data, run_dir / pipeline.INPUT)
        return run_dir

    def launch_together(self, name: str, run_dirs: list[Path]) -> list[TeamRun]:
        with ThreadPoolExecutor(len(run_dirs)) as pool:
            return list(pool.map(lambda run_dir: self._launch_one(name, run_dir), run_dirs))

    def _launch_one(self, name: str, run_dir: Path) -> TeamRun:
        triggered = time.time()
        outcome = self.launch(name, run_dir, True)
        ended = max((s.ended for s in outcome.steps if s.ended), default=triggered)
        return TeamRun(run_dir, outcome, triggered, ended)

    def memory_groups(self) -> dict[str, list[int]]:
        """Component name -> root pids whose process trees are measured."""
        return {"runs": [p.pid for p in psutil.Process().children()]}

    def idle_components_mb(self) -> tuple[dict[str, float], dict[str, float]]:
        """(PSS, RSS) in MB of each component with no run going: what staying up costs."""
        sampler = usage.GroupSampler(self.memory_groups)
        sampler.sample()
        return sampler.peak_pss_mb, sampler.peak_rss_mb
