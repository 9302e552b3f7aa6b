"""Every check kind, the monitoring window and notifications, against real HTTP servers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploylib.config.load import WindowPolicy
from deploylib.config.schema import Variant
from deploylib.model import Verdict
from deploylib.notify.base import Event
from deploylib.notify.delivery import Notifications
from deploylib.notify.webhook import WebhookOptions
from deploylib.validate.assets import AssetsCheck, PageCheck
from deploylib.validate.flow import FlowCheck, FlowStep
from deploylib.validate.load import LoadCheck
from deploylib.validate.runner import run_round, validate
from deploylib.validate.smoke import SmokeCheck
from tests.conftest import REPO
from tests.fakes.app import App, Request


def one(check, app: App):  # noqa: ANN001, ANN201 - any check kind
    return run_round(app.url, [check], concurrency=4)[0]


def counted(app: App, path: str, ready_after: int):  # noqa: ANN201
    """503 for the first `ready_after` requests, then 200: a server still warming up."""
    return lambda request: (503, {}, "starting") if app.hits[path] <= ready_after else (200, {}, "ok")


def test_warm_up_retries_wait_out_a_slow_start(app: App) -> None:
    app.route("/health", counted(app, "/health", 3))
    assert one(SmokeCheck(path="/health", retries=4, retry_delay_s=0), app).verdict is Verdict.PASS
    assert app.hits["/health"] == 4


def test_without_retries_a_slow_start_fails(app: App) -> None:
    app.route("/health", counted(app, "/health", 3))
    result = one(SmokeCheck(path="/health"), app)
    assert result.verdict is Verdict.FAIL and "status 503" in result.seen


def test_a_server_that_does_not_answer_is_an_error_not_a_failure() -> None:
    result = run_round("http://127.0.0.1:9", [SmokeCheck(path="/", timeout_s=1)], concurrency=1)[0]
    assert result.verdict is Verdict.ERROR and "no answer" in result.seen


def test_a_post_with_headers_and_a_json_answer(app: App) -> None:
    app.route("/api/echo", lambda r: (201, {"Content-Type": "application/json"},
                                      json.dumps({"got": r.body.decode(), "auth": r.headers.get("authorization")})),
              method="POST")
    check = SmokeCheck(path="/api/echo", method="POST", body="ping", headers={"Authorization": "Bearer t"},
                       status=201, json={"got": "ping", "auth": "Bearer t"})
    assert one(check, app).verdict is Verdict.PASS


def test_intermittent_500s_fail_the_error_rate(app: App) -> None:
    app.route("/", lambda r: (500, {}, "boom") if app.hits["/"] % 4 == 0 else (200, {}, "ok"))
    result = one(LoadCheck(paths=["/"], requests=40, max_error_rate=1), app)
    assert result.verdict is Verdict.FAIL and "error rate 25.0 % over 1 %" in result.seen
    assert one(LoadCheck(paths=["/"], requests=40, max_error_rate=30), app).verdict is Verdict.PASS


def test_a_slow_endpoint_fails_the_latency_budget(app: App) -> None:
    def slow(request: Request) -> tuple[int, dict[str, str], str]:
        time.sleep(0.03)  # the app under test is slow; nothing waits for the test here
        return 200, {}, "ok"

    app.route("/slow", slow)
    result = one(LoadCheck(paths=["/slow"], requests=10, p95_ms=10), app)
    assert result.verdict is Verdict.FAIL and "p95" in result.seen and "over 10 ms" in result.seen


def test_requests_are_spread_over_the_window(app: App) -> None:
    app.route("/", (200, {}, "ok"))
    result = one(LoadCheck(paths=["/"], requests=10, window_s=0.3, concurrency=10), app)
    assert result.verdict is Verdict.PASS and result.seconds >= 0.27


def test_a_prometheus_error_counter_that_grows_fails(app: App) -> None:
    app.route("/", lambda r: (500, {}, "boom") if app.hits["/"] == 1 else (200, {}, "ok"))
    app.route("/metrics", lambda r: (200, {"Content-Type": "text/plain"},
                                     f'http_requests_total{{code="500"}} {1 if app.hits["/"] else 0}\n'))
    check = LoadCheck(paths=["/"], requests=5, max_error_rate=50, prometheus_url="/metrics",
                      prometheus_metric='http_requests_total{code="500"}')
    result = one(check, app)
    assert result.verdict is Verdict.FAIL and 'http_requests_total{code="500"} grew by 1' in result.seen


def test_a_missing_prometheus_metric_is_inconclusive(app: App) -> None:
    app.route("/", (200, {}, "ok"))
    app.route("/metrics", (200, {"Content-Type": "text/plain"}, "other_total 1\n"))
    check = LoadCheck(paths=["/"], requests=3, prometheus_url="/metrics", prometheus_metric="http_errors_total")
    assert one(check, app).verdict is Verdict.INCONCLUSIVE


PAGE = ('<html><link rel="stylesheet" href="/site.css"><script src="/app.js"></script>'
        '<img src="/logo.svg" srcset="/logo-2x.svg 2x"></html>')


def serve_site(app: App, css_type: str = "text/css", with_map: bool = True) -> None:
    app.route("/", (200, {}, PAGE))
    app.route("/site.css", (200, {"Content-Type": css_type}, "b{}\n/*# sourceMappingURL=site.css.map */"))
    app.route("/app.js", (200, {"Content-Type": "application/javascript"}, "x()"))
    app.route("/logo.svg", (200, {"Content-Type": "image/svg+xml"}, "<svg/>"))
    app.route("/logo-2x.svg", (200, {"Content-Type": "image/svg+xml"}, "<svg/>"))
    if with_map:
        app.route("/site.css.map", (200, {"Content-Type": "application/json"}, "{}"))


def test_assets_all_load_with_their_content_types(app: App) -> None:
    serve_site(app)
    result = one(AssetsCheck(pages=["/"]), app)
    assert result.verdict is Verdict.PASS and result.seen == "5 assets load"


def test_an_asset_with_the_wrong_content_type_is_named(app: App) -> None:
    serve_site(app, css_type="text/plain")
    result = one(AssetsCheck(pages=["/"]), app)
    assert result.verdict is Verdict.FAIL and "/site.css: served as text/plain, expected text/css" in result.seen


def test_a_missing_asset_and_a_missing_declared_source_map_are_named(app: App) -> None:
    serve_site(app, with_map=False)
    del app.routes["GET", "/logo-2x.svg"]
    result = one(AssetsCheck(pages=["/"]), app)
    assert result.verdict is Verdict.FAIL
    assert "/logo-2x.svg: status 404" in result.seen and "/site.css.map: status 404" in result.seen


def test_a_stylesheet_a_stylesheet_imports_is_an_asset(app: App) -> None:
    app.route("/", (200, {}, '<link rel="stylesheet" href="/css/site.css">'))
    app.route("/css/site.css", (200, {"Content-Type": "text/css"}, '@import "theme.css";\n@import url(/gone.css);'))
    app.route("/css/theme.css", (200, {"Content-Type": "text/css"}, "b{}"))
    result = one(AssetsCheck(pages=["/"]), app)
    assert result.verdict is Verdict.FAIL and result.seen == "1 of 3 asset(s) broken: /gone.css: status 404"


def test_a_page_without_assets_is_inconclusive(app: App) -> None:
    app.route("/", (200, {}, "<html>plain</html>"))
    assert one(AssetsCheck(pages=["/"]), app).verdict is Verdict.INCONCLUSIVE


def test_page_performance_reports_the_load_time(app: App) -> None:
    serve_site(app)
    result = one(PageCheck(name="Homepage", path="/", budget_ms=5000), app)
    assert result.verdict is Verdict.PASS and result.seen.startswith("Homepage: ") and "5 assets" in result.seen
    assert one(PageCheck(path="/", budget_ms=1), app).verdict is Verdict.FAIL


def login_app(app: App, broken: str = "") -> None:
    """Log in (form POST → session cookie and a token), open the dashboard (cookie), call the API (token)."""
    def login(request: Request) -> tuple[int, dict[str, str], str]:
        if broken == "login" or request.form != {"user": "demo", "password": "secret"}:
            return 401, {}, "bad credentials"
        return 200, {"Set-Cookie": "session=s1; Path=/", "Content-Type": "application/json"}, '{"token": "t-42"}'

    app.route("/login", login, method="POST")
    app.route("/dashboard", lambda r: (200, {}, "Welcome back") if "session=s1" in r.headers.get("cookie", "")
              and broken != "dashboard" else (403, {}, "log in first"))
    app.route("/api/me", lambda r: (200, {"Content-Type": "application/json"}, '{"user": "demo"}')
              if r.headers.get("authorization") == "Bearer t-42" else (401, {}, "no token"))


FLOW = FlowCheck(name="sign-in path", steps=(
    FlowStep(name="log in", path="/login", method="POST", form={"user": "demo", "password": "secret"},
             capture={"token": "json:token"}),
    FlowStep(name="open dashboard", path="/dashboard", contains="Welcome back"),
    FlowStep(name="call the API", path="/api/me", headers={"Authorization": "Bearer {token}"},
             json={"user": "demo"})))


def test_a_critical_path_shares_its_session_and_captured_values(app: App) -> None:
    login_app(app)
    result = one(FLOW, app)
    assert result.verdict is Verdict.PASS and result.seen == "3 steps passed"


@pytest.mark.parametrize(("broken", "step"), [("login", "step 1/3 'log in'"),
                                              ("dashboard", "step 2/3 'open dashboard'")])
def test_a_broken_critical_path_names_the_step(app: App, broken: str, step: str) -> None:
    login_app(app, broken)
    result = one(FLOW, app)
    assert result.verdict is Verdict.FAIL and result.seen.startswith(f"{step} broke")


def test_a_flow_starts_logged_out_every_time(app: App) -> None:
    login_app(app)
    dashboard_only = FlowCheck(steps=(FlowStep(path="/dashboard", contains="Welcome back"),))
    assert one(FLOW, app).verdict is Verdict.PASS
    assert one(dashboard_only, app).verdict is Verdict.FAIL  # no cookie carried over from the other flow


def test_the_window_rolls_back_early_when_a_check_starts_failing(app: App) -> None:
    app.route("/", lambda r: (200, {}, "ok") if app.hits["/"] <= 3 else (500, {}, "boom"))
    policy = WindowPolicy(interval_s=0.02, duration_s=5)
    found = validate(app.url, [SmokeCheck(path="/")], policy, on_round=lambda n, results: None)
    assert found.decision.rollback and found.decision.outcome == "fail"
    assert len(found.rounds) == 4 and found.seconds < 2  # stopped at the first failure, not after 5 s


def test_the_window_passes_when_every_round_passes(app: App) -> None:
    app.route("/", (200, {}, "ok"))
    found = validate(app.url, [SmokeCheck(path="/")], WindowPolicy(interval_s=0.02, duration_s=0.2), lambda n, r: None)
    assert not found.decision.rollback and len(found.rounds) >= 5


def test_a_minor_check_that_fails_only_warns(app: App) -> None:
    app.route("/", (200, {}, "ok"))
    checks = [SmokeCheck(path="/"), SmokeCheck(path="/beta", severity="minor")]
    found = validate(app.url, checks, WindowPolicy(), lambda n, r: None)
    assert not found.decision.rollback and found.decision.warnings == [
        "/beta (minor): fail, 1 failed result(s), failure_limit 0"]


def test_assets_of_the_built_demo_served_by_nginx(tmp_path: Path, nginx) -> None:
    site = tmp_path / "site"
    import shutil

    shutil.copytree(REPO / "examples" / "demo-site", site)
    subprocess.run([sys.executable, "build.py"], cwd=site, check=True, capture_output=True)
    server = nginx(site / "dist")
    results = run_round(server.url(""), [AssetsCheck(pages=["/", "/about.html"]),
                                         PageCheck(name="Homepage", path="/", budget_ms=5000)], concurrency=2)
    assert [r.verdict for r in results] == [Verdict.PASS, Verdict.PASS]
    assert results[0].seen == "7 assets load"  # home: css, js, svg, 2 declared maps; about: css and its map


def test_notifications_reach_the_webhook_in_both_formats(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app.route("/hook", (200, {}, "ok"), method="POST")
    monkeypatch.setenv("HOOK_URL", f"{app.url}/hook")
    notes = Notifications((Variant("json", WebhookOptions(url_env="HOOK_URL")),
                           Variant("slack", WebhookOptions(url=f"{app.url}/hook", events=["rolled-back"]))))
    notes.emit(Event("started", "production", "1.2.0", "sha256:ab", "deploying"))
    notes.emit(Event("rolled-back", "production", "1.1.0", "sha256:cd", "restored"))
    notes.flush()
    got = sorted(b.get("event") or b["text"][:9] for b in (json.loads(r.body) for r in app.received))
    assert got == [":warning:", "rolled-back", "started"]


def test_a_webhook_that_is_down_is_reported_without_its_secret(capsys: pytest.CaptureFixture[str]) -> None:
    notes = Notifications((Variant("json", WebhookOptions(url="http://127.0.0.1:9/services/T0/SECRET", retries=1)),))
    notes.emit(Event("failed", "production", "1.2.0", "sha256:ab", "boom"))
    notes.flush()
    out = capsys.readouterr().out
    assert "failed to http://127.0.0.1 failed after 2 tries (ConnectionError)" in out and "SECRET" not in out


class _Misbehaving(SmokeCheck):
    """A check kind with a bug: `measure` raises, or answers with something that is not a CheckResult."""

    def __init__(self, outcome: object, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        object.__setattr__(self, "outcome", outcome)

    def measure(self, base_url, session):  # noqa: ANN001, ANN201 - the bug under test
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class _BadDescribe(_Misbehaving):
    def describe(self) -> str:
        raise RuntimeError("describe broke too")


@pytest.mark.parametrize(("check", "label", "said"), [
    (_Misbehaving(KeyError("title"), name="home"), "home", "raised KeyError: 'title'"),
    (_Misbehaving(ZeroDivisionError("division by zero"), path="/x"), "/x", "raised ZeroDivisionError: division"),
    (_Misbehaving(None, name="home"), "home", "returned NoneType, not a CheckResult"),
    (_Misbehaving("PASS", name="home"), "home", "returned str, not a CheckResult"),
    (_BadDescribe(ValueError("bad page"), path="/x"), "test_validation._BadDescribe", "raised ValueError: bad page"),
], ids=["key-error", "zero-division-unnamed", "returns-none", "returns-a-string", "describe-raises-too"])
def test_a_check_that_raises_is_an_error_result_naming_it_and_the_exception(app: App, check: SmokeCheck, label: str,
                                                                            said: str) -> None:
    result = one(check, app)
    assert result.verdict is Verdict.ERROR and label in result.name
    kind = f"{type(check).__module__}.{type(check).__qualname__}"
    assert said in result.seen and kind in result.seen and f"{kind} ({kind})" not in result.seen
    assert "bug in that check kind" in result.seen and result.severity == "critical"


class _Requesting(SmokeCheck):
    """A check kind written as the README shows: requests' own `session.get`, or the round's `session.fetch`,
    whose errors it lets through."""

    def measure(self, base_url, session):  # noqa: ANN001, ANN201 - as a plug-in writes it
        if self.method == "HEAD":
            session.fetch("GET", base_url + self.path, self.timeout_s)
        session.get(base_url + self.path, timeout=self.timeout_s)
        return self.result(Verdict.PASS, "an answer", "answered", 0.0)


@pytest.mark.parametrize(("method", "said"), [("GET", "no answer: ConnectionError: "),
                                              ("HEAD", "no answer: ConnectionError: [Errno 111] Connection refused")])
def test_a_check_whose_request_gets_no_answer_errors_as_the_release_s_fault_not_a_bug(method: str, said: str) -> None:
    refused = socket.socket()  # bound, never listening: every connection is refused
    refused.bind(("127.0.0.1", 0))
    with refused:
        result = run_round(f"http://127.0.0.1:{refused.getsockname()[1]}", [_Requesting(method=method, path="/")], 1)[0]
    assert result.verdict is Verdict.ERROR and result.seen.startswith(said), result.seen
    assert "bug" not in result.seen


def test_a_check_that_raises_is_retried_then_errors_and_the_window_rolls_back(app: App) -> None:
    app.route("/", lambda request: (200, {}, "ok"))
    check = _Misbehaving(RuntimeError("boom"), name="home", retries=2, retry_delay_s=0)
    found = validate(app.url, [check, SmokeCheck(path="/")], WindowPolicy(), lambda number, results: None,
                     sleep=lambda seconds: None)
    assert [r.verdict for r in found.latest] == [Verdict.ERROR, Verdict.PASS]
    assert found.decision.rollback and found.decision.reasons[0].startswith("home: error")


def test_ctrl_c_inside_a_check_is_not_turned_into_a_result(app: App) -> None:
    with pytest.raises(KeyboardInterrupt):
        one(_Misbehaving(KeyboardInterrupt()), app)
