"""Feature probes: each feature of the matrix is exercised, never typed in by hand.

A probe returns ``{"ok": bool, "evidence": str}``; an operation the tool refuses gives
``ok: False`` with the tool's own error text as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.base import AdapterError, NotSupported
from adapters.servers import http_status
from adapters.tracking.base import Tracker, file_version

ALIAS = "champion"
MODEL_NAME = "sales-model"


def _attempt(action: Callable[[], tuple[bool, str]]) -> dict:
    try:
        ok, evidence = action()
    except (NotSupported, AdapterError) as error:
        return {"ok": False, "evidence": str(error)}
    return {"ok": ok, "evidence": evidence}


def probe_all(
    tracker: Tracker, scores: dict[str, float], model_ref: str, trained, data_file: Path
) -> dict[str, dict]:
    """Run every probe on runs ``scores`` (run id -> last r2) whose best logged ``trained``
    (a (split, model) pair)."""
    best = max(scores, key=scores.get)
    features = {
        "registry": _attempt(lambda: _register(tracker, model_ref)),
        "aliases": _attempt(lambda: _alias(tracker, trained)),
        "run search": _attempt(lambda: _search(tracker, best)),
        "read back": _attempt(lambda: _read_back(tracker, scores)),
        "artifact store": _attempt(lambda: _artifact(tracker, trained)),
        "links run to data version": _attempt(lambda: _data_version(tracker, best, data_file)),
        "UI reachable": _attempt(lambda: _ui(tracker)),
    }
    features["works offline"] = _offline(features)
    features["service still available"] = _service(tracker, features)
    return features


def _register(tracker: Tracker, model_ref: str) -> tuple[bool, str]:
    version = tracker.register_model(model_ref, MODEL_NAME, ALIAS)
    return True, f"registered {MODEL_NAME} version {version}, alias '{ALIAS}' set"


def _alias(tracker: Tracker, trained) -> tuple[bool, str]:
    identical = _same_predictions(tracker, trained)
    return identical, f"model loaded by alias '{ALIAS}' predicts identically: {identical}"


def _same_predictions(tracker: Tracker, trained) -> bool:
    import numpy as np

    split, model = trained
    loaded = tracker.load_model(MODEL_NAME, ALIAS)
    return bool(np.array_equal(loaded.predict(split.x_test), model.predict(split.x_test)))


def _search(tracker: Tracker, best: str) -> tuple[bool, str]:
    found = tracker.best_run("sales", "r2")
    return found == best, f"best run by r2: {found} (expected {best}); {tracker.search_method}"


def _read_back(tracker: Tracker, scores: dict[str, float]) -> tuple[bool, str]:
    equal = [tracker.read_run(run).metrics.get("r2") == [s / 2, s] for run, s in scores.items()]
    return all(equal), f"{sum(equal)}/{len(equal)} runs' r2 series read back equal"


def _artifact(tracker: Tracker, trained) -> tuple[bool, str]:
    identical = _same_predictions(tracker, trained)
    return identical, "model stored as an artifact and loaded back from the store"


def _data_version(tracker: Tracker, run_id: str, data_file: Path) -> tuple[bool, str]:
    stored, expected = tracker.data_version(run_id), file_version(data_file)
    return stored == expected, f"data version read back {stored[:12]}… (file {expected[:12]}…)"


def _ui(tracker: Tracker) -> tuple[bool, str]:
    try:
        url = tracker.ui_url()
        status = http_status(url)
    finally:
        tracker.stop_ui()
    return status == 200, f"GET {url} -> HTTP {status}"


def _offline(features: dict[str, dict]) -> dict:
    """Offline = writing and reading back both worked here (this machine has no internet)."""
    read_back = features["read back"]
    if read_back["ok"]:
        return {"ok": True, "evidence": "logged and read back on a machine without internet"}
    return {"ok": False, "evidence": f"logs offline, but cannot read back: {read_back['evidence']}"}


def _service(tracker: Tracker, features: dict[str, dict]) -> dict:
    """The store this tool reads from answered during the trial (local files or a server)."""
    if features["read back"]["ok"]:
        return {"ok": True, "evidence": f"its store answered reads: {tracker.store_kind}"}
    return {
        "ok": False,
        "evidence": f"its only read path is a hosted service: {tracker.store_kind}",
    }


def correctness(features: dict[str, dict]) -> dict[str, float]:
    """The probes that check values, as 1.0/0.0 (absent when the tool refused)."""
    names = {
        "read back": "metrics_read_back_equal",
        "aliases": "registry_predictions_identical",
        "run search": "best_run_correct",
        "links run to data version": "data_version_equal",
    }
    return {
        value: float(features[probe]["ok"])
        for probe, value in names.items()
        if "not supported" not in features[probe]["evidence"]
    }
