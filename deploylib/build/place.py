"""Where a build writes and what is packed: a private folder per run, so the artifact is made from
this run's output alone, never from a folder another process (a second pipeline, a watcher, a
killed run's leftovers) is writing at the same time.

    .deploylib/builds/<pid>/output     $DEPLOY_OUTPUT: what is packed
    .deploylib/builds/<pid>/previous   the configured `[build] output` as it was before the build

A build told `$DEPLOY_OUTPUT` (`vite build --outDir "$DEPLOY_OUTPUT"`) writes straight into the
private folder; the configured output is left as it was. A build that writes the configured output
instead has that folder moved aside before the build (so nothing stale from an earlier build is
packed) and moved into the private folder after it, one rename(2) each way; it is packed there and
moved back. An output holding files git tracks is never moved (a kill in between would leave them
deleted in the working tree): it is copied into the private folder instead. The build runs under the
repository lock (repolock.py), so every other folder under builds/ is a killed run's, and the next
build removes it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from deploylib.build.artifact import scan_output
from deploylib.crash import crash_point
from deploylib.git import run_git
from deploylib.model import Below
from deploylib.values import frozen


@frozen
class BuildPlace:
    """One run's build folders. `configured`: the `[build] output` folder in the repository."""

    root: Path  # .deploylib/builds/<pid>
    configured: Path
    copied: bool  # the configured output holds files git tracks (or is on another disk): copied, never moved

    private = Below("root", "output")  # $DEPLOY_OUTPUT, and the folder packed
    aside = Below("root", "previous")  # the configured output as it was before the build


def builds_folder(state: Path) -> Path:
    return state / "builds"


def prepare(state: Path, repo: Path, configured: Path) -> BuildPlace:
    """Remove killed runs' folders, make this run's empty private folder, and move the configured output
    aside unless git tracks files in it. Call it holding the repository lock. Raises OSError (state
    folder not writable) and GitError."""
    folder = builds_folder(state)
    if folder.is_dir():
        for leftover in folder.iterdir():
            if leftover.name != str(os.getpid()):  # under the repository lock: a killed run's
                _remove(leftover)
    root = folder / str(os.getpid())
    _remove(root)
    root.mkdir(parents=True)
    place = BuildPlace(root, configured, _holds_tracked(repo, configured) or not _same_disk(configured, root))
    place.private.mkdir()
    if not place.copied and _exists(configured):
        os.rename(configured, place.aside)
    return place


def collect(place: BuildPlace) -> tuple[Path | None, bool]:
    """After a build that succeeded: the folder to pack, inside the private folder (None when the build
    wrote neither $DEPLOY_OUTPUT nor the configured output), and whether it is the configured output
    moved in (then `finish` moves it back)."""
    private = place.private
    if _exists(private) and (private.is_symlink() or not private.is_dir() or any(private.iterdir())):
        return private, False  # the build was told $DEPLOY_OUTPUT (the pack refuses anything there but a folder)
    if not place.configured.is_dir() or not any(place.configured.iterdir()):
        return None, False
    if _exists(private):
        private.rmdir()
    if place.copied:
        _copy(place.configured, place.private)
        return place.private, False
    os.rename(place.configured, place.private)
    crash_point("build:moved-in")
    return place.private, True


def finish(place: BuildPlace, moved_in: bool) -> None:
    """Leave the configured output as the user expects it and remove the private folder: the packed build
    moved back when it was moved in; otherwise the folder moved aside put back, unless the build wrote
    the configured output itself (a failed build's output is kept for the user to look at)."""
    if moved_in:
        _remove(place.configured)  # recreated meanwhile by something else (a watcher): the build's goes back
        os.rename(place.private, place.configured)
    elif not place.copied and not _exists(place.configured) and _exists(place.aside):
        os.rename(place.aside, place.configured)
    _remove(place.root)


def _copy(source: Path, dest: Path) -> None:
    """Copy the build output file by file, mtimes kept (the pack's hash cache trusts them). Its scan refuses a
    link, fifo or device before anything is read; a failing write raises its own OSError (ENOSPC, EACCES)."""
    dest.mkdir()
    for rel, path, is_dir in scan_output(source):
        if is_dir:
            (dest / rel).mkdir(parents=True, exist_ok=True)
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)


def _holds_tracked(repo: Path, configured: Path) -> bool:
    try:
        relative = configured.relative_to(repo)
    except ValueError:
        return False
    return bool(run_git(repo, "ls-files", "-z", "--", str(relative) or ".").strip("\0"))


def _same_disk(configured: Path, root: Path) -> bool:
    """rename(2) works only within one filesystem."""
    try:
        return os.stat(configured.parent).st_dev == os.stat(root).st_dev
    except OSError:
        return True  # no parent folder yet: the build creates it in the repository


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif _exists(path):
        path.unlink()
