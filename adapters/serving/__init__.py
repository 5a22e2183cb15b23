"""Serving stage: the sales model behind a web page (and a JSON endpoint where the tool has one)."""

from adapters.registry import Stage, Tool

_HINT = "the serving extra: pip install -e '.[serving]'"

STAGE = Stage(
    name="Serving",
    question="Serving: which puts the model in front of users fastest, and holds up?",
    place=7,
    box="web app / API",
    sizes=(1_600,),  # rows the served model is trained on (the real file's size)
    tool_names={"flask": "Flask", "flask_gunicorn": "Flask + gunicorn", "streamlit": "Streamlit"},
)

TOOLS = {
    "baseline": Tool("adapters.serving.baseline:StdlibServer", ("pandas", "sklearn")),
    "flask": Tool("adapters.serving.flask:FlaskDevServer", ("flask",), hint=_HINT),
    "flask_gunicorn": Tool(
        "adapters.serving.flask_gunicorn:FlaskGunicornServer", ("flask", "gunicorn"), hint=_HINT
    ),
    "streamlit": Tool("adapters.serving.streamlit:StreamlitServer", ("streamlit",), hint=_HINT),
}

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {
    "a JSON API for other services": "JSON API for other services",
    "login for the team": "login required (team password)",
    "a page without writing HTML": "UI without HTML written",
    "reloads when the app is edited": "hot reload",
    "tests without starting a server": "in-process test client",
}
