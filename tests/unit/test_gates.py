"""The repository gates, judged from a repository state value."""

from __future__ import annotations

from deploylib.gates import FAIL, PASS, repository_gates
from deploylib.git import RepoState


def state(branch: str = "main", changes: tuple[str, ...] = ()) -> RepoState:
    return RepoState(head="a" * 40, branch=branch, upstream="origin/main", ahead=0, behind=0, changes=changes,
                     shallow=False)


def test_clean_tree_on_the_release_branch_passes() -> None:
    assert [g.outcome for g in repository_gates(state(), "main")] == [PASS, PASS]


def test_uncommitted_changes_fail_and_are_named() -> None:
    clean, _ = repository_gates(state(changes=("src/index.html", "new.txt")), "main")
    assert clean.outcome == FAIL and "src/index.html, new.txt" in clean.detail


def test_another_branch_fails() -> None:
    _, branch = repository_gates(state(branch="feature"), "main")
    assert branch.outcome == FAIL and "on feature, releases are made from main" in branch.detail


def test_detached_head_fails() -> None:
    _, branch = repository_gates(state(branch=""), "main")
    assert branch.outcome == FAIL and "detached" in branch.detail
