"""The release's file edits (version files and changelog), written into the working tree before
the build so the build sees the version it will be tagged with, then committed by the release.

A record in the state folder (`release-edits.json`: the writer's pid, HEAD, version, and for each
file its new text and its text before, or null when it did not exist) makes the edits the release's own: the release
commits exactly the bytes the build saw; a failed build puts every file back as it was; and edits a
killed run left behind are put back before the next run judges the tree clean or dirty.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from deploylib import jsontext, textfile
from deploylib.state.atomic import read_regular, temporary_name, write_atomically
from deploylib.state.workspace import Workspace
from deploylib.values import frozen

_RECORD = "release-edits.json"


@frozen
class Staged:
    """The record of edits staged in the working tree, as read back from `release-edits.json`."""

    head: str  # the commit the edits were made on (full sha)
    version: str  # the version they write
    files: dict[str, str]  # path (relative to the repository) -> new text
    originals: dict[str, str | None]  # path -> text before, None when the file did not exist
    pid: int  # the process that wrote them: its temporary files (textfile.write) are removed with them


def stage(ws: Workspace, head: str, version: str, edits: dict[str, str]) -> None:
    """Write `edits` (path relative to the repository -> new text, as UTF-8 bytes with no newline
    translation) into the working tree, recording first what each file held. Raises StateError (exit 1)
    when the state folder cannot be created, OSError (or UnicodeDecodeError for a file that is not
    UTF-8) when a file cannot be read or written; files written before that stay written, and
    `unstage` puts them back."""
    originals = {name: textfile.read(ws.app / name) if (ws.app / name).exists() else None for name in edits}
    record = {"head": head, "version": version, "files": edits, "originals": originals, "pid": os.getpid()}
    ws.ensure_state()
    write_atomically(_path(ws), json.dumps(record))  # before the first edit: a kill after it can be undone
    for name, text in edits.items():
        textfile.write(ws.app / name, text)


def staged(ws: Workspace, head: str, version: str) -> Staged | None:
    """The edits staged for `version` on `head`, if the working tree still holds every one of them; None
    otherwise, including when the record is missing or unreadable (never raises for the record)."""
    found = _read(ws)
    if found is None or (found.head, found.version) != (head, version) or not _in_tree(ws, found):
        return None
    return found


def unstage(ws: Workspace) -> bool:
    """Put back every file the staged edits changed (a file edited since, or committed as it is since: the
    user took the edits a killed run left, is left alone) and forget them;
    True when there were edits to put back, False without a record (nothing done). A file the edits
    created is deleted. Raises OSError when a file cannot be restored (the record is then kept, so the
    next run tries again)."""
    found = _read(ws)
    if found is None:
        return False
    for name, text in found.files.items():
        path = ws.app / name
        temporary_name(path, found.pid).unlink(missing_ok=True)  # a write the killed run was making
        if not path.exists() or textfile.read(path) != text or _committed(ws, name):
            continue  # changed or committed by someone since: theirs now
        before = found.originals.get(name)
        if before is None:
            path.unlink()
        else:
            textfile.write(path, before)
    forget(ws)
    return True


def forget(ws: Workspace) -> None:
    """Drop the record: the edits were committed (or never written)."""
    _path(ws).unlink(missing_ok=True)


def _committed(ws: Workspace, name: str) -> bool:
    """Whether HEAD holds the file as the working tree does (no change to put back; git's own comparison,
    so its filters and line-ending rules apply). False for a file HEAD does not hold (`git diff` ignores an
    untracked one: a changelog the edits created is removed), or when git cannot say (no HEAD)."""
    from deploylib.git import git_run

    return (git_run(ws.app, "cat-file", "-e", f"HEAD:./{name}").ok
            and git_run(ws.app, "diff", "--quiet", "HEAD", "--", name).ok)


def _in_tree(ws: Workspace, found: Staged) -> bool:
    return all((ws.app / name).exists() and textfile.read(ws.app / name) == text for name, text in found.files.items())


def _read(ws: Workspace) -> Staged | None:
    try:
        data = jsontext.loads(read_regular(_path(ws)))
        return Staged(data["head"], data["version"], data["files"], data["originals"], int(data.get("pid", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _path(ws: Workspace) -> Path:
    return ws.state / _RECORD
