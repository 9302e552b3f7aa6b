"""Deploy locks on a local filesystem, and who holds them.

The lock is an `flock` on a file that also records its holder. The kernel drops an flock when
its process dies (Ctrl-C, SIGKILL, a cancelled CI job), so a lock can never go stale; the file
left behind only tells the next deploy whose lock it recovered.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib import jsontext
from deploylib.errors import LockHeld, TargetError
from deploylib.model import host_name, utc_now
from deploylib.state.atomic import read_regular
from deploylib.values import frozen

if TYPE_CHECKING:
    from datetime import datetime

_POLL_SECONDS = 0.2


@frozen
class LockHolder:
    """Who holds a lock, as written into the lock file (JSON of these fields)."""

    user: str  # actor_name()
    host: str  # host_name()
    pid: int  # on `host`; 0 when unknown
    action: str  # what it does: deploy, rollback, recovery, … (RepoLock: the stage that took it)
    version: str  # "" when the action has none
    since: str  # UTC ISO-8601, "2026-01-31T12:00:00Z"
    started: int = 0  # when process `pid` started (process_started), 0 when unknown: tells a reused pid apart

    @classmethod
    def me(cls, action: str, version: str) -> LockHolder:
        """This process, now."""
        return cls(user=actor_name(), host=host_name(), pid=os.getpid(), action=action,
                   version=version, since=utc_now(), started=process_started(os.getpid()))

    def describe(self) -> str:
        """E.g. "deploy of 1.4.0 by ana@ci-3 (pid 812) since 2026-01-31T12:00:00Z"."""
        what = f"{self.action} of {self.version}" if self.version else self.action
        return f"{what} by {self.user}@{self.host} (pid {self.pid}) since {self.since}"


def stale_reason(holder: LockHolder, ttl_s: float, now: datetime, this_host: str,
                 alive: Callable[[int, int], bool]) -> str:
    """Why a lock left on a remote host protects nothing any more, or "" while its holder may still run:
    its process is gone (checked when it ran on this machine: `alive(pid, started)`, as still_running, so a
    pid given to another process since is gone too), or it is older than `ttl_s` seconds at `now` (an aware
    datetime). A `since` that does not parse never counts as old. Pure but for `alive`."""
    from datetime import datetime  # only a lock found on a remote host is dated

    if holder.host == this_host and holder.pid > 0 and not alive(holder.pid, holder.started):
        return f"its process {holder.pid} on {this_host} is gone"
    try:
        age = (now - datetime.fromisoformat(holder.since.replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return ""
    return f"it is {int(age)} s old, past lock_ttl_s ({int(ttl_s)} s)" if age > ttl_s else ""


def process_alive(pid: int) -> bool:
    """Whether a process `pid` exists on this host (kill(2) with signal 0; another user's process counts).
    `pid` must be positive: 0 and negative values name process groups."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def process_started(pid: int) -> int:
    """When the process `pid` started, in clock ticks since boot (proc(5): field 22 of /proc/<pid>/stat), or
    0 when unknown (no such process, no /proc). With its pid it names one process: pids are reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rpartition(b")")[2].split()[19])  # the fields after the command's name
    except (OSError, ValueError, IndexError):
        return 0


def still_running(pid: int, started: int) -> bool:
    """Whether the process `pid` that started at `started` (process_started's ticks, 0 when not recorded) is
    still running on this host: a live process given that pid since (pids are reused) is another one."""
    if pid <= 0 or not process_alive(pid):
        return False
    return not started or process_started(pid) in (0, started)


def actor_name() -> str:
    """Who is deploying, for the ledger and the lock: $DEPLOYLIB_ACTOR, else the login name."""
    import getpass  # with termios: only a run that takes a lock or records asks who runs it

    try:
        return os.environ.get("DEPLOYLIB_ACTOR") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. an arbitrary uid in a container
        return f"uid{os.getuid()}"


class FileLock:
    """An exclusive lock on `path`, held for the duration of a with-block: flock(2), so it holds between
    processes on one machine (and on NFS only where the kernel maps flock to fcntl locks)."""

    def __init__(self, path: Path, refusal: Callable[[str], str] | None = None,
                 unusable: Callable[[str], str] | None = None) -> None:
        """`refusal(who)`: the message of the LockHeld raised when the lock stays taken; `unusable(why)`: the
        message of the TargetError raised when the lock file cannot be made or used (defaults: an
        environment's deploy lock)."""
        self.path = path
        self.refusal = refusal or (lambda who: f"{path.parent} is locked by {who}. Wait for it to finish, or raise "
                                               "lock_wait_s for this environment in deploy.toml to wait longer.")
        self.unusable = unusable or (lambda why: f"Cannot create the deploy lock {path}: {why}. Check that the "
                                                 "deploy path exists and is writable by this user.")

    def _open(self, flags: int) -> int:
        """The lock file's descriptor. Opened without blocking and refused unless it is a regular file: a fifo
        there would block the open or the read of its holder forever. Raises FileNotFoundError, and
        TargetError (`unusable`) for any other failure."""
        try:
            fd = os.open(self.path, flags | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            raise
        except OSError as err:
            raise TargetError(self.unusable(err.strerror or str(err))) from None
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            kind = {stat.S_IFIFO: "a fifo", stat.S_IFDIR: "a folder", stat.S_IFSOCK: "a socket"}.get(
                stat.S_IFMT(mode), "a device")
            raise TargetError(self.unusable(f"it is {kind}, not a file (remove it: a new one is made)"))
        return fd

    @contextlib.contextmanager
    def hold(self, holder: LockHolder, wait: float) -> Iterator[LockHolder | None]:
        """Yield the holder of a lock that was left behind by a process that died, if any.

        Waits up to `wait` seconds (polling every 0.2 s), then raises LockHeld (exit 7) with `refusal`'s
        message naming the holder. Raises TargetError (exit 1) when the lock file cannot be created.
        The file holds `holder` while the block runs and is emptied when it ends."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise TargetError(self.unusable(err.strerror or str(err))) from None
        try:
            fd = self._open(os.O_RDWR | os.O_CREAT)
        except FileNotFoundError as err:  # a link to a folder that does not exist
            raise TargetError(self.unusable(err.strerror or str(err))) from None
        try:
            self._acquire(fd, wait)
            left_behind = self.holder()
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
            try:
                yield left_behind
            finally:
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def _acquire(self, fd: int, wait: float) -> None:
        deadline = time.monotonic() + wait
        looked = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    other = self.named_holder()
                    if other is None and not looked:  # its holder ended while we looked: try once more
                        looked = True
                        continue
                    raise LockHeld(self.refusal(other.describe() if other else "another process")) from None
                time.sleep(_POLL_SECONDS)

    def busy(self) -> LockHolder | None:
        """Who holds the lock now, or None when it is free; the lock and its file are left as they are."""
        try:
            fd = self._open(os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self.named_holder() or LockHolder("?", "?", 0, "?", "", "?")
        finally:
            os.close(fd)  # also drops the flock taken just now
        return None

    def named_holder(self) -> LockHolder | None:
        """The holder of a lock found taken: it writes its name right after taking the lock, so a reader
        that comes in between waits a moment (up to 1 s) for it rather than say "someone"."""
        for _ in range(int(1 / _POLL_SECONDS)):
            found = self.holder()
            if found is not None:
                return found
            time.sleep(_POLL_SECONDS)
        return self.holder()

    def holder(self) -> LockHolder | None:
        """Who holds (or last held, if the lock is free) the lock, as its file says."""
        try:
            return LockHolder(**jsontext.loads(read_regular(self.path) or b"null"))
        except (OSError, TypeError, ValueError):
            return None
