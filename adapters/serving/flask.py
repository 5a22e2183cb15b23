"""Flask's development server (``flask run``): the HTML form and a JSON endpoint."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.serving.appkit import format_units
from adapters.serving.base import ServingApp, python_module
from adapters.serving.browser import HTML_FORM

APP = "adapters.serving.apps.flask_app:create_app"
PROTECTED_APP = "adapters.serving.apps.flask_auth_app:create_app"


class FlaskDevServer(ServingApp):
    name = "flask"
    app_files = ("flask_app.py", "page.py")
    auth_file = "flask_auth_app.py"
    form = HTML_FORM

    def command(self, port: int) -> list[str]:
        return self.serve(port, APP, "--no-reload")

    def protected_command(self, port: int) -> list[str]:
        return self.serve(port, PROTECTED_APP, "--no-reload")

    def reload_command(self, port: int, app_copy: Path) -> list[str]:
        return self.serve(port, f"{app_copy.stem}:create_app", "--reload")

    def serve(self, port: int, app: str, reload_option: str) -> list[str]:
        """``flask run`` for the Flask app factory ``app`` (module:function)."""
        address = ["--host", "127.0.0.1", "--port", str(port)]
        return [
            *python_module("flask"),
            "--app",
            app,
            "run",
            *address,
            reload_option,
            "--no-debugger",
        ]

    def predict_in_process(self, inputs: dict[str, object]) -> str:
        """Through Flask's test client: the same app object, no server."""
        if not hasattr(self, "_client"):
            from adapters.serving.apps.flask_app import create_app

            self._client = create_app(str(self.model_path)).test_client()
        answer = self._client.post(
            "/predict", data=json.dumps(inputs), content_type="application/json"
        )
        return format_units(answer.get_json()["units_sold"])
