"""`doit deploy:production` on the embedded default, end to end, as a user runs it in a fresh clone."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import requests

from tests.conftest import git, new_clone, require, run_doit

pytestmark = pytest.mark.slow
YES = {"DEPLOYLIB_YES": "1"}


def demo(root: Path) -> Path:
    return root / ".deploylib" / "demo"


def status(root: Path) -> dict[str, dict]:
    result = run_doit(root, "status", "--json")
    assert result.returncode == 0, result.stderr
    return {env["name"]: env for env in json.loads(result.stdout)["environments"]}


def ledger_rows(root: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(root / ".deploylib" / "ledger.sqlite3") as db:
        return db.execute("SELECT action, environment, version, status FROM entries ORDER BY id").fetchall()


def commit_in_app(root: Path, path: str, old: str, new: str, message: str) -> None:
    file = demo(root) / "app" / path
    file.write_text(file.read_text().replace(old, new))
    git(demo(root) / "app", "commit", "-qam", message)


def break_the_home_page(root: Path) -> None:
    """Commit a home page without the text its check wants (and keep the demo's own tests passing)."""
    commit_in_app(root, "src/index.html", "<h1>deploylib demo</h1>", "<h1>Oops</h1>", "fix: shorter heading")
    commit_in_app(root, "src/index.html", "<title>deploylib demo", "<title>Oops", "fix: shorter title")
    commit_in_app(root, "tests/test_site.py", '"deploylib demo"', '"Oops"', "test: follow the heading")


def deploy_demo(root: Path) -> Path:
    result = run_doit(root, "deploy:production", env=YES)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture
def deployed(workspace: Path) -> Path:
    """A clone whose demo is deployed to test and production, for a test that changes it."""
    return deploy_demo(workspace)


@pytest.fixture(scope="module")
def shared_deploy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clone whose demo is deployed, shared by the tests of this module that only read it (a deploy
    takes seconds). A test that commits, deploys, rolls back or edits a file uses `deployed`."""
    return deploy_demo(new_clone(tmp_path_factory.mktemp("shared")))


def test_a_fresh_clone_deploys_the_demo_and_production_serves_it(shared_deploy: Path, nginx) -> None:
    server = nginx(demo(shared_deploy) / "targets" / "production" / "current")
    page = requests.get(server.url("/"), timeout=5)
    assert page.status_code == 200 and "deploylib demo" in page.text and "Release 1.1.0" in page.text
    assert requests.get(server.url("/about.html"), timeout=5).status_code == 200
    assert requests.get(server.url("/css/site.min.css"), timeout=5).headers["content-type"] == "text/css"


def test_the_report_shows_every_stage_and_a_summary(workspace: Path) -> None:
    require("chromium")  # production's browser check runs where Chromium is (the demo leaves it out elsewhere)
    out = run_doit(workspace, "deploy:production", env=YES).stdout
    for line in ["✓ gate clean tree", "✓ gate release branch", "✓ gate tests", "✓ version", "✓ build",
                 "✓ release", "✓ release push", "✓ deploy:test", "✓ switch:test", "✓ validate home page",
                 "✓ confirm                confirmed by DEPLOYLIB_YES=1", "✓ deploy:production",
                 "✓ validate home page in a browser", "home page in a browser: LCP ",
                 "deployed   1.1.0", "status     live and validated: 6/6 checks passed",
                 "rollback   doit rollback --env production"]:
        assert line in out
    assert out.index("✓ deploy:test") < out.index("✓ confirm") < out.index("✓ deploy:production")


def test_running_it_again_runs_no_stage(shared_deploy: Path) -> None:
    result = run_doit(shared_deploy, "deploy:production", env=YES)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["-- gate", "-- build", "-- release", "-- deploy:test",
                                          "-- deploy:production"]


HEAVY = ("wcmatch", "playwright", "git", "jinja2", "semver", "requests", "tarfile", "junitparser", "tomlkit",
         "tinycss2")


def test_running_it_again_loads_none_of_the_libraries_only_a_stage_needs(shared_deploy: Path) -> None:
    """The no-op re-run stays fast: GitPython, Jinja2, semver, requests, Playwright, wcmatch, tinycss2 and tarfile are
    imported only where a stage does work (each costs 5-190 ms to import)."""
    listing = ("import atexit, sys; from doit.doit_cmd import DoitMain; from doit.cmd_base import DodoTaskLoader; "
               "atexit.register(lambda: print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)); "
               "sys.argv = ['doit', 'deploy:production']; sys.exit(DoitMain(DodoTaskLoader()).run(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", listing], cwd=shared_deploy, capture_output=True, text=True,
                            env={**os.environ, **YES}, stdin=subprocess.DEVNULL, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stderr.rpartition("MODULES ")[2].split())
    assert "deploylib.tasks" in loaded and sorted(loaded & set(HEAVY)) == []


def test_test_and_production_run_the_same_artifact_and_the_release_is_tagged(shared_deploy: Path) -> None:
    envs = status(shared_deploy)
    assert envs["test"]["digest"] == envs["production"]["digest"]
    assert envs["production"]["version"] == "1.1.0" and envs["production"]["digest"].startswith("sha256:")
    origin = demo(shared_deploy) / "origin.git"
    assert git(origin, "rev-parse", "v1.1.0^{commit}") == git(demo(shared_deploy) / "app", "rev-parse", "HEAD")
    assert "## [1.1.0]" in (demo(shared_deploy) / "app" / "CHANGELOG.md").read_text()


def test_status_json_is_the_whole_of_stdout(shared_deploy: Path) -> None:
    out = run_doit(shared_deploy, "status", "--json").stdout
    production = next(e for e in json.loads(out)["environments"] if e["name"] == "production")
    assert set(production) >= {"name", "version", "digest", "commit", "deployed_at"}
    assert len(production["commit"]) == 40


def test_history_lists_the_ledger_newest_first(shared_deploy: Path) -> None:
    entries = json.loads(run_doit(shared_deploy, "history", "--json").stdout)["entries"]  # the whole of stdout
    assert [(e["action"], e["environment"], e["status"]) for e in entries] == [
        ("validate", "production", "succeeded"), ("deploy", "production", "succeeded"),
        ("validate", "test", "succeeded"), ("deploy", "test", "succeeded")]
    assert all(e["digest"].startswith("sha256:") and e["finished_at"] and e["duration"] >= 0 for e in entries)


def test_a_bare_doit_only_shows_status_and_never_deploys(workspace: Path) -> None:
    result = run_doit(workspace)
    assert result.returncode == 0 and "status" in result.stdout
    assert not (demo(workspace) / "targets").exists()


def test_doit_list_shows_the_workflow(workspace: Path) -> None:
    listing = run_doit(workspace, "list").stdout
    names = [line.split()[0] for line in listing.splitlines()]
    assert names == ["break-demo", "build", "changelog", "deploy", "gate", "history", "hotfix", "promote", "release",
                     "releases", "rollback", "status", "unlock", "validate"]
    assert "deploy:test, deploy:production" in listing and "validate:test, validate:production" in listing
    assert "configured gates waived, tests and validation always run\n" in listing
    subtasks = run_doit(workspace, "list", "--all").stdout
    for name in ["deploy:test", "deploy:production", "validate:test", "validate:production", "unlock:production"]:
        assert name in subtasks


def test_the_demos_releases_listing_says_it_is_the_demo_and_how_to_start_on_a_site(workspace: Path) -> None:
    result = run_doit(workspace, "releases:production")
    assert result.returncode == 0 and "! demo" in result.stdout and "run deploylib init there" in result.stdout
    assert "keeps no release of production yet" in result.stdout


def test_a_broken_home_page_fails_validation_and_is_rolled_back(deployed: Path) -> None:
    before = status(deployed)
    break_the_home_page(deployed)
    result = run_doit(deployed, "deploy:production", env=YES)
    assert result.returncode == 4
    assert "failed validation on test (home page) and was rolled back" in result.stderr
    after = status(deployed)
    assert after["production"] == before["production"]  # production never saw the broken release
    assert after["test"]["digest"] == before["test"]["digest"]  # test serves the previous release again
    incidents = sorted((deployed / ".deploylib" / "incidents").glob("*-test.md"))
    assert len(incidents) == 1
    report = incidents[0].read_text()
    assert "home page | fail" in report and "body lacks 'deploylib demo'" in report and "rolled back" in report
    assert ledger_rows(deployed)[-4:] == [("deploy", "test", "1.1.1", "rolled-back"),
                                          ("validate", "test", "1.1.1", "failed"),
                                          ("rollback", "test", "1.1.0", "succeeded"),
                                          ("validate", "test", "1.1.0", "succeeded")]


def test_a_release_that_failed_is_not_deployed_again(deployed: Path) -> None:
    break_the_home_page(deployed)
    assert run_doit(deployed, "deploy:production", env=YES).returncode == 4
    again = run_doit(deployed, "deploy:production", env=YES)
    assert again.returncode == 1 and "will not deploy it there again" in again.stderr


def test_a_good_change_is_promoted_and_doit_rollback_restores_the_previous_release(deployed: Path) -> None:
    commit_in_app(deployed, "src/index.html", "Hello.", "Hello there.", "feat: warmer greeting")
    assert run_doit(deployed, "deploy:production", env=YES).returncode == 0
    assert status(deployed)["production"]["version"] == "1.2.0"
    result = run_doit(deployed, "rollback", "--yes")
    assert result.returncode == 0, result.stderr
    assert "rolled back production to 1.1.0" in result.stdout.replace("  ", " ")
    assert status(deployed)["production"]["version"] == "1.1.0"
    assert status(deployed)["test"]["version"] == "1.2.0"  # only production was rolled back
    assert ledger_rows(deployed)[-2:] == [("rollback", "production", "1.1.0", "succeeded"),
                                          ("validate", "production", "1.1.0", "succeeded")]


def test_rollback_to_a_named_version_of_another_environment(deployed: Path) -> None:
    commit_in_app(deployed, "src/index.html", "Hello.", "Hello there.", "feat: warmer greeting")
    assert run_doit(deployed, "deploy:production", env=YES).returncode == 0
    assert run_doit(deployed, "rollback", "--env", "test", "--to", "1.1.0").returncode == 0
    assert status(deployed)["test"]["version"] == "1.1.0"
    missing = run_doit(deployed, "rollback", "--env", "test", "--to", "0.9.0")
    assert missing.returncode == 1 and "holds no release 0.9.0" in missing.stderr and "1.2.0" in missing.stderr


def test_production_is_not_deployed_without_confirmation_and_no_terminal(workspace: Path) -> None:
    result = run_doit(workspace, "deploy:production")
    assert result.returncode == 6
    assert "no terminal to ask on" in result.stderr and "--yes" in result.stderr and "DEPLOYLIB_YES=1" in result.stderr
    envs = status(workspace)  # asked before the first task: not even test was deployed
    assert envs["test"]["version"] == "" and envs["production"]["version"] == ""


def test_the_yes_option_confirms(workspace: Path) -> None:
    assert run_doit(workspace, "deploy:production", "--yes").returncode == 0
    assert status(workspace)["production"]["version"] == "1.1.0"


def deploy_on_a_terminal(root: Path, answer: str) -> int:
    """Run `doit deploy:production` on a real pty, answer its prompt, and return the exit status."""
    child = pexpect.spawn(sys.executable, ["-m", "doit", "deploy:production"], cwd=str(root), encoding="utf-8",
                          timeout=120)
    child.expect_exact("This run deploys to production. Proceed? [Y/n]")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)


def test_on_a_terminal_production_asks_and_no_means_no(workspace: Path) -> None:
    assert deploy_on_a_terminal(workspace, "n") == 6
    assert status(workspace)["production"]["version"] == ""


def test_on_a_terminal_enter_means_yes(workspace: Path) -> None:
    assert deploy_on_a_terminal(workspace, "") == 0
    assert status(workspace)["production"]["version"] == "1.1.0"


def test_a_dirty_tree_stops_at_the_gate_and_nothing_changes(deployed: Path) -> None:
    before = status(deployed)
    (demo(deployed) / "app" / "src" / "index.html").write_text("uncommitted")
    result = run_doit(deployed, "deploy:production", env=YES)
    assert result.returncode == 1
    assert "Gate failed: clean tree: uncommitted changes: src/index.html" in result.stderr
    assert status(deployed) == before


def test_a_corrupt_artifact_is_refused_and_nothing_live_changes(deployed: Path) -> None:
    before = status(deployed)
    commit_in_app(deployed, "src/index.html", "Hello.", "Hi.", "feat: shorter greeting")
    assert run_doit(deployed, "build").returncode == 0
    record = json.loads((deployed / ".deploylib" / "build.json").read_text())
    tar = Path(record["tar"])
    tar.write_bytes(tar.read_bytes()[:-2048])
    result = run_doit(deployed, "deploy:production", env=YES)
    assert result.returncode == 1 and "is corrupt" in result.stderr and "Traceback" not in result.stderr
    assert status(deployed) == before


def test_a_held_lock_refuses_the_deploy_naming_the_holder(deployed: Path) -> None:
    import subprocess

    commit_in_app(deployed, "src/index.html", "Hello.", "Hi.", "feat: shorter greeting")
    lock = demo(deployed) / "targets" / "test" / ".deploy.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys; from pathlib import Path; from deploylib.state.lock import FileLock, LockHolder\n"
        f"with FileLock(Path({str(lock)!r})).hold(LockHolder.me('deploy', '7.7.7'), 0):\n"
        "    print('held', flush=True); sys.stdin.read()")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        result = run_doit(deployed, "deploy:production", env=YES)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 7 and "is locked by deploy of 7.7.7" in result.stderr


def test_promote_deploys_the_artifact_validated_on_test_without_rebuilding(deployed: Path) -> None:
    commit_in_app(deployed, "src/index.html", "Hello.", "Hello there.", "feat: warmer greeting")
    assert run_doit(deployed, "deploy:test").returncode == 0
    envs = status(deployed)
    assert envs["test"]["version"] == "1.2.0" and envs["production"]["version"] == "1.1.0"
    result = run_doit(deployed, "promote", "--yes")
    assert result.returncode == 0, result.stderr
    assert ".  build" not in result.stdout and "validated there; no rebuild" in result.stdout
    assert status(deployed)["production"]["digest"] == envs["test"]["digest"]


def test_a_hotfix_goes_straight_to_production_with_tests_and_validation(deployed: Path) -> None:
    commit_in_app(deployed, "src/index.html", "Hello.", "Hello, again.", "feat: new greeting")
    result = run_doit(deployed, "hotfix", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "waiving review, staging; tests and validation still run" in out
    assert "gate tests" in out and "waived for this hotfix (not validated on test)" in out
    assert "1.1.0 → 1.1.1 (patch: hotfix)" in out and "[HOTFIX]" in out
    envs = status(deployed)
    assert envs["production"]["version"] == "1.1.1" and envs["test"]["version"] == "1.1.0"
    assert ledger_rows(deployed)[-2][:2] == ("deploy", "production")
    with sqlite3.connect(deployed / ".deploylib" / "ledger.sqlite3") as db:
        details = db.execute("SELECT details FROM entries WHERE action='deploy' ORDER BY id DESC LIMIT 1").fetchone()
    assert json.loads(details[0])["hotfix"] is True


def test_a_hotfix_never_waives_the_tests(deployed: Path) -> None:
    commit_in_app(deployed, "tests/test_site.py", '"deploylib demo"', '"not on the page"', "fix: urgent")
    result = run_doit(deployed, "hotfix", "--yes")
    assert result.returncode == 1 and "Gate failed: tests:" in result.stderr
    assert status(deployed)["production"]["version"] == "1.1.0"


def test_a_deploy_of_what_already_runs_says_so_and_changes_nothing(deployed: Path) -> None:
    rows = ledger_rows(deployed)
    assert run_doit(deployed, "forget", "deploy:production").returncode == 0  # make doit run the task anyway
    result = run_doit(deployed, "deploy:production", env=YES)
    assert result.returncode == 0 and "nothing new: 1.1.0-" in result.stdout and "not deploying" in result.stdout
    assert ledger_rows(deployed) == rows


def readme_recipe() -> list[str]:
    """The commands of the README's rollback recipe, exactly as written there."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("<!-- rollback recipe -->", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readmes_rollback_recipe_shows_a_rollback(deployed: Path) -> None:
    import subprocess

    before = status(deployed)
    commands = readme_recipe()
    assert 1 <= len(commands) <= 2
    results = [subprocess.run(command, shell=True, cwd=deployed, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL) for command in commands]
    assert [r.returncode for r in results] == [0] * (len(commands) - 1) + [4], results[-1].stdout
    assert "✓ gate tests" in results[-1].stdout  # the demo's own tests pass: only the live checks see it
    assert "failed validation on test (about page) and was rolled back" in results[-1].stderr
    after = status(deployed)
    assert after["test"]["digest"] == before["test"]["digest"] and after["production"] == before["production"]
    assert len(list((deployed / ".deploylib" / "incidents").glob("*-test.md"))) == 1


def test_the_rollback_recipe_followed_again_shows_a_rollback_again(deployed: Path) -> None:
    for release in ("1.1.1", "1.1.2"):
        broken = run_doit(deployed, "break-demo")
        assert broken.returncode == 0, broken.stdout + broken.stderr
        result = run_doit(deployed, "deploy:production", env=YES)
        assert result.returncode == 4, result.stdout + result.stderr
        assert f"→ {release}-" in result.stdout and "✓ gate tests" in result.stdout
        assert "failed validation on test (about page) and was rolled back" in result.stderr
    assert status(deployed)["test"]["version"] == "1.1.0"
    assert len(list((deployed / ".deploylib" / "incidents").glob("*-test.md"))) == 2


def test_break_demo_before_the_first_deploy_says_to_deploy_first(workspace: Path) -> None:
    result = run_doit(workspace, "break-demo")
    assert result.returncode == 1 and "Deploy the demo first" in result.stderr


def test_the_demo_says_it_is_the_demo(workspace: Path) -> None:
    notice = "this is deploylib's embedded demo"
    assert notice in run_doit(workspace, "deploy:test").stdout
    assert notice in run_doit(workspace, "status").stdout
    assert notice not in run_doit(workspace, "status", "--json").stdout


def test_next_version_in_the_demo_answers_and_says_it_is_the_demo(workspace: Path) -> None:
    import subprocess

    result = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=workspace, capture_output=True,
                            text=True)
    assert (result.returncode, result.stdout) == (0, "1.1.0\n"), result.stderr
    assert "embedded demo" in result.stderr and "git is not installed" not in result.stderr


@pytest.mark.parametrize("name", ["deploy.tml", "deploy.yaml", "Deploy.toml", "deploy.toml.txt", "deplyo.toml",
                                  "config/deploy.toml", ".github/deploy.toml", ".deploylib.toml",
                                  "apps/web/deploy.toml", "docs/site/deploy.toml"])
def test_a_misnamed_config_file_is_named_and_the_demo_is_not_deployed(workspace: Path, name: str) -> None:
    (workspace / name).parent.mkdir(parents=True, exist_ok=True)
    (workspace / name).write_text("[release]\npush = false\n")
    result = run_doit(workspace, "deploy:production", env=YES)
    assert result.returncode == 3
    assert f"There is no deploy.toml in {workspace}, but there is {name}" in result.stderr
    assert not demo(workspace).exists()


@pytest.mark.parametrize("table", ["tool.deploy", "tools.deploylib", "deploylib", "Tool.deploylib"])
def test_a_misnamed_deploylib_table_in_pyproject_is_named(workspace: Path, table: str) -> None:
    (workspace / "pyproject.toml").write_text(f'[project]\nname = "site"\n[{table}.release]\npush = false\n')
    result = run_doit(workspace, "deploy:production", env=YES)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"pyproject.toml has [{table}] but no [tool.deploylib]: did you mean [tool.deploylib]?" in result.stderr
    assert not demo(workspace).exists()


def release_1_2_0(root: Path) -> None:
    commit_in_app(root, "src/index.html", "Hello.", "Hello there.", "feat: warmer greeting")
    assert run_doit(root, "deploy:production", env=YES).returncode == 0


def test_a_rollback_without_a_terminal_says_to_rerun_doit_rollback_yes(deployed: Path) -> None:
    release_1_2_0(deployed)
    result = run_doit(deployed, "rollback")
    assert result.returncode == 6
    assert "(doit rollback --yes)" in result.stderr and "deploy:production" not in result.stderr
    assert status(deployed)["production"]["version"] == "1.2.0"


def test_a_promotion_without_a_terminal_says_to_rerun_doit_promote_yes(deployed: Path) -> None:
    commit_in_app(deployed, "src/index.html", "Hello.", "Hello there.", "feat: warmer greeting")
    assert run_doit(deployed, "deploy:test").returncode == 0
    result = run_doit(deployed, "promote")
    assert result.returncode == 6 and "Re-run as doit promote --yes" in result.stderr


def test_a_rollback_to_a_release_marked_bad_is_refused_naming_its_incident_unless_forced(deployed: Path) -> None:
    assert run_doit(deployed, "break-demo").returncode == 0
    assert run_doit(deployed, "deploy:test").returncode == 4  # 1.1.1 fails on test: marked bad there
    refused = run_doit(deployed, "rollback", "--env", "test", "--to", "1.1.1")
    assert refused.returncode == 1
    incident = next((deployed / ".deploylib" / "incidents").glob("*-test.md"))
    assert "is marked bad on test" in refused.stderr and str(incident) in refused.stderr
    assert "about page: fail" in refused.stderr and "doit rollback --env test --to 1.1.1 --force" in refused.stderr
    assert "doit releases:test lists them" in refused.stderr  # the releases --to can pick, as the target keeps them
    assert status(deployed)["test"]["version"] == "1.1.0"
    forced = run_doit(deployed, "rollback", "--env", "test", "--to", "1.1.1", "--force")
    assert forced.returncode == 5  # restored as told, and it fails its checks, as the refusal warned
    assert "doit releases:test lists them" in forced.stderr
    assert status(deployed)["test"]["version"] == "1.1.1"
