"""Every check kind reads a page as a browser does: a UTF-8 page served without a charset is UTF-8."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import requests

from deploylib.model import Verdict
from deploylib.targets.serve import static_server
from deploylib.validate.assets import AssetsCheck, PageCheck
from deploylib.validate.flow import FlowCheck, FlowStep
from deploylib.validate.load import LoadCheck
from deploylib.validate.runner import run_round
from deploylib.validate.smoke import SmokeCheck
from tests.fakes.app import App

PAGE = "<h1>Welcome · café</h1>"
NO_CHARSET = {"Content-Type": "text/html"}


def one(check, url: str):  # noqa: ANN001, ANN201 - any check kind
    return run_round(url, [check], concurrency=2)[0]


def test_a_smoke_check_finds_text_on_a_page_served_without_a_charset(app: App) -> None:
    app.route("/", (200, NO_CHARSET, PAGE.encode()))
    assert one(SmokeCheck(path="/", contains="café", regex="Welcome · caf."), app.url).verdict is Verdict.PASS


def test_a_failed_check_shows_the_text_as_the_page_shows_it(app: App) -> None:
    app.route("/", (200, NO_CHARSET, PAGE.encode()))
    result = one(SmokeCheck(path="/", not_contains="café"), app.url)
    assert result.verdict is Verdict.FAIL and "Welcome · café" in result.seen and "Ã" not in result.seen


def test_the_header_charset_is_honoured(app: App) -> None:
    app.route("/", (200, {"Content-Type": "text/html; charset=windows-1252"}, PAGE.encode("cp1252")))
    assert one(SmokeCheck(path="/", contains="café"), app.url).verdict is Verdict.PASS


def test_a_meta_charset_is_honoured(app: App) -> None:
    app.route("/", (200, NO_CHARSET, f"<meta charset=windows-1252>{PAGE}".encode("cp1252")))
    assert one(SmokeCheck(path="/", contains="café"), app.url).verdict is Verdict.PASS


def test_a_flow_step_sees_and_captures_decoded_text(app: App) -> None:
    app.route("/menu", (200, NO_CHARSET, "<a href='/dish?name=crème'>crème brûlée</a>".encode()))
    app.route("/dish", lambda r: (200, NO_CHARSET, f"dish {r.query.get('name')}".encode()))
    flow = FlowCheck(steps=(FlowStep(path="/menu", contains="brûlée", capture={"name": "regex:name=(\\w+)"}),
                            FlowStep(path="/dish?name={name}", contains="dish crème")))
    result = one(flow, app.url)
    assert result.verdict is Verdict.PASS, result.seen


def test_assets_named_with_non_ascii_characters_are_found(app: App) -> None:
    app.route("/", (200, NO_CHARSET, '<img src="/img/café.svg">'.encode()))
    app.route("/img/caf%C3%A9.svg", (200, {"Content-Type": "image/svg+xml"}, "<svg/>"))
    assert one(AssetsCheck(pages=["/"]), app.url).verdict is Verdict.PASS
    assert one(PageCheck(path="/"), app.url).verdict is Verdict.PASS


def test_a_load_check_reads_a_metric_with_a_non_ascii_label(app: App) -> None:
    app.route("/", (200, NO_CHARSET, PAGE))
    app.route("/metrics", (200, {"Content-Type": "text/plain"}, 'http_errors_total{route="/café"} 0\n'.encode()))
    check = LoadCheck(paths=["/"], requests=4, prometheus_url="/metrics",
                      prometheus_metric='http_errors_total{route="/café"}')
    result = one(check, app.url)
    assert result.verdict is Verdict.PASS, result.seen


def test_deploylibs_own_server_sends_a_charset(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "old.html").write_bytes(f"<meta charset=windows-1252>{PAGE}".encode("cp1252"))
    (tmp_path / "site.css").write_text("h1::after { content: 'é' }", encoding="utf-8")
    with static_server(tmp_path, 0, "the site") as url:
        assert requests.get(f"{url}/", timeout=5).headers["content-type"] == "text/html; charset=utf-8"
        assert requests.get(f"{url}/old.html", timeout=5).headers["content-type"] == "text/html; charset=windows-1252"
        assert requests.get(f"{url}/site.css", timeout=5).headers["content-type"] == "text/css; charset=utf-8"
        assert one(SmokeCheck(path="/old.html", contains="café"), url).verdict is Verdict.PASS


def test_a_charset_no_browser_has_is_ignored_by_every_check_kind(app: App) -> None:
    page = f'<img src="/logo.svg">{PAGE}'.encode()
    for path, header in (("/hex", "text/html; charset=hex"), ("/undefined", "text/html; charset=undefined")):
        app.route(path, (200, {"Content-Type": header}, page))
    app.route("/rot", (200, NO_CHARSET, f"<meta charset=rot13>{PAGE}<img src='/logo.svg'>".encode()))
    app.route("/logo.svg", (200, {"Content-Type": "image/svg+xml"}, "<svg/>"))
    for path in ("/hex", "/undefined", "/rot"):
        checks = [SmokeCheck(path=path, contains="café"), FlowCheck(steps=(FlowStep(path=path, contains="café"),)),
                  AssetsCheck(pages=[path]), PageCheck(path=path), LoadCheck(paths=[path], requests=2)]
        assert [r.verdict for r in run_round(app.url, checks, concurrency=4)] == [Verdict.PASS] * 5, path


def test_deploylibs_own_server_never_sends_a_charset_browsers_would_misread(tmp_path: Path) -> None:
    for name, label in (("sixteen", "utf-16"), ("hex", "hex"), ("seven", "utf-7"), ("thai", "windows-874")):
        (tmp_path / f"{name}.html").write_bytes(f"<meta charset={label}><p>café</p>".encode("cp874", "replace"))
    with static_server(tmp_path, 0, "the site") as url:
        sent = {name: requests.get(f"{url}/{name}.html", timeout=5).headers["content-type"]
                for name in ("sixteen", "hex", "seven", "thai")}
    assert sent == {"sixteen": "text/html; charset=utf-8", "hex": "text/html; charset=utf-8",
                    "seven": "text/html; charset=utf-8", "thai": "text/html; charset=windows-874"}


def test_deploylibs_own_server_sends_the_charset_a_browsers_prescan_finds(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(f'<!-- <meta charset="koi8-r"> --><meta charset="utf-8">{PAGE}',
                                         encoding="utf-8")
    with static_server(tmp_path, 0, "the site") as url:
        assert requests.get(f"{url}/", timeout=5).headers["content-type"] == "text/html; charset=utf-8"
        assert one(SmokeCheck(path="/", contains="café"), url).verdict is Verdict.PASS


def test_deploylibs_own_server_names_the_encoding_a_browser_reads_the_page_in(tmp_path: Path) -> None:
    pages = {"sjis": ("sjis", "①".encode("cp932")), "user": ("x-user-defined", "café".encode("cp1252"))}
    for name, (label, text) in pages.items():
        (tmp_path / f"{name}.html").write_bytes(f"<meta charset={label}><p>".encode() + text)
    with static_server(tmp_path, 0, "the site") as url:
        sent = {name: requests.get(f"{url}/{name}.html", timeout=5).headers["content-type"] for name in pages}
        assert one(SmokeCheck(path="/sjis.html", contains="①"), url).verdict is Verdict.PASS
        assert one(SmokeCheck(path="/user.html", contains="café"), url).verdict is Verdict.PASS
    assert sent == {"sjis": "text/html; charset=shift_jis", "user": "text/html; charset=windows-1252"}


@pytest.mark.parametrize("content_type, body", [
    ("application/json;charset=ISO-8859-1", '{"name": "café", "auth": {"token": "tök"}}'.encode()),  # old Tomcat
    ("application/json; charset=windows-1252", '{"name": "café", "auth": {"token": "tök"}}'.encode()),
    ("application/json", codecs.BOM_UTF8 + '{"name": "café", "auth": {"token": "tök"}}'.encode()),
    ("text/plain; charset=us-ascii", '{"name": "café", "auth": {"token": "tök"}}'.encode()),
], ids=["latin1-label", "windows-1252-label", "utf8-bom", "text-ascii-label"])
def test_json_is_read_as_utf_8_whatever_charset_it_is_labelled_with(app: App, content_type: str,
                                                                      body: bytes) -> None:
    app.route("/api", (200, {"Content-Type": content_type}, body))
    app.route("/me", lambda request: (200, {}, f"token={request.headers.get('x-token', '').encode().hex()}"))
    smoke = SmokeCheck(path="/api", json={"name": "café", "auth.token": "tök"})
    flow = FlowCheck(steps=(FlowStep(path="/api", capture={"token": "json:auth.token"}),
                            FlowStep(path="/me", headers={"X-Token": "{token}"}, contains="tök".encode().hex())))
    assert [r.verdict for r in run_round(app.url, [smoke], concurrency=1)] == [Verdict.PASS]
    assert one(flow, app.url).verdict is Verdict.PASS


def test_deploylibs_own_server_names_no_utf_8_a_legacy_file_is_not_in(tmp_path: Path) -> None:
    (tmp_path / "old.css").write_bytes('@charset "iso-8859-1";\nb::after{content:"é"}'.encode("latin-1"))
    (tmp_path / "old.js").write_bytes("var s = 'é';".encode("cp1252"))
    (tmp_path / "new.js").write_bytes("var s = 'é';".encode())
    with static_server(tmp_path, 0, "the site") as url:
        sent = {name: requests.get(f"{url}/{name}", timeout=5).headers["content-type"]
                for name in ("old.css", "old.js", "new.js")}
    assert sent["old.css"] == "text/css; charset=windows-1252"
    assert sent["old.js"] in ("text/javascript", "application/javascript")  # as nginx sends it: no charset
    assert sent["new.js"].endswith("; charset=utf-8")
