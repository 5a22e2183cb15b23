"""Monitoring stage: each drift monitor on the same reference and batches, at each size.

At the smallest size every tool also checks the batches of 20 seeds (one unchanged
batch, one per drift kind, one combined) to measure recall, precision and the
false-alarm rate on unchanged batches; larger sizes time one unchanged and one
combined batch.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from adapters import registry
from adapters.monitoring.base import drifted_columns
from adapters.monitoring.prometheus_stack import INTERVAL_SECONDS
from benchmarks import datacache, harness, probes
from benchmarks.forked import forked_map, workers
from benchmarks.user_code import code_lines
from reports.results import stats

STAGE = "monitoring"
REPEATS = 5
QUALITY_SEEDS = 20
QUALITY_MAX_ROWS = 10_000  # seeds x batches at larger sizes belong to no one's afternoon

pytestmark = pytest.mark.monitoring


def _pair(bench_options, rows: int, seed: int):
    """(reference, fresh rows), only the monitored columns: all a monitor reads."""
    from scenarios import drift, loader

    if bench_options.data:
        pair = drift.split_pair(loader.load_csv(bench_options.data), seed)
        return tuple(frame[list(drift.MONITORED)] for frame in pair)
    return drift.synthetic_pair(rows, seed, generate=_monitored_synthetic)


def workload_data(bench_options, rows: int) -> None:
    """Cache what this size's trials read (``python -m benchmarks.prepare``): the pair of
    seed 0, and where detection quality runs, those of its seeds."""
    quality = rows <= QUALITY_MAX_ROWS and not bench_options.smoke
    for seed in range(QUALITY_SEEDS if quality else 1):
        _pair(bench_options, rows, seed)


def _monitored_synthetic(rows: int, seed: int):
    """The synthetic frame's monitored columns, cached on their own: reading and splitting
    14 columns of 2M rows instead of 43 saves seconds a trial at 1M rows."""
    from scenarios import drift

    return datacache.cached_synthetic(rows, seed=seed, columns=tuple(drift.MONITORED))


@pytest.fixture(scope="module")
def workload(bench_options, rows):
    """(reference, unchanged batch, combined drifted batch) for this size."""
    from scenarios import drift

    reference, fresh = _pair(bench_options, rows, seed=0)
    return reference, drift.inject(fresh, ()), drift.inject(fresh, drift.COMBINED)


@pytest.fixture(scope="module")
def monitor(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        record = recorder.record(tool, rows)
        record.details["detection"] = adapter.detection
        record.details["system_packages"] = list(adapter.system_packages)
        record.user_code = {label: code_lines(text) for label, text in adapter.user_code().items()}
        yield adapter


def _rounds(rows: int, bench_options) -> int:
    return min(3, bench_options.repeats) if rows >= 1_000_000 else bench_options.repeats


def test_check(benchmark, monitor, workload, recorder, bench_options, tool, rows):
    reference, unchanged, drifted = workload
    with harness.trial(recorder, tool, rows) as record:
        # the unchanged batch first, as the timed rounds' warm-up (the same check of a batch
        # of the same size; its time is the first-call figure): the timed check of the
        # drifted batch is the last one, whose verdicts and state test_report_and_alert's
        # first round reads
        with harness.measuring():
            harness.progress("check: warm-up 1/1 (the unchanged batch)")
            started = time.perf_counter()
            calm = drifted_columns(monitor.check(reference, unchanged.frame, "unchanged"))
            first = time.perf_counter() - started
        verdicts = harness.measure(
            benchmark,
            "check",
            monitor.check,
            reference,
            drifted.frame,
            "combined",
            rounds=_rounds(rows, bench_options),
            warmup=0,
            first_call=first,
        )
        recorder.timing(tool, rows, "check", benchmark)
        LAST_CHECK[tool, rows] = verdicts
        found = set(drifted_columns(verdicts))
        record.details.setdefault("notes", []).append(
            "Memory while measured includes the servers the tool runs (Prometheus and the "
            "Pushgateway for the Prometheus tools); a server started only for a probe "
            "(`evidently ui`) is measured on its own (probe_dashboard_server_rss_mb). "
            "The check's first call is that of the unchanged batch (its false-alarm check), "
            "the warm-up of the timed rounds on the drifted batch."
        )
        record.correctness["combined_recall"] = len(found & drifted.drifted) / len(drifted.drifted)
        record.measures |= {
            "combined_extra_columns": len(found - drifted.drifted),
            "unchanged_false_alarms": len(calm),
        }
        _count_unchanged(record, checked=1, alarmed=int(bool(calm)))
    assert drifted.drifted <= found, "the monitor missed injected drift"


def test_report_and_alert(monitor, workload, recorder, bench_options, tool, rows):
    reference, _, drifted = workload
    with harness.trial(recorder, tool, rows) as record:
        latencies, sizes, alert = [], [], None
        for round_number in range(1 if rows >= 1_000_000 else min(3, bench_options.repeats)):
            if alert is None or alert.raised_by == "the tool":
                batch, verdicts = _checked(monitor, reference, drifted, round_number, tool, rows)
            with harness.measuring():
                alert = monitor.alert(batch, verdicts)
            assert alert is not None, "no alert for a batch with drift"
            latencies.append(alert.seconds)
            artifacts = tempfile.TemporaryDirectory(prefix="bakeoff-artifact-")
            with artifacts as directory, harness.measuring():
                started = time.perf_counter()
                path = monitor.report(Path(directory))
                sizes.append((path.stat().st_size, time.perf_counter() - started))
        record.timings["report"] = stats([seconds for _, seconds in sizes])
        record.timings["alert after verdicts"] = stats(latencies)
        record.measures["artifact_kb"] = round(sizes[-1][0] / 1024, 1)
        if alert.raised_by != "the tool":
            record.not_equivalent["alert after verdicts"] = (
                "no alerting in the tool: bakeoff code raised the alert from the verdicts"
            )
        if path.suffix != ".html":
            record.not_equivalent["report"] = (
                f"writes {path.suffix} (a dashboard definition that nothing renders here), "
                "not a page a person opens"
            )
        record.details.setdefault("notes", []).append(
            f"Alert raised by {alert.raised_by}; the timed 'alert after verdicts' runs "
            + (
                "from the push to the Pushgateway until Prometheus's API reports the rule "
                f"evaluation that fired ({INTERVAL_SECONDS:g} s scrape and evaluation "
                "interval); the check's time includes the same wait."
                if alert.raised_by == "the tool"
                else "from the verdicts to bakeoff's own code raising it."
            )
        )


LAST_CHECK: dict[tuple[str, int], list] = {}  # (tool, rows) -> test_check's last timed verdicts


def _checked(monitor, reference, drifted, round_number: int, tool: str, rows: int):
    """(batch, verdicts) of the drifted batch checked for a round of report and alert. The
    first round reads test_check's last timed check, still the monitor's last (a check
    takes up to 33 s at 1M rows). Where the tool raised the alert itself, later rounds check
    it again under a new batch name, so that the Prometheus tools push and alert anew;
    where bakeoff's code raised it from the verdicts, they alert on the same verdicts and
    report the same last check."""
    if round_number == 0 and (tool, rows) in LAST_CHECK:
        return "combined", LAST_CHECK.pop((tool, rows))
    batch = f"combined-{round_number}"
    return batch, monitor.check(reference, drifted.frame, batch)  # timed in test_check


def test_detection_quality(monitor, bench_options, recorder, tool, rows):
    probes.answering(bench_options, f"detection quality over {QUALITY_SEEDS} seeds")
    if rows > QUALITY_MAX_ROWS:
        pytest.skip(f"detection quality over seeds is measured at up to {QUALITY_MAX_ROWS} rows")
    from scenarios import drift

    tally = Tally(columns=len(monitor.numeric) + len(monitor.categorical))
    with harness.trial(recorder, tool, rows) as record:
        # answers, not timings: the seeds are shared out over the trial's cores
        seeds = forked_map(lambda seed: _seed_verdicts(monitor, bench_options, rows, seed),
                           range(QUALITY_SEEDS))  # fmt: skip
        for checked in seeds:
            for batch, verdicts in checked:
                tally.add(batch, set(drifted_columns(verdicts)))
        record.correctness |= tally.scores()
        _count_unchanged(record, checked=tally.unchanged, alarmed=tally.alarmed)
        record.details.setdefault("tables", []).extend(tally.tables())
        record.details.setdefault("notes", []).append(
            f"Detection quality over {QUALITY_SEEDS} seeds x {len(drift.KINDS) + 2} batches "
            f"(checked in {workers(QUALITY_SEEDS)} processes at once: verdicts, not "
            f"times); tests used: {_tests_used(verdicts)}."
            + (f" Checked together: {monitor.checked_together}." if monitor.checked_together
               else "")
        )  # fmt: skip


def _seed_verdicts(monitor, bench_options, rows: int, seed: int):
    """[(batch without its frame, the monitor's verdicts)] for one seed's batches."""
    from scenarios import drift

    harness.progress(f"detection quality: seed {seed + 1}/{QUALITY_SEEDS}")
    reference, fresh = _pair(bench_options, rows, seed)
    batches = list(drift.batches(fresh, seed))
    named = [(batch.frame, f"s{seed}-{batch.name}") for batch in batches]
    verdicts = monitor.check_many(reference, named)
    return [(replace(batch, frame=None), checked)
            for batch, checked in zip(batches, verdicts, strict=True)]  # fmt: skip


def test_features(monitor, workload, recorder, bench_options, tool, rows):
    probes.skip_unless_probing(bench_options, rows)
    reference, unchanged, drifted = workload
    with harness.trial(recorder, tool, rows) as record, tempfile.TemporaryDirectory() as scratch:
        verdicts = monitor.check(reference, drifted.frame, "probe-drifted")
        probes.record_probe(record, "per-column tests", lambda: _per_column(monitor, verdicts))
        probes.record_probe(
            record, "alerting", lambda: _alerting(monitor.alert("probe-drifted", verdicts))
        )
        probes.record_probe(record, "HTML report", lambda: _html(monitor, Path(scratch)))
        probes.record_probe(
            record, "history over time", lambda: _history(monitor, reference, unchanged.frame)
        )
        probes.record_probe(
            record, "dashboard", lambda: _dashboard(monitor, Path(scratch), record.measures)
        )


def _count_unchanged(record, checked: int, alarmed: int) -> None:
    """Add unchanged batches checked and those with any alarm to the record's counts, and
    set its false-alarm share over all of them: false alarms count at every size that ran
    (one unchanged batch per size, the seeds' at the smallest)."""
    measures = record.measures
    measures["unchanged_batches"] = measures.get("unchanged_batches", 0) + checked
    measures["unchanged_batches_alarmed"] = measures.get("unchanged_batches_alarmed", 0) + alarmed
    total = measures["unchanged_batches_alarmed"] / measures["unchanged_batches"]
    record.correctness["false_alarm_batches"] = total


class Tally:
    """Counts verdicts against ground truth over many batches."""

    def __init__(self, columns: int):
        self.columns = columns
        self.hits = self.flagged = self.expected = self.unchanged = self.alarmed = 0
        self.kind_hits, self.kind_batches, self.false_columns = Counter(), Counter(), Counter()

    def add(self, batch, found: set[str]) -> None:
        if not batch.drifted:
            self.unchanged += 1
            self.alarmed += bool(found)
            self.false_columns.update(found)
            return
        self.hits += len(found & batch.drifted)
        self.flagged += len(found)
        self.expected += len(batch.drifted)
        self.kind_batches[batch.name] += 1
        self.kind_hits[batch.name] += batch.drifted <= found

    def scores(self) -> dict[str, float]:
        return {
            "recall": self.hits / self.expected,
            "precision": self.hits / self.flagged if self.flagged else 1.0,
            "false_alarm_batches": self.alarmed / self.unchanged,
            "false_alarm_per_column": sum(self.false_columns.values())
            / (self.unchanged * self.columns),
        }

    def tables(self) -> list[dict]:
        kinds = [
            [kind, self.kind_batches[kind], self.kind_hits[kind] / self.kind_batches[kind]]
            for kind in self.kind_batches
        ]
        columns = [[c, n, n / self.unchanged] for c, n in self.false_columns.most_common()]
        return [
            {
                "title": "Drift found per kind (share of batches with every injected column)",
                "columns": ["drift kind", "batches", "found"],
                "rows": kinds,
            },
            {
                "title": "False alarms per column on the unchanged batches",
                "columns": ["column", "alarms", "share of unchanged batches"],
                "rows": columns or [["(none)", 0, 0.0]],
            },
        ]


def _per_column(monitor, verdicts) -> str:
    expected = {*monitor.numeric, *monitor.categorical}
    missing = expected - {v.column for v in verdicts if v.test}
    if missing:
        raise probes.Absent(f"no test named for {sorted(missing)}")
    return f"{len(verdicts)} column verdicts; tests: {_tests_used(verdicts)}"


def _alerting(alert) -> str:
    if alert is None:
        raise probes.Absent("no alert for a batch with drift")
    if alert.raised_by != "the tool":
        raise probes.Absent("no alerting in the tool: bakeoff code raises the alert")
    return (
        f"the tool's alert rule fired for {', '.join(alert.columns)} "
        f"{alert.seconds:.2f} s after the push, read back from its alerts API"
    )


CHARTS = ("plotly", "<svg", "<canvas", "<img")


def _html(monitor, directory: Path) -> str:
    """An HTML page that shows every monitored column with charts of what moved."""
    path = monitor.report(directory)
    size = f"{path.name}, {path.stat().st_size / 1024:.0f} KB"
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".html" or "<html" not in text[:5000].lower():
        raise probes.Absent(f"{size}: not an HTML page")
    absent = [c for c in (*monitor.numeric, *monitor.categorical) if c not in text]
    if absent:
        raise probes.Absent(f"{size}: no column {absent[0]!r} in the page")
    charts = [chart for chart in CHARTS if chart in text]
    if not charts:
        raise probes.Absent(f"{size}: a table of the verdicts, no charts of the distributions")
    return f"{size}: every monitored column, with charts ({', '.join(charts)})"


def _history(monitor, reference, unchanged) -> str:
    before = monitor.history()
    monitor.check(reference, unchanged, "probe-unchanged")
    after = monitor.history()
    if after <= before:
        raise probes.Absent(f"history did not grow ({before} -> {after})")
    return f"the tool holds {after} checks after one more (was {before})"


def _dashboard(monitor, directory: Path, measures: dict) -> str:
    board = monitor.dashboard(directory)
    if board.server_rss_mb is not None:
        measures["probe_dashboard_server_rss_mb"] = round(board.server_rss_mb, 1)
    differ = [s for s in board.expected if not _same(board.shown.get(s), board.expected[s])]
    if differ:
        raise probes.Absent(f"the dashboard shows other values than the checks for {differ}")
    if not board.served_by:
        raise probes.Absent(f"{Path(board.location).name}: {board.note}")
    return f"served by {board.served_by} ({board.location}): {board.note}"


def _same(shown: list[float] | None, expected: list[float]) -> bool:
    return (
        shown is not None
        and len(shown) == len(expected)
        and all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(shown, expected, strict=True))
    )


def _tests_used(verdicts) -> str:
    counts = Counter(v.test for v in verdicts)
    return ", ".join(f"{test} x{n}" for test, n in counts.items())
