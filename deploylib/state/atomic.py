"""Files that are either wholly old or wholly new: whatever kills the process, and whoever reads them.

A reader never sees a half-written file, because the text goes to a temporary file beside the
target first and is renamed over it (rename(2) is atomic within a filesystem, POSIX.1-2017).
Temporary files carry the writer's pid, so two writers never share one. A reader never waits on
what is not a file either: a fifo, a device or a folder in a state file's place is an OSError.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from pathlib import Path


class NotAFile(OSError):
    """A fifo, device, socket or folder where a regular file should be."""


def open_regular(path: Path) -> int:
    """A descriptor of the regular file `path`, open for reading. Opened without blocking and checked: a
    fifo would block the open (or the first read) forever, a device could be read forever. Raises OSError:
    FileNotFoundError when it is missing, NotAFile (strerror "not a regular file") for a fifo, device,
    socket or folder."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotAFile(errno.EINVAL, "not a regular file", str(path))
    os.set_blocking(fd, True)
    return fd


def open_regular_file(path: Path) -> io.BufferedReader:
    """The regular file `path` open for reading in binary, named by its path as open() names it (see
    open_regular for what it refuses, as OSError)."""
    raw = io.FileIO(open_regular(path), "rb")
    raw.name = str(path)
    return io.BufferedReader(raw)


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file `path` (see open_regular for what it refuses, as OSError)."""
    with open_regular_file(path) as handle:
        return handle.read()


def temporary_name(path: Path, pid: int | None = None) -> Path:
    """Where `write_atomically` stages `path`: `.<name>.<pid>.tmp` beside it."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.tmp")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8, no newline translation) in one step. Raises OSError (a read-only
    or full folder) after removing the temporary file, with `path` unchanged."""
    replace_bytes(path, text.encode("utf-8"))


def replace_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` in one step, the new file getting permission bits `mode` (default: the
    umask's). Raises OSError with `path` unchanged and no temporary file left."""
    temp = temporary_name(path)
    try:
        with temp.open("wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
