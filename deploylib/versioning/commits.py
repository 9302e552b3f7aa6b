"""Conventional Commits 1.0, parsed from message text alone.

A message that is not conventional still parses (`conventional` is False) and never raises:
history is whatever people wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    body: str
    footers: tuple[tuple[str, str], ...]
    breaking: str  # what breaks: the BREAKING CHANGE footer, else the description when marked with "!"
    pr: str = ""  # the pull request number of a squash-merge subject "… (#123)"
    merge: bool = False
    reverts: str = ""  # the header a `Revert "…"` commit undoes

    @property
    def conventional(self) -> bool:
        return bool(self.type)

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


def parse(message: str, sha: str = "") -> Commit:
    lines = message.strip("\n").splitlines() or [""]
    subject = lines[0].strip()
    body, footers = _split_footers("\n".join(lines[1:]).strip("\n"))
    description, pr = subject, ""
    if found := _PR_SUFFIX.search(subject):
        pr = found["pr"]
    if _MERGE.match(subject):
        return Commit(sha, subject, "", "", subject, body, footers, "", pr, merge=True)
    if revert := _REVERT.match(subject):
        inner = parse(revert["header"])
        return Commit(sha, subject, "revert", inner.scope, inner.description, body, footers, "", pr,
                      reverts=revert["header"])
    header = _HEADER.match(subject)
    if not header:
        return Commit(sha, subject, "", "", _PR_SUFFIX.sub("", description), body, footers, "", pr)
    description = _PR_SUFFIX.sub("", header["desc"]).strip()
    breaking = next((value for token, value in footers if token in BREAKING_TOKENS), "")
    if header["bang"] and not breaking:
        breaking = description
    return Commit(sha, subject, header["type"].lower(), (header["scope"] or "").strip(), description, body,
                  footers, breaking, pr)


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
