"""git's lock files and deploylib: reads never take the index lock, and a lock file a killed run's git left
(index.lock, HEAD.lock, a ref's) is removed by the next run (which holds the repository lock), while one
that is not the dead run's is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from deploylib.config.load import parse
from deploylib.errors import LockHeld
from deploylib.git import repo_state
from deploylib.state.lock import LockHolder
from deploylib.state.repolock import RepoLock
from deploylib.state.workspace import Workspace
from tests.conftest import REPO, new_repo


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    repo = new_repo(tmp_path / "repo", {"index.html": "<h1>Welcome</h1>", ".gitignore": ".deploylib/\n"}, "feat: a")
    return Workspace(repo, parse({"release": {"push": False}}, repo / "deploy.toml", repo), demo=False)


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def left_by_a_killed_run(ws: Workspace, since: str) -> None:
    """The repository lock's file as a run killed while holding it leaves it: naming its (dead) holder."""
    lock = ws.state / "repo.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = LockHolder("owner", os.uname().nodename, dead_pid(), "release", "1.1.0", since)
    lock.write_text(json.dumps(asdict(holder)))


def test_reading_the_repository_state_never_rewrites_the_index(ws: Workspace) -> None:
    index = ws.app / ".git" / "index"
    os.utime(ws.app / "index.html", (time.time() + 5, time.time() + 5))  # stat data stale: git would refresh
    before = index.stat().st_ino
    assert repo_state(ws.app).changes == ()
    assert index.stat().st_ino == before  # no index.lock taken, no new index renamed in


@pytest.mark.parametrize("left", ["index.lock", "HEAD.lock", "refs/heads/main.lock", "refs/tags/v1.0.0.lock",
                                  "packed-refs.lock", "config.lock"])
def test_a_lock_file_a_killed_runs_git_left_is_removed_by_the_next_run(ws: Workspace, left: str) -> None:
    left_by_a_killed_run(ws, "2000-01-01T00:00:00Z")
    (ws.app / ".git" / left).parent.mkdir(parents=True, exist_ok=True)
    (ws.app / ".git" / left).write_text("")
    RepoLock(ws).hold("build")
    assert not (ws.app / ".git" / left).exists()
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "feat: next"], cwd=ws.app, check=True)


def test_an_index_lock_older_than_the_killed_run_is_left_alone(ws: Workspace) -> None:
    left_by_a_killed_run(ws, "2100-01-01T00:00:00Z")
    (ws.app / ".git" / "index.lock").write_text("")
    RepoLock(ws).hold("build")
    assert (ws.app / ".git" / "index.lock").exists()


def test_an_index_lock_is_left_alone_when_no_run_was_killed(ws: Workspace) -> None:
    (ws.state).mkdir()
    (ws.state / "repo.lock").write_text("")  # released by its holder: it ended normally
    (ws.app / ".git" / "index.lock").write_text("")
    RepoLock(ws).hold("build")
    assert (ws.app / ".git" / "index.lock").exists()


def test_a_run_that_ends_clears_its_name_so_a_name_left_is_a_killed_runs(ws: Workspace) -> None:
    code = ("import sys; from pathlib import Path; from deploylib.state.repolock import RepoLock; "
            "from deploylib.state.workspace import discover; RepoLock(discover(Path.cwd())).hold('build'); sys.exit(1)")
    (ws.app / "deploy.toml").write_text("[release]\npush = false\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ws.app, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert (ws.state / "repo.lock").exists() and (ws.state / "repo.lock").read_text() == ""


def test_a_run_holding_the_repository_is_named_as_holding_it_to_its_end(ws: Workspace) -> None:
    code = ("import sys; from pathlib import Path; from deploylib.state.repolock import RepoLock; "
            "from deploylib.state.workspace import discover; RepoLock(discover(Path.cwd())).hold('gate', '1.1.0'); "
            "print('held', flush=True); sys.stdin.read()")  # then deploying and validating, as far as others know
    (ws.app / "deploy.toml").write_text("[release]\npush = false\n")
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ws.app, env={**os.environ, "PYTHONPATH": str(REPO)},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(LockHeld, match=r"holds .*: gate of 1\.1\.0 by .* from its first build or release stage "
                                           r"to its end, its deploys and their validation included"):
            RepoLock(ws).hold("gate")
    finally:
        holder.kill()
        holder.wait()
