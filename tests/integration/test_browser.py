"""Browser checks in the system's headless Chromium against a small app the tests serve: what a user
would see fails the check even when every HTTP answer is 200, a scripted login flow names the step
that broke, and nothing secret is shown."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploylib.model import Verdict
from deploylib.validate.base import Deployed
from deploylib.validate.browser import BrowserCheck, BrowserStep
from deploylib.validate.runner import run_round
from deploylib.validate.smoke import SmokeCheck
from tests.conftest import REPO, require_browser
from tests.fakes.app import App, Request


@pytest.fixture(autouse=True)
def chromium() -> None:
    """Chromium and Playwright must be here: under CI a missing one fails the test, never skips it."""
    require_browser()


def page(body: str, script: str = "") -> str:
    """An app shell: a visible header, an empty mount point, and its bundle."""
    bundle = "<script src='/bundle.js'></script>" if script else ""
    return f"<html><head><title>Shop</title></head><body><header>Shop</header>{body}{bundle}</body></html>"


def serve(app: App, body: str, script: str = "") -> None:
    app.route("/", (200, {}, page(body, script)))
    app.route("/bundle.js", (200, {"Content-Type": "application/javascript"}, script))


RENDER = "document.getElementById('app').textContent = 'Welcome to the shop';"


def test_a_bundle_that_throws_fails_the_browser_check_while_smoke_checks_pass(app: App) -> None:
    serve(app, "<div id='app'></div>", "const cart = undefined; cart.items.length; " + RENDER)
    smoke, browser = run_round(app.url, [SmokeCheck(path="/", contains="Shop"),
                                         BrowserCheck(contains="Welcome", timeout_s=5)], concurrency=2)
    assert smoke.verdict is Verdict.PASS
    assert browser.verdict is Verdict.FAIL
    assert browser.seen.startswith("/: uncaught TypeError: Cannot read properties of undefined (reading 'items')")


def test_text_rendered_by_scripts_passes_and_reports_web_vitals(app: App) -> None:
    serve(app, "<div id='app'></div>", RENDER)
    result = run_round(app.url, [BrowserCheck(name="Homepage", contains="Welcome", selector="#app")], 1)[0]
    assert result.verdict is Verdict.PASS, result.seen
    assert result.seen.startswith("Homepage: LCP ") and ", CLS 0.00, TTFB " in result.seen
    assert result.details["summary"] == result.seen


BROKEN = [  # (page body, its bundle, check options, what the failure says)
    ("<template>Welcome</template>", "", {"contains": "Welcome"}, "text 'Welcome' not rendered within 5 s"),
    ("<div id='app' hidden>Welcome</div>", "", {"selector": "#app"}, "selector '#app' not visible within 5 s"),
    ("<div id='app' style='position: absolute; left: -9999px'>Welcome</div>", "", {"selector": "#app"},
     "selector '#app' not visible within 5 s"),  # moved off the page, where no scrolling reaches it
    ("<div style='opacity: 0'><p id='app'>Welcome</p></div>", "", {"selector": "#app"},
     "selector '#app' not visible within 5 s"),
    ("<div id='app'></div>", "console.error('cart service unreachable');", {},
     "console.error: cart service unreachable"),
    ("<img src='/missing.png'>", "", {}, "GET /missing.png: status 404"),
    ("<div id='app'></div>", "fetch('/api/cart').then(r => r.status);", {"contains": "never"},
     "GET /api/cart: status 500"),
    ("<div id='app'></div>", "setTimeout(() => { throw new RangeError('bad page size') }, 50);", {"contains": "x"},
     "uncaught RangeError: bad page size"),
    # what the page does once loaded, with nothing else to wait for: its data requests and their callbacks
    ("<div id='app'></div>", "fetch('/api/cart').then(r => r.status);", {}, "GET /api/cart: status 500"),
    ("<div id='app'></div>", "fetch('/api/items').then(r => r.json()).then(cart => cart.items.length);", {},
     "uncaught TypeError: Cannot read properties of undefined (reading 'length')"),
    ("<div id='app'></div>", "new Worker('/worker.js');", {}, "console.error: worker: no stock service"),
]


@pytest.fixture(scope="module")
def broken_pages() -> Iterator[list]:
    """Every broken page of BROKEN at /case<N>, checked in one round: one browser, pages concurrently."""
    app = App().start()
    app.route("/api/cart", (500, {}, "down"))
    app.route("/api/items", (200, {"Content-Type": "application/json"}, "{}"))
    app.route("/worker.js", (200, {"Content-Type": "application/javascript"},
                             "console.error('worker: no stock service');"))
    for number, (body, script, _, _) in enumerate(BROKEN):
        bundle = f"<script src='/case{number}.js'></script>" if script else ""
        app.route(f"/case{number}", (200, {}, page(body + bundle)))
        app.route(f"/case{number}.js", (200, {"Content-Type": "application/javascript"}, script))
    try:
        yield run_round(app.url, [BrowserCheck(pages=[f"/case{number}"], timeout_s=5, **options)
                                  for number, (_, _, options, _) in enumerate(BROKEN)], concurrency=len(BROKEN))
    finally:
        app.stop()


@pytest.mark.parametrize("case", range(len(BROKEN)), ids=[fragment for *_, fragment in BROKEN])
def test_what_a_user_would_see_as_broken_fails_the_page(broken_pages: list, case: int) -> None:
    result = broken_pages[case]
    assert result.verdict is Verdict.FAIL
    assert result.seen.startswith(f"/case{case}: ") and BROKEN[case][3] in result.seen


SHADOW = "document.getElementById('app').attachShadow({mode: 'open'}).innerHTML = '<p>Welcome to the shop</p>';"
RENDERED_TEXT = [  # (page body, its bundle, contains): text a user reads on the page, however the page writes it
    ("<div id='app'></div>", SHADOW, "Welcome"),  # a web component renders into its shadow root
    ("<p>Welcome&nbsp;to the shop</p>", "", "Welcome to the shop"),  # a no-break space looks like a space
    ("<p>Cafe&#x301; cre&#x300;me</p>", "", "Café crème"),  # accents as combining marks (NFD)
]


@pytest.mark.parametrize(("body", "script", "contains"), RENDERED_TEXT, ids=["shadow root", "nbsp", "NFD"])
def test_text_is_found_as_a_user_reads_it(app: App, body: str, script: str, contains: str) -> None:
    serve(app, body, script)
    result = run_round(app.url, [BrowserCheck(contains=contains, timeout_s=2)], 1)[0]
    assert result.verdict is Verdict.PASS, result.seen


def test_expected_text_inside_a_hidden_element_is_not_rendered(app: App) -> None:
    app.route("/paid", (200, {}, page("<h1>Checkout</h1><div id='notice' style='display:none'>Payment accepted</div>")))
    check = BrowserCheck(timeout_s=1, steps=(BrowserStep(goto="/paid"),
                                             BrowserStep(expect_text="Payment accepted", selector="#notice")))
    result = run_round(app.url, [check], 1)[0]
    assert result.verdict is Verdict.FAIL
    assert result.seen == "step 2/2 'expect_text Payment accepted' broke: text 'Payment accepted' not rendered"


def test_an_allowed_console_error_passes(app: App) -> None:
    serve(app, "<div id='app'></div>", "console.error('ResizeObserver loop limit exceeded');" + RENDER)
    result = run_round(app.url, [BrowserCheck(contains="Welcome", allow_console=["^ResizeObserver"])], 1)[0]
    assert result.verdict is Verdict.PASS, result.seen
    assert "error: ResizeObserver loop limit exceeded" in result.details["console"]


def test_a_failing_request_to_another_origin_does_not_fail_the_page(app: App) -> None:
    other = App().start()  # a third-party host (another port is another origin) that answers 404
    try:
        serve(app, f"<img src='{other.url}/pixel.gif'><div id='app'></div>", RENDER)
        result = run_round(app.url, [BrowserCheck(contains="Welcome")], 1)[0]
    finally:
        other.stop()
    assert result.verdict is Verdict.PASS, result.seen


def test_a_page_over_its_lcp_budget_fails(app: App) -> None:
    serve(app, "<div id='app'></div>", RENDER)
    result = run_round(app.url, [BrowserCheck(contains="Welcome", lcp_ms=1)], 1)[0]
    assert result.verdict is Verdict.FAIL and "/: LCP over the 1 ms budget (LCP " in result.seen


SHIFT = "const ad = document.createElement('div'); ad.style.height = '400px'; document.body.prepend(ad);"
LATE = [  # (its bundle, check options, what the failure says): what a page does from a timeout soon after its load,
    # with nothing else pending, fails it every time, not only when the check happens to look late
    ("setTimeout(() => { throw new RangeError('late page size') }, 300);", {}, "uncaught RangeError: late page size"),
    ("setTimeout(() => setTimeout(() => console.error('retry failed'), 400), 400);", {}, "console.error: retry failed"),
    ("const poll = setInterval(() => { clearInterval(poll); null.total; }, 700);", {},
     "uncaught TypeError: Cannot read properties of null (reading 'total')"),
    ("setTimeout(() => fetch('/api/cart'), 700);", {}, "GET /api/cart: status 500"),
    (f"setTimeout(() => {{ {SHIFT} }}, 700);", {"cls": 0.05}, "CLS over the 0.05 budget"),
]


@pytest.mark.parametrize(("script", "options", "fragment"), LATE, ids=[fragment for *_, fragment in LATE])
def test_what_a_page_does_from_a_timeout_soon_after_its_load_is_judged(app: App, script: str, options: dict,
                                                                       fragment: str) -> None:
    app.route("/api/cart", (500, {}, "down"))
    serve(app, "<div id='app'>" + "<p>Welcome to the shop</p>" * 20 + "</div>", script)
    result = run_round(app.url, [BrowserCheck(**options)], 1)[0]  # one page alone: judged as soon as it settles
    assert result.verdict is Verdict.FAIL and result.seen.startswith("/: ") and fragment in result.seen


def test_a_timer_set_for_long_after_load_is_not_waited_for(app: App) -> None:
    serve(app, "<div id='app'></div>", RENDER + " setTimeout(() => { throw new Error('session expired') }, 60000);")
    result = run_round(app.url, [BrowserCheck(contains="Welcome", timeout_s=30)], 1)[0]
    assert result.verdict is Verdict.PASS, result.seen


def test_a_page_that_painted_reports_its_lcp_even_when_read_right_after_loading(app: App) -> None:
    paths = ["/", "/pricing", "/about", "/contact", "/faq"]  # static pages: their load comes before their first frame
    for path in paths:
        app.route(path, (200, {}, page(f"<h1>{path}</h1>")))
    result = run_round(app.url, [BrowserCheck(pages=paths, lcp_ms=60000, timeout_s=5)], 1)[0]
    assert result.verdict is Verdict.PASS, result.seen
    assert "nothing painted" not in result.seen and result.seen.count(": LCP ") == len(paths)


def test_a_page_that_does_not_answer_within_timeout_s_is_an_error(app: App) -> None:
    released = threading.Event()
    app.route("/", lambda request: (released.wait(30), (200, {}, "late"))[1])
    try:
        result = run_round(app.url, [BrowserCheck(timeout_s=0.5)], 1)[0]
    finally:
        released.set()
    assert result.verdict is Verdict.ERROR and "no answer: Page.goto: Timeout 500ms exceeded" in result.seen


def test_a_failure_keeps_a_screenshot_as_evidence(app: App, tmp_path: Path) -> None:
    serve(app, "<div id='app'></div>", "throw new Error('boom');")
    result = run_round(app.url, [BrowserCheck(name="home")], 1, Deployed(evidence=tmp_path / "evidence"))[0]
    shot = Path(result.details["screenshot"])
    assert shot.parent == tmp_path / "evidence" and shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_page_that_keeps_a_request_open_passes_once_timeout_s_has_passed(app: App) -> None:
    released = threading.Event()  # a long poll: the server answers only when there is news
    app.route("/updates", lambda request: (released.wait(30), (200, {}, "news"))[1])
    serve(app, "<div id='app'></div>", "fetch('/updates');" + RENDER)
    try:
        result = run_round(app.url, [BrowserCheck(contains="Welcome", timeout_s=1)], 1)[0]
    finally:
        released.set()
    assert result.verdict is Verdict.PASS, result.seen


def test_a_request_kept_open_is_waited_for_once_not_at_every_step(app: App) -> None:
    released = threading.Event()
    app.route("/updates", lambda request: (released.wait(30), (200, {}, "news"))[1])
    app.route("/chat", (200, {}, page("<input id='message'><script>fetch('/updates')</script>")))
    steps = (BrowserStep(goto="/chat"), *[BrowserStep(fill="#message", value=f"hello {n}") for n in range(5)])
    try:
        result = run_round(app.url, [BrowserCheck(timeout_s=1, steps=steps)], 1)[0]
    finally:
        released.set()
    assert result.verdict is Verdict.PASS, result.seen
    assert result.seconds < 4  # one wait of timeout_s, not one per step (6 s)


def test_a_click_whose_request_fails_names_the_step(app: App) -> None:
    pay = "fetch('/api/cart').then(() => fetch('/api/checkout', {method: 'POST'}))"
    app.route("/api/cart", (200, {}, "{}"))
    app.route("/cart", (200, {}, page(f'<button onclick="{pay}">Pay</button>')))
    app.route("/api/checkout", (502, {}, "bad gateway"), method="POST")
    check = BrowserCheck(timeout_s=5, steps=(BrowserStep(goto="/cart"), BrowserStep(name="pay", click="button")))
    result = run_round(app.url, [check], 1)[0]
    assert result.verdict is Verdict.FAIL
    assert result.seen == "step 2/2 'pay' broke: POST /api/checkout: status 502"


LOGIN = """<form method="post" action="/session"><input id="user" name="user"><input id="password" name="password"
type="password"><button type="submit">Log in</button></form>"""
PASSWORD = "correct horse battery"


@pytest.fixture
def shop(app: App) -> Iterator[dict[str, bool]]:
    """A login flow: the form posts to /session, which sends a user with the right password to the dashboard.
    `release["broken"] = True` is the new release whose session store rejects everyone."""
    release = {"broken": False}

    def session(request: Request) -> tuple[int, dict[str, str], str]:
        if not release["broken"] and request.form == {"user": "demo", "password": PASSWORD}:
            return 303, {"Location": "/dashboard", "Set-Cookie": "session=demo"}, ""
        return 303, {"Location": "/login?error=1"}, ""

    app.route("/login", (200, {}, page(LOGIN)))
    app.route("/session", session, method="POST")
    app.route("/dashboard", lambda r: (200, {}, page("<h1>Welcome, demo</h1>")) if r.headers.get("cookie") ==
              "session=demo" else (303, {"Location": "/login"}, ""))
    yield release


FLOW = BrowserCheck(name="log in", timeout_s=2, steps=(
    BrowserStep(goto="/login"), BrowserStep(fill="#user", value="demo"),
    BrowserStep(fill="#password", value="{env:E2E_PASSWORD}"), BrowserStep(click="button[type=submit]"),
    BrowserStep(expect_url="/dashboard"), BrowserStep(expect_text="Welcome, demo", selector="h1")))


def test_a_login_flow_passes_every_step(app: App, shop: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_PASSWORD", PASSWORD)
    result = run_round(app.url, [FLOW], 1)[0]
    assert result.verdict is Verdict.PASS, result.seen
    assert result.seen == "6 steps passed"


def test_a_broken_login_flow_names_the_step_and_never_shows_the_password(app: App, shop: dict, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_PASSWORD", PASSWORD)
    shop["broken"] = True
    result = run_round(app.url, [FLOW], 1, Deployed(evidence=tmp_path))[0]
    assert result.verdict is Verdict.FAIL
    assert result.seen == f"step 5/6 'expect_url /dashboard' broke: the page is at {app.url}/login?error=1, " \
                          "not /dashboard"
    assert PASSWORD not in repr(result)


def test_a_secret_a_form_puts_into_the_url_is_never_shown(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_PASSWORD", "p@ss wörd&x=1")
    app.route("/login", (200, {}, page(LOGIN.replace('method="post"', 'method="get"'))))
    app.route("/session", (200, {}, page("<h1>Wrong password</h1>")))
    check = BrowserCheck(timeout_s=2, steps=(BrowserStep(goto="/login"), BrowserStep(fill="#user", value="demo"),
                                             BrowserStep(fill="#password", value="{env:E2E_PASSWORD}"),
                                             BrowserStep(press="#password", key="Enter"),
                                             BrowserStep(expect_url="/dashboard")))
    result = run_round(app.url, [check], 1)[0]
    assert result.seen == f"step 5/5 'expect_url /dashboard' broke: the page is at {app.url}/session?user=demo" \
                          "&password=***, not /dashboard"


def test_a_secret_typed_into_a_field_is_masked_in_the_screenshot(app: App, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    require_browser("PIL")
    monkeypatch.setenv("E2E_TOKEN", "tok_live_0123456789")
    field = "<input id='token' style='position: absolute; left: 0; top: 0; width: 300px; height: 60px; border: 0'>"
    app.route("/keys", (200, {}, page(field)))
    check = BrowserCheck(name="api key", timeout_s=1, steps=(
        BrowserStep(goto="/keys"), BrowserStep(fill="#token", value="{env:E2E_TOKEN}"),
        BrowserStep(expect_text="Key saved")))
    result = run_round(app.url, [check], 1, Deployed(evidence=tmp_path))[0]
    assert result.verdict is Verdict.FAIL
    with Image.open(result.details["screenshot"]) as shot:
        field_pixels = shot.convert("RGB").crop((0, 0, 300, 60)).getcolors()
    assert field_pixels is not None and len(field_pixels) == 1, "the field's text shows in the screenshot"


def test_a_step_whose_environment_variable_is_missing_names_it(app: App, shop: dict,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2E_PASSWORD", raising=False)
    result = run_round(app.url, [FLOW], 1)[0]
    assert result.seen == "step 3/6 'fill #password' broke: the environment variable E2E_PASSWORD is not set"


def test_a_chromium_path_that_is_not_a_browser_is_named_with_the_fix(app: App, tmp_path: Path) -> None:
    impostor = tmp_path / "chrome"
    impostor.write_text("#!/bin/sh\necho 'not a browser' >&2\nexit 1\n")
    impostor.chmod(0o755)
    serve(app, "<div id='app'>Welcome</div>")
    result = run_round(app.url, [BrowserCheck(chromium_path=str(impostor), timeout_s=5)], 1)[0]
    assert result.verdict is Verdict.ERROR
    assert result.seen.startswith(f"browser error: the browser at {impostor} would not start (BrowserType.launch: ")
    assert result.seen.endswith("): set chromium_path to a Chromium or Chrome executable, or install Chromium "
                                "(Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium)")


def test_under_ci_a_missing_chromium_fails_the_browser_tests(tmp_path: Path) -> None:
    """The suite's own rule: CI installs Chromium, so a browser test there must fail without it, never skip."""
    test = "tests/integration/test_browser.py::test_an_allowed_console_error_passes"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=REPO,
                            capture_output=True, text=True, env={**os.environ, "CI": "true",
                                                                 "PATH": str(tmp_path)})
    assert result.returncode == 1, result.stdout
    assert "Failed: chromium is not installed" in result.stdout and "skipped" not in result.stdout
