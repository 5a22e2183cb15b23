"""The sales-model app in Flask: the HTML form at / and JSON at POST /predict."""

from __future__ import annotations

from flask import Flask, jsonify, request

from adapters.serving.appkit import InputError, load_model, parse_inputs, predict
from adapters.serving.apps.page import render


def create_app(model_path: str | None = None) -> Flask:
    app = Flask(__name__)
    model = load_model(model_path)

    @app.get("/")
    def form():
        return render({})

    @app.post("/")
    def form_predict():
        values = request.form.to_dict()
        try:
            return render(values, result=predict(model, parse_inputs(values)))
        except InputError as error:
            return render(values, error=str(error)), 400

    @app.post("/predict")
    def json_predict():
        try:
            result = predict(model, parse_inputs(request.get_json(silent=True)))
        except InputError as error:
            return jsonify(error=str(error)), 400
        return jsonify(result.as_json())

    @app.get("/health")
    def health():
        return "ok"

    return app
