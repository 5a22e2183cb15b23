"""Serving stage: the same sales-model app served by each tool, used by a real browser.

Per tool: time from process start to a healthy answer; a headless Chromium session
(first prediction, repeated predictions, bad input, a screenshot); for JSON endpoints
one request at a time and a bounded loopback load test with hey; the in-process test
client where there is one; the server's peak memory; and a clean stop.
"""

from __future__ import annotations

import base64
import itertools
import json
import pickle
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from adapters import registry
from adapters.base import NotRunnable, NotSupported
from adapters.servers import port_is_free
from adapters.serving import appkit, browser, load
from adapters.serving.base import APPS, RELOAD_WAIT
from benchmarks import datacache, harness, probes
from benchmarks.user_code import code_lines

STAGE = "serving"
REPEATS = 5
MODEL_CONFIG = "ridge"  # the quickest config (~2 ms per one-row predict), not to dominate latency
LOAD_CLIENTS = (1, 4, 16)
LOAD_LIMIT_SECONDS = 120.0
HTML_TAG = re.compile(r"<(?:html|head|body|form|input|button|select|option|label|p|h1)\b")
LAZY_START = (
    "not the same work: Streamlit's health URL answers before the app script has run; the "
    "script, and the model load in it, runs when the first browser session opens"
)

pytestmark = pytest.mark.serving


@pytest.fixture(scope="module")
def model_file(bench_options, rows):
    """(model, path of its pickle): the workload's model trained on this size."""
    from scenarios import model as sales_model

    frame = datacache.synthetic_or_user_frame(bench_options, rows)
    model = sales_model.train(sales_model.split(frame), MODEL_CONFIG)
    with tempfile.TemporaryDirectory(prefix="bakeoff-serving-") as scratch:
        path = Path(scratch) / "model.pkl"
        path.write_bytes(pickle.dumps(model))
        yield model, path


@pytest.fixture(scope="module")
def app(tool, rows, recorder, model_file):
    with harness.opened(recorder, registry.load(STAGE, tool)(model_file[1]), rows) as adapter:
        record = recorder.record(tool, rows)
        record.user_code = {
            f"apps/{name}": code_lines((APPS / name).read_text(encoding="utf-8"))
            for name in adapter.app_files
        }
        if not adapter.start_loads_model:
            record.not_equivalent |= {"start to healthy": LAZY_START, "setup": LAZY_START}
        record.details["system_packages"] = list(adapter.system_packages)
        shared = code_lines((APPS.parent / "appkit.py").read_text(encoding="utf-8"))
        record.details["notes"] = [
            f"Model: scikit-learn pipeline '{MODEL_CONFIG}' from scenarios/model.py, "
            "predicting from a one-row DataFrame with feature names.",
            f"User code: the app files listed; the input checks and the prediction "
            f"(appkit.py, {shared} lines) are the same for every tool and not counted.",
            "System packages: none for any tool; Chromium (the page driver) and hey (the "
            "load generator) are bakeoff's test tools, used alike for every tool.",
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


def not_supported(record, operation: str, error: NotSupported) -> None:
    """Record that the tool does not do ``operation`` (in its own words) and skip it."""
    record.details.setdefault("not_supported", {})[operation] = str(error)
    pytest.skip(str(error))


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

        with harness.measuring():
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
        truth = float(model_file[0].predict(appkit.model_frame(inputs))[0])
        probes.record_probe(
            record, "JSON API for other services", lambda: json_answer(app, inputs, truth)
        )
        try:
            status, answer = harness.measure(
                benchmark,
                "JSON predict, 1 client",
                app.predict_json,
                inputs,
                rounds=bench_options.repeats * 20,
            )
        except NotSupported as error:
            not_supported(record, "JSON predict, 1 client", error)
        recorder.timing(tool, rows, "JSON predict, 1 client", benchmark)
        same = status == 200 and answer["prediction"] == truth
        record.correctness["JSON equals model.predict"] = float(same)
    assert same, f"POST /predict answered {status} {answer}; model.predict gives {truth}"


def json_answer(app, inputs: dict, truth: float) -> str:
    """Probe: one POST /predict answers 200 with model.predict's value."""
    status, answer = app.predict_json(inputs)
    if status != 200 or answer.get("prediction") != truth:
        raise probes.Absent(f"POST /predict answered {status} {answer}; model.predict: {truth}")
    return f"POST /predict answered {status} {answer}"


def test_bad_json_gives_400(app, recorder, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        try:
            answers = {case: app.predict_json(body) for case, body in appkit.BAD_JSON.items()}
        except NotSupported as error:
            not_supported(record, "bad JSON gives 400", error)
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
    """Bounded loopback load with hey; figures go to a details table (not timed rounds).
    Its wall time is the tool answering the load, counted as measured; the memory while
    measured leaves it out (hey's is not the tool's, and Streamlit has no load test)."""
    with harness.trial(recorder, tool, rows) as record:
        try:
            app.predict_json(with_price(9.5))
        except NotSupported as error:
            not_supported(record, "JSON load test (hey)", error)
        if shutil.which(load.HEY) is None:
            record.details["notes"].append("Load test not run: install the Debian package hey.")
            pytest.skip("not run: install the Debian package hey")
        requests, body = 200 * bench_options.repeats, json.dumps(with_price(9.5))
        results = []
        for clients in LOAD_CLIENTS:
            harness.progress(f"hey: {clients} clients, {requests} requests")
            url = app.url + "/predict"
            with harness.measuring(memory=False):
                results.append(load.run_hey(url, body, clients, requests, LOAD_LIMIT_SECONDS))
        title = f"Load test: hey, POST /predict on 127.0.0.1, {requests} requests per level"
        add_table(record, title, load.COLUMNS, [result.row() for result in results])
    assert all(result.ok == result.requests for result in results)


def test_in_process_prediction(benchmark, app, model_file, recorder, bench_options, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        inputs = with_price(9.5)
        truth = expected(model_file[0], inputs)
        probes.record_probe(
            record, "in-process test client", lambda: in_process_answer(app, inputs, truth)
        )
        try:
            shown = harness.measure(
                benchmark,
                "in-process predict",
                app.predict_in_process,
                inputs,
                rounds=bench_options.repeats * 4,
            )
        except NotSupported as error:
            not_supported(record, "in-process predict", error)
        recorder.timing(tool, rows, "in-process predict", benchmark)
    assert shown == truth, f"the in-process call showed {shown}; model.predict gives {truth}"


def in_process_answer(app, inputs: dict, truth: str) -> str:
    """Probe: the tool's test client shows model.predict's figure, with no server."""
    shown = app.predict_in_process(inputs)
    if shown != truth:
        raise probes.Absent(f"the in-process call showed {shown}; model.predict gives {truth}")
    return f"the in-process call showed {shown}, as model.predict"


def test_features(app, chromium, model_file, recorder, bench_options, tool, rows):
    """Probes, each run outside measured operations; probe servers' memory is kept apart."""
    probes.skip_unless_probing(bench_options, rows)
    truth = expected(model_file[0], with_price(9.5))
    with harness.trial(recorder, tool, rows) as record:
        probes.record_probe(record, "UI without HTML written", lambda: ui_without_html(app))
        harness.progress("feature probe: team password")
        probes.record_probe(
            record,
            "login required (team password)",
            lambda: password_protects(app, chromium, truth, record),
        )
        probes.record_probe(
            record,
            "works offline (nothing fetched beyond 127.0.0.1)",
            lambda: works_offline(app, chromium, truth),
        )


def ui_without_html(app) -> str:
    """Probe: the app files the user writes hold no HTML tag (the page still works: the
    browser tests used it)."""
    tags = {name: len(HTML_TAG.findall((APPS / name).read_text())) for name in app.app_files}
    if sum(tags.values()):
        raise probes.Absent(f"HTML tags written by hand: {tags}")
    return f"no HTML tag in {', '.join(tags)}: the tool builds the page"


def password_protects(app, chromium, truth: str, record) -> str:
    """Probe: the app behind the user's password code refuses a visit without the password
    and with a wrong one, and predicts for a visit with the right one."""
    changes = {"price": "9.5"}
    with app.serve_protected() as server:  # the right password first: the model is loaded
        allowed = browser.visit_protected(chromium, server.url, app.form, app.password, changes)
        refused = [
            browser.visit_protected(chromium, server.url, app.form, password, changes)
            for password in (None, "wrong-" + app.password)
        ]
    record.measures["probe_auth_server_rss_mb"] = round(server.peak_rss_mb, 1)
    lines = code_lines((APPS / app.auth_file).read_text(encoding="utf-8"))
    if any(visit.shown for visit in refused):
        raise probes.Absent(f"a visit without the right password predicted: {refused}")
    if allowed.shown != truth:
        raise probes.Absent(f"with the password the page showed {allowed.shown!r} "
                             f"({allowed.seen!r}); model.predict gives {truth}")  # fmt: skip
    without = refused[0]
    return (
        f"{app.auth_file} ({lines} lines): no password -> HTTP {without.status}, no Predict "
        f"button ({without.seen!r}); wrong one refused; right one -> prediction {allowed.shown}"
    )


def works_offline(app, chromium, truth: str) -> str:
    """Probe: page and prediction work with every request beyond 127.0.0.1 refused, and
    the page tries none."""
    shown, outside = browser.predict_offline(chromium, app.url, app.form, {"price": "9.5"})
    if outside:
        raise probes.Absent(f"the page tried {len(outside)} outside address(es): {outside[:3]}")
    if shown != truth:
        raise probes.Absent(f"the page showed {shown!r} offline; model.predict gives {truth}")
    return f"page and prediction ({shown}) with outside addresses refused; none was tried"


def test_hot_reload(app, chromium, recorder, bench_options, tool, rows):
    probes.skip_unless_probing(bench_options, rows)
    with harness.trial(recorder, tool, rows) as record:
        harness.progress("feature probe: hot reload")
        probes.record_probe(record, "hot reload", lambda: reloaded(app, chromium, record))


def reloaded(app, chromium, record) -> str:
    """Probe: with reloading on, an edit of the served app file is served without a restart."""
    outcome = app.hot_reload(chromium)
    record.measures["probe_reload_server_rss_mb"] = round(outcome.server_rss_mb, 1)
    if outcome.seconds is None:
        note = f"; {outcome.log_note}" if outcome.log_note else ""
        raise probes.Absent(f"{outcome.flags}: no change {RELOAD_WAIT:.0f} s on{note}")
    return f"{outcome.flags}: the edit was served {outcome.seconds:.1f} s later"


def test_stop_frees_port(app, recorder, tool, rows):
    """Last: stop the server; its port must be free and no process of it left."""
    with harness.trial(recorder, tool, rows) as record:
        peak_mb, port = app.server_peak_rss_mb(), app.port
        members = app.server_processes()
        killed = app.stop()
        left = [m.pid for m in members if m.is_running() and m.status() != "zombie"]
        record.correctness["port free after stop"] = float(port_is_free(port) and not left)
        record.measures["server_peak_rss_mb"] = round(peak_mb, 1)
        columns = ["processes", "server peak RSS (MB)", "killed after SIGTERM", "left running"]
        add_table(
            record, "Server", columns, [[len(members), round(peak_mb), len(killed), len(left)]]
        )
    assert port_is_free(port) and not left
