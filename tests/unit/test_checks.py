"""How one HTTP observation is judged against a smoke check (pure: no server)."""

from __future__ import annotations

import pytest

from deploylib.model import Verdict
from deploylib.validate.base import Observed, url_for
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


def test_a_failure_shows_an_excerpt_of_the_body() -> None:
    _, what = CHECK.judge(Observed(503, "Service   Unavailable\n\nretry later", 0.01))
    assert "'Service Unavailable retry later'" in what


def test_the_label_defaults_to_the_path() -> None:
    assert SmokeCheck(path="/health").label == "/health"


@pytest.mark.parametrize(("base", "path", "url"), [
    ("http://127.0.0.1:8000", "/a", "http://127.0.0.1:8000/a"),
    ("http://127.0.0.1:8000/", "/a", "http://127.0.0.1:8000/a"),
    ("http://127.0.0.1:8000", "https://other.example/x", "https://other.example/x"),
])
def test_url_for(base: str, path: str, url: str) -> None:
    assert url_for(base, path) == url
