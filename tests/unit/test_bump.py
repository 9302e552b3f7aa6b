"""Bump rules and version planning, as tables. No git involved."""

from __future__ import annotations

import pytest

from deploylib.errors import ReleaseError
from deploylib.release.versioning.bump import bump_level, plan_version
from deploylib.release.versioning.commits import parse
from deploylib.release.versioning.options import PlanOptions

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
    (("not conventional\n\nBREAKING CHANGE: b",), "major"),
    (('Revert "feat: a"\n\nThis reverts commit 1234567.\n\nBREAKING CHANGE: b',), "major"),
    (('Revert "feat!: a"\n\nThis reverts commit 1234567.',), ""),
    (("Merge pull request #5 from a/b\n\nBREAKING CHANGE: b",), ""),
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


def plan_with(options: PlanOptions, previous: str = "1.4.0", messages: tuple[str, ...] = ("feat: a",),
              prereleases: tuple[str, ...] = (), head_versions: tuple[str, ...] = ()):
    return plan_version(previous, commits(*messages), RULES, "0.1.0", False, "f" * 40, options, prereleases,
                        head_versions)


@pytest.mark.parametrize(("prereleases", "head_versions", "version", "is_release"), [
    ((), (), "1.5.0-rc.1", True),
    (("1.5.0-rc.1",), (), "1.5.0-rc.2", True),
    (("1.5.0-rc.1", "1.5.0-rc.2"), (), "1.5.0-rc.3", True),
    (("1.5.0-beta.4",), (), "1.5.0-rc.1", True),  # another token counts separately
    (("1.4.1-rc.9",), (), "1.5.0-rc.1", True),  # another version's prereleases do not count
    (("1.5.0-rc.1",), ("1.5.0-rc.1",), "1.5.0-rc.1", False),  # HEAD already carries it
])
def test_prerelease_numbering(prereleases: tuple[str, ...], head_versions: tuple[str, ...], version: str,
                              is_release: bool) -> None:
    plan = plan_with(PlanOptions(prerelease="rc"), prereleases=prereleases, head_versions=head_versions)
    assert (plan.version, plan.is_release) == (version, is_release)


@pytest.mark.parametrize(("prereleases", "options", "message", "version"), [
    (("2.0.0-rc.1",), PlanOptions(prerelease="rc"), "fix: a", "2.0.0-rc.2"),  # made with --version: base kept
    (("2.0.0-rc.1",), PlanOptions(), "fix: a", "2.0.0"),  # finishing it, not 1.4.1 below it
    (("2.0.0-beta.3", "1.6.0-rc.1"), PlanOptions(prerelease="beta"), "fix: a", "2.0.0-beta.4"),  # highest base wins
    (("1.4.5-rc.2",), PlanOptions(prerelease="rc"), "feat: a", "1.5.0-rc.1"),  # a base below the bump is left behind
])
def test_a_release_never_goes_below_a_prerelease_already_tagged(prereleases: tuple[str, ...], options: PlanOptions,
                                                               message: str, version: str) -> None:
    assert plan_with(options, messages=(message,), prereleases=prereleases).version == version


@pytest.mark.parametrize(("prereleases", "token"), [
    (("1.5.0-rc.1",), "beta"),  # 1.5.0-beta.1 < 1.5.0-rc.1
    (("1.5.0-rc.1",), "alpha"),
    (("1.5.0-beta.2",), "alpha"),
])
def test_a_prerelease_token_that_sorts_below_one_already_tagged_is_refused(prereleases: tuple[str, ...],
                                                                          token: str) -> None:
    with pytest.raises(ReleaseError, match="sorts below"):
        plan_with(PlanOptions(prerelease=token), prereleases=prereleases)


def test_releasing_without_a_prerelease_token_finishes_the_prerelease() -> None:
    assert plan_with(PlanOptions(), prereleases=("1.5.0-rc.1", "1.5.0-rc.2")).version == "1.5.0"


@pytest.mark.parametrize("token", ["rc-1", "rc.1", "é", "ｒｃ"])  # SemVer's identifiers are ASCII
def test_a_prerelease_token_must_be_ascii_letters_and_digits(token: str) -> None:
    with pytest.raises(ReleaseError, match="letters and digits"):
        plan_with(PlanOptions(prerelease=token))


@pytest.mark.parametrize(("version", "expected"), [("2.0.0", "2.0.0"), ("1.4.1", "1.4.1"),
                                                   ("2.0.0-rc.1", "2.0.0-rc.1"), ("1.5.0+build.7", "1.5.0+build.7")])
def test_an_explicit_version_is_used_as_given(version: str, expected: str) -> None:
    plan = plan_with(PlanOptions(version=version))
    assert (plan.version, plan.level, plan.is_release) == (expected, "override", True)


@pytest.mark.parametrize(("version", "message"), [("1.2", "not a semantic version"), ("v2.0.0", "not a semantic"),
                                                  ("1.4.0", "not newer than the last release 1.4.0"),
                                                  ("1.3.9", "not newer")])
def test_an_invalid_explicit_version_is_refused(version: str, message: str) -> None:
    with pytest.raises(ReleaseError, match=message):
        plan_with(PlanOptions(version=version))


@pytest.mark.parametrize(("messages", "version"), [(("feat!: big",), "1.4.1"), (("docs: typo",), "1.4.1"),
                                                   (("fix: a",), "1.4.1")])
def test_a_hotfix_is_always_a_patch(messages: tuple[str, ...], version: str) -> None:
    plan = plan_with(PlanOptions(hotfix=True), messages=messages)
    assert (plan.version, plan.level, plan.reason) == (version, "patch", "hotfix")


def test_a_hotfix_with_nothing_new_releases_nothing() -> None:
    assert not plan_with(PlanOptions(hotfix=True), messages=()).is_release


def test_a_prerelease_of_a_first_release() -> None:
    assert plan_with(PlanOptions(prerelease="alpha"), previous="").version == "0.1.0-alpha.1"


def test_the_plan_reports_commits_that_are_not_conventional() -> None:
    plan = plan_version("1.0.0", commits("feat: a", "Tidy up", "Merge branch 'x'"), RULES, "0.1.0", False, "f" * 40)
    assert plan.describe() == "1.0.0 → 1.1.0 (minor: feat); 1 commit(s) not conventional"


DEFAULT_RULES = {"feat": "minor", "fix": "patch", "perf": "patch", "revert": "patch"}


@pytest.mark.parametrize(("messages", "version"), [
    (("docs: readme", f'Revert "feat(theme): dark mode"\n\nThis reverts commit {0:040x}.',
      "feat(theme): dark mode"), "1.0.0+3.gfffffff"),  # cancelled: nothing releasable
    ((f'Revert "feat(theme): dark mode"\n\nThis reverts commit {"9" * 40}.',), "1.0.1"),  # released earlier
    (("feat(api): rename the export route\r\n\r\nA body.\r\n\r\nBREAKING CHANGE: /export is gone\r\n",), "2.0.0"),
    (("feat: new login (#42)\n\n* feat: new login\n* **BREAKING CHANGE:** the session cookie is renamed",), "2.0.0"),
])
def test_issue_histories_plan_the_stated_version(messages: tuple[str, ...], version: str) -> None:
    history = tuple(parse(m, f"{len(messages) - 1 - i:040x}") for i, m in enumerate(messages))
    assert plan_version("1.0.0", history, DEFAULT_RULES, "0.1.0", False, "f" * 40).version == version

