"""Run trials: each (stage, tool, rows) in its own pytest-benchmark process.

A trial runs ``pytest benchmarks/bench_<stage>.py`` for one tool and one size, in a
new process group with a time limit, while the runner samples the memory of its whole
process tree (servers included) and relays its progress lines. A crash, hang or
memory blow-up of one tool is recorded as that tool's failure and the run goes on.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from adapters import registry
from adapters.servers import stop_group, tree_rss_bytes
from benchmarks.clock import Clock, duration
from reports.labels import counted
from reports.results import Record, Results, now_iso

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIME_LIMIT = 1800.0


@dataclass(frozen=True)
class Plan:
    """What one ``bakeoff run`` will do."""

    stage: str
    tools: tuple[str, ...]
    sizes: tuple[int, ...]
    repeats: int
    data: Path | None = None
    time_limit: float = DEFAULT_TIME_LIMIT
    seed: int = 0  # the order of tools within a size is shuffled with this seed
    variant: str = ""  # "" = the stage's default set-up; "team" or "spark" (see VARIANTS)
    smoke: bool = False  # --quick: one cold round, the checks, no probes (pytest --smoke)


def trial_order(plan: Plan) -> list[tuple[int, str]]:
    """(rows, tool) in run order: sizes ascending, tools shuffled within each size (seeded),
    so that no tool always runs first on a cold machine or last on a warm one."""
    import random

    order = []
    for rows in plan.sizes:
        tools = list(plan.tools)
        random.Random(f"{plan.seed}:{plan.stage}:{rows}").shuffle(tools)
        order += [(rows, tool) for tool in tools]
    return order


def stage_sizes(stage: str, quick: bool, variant: str = "") -> tuple[int, ...]:
    """The row counts a stage's benchmark file declares (``QUICK_SIZES`` with --quick);
    for a variant, its ``sizes`` (``quick``)."""
    module = importlib.import_module(f"benchmarks.bench_{stage}")
    if variant:
        declared = stage_variants(stage)[variant]
        return tuple(declared.get("quick", declared["sizes"]) if quick else declared["sizes"])
    return tuple(getattr(module, "QUICK_SIZES", module.SIZES) if quick else module.SIZES)


def stage_variants(stage: str) -> dict[str, dict]:
    """The other set-ups a stage's benchmark file declares (``VARIANTS``), by name."""
    module = importlib.import_module(f"benchmarks.bench_{stage}")
    return getattr(module, "VARIANTS", {})


def run_plan(plan: Plan, records: list[Record], report: Callable[[str], None] = print) -> None:
    """Run one plan's trials (see :func:`run_plans`)."""
    run_plans([plan], records, report)


def run_plans(plans: list[Plan], records: list[Record], report: Callable[[str], None] = print,
              clock: Clock | None = None) -> list[str]:  # fmt: skip
    """Run every plan's (tool, rows) trials, appending to ``records`` as each finishes, and
    return what was left out to fit the clock's budget.

    A tool that is not installed gets a not_run record, and so does a trial left out to fit
    ``--budget``; an interrupted run keeps the records of the trials that finished. Each
    trial's line says how much of the run is left, estimated from earlier runs.
    """
    clock = clock or Clock(folder=Path(tempfile.gettempdir()) / "bakeoff-no-history")
    trials = [(plan, rows, tool) for plan in plans for rows, tool in trial_order(plan)]
    left_out = []
    for number, (plan, rows, tool) in enumerate(trials, start=1):
        section, timed_as = _section(plan), _timed_as(plan)
        label = f"[{number}/{len(trials)} {section}] {tool}, {counted(rows, plan_unit(plan))}"
        missing = registry.missing(plan.stage, tool.split("+", 1)[0])
        missing = missing or clock.fits(timed_as, tool, rows)
        if missing:
            records.append(Record(plan.stage, tool, rows, status="not_run", reason=missing,
                                  variant=plan.variant))  # fmt: skip
            report(f"{label}: not run: {missing}")
            if missing.startswith("left out"):
                left_out.append(f"{section}.{tool} at {counted(rows, plan_unit(plan))}")
            continue
        later = [(_timed_as(p), t, r) for p, r, t in trials[number:]]
        report(f"{label}: running ({duration(clock.elapsed())} so far, "
               f"{clock.remaining([(timed_as, tool, rows), *later])})")  # fmt: skip
        started = time.monotonic()
        trial_records = run_trial(plan, tool, rows, lambda line, lb=label: report(f"{lb}: {line}"))
        clock.finished(timed_as, tool, rows, time.monotonic() - started)
        records += trial_records
        report(f"{label}: {summary(trial_records)}")
    return left_out


def _section(plan: Plan) -> str:
    return f"{plan.stage}-{plan.variant}" if plan.variant else plan.stage


def _timed_as(plan: Plan) -> str:
    """The name the clock keeps a plan's trial times under: a smoke run's apart."""
    return f"{_section(plan)} quick" if plan.smoke else _section(plan)


def plan_unit(plan: Plan) -> str:
    if plan.variant:
        return stage_variants(plan.stage)[plan.variant].get("unit", "rows")
    return "rows"


def summary(records: list[Record]) -> str:
    parts = []
    for record in records:
        if record.status != "ok":
            parts.append(f"{record.status}: {record.reason}")
            continue
        main = {k: v for k, v in record.timings.items() if k != "setup"}
        shown = ", ".join(f"{op} {t['median']:.4g} s" for op, t in list(main.items())[:3])
        parts.append(f"ok ({shown}; peak {record.peak_rss_mb or 0:.0f} MB)")
    return "; ".join(parts) or "no records"


def run_trial(plan: Plan, tool: str, rows: int, relay: Callable[[str], None]) -> list[Record]:
    """One trial in its own process; returns its records (a failed one if it crashed)."""
    with tempfile.TemporaryDirectory(prefix="bakeoff-trial-") as scratch:
        out = Path(scratch) / "records.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "benchmarks" / f"bench_{plan.stage}.py"),
            "-m",
            plan.stage,
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            # only the plugin trials use: the installed tools bring others (faker, hydra,
            # anyio, typeguard) whose imports cost ~2 s of every trial's overhead
            "-p",
            "pytest_benchmark.plugin",
            "--rootdir",
            str(ROOT),
            f"--tools={tool}",
            f"--rows={rows}",
            f"--repeats={plan.repeats}",
            # feature probes once per tool, at the run's smallest size (harness.probes_here)
            f"--probe-rows={min(plan.sizes)}",
            f"--bakeoff-out={out}",
            "--benchmark-disable-gc",
        ]
        if plan.data:
            command.append(f"--data={plan.data}")
        if plan.variant:
            command.append(f"--variant={plan.variant}")
        if plan.smoke:
            command.append("--smoke")
        started = time.perf_counter()
        outcome = _supervise(command, plan.time_limit, relay)
        wall = time.perf_counter() - started
        records = [Record(**r) for r in json.loads(out.read_text())] if out.exists() else []
    for record in records:
        record.peak_rss_mb, record.wall_seconds = outcome.peak_rss_mb, wall
        record.measured_rss_mb = outcome.measured_rss_mb
    if not records:
        records = [Record(plan.stage, tool, rows, "failed", outcome.reason(), variant=plan.variant)]
    elif outcome.timed_out or outcome.returncode not in (0, None):
        # a failed check fails the trial, whatever was timed before it
        for record in records:
            if record.status == "ok" or outcome.timed_out:
                record.status, record.reason = "failed", outcome.reason()
    return records


@dataclass
class Outcome:
    returncode: int | None
    peak_rss_mb: float  # the whole trial, servers started for probes included
    measured_rss_mb: float | None  # only while measured operations ran
    timed_out: bool
    last_lines: list[str]
    time_limit: float

    def reason(self) -> str:
        if self.timed_out:
            return f"the trial did not finish within its time limit of {self.time_limit:.0f} s"
        lines = [line.strip() for line in self.last_lines if line.strip()]
        checks = [line for line in lines if line.startswith(("E ", "FAILED", "ERROR"))]
        detail = (checks or lines or ["no output"])[-1]
        return f"the trial process exited with code {self.returncode}: {detail[:300]}"


def _supervise(command: list[str], time_limit: float, relay: Callable[[str], None]) -> Outcome:
    """Run ``command`` in a new process group; sample its tree's memory; kill it on time-out."""
    # a parent pytest-xdist worker's variables would make pytest-benchmark switch timing off
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env = {**inherited, "PYTHONUNBUFFERED": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )
    state = _TrialState(process.pid)
    reader = threading.Thread(target=_read, args=(process, state, relay), daemon=True)
    reader.start()
    peak, deadline, timed_out = 0, time.monotonic() + time_limit, False
    try:
        while process.poll() is None:
            peak = max(peak, state.sample())
            state.note_descendants()
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.1)
    finally:
        stop_group(process)
        # servers a trial started in their own sessions (PostgreSQL, Airflow, Celery workers)
        # are not in its process group: a trial stopped before its fixtures closed them
        # would leave them running
        state.stop_descendants()
    reader.join(timeout=5)
    return Outcome(
        process.returncode,
        peak / 2**20,
        state.measured_peak / 2**20 if state.measured_peak else None,
        timed_out,
        state.last_lines[-20:],
        time_limit,
    )


@dataclass
class _TrialState:
    pid: int
    last_lines: list[str] = field(default_factory=list)
    measuring: bool = False
    measured_peak: int = 0  # bytes, sampled only while measured operations run

    descendants: dict[int, float] = field(default_factory=dict)  # pid -> create time
    noted_at: float = 0.0

    def note_descendants(self, every: float = 1.0) -> None:
        """Remember every process the trial started (at most once a second)."""
        import psutil

        if time.monotonic() - self.noted_at < every:
            return
        self.noted_at = time.monotonic()
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    self.descendants[child.pid] = child.create_time()

    def stop_descendants(self, grace: float = 10.0) -> None:
        """SIGTERM every remembered process still alive (the same process: same create
        time), then SIGKILL what is left after ``grace`` seconds."""
        import psutil

        alive = []
        for pid, created in self.descendants.items():
            with contextlib.suppress(psutil.Error):
                found = psutil.Process(pid)
                if found.create_time() == created and found.status() != psutil.STATUS_ZOMBIE:
                    alive.append(found)
        for found in alive:
            with contextlib.suppress(psutil.Error):
                found.terminate()
        _, still = psutil.wait_procs(alive, timeout=grace)
        for found in still:
            with contextlib.suppress(psutil.Error):
                found.kill()

    def sample(self) -> int:
        """The tree's RSS now; also the measured peak if an operation is being measured."""
        rss = tree_rss_bytes(self.pid)
        if self.measuring:
            self.measured_peak = max(self.measured_peak, rss)
        return rss


def _read(process: subprocess.Popen, state: _TrialState, relay: Callable[[str], None]):
    for line in process.stdout:
        if line.startswith("[phase] "):
            state.sample()  # the moment an operation ends (or starts) counts too
            state.measuring = line.strip() == "[phase] measuring"
            state.sample()
            continue
        state.last_lines.append(line.rstrip())
        del state.last_lines[:-50]
        if line.startswith("[progress] "):
            relay(line[len("[progress] ") :].rstrip())


def environment(tool_names: dict[str, tuple[str, ...]]) -> dict:
    """Where and with what the run happened: machine, Python, git commit, tool versions."""
    return {
        "date": now_iso(),
        "machine": platform.node(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(_memory_bytes() / 2**30, 1),
        "git_commit": _git_commit(),
        "tool_versions": _versions(tool_names),
    }


def _memory_bytes() -> int:
    import psutil

    return psutil.virtual_memory().total


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _versions(tool_names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Installed version of each measured tool's main Python distribution."""
    from importlib import metadata

    distributions = metadata.packages_distributions()
    versions = {}
    for stage, tools in tool_names.items():
        for tool in tools:
            modules = registry.lookup(stage, tool.split("+", 1)[0]).modules
            names = distributions.get(modules[0].split(".")[0], []) if modules else []
            if names:
                versions[f"{stage}.{tool}"] = f"{names[0]} {metadata.version(names[0])}"
    return versions


def new_results(plans: list[Plan]) -> Results:
    env = environment({plan.stage: plan.tools for plan in plans})
    if any(plan.smoke for plan in plans):
        env["smoke"] = True  # the report says it was made from a smoke run
    return Results(environment=env)
