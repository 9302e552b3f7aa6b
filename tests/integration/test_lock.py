"""The deploy lock, exercised by real processes that hold it, die holding it, or release it."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploylib.errors import LockHeld, TargetError
from deploylib.state.lock import FileLock, LockHolder

HOLDER = """
import sys
from pathlib import Path
from deploylib.state.lock import FileLock, LockHolder
with FileLock(Path(sys.argv[1])).hold(LockHolder.me("deploy", "9.9.9"), 0):
    print("held", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock at tmp_path/.deploy.lock (it has said so when this returns)."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / ".deploy.lock")], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    yield child
    child.kill()
    child.wait()


def me() -> LockHolder:
    return LockHolder.me("deploy", "1.0.0")


def test_a_held_lock_refuses_a_second_deploy_naming_the_holder(tmp_path: Path, other_process) -> None:
    with pytest.raises(LockHeld) as caught, FileLock(tmp_path / ".deploy.lock").hold(me(), wait=0):
        pass
    assert "deploy of 9.9.9 by" in str(caught.value) and f"(pid {other_process.pid})" in str(caught.value)


def test_a_lock_is_free_again_after_its_holder_exits(tmp_path: Path, other_process) -> None:
    other_process.stdin.close()
    other_process.wait()
    with FileLock(tmp_path / ".deploy.lock").hold(me(), wait=0) as left_behind:
        assert left_behind is None  # released properly: nothing recovered


def test_a_lock_whose_holder_was_killed_is_recovered_and_reported(tmp_path: Path, other_process) -> None:
    other_process.send_signal(signal.SIGKILL)
    other_process.wait()
    with FileLock(tmp_path / ".deploy.lock").hold(me(), wait=0) as left_behind:
        assert left_behind is not None and left_behind.pid == other_process.pid
        assert left_behind.version == "9.9.9"


def test_waiting_for_a_lock_succeeds_once_it_is_released(tmp_path: Path, other_process) -> None:
    other_process.stdin.close()  # the holder now exits; we wait for it rather than refuse
    with FileLock(tmp_path / ".deploy.lock").hold(me(), wait=30) as left_behind:
        assert left_behind is None


def test_the_holder_is_recorded_while_held(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / ".deploy.lock")
    with lock.hold(me(), wait=0):
        holder = lock.holder()
        assert holder is not None and holder.version == "1.0.0"


def unix_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


NOT_A_FILE = {  # a lock file that is not one: (how it is made, what the error says)
    "a fifo": (os.mkfifo, "it is a fifo, not a file"),
    "a folder": (os.mkdir, "(Is a directory|it is a folder, not a file)"),  # open(2) for writing, or reading
    "a socket": (unix_socket, "No such device or address"),  # open(2) of a socket
    "a character device": (lambda path: os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 3)),
                           "it is a device, not a file"),
    "a link to nowhere": (lambda path: path.symlink_to(path.parent / "missing" / "lock"), "No such file or directory"),
    "a link to a fifo": (lambda path: (os.mkfifo(path.with_name("fifo")), path.symlink_to("fifo")),
                         "it is a fifo, not a file"),
}


@pytest.mark.parametrize("case", NOT_A_FILE)
@pytest.mark.parametrize("use", ["hold", "busy"])
def test_a_lock_file_that_is_not_a_file_is_refused_without_blocking(tmp_path: Path, case: str, use: str) -> None:
    make, said = NOT_A_FILE[case]
    make(tmp_path / ".deploy.lock")
    lock = FileLock(tmp_path / ".deploy.lock")
    if case == "a link to nowhere" and use == "busy":
        assert lock.busy() is None  # no lock file: nobody holds it
        return
    with pytest.raises(TargetError, match=f"deploy lock {tmp_path / '.deploy.lock'}: {said}"):
        if use == "busy":
            lock.busy()
        else:
            with lock.hold(me(), 0):
                pytest.fail("held a lock that is not a file")

