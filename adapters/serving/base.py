"""The serving interface: start the app as a real server on 127.0.0.1, call it, stop it.

Every app (``apps/``) serves the same page for the same pickled model. Adapters say how
to start their server (``command``), how a browser uses their page (``form``) and what
they offer beyond the page (a JSON endpoint, an in-process test client).

The operations' contracts (what is true when the call returns, for every tool):

- ``start``: the server answers its health URL (``health_path``) with HTTP 200 on
  127.0.0.1. Where ``start_loads_model`` is true the model is loaded then too; where it
  is false (Streamlit) the first browser session loads it, so the start did less work.
- predict via the page (``browser.open_and_predict`` / ``browser.interact`` with
  ``form``): returns the figure a user sees in the browser after pressing Predict,
  which must equal ``model.predict`` on the same inputs, formatted as pages show it.
- ``predict_json``: returns the HTTP status and decoded JSON answer of the served model
  at POST /predict; ``"prediction"`` must equal ``model.predict`` exactly.
- ``predict_in_process``: returns the figure the app would show, computed by the app's
  own code in this process through the tool's test client, with no server.
- ``stop``: no process of the server is left and its port is free.

An operation a tool does not have raises ``NotSupported`` in the tool's own words.
"""

from __future__ import annotations

import abc
import contextlib
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from adapters import processes
from adapters.base import Adapter, AdapterError
from adapters.processes import wait_for
from adapters.servers import ServerError, free_port
from adapters.serving.appkit import MODEL_ENV, PASSWORD_ENV
from adapters.serving.browser import Form

APPS = Path(__file__).resolve().parent / "apps"
ROOT = APPS.parents[2]
START_TIMEOUT = 60.0
RELOAD_WAIT = 30.0
# the hot-reload probe edits the app file this long after the server first answers, as a
# user edits seconds after a start: the reloaders here (gunicorn's and werkzeug's polling)
# record each file's time on their first scan, begun as the server starts answering, and
# never see an edit made before it (gunicorn once missed one so, on a loaded machine)
RELOAD_SETTLE = 2.0
# a stop is a SIGTERM to the server alone, as its user's would be: what it started and
# left running after that is killed and counted
STOP_GRACE = 15.0


@dataclass
class ProbeServer:
    """A server started for a feature probe only (never during a measured operation)."""

    url: str
    peak_rss_mb: float = 0.0  # filled when it stops


@dataclass(frozen=True)
class Reload:
    """What happened when the served app file was edited with reloading on."""

    flags: str  # the options that turned reloading on
    seconds: float | None  # until the edit was served; None if it was not within RELOAD_WAIT
    log_note: str  # what the reloader logged that explains a miss ("" if nothing)
    server_rss_mb: float


class ServingApp(Adapter):
    """One tool serving the sales-model app; ``setup`` starts it, ``close`` stops it."""

    stage = "serving"
    operations = ("start", "predict_json", "predict_in_process", "hot_reload")
    health_path: ClassVar[str] = "/health"
    app_files: ClassVar[tuple[str, ...]] = ()  # what the user writes, under apps/
    auth_file: ClassVar[str]  # the user's team-password code, under apps/
    start_loads_model: ClassVar[bool] = True  # the health answer comes after the model loads
    system_packages: ClassVar[tuple[str, ...]] = ()  # Debian packages the tool needs to serve
    form: ClassVar[Form]
    reload_edit: ClassVar[tuple[str, str]] = ('return "ok"', 'return "reloaded"')  # old, new

    def __init__(self, model_path: Path, workdir: Path | None = None):
        super().__init__(workdir)
        self.model_path = Path(model_path)
        self.password = secrets.token_urlsafe(12)  # the team password of ``auth_file``
        self.process: subprocess.Popen | None = None
        self.port = 0

    @abc.abstractmethod
    def command(self, port: int) -> list[str]:
        """The command line that serves the app on 127.0.0.1:``port`` (run in ``workdir``)."""

    @abc.abstractmethod
    def protected_command(self, port: int) -> list[str]:
        """The command serving ``auth_file``: the same app behind the team password."""

    def predict_json(self, payload: object) -> tuple[int, dict]:
        """POST ``payload`` to /predict; (HTTP status, decoded JSON answer)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def predict_in_process(self, inputs: dict[str, object]) -> str:
        """The figure the app shows for ``inputs``, run in this process (no server)."""
        raise self.not_supported("predict_in_process", "no in-process test client")

    def reload_command(self, port: int, app_copy: Path) -> list[str] | None:
        """The command serving ``app_copy`` with reloading on; None when the tool has none."""
        return None

    @contextlib.contextmanager
    def change_watcher(self, url: str, chromium) -> Iterator[Callable[[], bool]]:
        """A check that the edited copy is being served: /health now says "reloaded"."""
        yield lambda: read(url + self.health_path) == "reloaded"

    def hot_reload(self, chromium) -> Reload:
        """Serve a copy of the app with reloading on, edit the copy, wait for the change.

        ``chromium`` is a launched browser, for pages that only a browser can read.
        """
        app_copy = self.workdir / "edited" / "served_app.py"
        app_copy.parent.mkdir(exist_ok=True)
        shutil.copy(APPS / self.app_files[0], app_copy)
        command = self.reload_command(0, app_copy)
        if command is None:
            raise self.not_supported("hot reload", "no reload option: restart the server")
        with (
            self.probe_server(
                lambda port: self.reload_command(port, app_copy), "reload.log", app_copy.parent
            ) as server,
            self.change_watcher(server.url, chromium) as edit_is_served,
        ):
            time.sleep(RELOAD_SETTLE)
            app_copy.write_text(app_copy.read_text().replace(*self.reload_edit))
            seconds = None  # the edit was not served within RELOAD_WAIT
            with contextlib.suppress(ServerError):
                seconds = wait_for(edit_is_served, "the edit served", RELOAD_WAIT, every=0.2)
        usual = self.command(0)
        flags = " ".join(p for p in command if p.startswith("--") and p not in usual)
        return Reload(
            flags, seconds, _reloader_note(self.workdir / "reload.log"), server.peak_rss_mb
        )

    @contextlib.contextmanager
    def serve_protected(self) -> Iterator[ProbeServer]:
        """The app behind the team password (``auth_file``), started for a probe."""
        with self.probe_server(self.protected_command, "protected.log") as server:
            yield server

    @contextlib.contextmanager
    def probe_server(
        self, command: Callable[[int], list[str]], log_name: str, extra_path: Path | None = None
    ) -> Iterator[ProbeServer]:
        """A second server, for a probe: started, healthy, yielded, stopped (peak RSS kept)."""
        port = free_port()
        process = self._spawn(command(port), extra_path, log_name)
        server = ProbeServer(f"http://127.0.0.1:{port}")
        try:
            self._wait_answering(server.url, log_name)
            yield server
        finally:
            server.peak_rss_mb = processes.peak_rss_mb(processes.tree(process.pid))
            processes.stop(process, grace=STOP_GRACE, leader_first=True)

    def _wait_answering(self, url: str, log_name: str) -> None:
        """Wait until a probe's server answers its health URL; AdapterError if it does not."""
        try:
            wait_for(lambda: read(url + self.health_path) is not None, url, START_TIMEOUT, 0.2)
        except ServerError:
            cause = ServerError(
                f"no answer in {START_TIMEOUT:.0f} s: {self.last_log_line(log_name)}"
            )
            where = f"a probe's server ({log_name})"
            raise AdapterError(self.stage, self.name, where, cause) from None

    def setup(self) -> None:
        self.port = free_port()
        program, *arguments = self.command(self.port)
        shown = " ".join([Path(program).name, *arguments]).replace(f"{ROOT}/", "")
        self.step(f"run `{shown}` and wait for {self.health_path}", lambda: self.start(self.port))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> float:
        """Start the server (on ``port`` or a free one); seconds to its first healthy answer."""
        if self.process is not None:
            raise RuntimeError("the server is already running; stop it first.")
        self.port = port or free_port()
        started = time.perf_counter()
        self.process = self._spawn(self.command(self.port))
        self._wait_healthy()
        return time.perf_counter() - started

    def _spawn(
        self, command: list[str], extra_path: Path | None = None, log_name: str = "server.log"
    ) -> subprocess.Popen:
        """Run ``command`` (in ``extra_path`` or ``workdir``), output to a log in ``workdir``."""
        home = self.workdir / "home"  # servers must not write to the user's home
        home.mkdir(exist_ok=True)
        path = [str(extra_path or ""), str(ROOT), os.environ.get("PYTHONPATH", "")]
        env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"} | {
            "HOME": str(home),
            "PYTHONPATH": os.pathsep.join(filter(None, path)),
            MODEL_ENV: str(self.model_path),
            PASSWORD_ENV: self.password,
        }
        cwd = extra_path or self.workdir
        log = self.workdir / log_name
        return processes.start(command, log, cwd=cwd, env=env, stdin=subprocess.DEVNULL)

    def _wait_healthy(self) -> None:
        """Wait for a healthy answer; when the server exits or START_TIMEOUT passes first,
        stop it and raise ServerError with its last log line."""
        try:
            wait_for(self._healthy_while_running, "a healthy answer", START_TIMEOUT, every=0.02)
        except ServerError as error:
            self.stop()
            raise ServerError(f"{error}: {self.last_log_line()}") from None

    def _healthy_while_running(self) -> bool:
        if self.process.poll() is not None:
            raise ServerError(f"the server exited with code {self.process.returncode}")
        return self.healthy()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def last_log_line(self, log_name: str = "server.log") -> str:
        lines = (self.workdir / log_name).read_text(errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else "no output"

    def server_processes(self) -> list:
        """The server's process and its children (psutil objects)."""
        if self.process is None or self.process.poll() is not None:
            return []
        return processes.tree(self.process.pid)

    def server_peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) summed over the server's processes, in MB."""
        return processes.peak_rss_mb(self.server_processes())

    def stop(self) -> list[int]:
        """Stop the server and its children; the ids of processes that had to be killed."""
        if self.process is None:
            return []
        killed = processes.stop(self.process, grace=STOP_GRACE, leader_first=True)
        self.process = None
        return killed

    def close(self) -> None:
        self.stop()
        super().close()


def _reloader_note(log: Path) -> str:
    overflows = log.read_text(errors="replace").count("Inotify queue overflowed")
    return f"its reloader logged 'Inotify queue overflowed' {overflows} times" if overflows else ""


def python_module(module: str) -> list[str]:
    """``python -m module`` with this interpreter (the project's virtualenv)."""
    return [sys.executable, "-m", module]


def read(url: str) -> str | None:
    """The body of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.read().decode("utf-8", "replace")
    except OSError:
        return None
