"""deploylib.git, the one way deploylib runs git, on real repositories."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploylib.errors import GitError
from deploylib.git import git_run, run_git
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
