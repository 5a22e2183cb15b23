"""Serving stage: the sales model behind a web page (and a JSON endpoint where the tool has one)."""

from adapters.registry import Tool

_HINT = "the serving extra: pip install -e '.[serving]'"

TOOLS = {
    "baseline": Tool("adapters.serving.baseline:StdlibServer", ("pandas", "sklearn")),
    "flask": Tool("adapters.serving.flask:FlaskDevServer", ("flask",), hint=_HINT),
    "flask_gunicorn": Tool(
        "adapters.serving.flask_gunicorn:FlaskGunicornServer", ("flask", "gunicorn"), hint=_HINT
    ),
    "streamlit": Tool("adapters.serving.streamlit:StreamlitServer", ("streamlit",), hint=_HINT),
}
