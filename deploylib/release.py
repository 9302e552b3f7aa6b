"""The release stage: plan the next version from git history, then changelog, commit, tag, push.

Planning is read-only and cheap (two git processes); publishing refuses, before writing
anything, whenever the repository is not in a state to release from, and resumes a release
whose tag already exists on HEAD instead of duplicating it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import semver

from deploylib import changelog, release_journal, report
from deploylib.atomic import write_atomically
from deploylib.crash import crash_point
from deploylib.errors import GitError, ReleaseError
from deploylib.forge import open_forge
from deploylib.git import (
    commit_paths,
    create_tag,
    is_ancestor,
    log_messages,
    push,
    repo_state,
    run_git,
    tag_commit,
    tag_refs,
)
from deploylib.model import Artifact
from deploylib.version_files import planned_edits
from deploylib.versioning.bump import PlanOptions, VersionPlan, plan_version
from deploylib.versioning.commits import Commit, parse, parse_squash
from deploylib.workspace import Workspace


def release_files(ws: Workspace) -> list[str]:
    """The files a release commit writes: left out of source fingerprints, which it must not change."""
    from deploylib.version_files import VersionFile

    cfg = ws.config.release
    return [cfg.changelog, *(VersionFile.parse(spec).path for spec in cfg.version_files)]


def tag_name(ws: Workspace, version: str) -> str:
    return ws.config.release.tag_format.replace("{version}", version)


def _tag_version(tag_format: str, tag: str) -> semver.Version | None:
    prefix, _, suffix = tag_format.partition("{version}")
    found = re.fullmatch(re.escape(prefix) + "(.+)" + re.escape(suffix), tag)
    if not found or not semver.Version.is_valid(found[1]):
        return None
    return semver.Version.parse(found[1])


@dataclass(frozen=True)
class Tag:
    name: str
    version: semver.Version
    commit: str
    date: str  # YYYY-MM-DD


def _version_tags(ws: Workspace) -> list[Tag]:
    """Every tag matching tag_format, highest version first (semver order: v0.10.0 > v0.9.0); other tags are
    ignored. One for-each-ref, which unlike `git tag --merged` does not walk history."""
    fmt = ws.config.release.tag_format
    found = [Tag(name, v, commit, date) for name, commit, date in tag_refs(ws.app) if (v := _tag_version(fmt, name))]
    return sorted(found, key=lambda tag: tag.version, reverse=True)


def _last_stable(ws: Workspace, tags: list[Tag]) -> Tag | None:
    """The highest stable version tagged on HEAD's history: candidates are checked highest first, so
    git walks back only from HEAD to the last release, whatever the length of history."""
    return next((t for t in tags if not t.version.prerelease and is_ancestor(ws.app, t.commit)), None)


def last_release_tag(ws: Workspace) -> tuple[str, str]:
    """(tag, version) of the last stable release on HEAD's history; ("", "") if none."""
    tag = _last_stable(ws, _version_tags(ws))
    return (tag.name, str(tag.version)) if tag else ("", "")


def read_commits(ws: Workspace, revisions: str) -> tuple[Commit, ...]:
    """The commits in `revisions`, newest first; squash bodies split up when parse_squash_bodies is on."""
    if ws.config.release.parse_squash_bodies:
        return tuple(c for sha, message in log_messages(ws.app, revisions) for c in parse_squash(message, sha))
    return tuple(parse(message, sha) for sha, message in log_messages(ws.app, revisions))


def plan_release(ws: Workspace, head: str, options: PlanOptions = PlanOptions()) -> VersionPlan:
    cfg = ws.config.release
    tags = _version_tags(ws)
    last = _last_stable(ws, tags)
    commits = read_commits(ws, f"{last.name}..HEAD" if last else "HEAD")
    prereleases = [str(t.version) for t in tags if t.version.prerelease and is_ancestor(ws.app, t.commit)] \
        if options.prerelease else []  # only then are prerelease tags worth checking
    on_head = [str(t.version) for t in tags if t.commit == head]
    return plan_version(str(last.version) if last else "", commits, cfg.bump_rules, cfg.initial_version,
                        cfg.major_on_zero, head, options, prereleases, on_head)


def release_history(ws: Workspace) -> list[changelog.ReleaseNotes]:
    """Every stable release on HEAD's history with its commits and links, newest first: one git log,
    one for-each-ref, whatever the length of history."""
    releases = {t.commit: (str(t.version), t.date) for t in _version_tags(ws) if not t.version.prerelease}
    history = changelog.history(read_commits(ws, "HEAD"), releases, ws.config.release.include_other)
    web = _web_url(ws)
    linked = []
    for index, notes in enumerate(history):
        older = history[index + 1].version if index + 1 < len(history) else ""
        compare = f"{web}/compare/{tag_name(ws, older)}...{tag_name(ws, notes.version)}" if web and older else ""
        linked.append(dataclasses.replace(notes, repo_url=web, compare_url=compare))
    return linked


def write_changelog(ws: Workspace, full: bool) -> None:
    """Update the changelog with the latest release's section, or (full) regenerate it from history."""
    path = ws.app / ws.config.release.changelog
    if full:
        history = release_history(ws)
        path.write_text(changelog.render("CHANGELOG.md.j2", _templates(ws), releases=history), encoding="utf-8")
        report.stage(report.OK, "changelog", f"{path} regenerated from {len(history)} release(s)")
        return
    tag, version = last_release_tag(ws)
    if not tag:
        raise ReleaseError(f"There is no release tag ({ws.config.release.tag_format}) on HEAD's history in "
                           f"{ws.app}, so there is no section to write.")
    rendered = changelog.render("CHANGELOG.md.j2", _templates(ws), releases=[_notes_of_tag(ws, version, tag)])
    path.write_text(changelog.update(path.read_text() if path.exists() else "", rendered, version), encoding="utf-8")
    report.stage(report.OK, "changelog", f"{path}: section {version} written")


def preview(ws: Workspace, plan: VersionPlan) -> None:
    """What `publish` would do, written nowhere: the next version and the release notes."""
    report.plain(f"next version: {plan.version if plan.is_release else 'none'}")
    report.plain(plan.describe())
    if plan.is_release:
        notes = _notes(ws, plan.version, plan.previous, plan.commits)
        report.plain(changelog.render("release_notes.md.j2", _templates(ws), release=notes).rstrip("\n"))


def publish(ws: Workspace, plan: VersionPlan, artifact: Artifact | None) -> str:
    """Make the release `plan` describes, or finish one a failed run left half done; return the tag or ""."""
    if not plan.is_release and plan.commits:
        report.stage(report.SKIP, "release", plan.describe())
        return ""
    tag = tag_name(ws, plan.version)
    forge = open_forge(ws.config.release)  # a missing token stops us before anything is written
    if plan.is_release:
        _write_release(ws, plan, tag)
        notes = _notes(ws, plan.version, plan.previous, plan.commits)
    else:  # HEAD already carries the tag
        _push_if_missing(ws, tag)
        notes = _notes_of_tag(ws, plan.version, tag)
    if forge is not None:
        attach = ws.config.release.github.upload_artifact and artifact is not None and artifact.version == plan.version
        assets = [(f"{ws.app.name}-{plan.version}.tar", artifact.tar)] if attach and artifact else []
        body = changelog.render("release_notes.md.j2", _templates(ws), release=notes)
        url = forge.publish_release(tag, tag, body, bool(semver.Version.parse(plan.version).prerelease),
                                    tag_commit(ws.app, tag), assets)
        report.stage(report.OK, "release github", f"{url}" + (f" with {assets[0][0]}" if assets else ""))
    return tag


def _templates(ws: Workspace) -> Path | None:
    return ws.app / ws.config.release.templates if ws.config.release.templates else None


def _web_url(ws: Workspace) -> str:
    """The repository's web address from the API address: api.github.com → github.com, HOST/api/v3 → HOST."""
    github = ws.config.release.github
    if not github.repository:
        return ""
    host = github.api_url.rstrip("/").removesuffix("/api/v3").replace("://api.github.com", "://github.com")
    return f"{host}/{github.repository}"


def _notes(ws: Workspace, version: str, previous: str, commits: tuple[Commit, ...]) -> changelog.ReleaseNotes:
    notes = changelog.release_notes(version, datetime.now(UTC).strftime("%Y-%m-%d"), commits,
                                    ws.config.release.include_other)
    web = _web_url(ws)
    compare = f"{web}/compare/{tag_name(ws, previous)}...{tag_name(ws, version)}" if web and previous else ""
    return dataclasses.replace(notes, repo_url=web, compare_url=compare)


def _notes_of_tag(ws: Workspace, version: str, tag: str) -> changelog.ReleaseNotes:
    """Notes for a release that is already tagged: the commits since the stable release before it."""
    current = semver.Version.parse(version)
    earlier = next((t for t in _version_tags(ws) if not t.version.prerelease and t.version < current
                    and is_ancestor(ws.app, t.commit, tag)), None)
    commits = read_commits(ws, f"{earlier.name}..{tag}" if earlier else tag)
    return _notes(ws, version, str(earlier.version) if earlier else "", commits)


def _write_release(ws: Workspace, plan: VersionPlan, tag: str) -> None:
    """Refuse, or write everything: changelog and version files, release commit, annotated tag, push."""
    cfg = ws.config.release
    state = repo_state(ws.app)
    _refuse_unless_releasable(ws, state.head, state.branch, state.changes, state.behind, state.shallow, tag)
    if plan.level == "first" and any(c.subject.startswith("chore(release): ") for c in plan.commits):
        raise GitError(f"No release tags ({cfg.tag_format}) were found in {ws.app}, yet its history has release "
                       "commits: the tags were not fetched (CI clones often skip them), so the version would "
                       f"restart at {plan.version}. Fetch them first: git fetch --tags.")
    rendered = changelog.render("CHANGELOG.md.j2", _templates(ws),
                                releases=[_notes(ws, plan.version, plan.previous, plan.commits)])
    path = ws.app / cfg.changelog
    edits = planned_edits(ws.app, cfg.version_files, plan.version)
    edits[cfg.changelog] = changelog.update(path.read_text() if path.exists() else "", rendered, plan.version)
    # Every edit was computed (and could fail) before this first write; the journal lets the next run
    # finish or undo them if this one is killed before the tag exists.
    release_journal.begin(ws, state.head, tag, plan.version, edits)
    for name, text in edits.items():
        write_atomically(ws.app / name, text)
    crash_point("release:edited")
    commit = commit_paths(ws.app, list(edits), f"chore(release): {tag}")
    crash_point("release:committed")
    create_tag(ws.app, tag, f"Release {plan.version}", commit)
    release_journal.end(ws)
    report.stage(report.OK, "release", f"{plan.describe()}; tagged {tag} on {commit[:7]}")
    if cfg.push:
        push(ws.app, cfg.remote, [f"HEAD:refs/heads/{cfg.branch}", f"refs/tags/{tag}"])
        report.stage(report.OK, "release push", f"{cfg.branch} and {tag} pushed to {cfg.remote}")


def _push_if_missing(ws: Workspace, tag: str) -> None:
    """HEAD is already released: push what a failed run left unpushed."""
    cfg = ws.config.release
    if not cfg.push:
        report.stage(report.OK, "release", f"{tag} already released on HEAD")
        return
    if run_git(ws.app, "ls-remote", "--tags", cfg.remote, f"refs/tags/{tag}").strip():
        report.stage(report.OK, "release", f"{tag} already released and pushed")
        return
    push(ws.app, cfg.remote, [f"HEAD:refs/heads/{cfg.branch}", f"refs/tags/{tag}"])
    report.stage(report.OK, "release push", f"{tag} existed only here; pushed it and {cfg.branch} to {cfg.remote}")


def _refuse_unless_releasable(ws: Workspace, head: str, branch: str, changes: tuple[str, ...], behind: int,
                              shallow: bool, tag: str) -> None:
    """Every reason not to write a release, checked before anything is written."""
    cfg = ws.config.release
    where = f"in {ws.app}"
    if shallow:
        raise GitError(f"The repository {where} is a shallow clone, so earlier tags and commits are missing and the "
                       "version would be wrong. Fetch full history first: git fetch --unshallow --tags.")
    if not branch:
        raise ReleaseError(f"HEAD is detached {where}; check out {cfg.branch} to release.")
    if branch != cfg.branch:
        raise ReleaseError(f"Releases are made from {cfg.branch}, but {where} {branch} is checked out.")
    if changes:
        raise ReleaseError(f"The working tree {where} has uncommitted changes ({', '.join(changes[:3])}); commit or "
                           "stash them before releasing.")
    if behind:
        raise ReleaseError(f"{branch} is {behind} commit(s) behind its upstream {where}; pull first, so the release "
                           "does not overwrite others' work.")
    existing = tag_commit(ws.app, tag)
    if existing and existing != head:
        raise ReleaseError(f"The tag {tag} already exists {where} on commit {existing[:12]}, not on HEAD "
                           f"({head[:12]}). Nothing was written. Delete the stray tag if it is wrong "
                           f"(git tag -d {tag}), or check out the commit it names.")
