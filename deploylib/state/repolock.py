"""One build and release at a time per repository.

Two runs in one clone would rebuild the build output under each other, pack a half-copied folder,
and race on the changelog and the tag. The build and release stages therefore hold
`.deploylib/repo.lock`, an flock naming its holder (see lock.py), from the first stage that needs it
to the end of the process: the kernel drops it when the process ends, however it ends, and a run
that ends (even with an error) clears its name from the file, so a name found there is a killed
run's. A run that finds it held waits up to the largest `lock_wait_s` of the environments, then
stops with exit 7 naming
the holder. Whoever takes the lock first settles what a killed run left half done: the lock files
its git process left (`index.lock`, `refs/heads/main.lock`: git refuses every later commit while one
is there), then the release stage.
"""

from __future__ import annotations

import atexit
import contextlib
from datetime import datetime
from pathlib import Path

from deploylib import report
from deploylib.errors import GitError, LockHeld, StateError, TargetError
from deploylib.git import lock_files
from deploylib.release import journal
from deploylib.state.lock import FileLock, LockHolder
from deploylib.state.workspace import Workspace, writable


class RepoLock:
    """The repository lock of one process; `hold` takes it once and keeps it until the process ends."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._held = contextlib.ExitStack()  # closed at exit: the flock lives as long as the process
        self._holding = False

    def hold(self, action: str, version: str = "") -> None:
        """Take the lock if this process does not hold it yet, then finish or undo an interrupted release.
        `action` and `version` name this run to whoever finds the lock taken. Waits up to the largest
        `lock_wait_s` (seconds) of the environments. Raises LockHeld (exit 7) naming the holder when another
        run keeps it past the wait; StateError (exit 1) when the state folder cannot be written; and
        ReleaseError or StateError from `journal.settle` for an interrupted release it cannot settle."""
        if self._holding:
            return
        self.ws.ensure_state()
        lock = FileLock(self.ws.state / "repo.lock", lambda who: (
            f"Another deploylib run holds {self.ws.app}: {who}. A run keeps the repository from its first build or "
            "release stage to its end, its deploys and their validation included, so that one run at a time builds "
            "and releases it; wait for it to finish (or raise lock_wait_s in deploy.toml to wait longer), then run "
            "the command again."), lambda why: (
            f"Cannot take the repository lock {self.ws.state / 'repo.lock'} ({why}): the state folder {self.ws.state} "
            "is not writable as a run needs it. Nothing was built or released. Make it writable (and give its disk "
            "free space), then run the command again."))
        wait = max((env.lock_wait_s for env in self.ws.config.environments.values()), default=0.0)
        try:
            dead = self._held.enter_context(lock.hold(LockHolder.me(action, version), wait))
        except LockHeld:
            raise
        except TargetError as err:
            raise StateError(str(err)) from None
        self._holding = True
        atexit.register(self._held.close)  # a run that ends, however it fails, clears its name: one left names a kill
        problem = writable(self.ws.state, self.ws.state / "ledger.sqlite3")
        if problem:
            raise StateError(f"deploylib's state folder {self.ws.state} cannot be written ({problem}), so this run "
                             "could not record what it builds, releases and deploys. Nothing was changed. Make it "
                             "writable (and give its disk free space), then run the command again.")
        if dead is not None:
            remove_dead_git_locks(self.ws.app, dead)
        journal.settle(self.ws)


def remove_dead_git_locks(repo: Path, dead: LockHolder) -> None:
    """Remove the lock files in `repo`'s git folder (`index.lock`, `HEAD.lock`, `refs/heads/main.lock`, …)
    that the killed run `dead` (the last holder of the repository lock, which never released it) left: made
    while that run held the lock. One made before it started is not the run's, and is left for the user
    (git names it in its own error)."""
    try:
        since = datetime.fromisoformat(dead.since.replace("Z", "+00:00")).timestamp()
        found = lock_files(repo)
    except (GitError, ValueError):  # no repository yet, or an unreadable holder
        return
    for path in found:
        try:
            if path.stat().st_mtime >= since - 1:  # `since` is to the second
                path.unlink()
                report.stage(report.WARN, "recover", f"removed {path}, which the run killed meanwhile left "
                                                     f"(pid {dead.pid})")
        except OSError:
            continue  # gone meanwhile, or not ours to remove: git names it if it is in the way
