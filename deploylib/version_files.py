"""Version numbers written into project files at release time, each edited in place so that
everything else in the file (formatting, comments, key order) stays as it was.

A spec is `package.json` (its top-level "version"), `pyproject.toml` (`project.version`), or
`PATH:PATTERN` where PATTERN is the text around the version with `{version}` in its place,
e.g. `src/app/__init__.py:__version__ = "{version}"`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from deploylib.errors import ReleaseError

_SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_KNOWN = ("package.json", "pyproject.toml")


@dataclass(frozen=True)
class VersionFile:
    path: str
    pattern: str  # "" for a known file kind

    @classmethod
    def parse(cls, spec: str) -> VersionFile:
        path, _, pattern = spec.partition(":")
        return cls(path, pattern)


def spec_problem(spec: str) -> str:
    """Why a version-file spec cannot work, or ""."""
    found = VersionFile.parse(spec)
    if not found.path or PurePosixPath(found.path).is_absolute() or ".." in PurePosixPath(found.path).parts:
        return f'names "{found.path}", which is not a path inside the repository'
    if found.pattern:
        return "" if "{version}" in found.pattern else f'has a pattern without {{version}}: "{found.pattern}"'
    if PurePosixPath(found.path).name not in _KNOWN:
        return f'names "{found.path}" without a pattern; only {" and ".join(_KNOWN)} are known by name'
    return ""


def set_package_json(text: str, version: str) -> str:
    """Replace the top-level "version" value, found by scanning, so nested "version" keys are untouched."""
    if not isinstance(json.loads(text), dict) or "version" not in json.loads(text):
        raise ValueError('has no top-level "version" key')
    depth, i = 0, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            if depth == 1 and text[i:end + 1] == '"version"':
                value = re.compile(r'\s*:\s*"((?:[^"\\]|\\.)*)"').match(text, end + 1)
                if value:
                    return text[:value.start(1)] + version + text[value.end(1):]
            i = end
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        i += 1
    raise ValueError('has a top-level "version" that is not a string')


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i


def set_pyproject(text: str, version: str) -> str:
    import tomlkit

    document = tomlkit.parse(text)
    project = document.get("project")
    if project is None or "version" not in project:
        raise ValueError("has no [project] version (a dynamic version is set elsewhere: use PATH:PATTERN)")
    project["version"] = version
    return tomlkit.dumps(document)


def set_pattern(text: str, pattern: str, version: str) -> str:
    before, _, after = pattern.partition("{version}")
    regex = re.compile(re.escape(before) + f"({_SEMVER})" + re.escape(after))
    found = regex.search(text)
    if not found:
        raise ValueError(f"does not contain the pattern {pattern!r} with a version in it")
    return text[:found.start(1)] + version + text[found.end(1):]


def planned_edits(root: Path, specs: list[str], version: str) -> dict[str, str]:
    """New contents of every version file, computed before any is written; a problem names the file."""
    edits = {}
    for spec in specs:
        found = VersionFile.parse(spec)
        try:
            text = (root / found.path).read_text(encoding="utf-8")
        except OSError as err:
            raise ReleaseError(f"The version file {found.path} (from [release] version_files) cannot be read: "
                               f"{err.strerror}. Fix the path in deploy.toml; nothing was written.") from None
        try:
            if found.pattern:
                edits[found.path] = set_pattern(text, found.pattern, version)
            elif found.path.endswith("package.json"):
                edits[found.path] = set_package_json(text, version)
            else:
                edits[found.path] = set_pyproject(text, version)
        except ValueError as err:
            raise ReleaseError(f"The version file {found.path} {err}. Fix the file or its entry in [release] "
                               "version_files; nothing was written.") from None
    return edits
