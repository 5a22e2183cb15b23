"""What the per-stage benchmark files share: options, tool parameters, workload data, and
the recorder that turns each trial into a results record.

Timing is pytest-benchmark's: ``measure`` runs ``benchmark.pedantic`` with warm-up and
rounds, and the recorder copies its statistics. Everything else a trial learns (setup
steps, correctness, feature probes, details) is recorded beside it and written, when
the session ends, to the file named by ``--bakeoff-out`` for the runner to collect.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import Adapter, AdapterError, NotRunnable, NotSupported
from reports.results import STAT_FIELDS, Record, stats


@dataclass(frozen=True)
class Options:
    rows: tuple[int, ...]
    data: Path | None
    tools: tuple[str, ...]
    repeats: int
    out: Path | None


def options(config: pytest.Config, default_rows: tuple[int, ...], default_repeats: int) -> Options:
    """The bakeoff options of this pytest session, with the stage's defaults filled in."""
    rows = tuple(int(r) for r in config.getoption("--rows").split(",") if r)
    tools = tuple(t for t in config.getoption("--tools").split(",") if t)
    data, out = config.getoption("--data"), config.getoption("--bakeoff-out")
    return Options(
        rows or default_rows,
        Path(data) if data else None,
        tools,
        config.getoption("--repeats") or default_repeats,
        Path(out) if out else None,
    )


def parametrize(metafunc: pytest.Metafunc, stage: str, opts: Options) -> None:
    """Parametrise ``tool`` over the stage's tools and ``rows`` over the sizes."""
    if "tool" in metafunc.fixturenames:
        names = opts.tools or tuple(registry.tools(stage))
        params = [pytest.param(name, marks=_skip_if_missing(stage, name)) for name in names]
        metafunc.parametrize("tool", params, scope="module")
    if "rows" in metafunc.fixturenames:
        metafunc.parametrize("rows", opts.rows, scope="module", ids=lambda r: f"{r}rows")


def _skip_if_missing(stage: str, tool: str):
    reason = registry.missing(stage, tool)
    return pytest.mark.skipif(reason is not None, reason=f"not run: {reason}")


def progress(message: str) -> None:
    """One progress line; the runner shows lines with this prefix while a trial runs."""
    print(f"[progress] {message}", file=sys.stderr, flush=True)


def measure(benchmark, label: str, func: Callable, *args, rounds: int, warmup: int = 1):
    """Time ``func(*args)`` with pytest-benchmark: ``warmup`` untimed calls, ``rounds`` timed."""
    calls = iter(range(1, rounds + warmup + 1))

    def counted(*call_args):
        call = next(calls)
        kind = "warm-up" if call <= warmup else f"round {call - warmup}/{rounds}"
        progress(f"{label}: {kind}")
        return func(*call_args)

    return benchmark.pedantic(counted, args=args, rounds=rounds, warmup_rounds=warmup, iterations=1)


class Recorder:
    """Collects one Record per (tool, rows) during a benchmark session."""

    def __init__(self, stage: str, out: Path | None):
        self.stage, self.out = stage, out
        self.records: dict[tuple[str, int], Record] = {}

    def record(self, tool: str, rows: int) -> Record:
        key = (tool, rows)
        if key not in self.records:
            self.records[key] = Record(stage=self.stage, tool=tool, rows=rows)
        return self.records[key]

    def timing(self, tool: str, rows: int, operation: str, benchmark) -> None:
        """Copy pytest-benchmark's statistics for ``operation`` (seconds); none when timing
        is off (``--benchmark-disable``: the checks still run)."""
        if benchmark.stats is None:
            return
        measured = benchmark.stats.stats
        names = {"stdev": "stddev"}
        self.record(tool, rows).timings[operation] = {
            name: getattr(measured, names.get(name, name)) for name in STAT_FIELDS
        }

    def once(self, tool: str, rows: int, operation: str, seconds: float) -> None:
        """An operation that can only be timed once per trial (e.g. setup, server start)."""
        self.record(tool, rows).timings[operation] = stats([seconds])

    def steps(self, tool: str, rows: int, adapter: Adapter) -> None:
        self.record(tool, rows).setup_steps = [asdict(step) for step in adapter.setup_steps]

    def write(self) -> None:
        """Add this module's records to the ``--bakeoff-out`` file (if one was named)."""
        if self.out is None:
            return
        earlier = json.loads(self.out.read_text(encoding="utf-8")) if self.out.exists() else []
        records = earlier + [asdict(record) for record in self.records.values()]
        self.out.write_text(json.dumps(records, indent=1, default=str), encoding="utf-8")


def probe(record: Record, feature: str, exercise: Callable[[], object]) -> None:
    """Exercise one feature; record whether it worked and the evidence (result or error)."""
    try:
        evidence, ok = str(exercise()), True
    except (NotSupported, AdapterError) as error:
        evidence, ok = str(error), False
    record.features[feature] = {"ok": ok, "evidence": evidence[:300]}


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
def opened(recorder: Recorder, adapter: Adapter, rows: int) -> Iterator[Adapter]:
    """Set the adapter up (timed, steps recorded), yield it, and always close it."""
    import time

    with trial(recorder, adapter.name, rows):
        started = time.perf_counter()
        with adapter:
            recorder.once(adapter.name, rows, "setup", time.perf_counter() - started)
            recorder.steps(adapter.name, rows, adapter)
            yield adapter


def synthetic_or_user_frame(opts: Options, rows: int):
    """The workload frame: the user's CSV if ``--data`` was given, else synthetic rows."""
    from scenarios import loader, wish

    return loader.load_csv(opts.data) if opts.data else wish.generate(rows)
