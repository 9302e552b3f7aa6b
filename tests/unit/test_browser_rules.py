"""The pure parts of browser checks: Core Web Vitals, budgets, environment values in steps, which console
errors and requests count, and the configuration rules (including a missing browser at load)."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from deploylib.config.load import parse
from deploylib.errors import ConfigError
from deploylib.validate.base import Round
from deploylib.validate.browser import (
    BrowserCheck,
    BrowserStep,
    Vitals,
    _is_url,
    _url_matches,
    console_allowed,
    cumulative_layout_shift,
    same_origin,
    scrub,
    vitals_problem,
    with_env,
)


@pytest.mark.parametrize(("target", "is_url"), [
    ("/dashboard", True), ("https://a.example/x", True), ("HTTPS://a.example/x", True), ("//div", False),
    ("#login", False), ("button[type=submit]", False), ("text=Welcome", False),
])
def test_a_wait_for_target_is_a_url_by_the_one_url_rule(target: str, is_url: bool) -> None:
    assert _is_url(target) is is_url


@pytest.mark.parametrize(("url", "wanted", "matches"), [
    ("https://a.example/dashboard", "https://a.example/dashboard", True),
    ("https://a.example/dashboard?tab=1#top", "https://a.example/dashboard", True),  # neither given: ignored
    ("https://a.example/orders?tab=items#top", "https://a.example/orders?tab=items", True),  # no fragment given
    ("https://a.example/orders?tab=items#top", "https://a.example/orders#top", True),  # no query given
    ("https://a.example/orders?tab=items", "https://a.example/orders?tab=bills", False),
    ("https://a.example/orders#top", "https://a.example/orders#end", False),
    ("https://a.example/login?next=/dashboard", "https://a.example/dashboard", False),
    ("https://a.example/?lang=de#/cart?step=2", "https://a.example/#/cart?step=2", True),  # a hash router's route
])
def test_which_urls_a_step_accepts(url: str, wanted: str, matches: bool) -> None:
    assert _url_matches(url, wanted) is matches


@pytest.mark.parametrize(("shifts", "cls"), [
    ([], 0.0),
    ([(100.0, 0.05)], 0.05),
    ([(100.0, 0.05), (600.0, 0.05)], 0.1),  # within 1 s of each other: one session window
    ([(100.0, 0.05), (1200.0, 0.04)], 0.05),  # a gap over 1 s starts a new window; the largest counts
    ([(100.0, 0.02), (1200.0, 0.04), (2000.0, 0.04)], 0.08),
    ([(0.0, 0.1), *((t, 0.1) for t in range(900, 5400, 900)), (5500.0, 0.1)], 0.6),  # a window lasts ≤ 5 s
])
def test_cumulative_layout_shift_is_the_largest_session_window(shifts: list, cls: float) -> None:
    assert cumulative_layout_shift(shifts) == pytest.approx(cls)


@pytest.mark.parametrize(("vitals", "lcp_ms", "cls", "fragment"), [
    (Vitals(1200.0, 0.01, 40.0), 2500, 0.1, ""),
    (Vitals(1200.0, 0.01, 40.0), 0, 0.0, ""),  # no budgets
    (Vitals(3100.0, 0.01, 40.0), 2500, 0.1, "LCP over the 2500 ms budget (LCP 3.10 s, CLS 0.01, TTFB 40 ms)"),
    (Vitals(None, 0.0, 40.0), 2500, 0.0, "LCP over the 2500 ms budget (LCP none (nothing painted)"),
    (Vitals(800.0, 0.25, None), 2500, 0.1, "CLS over the 0.1 budget (LCP 0.80 s, CLS 0.25)"),
])
def test_vitals_budgets(vitals: Vitals, lcp_ms: int, cls: float, fragment: str) -> None:
    problem = vitals_problem(vitals, lcp_ms, cls)
    assert (fragment in problem) if fragment else problem == ""


@pytest.mark.parametrize(("text", "environ", "expected"), [
    ("demo", {}, ("demo", [], "")),
    ("{env:E2E_PASSWORD}", {"E2E_PASSWORD": "s3cret"}, ("s3cret", ["s3cret"], "")),
    ("/u/{env:USER_ID}/edit", {"USER_ID": "42"}, ("/u/42/edit", ["42"], "")),
    ("{env:A}-{env:B}", {"A": "x"}, ("{env:A}-{env:B}", [], "B")),
    ("{env:EMPTY}", {"EMPTY": ""}, ("", [], "")),
    ("{user}", {}, ("{user}", [], "")),  # only env: placeholders are replaced
])
def test_environment_values_in_steps(text: str, environ: dict, expected: tuple) -> None:
    assert with_env(text, environ) == expected


def test_secrets_are_scrubbed_longest_first() -> None:
    assert scrub("typed hunter22 then hunter2", ["hunter2", "hunter22"]) == "typed *** then ***"


@pytest.mark.parametrize(("text", "secret"), [  # how a browser writes "p@ss wörd&x=1/é~*'" into a URL
    ("/session?user=demo&password=p%40ss+w%C3%B6rd%26x%3D1%2F%C3%A9%7E*%27", "p@ss wörd&x=1/é~*'"),  # a form
    ("/echo?t=p@ss%20w%C3%B6rd&x=1/%C3%A9~*%27", "p@ss wörd&x=1/é~*'"),  # a query typed into a URL
    ("/files/p@ss%20w%C3%B6rd&x=1/%C3%A9~*'", "p@ss wörd&x=1/é~*'"),  # a path
    ("fetch('/a?t=' + encodeURIComponent(t)): /a?t=p%40ss%20w%C3%B6rd%26x%3D1%2F%C3%A9~*'", "p@ss wörd&x=1/é~*'"),
])
def test_secrets_are_scrubbed_as_a_browser_puts_them_into_urls(text: str, secret: str) -> None:
    assert "***" in scrub(text, [secret]) and not any(part in scrub(text, [secret]) for part in ("p%40", "p@ss"))


@pytest.mark.parametrize(("text", "allow", "allowed"), [
    ("TypeError: x is undefined", [], False),
    ("ResizeObserver loop limit exceeded", ["ResizeObserver"], True),
    ("Failed to load resource: the server responded with a status of 404", [], True),  # judged as a request
    ("analytics blocked", ["^ResizeObserver"], False),
])
def test_which_console_errors_count(text: str, allow: list, allowed: bool) -> None:
    assert console_allowed(text, allow) is allowed


@pytest.mark.parametrize(("url", "same"), [
    ("http://127.0.0.1:8080/app.js", True), ("http://127.0.0.1:8081/app.js", False),
    ("https://127.0.0.1:8080/app.js", False), ("https://cdn.example.com/lib.js", False),
])
def test_only_same_origin_requests_count(url: str, same: bool) -> None:
    assert same_origin(url, "http://127.0.0.1:8080/") is same


@pytest.mark.parametrize(("step", "label"), [
    (BrowserStep(goto="/login"), "goto /login"), (BrowserStep(fill="#password", value="{env:PW}"), "fill #password"),
    (BrowserStep(press="#password", key="Enter"), "press Enter in #password"),
    (BrowserStep(click="button", name="log in"), "log in"),
    (BrowserStep(expect_url="/dashboard"), "expect_url /dashboard"),
])
def test_a_step_is_named_by_what_it_does_never_by_its_value(step: BrowserStep, label: str) -> None:
    assert step.label == label


def test_a_check_without_pages_or_steps_loads_the_home_page() -> None:
    assert (BrowserCheck().describe(), BrowserCheck(steps=(BrowserStep(goto="/a"),)).describe()) == \
           ("browser /", "goto /a")


def test_a_round_opens_a_shared_resource_once_for_every_thread() -> None:
    opened, closed = [], []

    @contextmanager
    def opener():  # noqa: ANN202
        opened.append(1)
        yield "browser"
        closed.append(1)

    within = Round("http://x", session=None)  # type: ignore[arg-type]
    threads = [threading.Thread(target=within.shared, args=("chromium", opener)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    within.close()
    assert (opened, closed) == ([1], [1])


def test_a_resource_that_fails_to_open_is_tried_once_per_round() -> None:
    attempts = []

    def opener():  # noqa: ANN202
        attempts.append(1)
        raise OSError("no display")

    within = Round("http://x", session=None)  # type: ignore[arg-type]
    for _ in range(3):
        with pytest.raises(OSError, match="no display"):
            within.shared("chromium", opener)
    assert attempts == [1]


def config(check: dict, demo: bool = False):  # noqa: ANN201
    env = {"target": {"type": "local", "path": "/srv/x"}, "checks": [{"path": "/"}, {"kind": "browser", **check}]}
    return parse({"build": {"command": "make"}, "environments": {"prod": env}}, Path("/repo/deploy.toml"),
                 Path("/repo"), demo=demo)


@pytest.mark.parametrize(("check", "fragments"), [
    ({"steps": [{"goto": "/", "click": "a"}]}, ["steps", "has step 1 with goto and click: give exactly one of"]),
    ({"steps": [{"name": "nothing"}]}, ["has step 1 with no action"]),
    ({"steps": [{"press": "#q"}]}, ['has step 1 (press) without key, e.g. key = "Enter"']),
    ({"steps": [{"goto": "login"}]}, ['steps[0]] goto = "login"', 'does not start with "/"']),
    ({"pages": ["about"]}, ['"about" does not start with "/"']),
    ({"allow_console": ["(unclosed"]}, ["allow_console", "is not a valid regular expression"]),
    ({"lcp_ms": -1}, ["lcp_ms = -1", "must not be negative"]),
    ({"chromium_path": "/nonexistent/chrome"}, ['chromium_path = "/nonexistent/chrome"', "is not an executable file"]),
    ({"steps": [{"fil": "#q"}]}, ['unknown key "fil"', 'Did you mean "fill"?']),
])
def test_browser_check_mistakes_are_named(check: dict, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        config(check)
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.fixture
def no_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Chromium: nothing on PATH, no browser Playwright downloaded."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "no-downloads"))


def test_a_browser_check_without_a_browser_is_an_error_at_load(no_browser: None) -> None:
    with pytest.raises(ConfigError) as caught:
        config({"name": "home in a browser"})
    assert str(caught.value).startswith("deploy.toml: [environments.prod.checks[1]] (home in a browser) needs "
                                        "Chromium, and none was found on PATH: install Chromium (Debian/Ubuntu: "
                                        "apt-get install chromium")
    assert "or set chromium_path" in str(caught.value)


def test_the_demo_leaves_a_browser_check_out_without_a_browser_and_says_why(no_browser: None) -> None:
    env = config({"name": "home in a browser"}, demo=True).environments["prod"]
    assert [check.label for check in env.checks] == ["/"]
    assert [name for name, _ in env.skipped] == ["home in a browser"]
    assert "apt-get install chromium" in env.skipped[0][1]


def test_a_configured_chromium_path_is_used_even_off_path(no_browser: None, tmp_path: Path) -> None:
    browser = tmp_path / "chrome"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    assert os.environ["PATH"].endswith("empty-bin")
    assert config({"chromium_path": str(browser)}).environments["prod"].skipped == ()
