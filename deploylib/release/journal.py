"""The release stage's journal: what a release in progress is writing, so a run killed half-way is
finished or undone by the next one, never left as a dirty working tree.

    .deploylib/release.json   {"pid", "head", "tag", "version", "files": {path: {"before", "after"}},
                               "taking_back"}

Written (atomically) before the first file is touched and removed once the release is pushed (or,
without a push, tagged), or taken back. `settle` reads a journal left by a process that is gone: if
the remote had refused the release (`taking_back`), it finishes taking it back; else if the release
commit was made, it tags it; if not, it puts the files back as they were, unless someone changed them
since (then it refuses and says what to do: a user's own changes are never touched).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import asdict
from pathlib import Path

from deploylib import jsontext, report, textfile
from deploylib.crash import crash_point
from deploylib.errors import ReleaseError, StateError
from deploylib.git import create_tag, run_git, tag_commit
from deploylib.state.atomic import read_regular, temporary_name, write_atomically
from deploylib.state.workspace import Workspace
from deploylib.values import frozen


@frozen
class Journal:
    """The journal file's content (see the module docstring)."""

    pid: int
    head: str  # the commit the release commit goes on
    tag: str
    version: str
    files: dict[str, dict[str, str | None]]  # path in the repository -> {"before": text or None, "after": text}
    taking_back: bool = False  # the remote refused the release: its commit and tag are being undone


def path(ws: Workspace) -> Path:
    """`.deploylib/release.json` under the workspace root."""
    return ws.state / "release.json"


def begin(ws: Workspace, head: str, tag: str, version: str, edits: dict[str, str],
          originals: dict[str, str | None] | None = None) -> None:
    """Record the edits a release is about to write (before any is written). `originals`: each file's
    text before the release touched it, when the build already wrote the edits (staged_edits.py).
    `edits`: repository-relative path -> new text; `head`: full sha. Raises StateError (exit 1) when the
    state folder cannot be created, OSError when the journal cannot be written (nothing is edited then)."""
    files = {}
    for name, text in edits.items():
        before = originals.get(name) if originals is not None else _read(ws.app / name)
        files[name] = {"before": before, "after": text}
    ws.ensure_state()
    write_atomically(path(ws), json.dumps(asdict(Journal(os.getpid(), head, tag, version, files))))


def end(ws: Workspace) -> None:
    """The release is tagged and pushed (or taken back): nothing is left to finish or undo."""
    path(ws).unlink(missing_ok=True)


def take_back(ws: Workspace) -> None:
    """Undo the release the journal records, which the remote refused (an atomic push: it holds none of
    it): recorded first, so a run killed half-way is completed by `settle`; then the branch, index and
    files move back to the journal's head (`git reset --keep`: the release's own edits only, the tree was
    clean) and the tag is deleted. Raises GitError (exit 1) when git cannot, StateError when the journal
    cannot be read, OSError when it cannot be written."""
    journal = _load(ws)
    if journal is None:
        return
    write_atomically(path(ws), json.dumps(asdict(dataclasses.replace(journal, taking_back=True))))
    _take_back(ws, journal)
    end(ws)


def _take_back(ws: Workspace, journal: Journal) -> None:
    """Move HEAD off the journal's release commit and delete its tag, while they are that commit (history
    moved on by hand is left as it is)."""
    head = run_git(ws.app, "rev-parse", "HEAD").strip()
    if head != journal.head:
        if not _is_release_commit(ws, journal, head):
            return
        run_git(ws.app, "reset", "-q", "--keep", journal.head)
    crash_point("release:taking-back")
    tagged = tag_commit(ws.app, journal.tag)
    if tagged and _is_release_commit(ws, journal, tagged):
        run_git(ws.app, "tag", "-d", journal.tag)


def _is_release_commit(ws: Workspace, journal: Journal, commit: str) -> bool:
    """Whether `commit` is the journal's release commit: its subject, on the journal's head."""
    subject = run_git(ws.app, "log", "-1", "--format=%s%x00%P", commit).strip()
    message, _, parents = subject.partition("\0")
    return message == f"chore(release): {journal.tag}" and parents.split()[:1] == [journal.head]


def settle(ws: Workspace) -> None:
    """Finish or undo the release stage of a run that died. Call it while holding the repository lock.
    Raises ReleaseError when files the release was writing were changed since (nothing is touched),
    StateError when the journal itself cannot be read."""
    journal = _load(ws)
    if journal is None:  # under the lock, a journal is always that of a run that died
        return
    head = run_git(ws.app, "rev-parse", "HEAD").strip()
    if journal.taking_back:
        _take_back(ws, journal)
        report.stage(report.WARN, "release", f"took back {journal.tag}, which the remote refused, as a run killed "
                                             f"while taking it back could not (pid {journal.pid})")
    elif head != journal.head:
        _finish(ws, journal, head)
    else:
        _undo(ws, journal)
    end(ws)


def _load(ws: Workspace) -> Journal | None:
    try:
        return Journal(**jsontext.loads(read_regular(path(ws))))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as err:
        raise StateError(f"The release journal {path(ws)} cannot be read ({err}). It records a release stage that "
                         "was interrupted; check `git status` and `git log -1` in the repository, restore any "
                         "half-written changelog or version file (git checkout -- FILE), then delete the journal "
                         "and run again.") from None


def _finish(ws: Workspace, journal: Journal, head: str) -> None:
    """The release commit was made: tag it if the run died before it could."""
    if tag_commit(ws.app, journal.tag) or not _is_release_commit(ws, journal, head):
        return  # tagged already, or history moved on by hand: nothing of the interrupted run to finish
    create_tag(ws.app, journal.tag, f"Release {journal.version}", head)
    report.stage(report.WARN, "release", f"finished {journal.tag}, which a run killed after its release commit left "
                                         f"untagged (pid {journal.pid})")


def _undo(ws: Workspace, journal: Journal) -> None:
    """No release commit yet: put back the files the release was writing, if they hold only its edits."""
    changed = [name for name, text in journal.files.items() if _read(ws.app / name) not in (text["before"],
                                                                                           text["after"])]
    if changed:
        raise ReleaseError(f"A release of {journal.version} was interrupted in {ws.app} (pid {journal.pid}) before "
                           f"its commit, and {', '.join(changed)} changed since then, so deploylib leaves "
                           "them alone. Keep your changes (commit or stash them) or drop them (git checkout -- "
                           f"{' '.join(changed)}), then delete {path(ws)} and run the command again.")
    names = list(journal.files)
    for name, text in journal.files.items():
        temporary_name(ws.app / name, journal.pid).unlink(missing_ok=True)
        if text["before"] is None:
            run_git(ws.app, "rm", "-q", "--cached", "--ignore-unmatch", "--", name)
            (ws.app / name).unlink(missing_ok=True)
        else:
            textfile.write(ws.app / name, text["before"])
            run_git(ws.app, "reset", "-q", "--", name)
    report.stage(report.WARN, "release", f"undid the edits of the release of {journal.version} that a killed run "
                                         f"left before its commit (pid {journal.pid}): {', '.join(names)}")


def _read(file: Path) -> str | None:
    try:
        return textfile.read(file)  # bytes as they are: CRLF and a BOM are put back as they were
    except FileNotFoundError:
        return None
