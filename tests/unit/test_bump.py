"""Bump rules and version planning, as tables. No git involved."""

from __future__ import annotations

import pytest

from deploylib.errors import ReleaseError
from deploylib.versioning.bump import bump_level, plan_version
from deploylib.versioning.commits import parse

RULES = {"feat": "minor", "fix": "patch", "perf": "patch"}


def commits(*messages: str) -> tuple:
    return tuple(parse(m, f"{i:040x}") for i, m in enumerate(messages))


@pytest.mark.parametrize(("messages", "level"), [
    (("fix: a",), "patch"),
    (("perf: a",), "patch"),
    (("feat: a",), "minor"),
    (("fix: a", "feat: b"), "minor"),
    (("feat!: a",), "major"),
    (("docs: a\n\nBREAKING CHANGE: b",), "major"),
    (("docs: a", "chore: b", "style: c"), ""),
    (("not conventional",), ""),
    ((), ""),
])
def test_bump_level(messages: tuple[str, ...], level: str) -> None:
    assert bump_level(commits(*messages), RULES)[0] == level


def test_bump_rules_are_configurable() -> None:
    assert bump_level(commits("docs: a"), {"docs": "patch"})[0] == "patch"
    assert bump_level(commits("feat: a"), {"feat": "major"})[0] == "major"


@pytest.mark.parametrize(("previous", "messages", "major_on_zero", "version", "level"), [
    ("1.2.3", ("fix: a",), False, "1.2.4", "patch"),
    ("1.2.3", ("feat: a",), False, "1.3.0", "minor"),
    ("1.2.3", ("feat!: a",), False, "2.0.0", "major"),
    ("0.4.1", ("feat!: a",), False, "0.5.0", "minor"),
    ("0.4.1", ("feat!: a",), True, "1.0.0", "major"),
    ("0.9.0", ("fix: a",), False, "0.9.1", "patch"),
    ("1.2.3", (), False, "1.2.3", ""),
])
def test_plan_version(previous: str, messages: tuple[str, ...], major_on_zero: bool, version: str,
                      level: str) -> None:
    plan = plan_version(previous, commits(*messages), RULES, "0.1.0", major_on_zero, "f" * 40)
    assert (plan.version, plan.level) == (version, level)


def test_first_release_uses_the_initial_version() -> None:
    plan = plan_version("", commits("chore: init"), RULES, "1.0.0", False, "f" * 40)
    assert (plan.version, plan.level, plan.is_release) == ("1.0.0", "first", True)


def test_unreleasable_commits_build_a_distinct_untagged_version() -> None:
    plan = plan_version("1.2.3", commits("docs: a", "chore: b"), RULES, "0.1.0", False, "abcdef1234" + "0" * 30)
    assert plan.version == "1.2.3+2.gabcdef1"
    assert not plan.is_release


def test_plan_says_what_asked_for_the_bump() -> None:
    plan = plan_version("1.0.0", commits("feat: a", "docs: b", "fix: c"), RULES, "0.1.0", False, "f" * 40)
    assert plan.describe() == "1.0.0 → 1.1.0 (minor: feat, fix)"


def test_previous_version_that_is_not_semver_is_an_error() -> None:
    with pytest.raises(ReleaseError, match="not a semantic version"):
        plan_version("banana", commits("fix: a"), RULES, "0.1.0", False, "f" * 40)
