"""Streamlit: ``streamlit run`` serves the widget page; AppTest runs the same app in-process."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from adapters.serving import browser
from adapters.serving.appkit import CHOICE_FIELDS, MODEL_ENV, NUMBER_FIELDS
from adapters.serving.base import APPS, ServingApp, python_module
from adapters.serving.browser import STREAMLIT_FORM

APP = APPS / "streamlit_app.py"
SETTINGS = {
    "server.headless": "true",  # else it can wait at the e-mail prompt
    "server.address": "127.0.0.1",
    "browser.gatherUsageStats": "false",
    "server.fileWatcherType": "none",
}


class StreamlitServer(ServingApp):
    name = "streamlit"
    health_path = "/_stcore/health"
    app_files = ("streamlit_app.py",)
    auth_file = "streamlit_auth_app.py"
    start_loads_model = False  # the script, and the model load in it, runs per browser session
    form = STREAMLIT_FORM

    reload_edit = ('st.title("Predict units sold")', 'st.title("Reloaded")')

    def command(self, port: int) -> list[str]:
        return self.serve(port, APP, {})

    def protected_command(self, port: int) -> list[str]:
        return self.serve(port, APPS / self.auth_file, {})

    def reload_command(self, port: int, app_copy: Path) -> list[str]:
        return self.serve(
            port, app_copy, {"server.fileWatcherType": "poll", "server.runOnSave": "true"}
        )

    def serve(self, port: int, script: Path, settings: dict[str, str]) -> list[str]:
        options = SETTINGS | {"server.port": port} | settings
        return [
            *python_module("streamlit"),
            "run",
            str(script),
            *(f"--{k}={v}" for k, v in options.items()),
        ]

    @contextlib.contextmanager
    def change_watcher(self, url: str, chromium) -> Iterator[Callable[[], bool]]:
        """A page kept open in ``chromium``: runOnSave reruns it, and the new title shows."""
        page = chromium.new_page()
        try:
            page.goto(url)
            page.get_by_text("Predict units sold").wait_for(timeout=browser.WAIT_MS)
            yield lambda: page.get_by_text("Reloaded").count() > 0
        finally:
            page.close()

    def predict_json(self, payload: object) -> tuple[int, dict]:
        raise self.not_supported(
            "predict_json",
            "a Streamlit page talks to its server over a websocket and serves no JSON "
            "endpoint (extra Starlette routes through st.App are not part of this app)",
        )

    def predict_in_process(self, inputs: dict[str, object]) -> str:
        """Through AppTest: set the widgets, click the button, read the shown figure."""
        test = self._app_test()
        for field in NUMBER_FIELDS:
            _by_label(test.number_input, field.label).set_value(inputs[field.name])
        for name in CHOICE_FIELDS:
            _by_label(test.selectbox, name).set_value(inputs[name])
        test.button[0].click().run()
        if test.exception or test.error:
            raise RuntimeError(f"the app failed: {(test.exception or test.error)[0].value}")
        return re.search(r"\*\*(.+?)\*\*", test.markdown[-1].value).group(1)

    def _app_test(self):
        if not hasattr(self, "_test"):
            from streamlit.testing.v1 import AppTest

            os.environ[MODEL_ENV] = str(self.model_path)  # the app reads the model path here
            self._test = AppTest.from_file(str(APP), default_timeout=60).run()
        return self._test


def _by_label(widgets, label: str):
    return next(widget for widget in widgets if widget.label == label)
