"""A real browser on the app's page: headless Debian Chromium driven by Playwright.

Each app's page is used the way a merchandiser would: change the price, press the
button, wait for the prediction to appear. ``Form`` says where the widgets are.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from adapters.base import NotRunnable
from adapters.serving.appkit import NUMBER_FIELDS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
WAIT_MS = 20_000
REFUSED_WAIT_MS = 3_000  # how long a refused visit waits for a Predict button
FIRST_RUN_MS = 60_000  # a Streamlit app's first session loads the model before the button
VIEWPORT = {"width": 1100, "height": 1300}  # the whole form fits: screenshots show it all
LABELS = {field.name: field.label for field in NUMBER_FIELDS}


@dataclass(frozen=True)
class Form:
    """Where a page's widgets are: CSS for the answer and for error messages."""

    answer: str
    error: str
    refused: str = ""  # the text the app shows when it refuses a password ("": the server does)

    def fill(self, page, changes: dict[str, str]) -> None:
        for name, text in changes.items():
            page.fill(f"#{name}", text)

    def value(self, page, name: str) -> str:
        return page.input_value(f"#{name}")

    def submit(self, page) -> int | None:
        """Press the button; the HTTP status of the answer page (None when not a page)."""
        with page.expect_navigation() as navigation:
            page.click("#predict")
        return navigation.value.status if navigation.value else None

    def credentials(self, password: str | None) -> dict:
        """Browser-context options that log in: HTTP Basic, which the browser answers."""
        return {"http_credentials": {"username": "team", "password": password}} if password else {}

    def log_in(self, page, password: str | None) -> None:
        """Anything the page itself asks before the app shows (nothing: the browser did it)."""


class StreamlitForm(Form):
    """Streamlit's widgets: number inputs found by label, a value commits on Enter."""

    def fill(self, page, changes: dict[str, str]) -> None:
        for name, text in changes.items():
            box = page.get_by_label(LABELS[name], exact=True)
            # a new session's first run loads the model before its widgets show (the
            # same patience as log_in's; Playwright's default of 30 s ran out under load)
            box.fill(text, timeout=FIRST_RUN_MS)
            box.press("Enter")

    def value(self, page, name: str) -> str:
        return page.get_by_label(LABELS[name], exact=True).input_value()

    def submit(self, page) -> int | None:
        page.get_by_role("button", name="Predict").click()
        return None

    def credentials(self, password: str | None) -> dict:
        return {}

    def log_in(self, page, password: str | None) -> None:
        """Wait for the password box; type the password (if any) and press Enter; wait
        until the script is not running."""
        box = page.get_by_label("Team password", exact=True)
        box.wait_for(timeout=WAIT_MS)
        if password:
            box.fill(password)
            box.press("Enter")
        idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
        page.wait_for_selector(idle, timeout=FIRST_RUN_MS)


HTML_FORM = Form(answer="#units", error="#error")
STREAMLIT_FORM = StreamlitForm(
    answer='[data-testid="stMarkdown"] strong',
    error='[data-testid="stAlert"], [data-testid="stNumberInput"] [role="alert"]',
    refused="Wrong team password.",
)

# resolves to the answer once it differs from ``previous``, or to "" once an error shows
_WAIT_JS = """([answer, error, previous]) => {
  const shown = document.querySelector(answer);
  if (shown && shown.innerText !== previous) return shown.innerText;
  return document.querySelector(error) ? "" : false;
}"""


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser; NotRunnable when /usr/bin/chromium is missing."""
    if not CHROMIUM.exists():
        raise NotRunnable(f"{CHROMIUM} is missing; install the Debian package chromium.")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bakeoff-chromium-") as home:
        # Chromium writes crash-report settings under ~/.config: keep them in a temp dir
        private = {"HOME": home, "XDG_CONFIG_HOME": home, "XDG_CACHE_HOME": home}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=os.environ | private
            )
            try:
                yield browser
            finally:
                browser.close()


def interact(page, form: Form, changes: dict[str, str], previous: str = "") -> str:
    """Change fields, press the button, wait; the shown answer ("" if an error shows)."""
    form.fill(page, changes)
    form.submit(page)
    waited = page.wait_for_function(
        _WAIT_JS, arg=[form.answer, form.error, previous], timeout=WAIT_MS
    )
    return waited.json_value()


def open_and_predict(browser, url: str, form: Form, changes: dict[str, str]) -> str:
    """A new tab: load the page, change fields, press the button; the first shown answer."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(url)
        return interact(page, form, changes)
    finally:
        page.close()


@dataclass(frozen=True)
class Visit:
    """One visit to a page: what the server answered and what the user could do."""

    status: int | None  # HTTP status of the page
    shown: str  # the prediction the page showed ("" if the app never offered a Predict button)
    seen: str  # the start of the page's text


def visit_protected(browser, url: str, form: Form, password: str | None, changes) -> Visit:
    """Open the page in a fresh browser context, log in with ``password`` (None: do not),
    and predict if the app offers its Predict button."""
    from playwright.sync_api import Error
    from playwright.sync_api import TimeoutError as Timeout

    context = browser.new_context(viewport=VIEWPORT, **form.credentials(password))
    page = context.new_page()
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status))
    try:
        try:
            status = page.goto(url).status
        except Error as error:  # e.g. Chromium gives up after wrong HTTP credentials
            return Visit(statuses[-1] if statuses else None, "", str(error).splitlines()[0])
        if status != 401:
            form.log_in(page, password)
        seen = _body_text(page)
        predict = page.get_by_role("button", name="Predict")
        # a password the app refuses shows its words (no need to wait out a first run)
        offered = predict.or_(page.get_by_text(form.refused)) if form.refused else predict
        try:
            offered.first.wait_for(timeout=FIRST_RUN_MS if password else REFUSED_WAIT_MS)
        except Timeout:
            return Visit(status, "", seen)
        if not predict.count():
            return Visit(status, "", _body_text(page))  # the refusal, read after it showed
        return Visit(status, interact(page, form, changes), seen)
    finally:
        context.close()


def _body_text(page) -> str:
    """The page's visible text, whitespace collapsed, cut to 120 characters."""
    return " ".join(page.inner_text("body").split())[:120]


def predict_offline(browser, url: str, form: Form, changes) -> tuple[str, list[str]]:
    """Load the page and predict with every request outside 127.0.0.1 refused; (the shown
    answer ("" if none showed), the addresses the page tried to reach outside)."""
    from playwright.sync_api import Error

    outside: list[str] = []

    def loopback_only(route) -> None:
        if _is_loopback(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.route(lambda address: address.startswith(("http:", "https:")), loopback_only)
        page.on("websocket", lambda socket: _is_loopback(socket.url) or outside.append(socket.url))
        page.goto(url)
        try:
            shown = interact(page, form, changes)
        except Error:  # no answer showed: the page did not work without those addresses
            shown = ""
        return shown, list(dict.fromkeys(outside))
    finally:
        page.close()


def _is_loopback(address: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(address).hostname in ("127.0.0.1", "localhost")


def error_message(page, form: Form) -> str:
    shown = page.locator(form.error)
    return " ".join(shown.all_inner_texts()).strip() if shown.count() else ""


@dataclass(frozen=True)
class BadInputOutcome:
    """What the page did with one bad value typed into the price field."""

    case: str
    status: int | None  # HTTP status of the answer page, None for a websocket page
    message: str  # the message the page showed ("" if none)
    field_value: str  # what the price field holds afterwards
    refused: bool = False  # the field would not take the text at all


BAD_PRICES = {"empty price": "", "text in price": "abc", "negative price": "-3"}


def try_bad_price(page, form: Form, case: str, text: str) -> BadInputOutcome:
    """Type ``text`` as the price and press the button; what the page showed."""
    from playwright.sync_api import Error

    try:
        form.fill(page, {"price": text})
    except Error:  # e.g. an <input type=number> does not take letters
        return BadInputOutcome(case, None, "", form.value(page, "price"), refused=True)
    status = form.submit(page)
    with contextlib.suppress(Error):  # a page that shows nothing is an outcome too
        page.wait_for_selector(form.error, timeout=2_000)
    return BadInputOutcome(case, status, error_message(page, form), form.value(page, "price"))
