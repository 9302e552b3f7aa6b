"""Git reference names: deploylib's pure rules agree with the real `git check-ref-format` on every input."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from deploylib.config.refname import branch_problem, refname_problem, remote_problem

# Pieces that touch every rule of git-check-ref-format(1): dots, ".lock", "@{", slashes, forbidden and
# control characters, non-ASCII text. Names are every piece alone and every pair.
PIECES = ["a", ".", "..", ".lock", "@", "@{", "{", "/", "//", "-", "~", "^", ":", "?", "*", "[", "\\", " ", "\n",
          "\x7f", "é", "🚀", "HEAD"]
NAMES = sorted({*PIECES, *("".join(pair) for pair in itertools.product(PIECES, repeat=2))})


def git_accepts(*args: str) -> bool:
    done = subprocess.run(["git", "check-ref-format", *args], cwd=Path("/"), capture_output=True)
    return done.returncode == 0


@pytest.fixture(scope="module")
def disagreements() -> list[tuple[str, bool, str]]:
    """(ref, git's verdict, ours) for each full name refs/heads/NAME (NAME and NAME/x for single pieces,
    but not "-" that git's command line would read as an option) where the two differ."""
    found = []
    for name in NAMES:
        for ref in (f"refs/heads/{name}", *((name, f"{name}/x") if name in PIECES and name[0] != "-" else ())):
            ours = refname_problem(ref)
            if git_accepts(ref) != (ours == ""):
                found.append((ref, not ours, ours))
    return found


def test_full_reference_names_are_judged_as_git_judges_them(disagreements: list[tuple[str, bool, str]]) -> None:
    assert len(NAMES) > 500
    assert disagreements == []


@pytest.mark.parametrize("name", [n for n in NAMES if n != "@"][::9])
def test_branch_names_are_judged_as_git_judges_them(name: str) -> None:
    assert (branch_problem(name) == "") == git_accepts("--branch", name)


@pytest.mark.parametrize(("name", "fragment"), [
    ("", "is empty"), ("-x", 'starts with "-"'), ("HEAD", "reads as the current commit"),
    ("@", "reads as the current commit"), ("a..b", 'contains ".."'), ("a b", "contains ' '"),
    ("feature/", "empty part"), ("a.lock", '".lock"'), ("x@{1}", '"@{"'), ("rel.", 'ends with "."'),
    (".hidden", 'starting with "."'), ("prod\n", "contains '\\n'"),
])
def test_a_refused_branch_says_why(name: str, fragment: str) -> None:
    assert fragment in branch_problem(name)


@pytest.mark.parametrize("name", ["main", "release/1.x", "gh-pages", "v1.2.3+build.5", "é", "a@b", "@x"])
def test_usual_branch_names_are_accepted(name: str) -> None:
    assert branch_problem(name) == ""


@pytest.mark.parametrize(("name", "ok"), [("origin", True), ("upstream/mirror", True), ("", False),
                                          ("--upload-pack=x", False), ("a:b", False), ("a..b", False)])
def test_remote_names_follow_git(name: str, ok: bool) -> None:
    assert (remote_problem(name) == "") == ok
