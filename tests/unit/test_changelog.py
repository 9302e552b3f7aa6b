"""Changelog notes, rendering and the incremental update that never duplicates a section."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from deploylib.errors import ReleaseError
from deploylib.release.changelog import (
    markdown_text,
    own_template_used,
    release_notes,
    render,
    section_of,
    update,
    with_unreleased,
)
from deploylib.release.versioning.commits import parse

OLD = """# Changelog

Hand-written intro, kept as is.

## [1.0.0] - 2026-01-01

### Features

- first (aaaaaaa)
"""


def notes(version: str = "1.1.0", *messages: str):
    messages = messages or ("feat(ui): dark mode (#12)", "fix: crash", "docs: readme", "feat!: new api")
    return release_notes(version, "2026-11-24", [parse(m, f"{i:07d}" + "0" * 33) for i, m in enumerate(messages)])


def test_sections_are_grouped_and_breaking_changes_come_first() -> None:
    titles = [s.title for s in notes().sections]
    assert titles == ["Breaking Changes", "Features", "Bug Fixes"]


def test_types_without_a_section_are_left_out() -> None:
    assert all("readme" not in e.description for s in notes().sections for e in s.entries)


def test_rendered_entry_has_scope_pr_and_short_hash() -> None:
    text = render("CHANGELOG.md.j2", None, releases=[notes()])
    assert "- **ui:** dark mode (#12) (0000000)" in text
    assert "## [1.1.0] - 2026-11-24" in text


def test_update_inserts_the_new_section_above_older_ones_keeping_every_other_byte() -> None:
    new = update(OLD, render("CHANGELOG.md.j2", None, releases=[notes()]), "1.1.0")
    assert new.startswith("# Changelog\n\nHand-written intro, kept as is.\n\n## [1.1.0]")
    assert new.endswith(OLD[OLD.index("## [1.0.0]"):])


def test_update_replaces_an_existing_section_instead_of_duplicating_it() -> None:
    once = update(OLD, render("CHANGELOG.md.j2", None, releases=[notes()]), "1.1.0")
    twice = update(once, render("CHANGELOG.md.j2", None, releases=[notes("1.1.0", "fix: only this")]), "1.1.0")
    assert twice.count("## [1.1.0]") == 1
    assert "only this" in twice and "dark mode" not in twice
    assert twice.endswith(OLD[OLD.index("## [1.0.0]"):])


@pytest.mark.parametrize("heading", ["## v1.1.0 (2026-01-01)", "## [v1.1.0](https://github.com/o/r/compare/v1.0.0...v1.1.0)",
                                     "# [1.1.0](https://github.com/o/r/compare/v1.0.0...v1.1.0) (2026-01-01)",
                                     "### [1.1.0](https://github.com/o/r/compare/v1.0.0...v1.1.0) (2026-01-01)"])
def test_a_section_another_tool_headed_is_replaced_not_duplicated(heading: str) -> None:
    existing = f"# Changelog\n\n{heading}\n\n- old\n\n## [1.0.0] - 2026-01-01\n\n- first\n"
    updated = update(existing, section("1.1.0", "feat: again"), "1.1.0")
    assert "again" in updated and "- old" not in updated
    assert updated.endswith("## [1.0.0] - 2026-01-01\n\n- first\n")


def test_update_of_a_missing_file_is_the_whole_rendering() -> None:
    rendered = render("CHANGELOG.md.j2", None, releases=[notes()])
    assert update("", rendered, "1.1.0") == rendered


def test_a_project_template_overrides_the_default(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md.j2").write_text("{% for r in releases %}## {{ r.version }}\n{% endfor %}")
    assert render("CHANGELOG.md.j2", tmp_path, releases=[notes()]) == "## 1.1.0\n"


def test_a_template_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md.j2").write_text("line one\n{% for r in releases %}\n{{ r.version }\n")
    with pytest.raises(ReleaseError, match=r"CHANGELOG.md.j2, line 3, is invalid"):
        render("CHANGELOG.md.j2", tmp_path, releases=[notes()])


def test_an_undefined_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md.j2").write_text("## {{ releases[0].version }}\n{{ releases[0].nope }}\n")
    with pytest.raises(ReleaseError, match=r"CHANGELOG.md.j2 failed while rendering.*nope.*line 2"):
        render("CHANGELOG.md.j2", tmp_path, releases=[notes()])


def test_the_sandbox_refuses_unsafe_attribute_access(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md.j2").write_text("{{ releases.__class__.__mro__ }}")
    with pytest.raises(ReleaseError):
        render("CHANGELOG.md.j2", tmp_path, releases=[notes()])


def test_commits_that_are_not_conventional_are_listed_under_other_only_when_asked() -> None:
    messages = ("feat: a", "Tidy things up", "Merge branch 'x'")
    plain = release_notes("1.0.0", "2026-11-24", [parse(m, "0" * 40) for m in messages])
    other = release_notes("1.0.0", "2026-11-24", [parse(m, "0" * 40) for m in messages], include_other=True)
    assert [s.title for s in plain.sections] == ["Features"]
    assert [(s.title, [e.description for e in s.entries]) for s in other.sections] == [
        ("Features", ["a"]), ("Other", ["Tidy things up"])]


def section(version: str, *messages: str) -> str:
    return render("CHANGELOG.md.j2", None, releases=[notes(version, *messages)])


@pytest.mark.parametrize(("existing", "expected_start"), [
    ("# Changelog\n\n## [Unreleased]\n\n- coming soon\n\n## [1.0.0] - 2026-01-01\n\n- first\n",
     "# Changelog\n\n## [Unreleased]\n\n- coming soon\n\n## [1.1.0]"),
    ("# Changelog\n\n## Unreleased\n\n## 1.0.0\n", "# Changelog\n\n## Unreleased\n\n## [1.1.0]"),
    ("# Changelog\n\n## [unreleased]\n", "# Changelog\n\n## [unreleased]\n\n## [1.1.0]"),
    # linked inline (github_changelog_generator), and dated as cargo-release's template writes it
    ("# Changelog\n\n## [Unreleased](https://github.com/o/r/compare/v1.0.0...HEAD)\n\n## [1.0.0]\n",
     "# Changelog\n\n## [Unreleased](https://github.com/o/r/compare/v1.0.0...HEAD)\n\n## [1.1.0]"),
    ("# Changelog\n\n## [Unreleased] - ReleaseDate\n\n## [1.0.0] - 2026-01-01\n",
     "# Changelog\n\n## [Unreleased] - ReleaseDate\n\n## [1.1.0]"),
])
def test_an_unreleased_section_stays_on_top(existing: str, expected_start: str) -> None:
    assert update(existing, section("1.1.0", "feat: a"), "1.1.0").startswith(expected_start)


@pytest.mark.parametrize("older", ["## [1.1.0-rc.2] - 2026-01-02\n\n- rc two\n",
                                   "## 1.1.0-rc.1 (2026-01-01)\n\n- rc one\n",
                                   "## [1.1.0-beta.1](https://x.invalid/compare) - 2026-01-01\n\n- beta\n"])
def test_prerelease_sections_are_kept_byte_for_byte_when_the_release_is_finished(older: str) -> None:
    existing = "# Changelog\n\n" + older + "\n## [1.0.0] - 2025-12-01\n\n- first\n"
    new = update(existing, section("1.1.0", "feat: a"), "1.1.0")
    assert new.count("## [1.1.0]") == 1 and new.endswith(existing[len("# Changelog\n\n"):])


@pytest.mark.parametrize(("variant", "change"), [
    ("crlf", lambda t: t.replace("\n", "\r\n")),
    ("bom", lambda t: "\ufeff" + t),
    ("no final newline", lambda t: t.rstrip("\n")),
    ("bom crlf no final newline", lambda t: "\ufeff" + t.rstrip("\n").replace("\n", "\r\n")),
])
def test_the_update_keeps_line_endings_bom_and_final_newline(variant: str, change) -> None:
    existing = change(OLD)
    new = update(existing, section("1.1.0", "feat: a"), "1.1.0")
    added = section_of(section("1.1.0", "feat: a"), "1.1.0")
    nl = "\r\n" if "crlf" in variant else "\n"
    assert new == existing.replace("## [1.0.0]", added.replace("\n", nl) + nl * 2 + "## [1.0.0]")


def test_replacing_the_last_section_keeps_a_missing_final_newline() -> None:
    once = update(OLD.rstrip("\n"), section("1.0.0", "feat: again"), "1.0.0")
    assert once.endswith("again (0000000)") and "first" not in once


@pytest.mark.parametrize(("description", "markdown"), [
    ("remove needless __proto__ use", "remove needless \\_\\_proto\\_\\_ use"),
    ("add <Header> to <App>", "add \\<Header\\> to \\<App\\>"),
    ("keep snake_case and `__init__` code", "keep snake_case and `__init__` code"),
    ("a * b, [x](y), ~~s~~, &amp;, C:\\temp", "a \\* b, \\[x\\](y), \\~\\~s\\~\\~, \\&amp;, C:\\\\temp"),
    ("_private_ name", "\\_private\\_ name"),
    ("unmatched ` backtick", "unmatched ` backtick"),
    # What would start a block at the start of a line: a heading, a list, a rule, a code fence.
    ("# of retries is off by one", "\\# of retries is off by one"),
    ("1. step, then 2) step", "1\\. step, then 2) step"),
    ("- dash, + plus", "\\- dash, + plus"),
    ("the API changed:\n- removed a\n+ removed b\n3) removed c",
     "the API changed:\n\\- removed a\n\\+ removed b\n3\\) removed c"),
    ("a heading?\n---\n===", "a heading?\n\\---\n\\==="),
    ("config:\n```toml\nx = 1\n```", "config:\n\\`\\`\\`toml\nx = 1\n\\`\\`\\`"),
    ("#123, -1 and 2.5 stay as written", "#123, -1 and 2.5 stay as written"),
    ("`code` # mid-line", "`code` # mid-line"),
])
def test_markdown_in_subjects_renders_as_written(description: str, markdown: str) -> None:
    assert markdown_text(description) == markdown


@pytest.mark.parametrize("template", ["CHANGELOG.md.j2", "release_notes.md.j2"])
def test_both_templates_escape_subjects_and_scopes(template: str) -> None:
    release = notes("1.1.0", "fix(assert): remove needless __proto__ use", "feat(<layout>): add <Header> to <App>")
    text = render(template, None, releases=[release], release=release)
    assert "remove needless \\_\\_proto\\_\\_ use" in text and "**\\<layout\\>:** add \\<Header\\> to \\<App\\>" in text


# Changelogs other tools wrote: semantic-release heads a major release with `#`, standard-version a patch
# release with `###`; the new section still goes above the newest release and the rest stays as it was.
SEMANTIC_RELEASE = ("# [2.0.0](https://github.com/o/r/compare/v1.1.0...v2.0.0) (2026-01-02)\n\n\n"
                    "### Features\n\n* x ([abc1234](https://github.com/o/r/commit/abc1234))\n\n"
                    "## [1.1.0](https://github.com/o/r/compare/v1.0.0...v1.1.0) (2026-01-01)\n\n\n"
                    "### Features\n\n* y\n")
STANDARD_VERSION = ("# Changelog\n\nAll notable changes to this project will be documented in this file.\n\n"
                    "### [1.0.1](https://github.com/o/r/compare/v1.0.0...v1.0.1) (2026-01-02)\n\n"
                    "### Bug Fixes\n\n* z\n\n"
                    "## [1.0.0](https://github.com/o/r/compare/v0.9.0...v1.0.0) (2026-01-01)\n\n### Features\n\n* w\n")


@pytest.mark.parametrize(("existing", "newest"), [
    (SEMANTIC_RELEASE, "# [2.0.0]"),
    (STANDARD_VERSION, "### [1.0.1]"),
    ("# Changelog\n\n### v2.0.0 (2026-01-02)\n\n- z\n\n## 1.0.0\n", "### v2.0.0"),
])
def test_the_new_section_goes_above_the_newest_release_whatever_its_heading_level(existing: str, newest: str) -> None:
    updated = update(existing, section("2.0.1", "fix: a"), "2.0.1")
    assert updated.index("## [2.0.1]") < updated.index(newest)
    assert updated.endswith(existing[existing.index(newest):])


def test_a_replaced_section_ends_at_the_next_release_whatever_its_heading_level() -> None:
    existing = STANDARD_VERSION.replace("### [1.0.1]", "## [1.1.0] - 2026-01-03\n\n- old (1234567)\n\n### [1.0.1]")
    updated = update(existing, section("1.1.0", "feat: again"), "1.1.0")
    assert "again" in updated and "old" not in updated
    assert updated.endswith(STANDARD_VERSION[STANDARD_VERSION.index("### [1.0.1]"):])


@pytest.mark.parametrize("template", ["CHANGELOG.md.j2", "release_notes.md.j2"])
def test_a_breaking_note_over_several_lines_stays_one_list_item(template: str) -> None:
    release = notes("2.0.0", "feat: x\n\nBREAKING CHANGE: the API changed:\n- removed a\n- removed b")
    text = render(template, None, releases=[release], release=release)
    breaking = text[text.index("### Breaking Changes"):text.index("### Features")]
    assert [line for line in breaking.splitlines() if line.startswith(("- ", "+ ", "* "))] == [
        "- the API changed:"]


@pytest.mark.parametrize("template", ["CHANGELOG.md.j2", "release_notes.md.j2"])
def test_a_bold_breaking_note_is_listed_without_the_marks_of_its_token(template: str) -> None:
    release = notes("2.0.0", "feat: new login (#42)\n\n* feat: new login\n* **BREAKING CHANGE:** the cookie is renamed")
    text = render(template, None, releases=[release], release=release)
    breaking = text[text.index("### Breaking Changes"):text.index("### Features")]
    assert [line for line in breaking.splitlines() if line.startswith("- ")] == [
        "- the cookie is renamed (#42) (0000000)"]


# Each breaking-change note of a commit is an entry of its own under Breaking Changes, as semantic-release's
# release notes list them: a commit announcing two breaking changes loses neither.
@pytest.mark.parametrize(("message", "entries"), [
    ("feat(api): v2 (#7)\n\nBREAKING CHANGE: /v1 is gone\nBREAKING CHANGE: tokens expire", [
        "- **api:** /v1 is gone (#7) (0000000)", "- **api:** tokens expire (#7) (0000000)"]),
    ("feat: esm\n\nBREAKING CHANGE: ESM only\n\nBREAKING CHANGE: configs need the file extension", [
        "- ESM only (0000000)", "- configs need the file extension (0000000)"]),
    ("refactor: x\n\n* **BREAKING CHANGE:** a\n* **BREAKING CHANGE:** b", ["- a (0000000)", "- b (0000000)"]),
    ("feat!: x\n\nBREAKING CHANGE: a\nBREAKING CHANGE: a", ["- a (0000000)"]),
    ("Rework the export (#4)\n\nBREAKING CHANGE: /v1 is gone", ["- /v1 is gone (#4) (0000000)"]),
])
@pytest.mark.parametrize("template", ["CHANGELOG.md.j2", "release_notes.md.j2"])
def test_every_breaking_change_note_is_listed(template: str, message: str, entries: list[str]) -> None:
    release = notes("2.0.0", message)
    text = render(template, None, releases=[release], release=release)
    breaking = text.split("### Breaking Changes")[1].split("\n### ")[0]
    assert [line for line in breaking.splitlines() if line.startswith("- ")] == entries


def test_a_cancelled_revert_pair_is_left_out_of_the_notes() -> None:
    sha = "1" * 40
    revert = parse(f'Revert "feat(theme): dark mode"\n\nThis reverts commit {sha}.', "2" * 40)
    release = release_notes("1.1.0", "2026-11-24", [parse("docs: a", "3" * 40), revert,
                                                    parse("feat(theme): dark mode", sha)])
    assert release.sections == []


def test_a_revert_of_an_earlier_release_is_listed_under_reverts() -> None:
    release = release_notes("1.0.1", "2026-11-24", [parse('Revert "feat(theme): dark mode"', "2" * 40)])
    assert [(s.title, [e.description for e in s.entries]) for s in release.sections] == [("Reverts", ["dark mode"])]


@pytest.mark.parametrize("unreleased", ["## [Unreleased]\n\n- coming soon\n", "## Unreleased\r\n\r\n- coming\r\n",
                                        "## [Unreleased](https://github.com/o/r/compare/v1.0.0...HEAD)\n\n- soon\n"])
def test_a_regenerated_changelog_keeps_the_unreleased_section_on_top(unreleased: str) -> None:
    existing = "# Changelog\n\n" + unreleased + "\n## [1.0.0] - 2026-01-01\n\n- old text\n"
    regenerated = with_unreleased(section("1.1.0", "feat: a"), existing)
    kept = unreleased.replace("\r\n", "\n").rstrip("\n")
    assert regenerated.index(kept) < regenerated.index("## [1.1.0]") and "old text" not in regenerated


# deploylib's own CHANGELOG.md.j2 renders the section of any release, so `deploylib next-version` and the dry run
# check a release's edits without rendering it (release.edits.refuse_unusable_edits): every kind of version and
# of notes below gives a section under its own heading, added to an empty or an existing changelog.
SHIPPED_RENDERS = [
    ("first release, no sections", "0.1.0", ("docs: only docs",), ""),
    ("every section and Other", "2.0.0", ("feat!: api", "fix(ui): x (#3)", "perf: y", 'Revert "feat: z"', "Tidy"), ""),
    ("prerelease", "1.1.0-rc.2", ("feat: a",), ""),
    ("build metadata", "1.0.1+build.7", ("fix: a",), ""),
    ("prerelease and build metadata", "10.20.30-alpha.beta.1+x.y", ("fix: a",), ""),
    ("markup in subjects and scopes", "1.2.0", ("feat(<x>_y): ## [1.2.0] `a` *b* [c](d) <e> & __f__",), ""),
    ("linked to a forge", "3.0.0", ("fix: a (#9)",), "https://github.com/o/r"),
    ("empty description", "1.0.2", ("fix: ",), ""),
]


@pytest.mark.parametrize(("case", "version", "messages", "web"), SHIPPED_RENDERS, ids=[c[0] for c in SHIPPED_RENDERS])
def test_the_shipped_template_renders_the_section_of_every_release(case: str, version: str, messages: tuple[str, ...],
                                                                 web: str) -> None:
    release = release_notes(version, "2026-11-24", [parse(m, f"{i:07d}" + "0" * 33) for i, m in enumerate(messages)],
                            include_other=True)
    if web:
        release = dataclasses.replace(release, repo_url=web, compare_url=f"{web}/compare/v0.9.0...v{version}")
    rendered = render("CHANGELOG.md.j2", None, releases=[release])
    assert section_of(rendered, version).startswith(f"## [{version}]")
    assert section_of(update(OLD, rendered, version), version) == section_of(rendered, version)


@pytest.mark.parametrize(("user_folder", "used"), [
    (None, True),  # no [release] templates
    ("missing", True),  # configured, not there (the preflight names it)
    ("empty", True),  # a folder holding other templates only
    ("directory", True),  # a folder named CHANGELOG.md.j2 is not a template: Jinja2 looks further
    ("file", False),
])
def test_the_shipped_template_is_used_unless_the_users_folder_holds_one(tmp_path: Path, user_folder: str | None,
                                                                       used: bool) -> None:
    folder = tmp_path / "templates"
    if user_folder in ("empty", "directory", "file"):
        folder.mkdir()
        (folder / "release_notes.md.j2").write_text("{{ release.version }}\n")
    if user_folder == "directory":
        (folder / "CHANGELOG.md.j2").mkdir()
    if user_folder == "file":
        (folder / "CHANGELOG.md.j2").write_text("## [{{ releases[0].version }}]\n")
    assert own_template_used("CHANGELOG.md.j2", folder if user_folder else None) is used
