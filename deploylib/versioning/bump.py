"""Bump rules: from the commits since the last release to the next version. Pure: no git here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import semver

from deploylib.errors import ReleaseError
from deploylib.versioning.commits import Commit

LEVELS = ("patch", "minor", "major")  # in increasing order


@dataclass(frozen=True)
class VersionPlan:
    """What the release stage will do: the version to build and whether it is a new release."""

    version: str  # the version the build carries
    previous: str  # the last released version ("" before the first release)
    level: str  # "major" | "minor" | "patch" | "first" | "" (nothing releasable)
    commits: tuple[Commit, ...]  # every commit since the previous release, newest first
    reason: str = ""  # what asked for the bump, e.g. "breaking change, feat"

    @property
    def is_release(self) -> bool:
        return bool(self.level)

    def describe(self) -> str:
        if self.level == "first":
            return f"first release {self.version}"
        if self.level:
            return f"{self.previous} → {self.version} ({self.level}: {self.reason})"
        if not self.commits:
            return f"{self.version} is already released; nothing new since"
        return (f"nothing releasable since {self.previous} ({len(self.commits)} commit(s) of other types); "
                f"building {self.version}, untagged")


def bump_level(commits: Iterable[Commit], rules: Mapping[str, str]) -> tuple[str, str]:
    """The highest bump any commit asks for (a breaking change is major, otherwise `rules[type]`),
    and the kinds of commit that asked for a bump."""
    best, reasons = -1, set()
    for commit in commits:
        level = "major" if commit.breaking else rules.get(commit.type, "")
        if level:
            best = max(best, LEVELS.index(level))
            reasons.add("breaking change" if commit.breaking else commit.type)
    return (LEVELS[best] if best >= 0 else ""), ", ".join(sorted(reasons))


def plan_version(previous: str, commits: tuple[Commit, ...], rules: Mapping[str, str], initial_version: str,
                 major_on_zero: bool, head_sha: str) -> VersionPlan:
    """The next version after `previous` ("" if never released) given the commits made since."""
    if not previous:
        return VersionPlan(initial_version, "", "first", commits)
    try:
        current = semver.Version.parse(previous)
    except ValueError:
        raise ReleaseError(f"The last release tag names {previous!r}, which is not a semantic version.") from None
    level, reason = bump_level(commits, rules)
    if level == "major" and current.major == 0 and not major_on_zero:
        level = "minor"  # 0.x: breaking changes are expected; 1.0.0 is a deliberate step
    if level:
        return VersionPlan(str(current.next_version(part=level)), previous, level, commits, reason)
    if commits:  # unreleased work that no rule bumps: build metadata keeps it distinct from the release
        return VersionPlan(str(current.replace(build=f"{len(commits)}.g{head_sha[:7]}")), previous, "", commits)
    return VersionPlan(previous, previous, "", commits)
