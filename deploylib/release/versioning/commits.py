"""Conventional Commits 1.0, parsed from message text alone.

A message that is not conventional still parses (`conventional` is False) and never raises:
history is whatever people wrote. Line endings do not matter: `\\r\\n`, `\\n` and a lone `\\r`
(a message committed with `git commit --cleanup=verbatim` from Windows) read alike.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cached_property

from deploylib.values import frozen

_HEADER = re.compile(r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]+(?P<desc>\S.*)$")
_FOOTER = re.compile(r"^(?P<token>BREAKING[ -]CHANGE|[A-Za-z][\w-]*)(?::[ \t]+| #)(?P<value>.*)$")
# A breaking-change note where git and GitHub put one in practice: any line after the subject, as the
# last paragraph or not, indented or as a list item ("-", "+" or "*", CommonMark 0.31 §5.2; "* BREAKING
# CHANGE: …" in a squash body), with its text on the same line or on the lines after it, and in Markdown
# emphasis ("**BREAKING CHANGE:** …", "**BREAKING CHANGE**: …", "__…__", "*…*"), which GitHub renders as
# that same footer; the marks are not part of the note. The token itself must be upper case and followed
# by a colon (Conventional Commits 1.0, items 12, 15 and 16), so prose that merely mentions a breaking
# change ("breaking change: …", "a BREAKING CHANGE here", "**Breaking change:** none") is not one.
# semantic-release (conventional-commits-parser's default notes pattern, case-insensitive:
# `^[\s|*]*(BREAKING CHANGE|BREAKING-CHANGE)[:\s]+(.*)`) takes a note after spaces, "*" and "|" only (not
# "-", "+", "_" or a mark between the token and its colon), also without the colon or in lower case,
# and keeps the marks in its text ("** …"). Here the spec decides the token, and every form of the
# bullet and the emphasis counts alike.
_BREAKING = re.compile(r"^(?P<lead>[ \t]*(?:[-+*][ \t]+)?)(?P<em>\*{1,3}|_{1,3})?BREAKING[ -]CHANGE"
                       r"(?P<shut>(?P=em))?:(?P<after>(?P=em))?(?P<value>.*)$", re.MULTILINE)
_LIST_ITEM = re.compile(r"[ \t]*[-+*][ \t]")
_PR_SUFFIX = re.compile(r"\s*\(#(?P<pr>\d+)\)$")
_REVERT = re.compile(r'^(?P<verb>Revert|Reapply) "(?P<header>.+)"$')
_MERGE = re.compile(r"^Merge (pull request|branch|remote-tracking branch|tag|commit) ")
_SQUASH_ITEM = re.compile(r"^\* (?=\S)")
BREAKING_TOKENS = ("BREAKING CHANGE", "BREAKING-CHANGE")


@frozen
class Commit:
    """One commit message as Conventional Commits 1.0 reads it: `type(scope)!: description`, then an
    optional body and footers (Specification items 1-16). Every field is text; "" means absent."""

    sha: str  # full 40-hex sha as git prints it; "" when parsed from text alone
    subject: str  # the first line as written (without its line ending)
    type: str  # lower-case; "" when the message is not conventional
    scope: str
    description: str  # the header's text without a trailing "(#123)"
    rest: str  # everything after the subject line: body and footers, lines ending in "\n"
    # What breaks: every BREAKING CHANGE note in message order (a message may hold several, e.g. a squash
    # body's), else the description when marked with "!"; () when nothing breaks.
    breaking_notes: tuple[str, ...]
    pr: str = ""  # the pull request number of a squash-merge subject "… (#123)"
    merge: bool = False
    reverts: str = ""  # the header a `Revert "…"` (or `Reapply "…"`) commit undoes

    # Body and footers are split only when asked for: planning and changelogs need just the
    # BREAKING CHANGE note, which `parse` finds on its own, and long histories are mostly read.
    @cached_property
    def _parts(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return _split_footers(self.rest)

    @property
    def body(self) -> str:
        """The free-form paragraphs between the subject and the footers (item 6), stripped."""
        return self._parts[0]

    @property
    def footers(self) -> tuple[tuple[str, str], ...]:
        """(token, value) pairs in message order, e.g. ("Refs", "#12"); "BREAKING-CHANGE" reads as
        "BREAKING CHANGE" (items 8-10 and 16). A value continued over several lines keeps its newlines."""
        return self._parts[1]

    @property
    def breaking(self) -> str:
        """What breaks, in one text: the first breaking-change note (or the "!" description); "" when
        nothing breaks."""
        return self.breaking_notes[0] if self.breaking_notes else ""

    @property
    def conventional(self) -> bool:
        """Whether the subject is a Conventional Commits header (reverts count; merges do not)."""
        return bool(self.type)

    @property
    def short_sha(self) -> str:
        """The sha's first 7 characters, as `git log --oneline` abbreviates by default."""
        return self.sha[:7]


def normalize_newlines(text: str) -> str:
    """`\\r\\n` and a lone `\\r` become `\\n`; text without `\\r` is returned as is (the common, fast case)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse(message: str, sha: str = "") -> Commit:
    """`message` (git's full `%B` text, any line endings) as a Commit; never raises.

    The type is read case-insensitively and stored lower-case (item 15); a breaking change is a `!`
    before the colon (item 13) or an upper-case `BREAKING CHANGE:` / `BREAKING-CHANGE:` note (items 12
    and 16), also in Markdown emphasis (`**BREAKING CHANGE:**`, see _BREAKING). Merge commits (`Merge pull
    request …`, `Merge branch …`) and `Revert "…"` / `Reapply "…"` subjects, as git and GitHub write them,
    are recognised although they are not conventional headers.

    A note marks any commit but a merge, whatever its subject: a `Revert "…"` whose author says what its
    revert breaks, a subject that is not a conventional header (`feat!(api): …`, prose) but whose body
    announces a breaking change (semantic-release counts those notes too). A merge's notes are its merged
    commits', which history holds as well.
    """
    first, _, rest = normalize_newlines(message).strip("\n").partition("\n")
    subject, rest = first.strip(), rest.strip("\n")
    pr = found["pr"] if "(#" in subject and (found := _PR_SUFFIX.search(subject)) else ""
    if _MERGE.match(subject):
        return Commit(sha, subject, "", "", subject, rest, (), pr, merge=True)
    notes = _breaking_notes(rest) if "BREAKING" in rest else ()
    if (subject.startswith(("Revert ", "Reapply "))
            and (revert := _REVERT.match(_PR_SUFFIX.sub("", subject) if pr else subject))):
        return _revert(sha, subject, rest, pr, revert["verb"], revert["header"], notes)
    header = _HEADER.match(subject)
    if not header:
        return Commit(sha, subject, "", "", _PR_SUFFIX.sub("", subject) if pr else subject, rest, notes, pr)
    description = (_PR_SUFFIX.sub("", header["desc"]) if pr else header["desc"]).strip()
    return Commit(sha, subject, header["type"].lower(), (header["scope"] or "").strip(), description, rest,
                  notes or ((description,) if header["bang"] else ()), pr)


def _revert(sha: str, subject: str, rest: str, pr: str, verb: str, header: str, notes: tuple[str, ...]) -> Commit:
    """`Revert "H"` undoes H. Reverting a revert (`Revert "Revert "G""`, or `Reapply "G"` as git 2.43
    and later write it) brings G back: it is G again, recorded as undoing the revert, so it cancels
    that revert when both are unreleased and counts as G when the revert was released. `notes`: the
    breaking-change notes of the revert's own body; undoing H breaks nothing unless they say so."""
    inner = parse(header)
    if verb == "Reapply" or inner.reverts:
        again = parse(header if verb == "Reapply" else inner.reverts)
        undone = f'Revert "{header}"' if verb == "Reapply" else header
        return Commit(sha, subject, again.type, again.scope, again.description, rest,
                      notes or again.breaking_notes, pr, reverts=undone)
    return Commit(sha, subject, "revert", inner.scope, inner.description, rest, notes, pr, reverts=header)


def _breaking_notes(rest: str) -> tuple[str, ...]:
    """The text of every breaking-change note in `rest`, in message order, each once; () for none.

    A note is its line, continued on the following lines up to a blank line, the next footer or
    breaking-change note, or, for a note that is a list item, the next item of its list (CommonMark 0.31
    §5.2: an item ends where a sibling begins); after a bare "BREAKING CHANGE:", the next paragraph.
    Emphasis marks around the token are not part of the text. A note without any text still marks the
    commit: its value is then "(no description)". Every note counts, as semantic-release lists each one
    under its breaking changes: a squash body or a long message may announce several."""
    notes: dict[str, None] = {}
    found = _BREAKING.search(rest)
    while found:
        note, end = _note_at(rest, found)
        notes[note] = None
        found = _BREAKING.search(rest, end)
    return tuple(notes)


def _note_at(rest: str, found: re.Match[str]) -> tuple[str, int]:
    """The note `found` opens (see _breaking_notes) and the offset in `rest` where it ends."""
    item = found["lead"].strip() != ""
    indent = len(found["lead"]) - len(found["lead"].lstrip())
    lines = [found["value"].strip()]
    end = found.end() + 1
    while end <= len(rest):  # line by line, never splitting the rest of a long message again per note
        stop = rest.find("\n", end)
        line = rest[end:stop if stop >= 0 else len(rest)]
        if not line.strip():
            if any(lines):
                break
        elif (_FOOTER.match(line.strip()) or _BREAKING.match(line)
                or item and _LIST_ITEM.match(line) and len(line) - len(line.lstrip()) <= indent):
            break
        else:
            lines.append(line.strip())
        end += len(line) + 1
    note = "\n".join(line for line in lines if line)
    em = found["em"]
    if em and not (found["shut"] or found["after"]) and len(note) - len(note.rstrip(em[0])) == len(em):
        note = note[:-len(em)].rstrip()  # "**BREAKING CHANGE: text**": the closing marks end the note
    return note or "(no description)", end


def parse_squash(message: str, sha: str = "") -> list[Commit]:
    """A GitHub squash merge lists its commits as "* feat: …" bullets: each counts as a commit of its own,
    and so does the title (with the text before the first bullet) when it is conventional, as
    python-semantic-release's squash parser reads it, or when that text holds a breaking-change note.

    GitHub's default squash message is the PR title, then for each commit `* <subject>` followed by
    that commit's body and footers, unindented. So every line after a bullet, indented or not,
    belongs to that bullet's commit up to the next conventional bullet; a bullet that is not a
    conventional header ("* wip") is body text of the commit before it. The bullets' commits carry the
    title's pull request number. Without a conventional bullet the message is one commit.

    Returns at least one Commit, in message order (title first), each carrying `sha`; never raises.
    """
    lines = normalize_newlines(message).strip("\n").split("\n")
    items: list[list[str]] = [[]]
    for line in lines:
        if len(items[0]) and _SQUASH_ITEM.match(line) and _starts_commit(line[2:]):
            items.append([line[2:]])
        else:
            items[-1].append(line[2:] if len(items) > 1 and line.startswith("  ") else line)
    head = parse("\n".join(items[0]), sha)
    found = [parse("\n".join(item), sha) for item in items[1:]]
    bullets = [dataclasses.replace(c, pr=c.pr or head.pr) for c in found]
    return [head, *bullets] if head.conventional or head.breaking_notes or not bullets else bullets


def _starts_commit(line: str) -> bool:
    return bool(_HEADER.match(line.strip()) or _REVERT.match(_PR_SUFFIX.sub("", line.strip())))


def _split_footers(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Body and footers: footers are the trailing paragraphs that each open with a `Token: value` line."""
    paragraphs = re.split(r"\n[ \t]*\n", text) if text.strip() else []
    start = len(paragraphs)
    while start > 0 and _FOOTER.match(paragraphs[start - 1].splitlines()[0]):
        start -= 1
    footers: list[tuple[str, str]] = []
    for paragraph in paragraphs[start:]:
        for line in paragraph.splitlines():
            if found := _FOOTER.match(line):
                footers.append((found["token"].replace("BREAKING-CHANGE", "BREAKING CHANGE"), found["value"].strip()))
            elif footers:  # a value continued on the next line
                token, value = footers[-1]
                footers[-1] = (token, f"{value}\n{line.strip()}".strip())
    return "\n\n".join(paragraphs[:start]).strip(), tuple(footers)
