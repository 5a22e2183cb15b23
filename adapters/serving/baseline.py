"""The standard library only: http.server's ThreadingHTTPServer with a hand-written page."""

from __future__ import annotations

import sys

from adapters.serving.base import APPS, ServingApp
from adapters.serving.browser import HTML_FORM


class StdlibServer(ServingApp):
    name = "baseline"
    app_files = ("baseline_app.py", "page.py")
    form = HTML_FORM

    def command(self, port: int) -> list[str]:
        return [sys.executable, str(APPS / "baseline_app.py"), str(port)]

    def probe_auth_hook(self) -> dict:
        """http.server calls do_GET/do_POST directly: there is no hook to register."""
        from http.server import BaseHTTPRequestHandler

        hooks = [n for n in dir(BaseHTTPRequestHandler) if "before" in n or "middleware" in n]
        return {
            "ok": bool(hooks),
            "evidence": f"BaseHTTPRequestHandler hooks: {hooks or 'none'}; a check must be "
            "written into each do_GET/do_POST",
        }
