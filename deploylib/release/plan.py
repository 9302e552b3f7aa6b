"""Planning a release: the next version from the tags and the commits since the last release, and the
release's refusals of that version. Read-only and cheap (three git processes: tags, ancestry, log); kept
apart from the release stage (stage.py) so that planning loads no changelog, forge or journal code (only
`refuse_unless_plan_holds` loads edits.py, for a release, to check the release's file edits).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deploylib.errors import GitError, ReleaseError
from deploylib.git import Head, head_of, is_ancestor, log_entries, tag_refs, tag_target
from deploylib.release.versioning import history
from deploylib.release.versioning.bump import VersionPlan, bump_level, plan_version
from deploylib.release.versioning.options import PlanOptions
from deploylib.values import frozen

if TYPE_CHECKING:

    import semver

    from deploylib.release.versioning.commits import Commit
    from deploylib.state.workspace import Workspace


def tag_name(ws: Workspace, version: str) -> str:
    """The tag of `version` (SemVer 2.0, no prefix) by [release] tag_format, e.g. "1.4.0" -> "v1.4.0"."""
    return ws.config.release.tag_format.replace("{version}", version)


def release_tag(ws: Workspace, version: str) -> str:
    """The tag a built `version` has or gets: tag_name's, or "" for a build of unreleased commits
    (`1.2.0+abc1234`, never tagged)."""
    return "" if "+" in version else tag_name(ws, version)


def _tag_version(tag_format: str, tag: str) -> semver.Version | None:
    import semver  # imported where versions are compared: the no-op run's uptodate checks need none

    prefix, _, suffix = tag_format.partition("{version}")
    found = re.fullmatch(re.escape(prefix) + "(.+)" + re.escape(suffix), tag)
    if not found or not semver.Version.is_valid(found[1]):
        return None
    return semver.Version.parse(found[1])


@frozen
class Tag:
    """A tag that names a version by [release] tag_format."""

    name: str  # the tag as git names it, e.g. "v1.4.0"
    version: semver.Version
    commit: str  # full sha of the commit it names (an annotated tag's target, peeled)
    date: str  # YYYY-MM-DD, UTC: the tag's creation date


def version_tags(ws: Workspace) -> list[Tag]:
    """Every tag matching tag_format, highest version first (semver order: v0.10.0 > v0.9.0); other tags are
    ignored. One for-each-ref, which unlike `git tag --merged` does not walk history."""
    fmt = ws.config.release.tag_format
    found = [Tag(name, v, commit, date) for name, commit, date in tag_refs(ws.app) if (v := _tag_version(fmt, name))]
    return sorted(found, key=lambda tag: tag.version, reverse=True)


def last_stable(ws: Workspace, tags: list[Tag]) -> Tag | None:
    """The highest stable version tagged on HEAD's history: candidates are checked highest first, so
    git walks back only from HEAD to the last release, whatever the length of history."""
    return next((t for t in tags if not t.version.prerelease and is_ancestor(ws.app, t.commit)), None)


def last_release_tag(ws: Workspace) -> tuple[str, str]:
    """(tag, version) of the last stable release on HEAD's history, e.g. ("v1.4.0", "1.4.0"); ("", "")
    if none. Prereleases and tags not matching tag_format are ignored. Raises GitError (exit 1) when git
    fails or `ws.app` is not a repository with commits."""
    tag = last_stable(ws, version_tags(ws))
    return (tag.name, str(tag.version)) if tag else ("", "")


def read_commits(ws: Workspace, *revisions: str) -> tuple[Commit, ...]:
    """The commits in `revisions` (git revision arguments, e.g. "HEAD", "^<sha>"), newest first in the
    canonical order (deploylib.release.versioning.history); squash bodies split up when
    parse_squash_bodies is on. Raises GitError (exit 1) when git fails."""
    return parsed_commits(ws, history.newest_first(log_entries(ws.app, *revisions)))


def parsed_commits(ws: Workspace, entries: list[history.Entry]) -> tuple[Commit, ...]:
    from deploylib.release.versioning.commits import parse, parse_squash  # a no-op run parses no commit

    if ws.config.release.parse_squash_bodies:
        return tuple(c for e in entries for c in parse_squash(e.message, e.sha))
    return tuple(parse(e.message, e.sha) for e in entries)


def members(tip: str, tags: list[Tag], upto: semver.Version | None, inclusive: bool = False) -> list[str]:
    """The revisions naming the commits a release made at `tip` holds: those in `tip`'s history and in no
    history of a stable release below `upto` (or up to it, when `inclusive`; none when `upto` is None).
    Membership is reachability, never dates, so planning, the incremental changelog and
    `changelog --full` agree on every history; a prerelease's commits still count for the release that
    finishes it."""
    lower = [t for t in tags if upto is not None and not t.version.prerelease
             and (t.version <= upto if inclusive else t.version < upto)]
    return [tip, *(f"^{t.commit}" for t in lower)]


def plan_release(ws: Workspace, head: str, options: PlanOptions = PlanOptions()) -> VersionPlan:
    """The next version of `ws.app` at `head` (HEAD's full sha), read-only: from the version tags and the
    commits since the last stable release (see `bump.plan_version` for the rules). Raises GitError
    (exit 1) when git fails, ReleaseError (exit 1) for an invalid --version or --prerelease."""
    cfg = ws.config.release
    tags = version_tags(ws)
    last = last_stable(ws, tags)
    commits = read_commits(ws, *members("HEAD", tags, last.version if last else None, inclusive=True))
    # Prereleases since the last release: a release continues from them (see bump._continue_prerelease).
    prereleases = [str(t.version) for t in tags if t.version.prerelease and (last is None or t.version > last.version)
                   and is_ancestor(ws.app, t.commit)]
    on_head = [str(t.version) for t in tags if t.commit == head]
    plan = plan_version(str(last.version) if last else "", commits, cfg.bump_rules, cfg.initial_version,
                        cfg.major_on_zero, head, options, prereleases, on_head)
    return _unless_nothing_since_prerelease(ws, plan, [t for t in tags if str(t.version) in prereleases], options)


def _unless_nothing_since_prerelease(ws: Workspace, plan: VersionPlan, prereleases: list[Tag],
                                     options: PlanOptions) -> VersionPlan:
    """A new prerelease needs a releasable commit since the newest prerelease of the same version: after
    v0.2.0-rc.1, a docs: commit alone makes no rc.2 (as semantic-release and PSR do). Finishing the
    prerelease without --prerelease is always a release."""
    if not (options.prerelease and plan.is_release) or options.version or options.hotfix:
        return plan
    import semver

    base = semver.Version.parse(plan.version).finalize_version()
    same = [t for t in prereleases if t.version.finalize_version() == base]
    if not same:
        return plan
    newest = max(same, key=lambda t: t.version)
    since = read_commits(ws, "HEAD", f"^{newest.commit}")
    if bump_level(since, ws.config.release.bump_rules)[0]:
        return plan
    return VersionPlan(str(newest.version), str(newest.version), "", since)


def refuse_unless_plan_holds(ws: Workspace, plan: VersionPlan, head: Head | None = None) -> None:
    """Every refusal of the release about the version `plan` names, wherever HEAD stands (any branch, any
    tree): what `doit release --dry-run` and `deploylib next-version` check so that they never name a version
    the release refuses. `head`: HEAD as read for the plan (git.head_of), read here when None. Reads only: the
    release's file edits are checked and dropped. Raises GitError (exit 1) for a shallow clone or tags not
    fetched, ReleaseError (exit 1) for the next tag on another commit or on no commit, or a version file or
    template the release could not use, NotARepository (exit 3) when `head` is None and there is no HEAD.
    Branch, clean tree and upstream are the release's own refusals (stage._refuse_unless_releasable): a
    question may be asked from anywhere."""
    head = head or head_of(ws.app)
    refuse_version(ws, plan, head.sha, head.shallow)
    if plan.is_release:
        from deploylib.release.edits import refuse_unusable_edits  # only when there is a release

        refuse_unusable_edits(ws, plan)


def refuse_version(ws: Workspace, plan: VersionPlan, head: str, shallow: bool) -> None:
    """The release's refusals about the version itself, for HEAD at `head` (a full sha) in a repository that
    is a shallow clone when `shallow`; checked before anything is written. Raises GitError (exit 1) for a
    shallow clone or tags not fetched, ReleaseError (exit 1) for the next tag on another commit or on no
    commit."""
    if shallow:
        raise GitError(f"The repository in {ws.app} is a shallow clone, so earlier tags and commits are missing and "
                       "the version would be wrong. Fetch full history first: git fetch --unshallow --tags.")
    if not plan.is_release:
        return
    _refuse_a_tag_elsewhere(ws, tag_name(ws, plan.version), head)
    if plan.level == "first" and any(c.subject.startswith("chore(release): ") for c in plan.commits) \
            and not any(is_ancestor(ws.app, t.commit) for t in version_tags(ws)):
        raise GitError(f"No release tags ({ws.config.release.tag_format}) were found in {ws.app}, yet its history "
                       "has release commits: the tags were not fetched (CI clones often skip them), so the version "
                       f"would restart at {plan.version}. Fetch them first: git fetch --tags.")


def _refuse_a_tag_elsewhere(ws: Workspace, tag: str, head: str) -> None:
    """The next release's tag must be absent, or on HEAD (then the release is finished, not repeated). A tag on
    a commit off HEAD's history (a maintenance branch's release) is not read as released here, so the plan can
    name it again."""
    target, named = tag_target(ws.app, tag)
    existing = target if named == "commit" else ""
    if named and not existing:  # a tag of a tree or blob: `git tag` would refuse the release's after its commit
        raise ReleaseError(f"The tag {tag} already exists in {ws.app} and names a {named}, not a commit, so the "
                           f"release cannot tag {tag}. Nothing was written. Delete the stray tag if it is wrong "
                           f"(git tag -d {tag}), or release another version (doit release --version X.Y.Z).")
    if existing and existing != head:
        raise ReleaseError(f"The tag {tag} already exists in {ws.app} on commit {existing[:12]}, not on HEAD "
                           f"({head[:12]}). Nothing was written. Delete the stray tag if it is wrong "
                           f"(git tag -d {tag}), check out the commit it names, or release another version "
                           "(doit release --version X.Y.Z).")
