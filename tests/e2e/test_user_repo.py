"""deploylib in a user's own repository: their deploy.toml, dodo.py copied unchanged, no demo."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, git, run_doit
from tests.deploytoml import COPY_SITE, WELCOME, check, local_environment, table

pytestmark = pytest.mark.slow

BUILD_AND_RELEASE = table("build", command=COPY_SITE, output="out") + table("release", push=False)
WELCOME_GATE = table("gate", tests="grep -q Welcome site/index.html")


def config(port: int = 0) -> str:
    """The gate, build and release, and production in ../live (served on `port` when given)."""
    return WELCOME_GATE + BUILD_AND_RELEASE + local_environment("production", "../live", port=port, confirm=False)


CONFIG = config()


def make_repo(root: Path, config: str) -> Path:
    (root / "site").mkdir(parents=True)
    (root / "site" / "index.html").write_text("<h1>Welcome</h1>")
    (root / "deploy.toml").write_text(config)
    (root / ".gitignore").write_text("out/\n")
    shutil.copy(REPO / "dodo.py", root / "dodo.py")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "config", "user.name", "Site Owner")
    git(root, "config", "user.email", "owner@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "feat: first page")
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "site", CONFIG)


def live_version(root: Path) -> str:
    line = run_doit(root, "status", "--json").stdout.splitlines()[-1]
    return json.loads(line)["environments"][0]["version"]


def test_the_same_tasks_deploy_a_users_repository(site: Path) -> None:
    result = run_doit(site, "deploy:production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome</h1>"
    assert live_version(site) == "0.1.0"  # first release: the default initial version
    assert git(site, "tag", "--list") == "v0.1.0"
    assert not (site / ".deploylib" / "demo").exists()


def test_a_failing_production_release_is_rolled_back_and_reported(site: Path) -> None:
    assert run_doit(site, "deploy:production").returncode == 0
    (site / "site" / "index.html").write_text("<h2>Welcome</h2>")  # passes the gate, fails the check
    git(site, "commit", "-qam", "fix: smaller heading")
    result = run_doit(site, "deploy:production")
    assert result.returncode == 4
    assert "0.1.0 (" in result.stderr and "is serving again and passes its checks" in result.stderr
    assert live_version(site) == "0.1.0"
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome</h1>"
    incident = json.loads(next((site / ".deploylib" / "incidents").glob("*-production.json")).read_text())
    assert incident["outcome"] == "rolled back" and incident["failed"]["version"] == "0.1.1"
    assert [c["name"] for c in incident["failed_checks"]] == ["home"]


def test_when_the_restored_release_fails_too_deploylib_escalates(site: Path) -> None:
    assert run_doit(site, "deploy:production").returncode == 0
    (site / "deploy.toml").write_text(CONFIG.replace("<h1>Welcome</h1>", "<h1>Welcome!</h1>"))
    (site / "site" / "robots.txt").write_text("User-agent: *\n")  # a new release, without the new heading either
    git(site, "add", "-A")
    git(site, "commit", "-qm", "fix: expect the new heading")  # ...which no release has
    result = run_doit(site, "deploy:production")
    assert result.returncode == 5
    assert result.stderr.startswith("✗ ESCALATION:") and "NOT healthy" in result.stderr
    assert "doit rollback --env production --to VERSION" in result.stderr
    incident = json.loads(next((site / ".deploylib" / "incidents").glob("*-production.json")).read_text())
    assert incident["outcome"].startswith("rollback failed")


def test_a_repository_with_only_a_release_section_can_release(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "lib", "[release]\npush = false\ninitial_version = \"1.0.0\"\n")
    result = run_doit(repo, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(repo, "tag", "--list") == "v1.0.0"
    assert run_doit(repo, "release").stdout.strip() == "-- gate\n-- release"


def test_a_broken_deploy_toml_is_one_clear_message_and_changes_nothing(site: Path) -> None:
    (site / "deploy.toml").write_text(CONFIG.replace('path = "/"', 'pth = "/"'))
    result = run_doit(site, "deploy:production")
    assert result.returncode == 3
    assert result.stderr.startswith("ERROR: deploy.toml: [environments.production.checks[0]] has an unknown key "
                                    '"pth". Did you mean "path"?')
    assert "Traceback" not in result.stderr
    assert not (site.parent / "live").exists()


def test_a_deploy_toml_syntax_error_names_the_line(site: Path) -> None:
    (site / "deploy.toml").write_text("[build\ncommand = 'x'\n")
    result = run_doit(site, "list")
    assert result.returncode == 3 and "deploy.toml is not valid TOML" in result.stderr and "line 1" in result.stderr


def test_environments_without_a_build_command_are_refused_up_front(site: Path) -> None:
    (site / "deploy.toml").write_text(CONFIG.replace('command = "rm', 'xcommand = "rm')
                                      .replace("xcommand", "# command"))
    result = run_doit(site, "deploy:production")
    assert result.returncode == 3 and "[build] command is missing" in result.stderr


def test_a_build_command_that_does_not_exist_fails_the_build_clearly(site: Path) -> None:
    (site / "deploy.toml").write_text(CONFIG.replace('rm -rf out && mkdir -p out && cp -R site/. out/',
                                                                     "no-such-build-tool --prod"))
    git(site, "commit", "-qam", "chore: new build tool")
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1
    assert "`no-such-build-tool --prod` could not be run: command not found (exit 127)" in result.stderr
    assert not (site.parent / "live").exists()


def test_failing_tests_stop_at_the_gate(site: Path) -> None:
    (site / "site" / "index.html").write_text("<h1>Hello</h1>")
    git(site, "commit", "-qam", "feat: new greeting")
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1 and "Gate failed: tests: `grep -q Welcome site/index.html` exited with code 1" \
        in result.stderr
    assert not (site / ".deploylib" / "build.json").exists()


def test_a_port_in_use_is_a_clear_error_and_the_live_release_stays(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        site = make_repo(tmp_path / "site", config(port))
        result = run_doit(site, "deploy:production")
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr and "port = 0" in result.stderr
    assert not (tmp_path / "live" / "current").exists()


class HeldOpen:
    """An HTTP server that answers "Welcome" at once, or, while `hold` is set, signals `arrived`
    and keeps the request open until `release` is set: a validation caught in the act."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.hold, self.arrived, self.release = threading.Event(), threading.Event(), threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                if outer.hold.is_set():
                    outer.arrived.set()
                    outer.release.wait(timeout=60)
                body = b"<h1>Welcome</h1>"
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except BrokenPipeError:
                    pass  # the client was terminated mid-request, as the test intends

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_sigterm_during_validation_puts_the_previous_release_back(tmp_path: Path) -> None:
    import signal
    import sys

    held = HeldOpen()
    try:
        config = CONFIG.replace('confirm = false', f'confirm = false\nurl = "{held.url}"')
        # the held request times out after 4 s, which is when the terminated process can exit
        site = make_repo(tmp_path / "site", config.replace('name = "home"', 'name = "home"\ntimeout_s = 4'))
        assert run_doit(site, "deploy:production").returncode == 0
        (site / "site" / "index.html").write_text("<h1>Welcome</h1><p>new</p>")
        git(site, "commit", "-qam", "feat: more text")
        held.hold.set()
        doit = subprocess.Popen([sys.executable, "-m", "doit", "deploy:production"], cwd=site, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert held.arrived.wait(timeout=120), "the deploy never started validating"
        doit.send_signal(signal.SIGTERM)  # as a cancelled CI job does, with 0.2.0 live and unvalidated
        out, err = doit.communicate(timeout=120)
    finally:
        held.close()
    assert doit.returncode == 130, out + err
    assert "Interrupted while deploying 0.2.0" in err and "0.1.0 (" in err and "Traceback" not in err
    assert live_version(site) == "0.1.0"
    with sqlite3.connect(site / ".deploylib" / "ledger.sqlite3") as db:
        rows = db.execute("SELECT action, version, status FROM entries ORDER BY id").fetchall()
    assert ("deploy", "0.2.0", "interrupted") in rows
    assert all(status != "running" for _, _, status in rows)


@pytest.mark.parametrize(("signum", "how"), [("SIGINT", "Ctrl-C"), ("SIGTERM", "SIGTERM")])
def test_a_signal_during_the_build_ends_the_run_with_130_and_its_json_result(tmp_path: Path, signum: str,
                                                                             how: str) -> None:
    import signal
    import sys
    import threading

    started = tmp_path / "build-started"
    os.mkfifo(started)
    config = CONFIG.replace(
        'command = "rm -rf out', f'command = "echo go > {started} && exec sleep 60 && rm -rf out')
    site = make_repo(tmp_path / "site", config)
    building = threading.Event()
    threading.Thread(target=lambda: (started.read_text(), building.set()), daemon=True).start()
    doit = subprocess.Popen([sys.executable, "-m", "doit", "deploy:production", "--json"], cwd=site, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert building.wait(timeout=120), "the build never started"
    doit.send_signal(getattr(signal, signum))
    out, err = doit.communicate(timeout=120)
    assert doit.returncode == 130, out + err
    assert "Traceback" not in err and f"Interrupted ({how}) during build" in err
    result = json.loads(out)
    assert (result["outcome"], result["exit_code"]) == ("interrupted", 130)
    assert git(site, "status", "--porcelain") == "" and git(site, "tag", "--list") == ""


def test_release_dry_run_prints_the_plan_and_writes_nothing(site: Path) -> None:
    git(site, "commit", "-q", "--allow-empty", "-m", "feat(ui): dark mode (#7)")
    before = git(site, "status", "--porcelain")
    result = run_doit(site, "release", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "next version: 0.1.0" in lines
    assert "- **ui:** dark mode (#7)" in result.stdout
    assert git(site, "tag", "--list") == "" and git(site, "status", "--porcelain") == before
    assert not (site / ".deploylib" / "build.json").exists() and not (site / "CHANGELOG.md").exists()


def test_release_with_an_explicit_version_builds_and_tags_that_version(site: Path) -> None:
    result = run_doit(site, "release", "--version", "2.0.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(site, "tag", "--list") == "v2.0.0"
    assert json.loads((site / ".deploylib" / "build.json").read_text())["version"] == "2.0.0"
    assert run_doit(site, "deploy:production").returncode == 0
    assert live_version(site) == "2.0.0"


def test_an_invalid_version_is_refused_before_anything_is_written(site: Path) -> None:
    result = run_doit(site, "release", "--version", "2.0")
    assert result.returncode == 3  # a malformed command line (README, Exit codes), refused before any task runs
    assert '--version "2.0" is not a semantic version; give MAJOR.MINOR.PATCH' in result.stderr
    assert git(site, "tag", "--list") == "" and not (site / ".deploylib" / "build.json").exists()


def with_origin(site: Path) -> Path:
    """A bare origin beside the repository, holding its branch as the upstream."""
    origin = site.parent / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    git(site, "remote", "add", "origin", str(origin))
    git(site, "push", "-q", "-u", "origin", "main")
    return origin


def test_a_deploy_publishes_the_github_release_with_the_deployed_artifact(tmp_path: Path, github) -> None:
    from tests.conftest import GITHUB_TOKEN

    site = make_repo(tmp_path / "site", CONFIG.replace(
        "push = false", f'[release.github]\nrepository = "acme/site"\napi_url = "{github.api_url}"'))
    with_origin(site)
    result = run_doit(site, "deploy:production", env={"GITHUB_TOKEN": GITHUB_TOKEN})
    assert result.returncode == 0, result.stdout + result.stderr
    assert GITHUB_TOKEN not in result.stdout + result.stderr
    tar = Path(json.loads((site / ".deploylib" / "build.json").read_text())["tar"])
    assert github.release_assets("v0.1.0") == {"site-0.1.0.tar": tar.read_bytes()}
    again = run_doit(site, "deploy:production", env={"GITHUB_TOKEN": GITHUB_TOKEN})
    assert again.stdout.splitlines() == ["-- gate", "-- build", "-- release", "-- deploy:production"]


def test_a_missing_token_stops_before_the_release_is_written(tmp_path: Path, github) -> None:
    site = make_repo(tmp_path / "site", CONFIG.replace(
        "push = false", f'[release.github]\nrepository = "acme/site"\napi_url = "{github.api_url}"'))
    with_origin(site)
    env = {name: "" for name in ("GITHUB_TOKEN", "GH_TOKEN")}
    result = run_doit(site, "deploy:production", env=env)
    assert result.returncode == 3 and "neither GITHUB_TOKEN nor GH_TOKEN is set" in result.stderr  # preflight
    assert git(site, "tag", "--list") == "" and not (tmp_path / "live").exists()


def deploylib(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run([sys.executable, "-m", "deploylib", *args], cwd=cwd, capture_output=True, text=True)


def test_deploylib_next_version_answers_without_doit(site: Path) -> None:
    assert deploylib(site, "next-version").stdout == "0.1.0\n"
    assert run_doit(site, "release").returncode == 0
    assert deploylib(site, "next-version").stdout == "none\n"
    git(site, "commit", "-q", "--allow-empty", "-m", "feat: more")
    assert deploylib(site, "next-version", "--prerelease", "rc").stdout == "0.2.0-rc.1\n"


def test_deploylib_reports_a_bad_configuration_like_doit(site: Path) -> None:
    (site / "deploy.toml").write_text("[release]\nbranch = 1\n")
    result = deploylib(site, "next-version")
    assert result.returncode == 3 and "[release] branch must be" in result.stderr and "Traceback" not in result.stderr


def test_a_build_over_its_size_budget_fails_before_anything_is_released(tmp_path: Path) -> None:
    config = CONFIG.replace('output = "out"', 'output = "out"\n[[build.budgets]]\nglob = "**/*.html"\n'
                                            'max = "10 B"\n')
    site = make_repo(tmp_path / "site", config)
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1
    assert ("Build gate failed: budget: **/*.html: 16 B / 10 B, over by 6 B (1 files); biggest: index.html 16 B"
            in result.stderr)
    assert git(site, "tag", "--list") == "" and not (tmp_path / "live").exists()


TWO_ENVS = (BUILD_AND_RELEASE + table("deploy", staging="test")
            + local_environment("test", "../test", check_name="", rollback=False)
            + local_environment("production", "../live", "Welcome", check_name="", confirm=False))


def test_promotion_refuses_a_digest_that_failed_validation_on_staging(tmp_path: Path) -> None:
    site = make_repo(tmp_path / "site", TWO_ENVS)
    assert run_doit(site, "deploy:test").returncode == 0
    (site / "site" / "index.html").write_text("<h2>Welcome</h2>")
    git(site, "commit", "-qam", "fix: smaller heading")
    assert run_doit(site, "deploy:test").returncode == 4  # stays live on test: rollback = false there
    result = run_doit(site, "promote")
    assert result.returncode == 1 and "has not passed validation there; it cannot be promoted" in result.stderr
    assert not (tmp_path / "live").exists()


def test_each_deploy_is_recorded_as_a_github_deployment(tmp_path: Path, github) -> None:
    from tests.conftest import GITHUB_TOKEN

    site = make_repo(tmp_path / "site", CONFIG.replace(
        "push = false", f'[release.github]\nrepository = "acme/site"\napi_url = "{github.api_url}"'))
    with_origin(site)
    env = {"GITHUB_TOKEN": GITHUB_TOKEN}
    assert run_doit(site, "deploy:production", env=env).returncode == 0
    (site / "site" / "index.html").write_text("<h2>Welcome</h2>")
    git(site, "commit", "-qam", "fix: smaller heading")
    assert run_doit(site, "deploy:production", env=env).returncode == 4
    assert github.deployment_states("production") == [
        ("v0.1.0", ["in_progress", "success"]), ("v0.1.1", ["in_progress", "failure", "inactive"])]


def test_a_warning_in_the_build_output_fails_the_build_when_asked(tmp_path: Path) -> None:
    config = CONFIG.replace('command = "rm -rf out',
                                            'command = "echo WARNING: legacy API used && rm -rf out')
    site = make_repo(tmp_path / "site", config.replace('output = "out"', 'output = "out"\nfail_on_warnings = true'))
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1
    assert "Build gate failed: warnings: 1 warning line(s): WARNING: legacy API used" in result.stderr
    assert not (tmp_path / "live").exists()


def command_target(url: str) -> str:
    """Production published by publish.py (a command target), checked at `url`."""
    target = {"type": "command", "deploy": "python3 publish.py"}
    return (BUILD_AND_RELEASE + table("environments.production", target=target, url=url, confirm=False)
            + check("production", path="/", contains=WELCOME))


PUBLISH_SCRIPT = """import os, shutil
shutil.rmtree("../served", ignore_errors=True)
shutil.copytree(os.environ["DEPLOY_DIR"], "../served")
print("published", os.environ["DEPLOY_VERSION"], os.environ["DEPLOY_DIGEST"][:19], "for", os.environ["DEPLOY_ENV"])
"""


def test_a_command_target_deploys_with_the_users_command_and_rolls_back_with_it(tmp_path: Path, app) -> None:
    served = tmp_path / "served"
    app.route("/", lambda request: (200, {}, (served / "index.html").read_text()))
    site = make_repo(tmp_path / "site", command_target(app.url))
    (site / "publish.py").write_text(PUBLISH_SCRIPT)
    git(site, "add", "-A")
    git(site, "commit", "-qm", "chore: publish script")
    first = run_doit(site, "deploy:production")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "│ published 0.1.0 sha256:" in first.stdout and "for production" in first.stdout  # streamed
    (site / "site" / "index.html").write_text("<h2>Welcome</h2>")
    git(site, "commit", "-qam", "fix: smaller heading")
    second = run_doit(site, "deploy:production")
    assert second.returncode == 4  # no rollback command: the deploy command ran again on 0.1.0's artifact
    assert second.stdout.count("│ published") == 2 and "│ published 0.1.0" in second.stdout
    assert (served / "index.html").read_text() == "<h1>Welcome</h1>"
    assert live_version(site) == "0.1.0"


def hand_made_current(site: Path) -> Path:
    """Someone points the target's `current` at a folder of their own, by hand."""
    handmade = site.parent / "handmade"
    handmade.mkdir()
    (handmade / "index.html").write_text("<h1>Welcome</h1><p>by hand</p>")
    live = site.parent / "live"
    (live / "current.tmp").symlink_to("../handmade")
    (live / "current.tmp").rename(live / "current")
    return handmade


def test_a_local_current_changed_by_hand_is_reported_refused_by_rollback_and_deployed_over(site: Path) -> None:
    assert run_doit(site, "deploy:production").returncode == 0
    hand_made_current(site)
    status = json.loads(run_doit(site, "status", "--json").stdout)["environments"][0]
    assert "current -> ../handmade, which is not a complete release deploylib made" in status["foreign"]
    refused = run_doit(site, "rollback", "--yes")
    assert refused.returncode == 1 and "A rollback would replace it" in refused.stderr, refused.stderr
    assert os.readlink(site.parent / "live" / "current") == "../handmade"
    (site / "site" / "index.html").write_text("<h1>Welcome</h1><p>new</p>")
    git(site, "commit", "-qam", "feat: new")
    deployed = run_doit(site, "deploy:production")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert live_version(site) == "0.2.0" and (site.parent / "handmade" / "index.html").exists()


def test_a_failed_deploy_over_a_hand_made_current_puts_it_back(site: Path) -> None:
    assert run_doit(site, "deploy:production").returncode == 0
    hand_made_current(site)
    (site / "site" / "index.html").write_text("<h2>Welcome</h2>")  # passes the gate, fails the check
    git(site, "commit", "-qam", "fix: smaller heading")
    result = run_doit(site, "deploy:production")
    assert result.returncode == 4, result.stdout + result.stderr
    assert os.readlink(site.parent / "live" / "current") == "../handmade"


def test_status_says_the_live_release_failed_its_validation(tmp_path: Path) -> None:
    site = make_repo(tmp_path / "site", CONFIG)
    (site / "site" / "index.html").write_text("<h2>Welcome</h2>")  # passes the gate, fails the check
    git(site, "commit", "-qam", "fix: a first page that fails")
    assert run_doit(site, "deploy:production").returncode == 5  # escalated: it stays live
    shown = run_doit(site, "status")
    assert "production serves 0.1.0, which failed its validation there: it is not healthy" in shown.stdout
    assert json.loads(run_doit(site, "status", "--json").stdout)["environments"][0]["failed_validation"] is True
    (site / "site" / "index.html").write_text("<h1>Welcome</h1>")
    git(site, "commit", "-qam", "fix: the welcome is back")
    assert run_doit(site, "deploy:production").returncode == 0
    assert "not healthy" not in run_doit(site, "status").stdout
    assert run_doit(site, "rollback", "--to", "0.1.0", "--force").returncode == 5  # restored by hand: bad again
    assert "production serves 0.1.0, which failed its validation there" in run_doit(site, "status").stdout


def test_status_shows_every_environment_when_one_target_cannot_say_what_is_live(tmp_path: Path) -> None:
    site = make_repo(tmp_path / "site", CONFIG + table("environments.publish", target={
        "type": "command", "deploy": "true", "live": "exit 3"}, url="http://127.0.0.1:9", confirm=False)
        + check("publish", path="/"))
    shown = run_doit(site, "status")
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "  production   not deployed" in shown.stdout and "  publish      unknown" in shown.stdout
    assert "publish: what it serves could not be read: The live command of publish failed" in shown.stdout
    assert "What publish serves could not be read" in shown.stderr and "Traceback" not in shown.stderr
    as_json = run_doit(site, "status", "--json")
    rows = {row["name"]: row for row in json.loads(as_json.stdout)["environments"]}  # the whole of stdout
    assert as_json.returncode == 1 and rows["production"]["unreadable"] == ""
    assert rows["publish"]["unreadable"].startswith("The live command of publish failed")
