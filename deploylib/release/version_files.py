"""Version numbers written into project files at release time, each edited in place so that
everything else in the file (formatting, comments, key order, line endings, a byte-order mark,
a missing final newline) stays as it was.

A spec is `package.json` (its top-level "version"), `package-lock.json` or `npm-shrinkwrap.json` (the
top-level "version" and `packages[""].version`, as npm writes both), `pyproject.toml` (`project.version` and
Poetry's `tool.poetry.version`, each where present), or `PATH:PATTERN` where PATTERN is the text around the
version with `{version}` in its place, e.g. `src/app/__init__.py:__version__ = "{version}"`. A pattern changes
every place it matches that holds the same version as its first match (commitizen's `version_files` rule), so
a version written twice is bumped twice and other versions are left alone.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from deploylib import jsontext, textfile
from deploylib.config.schema import committed_path_problem
from deploylib.errors import ReleaseError
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.config.load import ReleaseConfig

_SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")
_KNOWN = ("package.json", *_LOCKFILES, "pyproject.toml")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


@frozen
class VersionFile:
    """One entry of [release] version_files, split into its path and pattern."""

    path: str  # POSIX path relative to the repository root
    pattern: str  # "" for a known file kind

    @classmethod
    def parse(cls, spec: str) -> VersionFile:
        """Split "PATH" or "PATH:PATTERN" at the first colon; never raises (see `spec_problem`)."""
        path, _, pattern = spec.partition(":")
        return cls(path, pattern)


def spec_problem(spec: str) -> str:
    """Why a version-file spec cannot work, as a phrase following the quoted spec (e.g. 'names "../x",
    which is not a path inside the repository'), or "". Checks the spec's form only, not the file."""
    found = VersionFile.parse(spec)
    if problem := committed_path_problem(found.path):
        return f'names "{found.path}", which {problem}'
    if found.pattern:
        return "" if "{version}" in found.pattern else f'has a pattern without {{version}}: "{found.pattern}"'
    if PurePosixPath(found.path).name not in _KNOWN:
        return f'names "{found.path}" without a pattern; only {", ".join(_KNOWN)} are known by name'
    return ""


def set_package_json(text: str, version: str) -> str:
    """Replace the top-level "version" value in place; nested "version" keys are untouched.
    Raises ValueError (json.JSONDecodeError included) for text that is not JSON or whose top-level
    "version" is missing or not a string; the message completes "The version file X …"."""
    return _set_json(text, version, [("version",)])


def set_lockfile(text: str, version: str) -> str:
    """package-lock.json / npm-shrinkwrap.json: the top-level "version" and, in lockfile versions 2
    and 3, `packages[""].version` (the root package's entry), which npm keeps equal to it.
    Raises ValueError as `set_package_json` does; a missing `packages[""]` entry (lockfile v1) is fine."""
    return _set_json(text, version, [("version",), ("packages", "", "version")])


def _set_json(text: str, version: str, paths: list[tuple[str, ...]]) -> str:
    """Replace the string values at `paths` (the first is required), found by one scan of the text."""
    document = jsontext.loads(text.removeprefix(textfile.BOM))
    if not isinstance(document, dict) or "version" not in document:
        raise ValueError('has no top-level "version" key')
    spans = _json_string_values(text, set(paths))
    if paths[0] not in spans:
        raise ValueError('has a top-level "version" that is not a string')
    for start, end in sorted((spans[p] for p in paths if p in spans), reverse=True):
        text = text[:start] + version + text[end:]
    return text


def _json_string_values(text: str, wanted: set[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[int, int]]:
    """(start, end) of the contents of each string value whose key path is in `wanted`, by tokens, so the
    file's own layout is never re-serialised. Key paths run through objects only (arrays end them)."""
    spans: dict[tuple[str, ...], tuple[int, int]] = {}
    depth = max(len(p) for p in wanted)
    keys: list[str | None] = []  # the key of each open object (None for an array)
    expect_key = False
    for token in _JSON_TOKEN.finditer(text):
        lexeme = token.group()
        if lexeme == "{":
            keys.append("")
            expect_key = True
        elif lexeme == "[":
            keys.append(None)
        elif lexeme in "}]":
            keys.pop()
        elif lexeme == ",":
            expect_key = bool(keys) and keys[-1] is not None
        elif lexeme == ":":
            expect_key = False
        elif expect_key:
            if len(keys) <= depth:
                keys[-1] = json.loads(lexeme) if "\\" in lexeme else lexeme[1:-1]
        elif None not in keys and (path := tuple(k for k in keys if k is not None)) in wanted:
            spans[path] = (token.start() + 1, token.end() - 1)
    return spans


def set_pyproject(text: str, version: str) -> str:
    """Set `[project] version` (PEP 621) and `[tool.poetry] version` (Poetry's own, the only one before Poetry 2,
    and its source for `dynamic = ["version"]`), each where present, through tomlkit, which keeps comments and
    layout. Raises ValueError (tomlkit's ParseError included) for invalid TOML or when neither holds a version."""
    import tomlkit

    document = tomlkit.parse(text.removeprefix(textfile.BOM))  # tomlkit keeps CRLF, not a BOM
    tables = [table for table in (document.get("project"), document.get("tool", {}).get("poetry"))
              if table is not None and "version" in table]
    if not tables:
        raise ValueError("has no [project] version nor [tool.poetry] version (a dynamic version is set elsewhere: "
                         "use PATH:PATTERN)")
    for table in tables:
        table["version"] = version
    return (textfile.BOM if text.startswith(textfile.BOM) else "") + tomlkit.dumps(document)


def set_pattern(text: str, pattern: str, version: str) -> str:
    """Every match of `pattern` holding the version its first match holds gets `version`. `{version}`
    matches a SemVer 2.0 version (prerelease and build metadata included), and when it ends the pattern, a
    whole version token only (never the start of "1.0.0.1"); the rest of `pattern` is literal text. Raises
    ValueError when nothing matches."""
    before, _, after = pattern.partition("{version}")
    # With nothing after {version} in the pattern, the version must end where a version token ends: not in
    # the middle of "1.0.0.1" or "1.0.0a" (a "." or "-" then a space or the line's end still ends it).
    end = "" if after else r"(?![0-9A-Za-z]|[.+-][0-9A-Za-z])"
    regex = re.compile(re.escape(before) + f"({_SEMVER}){end}" + re.escape(after))
    matches = list(regex.finditer(text))
    if not matches:
        raise ValueError(f"does not contain the pattern {pattern!r} with a version in it")
    for found in reversed([m for m in matches if m[1] == matches[0][1]]):
        text = text[:found.start(1)] + version + text[found.end(1):]
    return text


def set_version(found: VersionFile, text: str, version: str) -> str:
    """`text`, the content of the version file `found`, with `version` where a release writes it (by its
    pattern, or by its kind: see the module docstring). Raises ValueError as the setters above do."""
    if found.pattern:
        return set_pattern(text, found.pattern, version)
    if PurePosixPath(found.path).name in _LOCKFILES:
        return set_lockfile(text, version)
    if PurePosixPath(found.path).name == "package.json":
        return set_package_json(text, version)
    return set_pyproject(text, version)


def planned_edits(root: Path, specs: list[str], version: str) -> dict[str, str]:
    """New contents of every version file, computed before any is written; a problem names the file.

    `root`: the repository; `specs`: [release] version_files entries (see the module docstring);
    `version`: SemVer 2.0 without the tag prefix. Returns {spec's path: new text}, each text as read
    (line endings and BOM kept) with only the version changed. Raises ReleaseError (exit 1) when a file
    cannot be read, is not UTF-8, or holds no version where its spec says.
    """
    edits = {}
    for spec in specs:
        found = VersionFile.parse(spec)
        try:
            text = textfile.read(root / found.path)
        except UnicodeDecodeError:
            raise ReleaseError(f"The version file {found.path} (from [release] version_files) is not UTF-8 text. "
                               "Save it as UTF-8; nothing was written.") from None
        except OSError as err:
            raise ReleaseError(f"The version file {found.path} (from [release] version_files) cannot be read: "
                               f"{err.strerror}. Fix the path in deploy.toml; nothing was written.") from None
        try:
            edits[found.path] = set_version(found, text, version)
        except ValueError as err:
            raise ReleaseError(f"The version file {found.path} {err}. Fix the file or its entry in [release] "
                               "version_files; nothing was written.") from None
    return edits


def fingerprint_rules(release: ReleaseConfig) -> tuple[list[str], dict[str, Callable[[str], str]]]:
    """How a source fingerprint reads what a release commit writes, so that the commit leaves it unchanged
    and any other change to those files changes it: (paths left out: the changelog; {path: rewrite} for
    each version file, whose text is fingerprinted with its version set to 0.0.0 where the release sets
    it; a rewrite raises ValueError for a file holding no version there)."""
    files = [VersionFile.parse(spec) for spec in release.version_files]
    return [release.changelog], {found.path: functools.partial(set_version, found, version="0.0.0")
                                 for found in files if found.path != release.changelog}
