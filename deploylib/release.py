"""The release stage: plan the next version from git history, then changelog, commit, tag, push.

Planning is read-only and cheap (two git processes); publishing refuses, before writing
anything, whenever the repository is not in a state to release from, and resumes a release
whose tag already exists on HEAD instead of duplicating it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import semver

from deploylib import changelog, report
from deploylib.errors import GitError, ReleaseError
from deploylib.git import commit_paths, create_tag, log_messages, push, reachable_tags, repo_state, run_git, tag_commit
from deploylib.versioning.bump import VersionPlan, plan_version
from deploylib.versioning.commits import parse
from deploylib.workspace import Workspace


def tag_name(ws: Workspace, version: str) -> str:
    return ws.config.release.tag_format.replace("{version}", version)


def _tag_version(tag_format: str, tag: str) -> semver.Version | None:
    prefix, _, suffix = tag_format.partition("{version}")
    found = re.fullmatch(re.escape(prefix) + "(.+)" + re.escape(suffix), tag)
    if not found or not semver.Version.is_valid(found[1]):
        return None
    return semver.Version.parse(found[1])


def last_release_tag(ws: Workspace) -> tuple[str, str]:
    """(tag, version) of the highest semantic version tagged on HEAD's history; ("", "") if none."""
    fmt = ws.config.release.tag_format
    versions = [(v, t) for t in reachable_tags(ws.app, fmt.replace("{version}", "*"))
                if (v := _tag_version(fmt, t)) is not None and not v.prerelease]
    if not versions:
        return "", ""
    version, tag = max(versions, key=lambda pair: pair[0])
    return tag, str(version)


def plan_release(ws: Workspace, head: str) -> VersionPlan:
    cfg = ws.config.release
    tag, previous = last_release_tag(ws)
    commits = tuple(parse(message, sha) for sha, message in log_messages(ws.app, f"{tag}..HEAD" if tag else "HEAD"))
    return plan_version(previous, commits, cfg.bump_rules, cfg.initial_version, cfg.major_on_zero, head)


def publish(ws: Workspace, plan: VersionPlan) -> str:
    """Make the release `plan` describes (changelog, commit, annotated tag, push); return the tag or ""."""
    cfg = ws.config.release
    if not plan.is_release:
        if plan.commits:
            report.stage(report.SKIP, "release", plan.describe())
            return ""
        return _resume(ws, tag_name(ws, plan.version))
    tag = tag_name(ws, plan.version)
    state = repo_state(ws.app)
    _refuse_unless_releasable(ws, state.head, state.branch, state.changes, state.behind, state.shallow, tag)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    notes = changelog.release_notes(plan.version, date, plan.commits)
    override = ws.app / cfg.templates if cfg.templates else None
    rendered = changelog.render("CHANGELOG.md.j2", override, releases=[notes])
    path = ws.app / cfg.changelog
    path.write_text(changelog.update(path.read_text() if path.exists() else "", rendered, plan.version))
    commit = commit_paths(ws.app, [cfg.changelog], f"chore(release): {tag}")
    create_tag(ws.app, tag, f"Release {plan.version}", commit)
    report.stage(report.OK, "release", f"{plan.describe()}; tagged {tag} on {commit[:7]}")
    if cfg.push:
        push(ws.app, cfg.remote, [f"HEAD:refs/heads/{cfg.branch}", f"refs/tags/{tag}"])
        report.stage(report.OK, "release push", f"{cfg.branch} and {tag} pushed to {cfg.remote}")
    return tag


def _resume(ws: Workspace, tag: str) -> str:
    """HEAD is already released: finish the steps a failed run left undone (the push)."""
    cfg = ws.config.release
    if not cfg.push:
        report.stage(report.OK, "release", f"{tag} already released on HEAD")
        return tag
    remote_tag = run_git(ws.app, "ls-remote", "--tags", cfg.remote, f"refs/tags/{tag}").strip()
    if remote_tag:
        report.stage(report.OK, "release", f"{tag} already released and pushed")
        return tag
    push(ws.app, cfg.remote, [f"HEAD:refs/heads/{cfg.branch}", f"refs/tags/{tag}"])
    report.stage(report.OK, "release push", f"{tag} existed only here; pushed it and {cfg.branch} to {cfg.remote}")
    return tag


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
