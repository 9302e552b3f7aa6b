"""deploylib.git, the one way deploylib runs git, on real repositories."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from deploylib.errors import GitError
from deploylib.git import GitFeed, GitStarted, git_run, git_words, repo_state, run_git, scratch_file, shallow_boundary
from tests.conftest import git, new_repo

PACKAGE = Path(__file__).resolve().parents[2] / "deploylib"


def test_a_failed_command_is_returned_not_raised(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"a.txt": "a"}, "feat: a")
    done = git_run(repo, "checkout", "-q", "nonesuch")
    assert not done.ok and done.code != 0 and "did not match" in done.err


def test_stdin_is_fed_to_git_as_given(tmp_path: Path) -> None:
    cache = tmp_path / "cache.git"
    cache.mkdir()
    assert git_run(cache, "init", "-q", "--bare").ok
    stream = (b"commit refs/heads/main\ncommitter T <t@example.invalid> 0 +0000\ndata 3\nmsg\n"
              b"M 100644 inline a b.txt\ndata 2\nhi\n\n")
    assert git_run(cache, "fast-import", "--quiet", stdin=stream).ok
    assert git(cache, "show", "main:a b.txt") == "hi"


COMMIT = (b"commit refs/heads/main\ncommitter T <t@example.invalid> 0 +0000\ndata 3\nmsg\n"
          b"M 100644 inline a.txt\ndata 2\nhi\n")


def bare(tmp_path: Path) -> Path:
    cache = tmp_path / "cache.git"
    cache.mkdir()
    assert git_run(cache, "init", "-q", "--bare").ok
    return cache


def test_a_feed_is_answered_mid_stream_and_its_stream_is_taken_whole(tmp_path: Path) -> None:
    cache = bare(tmp_path)
    with GitFeed(cache, "fast-import", "--quiet") as feed:
        feed.write(b"feature done\n" + COMMIT)
        answer = feed.ask(b'ls ""\n')  # the tree of the commit in progress
        feed.write(b"done\n")
        done = feed.finish()
    assert done.ok
    assert answer == f"040000 tree {git(cache, 'rev-parse', 'main^{tree}')}\t"


def test_a_feed_left_by_an_exception_kills_git_and_writes_no_ref(tmp_path: Path) -> None:
    cache = bare(tmp_path)
    with pytest.raises(RuntimeError), GitFeed(cache, "fast-import", "--quiet") as feed:
        feed.write(COMMIT + b"\n")  # a whole commit: fast-import would set the ref when its input ends
        feed.ask(b'ls ""\n')  # it has read the commit
        raise RuntimeError("the artifact was refused part-way")
    assert git_run(cache, "rev-parse", "-q", "--verify", "refs/heads/main").code != 0


def test_a_feed_tells_how_git_failed(tmp_path: Path) -> None:
    cache = bare(tmp_path)
    with GitFeed(cache, "fast-import", "--quiet") as feed:
        feed.write(b"nonsense\n" + COMMIT * 2000)  # more than a pipe holds, after git stopped reading
        done = feed.finish()
    assert not done.ok and "nonsense" in done.err


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="does not exist or is not a folder"):
        git_run(tmp_path / "nowhere", "status")


def test_run_git_raises_with_gits_words(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", {"a.txt": "a"}, "feat: a")
    with pytest.raises(GitError, match="git checkout -q nonesuch failed in .*did not match"):
        run_git(repo, "checkout", "-q", "nonesuch")


@pytest.mark.parametrize("way", [r"""(subprocess\.\w+|Popen)\(\s*\[\s*["']git["']""",  # a git process
                                 r"^\s*(import git(\.\w+)*\s*$|from git(\.\w+)* import )"],  # GitPython
                         ids=["subprocess", "GitPython"])
def test_no_other_module_runs_git(way: str) -> None:
    found = [path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
             if re.search(way, path.read_text(), re.MULTILINE)]
    assert found == ["git.py"]


@pytest.mark.parametrize("where", ["clone", "worktree"])
def test_a_shallow_clone_is_known_as_one_in_its_linked_worktrees_too(tmp_path: Path, where: str) -> None:
    full = new_repo(tmp_path / "full", {"a.txt": "a"}, "feat: a")
    git(full, "commit", "-q", "--allow-empty", "-m", "fix: b")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{full}", str(tmp_path / "clone")], check=True)
    if where == "worktree":  # its .git is a file naming the clone's git folder, where `shallow` is kept
        git(tmp_path / "clone", "worktree", "add", "-q", str(tmp_path / "worktree"))
    repo = tmp_path / where
    assert repo_state(repo).shallow and shallow_boundary(repo).strip() == git(repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("memfd", [True, False])
def test_a_scratch_file_holds_what_is_written_and_leaves_no_name_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        memfd: bool) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where tempfile would put one
    if not memfd:  # a system without memfd_create: tempfile's
        monkeypatch.delattr(os, "memfd_create")
    with scratch_file() as scratch:
        scratch.write(b"fatal: something\n")
        scratch.seek(0)
        assert scratch.read() == b"fatal: something\n"
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("memfd", [True, False])
def test_a_started_git_answers_more_than_a_pipe_holds_and_leaves_no_file_open_or_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memfd: bool) -> None:
    cache = bare(tmp_path)
    files = b"".join(b"M 100644 inline d%d/file-%05d.txt\ndata 2\nhi\n" % (n % 7, n) for n in range(5000))
    assert git_run(cache, "fast-import", "--quiet", stdin=COMMIT + files + b"\n").ok
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    if not memfd:
        monkeypatch.delattr(os, "memfd_create")
    opened = sorted(os.listdir("/proc/self/fd"))
    with GitStarted(cache, "ls-tree", "-r", "main") as started:
        done = started.result()
    with GitStarted(cache, "log", "--all"):
        pass  # left before git ended: it is killed
    assert done.ok and done.out.count("\n") == 5001 and len(done.out) > 1 << 16  # a pipe holds 64 KiB
    assert sorted(os.listdir("/proc/self/fd")) == opened
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(("said", "words"), [
    ("fatal: '/x' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\n"
     "Please make sure you have the correct access rights\nand the repository exists.\n",
     "'/x' does not appear to be a git repository; Could not read from remote repository; Please make sure you "
     "have the correct access rights; and the repository exists"),
    ("error: pathspec 'x' did not match any file(s) known to git\nhint: try git add\n",
     "pathspec 'x' did not match any file(s) known to git"),
    ("", ""),
])
def test_what_git_said_is_one_line(said: str, words: str) -> None:
    assert git_words(said) == words
