"""The repository gates, judged from a repository state value."""

from __future__ import annotations

import pytest

from deploylib.forge.base import CICheck, CIState, Issue, PullRequest, Review, ReviewState
from deploylib.gates.quality import judge_ci, judge_issues, judge_review, pushed_gate, repository_gates
from deploylib.git import RepoState
from deploylib.model import FAIL, PASS, SKIP


def state(branch: str = "main", changes: tuple[str, ...] = ()) -> RepoState:
    return RepoState(head="a" * 40, branch=branch, upstream="origin/main", ahead=0, behind=0, changes=changes,
                     boundary="")


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


def review(login: str, state: str) -> Review:
    return Review(login, ReviewState[state])


@pytest.mark.parametrize(("reviews", "outcome", "detail"), [
    ([review("ana", "APPROVED")], PASS, "PR #5 approved by ana"),
    ([], FAIL, "PR #5 has no approving review"),
    ([review("ana", "COMMENTED")], FAIL, "no approving review"),
    ([review("ana", "APPROVED"), review("bob", "CHANGES_REQUESTED")], FAIL, "changes requested by bob"),
    ([review("bob", "CHANGES_REQUESTED"), review("bob", "APPROVED")], PASS, "approved by bob"),  # resolved
    ([review("bob", "CHANGES_REQUESTED"), review("bob", "COMMENTED")], FAIL, "changes requested by bob"),
    ([review("ana", "APPROVED"), review("ana", "DISMISSED")], FAIL, "no approving review"),
])
def test_review_judgement(reviews: list[Review], outcome: str, detail: str) -> None:
    result = judge_review("a" * 40, [PullRequest(5, merged=True)], lambda n: reviews)
    assert result.outcome == outcome and detail in result.detail


def test_a_direct_push_has_no_review() -> None:
    result = judge_review("abcdef0" + "0" * 33, [], lambda n: [])
    assert result.outcome == FAIL and result.detail == "abcdef0 came in by a direct push: no pull request, so no review"


def status(name: str, state: CIState) -> CICheck:
    return CICheck(name, state, "status(es)")


def run(name: str, state: CIState) -> CICheck:
    return CICheck(name, state, "check run(s)")


@pytest.mark.parametrize(("checks", "outcome", "detail"), [
    ([status("ci/test", CIState.PASSED), run("build", CIState.PASSED)], PASS, "1 status(es) and 1 check run(s) green"),
    ([run("build", CIState.PASSED), run("lint", CIState.PASSED)], PASS, ": 2 check run(s) green"),
    ([CICheck("ci", CIState.PASSED)], PASS, ": 1 check(s) green"),  # a forge that names no kind
    ([status("ci/test", CIState.FAILED)], FAIL, "failing: ci/test"),
    ([run("build", CIState.FAILED), status("ci/test", CIState.RUNNING)], FAIL, "failing: build"),  # red beats running
    ([status("ci/test", CIState.RUNNING)], FAIL, "still running: ci/test"),
    ([], FAIL, "no CI status or check run reported"),
])
def test_ci_judgement(checks: list[CICheck], outcome: str, detail: str) -> None:
    result = judge_ci("a" * 40, checks)
    assert result.outcome == outcome and detail in result.detail


def test_a_later_pull_request_does_not_hide_the_merged_one() -> None:
    result = judge_review("a" * 40, [PullRequest(4, merged=False), PullRequest(5, merged=True)],
                          lambda n: [review("ana", "APPROVED")] if n == 5 else [])
    assert result.outcome == PASS and result.detail == "PR #5 approved by ana"


def test_blocking_issues() -> None:
    assert judge_issues({"critical": [], "P0": []}).outcome == PASS
    down = Issue(7, "checkout down", ("critical",), "https://github.com/acme/site/issues/7", "2026-01-01T00:00:00Z")
    result = judge_issues({"critical": [down]})
    assert result.outcome == FAIL and "#7 'checkout down' (critical)" in result.detail


@pytest.mark.parametrize(("upstream", "ahead", "behind", "push", "releases", "outcome"), [
    ("origin/main", 0, 0, False, False, PASS),
    ("origin/main", 0, 0, True, False, PASS),  # nothing unpushed, nothing to release
    ("origin/main", 2, 0, True, True, PASS),  # the release's push takes them along
    ("origin/main", 2, 0, False, True, FAIL),  # push = false: nothing would push them
    ("origin/main", 1, 0, True, False, FAIL),  # an unpushed docs: commit: no release, so no push either
    ("origin/main", 0, 1, True, True, FAIL),
    ("", 3, 0, False, False, SKIP),  # no upstream and no such remote: a local-only repository
])
def test_pushed_gate(upstream: str, ahead: int, behind: int, push: bool, releases: bool, outcome: str) -> None:
    state = RepoState("a" * 40, "main", upstream, ahead, behind, (), "")
    assert pushed_gate(state, push, releases).outcome == outcome


@pytest.mark.parametrize(("on_remote", "push", "releases", "outcome"), [
    (True, False, False, PASS),  # HEAD is on origin's main, only the upstream setting is missing
    (False, True, True, PASS),  # the release pushes HEAD:main
    (False, True, False, FAIL),  # an unpushed docs: commit: no release, so no push
    (False, False, True, FAIL),  # push = false
])
def test_pushed_gate_without_an_upstream_branch_asks_the_release_remote(on_remote: bool, push: bool, releases: bool,
                                                                        outcome: str) -> None:
    state = RepoState("a" * 40, "main", "", 0, 0, (), "")
    assert pushed_gate(state, push, releases, "origin", on_remote).outcome == outcome


@pytest.mark.parametrize(("ahead", "on_remote", "releases", "outcome"), [
    (0, True, False, PASS),  # on the fork and on origin
    (0, False, False, FAIL),  # pushed to the fork only, and no release pushes it to origin
    (0, False, True, PASS),  # the release pushes HEAD to origin
    (1, False, True, PASS),  # ahead of the fork too: the release pushes it to origin (the fork stays behind)
])
def test_pushed_gate_with_an_upstream_on_another_remote_asks_the_release_remote(
        ahead: int, on_remote: bool, releases: bool, outcome: str) -> None:
    state = RepoState("a" * 40, "main", "fork/main", ahead, 0, (), "")
    result = pushed_gate(state, True, releases, "origin", on_remote)
    assert result.outcome == outcome
    if outcome == FAIL:
        assert "on no branch of origin, where releases are pushed" in result.detail and "git push origin main" in \
            result.detail


def test_the_pushed_gate_says_why_an_unreleased_commit_is_not_pushed() -> None:
    state = RepoState("a" * 40, "main", "origin/main", 1, 0, (), "")
    assert "this run pushes nothing; push them first (git push)" in pushed_gate(state, True, False).detail
