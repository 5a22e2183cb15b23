"""Tracking feature probes: each feature of the matrix is exercised through the adapter and
judged here, with the one probe helper (``probes.probe``): yes with the evidence, no with
what was seen, or "not supported" in the tool's own words.
"""

from __future__ import annotations

from pathlib import Path

from adapters.servers import http_status
from adapters.tracking.base import Tracker, file_version
from benchmarks import probes
from reports.results import Record

ALIAS = "champion"
MODEL_NAME = "sales-model"
# probe -> the correctness value it gives (absent when the tool does not support it)
CORRECTNESS = {
    "read back": "metrics_read_back_equal",
    "aliases": "registry_predictions_identical",
    "run search": "best_run_correct",
    "links run to data version": "data_version_equal",
}


def probe_all(
    record: Record, tracker: Tracker, scores: dict[str, float], model_ref: str, trained, data: Path
) -> None:
    """Probe runs ``scores`` (run id -> last r2), whose best logged ``trained`` (a (split,
    model) pair), into ``record.features``; then the correctness values they give."""
    best = max(scores, key=scores.get)
    exercises = {
        "registry": lambda: _register(tracker, model_ref),
        "aliases": lambda: _alias(tracker, trained),
        "run search": lambda: _search(tracker, best),
        "read back": lambda: _read_back(tracker, scores),
        "links run to data version": lambda: _data_version(tracker, best, data),
    }
    for feature, exercise in exercises.items():
        probes.record_probe(record, feature, exercise)
    read_back = record.features["read back"]
    probes.record_probe(record, "works offline", lambda: _offline(read_back))
    probes.record_probe(record, "service still available", lambda: _service(tracker, read_back))
    record.correctness.update(
        {
            value: float(record.features[feature]["ok"])
            for feature, value in CORRECTNESS.items()
            if record.features[feature]["answer"] != "not supported"
        }
    )


def probe_ui(record: Record, tracker: Tracker) -> None:
    """The tool's web UI answers HTTP 200; a UI server started for this probe alone is
    measured on its own (``probe_ui_server_rss_mb``) and stopped before returning."""

    def exercise() -> str:
        try:
            url = tracker.ui_url()
            status, memory = http_status(url), tracker.ui_rss_bytes()
        finally:
            tracker.stop_ui()
        if memory:
            record.measures["probe_ui_server_rss_mb"] = memory / 2**20
        if status != 200:
            raise probes.Absent(f"GET {url} -> HTTP {status}")
        return f"GET {url} -> HTTP {status}"

    probes.record_probe(record, "UI reachable", exercise)


def _register(tracker: Tracker, model_ref: str) -> str:
    version = tracker.register_model(model_ref, MODEL_NAME, ALIAS)
    return f"registered {MODEL_NAME} version {version}, alias '{ALIAS}' set"


def _alias(tracker: Tracker, trained) -> str:
    import numpy as np

    split, model = trained
    loaded = tracker.load_model(MODEL_NAME, ALIAS)
    if not np.array_equal(loaded.predict(split.x_test), model.predict(split.x_test)):
        raise probes.Absent(f"the model loaded by alias '{ALIAS}' predicts differently")
    return f"the model loaded back from the store by alias '{ALIAS}' predicts identically"


def _search(tracker: Tracker, best: str) -> str:
    found = tracker.best_run("sales", "r2")
    evidence = f"best run by r2: {found} (expected {best}); {tracker.search_method}"
    if found != best:
        raise probes.Absent(evidence)
    return evidence


def _read_back(tracker: Tracker, scores: dict[str, float]) -> str:
    equal = [tracker.read_run(run).metrics.get("r2") == [s / 2, s] for run, s in scores.items()]
    evidence = f"{sum(equal)}/{len(equal)} runs' r2 series read back equal"
    if not all(equal):
        raise probes.Absent(evidence)
    return evidence


def _data_version(tracker: Tracker, run_id: str, data_file: Path) -> str:
    stored, expected = tracker.data_version(run_id), file_version(data_file)
    evidence = f"data version read back {stored[:12]}… (file {expected[:12]}…)"
    if stored != expected:
        raise probes.Absent(evidence)
    return evidence


def _offline(read_back: dict) -> str:
    """Offline = writing and reading back both worked here (this machine has no internet)."""
    if not read_back["ok"]:
        raise probes.Absent(f"logs offline, but cannot read back: {read_back['evidence']}")
    return "logged and read back on a machine without internet"


def _service(tracker: Tracker, read_back: dict) -> str:
    """The store this tool reads from answered during the trial (local files or a server)."""
    if not read_back["ok"]:
        raise probes.Absent(f"its only read path is a hosted service: {tracker.store_kind}")
    return f"its store answered reads: {tracker.store_kind}"
