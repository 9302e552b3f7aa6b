"""Which kept release a rollback restores, and how the kept releases are shown when the one asked for is
not there. Pure: the pipeline passes in the target's releases, what is live, and what the ledger marks bad.

    find(releases, "1.1.0" | "v1.1.0" | "1.1.0-d24b1d017ee3", tag_format)   -> the matching releases
    kept_lines(listing(kept, bad), why_bad)                               -> one line each, newest version first
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import semver

from deploylib.model import Release
from deploylib.targets.listing import Listed, Mark


def version_of(value: str, tag_format: str) -> str:
    """The version a value names: itself, or the version inside a tag made by `tag_format` ("v{version}":
    "v1.1.0" -> "1.1.0")."""
    prefix, _, suffix = tag_format.partition("{version}")
    found = re.fullmatch(re.escape(prefix) + "(.+)" + re.escape(suffix), value)
    return found[1] if found else value


def find(releases: list[Release], value: str, tag_format: str) -> list[Release]:
    """The releases `value` names, in the order given (oldest activation first): a release id names one
    release; a version, or its tag as `tag_format` makes it, names every build of that version."""
    by_id = [r for r in releases if r.id == value]
    if by_id:
        return by_id
    versions = {value, version_of(value, tag_format)}
    return [r for r in releases if r.version in versions]


def newest_first(releases: list[Release]) -> list[Release]:
    """Highest semantic version first; builds of one version (or versions that are not semantic) keep their
    reverse activation order, the most recently live first."""
    def key(index_release: tuple[int, Release]) -> tuple[int, semver.Version, int]:
        index, release = index_release
        try:
            return 1, semver.Version.parse(release.version), index
        except ValueError:
            return 0, semver.Version(0), index

    return [r for _, r in sorted(enumerate(releases), key=key, reverse=True)]


def kept_lines(rows: list[Listed], why_bad: Mapping[str, str]) -> list[str]:
    """One line per listed release (targets/listing.listing gives rows and marks), newest version first: its
    version, id and marks, a bad one with why (`why_bad` maps a digest to its incident)."""
    by_id = {row.release.id: row for row in rows}
    lines = []
    for release in newest_first([row.release for row in reversed(rows)]):  # rows: newest activation first
        marks = [f"bad: {why_bad[release.digest]}" if mark == Mark.BAD and release.digest in why_bad else str(mark)
                 for mark in by_id[release.id].marks]
        lines.append(f"{release.version} ({release.id}" + "".join(f"; {mark}" for mark in marks) + ")")
    return lines
