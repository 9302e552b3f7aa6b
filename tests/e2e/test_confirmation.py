"""Production confirmation is settled before the first task runs: without a terminal (and without --yes
or DEPLOYLIB_YES=1) nothing is gated, built, tagged, pushed or deployed, not even the test environment;
on a terminal it is asked once, before the gate."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import git, run_doit
from tests.deploytoml import COPY_SITE, local_environment, table
from tests.e2e.test_user_repo import WELCOME_GATE, make_repo, with_origin

pytestmark = pytest.mark.slow

# test (no confirmation) then production (confirm by default), pushing to a bare origin
TWO_ENVIRONMENTS = (WELCOME_GATE + table("build", command=COPY_SITE, output="out") + table("release", push=True)
                    + table("deploy", require_staging=True, staging="test")
                    + local_environment("test", "../test", "Welcome", check_name="")
                    + local_environment("production", "../live"))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "site", TWO_ENVIRONMENTS)
    with_origin(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "fix: something to release")
    return repo


def nothing_happened(repo: Path) -> None:
    """No tag here or on origin, no build, no environment touched, no ledger."""
    assert git(repo, "tag", "--list") == "" and git(repo.parent / "origin.git", "tag", "--list") == ""
    assert not (repo / ".deploylib" / "build.json").exists()
    assert not (repo.parent / "test").exists() and not (repo.parent / "live").exists()
    assert not (repo / ".deploylib" / "ledger.sqlite3").exists()


@pytest.mark.parametrize(("command", "rerun"), [
    (["deploy:production"], "doit deploy:production --yes"),
    (["deploy"], "DEPLOYLIB_YES=1 doit deploy"),  # the group: production reached as a subtask
    (["release", "deploy:production"], "doit release deploy:production --yes"),
    (["hotfix"], "doit hotfix --yes"),
    (["promote"], "doit promote --yes"),
    (["deploy:production", "history"], "doit deploy:production --yes history"),
], ids=["deploy-production", "deploy-group", "release-then-deploy", "hotfix", "promote", "with-a-read-task"])
def test_without_a_terminal_nothing_runs_at_all(site: Path, command: list[str], rerun: str) -> None:
    result = run_doit(site, *command)
    assert result.returncode == 6, result.stdout + result.stderr
    assert "no terminal to ask on" in result.stderr and f"Re-run as {rerun}" in result.stderr
    assert "gate" not in result.stdout and "Traceback" not in result.stderr
    nothing_happened(site)


def test_a_production_environment_named_by_env_is_confirmed_too(site: Path) -> None:
    config = (site / "deploy.toml").read_text().replace('path = "../test" }', 'path = "../test" }\nconfirm = true')
    (site / "deploy.toml").write_text(config)
    git(site, "commit", "-qam", "fix: ask before test too")
    result = run_doit(site, "hotfix", "--env", "test")
    assert result.returncode == 6 and "releases a HOTFIX and deploys it to test" in result.stderr
    nothing_happened(site)


@pytest.mark.parametrize(("args", "env", "how"), [
    (["deploy:production", "--yes"], {}, "confirmed by --yes"),
    (["deploy:production"], {"DEPLOYLIB_YES": "1"}, "confirmed by DEPLOYLIB_YES=1"),
], ids=["yes", "environment-variable"])
def test_confirmed_without_a_terminal_the_run_goes_through(site: Path, args: list[str], env: dict[str, str],
                                                           how: str) -> None:
    result = run_doit(site, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("confirm ") == 1 and how in result.stdout
    assert git(site, "tag", "--list") == "v0.1.0"


def on_a_terminal(repo: Path, *args: str) -> pexpect.spawn:
    """`doit ARGS` on a real pseudo-terminal, waiting at the confirmation prompt."""
    child = pexpect.spawn(sys.executable, ["-m", "doit", *args], cwd=str(repo), encoding="utf-8", timeout=120,
                          env={**os.environ, "DEPLOYLIB_YES": ""})
    child.expect_exact("This run deploys to production. Proceed? [Y/n]")
    return child


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus), child.before


def test_on_a_terminal_the_prompt_comes_before_the_gate_and_nothing_is_tagged_meanwhile(site: Path) -> None:
    child = on_a_terminal(site, "deploy:production")
    assert "gate" not in child.before  # the prompt is the first thing the run does
    nothing_happened(site)
    child.sendline("n")
    assert finish(child)[0] == 6


def test_on_a_terminal_no_leaves_nothing(site: Path) -> None:
    child = on_a_terminal(site, "release", "deploy:production")
    child.sendline("n")
    code, said = finish(child)
    assert code == 6 and "Not confirmed: nothing was gated, built, tagged, pushed or deployed." in said
    nothing_happened(site)


def test_on_a_terminal_ctrl_c_at_the_prompt_leaves_nothing_and_exits_130(site: Path) -> None:
    child = on_a_terminal(site, "deploy:production")
    child.sendintr()
    code, said = finish(child)
    assert code == 130 and "Traceback" not in said
    assert "Interrupted before the run started: nothing was gated, built, tagged, pushed or deployed." in said
    nothing_happened(site)


def test_on_a_terminal_yes_is_asked_once_and_deploys(site: Path) -> None:
    child = on_a_terminal(site, "deploy:production")
    child.sendline("y")
    code, said = finish(child)
    assert code == 0, said
    assert "Proceed?" not in said and "confirmed on the terminal" in said  # not asked again by the deploy
    assert git(site, "tag", "--list") == "v0.1.0" and (site.parent / "live" / "current").exists()


def test_with_stdout_in_a_file_the_question_is_on_the_terminal_and_the_file_holds_the_json(site: Path) -> None:
    result = site.parent / "result.json"
    child = pexpect.spawn("/bin/sh", ["-c", f"{sys.executable} -m doit deploy:production --json > {result}"],
                          cwd=str(site), encoding="utf-8", timeout=120, env={**os.environ, "DEPLOYLIB_YES": ""})
    child.expect_exact("This run deploys to production. Proceed? [Y/n]")  # seen, not written into the file
    child.sendline("n")
    assert finish(child)[0] == 6
    assert json.loads(result.read_text())["outcome"] == "failed"  # the whole file: one object
    nothing_happened(site)
