"""Bump rules: from the commits since the last release to the next version. Pure: no git here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from deploylib.errors import ReleaseError
from deploylib.release.versioning.options import PlanOptions
from deploylib.values import frozen

if TYPE_CHECKING:  # imported where a version is computed: doit's start-up never needs them
    import semver

    from deploylib.release.versioning.commits import Commit

LEVELS = ("patch", "minor", "major")  # in increasing order: the SemVer 2.0 §6-§8 field a bump increments


@frozen
class VersionPlan:
    """What the release stage will do: the version to build and whether it is a new release."""

    version: str  # the version the build carries
    previous: str  # the last released version ("" before the first release)
    level: str  # "major" | "minor" | "patch" | "first" | "override" | "" (nothing releasable)
    commits: tuple[Commit, ...]  # every commit since the previous release, newest first
    reason: str = ""  # what asked for the bump, e.g. "breaking change, feat"

    @property
    def is_release(self) -> bool:
        """True when the plan makes a new tag; False when it only builds `version` (untagged or already tagged)."""
        return bool(self.level)

    def describe(self) -> str:
        """One line for the person releasing, e.g. "1.4.0 → 1.5.0 (minor: feat)", noting commits that are
        not Conventional Commits (merges aside)."""
        odd = sum(1 for c in self.commits if not c.conventional and not c.merge)
        note = f"; {odd} commit(s) not conventional" if odd else ""
        return self._describe() + note

    def _describe(self) -> str:
        if self.level == "first":
            return f"first release {self.version}"
        if self.level == "override":
            return f"{self.previous or 'nothing'} → {self.version} (version given on the command line)"
        if self.level:
            return f"{self.previous} → {self.version} ({self.level}: {self.reason})"
        if not self.commits:
            return f"{self.version} is already released; nothing new since"
        return (f"nothing releasable since {self.previous} ({len(self.commits)} commit(s) of other types); "
                f"building {self.version}, untagged")


def bump_level(commits: Iterable[Commit], rules: Mapping[str, str]) -> tuple[str, str]:
    """The highest bump any commit asks for (a breaking change is major, otherwise `rules[type]`),
    and the kinds of commit that asked for a bump. A revert and the commit it undoes, both among
    `commits`, ask for nothing (see deploylib.release.versioning.reverts).

    `commits`: newest first (reverts are matched in that order). `rules`: lower-case commit type ->
    "patch" | "minor" | "major"; a type not in it asks for nothing. Returns (level, reasons), e.g.
    ("minor", "feat, fix") or ("major", "breaking change"); ("", "") when nothing asks for a bump.
    Raises ValueError for a rule value outside LEVELS (the configuration loader rejects those first).
    """
    from deploylib.release.versioning.reverts import without_cancelled  # not loaded by a run that plans nothing

    best, reasons = -1, set()
    for commit in without_cancelled(tuple(commits)):
        level = "major" if commit.breaking_notes else rules.get(commit.type, "")
        if level:
            best = max(best, LEVELS.index(level))
            reasons.add("breaking change" if commit.breaking_notes else commit.type)
    return (LEVELS[best] if best >= 0 else ""), ", ".join(sorted(reasons))


def plan_version(previous: str, commits: tuple[Commit, ...], rules: Mapping[str, str], initial_version: str,
                 major_on_zero: bool, head_sha: str, options: PlanOptions = PlanOptions(),
                 prereleases: Iterable[str] = (), head_versions: Iterable[str] = ()) -> VersionPlan:
    """The next version after `previous` ("" if never released) given the commits made since.

    Versions are SemVer 2.0 strings without the tag's prefix ("1.4.0", not "v1.4.0"). `commits`: every
    commit since `previous`, newest first. `rules`: as for `bump_level`. `initial_version`: the first
    release's version. `major_on_zero`: whether a breaking change on 0.x makes 1.0.0 (SemVer 2.0 §4
    lets 0.x break anything, so by default it bumps the minor). `head_sha`: HEAD's full sha; its first
    7 characters name an unreleased build ("1.4.0+3.gabc1234", SemVer 2.0 §10 build metadata).
    `prereleases` are the prerelease versions already tagged (to number the next one) and
    `head_versions` the versions tagged on HEAD itself (so a finished release is not repeated).

    Raises ReleaseError (exit 1) when `previous` or `options.version` is not a semantic version, when
    `options.version` is not above `previous`, when `options.prerelease` is not alphanumeric, or when
    the prerelease it would make sorts below one already tagged (SemVer 2.0 §11).
    """
    current = _parse(previous, "The last release tag names") if previous else None
    if options.version:
        return _override(options.version, current, commits)
    level, reason = bump_level(commits, rules)
    if options.hotfix and (commits or current is None):
        level, reason = "patch", "hotfix"
    if current is None:
        plan = VersionPlan(initial_version, "", "first", commits)
    elif level:
        if level == "major" and current.major == 0 and not major_on_zero:
            level = "minor"  # 0.x: breaking changes are expected; 1.0.0 is a deliberate step
        plan = VersionPlan(str(current.next_version(part=level)), previous, level, commits, reason)
    elif commits:  # unreleased work that no rule bumps: build metadata keeps it distinct from the release
        return VersionPlan(str(current.replace(build=f"{len(commits)}.g{head_sha[:7]}")), previous, "", commits)
    else:
        return VersionPlan(previous, previous, "", commits)
    prereleases = tuple(prereleases)
    plan = _continue_prerelease(plan, prereleases)
    if options.prerelease:
        plan = _prerelease(plan, options.prerelease, prereleases, head_versions)
    return plan


def _continue_prerelease(plan: VersionPlan, prereleases: tuple[str, ...]) -> VersionPlan:
    """A release never goes below a prerelease already tagged since the last release: after
    2.0.0-rc.1 (made with --version), a fix gives 2.0.0-rc.2 or, without a token, 2.0.0, not 1.0.1
    (SemVer 2.0 §11: 1.0.1 < 2.0.0-rc.1). `prereleases`: those tagged on HEAD's history."""
    import semver

    wanted = semver.Version.parse(plan.version)
    bases = [semver.Version.parse(text).finalize_version() for text in prereleases]
    base = max((b for b in bases if b > wanted), default=None)
    if base is None:
        return plan
    return VersionPlan(str(base), plan.previous, plan.level, plan.commits, plan.reason)


def _parse(version: str, what: str) -> semver.Version:
    import semver

    try:
        return semver.Version.parse(version)
    except ValueError:
        raise ReleaseError(f"{what} {version!r}, which is not a semantic version (MAJOR.MINOR.PATCH, "
                           "e.g. 1.4.0 or 2.0.0-rc.1).") from None


def _override(version: str, current: semver.Version | None, commits: tuple[Commit, ...]) -> VersionPlan:
    """The plan for `--version`: `version` itself, which must be above the last release."""
    wanted = _parse(version, "--version names")
    if current is not None and wanted <= current:
        raise ReleaseError(f"--version {version} is not newer than the last release {current}; give a higher "
                           "version, or leave --version out to compute it from the commits.")
    return VersionPlan(str(wanted), str(current) if current else "", "override", commits)


def _prerelease(plan: VersionPlan, token: str, existing: Iterable[str], head_versions: Iterable[str]) -> VersionPlan:
    """1.5.0 → 1.5.0-rc.N, one past the highest rc of 1.5.0 already tagged (or the one on HEAD, if any)."""
    import semver

    if not (token.isascii() and token.isalnum()):  # SemVer 2.0 §9: identifiers are [0-9A-Za-z-]
        raise ReleaseError(f"--prerelease {token!r} must be letters and digits only, e.g. rc, beta or alpha.")
    numbers = {}
    for text in existing:
        version = semver.Version.parse(text)
        parts = (version.prerelease or "").split(".")
        if version.finalize_version() == semver.Version.parse(plan.version) and len(parts) == 2 and \
                parts[0] == token and parts[1].isdigit():
            numbers[int(parts[1])] = text
    on_head = [numbers[n] for n in sorted(numbers) if numbers[n] in set(head_versions)]
    if on_head:  # HEAD already carries this prerelease: nothing new to release
        return VersionPlan(on_head[-1], plan.previous, "", ())
    next_tag = f"{plan.version}-{token}.{max(numbers, default=0) + 1}"
    higher = max((v for v in map(semver.Version.parse, existing) if v > semver.Version.parse(next_tag)), default=None)
    if higher is not None:  # SemVer 2.0 §11: beta.1 < rc.1, so the new tag would sort below one already made
        raise ReleaseError(f"--prerelease {token} would make {next_tag}, which sorts below {higher}, already tagged "
                           f"(SemVer orders prerelease identifiers alphabetically). Use a token that sorts after "
                           f"{higher.prerelease.split('.')[0] if higher.prerelease else 'it'} (e.g. --prerelease "
                           f"{higher.prerelease.split('.')[0] if higher.prerelease else 'rc'}), or release "
                           f"{plan.version} without --prerelease.")
    return VersionPlan(next_tag, plan.previous, plan.level, plan.commits, plan.reason)
