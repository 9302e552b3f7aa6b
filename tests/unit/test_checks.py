"""How one HTTP observation is judged against a smoke check (pure: no server)."""

from __future__ import annotations

import pytest

from deploylib.config.schema import is_http_url, url_problem
from deploylib.model import Verdict
from deploylib.validate.base import Observed, path_problem, url_for
from deploylib.validate.smoke import SmokeCheck

CHECK = SmokeCheck(path="/", name="home", status=200, contains="Welcome", max_latency_ms=500)


@pytest.mark.parametrize(("seen", "verdict", "fragment"), [
    (Observed(200, "<h1>Welcome</h1>", 0.05), Verdict.PASS, "status 200 in 50 ms"),
    (Observed(500, "Internal error", 0.05), Verdict.FAIL, "status 500"),
    (Observed(200, "<h1>Hello</h1>", 0.05), Verdict.FAIL, "body lacks 'Welcome'"),
    (Observed(200, "<h1>Welcome</h1>", 0.9), Verdict.FAIL, "900 ms, over the 500 ms budget"),
    (Observed(None, "", 0.01, error="ConnectionError: refused"), Verdict.ERROR, "no answer: ConnectionError"),
])
def test_evaluate(seen: Observed, verdict: Verdict, fragment: str) -> None:
    verdict_seen, what = CHECK.judge(seen)
    assert verdict_seen is verdict
    assert fragment in what


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"status": ' * 100_000 + "1" + "}" * 100_000,
                                  "{not json", ""], ids=["deep array", "deep object", "not json", "empty"])
def test_a_body_that_is_not_json_it_can_read_fails_a_json_check(body: str) -> None:
    verdict, what = SmokeCheck(path="/health", json={"status": "ok"}).judge(Observed(200, body, 0.01))
    assert verdict is Verdict.FAIL and "body is not JSON" in what


def test_a_failure_shows_an_excerpt_of_the_body() -> None:
    _, what = CHECK.judge(Observed(503, "Service   Unavailable\n\nretry later", 0.01))
    assert "'Service Unavailable retry later'" in what


def test_the_label_defaults_to_the_path() -> None:
    assert SmokeCheck(path="/health").label == "/health"


@pytest.mark.parametrize(("base", "path", "url"), [
    ("http://127.0.0.1:8000", "/a", "http://127.0.0.1:8000/a"),
    ("http://127.0.0.1:8000/", "/a", "http://127.0.0.1:8000/a"),
    ("http://127.0.0.1:8000", "https://other.example/x", "https://other.example/x"),
    ("http://127.0.0.1:8000", "HTTPS://other.example/x", "HTTPS://other.example/x"),  # schemes ignore case
])
def test_url_for(base: str, path: str, url: str) -> None:
    assert url_for(base, path) == url


@pytest.mark.parametrize(("value", "full"), [
    ("http://a.example", True), ("https://a.example/x", True), ("HTTPS://a.example", True), ("Http://a", True),
    ("/a", False), ("//a.example/x", False), ("ftp://a.example", False), ("https:/a", False), ("a.example", False),
    ("", False), (" https://a.example", False),
])
def test_one_rule_tells_a_full_url_from_a_path(value: str, full: bool) -> None:
    assert is_http_url(value) is full


@pytest.mark.parametrize("value", ["/a", "/a?b=1", "http://x.example/a", "HTTPS://x.example:8443/a", "Http://x.example"])
def test_a_path_the_configuration_accepts_is_reached_where_it_says(value: str) -> None:
    assert path_problem(value) == ""
    expected = value if is_http_url(value) else "http://127.0.0.1:8000" + value
    assert url_for("http://127.0.0.1:8000", value) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("", ""), ("https://a.example", ""), ("HTTP://a.example:80/x", ""),
    ("https://a.example:99999", "is not a well-formed URL"),
    ("a.example", "is not an http(s) URL"), ("https://", "has no host"), ("https://a b", "contains a space"),
    ("https://a_.example", ""), ("https://-a.example", "is not a host name"),
    ("http://127.0.0.1:0/", "has port 0"), ("https://a.example:00", "has port 0"), ("http://[::1]:0", "has port 0"),
    ("http://a.example:1", ""), ("http://a.example:65535/", ""),
])
def test_the_one_url_check(value: str, problem: str) -> None:
    assert problem in url_problem(value) if problem else url_problem(value) == ""
