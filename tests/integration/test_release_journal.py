"""The release journal in a real repository: what the next run does with a release stage that died."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.config.load import parse
from deploylib.errors import ReleaseError
from deploylib.git import commit_paths
from deploylib.release import journal
from deploylib.state.workspace import Workspace
from tests.conftest import git, new_repo


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    repo = new_repo(tmp_path / "repo", {"VERSION": "1.0.0\n"}, "feat: start")
    return Workspace(repo, parse({"release": {"push": False}}, repo / "deploy.toml", repo), demo=False)


def interrupted_release(ws: Workspace) -> dict[str, str]:
    """A release of 1.1.0 that wrote its files (a new changelog, an edited VERSION) and died there."""
    edits = {"CHANGELOG.md": "## 1.1.0\n", "VERSION": "1.1.0\n"}
    journal.begin(ws, git(ws.app, "rev-parse", "HEAD"), "v1.1.0", "1.1.0", edits)
    for name, text in edits.items():
        (ws.app / name).write_text(text)
    git(ws.app, "add", "--", *edits)
    return edits


def test_edits_of_a_release_that_died_before_its_commit_are_undone(ws: Workspace) -> None:
    interrupted_release(ws)
    journal.settle(ws)
    assert git(ws.app, "status", "--porcelain") == ""
    assert (ws.app / "VERSION").read_text() == "1.0.0\n" and not (ws.app / "CHANGELOG.md").exists()
    assert not journal.path(ws).exists()


def test_a_release_commit_left_untagged_is_tagged(ws: Workspace) -> None:
    edits = interrupted_release(ws)
    head = commit_paths(ws.app, list(edits), "chore(release): v1.1.0")
    journal.settle(ws)
    assert git(ws.app, "rev-parse", "v1.1.0^{commit}") == head
    assert not journal.path(ws).exists()


def test_files_changed_since_are_left_alone_and_the_user_is_told_what_to_do(ws: Workspace) -> None:
    interrupted_release(ws)
    (ws.app / "VERSION").write_text("my own edit\n")
    with pytest.raises(ReleaseError, match=r"VERSION changed since then.*git checkout -- VERSION"):
        journal.settle(ws)
    assert (ws.app / "VERSION").read_text() == "my own edit\n"
    assert journal.path(ws).exists()  # still there for the next run, once the user decided


def test_history_moved_on_by_hand_is_not_tagged(ws: Workspace) -> None:
    interrupted_release(ws)
    git(ws.app, "commit", "-qm", "fix: something else entirely")
    journal.settle(ws)
    assert git(ws.app, "tag", "--list") == ""
