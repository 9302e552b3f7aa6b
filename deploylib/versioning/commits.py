"""Conventional Commits 1.0, parsed from message text alone.

A message that is not conventional still parses (`conventional` is False) and never raises:
history is whatever people wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_HEADER = re.compile(r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]+(?P<desc>\S.*)$")
_FOOTER = re.compile(r"^(?P<token>BREAKING[ -]CHANGE|[A-Za-z][\w-]*)(?::[ \t]+| #)(?P<value>.*)$")
_PR_SUFFIX = re.compile(r"\s*\(#(?P<pr>\d+)\)$")
_REVERT = re.compile(r'^Revert "(?P<header>.+)"$')
_MERGE = re.compile(r"^Merge (pull request|branch|remote-tracking branch|tag|commit) ")
_SQUASH_ITEM = re.compile(r"^\* (?=\S)")
BREAKING_TOKENS = ("BREAKING CHANGE", "BREAKING-CHANGE")


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str  # the first line as written
    type: str  # lower-case; "" when the message is not conventional
    scope: str
    description: str  # the header's text without a trailing "(#123)"
    rest: str  # everything after the subject line: body and footers
    breaking: str  # what breaks: the BREAKING CHANGE footer, else the description when marked with "!"
    pr: str = ""  # the pull request number of a squash-merge subject "… (#123)"
    merge: bool = False
    reverts: str = ""  # the header a `Revert "…"` commit undoes

    # Body and footers are split only when asked for: planning and changelogs need just the
    # BREAKING CHANGE footer, which `parse` finds on its own, and long histories are mostly read.
    @cached_property
    def _parts(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return _split_footers(self.rest)

    @property
    def body(self) -> str:
        return self._parts[0]

    @property
    def footers(self) -> tuple[tuple[str, str], ...]:
        return self._parts[1]

    @property
    def conventional(self) -> bool:
        return bool(self.type)

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


def parse(message: str, sha: str = "") -> Commit:
    first, _, rest = message.strip("\n").partition("\n")
    subject, rest = first.strip(), rest.strip("\n")
    pr = found["pr"] if "(#" in subject and (found := _PR_SUFFIX.search(subject)) else ""
    if _MERGE.match(subject):
        return Commit(sha, subject, "", "", subject, rest, "", pr, merge=True)
    if revert := _REVERT.match(subject):
        inner = parse(revert["header"])
        return Commit(sha, subject, "revert", inner.scope, inner.description, rest, "", pr, reverts=revert["header"])
    header = _HEADER.match(subject)
    if not header:
        return Commit(sha, subject, "", "", _PR_SUFFIX.sub("", subject) if pr else subject, rest, "", pr)
    description = (_PR_SUFFIX.sub("", header["desc"]) if pr else header["desc"]).strip()
    breaking = ""
    if "BREAKING" in rest:
        breaking = next((value for token, value in _split_footers(rest)[1] if token in BREAKING_TOKENS), "")
    if header["bang"] and not breaking:
        breaking = description
    return Commit(sha, subject, header["type"].lower(), (header["scope"] or "").strip(), description, rest,
                  breaking, pr)


def parse_squash(message: str, sha: str = "") -> list[Commit]:
    """A GitHub squash merge lists its commits as "* feat: …" bullets: each counts as a commit of its own."""
    head = parse(message, sha)
    items: list[list[str]] = []
    for line in message.splitlines()[1:]:
        if _SQUASH_ITEM.match(line):
            items.append([line[2:]])
        elif items and (line.startswith("  ") or not line.strip()):
            items[-1].append(line[2:] if line.startswith("  ") else "")
    found = [parse("\n".join(item), sha) for item in items]
    conventional = [commit for commit in found if commit.conventional]
    return conventional if conventional else [head]


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
