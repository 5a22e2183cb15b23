"""Serving stage: the same sales-model app served by each tool, used by a real browser.

Per tool: time from process start to a healthy answer; a headless Chromium session
(first prediction, repeated predictions, bad input, a screenshot); for JSON endpoints
one request at a time and a bounded loopback load test with hey; the in-process test
client where there is one; the server's peak memory; and a clean stop.
"""

from __future__ import annotations

import base64
import inspect
import itertools
import json
import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from adapters import registry
from adapters.base import NotRunnable, NotSupported
from adapters.servers import port_is_free
from adapters.serving import appkit, browser, load
from adapters.serving.base import code_lines
from benchmarks import harness

STAGE = "serving"
SIZES = (1_600,)  # rows the served model is trained on (the real file's size)
QUICK_SIZES = (1_600,)
REPEATS = 5
MODEL_CONFIG = "ridge"  # the quickest config (~2 ms per one-row predict), not to dominate latency
LOAD_CLIENTS = (1, 4, 16)
LOAD_LIMIT_SECONDS = 120.0

pytestmark = pytest.mark.serving


@pytest.fixture(scope="module")
def model_file(bench_options, rows):
    """(model, path of its pickle): the workload's model trained on this size."""
    from scenarios import model as sales_model

    frame = harness.synthetic_or_user_frame(bench_options, rows)
    model = sales_model.train(sales_model.split(frame), MODEL_CONFIG)
    with tempfile.TemporaryDirectory(prefix="bakeoff-serving-") as scratch:
        path = Path(scratch) / "model.pkl"
        path.write_bytes(pickle.dumps(model))
        yield model, path


@pytest.fixture(scope="module")
def app(tool, rows, recorder, model_file):
    with harness.opened(recorder, registry.load(STAGE, tool)(model_file[1]), rows) as adapter:
        details = recorder.record(tool, rows).details
        adapter_file = Path(inspect.getfile(type(adapter)))
        details["lines_of_code"] = {
            "app files": adapter.app_lines(),
            "adapter file": code_lines(adapter_file),
        }
        details["notes"] = [
            f"Model: scikit-learn pipeline '{MODEL_CONFIG}' from scenarios/model.py, "
            "predicting from a one-row DataFrame with feature names.",
            "Peak RSS in the comparison table covers the whole trial (pytest, the server and "
            "headless Chromium); the server's own peak is in the Server table.",
        ]
        yield adapter


@pytest.fixture(scope="module")
def chromium(recorder, tool, rows):
    try:
        with browser.chromium() as launched:
            yield launched
    except NotRunnable as error:
        recorder.record(tool, rows).details["notes"].append(f"Browser checks not run: {error}")
        pytest.skip(f"not run: {error}")


def expected(model, inputs: dict) -> str:
    """The figure a page must show: model.predict on the same inputs, as pages format it."""
    return appkit.format_units(float(np.expm1(model.predict(appkit.model_frame(inputs))[0])))


def with_price(price: float) -> dict:
    return appkit.default_inputs() | {"price": price}


def add_table(record, title: str, columns: list[str], rows: list[list]) -> None:
    record.details.setdefault("tables", []).append(
        {"title": title, "columns": columns, "rows": rows}
    )


def test_start_to_healthy(benchmark, app, recorder, bench_options, tool, rows):
    with harness.trial(recorder, tool, rows):
        rounds = iter(range(1, bench_options.repeats + 1))

        def restart():
            app.stop()
            harness.progress(f"start to healthy: round {next(rounds)}/{bench_options.repeats}")

        benchmark.pedantic(app.start, setup=restart, rounds=bench_options.repeats)
        recorder.timing(tool, rows, "start to healthy", benchmark)


def test_first_prediction_in_browser(
    benchmark, app, chromium, model_file, recorder, bench_options, tool, rows
):
    with harness.trial(recorder, tool, rows) as record:
        shown = harness.measure(
            benchmark,
            "new tab to first prediction",
            browser.open_and_predict,
            chromium,
            app.url,
            app.form,
            {"price": "9.5"},
            rounds=bench_options.repeats,
        )
        recorder.timing(tool, rows, "new tab to first prediction", benchmark)
        record.correctness["page shows model.predict"] = float(
            shown == expected(model_file[0], with_price(9.5))
        )
    assert shown == expected(model_file[0], with_price(9.5))


def test_repeated_prediction_in_browser(
    benchmark, app, chromium, model_file, recorder, bench_options, tool, rows
):
    with harness.trial(recorder, tool, rows) as record:
        page = chromium.new_page(viewport=browser.VIEWPORT)
        page.goto(app.url)
        prices = itertools.cycle([10.0, 10.5, 11.0, 11.5])
        seen: list[tuple[float, str]] = [(9.0, browser.interact(page, app.form, {"price": "9"}))]

        def predict_next_price():
            price = next(prices)
            shown = browser.interact(page, app.form, {"price": str(price)}, previous=seen[-1][1])
            seen.append((price, shown))

        harness.measure(
            benchmark,
            "repeat prediction in page",
            predict_next_price,
            rounds=bench_options.repeats * 4,
        )
        recorder.timing(tool, rows, "repeat prediction in page", benchmark)
        right = sum(shown == expected(model_file[0], with_price(p)) for p, shown in seen)
        record.correctness["page shows model.predict"] = min(
            record.correctness.get("page shows model.predict", 1.0), right / len(seen)
        )
        png = base64.b64encode(page.screenshot(full_page=True)).decode("ascii")
        record.details["images"] = [
            {"title": f"{tool} after a prediction", "slug": f"serving-{tool}-page", "png": png}
        ]
        page.close()
    assert right == len(seen)


def test_bad_input_on_page(app, chromium, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        page = chromium.new_page()
        page.goto(app.url)
        browser.interact(page, app.form, {"price": "9"})
        outcomes = [
            browser.try_bad_price(page, app.form, case, text)
            for case, text in browser.BAD_PRICES.items()
        ]
        page.close()
        add_table(
            record,
            "Bad input typed into the page's price field",
            ["input", "HTTP status", "message shown", "price field afterwards"],
            [[o.case, o.status or "(websocket)", shown(o), o.field_value] for o in outcomes],
        )
        said = [bool(o.message) for o in outcomes]
        handled = [bool(o.message) or o.refused for o in outcomes]
        record.correctness["bad input: page says why"] = sum(said) / len(said)
        record.correctness["bad input: refused or explained"] = sum(handled) / len(handled)
        record.correctness["server up after bad input"] = float(app.healthy())
    assert app.healthy()


def shown(outcome: browser.BadInputOutcome) -> str:
    if outcome.refused:
        return "(none: the field does not take the text)"
    return outcome.message or "(none)"


def test_json_predict(benchmark, app, model_file, recorder, bench_options, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        inputs = with_price(9.5)
        try:
            status, answer = harness.measure(
                benchmark,
                "JSON predict, 1 client",
                app.predict_json,
                inputs,
                rounds=bench_options.repeats * 20,
            )
        except NotSupported as error:
            record.features["JSON API for other services"] = {"ok": False, "evidence": str(error)}
            record.details["notes"].append(
                "No JSON endpoint: the page talks to its server over a websocket, so an HTTP "
                "load test would measure nothing; compare it by the browser timings."
            )
            pytest.skip(str(error))
        recorder.timing(tool, rows, "JSON predict, 1 client", benchmark)
        truth = float(model_file[0].predict(appkit.model_frame(inputs))[0])
        same = status == 200 and answer["prediction"] == truth
        record.correctness["JSON equals model.predict"] = float(same)
        record.features["JSON API for other services"] = {
            "ok": same,
            "evidence": f"POST /predict answered {status} {answer}",
        }
    assert same


def test_bad_json_gives_400(app, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        try:
            answers = {case: app.predict_json(body) for case, body in appkit.BAD_JSON.items()}
        except NotSupported as error:
            pytest.skip(str(error))
        rows = [
            [case, status, answer.get("error", answer)]
            for case, (status, answer) in answers.items()
        ]
        add_table(
            record, "Bad JSON sent to POST /predict", ["body", "HTTP status", "message"], rows
        )
        clear = [status == 400 and "error" in answer for status, answer in answers.values()]
        record.correctness["bad JSON: 400 with a message"] = sum(clear) / len(clear)
    assert all(clear) and app.healthy()


def test_json_load(app, recorder, bench_options, tool, rows):
    """Bounded loopback load with hey; figures go to a details table (not timed rounds)."""
    with harness.trial(recorder, tool, rows) as record:
        try:
            app.predict_json(with_price(9.5))
        except NotSupported as error:
            pytest.skip(str(error))
        if shutil.which(load.HEY) is None:
            record.details["notes"].append("Load test not run: install the Debian package hey.")
            pytest.skip("not run: install the Debian package hey")
        requests, body = 200 * bench_options.repeats, json.dumps(with_price(9.5))
        results = []
        for clients in LOAD_CLIENTS:
            harness.progress(f"hey: {clients} clients, {requests} requests")
            url = app.url + "/predict"
            results.append(load.run_hey(url, body, clients, requests, LOAD_LIMIT_SECONDS))
        title = f"Load test: hey, POST /predict on 127.0.0.1, {requests} requests per level"
        add_table(record, title, load.COLUMNS, [result.row() for result in results])
    assert all(result.ok == result.requests for result in results)


def test_in_process_prediction(benchmark, app, model_file, recorder, bench_options, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        inputs = with_price(9.5)
        try:
            shown = harness.measure(
                benchmark,
                "in-process predict",
                app.predict_in_process,
                inputs,
                rounds=bench_options.repeats * 4,
            )
        except NotSupported as error:
            record.features["in-process test client"] = {"ok": False, "evidence": str(error)}
            pytest.skip(str(error))
        recorder.timing(tool, rows, "in-process predict", benchmark)
        truth = expected(model_file[0], inputs)
        same = shown == truth
        record.features["in-process test client"] = {
            "ok": same,
            "evidence": f"the in-process call showed {shown}; model.predict gives {truth}",
        }
    assert same


def test_features(app, recorder, tool, rows):
    probes = {
        "UI without HTML written": app.probe_ui_without_html,
        "auth hook": app.probe_auth_hook,
    }
    with harness.trial(recorder, tool, rows) as record:
        for feature, probe in probes.items():
            record.features[feature] = run_probe(probe)


def test_hot_reload(app, chromium, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        harness.progress("feature probe: hot reload")
        record.features["hot reload"] = run_probe(lambda: app.probe_hot_reload(chromium))


def run_probe(probe) -> dict:
    """The probe's outcome; a probe that breaks counts as a missing feature, with why."""
    try:
        return probe()
    except Exception as error:  # the tool's own failure is the evidence
        return {"ok": False, "evidence": f"the probe failed: {str(error).splitlines()[0]}"}


def test_stop_frees_port(app, recorder, tool, rows):
    """Last: stop the server; its port must be free and no process of it left."""
    with harness.trial(recorder, tool, rows) as record:
        peak_mb, port = app.server_peak_rss_mb(), app.port
        members = app.server_processes()
        killed = app.stop()
        left = [m.pid for m in members if m.is_running() and m.status() != "zombie"]
        record.correctness["port free after stop"] = float(port_is_free(port) and not left)
        columns = ["processes", "server peak RSS (MB)", "killed after SIGTERM", "left running"]
        add_table(
            record, "Server", columns, [[len(members), round(peak_mb), len(killed), len(left)]]
        )
    assert port_is_free(port) and not left
