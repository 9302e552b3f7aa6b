"""Conventional Commits parsing, as a table: message → what the parser must see."""

from __future__ import annotations

import pytest

from deploylib.versioning.commits import parse, parse_squash

# (message, type, scope, description, breaking, conventional)
CASES = [
    ("feat: add login", "feat", "", "add login", "", True),
    ("fix(api): handle 404", "fix", "api", "handle 404", "", True),
    ("feat!: drop Python 3.10", "feat", "", "drop Python 3.10", "drop Python 3.10", True),
    ("feat(core)!: new config format", "feat", "core", "new config format", "new config format", True),
    ("FEAT: upper-case type", "feat", "", "upper-case type", "", True),
    ("perf(render): cache templates", "perf", "render", "cache templates", "", True),
    ("docs: explain rollback", "docs", "", "explain rollback", "", True),
    ("chore(deps): bump requests", "chore", "deps", "bump requests", "", True),
    ("refactor!: rename module", "refactor", "", "rename module", "rename module", True),
    ("build(ci)!: require docker", "build", "ci", "require docker", "require docker", True),
    ("feat(scope with space): ok", "feat", "scope with space", "ok", "", True),
    ("feat(): empty scope", "feat", "", "empty scope", "", True),
    ("feat:missing space", "", "", "feat:missing space", "", False),
    ("feat : space before colon", "", "", "feat : space before colon", "", False),
    ("Add a thing", "", "", "Add a thing", "", False),
    ("", "", "", "", "", False),
    ("feat: squash merge title (#123)", "feat", "", "squash merge title", "", True),
    ("fix(ui): button colour (#7)", "fix", "ui", "button colour", "", True),
    ("feat: emoji ✨ in description", "feat", "", "emoji ✨ in description", "", True),
    ("feat(a/b): slash scope", "feat", "a/b", "slash scope", "", True),
    ("fix-up: hyphenated type", "fix-up", "", "hyphenated type", "", True),
    ("  feat: leading spaces are trimmed", "feat", "", "leading spaces are trimmed", "", True),
    ("feat: trailing newline\n", "feat", "", "trailing newline", "", True),
    ("feat: body only\n\nThe body explains.", "feat", "", "body only", "", True),
    ("fix: footer breaking\n\nBREAKING CHANGE: the API changed", "fix", "", "footer breaking", "the API changed", True),
    ("fix: hyphen footer\n\nBREAKING-CHANGE: token with hyphen", "fix", "", "hyphen footer", "token with hyphen", True),
    ("feat!: both marks\n\nBREAKING CHANGE: footer wins", "feat", "", "both marks", "footer wins", True),
    ("feat: body mentions\n\nBREAKING CHANGE in prose is not a footer", "feat", "", "body mentions", "", True),
    ("chore: breaking in body\n\nSome text.\n\nBREAKING CHANGE: yes", "chore", "", "breaking in body", "yes", True),
    ('Revert "feat: add login"\n\nThis reverts commit abc123.', "revert", "", "add login", "", True),
    ('Revert "fix(api): handle 404"', "revert", "api", "handle 404", "", True),
    ("Merge pull request #12 from me/branch\n\nfeat: inside", "", "", "Merge pull request #12 from me/branch", "",
     False),
    ("Merge branch 'main' into feature", "", "", "Merge branch 'main' into feature", "", False),
    ("revert: undo the cache", "revert", "", "undo the cache", "", True),
    ("feat(api)!: v2\n\nbody\n\nRefs: #12\nBREAKING CHANGE: v1 removed", "feat", "api", "v2", "v1 removed", True),
    ("WIP", "", "", "WIP", "", False),
    ("fix: colon: in description", "fix", "", "colon: in description", "", True),
    ("feat(x)!:no space after colon", "", "", "feat(x)!:no space after colon", "", False),
    ("style: tabs\tinside", "style", "", "tabs\tinside", "", True),
    ("test: x (#12) not at end", "test", "", "x (#12) not at end", "", True),
]


@pytest.mark.parametrize(("message", "type_", "scope", "description", "breaking", "conventional"), CASES)
def test_header_parse(message: str, type_: str, scope: str, description: str, breaking: str,
                      conventional: bool) -> None:
    commit = parse(message, "abc")
    assert (commit.type, commit.scope, commit.description, commit.breaking, commit.conventional) == (
        type_, scope, description, breaking, conventional)


def test_footers_are_tokens_with_values() -> None:
    commit = parse("fix: x\n\nbody text\n\nRefs: #12\nCloses #7\nReviewed-by: Ana")
    assert commit.footers == (("Refs", "#12"), ("Closes", "7"), ("Reviewed-by", "Ana"))
    assert commit.body == "body text"


def test_multi_paragraph_body_is_kept_whole() -> None:
    commit = parse("feat: x\n\nfirst paragraph\n\nsecond paragraph\n\nRefs: #1")
    assert commit.body == "first paragraph\n\nsecond paragraph"


def test_footer_value_continues_on_following_lines() -> None:
    commit = parse("feat: x\n\nBREAKING CHANGE: the config moved\nto deploy.toml")
    assert commit.breaking == "the config moved\nto deploy.toml"


def test_squash_subject_records_the_pull_request() -> None:
    assert parse("feat: thing (#123)").pr == "123"


def test_merge_commits_are_flagged_not_conventional() -> None:
    commit = parse("Merge pull request #5 from a/b")
    assert commit.merge and not commit.conventional


def test_revert_records_the_reverted_header() -> None:
    assert parse('Revert "feat: add login"').reverts == "feat: add login"


def test_squash_body_bullets_become_commits() -> None:
    message = "feat: big change (#40)\n\n* feat: add export\n\n* fix(ui): align table\n  with details\n\n* docs: readme"
    commits = parse_squash(message, "sha")
    assert [(c.type, c.scope, c.description) for c in commits] == [
        ("feat", "", "add export"), ("fix", "ui", "align table"), ("docs", "", "readme")]


def test_squash_body_without_conventional_bullets_is_one_commit() -> None:
    commits = parse_squash("feat: title (#3)\n\n* tidy up\n* more", "sha")
    assert [c.description for c in commits] == ["title"]


def test_non_conventional_message_never_raises() -> None:
    for junk in ["\n\n\n", "(:", "!: x", "feat(unclosed: x", "::::", "\x00"]:
        assert parse(junk).type == ""
