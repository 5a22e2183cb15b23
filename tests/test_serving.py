"""Conformance suite for the serving stage: written once, run for every app server."""

import http.server
import pickle
import shutil
import socket
import threading

import numpy as np
import pytest

from adapters import registry
from adapters.base import AdapterError, NotSupported
from adapters.servers import port_is_free
from adapters.serving import appkit, browser
from benchmarks import bench_serving, probes

pytestmark = pytest.mark.serving
TOOLS = list(registry.tools("serving"))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from scenarios import model as sales_model
    from scenarios import wish

    model = sales_model.train(sales_model.split(wish.generate(1600, seed=5)), "ridge")
    path = tmp_path_factory.mktemp("serving") / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    return model, path


def _adapter_class(tool: str):
    reason = registry.missing("serving", tool)
    if reason:
        pytest.skip(f"not run: {reason}")
    return registry.load("serving", tool)


@pytest.fixture(scope="module", params=TOOLS)
def app(request, model_file):
    with _adapter_class(request.param)(model_file[1]) as adapter:
        yield adapter


@pytest.fixture(scope="module")
def chromium():
    if not browser.CHROMIUM.exists():
        pytest.skip(f"not run: {browser.CHROMIUM} is missing (`make test` installs it as root)")
    with browser.chromium() as launched:
        yield launched


def expected(model, inputs: dict) -> str:
    return appkit.format_units(float(np.expm1(model.predict(appkit.model_frame(inputs))[0])))


def test_server_answers_on_loopback_only(app):
    assert app.url.startswith("http://127.0.0.1:") and app.healthy()
    assert app.setup_steps and all(step.seconds > 0 for step in app.setup_steps)


def test_page_prediction_equals_model_predict(app, chromium, model_file):
    shown = browser.open_and_predict(chromium, app.url, app.form, {"price": "12.5"})
    assert shown == expected(model_file[0], appkit.default_inputs() | {"price": 12.5})


def test_bad_price_on_page_is_explained_and_server_stays_up(app, chromium):
    page = chromium.new_page()
    page.goto(app.url)
    browser.interact(page, app.form, {"price": "9"})
    outcomes = {
        case: browser.try_bad_price(page, app.form, case, text)
        for case, text in browser.BAD_PRICES.items()
    }
    page.close()
    assert outcomes["negative price"].message  # every page says why a negative price fails
    if app.form is browser.HTML_FORM:  # server-side checks: a 400 page with a message
        assert all(o.status == 400 and o.message for o in outcomes.values())
    else:  # Streamlit's number input refuses letters and puts a number back when emptied
        assert outcomes["text in price"].refused
        assert float(outcomes["empty price"].field_value) >= 0
    assert app.healthy()


def test_json_prediction_equals_model_predict(app, model_file):
    inputs = appkit.default_inputs() | {"price": 9.5, "size": "M", "uses_ad_boosts": 1.0}
    try:
        status, answer = app.predict_json(inputs)
    except NotSupported as error:
        pytest.skip(str(error))
    truth = float(model_file[0].predict(appkit.model_frame(inputs))[0])
    assert status == 200 and answer["prediction"] == truth
    assert appkit.format_units(answer["units_sold"]) == expected(model_file[0], inputs)


@pytest.mark.parametrize("case", list(appkit.BAD_JSON))
def test_bad_json_gives_400_with_a_message(app, case):
    try:
        status, answer = app.predict_json(appkit.BAD_JSON[case])
    except NotSupported as error:
        pytest.skip(str(error))
    assert status == 400 and answer["error"].endswith(".")
    assert app.healthy()


def test_in_process_prediction_equals_model_predict(app, model_file):
    inputs = appkit.default_inputs() | {"price": 14.0}
    try:
        shown = app.predict_in_process(inputs)
    except NotSupported as error:
        pytest.skip(str(error))
    assert shown == expected(model_file[0], inputs)


@pytest.mark.parametrize("tool", TOOLS)
def test_a_port_in_use_is_a_clear_start_error(tool, model_file):
    adapter = _adapter_class(tool)(model_file[1])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(AdapterError, match=rf"serving\.{tool} failed in start"):
            adapter.start(busy.getsockname()[1])
    adapter.close()
    assert adapter.process is None


def test_ui_without_html_probe_says_yes_only_for_the_widget_toolkit(app):
    answer = probes.probe(lambda: bench_serving.ui_without_html(app))["answer"]
    assert answer == ("yes" if app.form is browser.STREAMLIT_FORM else "no")


def test_password_app_refuses_without_the_password_and_serves_with_it(app, chromium, model_file):
    changes = {"price": "9.5"}
    with app.serve_protected() as server:
        right, missing, wrong = (
            browser.visit_protected(chromium, server.url, app.form, password, changes)
            for password in (app.password, None, "wrong")
        )
    assert not missing.shown and not wrong.shown
    if app.form is browser.HTML_FORM:
        assert missing.status == wrong.status == 401
    else:  # the app said so: the visit did not just wait out its patience
        assert app.form.refused in wrong.seen
    assert right.shown == expected(model_file[0], appkit.default_inputs() | {"price": 9.5})
    assert server.peak_rss_mb > 0


def test_page_works_offline(app, chromium, model_file):
    shown, outside = browser.predict_offline(chromium, app.url, app.form, {"price": "9.5"})
    assert shown == expected(model_file[0], appkit.default_inputs() | {"price": 9.5})
    assert outside == []


FETCHING_PAGE = (
    b'<img src="https://example.org/logo.png"><form method="post" action="/">'
    b'<button id="predict">Predict</button></form><output id="units">1.00</output>'
)


def test_offline_check_sees_a_page_that_fetches_from_outside(chromium):
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(FETCHING_PAGE)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        shown, outside = browser.predict_offline(chromium, url, browser.HTML_FORM, {})
    finally:
        server.shutdown()
    assert shown == "1.00" and outside == ["https://example.org/logo.png"]


@pytest.mark.parametrize("tool", TOOLS)
def test_a_fresh_start_loads_the_model_as_declared_and_stop_frees_the_port(
    tool, model_file, chromium, tmp_path
):
    """A start that does not load the model is marked not equivalent in the benchmark:
    with the model file gone after start, only a server that loaded it shows the form.
    (Several workers each load it, one may still be loading: not checked there.)"""
    adapter_class = _adapter_class(tool)
    model_copy = tmp_path / "model.pkl"
    shutil.copy(model_file[1], model_copy)
    with adapter_class(model_copy) as fresh:
        port, members = fresh.port, fresh.server_processes()
        assert members and not port_is_free(port)
        if len(members) == 1:
            model_copy.unlink()
            assert shows_the_form(chromium, fresh.url) == adapter_class.start_loads_model
    assert port_is_free(port)
    assert not [m for m in members if m.is_running() and m.status() != "zombie"]


def shows_the_form(chromium, url: str) -> bool:
    page = chromium.new_page()
    try:
        page.goto(url)
        page.wait_for_selector('#predict, [data-testid="stException"], button:has-text("Predict")')
        return page.get_by_role("button", name="Predict").count() > 0
    finally:
        page.close()


def test_hot_reload_without_a_reload_option_is_not_supported(app, chromium):
    if app.reload_command(0, app.workdir / "app.py") is not None:
        pytest.skip("the tool has a reload option (exercised by the benchmark)")
    assert probes.probe(lambda: app.hot_reload(chromium))["answer"] == "not supported"


def test_no_tool_needs_a_system_package_to_serve(app):
    assert app.system_packages == ()
