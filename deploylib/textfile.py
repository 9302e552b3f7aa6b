"""Text files read and written byte for byte: no newline translation, a UTF-8 byte-order mark and a
missing final newline kept. Every file deploylib edits in a user's repository goes through here,
so a CRLF file stays CRLF and the diff touches only what the edit changed."""

from __future__ import annotations

import stat
from pathlib import Path

from deploylib.state.atomic import replace_bytes

BOM = "\ufeff"


def read(path: Path) -> str:
    """The file's text exactly as stored (CRLF stays CRLF, a BOM stays the first character).
    Raises OSError, and UnicodeDecodeError for a file that is not UTF-8."""
    return path.read_bytes().decode("utf-8")


def write(path: Path, text: str) -> None:
    """Write `text` as UTF-8 with no newline translation, atomically (temp file + rename): a run killed
    mid-write leaves the file as it was, never truncated (which the next run would take for the user's
    own edit). The file keeps its permission bits; a symbolic link is written through, and stays a link.
    Raises OSError."""
    target = path.resolve() if path.is_symlink() else path
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    replace_bytes(target, text.encode("utf-8"), mode)


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def conform(text: str, like: str) -> str:
    """`text` (LF line endings, e.g. freshly rendered) with the line endings, BOM and missing final newline of
    `like` (the file it replaces; "" for none, which leaves `text` as it is)."""
    text = text.removeprefix(BOM)
    if newline_of(like) == "\r\n":
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if like and not like.endswith("\n"):
        text = text.rstrip("\r\n")
    return (BOM if like.startswith(BOM) else "") + text
