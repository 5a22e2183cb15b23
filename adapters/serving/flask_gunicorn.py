"""The same Flask app under gunicorn, the usual production WSGI server, with 2 workers."""

from __future__ import annotations

from adapters.serving.base import python_module
from adapters.serving.flask import FlaskDevServer


class FlaskGunicornServer(FlaskDevServer):
    name = "flask_gunicorn"

    def serve(self, port: int, app: str, reload_option: str) -> list[str]:
        """gunicorn with 2 workers for the Flask app factory ``app`` (module:function)."""
        options = ["--workers", "2", "--bind", f"127.0.0.1:{port}", *_no_control_socket()]
        reload = [reload_option] if reload_option == "--reload" else []
        return [*python_module("gunicorn"), *options, *reload, f"{app}()"]


def _no_control_socket() -> list[str]:
    """gunicorn >= 25.1 opens a control socket under $HOME unless told not to."""
    import gunicorn

    return ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []
