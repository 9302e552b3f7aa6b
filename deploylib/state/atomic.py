"""Files that are either wholly old or wholly new: whatever kills the process, and whoever reads them.

A reader never sees a half-written file, because the text goes to a temporary file beside the
target first and is renamed over it (rename(2) is atomic within a filesystem, POSIX.1-2017).
Temporary files carry the writer's pid, so two writers never share one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def temporary_name(path: Path, pid: int | None = None) -> Path:
    """Where `write_atomically` stages `path`: `.<name>.<pid>.tmp` beside it."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.tmp")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one step. Raises OSError (a read-only or full folder)
    after removing the temporary file, with `path` unchanged."""
    temp = temporary_name(path)
    try:
        with temp.open("w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise

