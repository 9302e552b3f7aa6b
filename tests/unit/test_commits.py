"""Conventional Commits parsing, as a table: message → what the parser must see."""

from __future__ import annotations

import pytest

from deploylib.release.versioning.commits import parse, parse_squash

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
        ("feat", "", "big change"), ("feat", "", "add export"), ("fix", "ui", "align table"), ("docs", "", "readme")]


def test_squash_body_without_conventional_bullets_is_one_commit() -> None:
    commits = parse_squash("feat: title (#3)\n\n* tidy up\n* more", "sha")
    assert [c.description for c in commits] == ["title"]


def test_non_conventional_message_never_raises() -> None:
    for junk in ["\n\n\n", "(:", "!: x", "feat(unclosed: x", "::::", "\x00"]:
        assert parse(junk).type == ""


# Line endings: \r\n, \n and a lone trailing \r read alike on every path (subject, body, footers).
ISSUE_CRLF = "feat(api): rename the export route\r\n\r\nA body paragraph.\r\n\r\nBREAKING CHANGE: /export is gone\r\n"


@pytest.mark.parametrize(("message", "subject", "breaking", "body"), [
    (ISSUE_CRLF, "feat(api): rename the export route", "/export is gone", "A body paragraph."),
    (ISSUE_CRLF.replace("\r\n", "\n"), "feat(api): rename the export route", "/export is gone", "A body paragraph."),
    (ISSUE_CRLF.replace("\r\n", "\r"), "feat(api): rename the export route", "/export is gone", "A body paragraph."),
    ("fix: x\r", "fix: x", "", ""),
    ("fix!: dropped\r\n", "fix!: dropped", "dropped", ""),
    ("feat: x\r\n\r\nBREAKING-CHANGE: hyphen\r\nRefs: #1\r\n", "feat: x", "hyphen", ""),
    ("feat: x\r\n\r\nBREAKING CHANGE: spans\r\ntwo lines\r\n", "feat: x", "spans\ntwo lines", ""),
])
def test_line_endings_do_not_matter(message: str, subject: str, breaking: str, body: str) -> None:
    commit = parse(message)
    assert (commit.subject, commit.breaking, commit.body) == (subject, breaking, body)


# A breaking-change note wherever git and GitHub put one in practice.
@pytest.mark.parametrize(("message", "breaking"), [
    ("feat: x\n\nBREAKING CHANGE: last paragraph", "last paragraph"),
    ("feat: x\n\nBREAKING CHANGE: then trailers\nSigned-off-by: A <a@example.invalid>", "then trailers"),
    ("feat: x\n\nBREAKING CHANGE: then a trailer paragraph\n\nCo-authored-by: B <b@example.invalid>",
     "then a trailer paragraph"),
    ("feat: x\n\nBREAKING CHANGE: before more prose\n\nMigrate by renaming the key.", "before more prose"),
    ("feat: x\n\nSome prose.\nBREAKING CHANGE: no blank line before it", "no blank line before it"),
    ("feat: x\nBREAKING CHANGE: right under the subject", "right under the subject"),
    ("feat: x\n\nReviewed-by: C\nBREAKING CHANGE: after another trailer", "after another trailer"),
    ("feat: x\n\nBREAKING CHANGE:\n  the text on the next line", "the text on the next line"),
    ("feat: x\n\nBREAKING CHANGE:\n\nthe text in the next paragraph", "the text in the next paragraph"),
    ("feat: x\n\n  BREAKING CHANGE: indented", "indented"),
    ("feat: x\n\n* BREAKING CHANGE: as a list item", "as a list item"),
    ("feat: x\n\n- BREAKING-CHANGE: hyphenated list item", "hyphenated list item"),
    ("feat: x\n\nBREAKING CHANGE:", "(no description)"),
    ("chore(deps): x\n\nBREAKING CHANGE: any type", "any type"),
    ("feat: x\n\nbreaking change: lower case is not the token", ""),
    ("feat: x\n\nThis is a BREAKING CHANGE: in prose", ""),
    ("feat: x\n\nBREAKING CHANGES: plural is not the token", ""),
    ("feat: BREAKING CHANGE: in the subject is only the description", ""),
])
def test_breaking_change_notes_are_found_where_they_are_written(message: str, breaking: str) -> None:
    assert parse(message).breaking == breaking


# Markdown around the token, as squash bodies and pull request descriptions write it: GitHub renders each
# of these as the footer "BREAKING CHANGE: …", so each is a breaking change, and its note is the text
# without the marks. "sr" marks the rows semantic-release reads alike (its note keeps the marks).
ISSUE_BOLD = "feat: new login (#42)\n\n* feat: new login\n* **BREAKING CHANGE:** the session cookie is renamed"


@pytest.mark.parametrize(("message", "breaking"), [
    (ISSUE_BOLD, "the session cookie is renamed"),  # sr
    ("feat: x\n\n**BREAKING CHANGE:** bold token and colon", "bold token and colon"),  # sr
    ("feat: x\n\n**BREAKING CHANGE**: colon after the bold", "colon after the bold"),
    ("feat: x\n\n- **BREAKING CHANGE:** a dash list item", "a dash list item"),
    ("feat: x\n\n+ BREAKING CHANGE: a plus list item", "a plus list item"),
    ("feat: x\n\n  * **BREAKING CHANGE:** indented under a bullet", "indented under a bullet"),  # sr
    ("feat: x\n\n__BREAKING CHANGE:__ underscores", "underscores"),
    ("feat: x\n\n__BREAKING CHANGE__: underscores, colon after", "underscores, colon after"),
    ("feat: x\n\n*BREAKING CHANGE:* italic", "italic"),  # sr
    ("feat: x\n\n_BREAKING CHANGE_: italic underscore", "italic underscore"),
    ("feat: x\n\n***BREAKING CHANGE:*** bold italic", "bold italic"),  # sr
    ("feat: x\n\n**BREAKING-CHANGE:** hyphenated", "hyphenated"),  # sr
    ("feat: x\n\n- **BREAKING-CHANGE**: hyphenated, colon after", "hyphenated, colon after"),
    ("feat: x\n\n**BREAKING CHANGE: the whole line bold**", "the whole line bold"),  # sr
    ("feat: x\n\n**BREAKING CHANGE: bold over\ntwo lines**", "bold over\ntwo lines"),  # sr
    ("feat: x\n\n**BREAKING CHANGE:**\nthe text on the next line", "the text on the next line"),  # sr
    ("feat: x\n\n**BREAKING CHANGE:**\n\nthe text in the next paragraph", "the text in the next paragraph"),  # sr
    ("feat: x\n\n**BREAKING CHANGE:**", "(no description)"),  # sr
    ("feat: x\n\n**BREAKING CHANGE:** keeps **its own** marks", "keeps **its own** marks"),  # sr
    ("feat: x\n\n_BREAKING CHANGE: renames __init__", "renames __init__"),  # "__" does not close "_"
    ("fix: x\r\n\r\n**BREAKING CHANGE:** crlf\r\n", "crlf"),  # sr
])
def test_a_breaking_change_token_in_markdown_emphasis_is_the_token(message: str, breaking: str) -> None:
    assert parse(message).breaking == breaking


# Where a note ends: a note that is a list item ends at the next item of its list, as the item does
# (CommonMark 0.31 §5.2), and any note ends where another one starts.
@pytest.mark.parametrize(("message", "breaking"), [
    ("feat: x\n\n* BREAKING CHANGE: the cookie is renamed\n* wip", "the cookie is renamed"),
    ("feat: x\n\n* feat: new login\n* **BREAKING CHANGE:** the cookie is renamed\n* tidy up\n* fix: typo",
     "the cookie is renamed"),
    ("feat: x\n\n- **BREAKING CHANGE:** a\n+ another list", "a"),
    ("feat: x\n\n  * BREAKING CHANGE: nested\n* the parent list goes on", "nested"),
    ("feat: x\n\n* BREAKING CHANGE: removed:\n  * a\n  * b\n* then the next item", "removed:\n* a\n* b"),
    ("feat: x\n\n* BREAKING CHANGE: first\n* BREAKING CHANGE: second", "first"),
    ("feat: x\n\nBREAKING CHANGE: first\n**BREAKING CHANGE:** second", "first"),
    ("feat: x\n\nBREAKING CHANGE: not an item:\n- removed a\n- removed b", "not an item:\n- removed a\n- removed b"),
])
def test_a_note_ends_where_its_list_item_ends(message: str, breaking: str) -> None:
    assert parse(message).breaking == breaking


# A message may announce several breaking changes (a squash body, a long refactoring): each note is kept,
# in message order, as semantic-release's parser keeps them (conventional-commits-parser `notes`); a note
# written twice counts once. "!" alone stands for the description; a note, when there is one, says more.
@pytest.mark.parametrize(("message", "notes"), [
    ("feat: x\n\nBREAKING CHANGE: a\nBREAKING CHANGE: b", ("a", "b")),
    ("feat: x\n\nBREAKING CHANGE: a\n\nBREAKING CHANGE: b", ("a", "b")),
    ("feat: x\n\nBREAKING CHANGE: a\nBREAKING-CHANGE: b\nBREAKING CHANGE: c", ("a", "b", "c")),
    ("feat: x\n\nBREAKING CHANGE: a\nRefs: #1\nBREAKING CHANGE: b", ("a", "b")),
    ("feat: x\n\nBREAKING CHANGE: a\nCloses #1\n\nBREAKING CHANGE: b", ("a", "b")),
    ("feat: x\n\nBREAKING CHANGE: a\n\nSigned-off-by: A <a@example.invalid>\n\nBREAKING CHANGE: b", ("a", "b")),
    ("feat: x\n\n* BREAKING CHANGE: a\n* BREAKING CHANGE: b", ("a", "b")),
    ("feat: x\n\n- **BREAKING CHANGE:** a\n- **BREAKING CHANGE:** b", ("a", "b")),
    ("feat: x\n\nprose\nBREAKING CHANGE: in the body\n\nBREAKING CHANGE: in the footer",
     ("in the body", "in the footer")),
    ("feat: x\n\nBREAKING CHANGE: spans\ntwo lines\nBREAKING CHANGE: b", ("spans\ntwo lines", "b")),
    ("feat: x\n\nBREAKING CHANGE:\n\nthe next paragraph\n\nBREAKING CHANGE: b", ("the next paragraph", "b")),
    ("feat: x\n\nBREAKING CHANGE: a\n* wip\nBREAKING CHANGE: b", ("a\n* wip", "b")),
    ("feat: x\r\n\r\nBREAKING CHANGE: a\r\nBREAKING CHANGE: b\r\n", ("a", "b")),
    ("feat: x\n\nBREAKING CHANGE: same\n\nBREAKING CHANGE: same", ("same",)),
    ("feat!: x\n\nBREAKING CHANGE: a\nBREAKING CHANGE: b", ("a", "b")),
    ("feat!: x", ("x",)),
    ("feat: x\n\nBREAKING CHANGE: a\nbreaking change: lower case is prose",
     ("a\nbreaking change: lower case is prose",)),
    ("feat: x", ()),
    ('Reapply "feat!: x"', ("x",)),
])
def test_every_breaking_change_note_of_a_message_is_kept(message: str, notes: tuple[str, ...]) -> None:
    commit = parse(message)
    assert (commit.breaking_notes, commit.breaking) == (notes, notes[0] if notes else "")


# What only looks like the token stays a plain commit: the spec's token is upper case, with a colon right
# after it (items 12 and 15), and it opens its line. "sr" marks the rows semantic-release reads otherwise.
@pytest.mark.parametrize("message", [
    "feat: x\n\n**Breaking change:** lower case, as pull request templates ask",  # sr: breaking
    "feat: x\n\n* **breaking change**: lower case in a list",
    "feat: x\n\n**BREAKING CHANGE** without a colon",
    "feat: x\n\n**BREAKING CHANGES:** plural",
    "feat: x\n\nThis is a **BREAKING CHANGE:** in prose",
    "feat: **BREAKING CHANGE:** in the subject only",
    "feat: x\n\n### BREAKING CHANGES\n\n* a heading is not the token",
    "feat: x\n\n> **BREAKING CHANGE:** a quotation",
    "feat: x\n\n`BREAKING CHANGE:` in a code span",
    "feat: x\n\n| **BREAKING CHANGE** | a table cell |",
])
def test_what_only_looks_like_the_token_is_not_a_breaking_change(message: str) -> None:
    assert parse(message).breaking == ""


# A breaking-change note marks any commit but a merge, whatever its subject (semantic-release counts them
# all; a merge's notes are its merged commits', which history holds too). Undoing a breaking change is
# not itself one: a revert breaks something only when its own body says so.
@pytest.mark.parametrize(("message", "type_", "breaking"), [
    ('Revert "feat: export"\n\nThis reverts commit 1234567.\n\nBREAKING CHANGE: the export option is gone',
     "revert", "the export option is gone"),
    ('Revert "feat: export (#11)" (#12)\n\nReverts o/r#11\n\n**BREAKING CHANGE:** gone again', "revert", "gone again"),
    ('Reapply "feat: export"\n\nBREAKING CHANGE: back, renamed', "feat", "back, renamed"),
    ('Revert "feat!: export"\n\nThis reverts commit 1234567.', "revert", ""),
    ("Add the export\n\nBREAKING CHANGE: /v1 is gone", "", "/v1 is gone"),
    ("Add the export (#4)\n\n* BREAKING CHANGE: /v1 is gone", "", "/v1 is gone"),
    ("feat!(api): the header puts ! before the scope\n\nBREAKING CHANGE: /v1 is gone", "", "/v1 is gone"),
    ("fix(deps)(deps-dev): two scopes\n\nBREAKING-CHANGE: node 18 needed", "", "node 18 needed"),
    ("Squashed commit of the following:\n\ncommit 1234567\nAuthor: A <a@example.invalid>\n\n    feat: x\n\n"
     "    BREAKING CHANGE: /v1 is gone", "", "/v1 is gone"),
    ("Add the export\n\nbreaking change: lower case is prose", "", ""),
    ("Add the export", "", ""),
    ("Merge pull request #5 from a/b\n\nBREAKING CHANGE: /v1 is gone", "", ""),
    ("Merge branch 'next'\n\nBREAKING CHANGE: /v1 is gone", "", ""),
])
def test_a_breaking_change_note_marks_any_commit_but_a_merge(message: str, type_: str, breaking: str) -> None:
    commit = parse(message)
    assert (commit.type, commit.breaking) == (type_, breaking)


# GitHub squash bodies: the lines after a bullet, indented or not, belong to that bullet's commit.
ISSUE_SQUASH = ("Rework the export (#41)\n\n* feat(export): stream the CSV\n\n"
                "BREAKING CHANGE: export() now returns an iterator\n\n* fix(export): quote fields with commas")


@pytest.mark.parametrize(("message", "expected"), [
    (ISSUE_SQUASH, [("feat", "stream the CSV", "export() now returns an iterator"),
                    ("fix", "quote fields with commas", "")]),
    (ISSUE_SQUASH.replace("\n", "\r\n"), [("feat", "stream the CSV", "export() now returns an iterator"),
                                          ("fix", "quote fields with commas", "")]),
    ("T (#1)\n\n* feat: a\n\n  BREAKING CHANGE: indented under its bullet\n\n* fix: b",
     [("feat", "a", "indented under its bullet"), ("fix", "b", "")]),
    ("T (#1)\n\n* feat: a\n\nbody of a\n\n* wip\n\nBREAKING CHANGE: the wip commit's\n\n* fix: b",
     [("feat", "a", "the wip commit's"), ("fix", "b", "")]),  # "* wip" is not a commit of its own
    ("T (#1)\n\n* fix: a\n\n* feat!: b\n\n---------\n\nCo-authored-by: D <d@example.invalid>",
     [("fix", "a", ""), ("feat", "b", "b")]),
    ("feat: title only (#2)", [("feat", "title only", "")]),
    ("fix(cmd): the title counts too (#1369)\n\n* test(cmd): a test\n\n* docs: a page",
     [("fix", "the title counts too", ""), ("test", "a test", ""), ("docs", "a page", "")]),
    ('Revert things (#3)\n\n* Revert "feat: a"\n\nThis reverts commit abcdef1.', [("revert", "a", "")]),
    (ISSUE_BOLD, [("feat", "new login", ""), ("feat", "new login", "the session cookie is renamed")]),
    ("Rework the export (#41)\n\nBREAKING CHANGE: the title's note\n\n* feat: a\n\n* fix: b",
     [("", "Rework the export", "the title's note"), ("feat", "a", ""), ("fix", "b", "")]),
])
def test_squash_bodies(message: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(c.type, c.description, c.breaking) for c in parse_squash(message, "sha")] == expected


def test_squash_bullets_carry_the_pull_request_of_the_title() -> None:
    assert [c.pr for c in parse_squash(ISSUE_SQUASH, "sha")] == ["41", "41"]


# Reverts: what each form undoes, and what it is.
@pytest.mark.parametrize(("message", "type_", "description", "reverts", "pr"), [
    ('Revert "feat(theme): dark mode"\n\nThis reverts commit 1234567.', "revert", "dark mode",
     "feat(theme): dark mode", ""),
    ('Revert "feat(theme): dark mode (#42)" (#43)\n\nReverts acme/site#42', "revert", "dark mode",
     "feat(theme): dark mode (#42)", "43"),
    ('Reapply "feat(theme): dark mode"', "feat", "dark mode", 'Revert "feat(theme): dark mode"', ""),
    ('Revert "Revert "feat(theme): dark mode""', "feat", "dark mode", 'Revert "feat(theme): dark mode"', ""),
    ('Revert "Tidy up"', "revert", "Tidy up", "Tidy up", ""),
    ("revert: let us never again speak of the noodle incident\n\nRefs: 676104e, a215868", "revert",
     "let us never again speak of the noodle incident", "", ""),
])
def test_revert_forms(message: str, type_: str, description: str, reverts: str, pr: str) -> None:
    commit = parse(message)
    assert (commit.type, commit.description, commit.reverts, commit.pr) == (type_, description, reverts, pr)
