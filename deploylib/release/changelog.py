"""Changelog: the model of one release's notes (pure), rendering through a sandboxed Jinja2
environment, and the incremental update that adds or replaces one version's section while
leaving every other byte of the file as it was (Keep a Changelog 1.1: newest release first,
an `## [Unreleased]` section above every release).

Which commits a release holds is decided by the caller (deploylib.release.stage, by reachability);
here a revert and the commit it undoes, both in one release, cancel out (deploylib.release.versioning.reverts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path
from typing import Any

from deploylib import textfile
from deploylib.errors import ReleaseError
from deploylib.release.versioning.commits import Commit
from deploylib.release.versioning.reverts import without_cancelled
from deploylib.resources import shipped
from deploylib.values import frozen

# Section order in the notes; commit types not listed here are left out of the changelog.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("breaking", "Breaking Changes"),
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
)


@frozen
class Entry:
    """One line of the notes, as the templates see it (`entry.description`, …)."""

    description: str  # the commit's description, or one of its breaking-change notes under Breaking Changes
    scope: str  # "" when the commit has none
    sha: str  # full 40-hex sha
    short_sha: str  # first 7 characters
    pr: str  # pull request number without "#", "" when the subject names none


@frozen
class Section:
    """A titled group of entries, in the order the commits were given (newest first)."""

    title: str  # one of SECTIONS' titles, or OTHER
    entries: list[Entry]


@frozen
class ReleaseNotes:
    """One release's notes: the context of `release_notes.md.j2` (`release`) and, as a list newest
    first, of `CHANGELOG.md.j2` (`releases`)."""

    version: str  # SemVer 2.0, without the tag prefix
    date: str  # YYYY-MM-DD, UTC
    sections: list[Section] = field(default_factory=list)  # in SECTIONS order; empty sections left out
    compare_url: str = ""  # e.g. https://github.com/o/r/compare/v1.0.0...v1.1.0; "" without a forge
    repo_url: str = ""  # e.g. https://github.com/o/r; "" without a forge


OTHER = "Other"  # commits that are not conventional (merges aside), listed only when include_other is on


def release_notes(version: str, date: str, commits: Iterable[Commit], include_other: bool = False) -> ReleaseNotes:
    """Group commits into titled sections; a breaking change appears under Breaking Changes as well,
    one entry for each of its notes (as semantic-release lists them).

    `commits`: the release's commits, newest first; a revert and its target both among them are left
    out. `date`: YYYY-MM-DD. `include_other`: list non-conventional commits (not merges) under Other.
    Types without a section (docs, chore, …) are left out. Never raises."""
    grouped: dict[str, list[Entry]] = {key: [] for key, _ in (*SECTIONS, (OTHER, OTHER))}
    for commit in without_cancelled(tuple(commits)):
        for note in commit.breaking_notes:
            grouped["breaking"].append(Entry(note, commit.scope, commit.sha, commit.short_sha, commit.pr))
        key = commit.type or (OTHER if include_other and not commit.merge else "")
        if key in grouped:
            grouped[key].append(Entry(commit.description, commit.scope, commit.sha, commit.short_sha, commit.pr))
    sections = [Section(title, grouped[key]) for key, title in (*SECTIONS, (OTHER, OTHER)) if grouped[key]]
    return ReleaseNotes(version=version, date=date, sections=sections)


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

    env = Sandbox(loader=jinja2.FileSystemLoader(folders), undefined=jinja2.StrictUndefined, trim_blocks=True,
                  lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
    env.filters["md"] = markdown_text
    return env


# What CommonMark and GitHub Flavored Markdown would take for markup or HTML inside a list item:
# emphasis and strike-through marks, link brackets, raw HTML and entities, and the escape character.
# An underscore inside a word (snake_case) is not emphasis in GFM and stays readable unescaped.
_MARKUP = re.compile(r"[\\*\[\]<>&~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_ANY_MARK = re.compile(r"[\\*\[\]<>&~_`]")
# What opens a block at the start of a line (CommonMark 0.31 §4-5), where the list item's own text or
# a breaking-change note's later lines stand: an ATX heading, a bullet or ordered list marker, a
# thematic break or setext underline, a code fence (`>`, `*`, `_`, `~` and `<` are escaped anywhere).
# The group is the character (or fence) whose escape leaves the line ordinary text.
_BLOCK_START = re.compile(r"^[ \t]{0,3}(?:(#)#{0,5}(?=[ \t]|$)|([-+])(?=[ \t]|$)|([-=])[-=]*[ \t]*$"
                          r"|\d{1,9}([.)])(?=[ \t]|$)|(`{3,}))", re.MULTILINE)
_BLOCK_FIRST = frozenset("#-+=`0123456789 \t")  # how a one-line text that _BLOCK_START matches can begin


def markdown_text(text: str) -> str:
    """`text` written so that Markdown renders it as written (the `md` filter of the templates):
    `__proto__` stays `__proto__`, `<Header>` is shown, not taken for HTML, and a line that starts
    like a heading, a list item, a rule or a code fence (`# of retries`, a breaking-change note's
    `- removed a`) stays text inside its list item. Code spans (`x`) are kept, since a subject's
    backticks mean code."""
    if not _ANY_MARK.search(text) and text[:1] not in _BLOCK_FIRST and "\n" not in text:  # most subjects
        return text
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts += [_escaped(text[last:span.start()], last == 0 or text[last - 1] == "\n"), span.group()]
        last = span.end()
    parts.append(_escaped(text[last:], last == 0 or text[last - 1] == "\n"))
    return "".join(parts)


def _escaped(text: str, line_start: bool) -> str:
    """`text` (no code span in it) with its markup escaped; `line_start`: whether it begins a line."""
    text = _MARKUP.sub(lambda m: "\\" + m.group(), text)

    def block(found: re.Match[str]) -> str:
        if found.start() == 0 and not line_start:  # mid-line, after a code span: no block starts here
            return found.group()
        whole, mark = found.group(), found[found.lastindex or 0]
        offset = found.start(found.lastindex or 0) - found.start()
        return whole[:offset] + "".join("\\" + c for c in mark) + whole[offset + len(mark):]

    return _BLOCK_START.sub(block, text)


def own_template_used(template: str, override_dir: Path | None) -> bool:
    """Whether `render` would render deploylib's own `template`: `override_dir` (the user's templates folder,
    None for none) holds no file of that name, and the shipped one is there. Looked up as Jinja2's
    FileSystemLoader does (the first folder holding a regular file of that name wins)."""
    if override_dir is not None and (override_dir / template).is_file():
        return False
    return (shipped("changelog_templates") / template).is_file()


def render(template: str, override_dir: Path | None, **context: Any) -> str:
    """Render `template` (a file name such as "CHANGELOG.md.j2") from `override_dir` if it has one, else
    deploylib's default, in a Jinja2 sandbox with StrictUndefined (an unknown name is an error, not "").

    Raises ReleaseError (exit 1), naming the template file and line, when the template is invalid,
    missing, or fails while rendering; nothing has been written then."""
    import jinja2

    folders = [str(d) for d in (override_dir, shipped("changelog_templates")) if d and d.is_dir()]
    env = _environment(folders)
    try:
        tmpl = env.get_template(template)
        return str(tmpl.render(**context))
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
# Where a release's section starts in a changelog: any `## ` heading, or a `#` / `###` one naming a version,
# as semantic-release heads a major release (`# [2.0.0](…)`) and standard-version a patch (`### [1.0.1](…)`).
_RELEASE = re.compile(r"^(?:## |#{1,3}[ \t]+\[?v?\d+\.\d+\.\d+)", re.MULTILINE)
# `## [Unreleased]`, `## Unreleased`, linked (`## [Unreleased](…/compare/v1.0.0...HEAD)`) or followed by text
# (`## [Unreleased] - ReleaseDate`, cargo-release's placeholder): the heading's first word is what counts.
_UNRELEASED = re.compile(r"^## \[?unreleased(?:\]\([^)\r\n]*\)|\])?(?=[ \t]|\r?$)[^\n]*$", re.MULTILINE | re.IGNORECASE)


def _version_heading(version: str, as_other_tools_write_it: bool = False) -> re.Pattern[str]:
    """`## [1.2.0]…` or `## 1.2.0 …` (what a template must render), never `## [1.2.0-rc.1]` (a prerelease is a
    section of its own); `as_other_tools_write_it`: also with a `v` (`## v1.2.0`) or at level 1 or 3 (see
    _RELEASE), as a changelog's existing sections may be headed."""
    level, v = ("#{1,3}", "v?") if as_other_tools_write_it else ("##", "")
    return re.compile(rf"^{level} \[?{v}{re.escape(version)}(?:\](?!\S)|\]\(|(?=[ \t(]|\r?$))", re.MULTILINE)


def section_of(text: str, version: str) -> str:
    """The `version` section of a changelog: its heading up to the next `## ` heading (or the end),
    without trailing blank lines; "" when there is none."""
    found = _version_heading(version).search(text)
    if not found:
        return ""
    following = _HEADING.search(text, found.end())
    return text[found.start():following.start() if following else len(text)].rstrip("\r\n")


def with_unreleased(rendered: str, existing: str) -> str:
    """A regenerated changelog (`rendered`) keeping the `## [Unreleased]` section of the file it
    replaces, above the newest release (Keep a Changelog 1.1): it is the user's, not history's."""
    found = _UNRELEASED.search(existing)
    if not found:
        return rendered
    following = _RELEASE.search(existing, found.end())
    kept = existing[found.start():following.start() if following else len(existing)]
    kept = kept.replace("\r\n", "\n").rstrip("\n") + "\n\n"
    first = _HEADING.search(rendered)
    if not first:
        return rendered.rstrip("\n") + "\n\n" + kept.rstrip("\n") + "\n"
    return rendered[:first.start()] + kept + rendered[first.start():]


def update(existing: str, rendered: str, version: str) -> str:
    """Put the `version` section of a freshly rendered changelog into `existing` ("" for no file).

    A section for that version already there is replaced (never duplicated); otherwise the new one
    goes above the newest release (headed `## `, or `#` / `###` with its version, as other tools write them),
    below an `## [Unreleased]` section if there is one. Every other
    byte of `existing` is kept, and the new section takes the file's line endings.
    Raises ReleaseError (exit 1) when `rendered` holds no `## [version]` heading (a template that
    does not write one section per release).
    """
    section = section_of(rendered, version)
    if not section:
        raise ReleaseError(f"The changelog template rendered no '## [{version}]' heading; it must render one "
                           "section per release.")
    if not existing.strip():
        return rendered
    newline = textfile.newline_of(existing)
    section = section.replace("\r\n", "\n").replace("\n", newline) + newline * 2
    ending = existing[len(existing.rstrip("\r\n")):]  # how the file ends, kept: even without a newline
    old = _version_heading(version, as_other_tools_write_it=True).search(existing)
    if old:
        after = _RELEASE.search(existing, old.end())
        if after:
            return existing[:old.start()] + section + existing[after.start():]
        return existing[:old.start()] + section.rstrip("\r\n") + ending
    unreleased = _UNRELEASED.search(existing)
    first = _RELEASE.search(existing, unreleased.end() if unreleased else 0)
    if first:
        return existing[:first.start()] + section + existing[first.start():]
    return existing.rstrip("\r\n") + newline * 2 + section.rstrip("\r\n") + ending
