"""The Flask app behind a team password (HTTP Basic), checked once before every request."""

from __future__ import annotations

import hmac
import os

from flask import Flask, Response, request

from adapters.serving.appkit import PASSWORD_ENV
from adapters.serving.apps.flask_app import create_app as create_sales_app


def create_app() -> Flask:
    app = create_sales_app()
    password = os.environ[PASSWORD_ENV]

    @app.before_request
    def password_required():
        given = request.authorization
        if request.path == "/health" or (
            given and hmac.compare_digest(given.password or "", password)
        ):
            return None
        return Response(status=401, headers={"WWW-Authenticate": 'Basic realm="sales model"'})

    return app
