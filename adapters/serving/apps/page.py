"""The HTML page that the Flask and baseline apps serve (Streamlit draws its own)."""

from __future__ import annotations

from html import escape

from adapters.serving.appkit import CHOICE_FIELDS, NUMBER_FIELDS, Prediction

STYLE = "body{font-family:sans-serif;max-width:40em;margin:2em auto}label{display:block}"


def _inputs(values: dict[str, str]) -> str:
    rows = [
        f'<label>{escape(f.label)} <input type="text" inputmode="decimal" id="{f.name}" '
        f'name="{f.name}" value="{escape(str(values.get(f.name, f.default)))}"></label>'
        for f in NUMBER_FIELDS
    ]
    for name, choices in CHOICE_FIELDS.items():
        chosen = values.get(name, choices[0])
        options = "".join(
            f"<option{' selected' if choice == chosen else ''}>{choice}</option>"
            for choice in choices
        )
        rows.append(f'<label>{name} <select id="{name}" name="{name}">{options}</select></label>')
    return "\n".join(rows)


def render(values: dict[str, str], result: Prediction | None = None, error: str = "") -> str:
    """The whole page: the form, then the prediction or the error message."""
    answer = error and f'<p id="error" role="alert">{escape(error)}</p>'
    if result:
        answer = (
            f'<p id="result">Predicted units sold: <output id="units">{result.as_text()}'
            f'</output> (bucket <output id="bucket">{result.bucket}</output>)</p>'
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Units sold</title>"
        f"<style>{STYLE}</style></head><body><h1>Predict units sold</h1>"
        f'<form method="post" action="/">{_inputs(values)}'
        f'<button id="predict" type="submit">Predict</button></form>{answer}</body></html>'
    )
