"""The pure parts of the check kinds: expectations, load figures, Prometheus samples, asset
discovery, flow captures, and notifier payloads."""

from __future__ import annotations

import pytest

from deploylib.model import Verdict
from deploylib.notify.base import Event
from deploylib.notify.json import JsonNotifier
from deploylib.notify.slack import SlackNotifier
from deploylib.notify.webhook import WebhookOptions, redact
from deploylib.validate.assets import asset_problem, css_imports, find_assets, source_map, srcset_urls
from deploylib.validate.base import Observed
from deploylib.validate.flow import FlowStep, captured, fill
from deploylib.validate.load import counter_total, figures, percentile
from deploylib.validate.smoke import SmokeCheck


@pytest.mark.parametrize(("check", "body", "verdict", "fragment"), [
    (SmokeCheck(path="/", not_contains="Traceback"), "ok", Verdict.PASS, "status 200"),
    (SmokeCheck(path="/", not_contains="Traceback"), "Traceback (most recent", Verdict.FAIL, "contains 'Traceback'"),
    (SmokeCheck(path="/", regex=r"v\d+\.\d+"), "version v1.2", Verdict.PASS, ""),
    (SmokeCheck(path="/", regex=r"v\d+\.\d+"), "version ?", Verdict.FAIL, "does not match"),
    (SmokeCheck(path="/", not_regex="[Ee]rror"), "Error page", Verdict.FAIL, "matches /[Ee]rror/"),
    (SmokeCheck(path="/", json={"status": "ok", "db.up": True}), '{"status": "ok", "db": {"up": true}}',
     Verdict.PASS, ""),
    (SmokeCheck(path="/", json={"db.up": True}), '{"db": {"up": false}}', Verdict.FAIL, "JSON db.up is False"),
    (SmokeCheck(path="/", json={"items.1.id": 7}), '{"items": [{"id": 1}, {"id": 7}]}', Verdict.PASS, ""),
    (SmokeCheck(path="/", json={"x": 1}), "<html>", Verdict.FAIL, "not JSON"),
    (SmokeCheck(path="/", json={"x": 1}), "{}", Verdict.FAIL, "JSON has no x"),
])
def test_smoke_expectations(check: SmokeCheck, body: str, verdict: Verdict, fragment: str) -> None:
    got, what = check.judge(Observed(200, body, 0.01))
    assert got is verdict and fragment in what


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 95), percentile(values, 99), percentile([5.0], 99)) == (95.0, 99.0, 5.0)


def test_load_figures_count_5xx_and_unanswered_as_errors() -> None:
    found = figures([(200, 0.01), (500, 0.02), (None, 0.0), (404, 0.01)])
    assert (found.requests, found.errors, found.unanswered, found.error_rate) == (4, 2, 1, 50.0)


EXPOSITION = """# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/"} 1027
http_requests_total{code="500",path="/"} 3
http_requests_total{code="500",path="/api"} 4
process_start_time_seconds 1.7e9
"""


@pytest.mark.parametrize(("selector", "total"), [
    ('http_requests_total{code="500"}', 7.0), ('http_requests_total{code="500",path="/api"}', 4.0),
    ("http_requests_total", 1034.0), ("process_start_time_seconds", 1.7e9), ('http_requests_total{code="503"}', None),
    ("missing_total", None),
])
def test_prometheus_counter_totals(selector: str, total: float | None) -> None:
    assert counter_total(EXPOSITION, selector) == total


PAGE = """<html><head>
<link rel="stylesheet" href="css/site.css"><link rel="preload" href="/fonts/a.woff2" as="font">
<link rel="modulepreload" href="/js/mod.mjs"><link rel="icon" href="/favicon.ico">
<link rel="canonical" href="/other-page"><link rel="stylesheet" href="https://cdn.example.com/x.css">
<script src="js/app.js"></script><script>inline()</script>
</head><body><img src="img/a.png" srcset="img/a-2x.png 2x, img/a-3x.png 3x">
<picture><source srcset="/img/b.webp 1x"></picture><img src="data:image/png;base64,AAAA">
<img src="img/a.png#again"></body></html>"""


def test_find_assets_lists_same_origin_references_once() -> None:
    assert find_assets(PAGE, "http://127.0.0.1:8000/docs/index.html") == [
        "http://127.0.0.1:8000/docs/css/site.css", "http://127.0.0.1:8000/fonts/a.woff2",
        "http://127.0.0.1:8000/js/mod.mjs", "http://127.0.0.1:8000/favicon.ico", "http://127.0.0.1:8000/docs/js/app.js",
        "http://127.0.0.1:8000/docs/img/a.png", "http://127.0.0.1:8000/docs/img/a-2x.png",
        "http://127.0.0.1:8000/docs/img/a-3x.png", "http://127.0.0.1:8000/img/b.webp"]


@pytest.mark.parametrize(("html", "page", "assets"), [
    # a <base href> is what relative references resolve against; the first one counts
    ('<base href="/app/"><script src="main.js"></script>', "http://h/", ["http://h/app/main.js"]),
    ('<base href="../lib/"><base href="/x/"><img src="a.png">', "http://h/docs/p/", ["http://h/docs/lib/a.png"]),
    ('<base target="_blank"><img src="a.png">', "http://h/docs/", ["http://h/docs/a.png"]),  # no href: the page
    # whitespace around a URL is not part of it
    ('<script src=" /main.js\n"></script><img src="\ta b.png ">', "http://h/",
     ["http://h/main.js", "http://h/a b.png"]),
    # a backslash before the query is a slash, as browsers read http(s) URLs
    ('<script src="js\\app.js?x=a\\b"></script><img src="\\\\h\\img\\a.png">', "http://h/docs/",
     ["http://h/docs/js/app.js?x=a\\b", "http://h/img/a.png"]),
    # a srcset URL runs to the next whitespace: commas inside it (image CDNs, data: URLs) are part of it
    ('<img srcset="/img/w_100,h_100/a.png 1x, /img/w_200,h_200/a.png 2x">', "http://h/",
     ["http://h/img/w_100,h_100/a.png", "http://h/img/w_200,h_200/a.png"]),
    ('<img srcset="data:image/png;base64,iVBORw0KGgo= 1x, /a.png 2x">', "http://h/", ["http://h/a.png"]),
    ('<link rel="preload" as="image" href="/a.png" imagesrcset="/a-2x.png 2x">', "http://h/",
     ["http://h/a.png", "http://h/a-2x.png"]),
    # same origin as browsers compare it: host case and the default port do not matter
    ('<img src="http://H:80/a.png"><img src="HTTPS://h/b.png"><img src="//h/c.png">', "http://h/",
     ["http://H:80/a.png", "http://h/c.png"]),
    ('<img src="http://h:8080/a.png"><img src="http://h:x/b.png">', "http://h/", []),
    # everything else a browser loads: a video's poster, subtitles, an image button, an SVG sprite in a file
    ('<video src="/v.mp4" poster="/v.jpg"><track src="/v.vtt"></video><input type="image" src="/go.png">'
     '<input type="text" src="/no.png"><svg><use href="/icons.svg#menu"/><use xlink:href="#local"/></svg>',
     "http://h/", ["http://h/v.mp4", "http://h/v.jpg", "http://h/v.vtt", "http://h/go.png", "http://h/icons.svg"]),
    # what a <template> holds is not loaded
    ('<template><img src="/{{ id }}.png"></template><img src="/a.png">', "http://h/", ["http://h/a.png"]),
])
def test_find_assets_resolves_references_as_a_browser_does(html: str, page: str, assets: list[str]) -> None:
    assert find_assets(html, page) == assets


@pytest.mark.parametrize(("srcset", "urls"), [
    ("a.png 1x,b.png 2x", ["a.png", "b.png"]),
    ("a.png, b.png 2x,", ["a.png", "b.png"]),
    ("a.png 480w (min-width: 1px, x) , b.png", ["a.png", "b.png"]),
    ("/w_100,h_100/a.png", ["/w_100,h_100/a.png"]),
    (" , ", []),
])
def test_srcset_candidates(srcset: str, urls: list[str]) -> None:
    assert srcset_urls(srcset) == urls


@pytest.mark.parametrize(("css", "imports"), [
    ('@import url("a.css") screen; @import \'b.css\'; @import url(c.css);', ["http://h/s/a.css", "http://h/s/b.css",
                                                                          "http://h/s/c.css"]),
    ('@charset "utf-8";\n/* @import "no.css"; */\n@import "/top.css"', ["http://h/top.css"]),
    ('@layer base, theme; @import "a.css" layer(base);', ["http://h/s/a.css"]),
    ('body { color: red } @import "late.css";', []),  # after a rule, an @import is ignored
    ('@import url();', []),
])
def test_css_imports_are_the_ones_a_browser_loads(css: str, imports: list[str]) -> None:
    assert css_imports(css, "http://h/s/site.css") == imports


@pytest.mark.parametrize(("body", "found"), [
    ("body{}\n/*# sourceMappingURL=site.css.map */\n", "http://h/css/site.css.map"),
    ("x()\n//# sourceMappingURL=app.js.map", "http://h/css/app.js.map"),
    ("x()\n//# sourceMappingURL=data:application/json;base64,e30=", ""), ("x()", ""),
])
def test_declared_source_maps(body: str, found: str) -> None:
    assert source_map(body, "http://h/css/site.css") == found


@pytest.mark.parametrize(("url", "seen", "problem"), [
    ("http://h/a.css", Observed(200, "", 0, headers={"content-type": "text/css; charset=utf-8"}), ""),
    ("http://h/a.css", Observed(200, "", 0, headers={"content-type": "text/plain"}), "served as text/plain"),
    ("http://h/a.js", Observed(200, "", 0, headers={"content-type": "text/javascript"}), ""),
    ("http://h/a.js", Observed(200, "", 0, headers={"content-type": "application/x-javascript"}), ""),  # any JS type
    ("http://h/a.mjs", Observed(200, "", 0, headers={"content-type": "text/ecmascript"}), ""),
    ("http://h/a.js", Observed(200, "", 0, headers={"content-type": "text/plain"}), "served as text/plain"),
    # raster images are read by their bytes, fonts whatever their type: only what no browser reads is broken
    ("http://h/a.avif", Observed(200, "", 0, headers={"content-type": "application/octet-stream"}), ""),
    ("http://h/a.png", Observed(200, "", 0, headers={"content-type": "binary/octet-stream"}), ""),  # S3's default
    ("http://h/a.jpg", Observed(200, "", 0, headers={"content-type": "image/png"}), ""),
    ("http://h/a.webp", Observed(200, "", 0), ""),  # no Content-Type at all
    ("http://h/a.png", Observed(200, "", 0, headers={"content-type": "text/html"}),  # a single-page app's fallback
     "served as text/html, expected image/* or application/octet-stream or binary/octet-stream"),
    ("http://h/a.png", Observed(200, "", 0, headers={"content-type": "image/svg+xml"}), "served as image/svg+xml"),
    ("http://h/a.woff2", Observed(200, "", 0, headers={"content-type": "application/octet-stream"}), ""),
    ("http://h/a.woff", Observed(200, "", 0, headers={"content-type": "application/x-font-woff"}), ""),
    ("http://h/a.woff2", Observed(200, "", 0, headers={"content-type": "text/html"}), "served as text/html"),
    ("http://h/a.svg", Observed(200, "", 0, headers={"content-type": "text/plain"}), "served as text/plain"),
    ("http://h/a.png", Observed(404, "", 0), "status 404"),
    ("http://h/a.map", Observed(200, "", 0, headers={"content-type": "application/octet-stream"}), ""),
    ("http://h/font", Observed(200, "", 0, headers={"content-type": "text/plain"}), ""),  # nothing promised
    ("http://h/a.svg", Observed(None, "", 0, error="Timeout"), "no answer"),
])
def test_asset_problems(url: str, seen: Observed, problem: str) -> None:
    assert (problem in asset_problem(url, seen)) if problem else asset_problem(url, seen) == ""


def test_flow_placeholders_take_captured_values_and_leave_others() -> None:
    assert fill("/api/{id}?t={token}&x={other}", {"id": "7", "token": "abc"}) == "/api/7?t=abc&x={other}"


def test_flow_captures_from_json_header_and_regex() -> None:
    step = FlowStep(path="/", capture={"token": "json:auth.token", "next": "header:Location", "id": "regex:id=(\\d+)"})
    seen = Observed(200, '{"auth": {"token": "t0k"}, "note": "id=42"}', 0.0, headers={"location": "/home"})
    assert captured(step, seen) == ({"token": "t0k", "next": "/home", "id": "42"}, "")


def test_a_missing_capture_is_named() -> None:
    step = FlowStep(path="/", capture={"token": "json:auth.token"})
    assert captured(step, Observed(200, "{}", 0.0))[1] == "could not capture token from json:auth.token"


def test_notification_payloads() -> None:
    event = Event("rolled-back", "production", "1.2.0", "sha256:ab", "restored 1.1.0")
    body = JsonNotifier(WebhookOptions(url_env="HOOK")).body(event)
    assert (body["event"], body["severity"], body["environment"]) == ("rolled-back", "warning", "production")
    assert SlackNotifier(WebhookOptions(url_env="HOOK")).body(event) == {
        "text": ":warning: *deploylib*: rolled-back on *production* (1.2.0): restored 1.1.0"}


def test_webhook_urls_are_shown_by_host_only() -> None:
    assert redact("https://hooks.slack.com/services/T000/B000/SECRET") == "https://hooks.slack.com"
