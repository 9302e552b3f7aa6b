"""The release stage: plan the next version from git history (plan.py), then changelog, commit, tag, push.

Publishing refuses, before writing
anything, whenever the repository is not in a state to release from, and resumes a release
whose tag already exists on HEAD instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import semver

from deploylib import report, textfile
from deploylib.crash import crash_point
from deploylib.errors import GitError, NotARepository, PushRefused, ReleaseError
from deploylib.forge import open_forge, web_url
from deploylib.forge.base import ForgeRelease, ReleaseAsset
from deploylib.git import (
    RepoState,
    commit_paths,
    create_tag,
    git_run,
    is_ancestor,
    log_entries,
    looks_remote,
    push,
    push_fix,
    push_problem,
    repo_state,
    repository_problem,
    run_git,
    shown_url,
    tag_commit,
)
from deploylib.model import Artifact
from deploylib.release import changelog, journal, staged_edits
from deploylib.release.edits import changelog_text, release_edits, templates, version_notes
from deploylib.release.plan import (
    Tag,
    last_stable,
    members,
    parsed_commits,
    read_commits,
    refuse_unless_plan_holds,
    refuse_version,
    tag_name,
    version_tags,
)
from deploylib.release.plan import last_release_tag as last_release_tag  # re-exported: the release's API
from deploylib.release.plan import plan_release as plan_release
from deploylib.release.versioning import history
from deploylib.release.versioning.bump import VersionPlan
from deploylib.release.versioning.commits import Commit
from deploylib.state.workspace import Workspace


def release_history(ws: Workspace) -> list[changelog.ReleaseNotes]:
    """Every stable release on HEAD's history with its commits and links, newest first, from one `git log`
    of HEAD's history (and one more for releases off it): each release holds the same commits, in the
    same order, as when `_notes_of_tag` reads it alone with a range (deploylib.release.versioning.history), so
    their sections are equal. Raises GitError (exit 1) when git fails."""
    tags = version_tags(ws)
    stable = sorted((t for t in tags if not t.version.prerelease), key=lambda t: t.version)
    graph = list(log_entries(ws.app, "HEAD"))
    on_head = {entry.sha for entry in graph}
    elsewhere = dict.fromkeys(t.commit for t in stable if t.commit not in on_head)  # e.g. maintenance lines
    if elsewhere:  # their histories outside HEAD's, so what they released is not counted again
        graph += log_entries(ws.app, *elsewhere, "^HEAD")
    held = history.members(graph, [(t.name, t.commit) for t in stable])
    return [_notes_of(ws, tag, tags, parsed_commits(ws, held[tag.name])) for tag in reversed(stable)
            if tag.commit in on_head]


def write_changelog(ws: Workspace, full: bool) -> None:
    """Update the changelog with the latest release's section, or (full) regenerate it from history,
    keeping its `## [Unreleased]` section. The file keeps its line endings and byte-order mark.
    Raises NotARepository (exit 3) outside a repository with commits, ReleaseError (exit 1) when there is
    no release tag on HEAD's history to write (not `full`), a template fails or the existing changelog
    cannot be read as UTF-8, GitError when git fails, OSError when the file cannot be written."""
    problem = repository_problem(ws.app)
    if problem:
        raise NotARepository(problem)
    path = ws.app / ws.config.release.changelog
    existing = changelog_text(ws)
    if full:
        history = release_history(ws)
        rendered = changelog.render("CHANGELOG.md.j2", templates(ws), releases=history)
        textfile.write(path, textfile.conform(changelog.with_unreleased(rendered, existing), existing))
        report.stage(report.OK, "changelog", f"{path} regenerated from {len(history)} release(s)")
        return
    tags = version_tags(ws)
    last = last_stable(ws, tags)
    if not last:
        raise ReleaseError(f"There is no release tag ({ws.config.release.tag_format}) on HEAD's history in "
                           f"{ws.app}, so there is no section to write.")
    version = str(last.version)
    rendered = changelog.render("CHANGELOG.md.j2", templates(ws), releases=[_notes_of_tag(ws, last, tags)])
    textfile.write(path, changelog.update(existing, rendered, version))
    report.stage(report.OK, "changelog", f"{path}: section {version} written")


def preview(ws: Workspace, plan: VersionPlan) -> None:
    """What `publish` would do, written nowhere: the next version and the release notes, after the refusals
    `plan.refuse_unless_plan_holds` finds (the release's own, so the dry run fails where it would). Prints to
    stdout through deploylib.report (and emits the plan for the JSON result). Raises as
    `refuse_unless_plan_holds` does."""
    from deploylib import events

    refuse_unless_plan_holds(ws, plan)
    events.emit(events.Planned(plan.version if plan.is_release else "",
                               tag_name(ws, plan.version) if plan.is_release else "", plan.is_release))
    report.plain(f"next version: {plan.version if plan.is_release else 'none'}")
    report.plain(plan.describe())
    if plan.is_release:
        notes = version_notes(ws, plan.version, plan.previous, plan.commits)
        report.plain(changelog.render("release_notes.md.j2", templates(ws), release=notes).rstrip("\n"))


def publish(ws: Workspace, plan: VersionPlan, artifact: Artifact | None, state: RepoState | None = None) -> str:
    """Make the release `plan` describes, or finish one a failed run left half done; return the tag or ""
    ("" when `plan` has unreleased commits none of which asks for a release).

    Writes the changelog and version files, the `chore(release): <tag>` commit, the annotated tag, then
    pushes ([release] push) and publishes the forge release ([release.forge]), attaching `artifact`
    when it is this version's. Raises ReleaseError (exit 1) when the repository is not releasable
    (detached HEAD, another branch, uncommitted changes, behind its upstream, the tag on another commit;
    nothing is written), and its subclass ForgeError when the forge cannot be used (a missing token:
    raised before anything is written) or refuses; GitError (exit 1) for a shallow clone, tags not
    fetched, a push that cannot succeed (a missing remote, or a network remote a dry run finds unreachable,
    refusing access, moved on or holding the tag: nothing is written), or a failed commit, tag or push (an
    atomic push: nothing pushed); its subclass PushRefused when the remote refused the push (branch
    protection): the release commit and tag are taken back. Run again after a failure: it resumes.
    `state` is the repository as this run read it just before (None: read it here)."""
    if not plan.is_release and plan.commits:
        report.stage(report.SKIP, "release", plan.describe())
        return ""
    tag = tag_name(ws, plan.version)
    forge = open_forge(ws.config.release, ws.app)  # a missing token stops us before anything is written
    if plan.is_release:
        _write_release(ws, plan, tag, state or repo_state(ws.app))
        notes = version_notes(ws, plan.version, plan.previous, plan.commits)
    else:  # HEAD already carries the tag
        _push_if_missing(ws, tag)
        tags = version_tags(ws)
        notes = _notes_of_tag(ws, next(t for t in tags if t.name == tag), tags)
    if forge is not None:
        attach = forge.options.upload_artifact and artifact is not None and artifact.version == plan.version
        assets = (ReleaseAsset(f"{ws.app.name}-{plan.version}.tar", artifact.tar),) if attach and artifact else ()
        body = changelog.render("release_notes.md.j2", templates(ws), release=notes)
        url = forge.publish_release(ForgeRelease(tag, tag, body, bool(semver.Version.parse(plan.version).prerelease),
                                                 tag_commit(ws.app, tag), assets))
        assert ws.config.release.forge is not None
        report.stage(report.OK, f"release {ws.config.release.forge.type}",
                     url + (f" with {assets[0].name}" if assets else ""))
    return tag


def release_links(ws: Workspace, version: str, limit: int = 5) -> tuple[str, str, list[str]]:
    """(tag, GitHub release URL, highlights) of a released `version`, for a deploy's summary: the tag when
    it exists, the release page when a GitHub repository is configured, and up to `limit` of the release's
    features and fixes ("feat: …", "fix: …"), then how many more the changelog holds. A build of unreleased
    commits (`1.2.0+abc1234`) has none."""
    tags = version_tags(ws)
    tag = next((t for t in tags if str(t.version) == version), None)
    if tag is None:
        return "", "", []
    web, forge = web_url(ws.config.release), ws.config.release.forge
    notes = _notes_of_tag(ws, tag, tags)
    wanted = {title: kind for kind, title in changelog.SECTIONS if kind in ("feat", "fix")}
    highlights = [f"{wanted[section.title]}: {entry.description}" for section in notes.sections
                  if section.title in wanted for entry in section.entries]
    page = f"{web}/releases/tag/{tag.name}" if web and forge is not None and forge.type == "github" else ""
    more = [f"… and {len(highlights) - limit} more in {ws.config.release.changelog}"] if len(highlights) > limit else []
    return tag.name, page, highlights[:limit] + more


def _notes_of_tag(ws: Workspace, tag: Tag, tags: list[Tag]) -> changelog.ReleaseNotes:
    """Notes for a release that is already tagged: its members (see `members`)."""
    return _notes_of(ws, tag, tags, read_commits(ws, *members(tag.commit, tags, tag.version)))


def _notes_of(ws: Workspace, tag: Tag, tags: list[Tag], commits: tuple[Commit, ...]) -> changelog.ReleaseNotes:
    """The notes of a tagged release holding `commits`, dated by the tag and, when the changelog links to
    the repository, compared with the highest lower stable release in its history (only then is that
    release looked for)."""
    earlier = next((t for t in tags if not t.version.prerelease and t.version < tag.version
                    and is_ancestor(ws.app, t.commit, tag.commit)), None) if web_url(ws.config.release) else None
    return version_notes(ws, str(tag.version), str(earlier.version) if earlier else "", commits, tag.date)


@contextmanager
def versioned_tree(ws: Workspace, plan: VersionPlan, state: RepoState) -> Iterator[None]:
    """The working tree as the release will commit it, for the build: version files and changelog edited
    when `plan` is a release and `state` (the repository as read just before: its HEAD, a full sha, is
    recorded with the edits) is clean, as the gate made sure. Any failure inside puts every file back as
    it was, so a failed build or build gate leaves the user's tree untouched. Raises ReleaseError (exit 1)
    as `release_edits` does, before anything is written."""
    if not plan.is_release or state.changes:
        yield
        return
    staged_edits.stage(ws, state.head, plan.version, release_edits(ws, plan))
    try:
        yield
    except BaseException:
        staged_edits.unstage(ws)
        raise


def _write_release(ws: Workspace, plan: VersionPlan, tag: str, state: RepoState) -> None:
    """Refuse, or write everything: changelog and version files, release commit, annotated tag, push.
    Edits the build already made (`versioned_tree`) are committed as they are, byte for byte."""
    cfg = ws.config.release
    ready = staged_edits.staged(ws, state.head, plan.version)
    try:
        changes = tuple(c for c in state.changes if not (ready and c in ready.files))
        refuse_version(ws, plan, state.head, state.shallow)
        _refuse_unless_releasable(ws, state.branch, changes, state.behind)
        _refuse_unless_pushable(ws, tag)
        edits = ready.files if ready else release_edits(ws, plan)
    except BaseException:
        staged_edits.unstage(ws)  # a refused release leaves the tree as the user had it
        raise
    # Every edit was computed (and could fail) before this first write; from here the journal owns them,
    # so the next run finishes or undoes them if this one is killed before the tag exists, and completes
    # taking them back if the remote refused them.
    journal.begin(ws, state.head, tag, plan.version, edits, ready.originals if ready else None)
    staged_edits.forget(ws)
    for name, text in edits.items():
        textfile.write(ws.app / name, text)
    crash_point("release:edited")
    commit = commit_paths(ws.app, list(edits), f"chore(release): {tag}")
    crash_point("release:committed")
    create_tag(ws.app, tag, f"Release {plan.version}", commit)
    if cfg.push:
        try:
            push(ws.app, cfg.remote, [f"HEAD:refs/heads/{cfg.branch}", f"refs/tags/{tag}"])
        except PushRefused as refused:
            journal.take_back(ws)  # the journal kept until then: a run killed while taking back is completed
            raise PushRefused(f"{refused} The release commit and {tag} were taken back: HEAD, the tags and the files "
                              "are as they were before the release.") from None
        except BaseException:
            journal.end(ws)  # released and tagged here; the next run pushes it (_push_if_missing)
            raise
    journal.end(ws)
    report.stage(report.OK, "release", f"{plan.describe()}; tagged {tag} on {commit[:7]}")
    if cfg.push:
        report.stage(report.OK, "release push", f"{cfg.branch} and {tag} pushed to {cfg.remote}")


def _refuse_unless_pushable(ws: Workspace, tag: str) -> None:
    """With [release] push = true, refuse before anything is written when the push of the release could not
    succeed: the remote is missing, or, for a network remote, a dry run of the push (`git.push_problem`:
    the host does not resolve, access is refused, the branch moved on, the tag is taken) fails.

    A remote on this machine is not dry-run: the preflight found it is a repository, and a refusal of the
    real push (which, atomic, leaves the remote as it was) is taken back (`journal.take_back`), so the dry run
    would cost a connection per release for nothing. Raises GitError (exit 1)."""
    cfg = ws.config.release
    if not cfg.push:
        return
    named = git_run(ws.app, "remote", "get-url", "--push", cfg.remote)  # one process: the local path stays cheap
    if not named.ok:
        raise GitError(f'{ws.app} has no remote "{cfg.remote}". Add it (git remote add {cfg.remote} URL) or set '
                       "[release] remote in deploy.toml. Nothing was tagged or pushed.")
    url = named.out.strip()
    if not looks_remote(url) or url.startswith("file://"):
        return
    said = push_problem(ws.app, cfg.remote, [f"HEAD:refs/heads/{cfg.branch}", f"HEAD:refs/tags/{tag}"])
    if said:
        raise GitError(f'The release would push {cfg.branch} and {tag} to the remote "{cfg.remote}" '
                       f"({shown_url(url)}), but git says it cannot: {said}. Nothing was tagged or pushed; "
                       f"{push_fix(said, cfg.remote)}")


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


def _refuse_unless_releasable(ws: Workspace, branch: str, changes: tuple[str, ...], behind: int) -> None:
    """Every reason not to write a release from where HEAD stands, checked before anything is written (the
    version's own refusals are plan.refuse_version's)."""
    cfg = ws.config.release
    where = f"in {ws.app}"
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
