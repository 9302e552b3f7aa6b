"""The activation history of a target: which release went live when, and by whom, oldest first.

One format and one file name for every target: `revisions.log`, JSON lines appended one per
activation,

    {"time": "2026-01-31T12:00:00Z", "id": "1.4.0-3f2a9c1e", "version": "1.4.0", "digest": "sha256:…",
     "by": "alice", "commit": "…"}

("commit": only the GitHub Pages target, the branch commit it published). The order of the lines is
the order of activations: timestamps have a one-second resolution and can tie. A line that does not
parse (a crash mid-append, bytes that are not UTF-8) is skipped: the activation it began is not trusted.

Where it lives: beside the releases in the Capistrano layout (`<path>/revisions.log` of a local folder
and of every SSH host), else in the target's state folder (`.deploylib/targets/<env>/revisions.log`
for the command and GitHub Pages targets).

Formats written before, still read, and counted before the new file's lines:
- the command target's `activations.json`: a JSON array of {"id", "time", "by"}, oldest first;
- the GitHub Pages target's `releases.json`: release id → record whose "activations" list holds
  {"time", "by", "commit", "n"}, "n" numbering the activations of every release in order.

`History` is pure (text in, answers out); `read_history` and `append_activation` are the local-file adapters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from deploylib import jsontext
from deploylib.errors import TargetError
from deploylib.model import Release, utc_now
from deploylib.state.atomic import read_regular
from deploylib.values import frozen

FILE_NAME = "revisions.log"


@frozen
class Activation:
    """One release made live: its id, when (ISO 8601 UTC, seconds), by whom, and for Pages the commit."""

    release_id: str
    time: str
    by: str
    version: str = ""
    digest: str = ""
    commit: str = ""


class History:
    """A target's activations, oldest first (see the module's docstring for the format)."""

    def __init__(self, activations: Iterable[Activation] = ()) -> None:
        self.activations = tuple(activations)
        self._latest = {a.release_id: (n, a) for n, a in enumerate(self.activations)}

    @classmethod
    def parse(cls, lines: Iterable[str], earlier: Sequence[Activation] = ()) -> History:
        """The history from the lines of a revisions.log (str each, without or with its newline), after
        the `earlier` activations read from an old format. Lines that do not parse are skipped."""
        return cls([*earlier, *(a for line in lines if (a := _activation(line)) is not None)])

    @staticmethod
    def line(release: Release, by: str, commit: str = "") -> str:
        """The line that records `release` going live now, by `by` (a login or $DEPLOYLIB_ACTOR), ending in "\\n"."""
        entry = {"time": utc_now(), "id": release.id, "version": release.version, "digest": release.digest, "by": by}
        return json.dumps(entry | ({"commit": commit} if commit else {})) + "\n"

    def __contains__(self, release_id: object) -> bool:
        """Whether the release with this id was ever made live."""
        return release_id in self._latest

    def latest(self, release_id: str) -> Activation | None:
        """The release's newest activation, or None when it never was live."""
        found = self._latest.get(release_id)
        return found[1] if found else None

    def last(self) -> Activation | None:
        """The newest activation of any release, or None when none was made."""
        return self.activations[-1] if self.activations else None

    def commits(self, release_id: str) -> set[str]:
        """The commits each activation of the release published (GitHub Pages; empty for other targets)."""
        return {a.commit for a in self.activations if a.release_id == release_id and a.commit}

    def stamped(self, release: Release) -> Release:
        """`release` with when and by whom it last went live ("" and "" when it never did)."""
        found = self.latest(release.id)
        return replace(release, activated_at=found.time if found else "", activated_by=found.by if found else "")

    def ordered(self, releases: Iterable[Release]) -> list[Release]:
        """`releases`, stamped, in the order of their newest activations: never-activated ones first (by id),
        the live one normally last."""
        def key(release: Release) -> tuple[int, str]:
            found = self._latest.get(release.id)
            return (found[0] if found else -1, release.id)

        return [self.stamped(r) for r in sorted(releases, key=key)]


def _activation(line: str) -> Activation | None:
    try:
        return _from_entry(jsontext.loads(line))
    except ValueError:
        return None


def _from_entry(entry: object) -> Activation | None:
    """An activation from one decoded JSON entry; None when it is not an object with an "id"."""
    if not isinstance(entry, dict) or "id" not in entry:
        return None
    field = {key: str(entry.get(key, "")) for key in ("time", "by", "version", "digest", "commit")}
    return Activation(str(entry["id"]), **field)


def from_command_record(text: str) -> list[Activation]:
    """The activations in a command target's old `activations.json` (a JSON array), oldest first; [] for
    text that is not such an array."""
    try:
        entries = jsontext.loads(text)
    except ValueError:
        return []
    return [a for entry in entries if (a := _from_entry(entry)) is not None] if isinstance(entries, list) else []


def from_pages_records(records: Mapping[str, Any]) -> list[Activation]:
    """The activations kept in the GitHub Pages target's old `releases.json` records (release id → record
    with an "activations" list numbered by "n" across releases), oldest first."""
    found: list[tuple[int, Activation]] = []
    for release_id, record in records.items():
        entries = record.get("activations") if isinstance(record, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("n"), int):
                found.append((entry["n"], Activation(release_id, str(entry.get("time", "")), str(entry.get("by", "")),
                                                     str(record.get("version", "")), str(record.get("digest", "")),
                                                     str(entry.get("commit", "")))))
    return [activation for _, activation in sorted(found, key=lambda pair: pair[0])]


def read_history(path: Path, earlier: Sequence[Activation] = ()) -> History:
    """The history in the revisions.log at `path` (none yet: only `earlier`), after `earlier` (activations
    from an old format). Raises TargetError naming the file when it exists but cannot be read."""
    try:  # bytes that are not UTF-8 (a corrupted log) spoil only their own lines
        text = read_regular(path).decode(errors="replace")
    except FileNotFoundError:
        return History(earlier)
    except OSError as err:
        raise TargetError(f"Cannot read {path}: {err.strerror}. It records which release went live when; restore "
                          "it or remove it (rollback then picks releases by name).") from None
    return History.parse(text.splitlines(), earlier)


def append_activation(path: Path, release: Release, by: str, where: str, commit: str = "") -> None:
    """Append `release`'s activation to the revisions.log at `path` (its folder is made if missing). Called
    once the release is live on `where` (the target's description), so a failure raises TargetError
    saying exactly that."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as log:
            log.write(History.line(release, by, commit))
    except OSError as err:
        raise TargetError(f"{release.id} is live on {where}, but its activation could not be recorded in "
                          f"{path}: {err.strerror}. Make it writable (and give the disk free space).") from None
