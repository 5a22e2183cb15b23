"""Monitoring stage: each drift monitor on the same reference and batches, at each size.

At the smallest size every tool also checks the batches of 20 seeds (one unchanged
batch, one per drift kind, one combined) to measure recall, precision and the
false-alarm rate on unchanged batches; larger sizes time one unchanged and one
combined batch.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import NotSupported
from adapters.monitoring.base import drifted_columns
from benchmarks import harness
from reports.results import stats

STAGE = "monitoring"
SIZES = (1_600, 100_000, 1_000_000)
QUICK_SIZES = (1_600,)
REPEATS = 5
QUALITY_SEEDS = 20
QUALITY_MAX_ROWS = 10_000  # seeds x batches at larger sizes belong to no one's afternoon

pytestmark = pytest.mark.monitoring


def _pair(bench_options, rows: int, seed: int):
    """(reference, fresh rows), only the monitored columns: all a monitor reads."""
    from scenarios import drift, loader

    if bench_options.data:
        pair = drift.split_pair(loader.load_csv(bench_options.data), seed)
    else:
        pair = drift.synthetic_pair(rows, seed)
    return tuple(frame[list(drift.MONITORED)] for frame in pair)


@pytest.fixture(scope="module")
def workload(bench_options, rows):
    """(reference, unchanged batch, combined drifted batch) for this size."""
    from scenarios import drift

    reference, fresh = _pair(bench_options, rows, seed=0)
    return reference, drift.inject(fresh, ()), drift.inject(fresh, drift.COMBINED)


@pytest.fixture(scope="module")
def monitor(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        yield adapter


def _rounds(rows: int, bench_options) -> int:
    return min(3, bench_options.repeats) if rows >= 1_000_000 else bench_options.repeats


def test_check(benchmark, monitor, workload, recorder, bench_options, tool, rows):
    reference, unchanged, drifted = workload
    with harness.trial(recorder, tool, rows) as record:
        warmup = 0 if rows >= 1_000_000 else 1
        verdicts = harness.measure(
            benchmark,
            "check",
            monitor.check,
            reference,
            drifted.frame,
            "combined",
            rounds=_rounds(rows, bench_options),
            warmup=warmup,
        )
        recorder.timing(tool, rows, "check", benchmark)
        found = set(drifted_columns(verdicts))
        calm = drifted_columns(monitor.check(reference, unchanged.frame, "unchanged"))
        record.details.setdefault("notes", []).append(
            "Peak RSS covers the whole trial, generating the workload included (the same for "
            "every tool at a size): compare it with the baseline's at that size."
        )
        record.correctness["combined_recall"] = len(found & drifted.drifted) / len(drifted.drifted)
        record.measures |= {
            "combined_extra_columns": len(found - drifted.drifted),
            "unchanged_false_alarms": len(calm),
        }
    assert drifted.drifted <= found, "the monitor missed injected drift"


def test_report_and_alert(monitor, workload, recorder, bench_options, tool, rows):
    reference, _, drifted = workload
    with harness.trial(recorder, tool, rows) as record:
        latencies, sizes = [], []
        for round_number in range(1 if rows >= 1_000_000 else min(3, bench_options.repeats)):
            batch = f"combined-{round_number}"
            verdicts = monitor.check(reference, drifted.frame, batch)
            alert = monitor.alert(batch, verdicts)
            assert alert is not None, "no alert for a batch with drift"
            latencies.append(alert.seconds)
            with tempfile.TemporaryDirectory(prefix="bakeoff-artifact-") as directory:
                started = _now()
                path = monitor.report(Path(directory))
                sizes.append((path.stat().st_size, _now() - started))
        record.timings["report"] = stats([seconds for _, seconds in sizes])
        record.timings["alert after verdicts"] = stats(latencies)
        record.measures["artifact_kb"] = round(sizes[-1][0] / 1024, 1)
        record.details.setdefault("notes", []).append(
            f"Alert raised by {alert.raised_by}; the timed 'alert after verdicts' runs "
            + (
                "from the push to the Pushgateway to Prometheus's rule firing "
                "(1 s scrape and evaluation interval)."
                if alert.raised_by == "the tool"
                else "from the verdicts to bakeoff's own code raising it."
            )
        )


def test_detection_quality(monitor, bench_options, recorder, tool, rows):
    if rows > QUALITY_MAX_ROWS:
        pytest.skip(f"detection quality over seeds is measured at up to {QUALITY_MAX_ROWS} rows")
    from scenarios import drift

    tally = Tally(columns=len(monitor.numeric) + len(monitor.categorical))
    with harness.trial(recorder, tool, rows) as record:
        for seed in range(QUALITY_SEEDS):
            harness.progress(f"detection quality: seed {seed + 1}/{QUALITY_SEEDS}")
            reference, fresh = _pair(bench_options, rows, seed)
            for batch in drift.batches(fresh, seed):
                verdicts = monitor.check(reference, batch.frame, f"s{seed}-{batch.name}")
                tally.add(batch, set(drifted_columns(verdicts)))
        record.correctness |= tally.scores()
        record.details.setdefault("tables", []).extend(tally.tables())
        record.details.setdefault("notes", []).append(
            f"Detection quality over {QUALITY_SEEDS} seeds x {len(drift.KINDS) + 2} batches; "
            f"tests used: {_tests_used(verdicts)}."
        )


def test_features(monitor, workload, recorder, tool, rows):
    reference, unchanged, drifted = workload
    with harness.trial(recorder, tool, rows) as record, tempfile.TemporaryDirectory() as scratch:
        verdicts = monitor.check(reference, drifted.frame, "probe-drifted")
        record.features["per-column tests"] = _per_column(monitor, verdicts)
        record.features["alerting"] = _alerting(monitor.alert("probe-drifted", verdicts))
        record.features["HTML report"] = _html(monitor.report(Path(scratch)))
        record.features["history over time"] = _history(monitor, reference, unchanged.frame)
        record.features["dashboard"] = _probe(lambda: monitor.dashboard(Path(scratch)))


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


def _per_column(monitor, verdicts) -> dict:
    expected = {*monitor.numeric, *monitor.categorical}
    ok = {v.column for v in verdicts} == expected and all(v.test for v in verdicts)
    return {
        "ok": ok,
        "evidence": f"{len(verdicts)} column verdicts; tests: {_tests_used(verdicts)}",
    }


def _html(path: Path) -> dict:
    text = path.read_text(encoding="utf-8", errors="replace")[:5000].lower()
    ok = path.suffix == ".html" and "<html" in text
    return {"ok": ok, "evidence": f"{path.name}, {path.stat().st_size / 1024:.0f} KB"}


def _alerting(alert) -> dict:
    by_tool = alert is not None and alert.raised_by == "the tool"
    evidence = (
        f"the tool's own rule fired {alert.seconds:.2f} s after the push"
        if by_tool
        else "no alerting in the tool: bakeoff code raises the alert from the verdicts"
    )
    return {"ok": by_tool, "evidence": evidence}


def _history(monitor, reference, unchanged) -> dict:
    def two_checks() -> str:
        before = monitor.history()
        monitor.check(reference, unchanged, "probe-unchanged")
        after = monitor.history()
        if after <= before:
            raise AssertionError(f"history did not grow ({before} -> {after})")
        return f"the tool holds {after} checks after one more (was {before})"

    return _probe(two_checks)


def _probe(action) -> dict:
    try:
        return {"ok": True, "evidence": action()}
    except NotSupported as missing:
        return {"ok": False, "evidence": str(missing)}


def _tests_used(verdicts) -> str:
    counts = Counter(v.test for v in verdicts)
    return ", ".join(f"{test} x{n}" for test, n in counts.items())


def _now() -> float:
    import time

    return time.perf_counter()
