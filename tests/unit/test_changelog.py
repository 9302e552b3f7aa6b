"""Changelog notes, rendering and the incremental update that never duplicates a section."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.changelog import release_notes, render, update
from deploylib.errors import ReleaseError
from deploylib.versioning.commits import parse

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
