"""The serving interface: start the app as a real server on 127.0.0.1, call it, stop it.

Every app (``apps/``) serves the same page for the same pickled model. Adapters say how
to start their server (``command``), how a browser uses their page (``form``) and what
they offer beyond the page (a JSON endpoint, an in-process test client).
"""

from __future__ import annotations

import abc
import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from adapters.base import Adapter
from adapters.servers import ServerError, free_port
from adapters.serving.appkit import MODEL_ENV
from adapters.serving.browser import Form

APPS = Path(__file__).resolve().parent / "apps"
ROOT = APPS.parents[2]
START_TIMEOUT = 60.0
RELOAD_WAIT = 30.0
HTML_TAG = re.compile(r"<(?:html|head|body|form|input|button|select|option|label|p|h1)\b")


class ServingApp(Adapter):
    """One tool serving the sales-model app; ``setup`` starts it, ``close`` stops it."""

    stage = "serving"
    operations = ("start", "predict_json", "predict_in_process")
    health_path: ClassVar[str] = "/health"
    app_files: ClassVar[tuple[str, ...]] = ()  # files under apps/ that make up the app
    form: ClassVar[Form]
    reload_edit: ClassVar[tuple[str, str]] = ('return "ok"', 'return "reloaded"')  # old, new

    def __init__(self, model_path: Path, workdir: Path | None = None):
        super().__init__(workdir)
        self.model_path = Path(model_path)
        self.process: subprocess.Popen | None = None
        self.port = 0

    @abc.abstractmethod
    def command(self, port: int) -> list[str]:
        """The command line that serves the app on 127.0.0.1:``port`` (run in ``workdir``)."""

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

    @abc.abstractmethod
    def probe_auth_hook(self) -> dict:
        """Feature probe: can a check run before every request without editing each route?

        Returns ``{"ok": bool, "evidence": str}`` saying what the probe saw.
        """

    def reload_command(self, port: int, app_copy: Path) -> list[str] | None:
        """The command serving ``app_copy`` with reloading on; None when the tool has none."""
        return None

    @contextlib.contextmanager
    def change_watcher(self, url: str, chromium) -> Iterator[Callable[[], bool]]:
        """A check that the edited copy is being served: /health now says "reloaded"."""
        yield lambda: _read(url + self.health_path) == "reloaded"

    def probe_hot_reload(self, chromium) -> dict:
        """Feature probe: serve a copy of the app with reloading on, edit it, see the change.

        ``chromium`` is a launched browser, for pages that only a browser can read.
        """
        app_copy = self.workdir / "edited" / "served_app.py"
        app_copy.parent.mkdir(exist_ok=True)
        shutil.copy(APPS / self.app_files[0], app_copy)
        port = free_port()
        command = self.reload_command(port, app_copy)
        if command is None:
            return {"ok": False, "evidence": "no reload option: the server must be restarted"}
        server = self._spawn(command, app_copy.parent, log_name="reload.log")
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until(lambda: _read(url + self.health_path) is not None, START_TIMEOUT)
            with self.change_watcher(url, chromium) as edit_is_served:
                app_copy.write_text(app_copy.read_text().replace(*self.reload_edit))
                seconds = _wait_until(edit_is_served, RELOAD_WAIT)
        finally:
            _stop_tree(server)
        usual = self.command(port)
        flags = " ".join(p for p in command if p.startswith("--") and p not in usual)
        return _reload_evidence(flags, seconds, self.workdir / "reload.log")

    @classmethod
    def probe_ui_without_html(cls) -> dict:
        """Feature probe: count the HTML tags written in the app's own files."""
        tags = sum(len(HTML_TAG.findall((APPS / name).read_text())) for name in cls.app_files)
        return {"ok": tags == 0, "evidence": f"{tags} HTML tags in {', '.join(cls.app_files)}"}

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
        self._wait_healthy(started + START_TIMEOUT)
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
        }
        with (self.workdir / log_name).open("ab") as log:
            return subprocess.Popen(
                command,
                cwd=extra_path or self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_healthy(self, deadline: float) -> None:
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"the server exited with code {self.process.returncode}: {self.last_log_line()}"
                )
            if self.healthy():
                return
            time.sleep(0.02)
        self.stop()
        raise ServerError(f"no healthy answer within {START_TIMEOUT:.0f} s: {self.last_log_line()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def last_log_line(self) -> str:
        lines = (self.workdir / "server.log").read_text(errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else "no output"

    def server_processes(self) -> list:
        """The server's process and its children (psutil objects)."""
        import psutil

        if self.process is None or self.process.poll() is not None:
            return []
        try:
            parent = psutil.Process(self.process.pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def server_peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) summed over the server's processes, in MB."""
        total_kb = 0
        for member in self.server_processes():
            status = Path(f"/proc/{member.pid}/status")
            lines = status.read_text().splitlines() if status.exists() else []
            total_kb += sum(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))
        return total_kb / 1024

    def stop(self) -> list[int]:
        """Stop the server and its children; the ids of processes that had to be killed."""
        if self.process is None:
            return []
        killed = _stop_tree(self.process)
        self.process = None
        return killed

    def close(self) -> None:
        self.stop()
        super().close()

    @classmethod
    def app_lines(cls) -> int:
        """Lines of app code (blank lines and comments excluded) over ``app_files``."""
        return sum(code_lines(APPS / name) for name in cls.app_files)


def code_lines(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def _stop_tree(process: subprocess.Popen) -> list[int]:
    """SIGTERM ``process`` and wait; kill its children left after that; their ids."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return [child.pid for child in children if _kill_if_alive(child)]


def _reload_evidence(flags: str, seconds: float | None, log: Path) -> dict:
    if seconds is not None:
        return {"ok": True, "evidence": f"{flags}: the edit was served {seconds:.1f} s later"}
    overflows = log.read_text(errors="replace").count("Inotify queue overflowed")
    hint = (
        f"; its reloader logged 'Inotify queue overflowed' {overflows} times" if overflows else ""
    )
    return {"ok": False, "evidence": f"{flags}: no change {RELOAD_WAIT:.0f} s on{hint}"}


def _read(url: str) -> str | None:
    """The body of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.read().decode("utf-8", "replace")
    except OSError:
        return None


def _wait_until(condition: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until ``condition()`` held, polling; None if it did not within ``seconds``."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if condition():
            return time.perf_counter() - started
        time.sleep(0.2)
    return None


def _kill_if_alive(member) -> bool:
    import psutil

    try:
        member.kill()
        return True
    except psutil.NoSuchProcess:
        return False


def python_module(module: str) -> list[str]:
    """``python -m module`` with this interpreter (the project's virtualenv)."""
    return [sys.executable, "-m", module]
