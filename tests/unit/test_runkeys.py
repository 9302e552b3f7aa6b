"""The keys uptodate checks compare, and the version plan's outcome remembered between runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.state.runkeys import (
    Planned,
    fingerprint_key,
    is_done,
    plan_key,
    remember_fingerprint,
    remember_plan,
    remembered_fingerprint,
    remembered_plan,
)

TAGS = [("v1.0.0", "a" * 40, "2026-01-01")]
BASE = ("h" * 40, TAGS, "ReleaseConfig(tag_format='v{version}')", {"version": "", "prerelease": "", "hotfix": False},
        "")


@pytest.mark.parametrize("changed", [
    ("g" * 40, TAGS, BASE[2], BASE[3], ""),  # a new commit
    (BASE[0], [*TAGS, ("v1.1.0", "b" * 40, "2026-01-02")], BASE[2], BASE[3], ""),  # a new tag
    (BASE[0], [("v1.0.0", "c" * 40, "2026-01-01")], BASE[2], BASE[3], ""),  # a tag moved
    (BASE[0], [], BASE[2], BASE[3], ""),  # a tag deleted
    (BASE[0], TAGS, "ReleaseConfig(tag_format='release-{version}')", BASE[3], ""),  # the release settings
    (BASE[0], TAGS, BASE[2], {**BASE[3], "prerelease": "rc"}, ""),  # the command line
    (*BASE[:4], "g" * 40 + "\n"),  # a shallow clone of the same HEAD and tags, less of its history
])
def test_whatever_a_plan_is_computed_from_changes_its_key(changed: tuple) -> None:  # type: ignore[type-arg]
    assert plan_key(*changed) != plan_key(*BASE)
    assert plan_key(*BASE) == plan_key(*BASE)


def test_a_plan_is_remembered_under_its_key_only(tmp_path: Path) -> None:
    remember_plan(tmp_path, "k1", Planned("1.1.0", True, 3))
    assert remembered_plan(tmp_path, "k1") == Planned("1.1.0", True, 3)
    assert remembered_plan(tmp_path, "k2") is None


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"key": "k1"}', '{"key": "k1", "version": "1", '
                                     '"is_release": true, "commits": "many"}'])
def test_an_unreadable_memo_means_planning_again(tmp_path: Path, content: str) -> None:
    (tmp_path / "plan.json").write_text(content)
    assert remembered_plan(tmp_path, "k1") is None


@pytest.mark.parametrize("changed", [
    ("g" * 40, ["CHANGELOG.md"]),  # another commit (and so perhaps another tree)
    ("h" * 40, ["CHANGELOG.md", "package.json"]),  # a version file added to what a release writes
    ("h" * 40, ["docs/CHANGES.md"]),  # the changelog moved
    ("h" * 40, []),
])
def test_whatever_a_fingerprint_is_computed_from_changes_its_key(changed: tuple[str, list[str]]) -> None:
    assert fingerprint_key(*changed) != fingerprint_key("h" * 40, ["CHANGELOG.md"])


def test_a_fingerprint_is_remembered_under_its_key_only(tmp_path: Path) -> None:
    remember_fingerprint(tmp_path, "k1", "f" * 64)
    assert remembered_fingerprint(tmp_path, "k1") == "f" * 64
    assert remembered_fingerprint(tmp_path, "k2") is None


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"key": "k1"}', '{"key": "k1", "fingerprint": 5}',
                                     '{"key": "k1", "fingerprint": "short"}'])
def test_an_unreadable_fingerprint_memo_means_asking_git_again(tmp_path: Path, content: str) -> None:
    (tmp_path / "fingerprint.json").write_text(content)
    assert remembered_fingerprint(tmp_path, "k1") is None


@pytest.mark.parametrize(("planned", "push", "pushed", "done"), [
    (Planned("1.1.0", True, 3), True, "1.1.0", False),  # a release to make
    (Planned("1.1.0", True, 3), False, "", False),
    (Planned("1.0.0", False, 2), True, "", True),  # commits since 1.0.0, none asking for a release
    (Planned("1.0.0", False, 0), False, "", True),  # HEAD is 1.0.0, nothing is pushed
    (Planned("1.0.0", False, 0), True, "1.0.0", True),  # HEAD is 1.0.0 and was pushed
    (Planned("1.0.0", False, 0), True, "0.9.0", False),  # HEAD is 1.0.0, pushed by no run yet
    (Planned("1.0.0", False, 0), True, None, False),
])
def test_the_release_stage_is_done_when_nothing_is_left_to_tag_or_push(planned: Planned, push: bool,
                                                                         pushed: object, done: bool) -> None:
    assert is_done(planned, push, pushed) is done
