"""Nothing is written until everything that can be checked has been checked: a refusal of the deploy that
the build record, the ledger or the target's state decides before the release stage stops the run before
anything is tagged or pushed (issue #11). A user's repository with a bare origin, run with doit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git, lock_held_by_another_process, run_doit
from tests.deploytoml import COPY_SITE, local_environment, table
from tests.e2e.test_user_repo import WELCOME_GATE, make_repo, with_origin

pytestmark = pytest.mark.slow

CONFIG = (WELCOME_GATE + table("build", command=COPY_SITE, output="out") + table("deploy", require_staging=True)
          + local_environment("test", "../live-test") + local_environment("production", "../live", confirm=False))



@pytest.fixture
def site(tmp_path: Path) -> Path:
    """v0.1.0 live and validated on test and production, pushed to origin."""
    repo = make_repo(tmp_path / "site", CONFIG)
    with_origin(repo)
    first = run_doit(repo, "deploy:production")
    assert first.returncode == 0, first.stdout + first.stderr
    return repo


def written(repo: Path) -> tuple[str, str, str, str]:
    """What a release writes: the local tags, HEAD's subject, every ref on origin, and the working tree's
    changes (the version files and changelog the build saw are put back by a refusal)."""
    return (git(repo, "tag", "--list"), git(repo, "log", "-1", "--format=%s"),
            git(repo, "ls-remote", str(repo.parent / "origin.git")), git(repo, "status", "--porcelain"))


def commit(repo: Path, path: str, text: str, message: str) -> None:
    (repo / path).write_text(text)
    git(repo, "add", path)
    git(repo, "commit", "-qm", message)
    git(repo, "push", "-q", "origin", "main")


def break_test(repo: Path) -> None:
    """v0.2.0 passes the gate and fails test's validation: its artifact is marked bad on test."""
    commit(repo, "site/index.html", "<h1>Welcome!</h1>", "feat: an excited welcome")
    failed = run_doit(repo, "deploy:production")
    assert failed.returncode == 4, failed.stdout + failed.stderr


@pytest.fixture
def held_lock(site: Path) -> Iterator[None]:
    """Another live process holds production's deploy lock (lock_wait_s is 0: a deploy would not wait)."""
    with lock_held_by_another_process(site.parent / "live" / ".deploy.lock"):
        yield


def test_a_rebuild_with_the_bytes_that_failed_validation_is_refused_before_the_tag(site: Path) -> None:
    break_test(site)
    commit(site, "NOTES.md", "notes", "fix: a note outside the site")  # a rebuild gives the same bytes
    before = written(site)
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failed validation on test before (doit history --env test says when" in result.stderr
    assert "Nothing was tagged or pushed" in result.stderr and "Traceback" not in result.stderr
    assert written(site) == before and "v0.2.1" not in before[0]


@pytest.mark.parametrize("command", [["release", "deploy:test"], ["deploy:test"], ["deploy"]])
def test_every_command_that_deploys_the_bad_bytes_refuses_before_the_tag(site: Path, command: list[str]) -> None:
    break_test(site)
    commit(site, "NOTES.md", "notes", "fix: a note outside the site")
    before = written(site)
    result = run_doit(site, *command, env={"DEPLOYLIB_YES": "1"})
    assert result.returncode == 1 and "failed validation on test before" in result.stderr, result.stderr
    assert written(site) == before


def test_a_lock_held_by_a_live_deploy_that_will_not_be_waited_for_is_refused_before_the_tag(
        site: Path, held_lock: None) -> None:
    commit(site, "site/index.html", "<h1>Welcome back</h1>", "feat: a warmer welcome")
    before = written(site)
    result = run_doit(site, "deploy:production")
    assert result.returncode == 7, result.stdout + result.stderr
    assert "lock_wait_s is 0, so deploy:production would not wait" in result.stderr
    assert "Nothing was tagged or pushed" in result.stderr and written(site) == before


def test_a_hotfix_that_has_not_passed_staging_is_refused_before_the_tag(site: Path) -> None:
    config = (site / "deploy.toml").read_text().replace("[gate]\n", "[gate]\nhotfix_waives = []\n")
    commit(site, "deploy.toml", config, "chore: hotfixes go through staging")
    commit(site, "site/index.html", "<h1>Welcome</h1><p>fixed</p>", "fix: the welcome")
    before = written(site)
    result = run_doit(site, "hotfix", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "has not passed validation on test, and require_staging is true. Nothing was tagged or pushed" \
        in result.stderr and "hotfix_waives" in result.stderr
    assert written(site) == before


def test_a_release_alone_deploys_nothing_and_is_not_refused(site: Path) -> None:
    break_test(site)
    commit(site, "NOTES.md", "notes", "fix: a note outside the site")
    result = run_doit(site, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "v0.2.1" in git(site, "tag", "--list").split()


def release_state(repo: Path) -> tuple[tuple[str, str, str, str], str]:
    """`written` and HEAD's commit."""
    return written(repo), git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("url", ["ssh://git@no-such-host.invalid/x.git", "https://no-such-host.invalid/x.git"])
def test_a_push_to_a_host_that_does_not_resolve_is_refused_before_the_tag(site: Path, url: str) -> None:
    commit(site, "site/index.html", "<h1>Welcome back</h1>", "feat: a warmer welcome")
    git(site, "remote", "set-url", "origin", url)
    before = release_state(site)
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f'to the remote "origin" ({url}), but git says it cannot' in result.stderr
    assert "Could not resolve host" in result.stderr and "git remote set-url origin URL" in result.stderr
    assert "Nothing was tagged or pushed" in result.stderr and "Traceback" not in result.stderr
    assert release_state(site) == before


def test_a_push_refused_by_a_protected_branch_leaves_no_tag_and_production_as_it_was(site: Path) -> None:
    commit(site, "site/index.html", "<h1>Welcome back</h1>", "feat: a warmer welcome")
    hook = site.parent / "origin.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = release_state(site)
    result = run_doit(site, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused by branch protection" in result.stderr and "v0.2.0 were taken back" in result.stderr
    assert "Traceback" not in result.stderr and release_state(site) == before
    status = json.loads(run_doit(site, "status", "--json").stdout)
    assert {env["name"]: env["version"] for env in status["environments"]} == {"test": "0.1.0",
                                                                               "production": "0.1.0"}
