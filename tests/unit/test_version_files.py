"""Version numbers written into files in place: everything but the version stays byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.errors import ReleaseError
from deploylib.release.version_files import (
    planned_edits,
    set_lockfile,
    set_package_json,
    set_pattern,
    set_pyproject,
    spec_problem,
)

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


# Poetry keeps the version in [tool.poetry] (Poetry 1), beside [project] or for a dynamic one (Poetry 2).
@pytest.mark.parametrize("text", [
    '[tool.poetry]\nname = "x"\nversion = "1.4.0"\n',
    '[project]\nname = "x"\nversion = "1.4.0"\n\n[tool.poetry]\nversion = "1.4.0"\n',
    '[project]\nname = "x"\ndynamic = ["version"]\n\n[tool.poetry]\nversion = "1.4.0"  # source of truth\n',
])
def test_pyproject_poetry_version_is_written(text: str) -> None:
    assert set_pyproject(text, "2.0.0") == text.replace('"1.4.0"', '"2.0.0"')


def test_pyproject_with_a_dynamic_version_is_an_error() -> None:
    with pytest.raises(ValueError, match="no \\[project\\] version"):
        set_pyproject('[project]\nname = "x"\ndynamic = ["version"]\n', "1.0.0")


@pytest.mark.parametrize(("text", "pattern", "expected"), [
    ('__version__ = "1.4.0"\n', '__version__ = "{version}"', '__version__ = "1.5.0-rc.1"\n'),
    ("VERSION=1.4.0-beta.2+exp.sha.5114f85\n", "VERSION={version}", "VERSION=1.5.0-rc.1\n"),
    ('a = "1.4.0"\nversion: 1.4.0\n', "version: {version}", 'a = "1.4.0"\nversion: 1.5.0-rc.1\n'),
    ("image: app:1.0.0.1\nimage: app:1.4.0\n", "image: app:{version}", "image: app:1.0.0.1\nimage: app:1.5.0-rc.1\n"),
    ("image: app:1.4.0a\nimage: app:1.4.0\n", "image: app:{version}", "image: app:1.4.0a\nimage: app:1.5.0-rc.1\n"),
    ("Released as 1.4.0.\n", "Released as {version}", "Released as 1.5.0-rc.1.\n"),
    ("tag 1.4.0-\n", "tag {version}", "tag 1.5.0-rc.1-\n"),
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


LOCK = """{
  "name": "site",
  "version": "1.4.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "site",
      "version": "1.4.0",
      "dependencies": {"left-pad": "^1.4.0"}
    },
    "node_modules/left-pad": {
      "version": "1.4.0",
      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.4.0.tgz"
    }
  }
}
"""


@pytest.mark.parametrize("name", ["package-lock.json", "npm-shrinkwrap.json", "web/package-lock.json"])
def test_lock_files_change_the_top_level_and_the_root_package_version(tmp_path: Path, name: str) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(LOCK)
    assert spec_problem(name) == ""
    edited = planned_edits(tmp_path, [name], "1.5.0")[name]
    assert edited == LOCK.replace('"version": "1.4.0",\n  "lockfileVersion"', '"version": "1.5.0",\n  "lockfileVersion"'
                                  ).replace('"site",\n      "version": "1.4.0"', '"site",\n      "version": "1.5.0"')


def test_a_version_1_lock_file_has_only_the_top_level_version() -> None:
    old = '{"name": "site", "version": "1.4.0", "lockfileVersion": 1, "dependencies": {"a": {"version": "1.4.0"}}}'
    assert set_lockfile(old, "2.0.0") == old.replace('"version": "1.4.0", "lock', '"version": "2.0.0", "lock')


@pytest.mark.parametrize(("text", "expected"), [
    ('{\n  "version": "1.4.0",\n  "packages": {"": {"version": "1.4.0"}}\n}',
     '{\n  "version": "2.0.0",\n  "packages": {"": {"version": "2.0.0"}}\n}'),
    ('{"version": "1.4.0", "x": ["version", {"version": "1.4.0"}]}', '{"version": "2.0.0", "x": ["version", '
                                                                     '{"version": "1.4.0"}]}'),
    ('{"v\\u0065rsion": "1.4.0", "name": "\\"version\\""}', '{"v\\u0065rsion": "2.0.0", "name": "\\"version\\""}'),
])
def test_lock_file_edits_find_keys_by_their_path(text: str, expected: str) -> None:
    assert set_lockfile(text, "2.0.0") == expected


def test_a_pattern_changes_every_place_holding_the_same_version() -> None:
    text = 'A = "1.4.0"\nB = "0.9.0"\nA = "1.4.0"\n'
    assert set_pattern(text, 'A = "{version}"', "1.5.0") == 'A = "1.5.0"\nB = "0.9.0"\nA = "1.5.0"\n'
    lock = '"version": "1.4.0",\n"dep": {"version": "3.0.0"},\n"root": {"version": "1.4.0"}\n'
    assert set_pattern(lock, '"version": "{version}"', "1.5.0") == lock.replace("1.4.0", "1.5.0")


# Every kind of version file keeps its line endings, byte-order mark and missing final newline.
KINDS = [
    ("package.json", '{\n  "name": "site",\n  "version": "1.4.0"\n}\n'),
    ("package-lock.json", '{\n  "version": "1.4.0",\n  "packages": {\n    "": {\n      "version": "1.4.0"\n'
                          '    }\n  }\n}\n'),
    ("pyproject.toml", '[project]\nname = "x"\nversion = "1.4.0"\n\n[tool.x]\na = 1\n'),
    ("pyproject.toml", '[tool.poetry]\nname = "x"\nversion = "1.4.0"\n\n[tool.poetry.dependencies]\npy = "^3"\n'),
    ('version.py:__version__ = "{version}"', '"""The version."""\n__version__ = "1.4.0"\n'),
]


@pytest.mark.parametrize(("spec", "text"), KINDS)
@pytest.mark.parametrize(("variant", "change"), [
    ("crlf", lambda t: t.replace("\n", "\r\n")),
    ("bom", lambda t: "\ufeff" + t),
    ("no final newline", lambda t: t.rstrip("\n")),
    ("bom crlf no final newline", lambda t: "\ufeff" + t.rstrip("\n").replace("\n", "\r\n")),
])
def test_files_keep_their_line_endings_bom_and_final_newline(tmp_path: Path, spec: str, text: str, variant: str,
                                                            change) -> None:
    name = spec.split(":")[0]
    (tmp_path / name).write_bytes(change(text).encode())
    edited = planned_edits(tmp_path, [spec], "1.5.0")[name]
    assert edited == change(text.replace("1.4.0", "1.5.0"))
