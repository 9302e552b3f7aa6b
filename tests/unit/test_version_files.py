"""Version numbers written into files in place: everything but the version stays byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.errors import ReleaseError
from deploylib.version_files import planned_edits, set_package_json, set_pattern, set_pyproject, spec_problem

PACKAGE = """{
  "name": "site",
  "dependencies": {"left-pad": {"version": "1.0.0"}},
  "version":   "1.4.0",
  "scripts": {"build": "vite build"}
}
"""


def test_package_json_changes_only_the_top_level_version() -> None:
    assert set_package_json(PACKAGE, "1.5.0") == PACKAGE.replace('"version":   "1.4.0"', '"version":   "1.5.0"')


def test_package_json_without_a_version_is_an_error() -> None:
    with pytest.raises(ValueError, match="no top-level"):
        set_package_json('{"name": "x", "nested": {"version": "1"}}', "1.0.0")


def test_pyproject_keeps_comments_and_layout() -> None:
    text = '[project]\nname = "x"  # the name\nversion = "1.4.0"   # bumped by deploylib\n\n[tool.x]\na = 1\n'
    assert set_pyproject(text, "2.0.0") == text.replace('"1.4.0"', '"2.0.0"')


def test_pyproject_with_a_dynamic_version_is_an_error() -> None:
    with pytest.raises(ValueError, match="no \\[project\\] version"):
        set_pyproject('[project]\nname = "x"\ndynamic = ["version"]\n', "1.0.0")


@pytest.mark.parametrize(("text", "pattern", "expected"), [
    ('__version__ = "1.4.0"\n', '__version__ = "{version}"', '__version__ = "1.5.0-rc.1"\n'),
    ("VERSION=1.4.0-beta.2+exp.sha.5114f85\n", "VERSION={version}", "VERSION=1.5.0-rc.1\n"),
    ('a = "1.4.0"\nversion: 1.4.0\n', "version: {version}", 'a = "1.4.0"\nversion: 1.5.0-rc.1\n'),
])
def test_a_pattern_replaces_the_version_it_surrounds(text: str, pattern: str, expected: str) -> None:
    assert set_pattern(text, pattern, "1.5.0-rc.1") == expected


@pytest.mark.parametrize(("spec", "problem"), [
    ("package.json", ""), ("web/package.json", ""), ("pyproject.toml", ""), ('x.py:V = "{version}"', ""),
    ("setup.cfg", "without a pattern"), ("x.py:VERSION", "without {version}"), ("/etc/passwd:{version}", "not a path"),
    ("../other/package.json", "not a path"),
])
def test_spec_problems(spec: str, problem: str) -> None:
    assert (problem in spec_problem(spec)) if problem else spec_problem(spec) == ""


def test_every_edit_is_computed_before_any_file_is_written(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(PACKAGE)
    (tmp_path / "version.py").write_text("no version here\n")
    with pytest.raises(ReleaseError, match="version.py does not contain the pattern"):
        planned_edits(tmp_path, ["package.json", 'version.py:V = "{version}"'], "1.5.0")
    assert (tmp_path / "package.json").read_text() == PACKAGE


def test_a_missing_version_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="version file package.json .* cannot be read"):
        planned_edits(tmp_path, ["package.json"], "1.5.0")
