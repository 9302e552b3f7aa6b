"""The release journal in a real repository: what the next run does with a release stage that died."""

from __future__ import annotations

import json
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


def refused_release(ws: Workspace, moved_back: bool, tag_deleted: bool) -> str:
    """A release of 1.1.0 committed and tagged, which the remote refused; the run taking it back died after
    moving HEAD back (`moved_back`) and deleting the tag (`tag_deleted`), or before. Returns the head before."""
    before = git(ws.app, "rev-parse", "HEAD")
    edits = interrupted_release(ws)
    head = commit_paths(ws.app, list(edits), "chore(release): v1.1.0")
    git(ws.app, "tag", "-a", "v1.1.0", "-m", "Release 1.1.0", head)
    found = json.loads(journal.path(ws).read_text())
    journal.path(ws).write_text(json.dumps({**found, "taking_back": True}))
    if moved_back:
        git(ws.app, "reset", "-q", "--keep", before)
    if tag_deleted:
        git(ws.app, "tag", "-d", "v1.1.0")
    return before


@pytest.mark.parametrize(("moved_back", "tag_deleted"), [(False, False), (True, False), (True, True)])
def test_a_release_the_remote_refused_is_taken_back_whenever_the_run_taking_it_back_died(
        ws: Workspace, moved_back: bool, tag_deleted: bool) -> None:
    before = refused_release(ws, moved_back, tag_deleted)
    journal.settle(ws)
    assert git(ws.app, "rev-parse", "HEAD") == before and git(ws.app, "tag", "--list") == ""
    assert git(ws.app, "status", "--porcelain") == "" and (ws.app / "VERSION").read_text() == "1.0.0\n"
    assert not (ws.app / "CHANGELOG.md").exists() and not journal.path(ws).exists()


def test_a_tag_moved_by_hand_is_not_taken_back(ws: Workspace) -> None:
    before = refused_release(ws, moved_back=True, tag_deleted=True)
    git(ws.app, "tag", "-a", "v1.1.0", "-m", "made by hand", before)
    journal.settle(ws)
    assert git(ws.app, "rev-parse", "v1.1.0^{commit}") == before


def test_history_moved_on_by_hand_after_a_refused_release_is_left_alone(ws: Workspace) -> None:
    refused_release(ws, moved_back=False, tag_deleted=False)
    git(ws.app, "commit", "-q", "--allow-empty", "-m", "fix: on top of the release")
    head = git(ws.app, "rev-parse", "HEAD")
    journal.settle(ws)
    assert git(ws.app, "rev-parse", "HEAD") == head and git(ws.app, "tag", "--list") == "v1.1.0"
