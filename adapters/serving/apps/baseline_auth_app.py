"""The standard-library app behind a team password (HTTP Basic); /health stays open."""

from __future__ import annotations

import base64
import hmac
import os
import sys

from adapters.serving.appkit import PASSWORD_ENV
from adapters.serving.apps.baseline_app import Handler, Server

PASSWORD = os.environ[PASSWORD_ENV]


class PasswordHandler(Handler):
    # http.server has no hook before every request: each method checks first
    def do_GET(self) -> None:
        if self._allowed():
            super().do_GET()

    def do_POST(self) -> None:
        if self._allowed():
            super().do_POST()

    def _allowed(self) -> bool:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        given = base64.b64decode(encoded or "=").decode("utf-8", "replace").partition(":")[2]
        if self.path == "/health" or (scheme == "Basic" and hmac.compare_digest(given, PASSWORD)):
            return True
        self.close_connection = True  # the unread body must not be taken for a request
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="sales model"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), PasswordHandler).serve_forever()
