"""The release commit's file edits (the changelog's new section and the version files), computed and
checked before anything is written. Kept apart from the release stage (stage.py) so that a question
about the next version (`deploylib next-version`, the dry run) checks them without loading the forge,
journal or artifact code, and renders the changelog only when the template can fail.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib import textfile
from deploylib.errors import ReleaseError
from deploylib.release import changelog
from deploylib.release.plan import tag_name
from deploylib.release.version_files import planned_edits

if TYPE_CHECKING:
    from deploylib.release.versioning.bump import VersionPlan
    from deploylib.release.versioning.commits import Commit
    from deploylib.state.workspace import Workspace

CHANGELOG_TEMPLATE = "CHANGELOG.md.j2"


def templates(ws: Workspace) -> Path | None:
    """The folder of the user's changelog templates ([release] templates), None when none is configured."""
    return ws.app / ws.config.release.templates if ws.config.release.templates else None


def version_notes(ws: Workspace, version: str, previous: str, commits: tuple[Commit, ...],
                  date: str = "") -> changelog.ReleaseNotes:
    """The notes of `version` dated `date` (today in UTC, a new release's date, when not given), linked to
    the configured forge's pages (compared with `previous`, "" for none). Raises ForgeError as
    `forge.web_url` does."""
    cfg = ws.config.release
    found = changelog.release_notes(version, date or datetime.now(UTC).strftime("%Y-%m-%d"), commits,
                                    cfg.include_other)
    web = ""
    if cfg.forge is not None:  # without one web_url is "": its registry is not loaded for nothing
        from deploylib.forge import web_url

        web = web_url(cfg)
    compare = f"{web}/compare/{tag_name(ws, previous)}...{tag_name(ws, version)}" if web and previous else ""
    return dataclasses.replace(found, repo_url=web, compare_url=compare)


def release_edits(ws: Workspace, plan: VersionPlan) -> dict[str, str]:
    """The new text of every file the release commit writes: the version files and the changelog,
    all computed (and any problem raised) before one is written. Returns {repository-relative path:
    new text}. Raises ReleaseError (exit 1) for an unusable version file, template or changelog."""
    release, edits, existing = _inputs(ws, plan)
    rendered = changelog.render(CHANGELOG_TEMPLATE, templates(ws), releases=[release])
    edits[ws.config.release.changelog] = changelog.update(existing, rendered, plan.version)
    return edits


def refuse_unusable_edits(ws: Workspace, plan: VersionPlan) -> None:
    """Raise whatever `release_edits` would raise for `plan`, computing no more than can fail: deploylib's
    own changelog template renders every release's section (tests/unit/test_changelog.py), so it is
    rendered (and Jinja2 loaded) only when the user's templates folder overrides it."""
    if changelog.own_template_used(CHANGELOG_TEMPLATE, templates(ws)):
        _inputs(ws, plan)
    else:
        release_edits(ws, plan)


def _inputs(ws: Workspace, plan: VersionPlan) -> tuple[changelog.ReleaseNotes, dict[str, str], str]:
    """(the release's notes, the version files' edits, the changelog's current text or "")."""
    cfg = ws.config.release
    release = version_notes(ws, plan.version, plan.previous, plan.commits)
    return release, planned_edits(ws.app, cfg.version_files, plan.version), changelog_text(ws)


def changelog_text(ws: Workspace) -> str:
    """The changelog's text as stored ([release] changelog; "" when there is none yet). Raises ReleaseError
    (exit 1) when it is not UTF-8 or cannot be read (e.g. a folder), naming it."""
    name = ws.config.release.changelog
    path = ws.app / name
    if not path.exists():
        return ""
    try:
        return textfile.read(path)
    except (UnicodeDecodeError, OSError) as err:
        why = ("is not UTF-8 text. Save it as UTF-8" if isinstance(err, UnicodeDecodeError) else
               f"cannot be read: {err.strerror}. Fix the path in deploy.toml")
        raise ReleaseError(f"The changelog {name} ([release] changelog) {why}; nothing was written.") from None
