"""The HTTP the checks share (deploylib/validate/session.py): what a check sees is what requests
would show it, whichever way the request went, against real servers."""

from __future__ import annotations

import gzip
import types
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploylib.model import Verdict
from deploylib.validate import session
from deploylib.validate.runner import run_round
from deploylib.validate.session import HttpSession, needs_requests
from deploylib.validate.smoke import SmokeCheck
from tests.conftest import Nginx
from tests.fakes.app import App


@pytest.fixture
def other() -> Iterator[App]:
    """A second app, on another host name (localhost rather than 127.0.0.1)."""
    server = App().start()
    server.url = server.url.replace("127.0.0.1", "localhost")
    yield server
    server.stop()


def check(app: App, **options: object) -> tuple[Verdict, str]:
    result = run_round(app.url, [SmokeCheck(**options)], concurrency=1)[0]  # type: ignore[arg-type]
    return result.verdict, result.seen


@pytest.mark.parametrize("coding, encoded", [
    ("gzip", gzip.compress(b"<p>all good</p>")),
    ("deflate", zlib.compress(b"<p>all good</p>")),
    ("deflate", zlib.compress(b"<p>all good</p>")[2:-4]),  # raw deflate, as some servers send it
    ("GZIP", gzip.compress(b"<p>all good</p>")),
    ("deflate, gzip", gzip.compress(zlib.compress(b"<p>all good</p>"))),  # undone last first (RFC 9110 §8.4)
    ("gzip, identity", gzip.compress(b"<p>all good</p>")),
])
def test_a_compressed_body_is_judged_as_its_text(app: App, coding: str, encoded: bytes) -> None:
    app.route("/", (200, {"Content-Encoding": coding}, encoded))
    assert check(app, path="/", contains="all good")[0] is Verdict.PASS


def test_a_body_that_is_not_its_coding_is_no_answer(app: App) -> None:
    app.route("/", (200, {"Content-Encoding": "gzip"}, b"plain text"))
    verdict, seen = check(app, path="/")
    assert verdict is Verdict.ERROR and "ContentDecodingError" in seen


@pytest.mark.parametrize("method, status", [("HEAD", 200), ("GET", 204), ("GET", 304)])
def test_an_answer_without_a_body_is_not_decoded(app: App, method: str, status: int) -> None:
    app.route("/", (status, {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}, b""), method=method)
    verdict, seen = check(app, path="/", method=method, status=status)
    assert verdict is Verdict.PASS and seen.startswith(f"status {status} in "), seen


def test_a_head_check_passes_against_nginx_compressing_its_pages(nginx: type[Nginx], tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<h1>Welcome</h1>" + " " * 2000)
    server = nginx(tmp_path / "site", "gzip on; gzip_min_length 10;")
    head = requests.head(server.url(), headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert head.headers["Content-Encoding"] == "gzip"  # compressed, though a HEAD answer has no body
    result = run_round(server.url(), [SmokeCheck(path="/", method="HEAD")], concurrency=1)[0]
    assert result.verdict is Verdict.PASS, result.seen


def test_a_redirect_is_followed_to_its_page(app: App) -> None:
    app.route("/old", (301, {"Location": "/new"}, ""))
    app.route("/new", (200, {}, "the new page"))
    assert check(app, path="/old", contains="the new page")[0] is Verdict.PASS


@pytest.mark.parametrize("location, arrives_at", [
    ("/über/".encode().decode("latin-1"), "/%C3%BCber/"),  # raw UTF-8 bytes, as nginx's return 301 /über/ sends
    ("/%C3%BCber/", "/%C3%BCber/"),
    ("/\xfcber/", "/%FCber/"),  # not UTF-8: the byte percent-encoded, as browsers send it
    ("/a b/", "/a%20b/"),
])
def test_a_redirect_to_a_non_ascii_location_is_followed_as_browsers_follow_it(app: App, location: str,
                                                                               arrives_at: str) -> None:
    app.route("/old", (301, {"Location": location}, ""))
    app.route(arrives_at, (200, {}, "arrived"))
    assert check(app, path="/old", contains="arrived")[0] is Verdict.PASS


def test_a_post_answered_by_303_is_followed_by_a_get(app: App) -> None:
    app.route("/form", (303, {"Location": "/done"}, ""), method="POST")
    app.route("/done", lambda request: (200, {}, f"{request.method} with {len(request.body)} bytes"))
    assert check(app, path="/form", method="POST", body="x=1", contains="GET with 0 bytes")[0] is Verdict.PASS


def test_a_redirect_loop_is_no_answer(app: App) -> None:
    app.route("/loop", (302, {"Location": "/loop"}, ""))
    verdict, seen = check(app, path="/loop")
    assert verdict is Verdict.ERROR and "TooManyRedirects" in seen


def test_credentials_do_not_follow_a_redirect_to_another_host(app: App, other: App) -> None:
    other.route("/landing", lambda request: (200, {}, f"auth={request.headers.get('authorization')}"))
    app.route("/away", (302, {"Location": f"{other.url}/landing"}, ""))
    assert check(app, path="/away", headers={"Authorization": "Bearer t"}, contains="auth=None")[0] is Verdict.PASS


def test_a_proxy_in_the_environment_carries_the_checks(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app.route("/page", lambda request: (200, {}, f"proxied {request.headers.get('host')}"))
    monkeypatch.setenv("http_proxy", app.url)  # the app answers as the proxy would, for any host
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    result = run_round("http://shop.invalid", [SmokeCheck(path="/page", contains="proxied shop.invalid")], 1)[0]
    assert result.verdict is Verdict.PASS


@pytest.mark.parametrize("through", ["http.client", "requests"])
@pytest.mark.parametrize("coding", ["br", "zstd", "compress"])
def test_a_body_in_a_coding_that_cannot_be_undone_is_no_answer_not_text(app: App, monkeypatch: pytest.MonkeyPatch,
                                                                        coding: str, through: str) -> None:
    monkeypatch.setattr(session, "_brotli", lambda: None)  # this machine has no Brotli decoder
    app.route("/page", (200, {"Content-Encoding": coding}, b"\x1b\x0e\x00\xf8\xa5@\x02welcome"))
    base = app.url
    if through == "requests":  # a proxy in the environment: the request goes through requests
        monkeypatch.setenv("http_proxy", app.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        base = "http://shop.invalid"
    result = run_round(base, [SmokeCheck(path="/page", not_contains="Traceback")], 1)[0]
    assert result.verdict is Verdict.ERROR, result.seen
    assert f"the body is in the content coding '{coding}', which deploylib cannot undo" in result.seen
    assert ("pip install brotli" in result.seen) == (coding == "br")


@pytest.mark.parametrize("through", ["http.client", "requests"])
def test_a_brotli_body_sent_unasked_is_read_with_the_installed_decoder(app: App, monkeypatch: pytest.MonkeyPatch,
                                                                       through: str) -> None:
    # a stand-in for the brotli module (not installed here): what matters is that its output is what is judged
    monkeypatch.setattr(session, "_brotli", lambda: types.SimpleNamespace(decompress=zlib.decompress))
    app.route("/page", (200, {"Content-Encoding": "br"}, zlib.compress(b"<p>all good</p>")))
    base = app.url
    if through == "requests":
        monkeypatch.setenv("http_proxy", app.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        base = "http://shop.invalid"
    assert run_round(base, [SmokeCheck(path="/page", contains="all good")], 1)[0].verdict is Verdict.PASS


def test_the_proxy_environment_is_read_once_per_host(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app.route("/", (200, {}, "ok"))
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    reads = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", lambda *a, **k: reads.append(a) or real(*a, **k))
    results = run_round(app.url, [SmokeCheck(path="/") for _ in range(10)], concurrency=1)
    assert [r.verdict for r in results] == [Verdict.PASS] * 10 and len(reads) == 1


@pytest.mark.parametrize("environ, netrc, expected", [
    ({}, False, False),
    ({"no_proxy": "localhost", "PATH": "/bin"}, False, False),
    ({"http_proxy": ""}, False, False),
    ({"http_proxy": "http://proxy:3128"}, False, True),
    ({"HTTPS_PROXY": "http://proxy:3128"}, False, True),
    ({"ALL_PROXY": "socks5://proxy:1080"}, False, True),
    ({"NETRC": "/etc/netrc"}, False, True),
    ({}, True, True),
])
def test_requests_rules_apply_when_a_proxy_or_netrc_could_change_a_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], netrc: bool, expected: bool) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if netrc:
        (tmp_path / ".netrc").write_text("machine shop.example login u password p\n")
    assert needs_requests(environ) is expected


def test_a_keep_alive_server_answers_each_request_of_a_session(app: App) -> None:
    app.route("/", (200, {}, "ok"))
    app.server.RequestHandlerClass.protocol_version = "HTTP/1.1"  # keep-alive, with Content-Length
    with HttpSession() as session:
        answers = [session.fetch("GET", f"{app.url}/", 5).status for _ in range(3)]
    assert answers == [200, 200, 200] and app.hits["/"] == 3


def test_credentials_in_the_url_are_sent_as_basic_auth(app: App) -> None:
    app.route("/private", lambda request: (200, {}, f"auth={request.headers.get('authorization')}"))
    url = app.url.replace("http://", "http://shop:secret@")
    result = run_round(url, [SmokeCheck(path="/private", contains="auth=Basic c2hvcDpzZWNyZXQ=")], 1)[0]
    assert result.verdict is Verdict.PASS
