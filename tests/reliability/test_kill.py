"""SIGKILL anywhere in deploy, release and rollback, on a local folder and a GitHub Pages branch:
after the next command, every invariant of harness.check_invariants holds (issue 12, row 1).

Named crash points (deploylib/crash.py) kill a run at each step that matters; random-moment trials
kill the whole process group after a seeded random delay, and assert the same invariants.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.app import App
from tests.reliability.harness import Site, check_invariants, make_site, no_traceback, trials

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

KINDS = ["local", "pages"]


@pytest.fixture(params=KINDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    app = App().start()
    try:
        yield make_site(tmp_path, request.param, app)
    finally:
        app.stop()


def next_deploy_restores_the_invariants(site: Site, before: str) -> None:
    done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 0, done.stdout + done.stderr
    check_invariants(site, before)


@pytest.mark.parametrize("point", ["build:moved-in", "build:packed", "release:edited", "release:committed",
                                   "deploy:uploaded", "deploy:switched"])
def test_a_deploy_killed_at_any_step_is_completed_by_the_next_command(site: Site, point: str) -> None:
    before = site.live_digest()
    site.new_commit()
    site.crash_at(point, "deploy:production")
    next_deploy_restores_the_invariants(site, before)


def test_a_release_live_but_unvalidated_is_validated_by_the_next_deploy_although_nothing_is_new(site: Site) -> None:
    site.new_commit()
    site.crash_at("deploy:switched", "deploy:production")
    unvalidated = site.live_digest()
    done = site.doit("deploy:production")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed validation and stays live" in done.stdout and "nothing new" in done.stdout
    assert site.live_digest() == unvalidated and site.validated(unvalidated)


def test_a_killed_deploy_whose_pid_now_names_another_process_is_completed_by_the_next_deploy(site: Site) -> None:
    site.new_commit()
    site.crash_at("deploy:switched", "deploy:production")
    unvalidated = site.live_digest()
    with contextlib.closing(sqlite3.connect(site.repo / ".deploylib" / "ledger.sqlite3")) as db, db:
        db.execute("UPDATE entries SET details = json_set(details, '$.pid', 1) WHERE status = 'running'")  # reused
    done = site.doit("deploy:production")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed validation and stays live" in done.stdout
    assert site.live_digest() == unvalidated and site.validated(unvalidated)
    assert site.ledger_rows("status = 'running'") == []


def test_status_reports_an_interrupted_deploy_as_unvalidated(site: Site) -> None:
    site.new_commit()
    site.crash_at("deploy:switched", "deploy:production")
    done = site.doit("status")
    assert done.returncode == 0
    assert "a deploy of 0.2.0 was interrupted" in done.stdout and "NOT validated" in done.stdout


def test_validate_completes_a_killed_deploy_first(site: Site) -> None:
    site.new_commit()
    site.crash_at("deploy:switched", "deploy:production")
    done = site.doit("validate:production")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "found 1 action(s) on production cut short" in done.stdout
    assert site.ledger_rows("status = 'running'") == []


def test_a_killed_deploy_whose_release_fails_validation_is_rolled_back_by_the_next_command(site: Site) -> None:
    before = site.live_digest()
    (site.repo / "site" / "index.html").write_text("<h2>Welcome</h2>")  # passes the gate, fails the check
    site.new_commit()
    site.crash_at("deploy:switched", "deploy:production")
    done = site.doit("rollback", "--env", "production")
    no_traceback(done)
    assert "failed validation" in done.stdout
    assert site.live_digest() == before
    assert site.ledger_rows("status = 'running'") == []


def test_a_rollback_after_failed_validation_killed_before_its_switch_is_completed(site: Site) -> None:
    before = site.live_digest()
    (site.repo / "site" / "index.html").write_text("<h2>Welcome</h2>")
    site.new_commit()
    site.crash_at("deploy:rolling-back", "deploy:production")
    done = site.doit("validate:production")
    no_traceback(done)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "completing the rollback" in done.stdout
    assert site.live_digest() == before
    assert site.ledger_rows("status = 'running'") == []


def test_a_rollback_killed_after_its_switch_is_revalidated_by_the_next_command(site: Site) -> None:
    site.new_commit()
    assert site.doit("deploy:production").returncode == 0
    site.crash_at("rollback:switched", "rollback", "--env", "production")
    restored = site.live_digest()
    next_deploy_restores_the_invariants(site, restored)


@pytest.mark.parametrize("left", ["index.lock", "refs/heads/main.lock"])
def test_a_lock_file_left_by_a_git_killed_with_its_run_does_not_block_the_next_deploy(site: Site, left: str) -> None:
    before = site.live_digest()
    site.new_commit()
    site.crash_at("release:edited", "deploy:production")
    (site.repo / ".git" / left).write_text("")  # as the release's `git add` or `git commit`, killed, leaves it
    next_deploy_restores_the_invariants(site, before)
    assert not (site.repo / ".git" / left).exists()
    site.new_commit()  # the user's own git works again


def test_the_users_own_changes_are_never_undone_after_a_killed_release(site: Site) -> None:
    site.new_commit()
    site.crash_at("release:edited", "deploy:production")
    (site.repo / "CHANGELOG.md").write_text("my own notes\n")
    done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 1
    assert "CHANGELOG.md changed since then, so deploylib leaves them alone" in done.stderr
    assert (site.repo / "CHANGELOG.md").read_text() == "my own notes\n"


def test_sigkill_at_random_moments(site: Site) -> None:
    """Deploys of a new commit and rollbacks, each killed after a seeded random delay."""
    count, held = trials(3), 0
    chance = random.Random(f"sigkill-{site.kind}")
    for trial in range(count):
        before = site.live_digest()
        if trial % 3 == 2:
            site.kill_after(chance.uniform(0.3, 2.5), "rollback", "--env", "production")
        else:
            site.new_commit()
            site.kill_after(chance.uniform(0.3, 4.0), "deploy:production")
        next_deploy_restores_the_invariants(site, before)
        held += 1
    print(f"\nreliability: SIGKILL at random moments ({site.kind}): {held}/{count} trials, every invariant held")
