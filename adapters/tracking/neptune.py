"""Neptune 1.x client in offline mode: no account, no network.

Offline, the client appends every operation to a local folder that only ``neptune sync``
(a token and Neptune's hosted service) could upload; the hosted service was shut down (see
reports/facts/tracking.toml). Whatever needs the service (reading back, querying runs,
the model registry) is attempted for real and reported with the client's own error text.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from adapters.base import NotSupported
from adapters.neptune_offline import offline_run
from adapters.tracking.base import RunData, Tracker, file_version

PROJECT = "bakeoff/sales"  # any "workspace/project" name: offline mode never checks it


class NeptuneOfflineTracker(Tracker):
    name = "neptune"
    durability = (
        "appended to the local offline operation log (run.wait()); nothing can read it back "
        "here, only `neptune sync` to the hosted service could"
    )
    metric_api = "run[key].extend(values, steps=...), one call per series"
    search_method = "none offline: init_project refuses offline mode"
    store_kind = (
        "Neptune's hosted app; offline mode only writes a local log for `neptune sync` "
        "(see the dated facts on the hosted service)"
    )

    not_equivalent = dict.fromkeys(
        ("start_run", "log_params", "log_metrics", "log_model", "end_run", "link_data"),
        "not readable: offline Neptune appends to a local operation log that only "
        "`neptune sync` to its hosted service (shut down) reads; nothing reads it back here",
    )

    def prepare(self) -> None:
        self._open_state()
        self.step(
            "set NEPTUNE_MODE=offline and NEPTUNE_DATA_DIRECTORY to the work folder",
            self._offline_here,
        )

    def _open_state(self) -> None:
        self.runs: dict[str, object] = {}
        self.reopened: dict[str, object] = {}

    def _offline_here(self) -> None:
        import os

        os.environ.update(
            NEPTUNE_MODE="offline", NEPTUNE_DATA_DIRECTORY=str(self.workdir / ".neptune")
        )

    def address(self) -> str:
        return str(self.workdir)

    @classmethod
    def attach(cls, address: str) -> NeptuneOfflineTracker:
        tracker = cls(Path(address))
        tracker._open_state()
        tracker._offline_here()
        return tracker

    def start_run(self, experiment: str, name: str) -> str:
        run_id = f"{name}-{uuid.uuid4().hex[:8]}"  # offline runs get no server-side id
        self.runs[run_id] = _offline_run(run_id, name=name, tags=[experiment])
        return run_id

    def log_params(self, run_id: str, params: dict[str, object]) -> None:
        run = self.runs[run_id]
        run["parameters"] = params
        run.wait()  # the client's flush: the operation reaches the local log

    def log_metrics(self, run_id: str, key: str, values: list[float]) -> None:
        run = self.runs[run_id]
        run[key].extend([float(v) for v in values], steps=list(range(len(values))))
        run.wait()

    def log_model(self, run_id: str, model) -> str:
        import joblib

        path = self.workdir / f"model-{run_id}.joblib"
        joblib.dump(model, path)
        run = self.runs[run_id]
        run["model/file"].upload(str(path))
        run.wait()
        return f"{run_id}/model/file"

    def end_run(self, run_id: str) -> None:
        self.runs[run_id].stop()

    def register_model(self, model_ref: str, name: str, alias: str) -> str:
        import neptune

        self._tool_refuses("register_model", lambda: neptune.init_model(key=name.upper()))

    def load_model(self, name: str, alias: str):
        import neptune

        self._tool_refuses("load_model", lambda: neptune.init_model_version(with_id=name))

    def best_run(self, experiment: str, metric: str) -> str:
        import neptune

        self._tool_refuses("best_run", lambda: neptune.init_project(project=PROJECT))

    def read_run(self, run_id: str) -> RunData:
        run = self._reopen(run_id)
        self._tool_refuses("read_run", lambda: run["sys/name"].fetch())

    def link_data(self, run_id: str, path: Path) -> None:
        run = self._reopen(run_id)
        run["data/version"] = file_version(path)
        run.wait()

    def data_version(self, run_id: str) -> str:
        run = self._reopen(run_id)
        self._tool_refuses("data_version", lambda: run["data/version"].fetch())

    def ui_url(self) -> str:
        raise self.not_supported(
            "ui_url", "offline mode has no UI; Neptune's UI was the hosted app, shut down"
        )

    def _reopen(self, run_id: str):
        """The run opened again by its custom id, as a later script would (offline)."""
        if run_id not in self.reopened:
            self.reopened[run_id] = _offline_run(run_id)
        return self.reopened[run_id]

    def _tool_refuses(self, operation: str, attempt) -> None:
        """Run the tool's call; its refusal becomes NotSupported with the tool's own words."""
        try:
            attempt()
        except Exception as error:
            raise NotSupported(self.name, operation, first_sentence(error)) from error
        # the adapter's premise broke (a newer client may read back offline): a loud harness
        # error, never a missing feature recorded for the tool
        raise RuntimeError(
            f"the neptune adapter assumes offline mode refuses {operation}, and this client "
            "allowed it: drive the operation in adapters/tracking/neptune.py"
        )

    def close(self) -> None:
        for opened in (getattr(self, "runs", {}), getattr(self, "reopened", {})):
            for run in opened.values():
                run.stop()
            opened.clear()
        super().close()


def _offline_run(run_id: str, **fields):
    return offline_run(PROJECT, custom_run_id=run_id, **fields)


def first_sentence(error: BaseException) -> str:
    """The first sentence of the client's message, without its colour codes and banner."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    text = " ".join(line.strip() for line in text.splitlines() if line.strip("- \n"))
    text = re.sub(r"^-*\w+Exception-*\s*", "", text).strip()
    sentence = re.split(r"(?<=[.!])\s", text, maxsplit=1)[0]
    return f"{type(error).__name__}: {sentence}" if sentence else type(error).__name__
