"""The timing harness the per-stage benchmark files share: measured operations, timed
rounds, and the recorder that turns each trial into a results record. Beside it: the
session's options and parameters (benchmarks/options.py), feature probes and answers
(benchmarks/probes.py), cached workload data (benchmarks/datacache.py).

Timing: ``measure`` runs warm-up calls, then timed rounds until the spread is small
(relative IQR ≤ 5 % after at least 3 rounds, ≤ 2.5 % after 2 rounds of 2 s or more, or
rounds of 2 s or more that took 20 s together) or the maximum is reached, and hands the
samples to pytest-benchmark; the recorder stores their statistics as
``reports.results.stats`` computes them, the same IQR the stop rule tested. Everything else a
trial learns (setup steps, correctness, feature probes, details) is recorded beside it
and written, when the session ends, to the file named by ``--bakeoff-out`` for the
runner to collect, with the code and packages the trial imported (the runner keys the
trial on them: benchmarks/keys.py).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from adapters import registry, setups
from adapters.base import Adapter, AdapterError, NotRunnable
from benchmarks.datacache import DATA_SOURCES
from benchmarks.user_code import tool_imports
from reports.results import TOOL_ERRORS, Record, stats


def progress(message: str) -> None:
    """One progress line; the runner shows lines with this prefix while a trial runs."""
    print(f"[progress] {message}", file=sys.stderr, flush=True)


PHASE_MEASURING, PHASE_IDLE = "[phase] measuring", "[phase] idle"
# wall time this trial process spent measuring; open measured operations, and of them
# those whose memory counts
MEASURED = {"seconds": 0.0, "depth": 0, "memory": 0}
CHECKS = {"seconds": 0.0}  # wall time inside test bodies outside measured operations


@contextlib.contextmanager
def measuring(memory: bool = True) -> Iterator[None]:
    """Mark a measured operation for the runner, which charges the trial's memory peak
    to measured operations only (not to data generation or servers started for probes),
    and count its wall time as measured rather than harness overhead. ``memory`` False:
    the time counts as measured, the memory while measured leaves it out, for work some
    tools of the stage cannot do, whose memory would be set against rivals that did less
    (a load test of a JSON endpoint Streamlit does not have, whose load generator's memory
    is not the tool's either; a read-back Neptune's offline client cannot make)."""
    import time

    MEASURED["depth"] += 1
    MEASURED["memory"] += memory
    started = time.perf_counter()
    if memory and MEASURED["memory"] == 1:
        print(PHASE_MEASURING, file=sys.stderr, flush=True)
    try:
        yield
    finally:
        MEASURED["depth"] -= 1
        MEASURED["memory"] -= memory
        if MEASURED["depth"] == 0:
            MEASURED["seconds"] += time.perf_counter() - started
        if memory and MEASURED["memory"] == 0:
            print(PHASE_IDLE, file=sys.stderr, flush=True)


@contextlib.contextmanager
def counting_checks() -> Iterator[None]:
    """Count a test's body (not its fixtures) as checks and probes, less what it measured."""
    import time

    started, measured = time.perf_counter(), MEASURED["seconds"]
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        CHECKS["seconds"] += max(elapsed - (MEASURED["seconds"] - measured), 0.0)


SMOKE = {"on": False}  # --smoke: measure() makes no warm-up calls (set by the conftest)
SPREAD_TARGET = 0.05  # rounds stop early once IQR / median is at most this
MIN_ROUNDS = 3
# A call of seconds or more is steadier than a millisecond one: two rounds within 5 % of
# each other (IQR / median at most half the target) settle it, so a two-minute pipeline is
# not run a fourth time to confirm what the spread already shows. Faster calls keep three.
SLOW_ROUND_SECONDS = 2.0
SLOW_MIN_ROUNDS = 2
# Past the minimum rounds, an operation stops once its rounds have taken this long: asv's
# default max_time (its `repeat` of (1, 10, 20.0) in one process; (1, 5, 10.0) in each of
# its two by default). A call of 10 s or more is timed twice, and its IQR in the report
# shows how far the two rounds are apart
ROUND_BUDGET_SECONDS = 20.0


def warmups(wanted: int) -> int:
    """The warm-up calls to make before timed rounds (each timed, the first kept as the
    first-call figure, none in the rounds' statistics): none in a smoke run."""
    return 0 if SMOKE["on"] else wanted


def relative_spread(samples: list[float]) -> float:
    """IQR / median of ``samples`` (inf for fewer than two or a zero median)."""
    summary = stats(samples)
    return summary["iqr"] / summary["median"] if len(samples) > 1 and summary["median"] else 1e9


def settled(samples: list[float], rounds: int, min_rounds: int = MIN_ROUNDS) -> bool:
    """Whether timed rounds may stop: at least ``min_rounds`` (or ``rounds``, the maximum,
    when fewer) and a relative IQR of at most ``SPREAD_TARGET``; or two rounds of at least
    ``SLOW_ROUND_SECONDS`` each whose relative IQR is at most half of it, or whose rounds
    together took ``ROUND_BUDGET_SECONDS`` or more."""
    spread = relative_spread(samples)
    if len(samples) >= min(min_rounds, rounds) and spread <= SPREAD_TARGET:
        return True
    slow = len(samples) >= SLOW_MIN_ROUNDS and min(samples) >= SLOW_ROUND_SECONDS
    return slow and (spread <= SPREAD_TARGET / 2 or sum(samples) >= ROUND_BUDGET_SECONDS)


def measure(benchmark, label: str, func: Callable, *args, rounds: int, warmup: int = 1,
            min_rounds: int = MIN_ROUNDS, first_call: float | None = None):  # fmt: skip
    """Time ``func(*args)``: ``warmup`` warm-up calls (the first one's time kept apart as
    ``first_call``, or the ``first_call`` seconds given: a warm-up the test timed itself,
    under :func:`measuring`, where it is the same operation on other data whose answer
    the test needs, as monitoring's unchanged batch), then timed rounds (garbage collector
    off, as pytest-benchmark's ``--benchmark-disable-gc``) until the relative IQR is at most
    ``SPREAD_TARGET`` after ``min_rounds``, or ``rounds`` (the maximum) were timed. The
    samples become ``benchmark.stats`` for :meth:`Recorder.timing`. Returns the last result.
    A smoke run times its rounds cold: no warm-up."""
    import gc
    import time

    from pytest_benchmark.stats import Metadata

    if benchmark.disabled:  # --benchmark-disable: the checks run on one untimed call
        return func(*args)
    warmup = warmups(warmup)
    result, samples = None, []
    first = [] if first_call is None else [first_call]  # a warm-up call's seconds
    with measuring():  # warm-ups too: their memory is the tool's
        for call in range(warmup):
            progress(f"{label}: warm-up {call + 1}/{warmup}")
            started = time.perf_counter()
            result = func(*args)
            first.append(time.perf_counter() - started)
        while len(samples) < rounds:
            progress(f"{label}: round {len(samples) + 1} of at most {rounds}")
            enabled = gc.isenabled()
            gc.disable()
            try:
                started = time.perf_counter()
                result = func(*args)
                samples.append(time.perf_counter() - started)
            finally:
                if enabled:
                    gc.enable()
            if settled(samples, rounds, min_rounds):
                break
    benchmark._mode = "bakeoff.harness.measure"  # used: no "fixture was not used" warning
    benchmark.stats = Metadata(benchmark, iterations=1, options={})
    for sample in samples:
        benchmark.stats.update(sample)
    ADAPTIVE[(id(benchmark))] = rounds
    if first:
        FIRST_CALL[id(benchmark)] = first[0]
    return result


ADAPTIVE: dict[int, int] = {}  # id(benchmark) -> the most rounds measure() would have timed
# id(benchmark) -> the first (warm-up) call's seconds: timed and stored beside the rounds,
# as pyperf keeps its warm-up values, and shown as the tool's first-call time
FIRST_CALL: dict[int, float] = {}


class Recorder:
    """Collects one Record per (tool, rows) during a benchmark session."""

    def __init__(self, stage: str, out: Path | None, setup: str = ""):
        self.stage, self.out, self.setup = stage, out, setup
        self.records: dict[tuple[str, int], Record] = {}

    def record(self, tool: str, rows: int) -> Record:
        key = (tool, rows)
        if key not in self.records:
            role, capabilities = decision(self.stage, tool)
            self.records[key] = Record(stage=self.stage, tool=tool, rows=rows, setup=self.setup,
                                       role=role, capabilities=capabilities)  # fmt: skip
        return self.records[key]

    def timing(self, tool: str, rows: int, operation: str, benchmark) -> None:
        """The statistics of ``operation``'s timed rounds (seconds), from the one function
        that computes them (``reports.results.stats``: the IQR the stop rule tested is the
        IQR stored); none when timing is off (``--benchmark-disable``: the checks still run)."""
        if benchmark.stats is None:
            return
        timing = stats(list(benchmark.stats.stats.data))
        if id(benchmark) in ADAPTIVE:  # rounds stopped early once the spread was small
            timing["max_rounds"] = ADAPTIVE[id(benchmark)]
        if id(benchmark) in FIRST_CALL:  # the warm-up call, timed: not in the rounds' stats
            timing["first_call"] = FIRST_CALL[id(benchmark)]
        self.record(tool, rows).timings[operation] = timing

    def once(self, tool: str, rows: int, operation: str, seconds: float) -> None:
        """An operation that can only be timed once per trial (e.g. setup, server start)."""
        self.record(tool, rows).timings[operation] = stats([seconds])

    def steps(self, tool: str, rows: int, adapter: Adapter) -> None:
        self.record(tool, rows).setup_steps = [asdict(step) for step in adapter.setup_steps]

    def write(self) -> None:
        """Add this module's records to the ``--bakeoff-out`` file (if one was named), and
        what the trial imported to ``<out>.imports.json``."""
        if self.out is None:
            return
        for record in self.records.values():
            record.data = record.data or DATA_SOURCES.get(record.rows, {})
            record.measured_seconds = MEASURED["seconds"]
            record.checks_seconds = CHECKS["seconds"]
        earlier = json.loads(self.out.read_text(encoding="utf-8")) if self.out.exists() else []
        records = earlier + [asdict(record) for record in self.records.values()]
        self.out.write_text(json.dumps(records, indent=1, default=str), encoding="utf-8")
        imports = self.out.with_suffix(".imports.json")
        imports.write_text(json.dumps(imported()), encoding="utf-8")


def imported() -> dict:
    """What this process imported: {"files": modules that are not installed (the
    project's code), "modules": top-level names of installed, non-standard packages}."""
    import os
    import sysconfig

    folders = ("stdlib", "purelib", "platlib")
    roots = (sys.prefix, sys.base_prefix, *(sysconfig.get_paths()[k] for k in folders))
    installed = {os.path.realpath(root) for root in roots}
    files, modules = set(), set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = os.path.realpath(path)
        if not any(path.startswith(root + os.sep) for root in installed):
            files.add(path)
        elif name.split(".")[0] not in sys.stdlib_module_names:
            modules.add(name.split(".")[0])
    return {"files": sorted(files), "modules": sorted(modules)}


def decision(stage: str, tool: str) -> tuple[dict, dict[str, str]]:
    """The tool's part in its stage's decision and the capabilities it is asked for, as the
    stage declares them beside its ``TOOLS`` (``ROLES``, ``LAYERS``, ``CAPABILITIES``,
    ``LAYER_CAPABILITIES``): every record carries them to the report, which reads results
    files only. A tool the stage does not name is a candidate."""
    import importlib

    declared = importlib.import_module(f"adapters.{stage}")
    role = {"kind": "candidate", **getattr(declared, "ROLES", {}).get(setups.base_tool(tool), {})}
    if role["kind"] == "layer":
        role |= getattr(declared, "LAYERS", {})
        return role, dict(getattr(declared, "LAYER_CAPABILITIES", {}))
    return role, dict(getattr(declared, "CAPABILITIES", {}))


@contextlib.contextmanager
def trial(recorder: Recorder, tool: str, rows: int) -> Iterator[Record]:
    """Run one trial's work; a tool that cannot run or fails is recorded, not lost."""
    record = recorder.record(tool, rows)
    try:
        yield record
    except NotRunnable as error:
        record.status, record.reason = "not_run", str(error)
        pytest.skip(f"not run: {error}")
    except AdapterError as error:
        record.status, record.reason = "failed", str(error)
        raise


@contextlib.contextmanager
def opened(recorder: Recorder, adapter: Adapter, rows: int, tool: str | None = None,
           package: str | None = None) -> Iterator[Adapter]:  # fmt: skip
    """Set the adapter up (timed, steps recorded), yield it, and always close it. ``tool``
    names the record where it differs from the adapter's name (a set-up's 'pandera+spark');
    ``package`` is the tool's package where the registry's first module is not it."""
    import time

    tool = tool or adapter.name
    with trial(recorder, tool, rows) as record:
        entry = registry.lookup(adapter.stage, setups.base_tool(tool))
        package = package or (entry.modules or ("",))[0]
        record.tool_imports = tool_imports(type(adapter), package.split(".")[0])
        started = time.perf_counter()
        with measuring():
            adapter.__enter__()
        try:
            recorder.once(tool, rows, "setup", time.perf_counter() - started)
            recorder.steps(tool, rows, adapter)
            yield adapter
        finally:
            if errors := adapter.errors_read_past():
                record.details.setdefault(TOOL_ERRORS, []).extend(errors)
            adapter.close()
