"""The sales-model app with the standard library only: form at /, JSON at POST /predict."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from adapters.serving.appkit import InputError, load_model, parse_inputs, predict
from adapters.serving.apps.page import render

MODEL = load_model()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the other servers
    disable_nagle_algorithm = True  # else keep-alive answers wait ~40 ms for a delayed ACK

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, "text/plain", "ok")
        else:
            self._send(200, "text/html; charset=utf-8", render({}))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/predict":
            self._json(body)
        else:
            self._form(dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)))

    def _form(self, values: dict[str, str]) -> None:
        try:
            page, status = render(values, result=predict(MODEL, parse_inputs(values))), 200
        except InputError as error:
            page, status = render(values, error=str(error)), 400
        self._send(status, "text/html; charset=utf-8", page)

    def _json(self, body: bytes) -> None:
        try:
            result = predict(MODEL, parse_inputs(_json_or_none(body)))
        except InputError as error:
            return self._send(400, "application/json", json.dumps({"error": str(error)}))
        self._send(200, "application/json", json.dumps(result.as_json()))

    def _send(self, status: int, content_type: str, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # quiet, like the other servers under load
        pass


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections at concurrency 16
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
