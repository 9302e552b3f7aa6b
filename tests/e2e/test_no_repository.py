"""Outside a git repository, or in one without commits, every task and command that reads history stops
the same way: exit 3 and one paragraph saying so and what to do, never git's `fatal:` text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import missing, run_doit
from tests.e2e.test_user_repo import CONFIG

pytestmark = pytest.mark.slow

COMMANDS = [
    ["doit", "release"], ["doit", "release", "--dry-run"], ["doit", "release", "--dry-run", "--prerelease", "rc"],
    ["doit", "release", "--version", "1.0.0"], ["doit", "release", "--hotfix"], ["doit", "gate"], ["doit", "build"],
    ["doit", "changelog"], ["doit", "changelog", "--full"], ["doit", "deploy:production"], ["doit", "deploy"],
    ["doit", "hotfix"], ["deploylib", "next-version"], ["deploylib", "next-version", "--hotfix"],
    ["deploylib", "changelog"], ["deploylib", "changelog", "--full"],
]
SAYS = {"no repository": "is not inside a git repository", "no commits": "has no commits yet",
        "bare": "is a bare git repository", "bare with commits": "is a bare git repository",
        "unborn branch": "has HEAD on pages, which has no commits yet; its commits are on main",
        "GIT_DIR elsewhere": "(GIT_DIR=", "no git": "git is not installed or not on PATH",
        "git not executable": "git is not installed or not on PATH, or cannot be run",
        # a repository git will not read, or that is damaged: said as such, not as "not a repository"
        "another user's": "git refuses to read the repository at", "worktree gone":
        "/.git says the repository of this working tree is at /nonexistent/worktrees/site, which does not exist",
        "damaged .git": "/.git is there, but git does not read it as a repository: it is damaged",
        "commit missing": "is damaged: HEAD (main) names commit 0123456789ab, which is not in the repository"}
ENV = {"GIT_DIR elsewhere": {"GIT_DIR": "/nonexistent/.git"}, "no git": {"PATH": "/nonexistent"},
       "git not executable": {"PATH": str(Path(__file__).parents[1] / "data" / "git-not-executable")}}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture(scope="module", params=list(SAYS))
def folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("norepo") / "site"
    (root / "site").mkdir(parents=True)
    (root / "site" / "index.html").write_text("<h1>Welcome</h1>")
    (root / "deploy.toml").write_text(CONFIG)
    (root / "dodo.py").write_text("from deploylib.tasks import *  # noqa: F403\n")
    committed = ("unborn branch", "GIT_DIR elsewhere", "no git", "git not executable", "bare with commits",
                 "another user's", "damaged .git", "commit missing")
    if request.param in ("no commits", *committed):
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    if request.param in committed:
        _git(root, "-c", "user.name=O", "-c", "user.email=o@x.invalid", "commit", "-q", "--allow-empty", "-m",
             "feat: first")
    if request.param == "unborn branch":
        _git(root, "checkout", "-q", "--orphan", "pages")  # HEAD on a branch without commits, main beside it
    if request.param == "bare":
        subprocess.run(["git", "init", "-q", "--bare", str(root)], check=True)
    if request.param == "bare with commits":  # deploy.toml and dodo.py beside a bare clone's objects
        _git(root, "config", "core.bare", "true")
    if request.param == "another user's":  # a CI container's checkout, made by another user
        if os.geteuid() != 0:
            missing("only root can give the repository to another user (.ci/run runs as root)")
        subprocess.run(["chown", "-R", "nobody", str(root)], check=True)
    if request.param == "worktree gone":  # a linked worktree whose repository was removed
        (root / ".git").write_text("gitdir: /nonexistent/worktrees/site\n")
    if request.param == "damaged .git":
        (root / ".git" / "HEAD").write_text("garbage\n")
    if request.param == "commit missing":  # a branch naming a commit the repository does not hold
        (root / ".git" / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n")
    return root, request.param


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_task_that_reads_history_is_exit_3_and_one_paragraph(folder: tuple[Path, str],
                                                                    command: list[str]) -> None:
    root, where = folder
    env = {"GIT_CEILING_DIRECTORIES": str(root.parent), "DEPLOYLIB_YES": "1", **ENV.get(where, {})}
    if command[0] == "doit":
        result = run_doit(root, *command[1:], env=env)
    else:
        result = subprocess.run([sys.executable, "-m", "deploylib", *command[1:]], cwd=root, capture_output=True,
                                text=True, env={**os.environ, **env}, stdin=subprocess.DEVNULL, timeout=120)
    said = result.stderr.strip()
    assert result.returncode == 3, result.stdout + result.stderr
    assert SAYS[where] in said and len(said.splitlines()) == 1
    assert "fatal:" not in result.stdout + said and "Traceback" not in said


# A folder without any configuration (no deploy.toml, no dodo.py): doit finds no dodo.py and says so (its own
# exit 3); the `deploylib` commands answer as doit would there, so none answers for the embedded demo (doit runs
# it only beside deploylib's dodo.py: tests/e2e/test_demo.py) and none creates anything (no .deploylib/demo
# sandbox): exit 3 with the paragraph every reader of history gives, or, in a repository with commits, saying
# there is no deploy.toml. `deploylib init` needs a repository, with or without commits (writing one's first
# configuration is what it is for).
EMPTY = {"empty folder": "is not inside a git repository", "empty repository": "has no commits yet",
         "repository without configuration": "There is no deploy.toml in"}
CLI = [["deploylib", "check"], ["deploylib", "init", "--dry-run"], ["deploylib", "init"]]


def run(root: Path, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if command[0] == "doit":
        return run_doit(root, *command[1:], env=env)
    return subprocess.run([sys.executable, "-m", "deploylib", *command[1:]], cwd=root, capture_output=True,
                          text=True, env={**os.environ, **env}, stdin=subprocess.DEVNULL, timeout=120)


def expected(where: str, command: list[str]) -> tuple[int, str]:
    """(exit code, what stderr or stdout says) of `command` in an `EMPTY` folder."""
    if command[0] == "doit":
        return 3, "Could not find dodo file"
    if command[1] == "init" and where != "empty folder":
        return 0, "deploy.toml"
    return 3, EMPTY[where]


@pytest.fixture(params=list(EMPTY))
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "folder"
    root.mkdir()
    if request.param != "empty folder":
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    if request.param == "repository without configuration":
        (root / "index.html").write_text("<h1>Welcome</h1>")
        _git(root, "add", "-A")
        _git(root, "-c", "user.name=O", "-c", "user.email=o@x.invalid", "commit", "-q", "-m", "feat: first")
    return root, request.param


@pytest.mark.parametrize("command", COMMANDS + CLI, ids=[" ".join(c) for c in COMMANDS + CLI])
def test_in_a_folder_without_configuration_no_command_answers_for_the_demo_or_creates_its_state(
        empty: tuple[Path, str], command: list[str]) -> None:
    root, where = empty
    result = run(root, command, {"GIT_CEILING_DIRECTORIES": str(root.parent), "DEPLOYLIB_YES": "1"})
    code, says = expected(where, command)
    out = result.stdout + result.stderr
    assert result.returncode == code and says in out, out
    assert "fatal:" not in out and "Traceback" not in out and "this is deploylib's embedded demo" not in out
    assert not (root / ".deploylib").exists()
    if code == 3 and command[0] == "deploylib":
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
