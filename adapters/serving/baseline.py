"""The standard library only: http.server's ThreadingHTTPServer with a hand-written page."""

from __future__ import annotations

import sys

from adapters.serving.base import APPS, ServingApp
from adapters.serving.browser import HTML_FORM


class StdlibServer(ServingApp):
    name = "baseline"
    app_files = ("baseline_app.py", "page.py")
    auth_file = "baseline_auth_app.py"
    form = HTML_FORM

    def command(self, port: int) -> list[str]:
        return self.serve(port, "baseline_app.py")

    def protected_command(self, port: int) -> list[str]:
        return self.serve(port, self.auth_file)

    def serve(self, port: int, app_file: str) -> list[str]:
        return [sys.executable, str(APPS / app_file), str(port)]
