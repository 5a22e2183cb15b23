"""What the per-stage benchmark files share: options, tool parameters, workload data, and
the recorder that turns each trial into a results record.

Timing: ``measure`` runs warm-up calls, then timed rounds until the spread is small
(relative IQR ≤ 5 % after at least 3 rounds, ≤ 2.5 % after 2 rounds of 2 s or more) or
the maximum is reached, and hands the
samples to pytest-benchmark; the recorder stores their statistics as
``reports.results.stats`` computes them, the same IQR the stop rule tested. Everything else a
trial learns (setup steps, correctness, feature probes, details) is recorded beside it
and written, when the session ends, to the file named by ``--bakeoff-out`` for the
runner to collect, with the code and packages the trial imported (the runner keys the
trial on them: benchmarks/keys.py).

Feature probes and detection quality are answers about a tool version, not timings: what
a test adds to its record while it answers (:func:`answering`, :func:`answers`) is kept
apart in ``Record.answers``. With ``--answers-known`` the runner has stored answers for
this tool version and carries them over: the tests that answer are skipped.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from adapters import registry, setups
from adapters.base import Adapter, AdapterError, NotRunnable, NotSupported
from reports.results import Record, stats


@dataclass(frozen=True)
class Options:
    rows: tuple[int, ...]
    data: Path | None
    tools: tuple[str, ...]
    repeats: int
    out: Path | None
    variant: str = ""
    probe_rows: int = 0  # the one size that runs the feature probes; 0: every size
    smoke: bool = False  # --smoke (bakeoff run --quick): see SMOKE
    answers_known: bool = False  # --answers-known: the runner carries stored answers over


def options(config: pytest.Config, module) -> Options:
    """The bakeoff options of this pytest session, with the stage module's defaults
    (``SIZES``, ``REPEATS``, or its set-up's ``sizes``, adapters/setups.py) filled in."""
    variant = config.getoption("--variant")
    default_rows = setups.lookup(module.STAGE, variant).sizes if variant else module.SIZES
    default_repeats = module.REPEATS
    rows = tuple(int(r) for r in config.getoption("--rows").split(",") if r)
    tools = tuple(t for t in config.getoption("--tools").split(",") if t)
    data, out = config.getoption("--data"), config.getoption("--bakeoff-out")
    return Options(
        rows or default_rows,
        Path(data) if data else None,
        tools,
        config.getoption("--repeats") or default_repeats,
        Path(out) if out else None,
        variant,
        config.getoption("--probe-rows") or 0,
        bool(config.getoption("--smoke")),
        bool(config.getoption("--answers-known")),
    )


def parametrize(metafunc: pytest.Metafunc, stage: str, opts: Options) -> None:
    """Parametrise ``tool`` over the stage's tools and ``rows`` over the sizes."""
    if "tool" in metafunc.fixturenames:
        names = opts.tools or setup_tools(stage, opts.variant)
        params = [pytest.param(name, marks=_skip_if_missing(stage, name)) for name in names]
        metafunc.parametrize("tool", params, scope="module")
    if "rows" in metafunc.fixturenames:
        metafunc.parametrize("rows", opts.rows, scope="module", ids=lambda r: f"{r}rows")


def setup_tools(stage: str, setup: str) -> tuple[str, ...]:
    """The tools a stage runs in ``setup`` ("" = every registered tool). A set-up may
    name a tool with its set-up after a '+', e.g. 'mlflow+postgresql'."""
    if not setup:
        return tuple(registry.tools(stage))
    return tuple(setups.lookup(stage, setup).tools)


def _skip_if_missing(stage: str, tool: str):
    reason = registry.missing(stage, setups.base_tool(tool))
    return pytest.mark.skipif(reason is not None, reason=f"not run: {reason}")


def progress(message: str) -> None:
    """One progress line; the runner shows lines with this prefix while a trial runs."""
    print(f"[progress] {message}", file=sys.stderr, flush=True)


PHASE_MEASURING, PHASE_IDLE = "[phase] measuring", "[phase] idle"
MEASURED = {"seconds": 0.0, "depth": 0}  # wall time this trial process spent measuring
CHECKS = {"seconds": 0.0}  # wall time inside test bodies outside measured operations


@contextlib.contextmanager
def measuring() -> Iterator[None]:
    """Mark a measured operation for the runner, which charges the trial's memory peak
    to measured operations only (not to data generation or servers started for probes),
    and count its wall time as measured rather than harness overhead."""
    import time

    MEASURED["depth"] += 1
    started = time.perf_counter()
    print(PHASE_MEASURING, file=sys.stderr, flush=True)
    try:
        yield
    finally:
        MEASURED["depth"] -= 1
        if MEASURED["depth"] == 0:
            MEASURED["seconds"] += time.perf_counter() - started
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
    ``SLOW_ROUND_SECONDS`` each whose relative IQR is at most half of it."""
    spread = relative_spread(samples)
    if len(samples) >= min(min_rounds, rounds) and spread <= SPREAD_TARGET:
        return True
    slow = len(samples) >= SLOW_MIN_ROUNDS and min(samples) >= SLOW_ROUND_SECONDS
    return slow and spread <= SPREAD_TARGET / 2


def measure(benchmark, label: str, func: Callable, *args, rounds: int, warmup: int = 1,
            min_rounds: int = MIN_ROUNDS):  # fmt: skip
    """Time ``func(*args)``: ``warmup`` warm-up calls (the first one's time kept apart as
    ``first_call``), then timed rounds (garbage collector
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
    result, samples, first = None, [], []
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

    def __init__(self, stage: str, out: Path | None, variant: str = ""):
        self.stage, self.out, self.variant = stage, out, variant
        self.records: dict[tuple[str, int], Record] = {}

    def record(self, tool: str, rows: int) -> Record:
        key = (tool, rows)
        if key not in self.records:
            role, capabilities = decision(self.stage, tool)
            self.records[key] = Record(stage=self.stage, tool=tool, rows=rows, variant=self.variant,
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


class Absent(Exception):
    """Raised by a probe's exercise: the feature was exercised and did not do its job; the
    message is what was seen instead."""


def probe(exercise: Callable[[], object]) -> dict:
    """Exercise one feature and answer yes, no or not supported, with the evidence.

    yes: ``exercise`` returned (its result, as text, is the evidence); no: it raised
    :class:`Absent`, or the tool failed while doing it (``AdapterError``); not supported:
    the tool says so (``NotSupported``, in its own words). Any other exception is a bug
    in bakeoff, not a missing feature: it propagates and fails the trial.
    """
    try:
        evidence, answer = str(exercise()), "yes"
    except Absent as seen:
        evidence, answer = str(seen), "no"
    except AdapterError as error:
        evidence, answer = f"failed: {error}", "no"
    except NotSupported as error:
        evidence, answer = str(error), "not supported"
    return {"ok": answer == "yes", "answer": answer, "evidence": evidence[:300]}


def probes_here(opts: Options, rows: int) -> bool:
    """Whether this size runs the feature probes. ``bakeoff run`` passes its smallest size
    (``--probe-rows``): a feature works or not whatever the size, the report shows each
    tool's probes from the size that ran them, and at a million rows one tool's probes
    (an HTML report, inferred rules, a dashboard server) cost minutes of the run. Not when
    the runner carries this tool version's stored answers over (``--answers-known``)."""
    return not opts.smoke and not opts.answers_known and opts.probe_rows in (0, rows)


def skip_unless_probing(opts: Options, rows: int) -> None:
    """Skip a test made only of feature probes at a size that does not run them; where it
    runs, what it adds to the record are answers (see :func:`answering`)."""
    answering(opts, "feature probes")
    if not probes_here(opts, rows):
        pytest.skip(f"feature probes run once per tool, at {opts.probe_rows:,} rows")


ANSWERING = {"on": False}  # the running test's additions to its record are answers
CARRIED = "answered for this tool version by an earlier run, whose answers are carried over"


def answering(opts: Options, what: str) -> None:
    """Declare the running test an answer about the tool version (``what``: "feature
    probes", "detection quality"): skipped in a smoke run and where the runner carries
    stored answers over; otherwise what it adds to its record is kept as answers."""
    skip_in_smoke(opts, what)
    if opts.answers_known:
        pytest.skip(f"{what}: {CARRIED}")
    ANSWERING["on"] = True


ANSWER_PARTS = ("features", "correctness", "measures", "details")


@contextlib.contextmanager
def answers(record: Record | None, declared: bool = True) -> Iterator[None]:
    """Keep what the body adds to ``record`` as answers (``record.answers["parts"]``);
    with ``declared`` False only if the body called :func:`answering` (the conftest wraps
    every test body so)."""
    import copy

    ANSWERING["on"] = declared
    before = copy.deepcopy({part: getattr(record, part) for part in ANSWER_PARTS}) if record else {}
    try:
        yield
    finally:
        if record is not None and ANSWERING["on"]:
            _keep_answers(record, before)
        ANSWERING["on"] = False


def _keep_answers(record: Record, before: dict) -> None:
    """Add to ``record.answers["parts"]`` what changed since ``before``: values set, and
    items appended to lists (a table added to ``details["tables"]``)."""
    parts = record.answers.setdefault("parts", {"set": {}, "append": {}})
    for part in ANSWER_PARTS:
        old, new = before[part], getattr(record, part)
        for name, value in new.items():
            was = old.get(name)
            if isinstance(value, list) and isinstance(was, list) and value[: len(was)] == was:
                if len(value) > len(was):
                    parts["append"].setdefault(part, {}).setdefault(name, []).extend(
                        value[len(was) :]
                    )
            elif name not in old or was != value:
                parts["set"].setdefault(part, {})[name] = value


def skip_in_smoke(opts: Options, what: str) -> None:
    """Skip work a smoke run leaves out (``what``: e.g. "feature probes"), saying so."""
    if opts.smoke:
        pytest.skip(f"{what}: not in a smoke run (bakeoff run --quick)")


def record_probe(record: Record, feature: str, exercise: Callable[[], object]) -> None:
    """:func:`probe` one feature into ``record.features``."""
    record.features[feature] = probe(exercise)


# the probe rule and the answering helpers: their source is part of the answers' key
# (benchmarks/keys.py), while the rest of this module's is only the trials'
PROBE_HELPERS = (Absent, probe, record_probe, probes_here, skip_unless_probing, answering,
                 answers, _keep_answers)  # fmt: skip


def code_lines(text: str) -> int:
    """Lines a user writes: non-blank lines that are not only a comment (# or //)."""
    stripped = (line.strip() for line in text.splitlines())
    return sum(1 for line in stripped if line and not line.startswith(("#", "//")))


def tool_imports(adapter: type, package: str) -> list[str]:
    """Imports of ``package`` (the tool's) in the adapter's module and in the bakeoff
    helper modules it imports: "module" or "module:name", as written."""
    import ast
    import inspect

    found, seen, queue = set(), set(), [inspect.getfile(adapter)]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            for module, names in _imported(node):
                if module.split(".")[0] == package:
                    found.update(f"{module}:{n}" if n else module for n in names)
                elif module.split(".")[0] == "adapters":
                    # the module itself, and any of its names that are modules of ours
                    candidates = [module, *(f"{module}.{n}" for n in names if n)]
                    queue += [origin for c in candidates if (origin := _origin(c))]
    return sorted(found)


def _origin(module: str) -> str | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec and spec.origin and spec.origin.endswith(".py") else None


def _imported(node) -> list[tuple[str, list[str | None]]]:
    import ast

    if isinstance(node, ast.Import):
        return [(alias.name, [None]) for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [(node.module, [alias.name for alias in node.names])]
    return []


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
    names the record where it differs from the adapter's name (a variant's 'pandera+spark');
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
            adapter.close()


DATA_SEED = 20260305


def data_cache() -> Path:
    """Where generated workloads are kept between runs: ``~/.cache/bakeoff/data``."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bakeoff" / "data"


def _digest(*files: str) -> str:
    """The first 12 hex digits of the sha256 of ``files``' bytes: a cache key that follows
    the code making the cached data."""
    import hashlib

    return hashlib.sha256(b"".join(Path(f).read_bytes() for f in files)).hexdigest()[:12]


def cached_synthetic(rows: int, seed: int | None = None):
    """The synthetic frame of ``rows`` rows, generated once per (generator code, seed, rows)
    and read back by every later trial (a pickle: the exact frame, NaN and None kept apart).
    ``seed`` None is the generator's default seed."""
    import os
    import tempfile

    import pandas as pd

    from scenarios import wish

    seeded = "" if seed is None else f"-seed{seed}"
    path = data_cache() / f"wish-{_digest(wish.__file__)}-{rows}{seeded}.pkl"
    if path.exists():
        return pd.read_pickle(path)
    frame = wish.generate(rows) if seed is None else wish.generate(rows, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        frame.to_pickle(handle.name)
    os.replace(handle.name, path)  # atomic: a concurrent reader sees all or nothing
    return frame


def cached_folder(name: str, code: tuple[str, ...], build: Callable[[Path], object]) -> Path:
    """A folder of workload files in the user's cache, built once per (``name``, source of
    the ``code`` files that make it) by ``build(folder)`` and read-only from then on; built
    in a scratch folder and renamed, so a reader never sees half of it."""
    import os
    import shutil
    import tempfile

    path = data_cache() / f"{name}-{_digest(*code)}"
    if path.is_dir():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=path.parent))
    try:
        build(scratch)
        os.replace(scratch, path)
    except OSError:
        if not path.is_dir():  # not a concurrent writer that got there first
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


DATA_SOURCES: dict[int, dict] = {}  # rows -> where that size's frame came from


def synthetic_source(rows: int) -> None:
    """Records of this size ran on synthetic data (also for workloads read from a cache)."""
    DATA_SOURCES[rows] = {"source": "synthetic", "rows": rows}


def synthetic_or_user_frame(opts: Options, rows: int):
    """The workload frame of exactly ``rows`` rows: synthetic, or the user's CSV
    (``--data``) resampled with a fixed seed (with replacement only when the file is
    smaller). Each record of that size says which (``Record.data``)."""
    from scenarios import loader

    if not opts.data:
        synthetic_source(rows)
        return cached_synthetic(rows)
    frame = loader.load_csv(opts.data)
    file_rows = len(frame)
    if rows != file_rows:
        frame = frame.sample(n=rows, replace=rows > file_rows, random_state=DATA_SEED)
        frame = frame.reset_index(drop=True)
    DATA_SOURCES[rows] = {"source": str(opts.data), "file_rows": file_rows, "rows": rows,
                          "resampled": rows != file_rows, "seed": DATA_SEED}  # fmt: skip
    return frame
