"""Changelog: the model of one release's notes (pure), rendering through a sandboxed Jinja2
environment, and the incremental update that adds or replaces one version's section while
leaving every other byte of the file as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploylib.errors import ReleaseError
from deploylib.resources import shipped
from deploylib.versioning.commits import Commit

# Section order in the notes; commit types not listed here are left out of the changelog.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("breaking", "Breaking Changes"),
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
)


@dataclass(frozen=True)
class Entry:
    description: str
    scope: str
    sha: str
    short_sha: str
    pr: str


@dataclass(frozen=True)
class Section:
    title: str
    entries: list[Entry]


@dataclass(frozen=True)
class ReleaseNotes:
    version: str
    date: str  # YYYY-MM-DD
    sections: list[Section] = field(default_factory=list)
    compare_url: str = ""
    repo_url: str = ""


OTHER = "Other"  # commits that are not conventional (merges aside), listed only when include_other is on


def release_notes(version: str, date: str, commits: Iterable[Commit], include_other: bool = False) -> ReleaseNotes:
    """Group commits into titled sections; a breaking change appears under Breaking Changes as well."""
    grouped: dict[str, list[Entry]] = {key: [] for key, _ in (*SECTIONS, (OTHER, OTHER))}
    for commit in commits:
        if commit.breaking:
            grouped["breaking"].append(Entry(commit.breaking, commit.scope, commit.sha, commit.short_sha, commit.pr))
        key = commit.type or (OTHER if include_other and not commit.merge else "")
        if key in grouped:
            grouped[key].append(Entry(commit.description, commit.scope, commit.sha, commit.short_sha, commit.pr))
    sections = [Section(title, grouped[key]) for key, title in (*SECTIONS, (OTHER, OTHER)) if grouped[key]]
    return ReleaseNotes(version=version, date=date, sections=sections)


def history(commits: Iterable[Commit], releases: dict[str, tuple[str, str]],
            include_other: bool = False) -> list[ReleaseNotes]:
    """Split history (newest first) into releases: a tagged commit opens its release, and every
    older commit up to the next tagged one belongs to it. `releases` maps sha → (version, date).
    Commits newer than the newest tag are unreleased and left out."""
    grouped: list[tuple[str, str, list[Commit]]] = []
    for commit in commits:
        if commit.sha in releases:
            grouped.append((*releases[commit.sha], []))
        if grouped:
            grouped[-1][2].append(commit)
    return [release_notes(version, date, members, include_other) for version, date, members in grouped]


_VALUE_TYPES = (ReleaseNotes, Section, Entry)


def _environment(folders: list[str]) -> Any:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        """The sandbox's per-access safety checks cost more than the rest of rendering a long history.
        The fields of our own value dataclasses are plain data, so they are read directly; every other
        attribute, and every other object, goes through the full check."""

        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) in _VALUE_TYPES and attribute in obj.__dataclass_fields__:
                return getattr(obj, attribute)
            return super().getattr(obj, attribute)

    return Sandbox(loader=jinja2.FileSystemLoader(folders), undefined=jinja2.StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def render(template: str, override_dir: Path | None, **context: Any) -> str:
    """Render a template from the project's folder if it has one, else deploylib's default."""
    import jinja2

    folders = [str(d) for d in (override_dir, shipped("changelog_templates")) if d and d.is_dir()]
    env = _environment(folders)
    try:
        tmpl = env.get_template(template)
        return tmpl.render(**context)
    except jinja2.TemplateSyntaxError as err:
        raise ReleaseError(f"The changelog template {err.filename or template}, line {err.lineno}, is invalid: "
                           f"{err.message}. Fix the template; nothing was written.") from None
    except jinja2.TemplateNotFound:
        raise ReleaseError(f"No changelog template {template} in {' or '.join(folders)}.") from None
    except jinja2.TemplateError as err:
        filename = env.loader.get_source(env, template)[1] if env.loader else template
        raise ReleaseError(f"The changelog template {filename} failed while rendering: {err}"
                           f"{_template_line(err)}. Fix the template; nothing was written.") from None


def _template_line(err: BaseException) -> str:
    """The template line an error was raised from, found in the traceback Jinja2 rewrites."""
    tb = err.__traceback__
    line = ""
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = f" (line {tb.tb_lineno})"
        tb = tb.tb_next
    return line


_HEADING = re.compile(r"^## ", re.MULTILINE)


def _version_heading(version: str) -> re.Pattern[str]:
    return re.compile(rf"^## \[?{re.escape(version)}\]?(?=[\s(\-]|$)", re.MULTILINE)


def update(existing: str, rendered: str, version: str) -> str:
    """Put the `version` section of a freshly rendered changelog into `existing`.

    A section for that version already there is replaced (never duplicated); otherwise the new one
    goes above the newest release. Every other byte of `existing` is kept.
    """
    found = _version_heading(version).search(rendered)
    if not found:
        raise ReleaseError(f"The changelog template rendered no '## [{version}]' heading; it must render one "
                           "section per release.")
    following = _HEADING.search(rendered, found.end())
    section = rendered[found.start():following.start() if following else len(rendered)].rstrip("\n") + "\n\n"
    if not existing.strip():
        return rendered
    old = _version_heading(version).search(existing)
    if old:
        after = _HEADING.search(existing, old.end())
        end = after.start() if after else len(existing)
        return existing[:old.start()] + (section if after else section.rstrip("\n") + "\n") + existing[end:]
    first = _HEADING.search(existing)
    if first:
        return existing[:first.start()] + section + existing[first.start():]
    return existing.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
