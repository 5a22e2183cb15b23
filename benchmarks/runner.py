"""Run trials: each (stage, tool, rows) in its own pytest-benchmark process.

A trial runs ``pytest benchmarks/bench_<stage>.py`` for one tool and one size, in a
new process group with a time limit, while the runner samples the memory of its whole
process tree (servers included) and relays its progress lines. A crash, hang or
memory blow-up of one tool is recorded as that tool's failure and the run goes on.

A trial whose stored record still matches its key is reused, not run (benchmarks/reuse.py);
each finished trial's records are written to the run's results file at once, so a killed
run keeps them, and the processes trials start are kept in a ledger (benchmarks/ledger.py).
"""

from __future__ import annotations

import contextlib
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

from adapters import registry, setups
from adapters.processes import rss_bytes, stop, tree
from benchmarks.clock import Clock, duration
from benchmarks.forked import without_workers
from benchmarks.ledger import RUNNER_ENV, Ledger, stop_processes
from benchmarks.reuse import Decision, Reuse, Stored
from reports.labels import counted
from reports.results import Record, Results, now_iso, replace, save

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"  # where bench_<stage>.py files are (a test may point elsewhere)
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
    setup: str = ""  # "" = the stage's default set-up; "team" or "spark" (adapters/setups.py)
    smoke: bool = False  # --quick: one cold round, the checks, no probes (pytest --smoke)

    @property
    def section(self) -> str:
        """The report's section, as ``Record.section``: the stage, or ``<stage>-<set-up>``."""
        return f"{self.stage}-{self.setup}" if self.setup else self.stage


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


def bench_file(stage: str) -> Path:
    return BENCHMARKS / f"bench_{stage}.py"


class RunFile:
    """This run's results file: written when the first record comes (a run that measured
    nothing new writes none), rewritten atomically after each trial."""

    def __init__(self, results: Results, folder: Path | None = None, stem: str = ""):
        self.results, self.folder, self.stem = results, folder, stem
        self.path: Path | None = None

    @property
    def records(self) -> list[Record]:
        return self.results.records

    def add(self, records: list[Record]) -> None:
        self.results.records += records
        if self.folder is None or not records:
            return
        if self.path is None:
            self.path = save(self.results, self.folder, self.stem)
        else:
            replace(self.results, self.path)


def run_plan(plan: Plan, records: list[Record], report: Callable[[str], None] = print) -> None:
    """Run one plan's trials, measuring all (see :func:`run_plans`), into ``records``."""
    run = RunFile(Results({}))
    try:
        run_plans([plan], run, report, reuse=Reuse({}))
    finally:
        records += run.records


def run_plans(plans: list[Plan], run: RunFile, report: Callable[[str], None] = print,
              clock: Clock | None = None, reuse: Reuse | None = None,
              after_plan: Callable[[int, bool], None] | None = None) -> list[str]:  # fmt: skip
    """Run every plan's (tool, rows) trials, adding each trial's records to ``run`` as it
    finishes, and return what was left out to fit the clock's budget.

    A trial whose stored record ``reuse`` matches is not run; a tool that is not installed
    gets a not_run record, and so does a trial left out to fit ``--budget``. Each trial's
    line says how much of the run is left, estimated from earlier runs. ``after_plan(done,
    measured)`` is called after each plan (done: how many plans are finished; measured:
    whether this plan added records).
    """
    clock = clock or Clock(folder=Path(tempfile.gettempdir()) / "bakeoff-no-history")
    reuse = reuse or Reuse({})
    trials = [(plan, rows, tool, reuse.decide(plan, tool, rows))
              for plan in plans for rows, tool in trial_order(plan)]  # fmt: skip
    report_reuse([decision for *_, decision in trials], report)
    ledger, left_out, prepared = Ledger(), [], set()
    try:
        for number, (plan, rows, tool, decision) in enumerate(trials, start=1):
            label = f"[{number}/{len(trials)} {plan.section}] {tool}, "
            label += counted(rows, plan_unit(plan))
            if decision.reuse:
                report(f"{label}: reused, measured {decision.reuse.date}: "
                       f"{summary([decision.reuse.record])}")  # fmt: skip
            else:
                later = [(_timed_as(p), t, r) for p, r, t, d in trials[number:] if not d.reuse]
                trial = _Trial(plan, tool, rows, label, decision)
                left_out += trial.run(run, reuse, clock, later, ledger, report, prepared)
            if after_plan and (number == len(trials) or trials[number][0] is not plan):
                after_plan(plans.index(plan) + 1, _measured_in(run, plan))
    finally:
        ledger.close()  # the running trial and its servers were stopped (_supervise)
    return left_out


def _measured_in(run: RunFile, plan: Plan) -> bool:
    return any(r.stage == plan.stage and r.setup == plan.setup for r in run.records)


def report_reuse(decisions: list[Decision], report: Callable[[str], None]) -> None:
    """One line before the first trial: how many trials are reused, measured when."""
    reused = [d.reuse for d in decisions if d.reuse]
    if not reused:
        return
    dates = sorted(stored.date for stored in reused)
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    report(f"{len(reused)} of {len(decisions)} trials reused: measured {when} under the same "
           "key (machine, versions, code, options); --force measures them again")  # fmt: skip


@dataclass
class _Trial:
    """One trial to run (not reused), and how its records are kept."""

    plan: Plan
    tool: str
    rows: int
    label: str
    decision: Decision

    def run(self, run: RunFile, reuse: Reuse, clock: Clock, later, ledger: Ledger,
            report: Callable[[str], None], prepared: set) -> list[str]:  # fmt: skip
        """Measure, record and report the trial; return what was left out for --budget.
        The first trial run at a size of ``prepared``'s stage makes its workload data first."""
        plan, tool, rows, label = self.plan, self.tool, self.rows, self.label
        timed_as = _timed_as(plan)
        missing = registry.missing(plan.stage, setups.base_tool(tool))
        missing = missing or clock.fits(timed_as, tool, rows)
        if missing:
            record = Record(plan.stage, tool, rows, status="not_run", reason=missing,
                            setup=plan.setup)  # fmt: skip
            self.keep(run, [record])
            report(f"{label}: not run: {missing}")
            left = missing.startswith("left out")
            return [f"{plan.section}.{tool} at {counted(rows, plan_unit(plan))}"] if left else []
        answers = self.decision.answers
        carried = f", probe answers of {answers.answered_on} carried over" if answers else ""
        why = f"{self.decision.why}; " if self.decision.why else ""
        report(f"{label}: running{carried} ({why}{duration(clock.elapsed())} so far, "
               f"{clock.remaining([(timed_as, tool, rows), *later])})")  # fmt: skip
        relay, known = (lambda line: report(f"{label}: {line}")), bool(self.decision.answers)
        made = None
        if not plan.data and not plan.setup and (plan.stage, rows) not in prepared:
            prepared.add((plan.stage, rows))
            made = prepare_data(plan, rows, relay, ledger)
        started = time.monotonic()
        records, imported = run_trial(plan, tool, rows, relay, known, ledger)
        for record in records:
            record.data_seconds = made
        clock.finished(timed_as, tool, rows, time.monotonic() - started)
        reuse.complete(records, plan, tool, rows, imported, self.decision)
        self.keep(run, records)
        report(f"{label}: {summary(records)}")
        return []

    def keep(self, run: RunFile, records: list[Record]) -> None:
        """Add the records to the run's file, except a not_run record that says again what
        the record the report shows says already (a tool still not installed)."""
        shown: Stored | None = self.decision.stored
        same = [r for r in records if shown and r.status == "not_run" == shown.record.status
                and r.reason == shown.record.reason]  # fmt: skip
        run.add([r for r in records if r not in same])


def _timed_as(plan: Plan) -> str:
    """The name the clock keeps a plan's trial times under: a smoke run's apart."""
    return f"{plan.section} quick" if plan.smoke else plan.section


def plan_unit(plan: Plan) -> str:
    if plan.setup:
        return setups.lookup(plan.stage, plan.setup).unit
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


def run_trial(plan: Plan, tool: str, rows: int, relay: Callable[[str], None],
              answers_known: bool = False, ledger: Ledger | None = None,
              ) -> tuple[list[Record], dict]:  # fmt: skip
    """One trial in its own process; returns its records (a failed one if it crashed) and
    what it imported ({"files", "modules"}: the runner keys the trial on them).
    ``answers_known``: skip the tests that answer about the tool version (their stored
    answers are carried over)."""
    with tempfile.TemporaryDirectory(prefix="bakeoff-trial-") as scratch:
        out = Path(scratch) / "records.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(bench_file(plan.stage)),
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
            # feature probes once per tool, at the run's smallest size (probes.probes_here)
            f"--probe-rows={min(plan.sizes)}",
            f"--bakeoff-out={out}",
            "--benchmark-disable-gc",
        ]
        if plan.data:
            command.append(f"--data={plan.data}")
        if plan.setup:
            command.append(f"--setup={plan.setup}")
        if plan.smoke:
            command.append("--smoke")
        if answers_known:
            command.append("--answers-known")
        started = time.perf_counter()
        outcome = _supervise(command, plan.time_limit, relay, ledger)
        wall = time.perf_counter() - started
        records = [Record(**r) for r in json.loads(out.read_text())] if out.exists() else []
        imports = out.with_suffix(".imports.json")
        imported = json.loads(imports.read_text()) if imports.exists() else {}
    for record in records:
        record.peak_rss_mb, record.wall_seconds = outcome.peak_rss_mb, wall
        record.measured_rss_mb = outcome.measured_rss_mb
    if not records:
        records = [Record(plan.stage, tool, rows, "failed", outcome.reason(), setup=plan.setup)]
    elif outcome.timed_out or outcome.returncode not in (0, None):
        # a failed check fails the trial, whatever was timed before it
        for record in records:
            if record.status == "ok" or outcome.timed_out:
                record.status, record.reason = "failed", outcome.reason()
    return records, imported


def prepare_data(plan: Plan, rows: int, relay: Callable[[str], None],
                 ledger: Ledger | None = None) -> float:  # fmt: skip
    """Make the stage's cached workload data for ``rows`` (benchmarks/prepare.py) in a
    process of its own, before the first trial at that size; return its wall seconds. A
    failure is shown and left to the trials, which make the data themselves and fail
    loudly in their own records if it fails again."""
    command = [sys.executable, "-m", "benchmarks.prepare", "--bench", str(bench_file(plan.stage)),
               "--rows", str(rows), "--probe-rows", str(min(plan.sizes))]  # fmt: skip
    if plan.smoke:
        command.append("--smoke")
    started = time.perf_counter()
    outcome = _supervise(command, plan.time_limit, relay, ledger)
    seconds = time.perf_counter() - started
    if outcome.timed_out or outcome.returncode != 0:
        relay(f"workload data not made in advance ({outcome.reason()}): each trial makes it")
    elif seconds >= 1:
        relay(f"workload data made in {seconds:.0f} s (cached for later trials and runs)")
    return seconds


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


def _supervise(command: list[str], time_limit: float, relay: Callable[[str], None],
               ledger: Ledger | None = None) -> Outcome:  # fmt: skip
    """Run ``command`` in a new process group; sample its tree's memory; kill it on time-out.
    Every process of the tree goes into ``ledger`` (a killed run's next run stops them)."""
    # a parent pytest-xdist worker's variables would make pytest-benchmark switch timing off
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env = {**inherited, "PYTHONUNBUFFERED": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           RUNNER_ENV: str(os.getpid())}  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )
    state = _TrialState(process.pid, ledger=ledger)
    reader = threading.Thread(target=_read, args=(process, state, relay), daemon=True)
    reader.start()
    peak, deadline, timed_out = 0, time.monotonic() + time_limit, False
    try:
        while process.poll() is None:
            peak = max(peak, state.sample())
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.1)
    finally:
        stop(process)
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
    ledger: Ledger | None = None
    noting: threading.Lock = field(default_factory=threading.Lock)  # sampled from two threads

    def note(self, members: list) -> None:
        """Remember the trial and every process it started, in the run's ledger too (a
        ``kill -9`` of the run leaves them to the next run to stop)."""
        import psutil

        with self.noting:
            new = []
            for member in members:
                if member.pid in self.descendants:
                    continue
                with contextlib.suppress(psutil.Error):
                    self.descendants[member.pid] = created = member.create_time()
                    trial = member.pid == self.pid
                    name = "trial" if trial else member.name()
                    new.append({"pid": member.pid, "created": created, "name": name,
                                "trial": trial})  # fmt: skip
            if new and self.ledger is not None:
                self.ledger.note(new)

    def stop_descendants(self, grace: float = 10.0) -> None:
        """SIGTERM every remembered process still alive (the same process: same create
        time), then SIGKILL what is left after ``grace`` seconds."""
        import psutil

        alive = []
        with self.noting:
            remembered = list(self.descendants.items())
        for pid, created in remembered:
            with contextlib.suppress(psutil.Error):
                found = psutil.Process(pid)
                if found.create_time() == created and found.status() != psutil.STATUS_ZOMBIE:
                    alive.append(found)
        stop_processes(alive, grace)

    def sample(self) -> int:
        """The tree's RSS now, less bakeoff's forked workers (benchmarks/forked.py); also
        the measured peak if an operation is being measured. Every process of the tree is
        noted (:meth:`note`), workers too."""
        members = tree(self.pid)
        self.note(members)
        rss = rss_bytes(without_workers(members))  # bakeoff's forks are not the tool's memory
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
            modules = registry.lookup(stage, setups.base_tool(tool)).modules
            names = distributions.get(modules[0].split(".")[0], []) if modules else []
            if names:
                versions[f"{stage}.{tool}"] = f"{names[0]} {metadata.version(names[0])}"
    return versions


def new_results(plans: list[Plan]) -> Results:
    """An empty results file for the plans, with every stage's declaration beside its
    records: the report takes its words (questions, units, names) from there."""
    env = environment({plan.stage: plan.tools for plan in plans})
    if any(plan.smoke for plan in plans):
        env["smoke"] = True  # the report says it was made from a smoke run
    return Results(environment=env, stages=registry.as_json())
