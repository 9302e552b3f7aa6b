"""The validation issue's seed scenarios, end to end through doit: a healthy deploy passes; a deploy
whose auth flow is broken fails 2 of 5 smoke checks, rolls back, and production passes again."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, git, local_production, run_doit
from tests.deploytoml import check, table
from tests.fakes.app import App, Request

pytestmark = pytest.mark.slow

CHECKS = (check("production", name="home", path="/", contains="Welcome")
          + check("production", name="about", path="/about.html", contains="About")
          + check("production", name="log in", method="POST", path="/login",
                  headers={"Content-Type": "application/x-www-form-urlencoded"}, body="user=demo&password=secret",
                  contains="token")
          + check("production", name="dashboard", path="/dashboard", headers={"Cookie": "session=demo"},
                  contains="Dashboard")
          + check("production", name="status", path="/status", json={"ok": True}))
NOTIFY = table("[notify]", url_env="HOOK_URL")


def serve_the_live_release(app: App, current: Path) -> None:
    """The application: pages from the live release, and a login that works only if the release says so."""
    def page(name: str):  # noqa: ANN202
        return lambda request: (200, {}, (current / name).read_text()) if (current / name).exists() else (404, {}, "")

    def auth_enabled() -> bool:
        return json.loads((current / "auth.json").read_text())["enabled"]

    def login(request: Request) -> tuple[int, dict[str, str], str]:
        if auth_enabled() and request.form == {"user": "demo", "password": "secret"}:
            return 200, {"Content-Type": "application/json", "Set-Cookie": "session=demo"}, '{"token": "t"}'
        return 500, {}, "session store unavailable"

    app.route("/", page("index.html"))
    app.route("/about.html", page("about.html"))
    app.route("/login", login, method="POST")
    app.route("/dashboard", lambda r: (200, {}, "<h1>Dashboard</h1>") if auth_enabled() and
              r.headers.get("cookie") == "session=demo" else (403, {}, "forbidden"))
    app.route("/status", (200, {"Content-Type": "application/json"}, '{"ok": true}'))
    app.route("/hook", (204, {}, ""), method="POST")


@pytest.fixture
def shop(tmp_path: Path, app: App) -> Path:
    repo = tmp_path / "shop"
    (repo / "site").mkdir(parents=True)
    (repo / "site" / "index.html").write_text("<h1>Welcome to the shop</h1>")
    (repo / "site" / "about.html").write_text("<h1>About us</h1>")
    (repo / "site" / "auth.json").write_text('{"enabled": true}')
    (repo / ".gitignore").write_text("out/\n")
    shutil.copy(REPO / "dodo.py", repo / "dodo.py")
    write_config(repo, app)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "config", "user.name", "Shop")
    git(repo, "config", "user.email", "shop@example.invalid")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat: the shop")
    serve_the_live_release(app, tmp_path / "live" / "current")
    return repo


def write_config(repo: Path, app: App, extra: str = "") -> None:
    (repo / "deploy.toml").write_text(local_production(app.url) + CHECKS + extra + NOTIFY)


def deploy(repo: Path, app: App) -> subprocess.CompletedProcess[str]:
    return run_doit(repo, "deploy:production", env={"HOOK_URL": f"{app.url}/hook"})


def live(repo: Path) -> str:
    return json.loads(run_doit(repo, "status", "--json").stdout.splitlines()[-1])["environments"][0]["version"]


def events(app: App) -> list[str]:
    return [json.loads(r.body)["event"] for r in app.received if r.path == "/hook"]


def validations(repo: Path) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(repo / ".deploylib" / "ledger.sqlite3") as db:
        rows = db.execute("SELECT version, status, details FROM entries WHERE action = 'validate' ORDER BY id")
        return [(version, status, json.loads(details)) for version, status, details in rows]


def test_a_healthy_deploy_passes_every_check_and_notifies(shop: Path, app: App) -> None:
    result = deploy(shop, app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5/5 checks passed" in result.stdout
    assert events(app) == ["started", "succeeded"]
    version, status, details = validations(shop)[-1]
    assert (version, status, details["outcome"]) == ("0.1.0", "succeeded", "pass")
    assert [c["name"] for c in details["rounds"][0]] == ["home", "about", "log in", "dashboard", "status"]


def test_a_broken_auth_flow_fails_2_of_5_rolls_back_and_production_passes_again(shop: Path, app: App) -> None:
    assert deploy(shop, app).returncode == 0
    (shop / "site" / "auth.json").write_text('{"enabled": false}')
    git(shop, "commit", "-qam", "fix(auth): move sessions to the new store")
    result = deploy(shop, app)
    assert result.returncode == 4
    assert "failed validation on production (log in, dashboard) and was rolled back" in result.stderr
    assert live(shop) == "0.1.0"
    broken, restored = validations(shop)[-2:]
    assert [c["verdict"] for c in broken[2]["rounds"][0]] == ["pass", "pass", "fail", "fail", "pass"]
    assert (restored[0], restored[1]) == ("0.1.0", "succeeded")  # production passes again
    assert events(app) == ["started", "succeeded", "started", "failed", "rolled-back"]
    incident = json.loads(next((shop / ".deploylib" / "incidents").glob("*.json")).read_text())
    assert [c["name"] for c in incident["failed_checks"]] == ["log in", "dashboard"]
    assert incident["failed_checks"][0]["seen"].startswith("status 500")
    assert incident["commits"][0].endswith("fix(auth): move sessions to the new store")
    markdown = next((shop / ".deploylib" / "incidents").glob("*.md")).read_text()
    assert "## Commits in the failed release" in markdown and "## Why it was rolled back" in markdown


def test_a_failing_minor_check_keeps_the_release_and_says_so(shop: Path, app: App) -> None:
    write_config(shop, app, check("production", name="beta page", path="/beta", severity="minor"))
    git(shop, "commit", "-qam", "chore: watch the beta page")
    result = deploy(shop, app)
    assert result.returncode == 0, result.stderr
    assert "warning: beta page (minor): fail" in result.stdout and "1 warning(s)" in result.stdout
    assert live(shop) == "0.1.0" and events(app) == ["started", "degraded"]


def test_a_monitoring_window_catches_a_failure_after_the_first_round(shop: Path, tmp_path: Path, app: App) -> None:
    assert deploy(shop, app).returncode == 0
    new_release_answers = []  # the new release degrades after its first answer: a leak, a full queue

    def status(request: Request) -> tuple[int, dict[str, str], str]:
        if "v2" in (tmp_path / "live" / "current" / "index.html").read_text():
            new_release_answers.append(1)
            return 200, {"Content-Type": "application/json"}, json.dumps({"ok": len(new_release_answers) < 2})
        return 200, {"Content-Type": "application/json"}, '{"ok": true}'

    app.route("/status", status)
    write_config(shop, app, table("environments.production.validation", interval=0.05, duration=30))
    (shop / "site" / "index.html").write_text("<h1>Welcome to the shop v2</h1>")
    git(shop, "commit", "-qam", "feat: watch production for a while")
    result = deploy(shop, app)
    assert result.returncode == 4 and "(status)" in result.stderr
    assert "validate round 2" in result.stdout and live(shop) == "0.1.0"


def test_validate_by_hand_reports_without_switching(shop: Path, app: App) -> None:
    assert deploy(shop, app).returncode == 0
    assert run_doit(shop, "validate:production").returncode == 0
    app.route("/status", (503, {}, "down"))
    result = run_doit(shop, "validate:production")
    assert result.returncode == 4 and "doit rollback --env production" in result.stderr
    assert live(shop) == "0.1.0"


def test_a_failure_with_nothing_to_roll_back_to_escalates_with_a_critical_notification(shop: Path,
                                                                                        app: App) -> None:
    (shop / "site" / "auth.json").write_text('{"enabled": false}')
    git(shop, "commit", "-qam", "feat: launch with the new session store")
    result = deploy(shop, app)
    assert result.returncode == 5
    assert result.stderr.startswith("✗ ESCALATION:") and "rollback impossible" in result.stderr
    assert events(app) == ["started", "failed", "rollback-failed"]
    critical = [json.loads(r.body) for r in app.received if r.path == "/hook"][-1]
    assert critical["severity"] == "critical" and "Act by hand now" in critical["message"]
