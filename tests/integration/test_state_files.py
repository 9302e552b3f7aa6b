"""deploylib's own state files on a real filesystem: atomic replacement, doit's database set aside
when corrupted, and the check that the state folder can be written."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib.errors import StateError
from deploylib.state.atomic import NotAFile, read_regular, write_atomically
from deploylib.state.workspace import ensure_state_dir, set_aside_if_corrupt, writable


def test_an_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "build.json"
    path.write_text("old")
    write_atomically(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["build.json"]


def test_a_failed_atomic_write_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "build.json"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "\udcff")  # cannot be encoded: fails half-way through the write
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["build.json"]


@pytest.mark.parametrize(("content", "kept"), [(None, False), (b"", False), (b"SQLite format 3\0" + b"\0" * 84, True),
                                               (b"\x00garbage" * 10, True), (b"{}", True)])
def test_only_a_file_that_is_not_sqlite_is_set_aside(tmp_path: Path, content: bytes | None, kept: bool) -> None:
    path = tmp_path / "doit.sqlite3"
    if content is not None:
        path.write_bytes(content)
    assert set_aside_if_corrupt(path) == path
    assert bool(list(tmp_path.glob("doit.sqlite3.corrupt-*"))) == kept
    assert path.exists() == (content is not None and not kept)


def doit_file(path: Path, *statements: str) -> bytes:
    """A dependency file as doit writes it (doit/dependency.py SqliteDB), then changed by `statements`."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE doit (task_id TEXT NOT NULL PRIMARY KEY, task_data JSON)")
        db.executemany("INSERT INTO doit VALUES (?, ?)", [(f"task{n}", '{"_values_:": {}, "x": "' + "y" * 300 + '"}')
                                                           for n in range(200)])
        for statement in statements:
            db.execute(statement)
    return path.read_bytes()


DAMAGED = {  # what doit would stop on with a traceback: (statements, then the file's bytes changed)
    "truncated": ((), lambda raw: raw[:len(raw) // 2]),
    "truncated to its first page": ((), lambda raw: raw[:200]),
    "a page overwritten": ((), lambda raw: raw[:4096] + b"\xff" * 4096 + raw[8192:]),
    "task data that is not JSON": (("UPDATE doit SET task_data = '{bad' WHERE task_id = 'task7'",), None),
    "task data that is a JSON list": (("UPDATE doit SET task_data = '[1]' WHERE task_id = 'task7'",), None),
    "task data that is NULL": (("UPDATE doit SET task_data = NULL WHERE task_id = 'task7'",), None),
    "a doit table of other columns": (("DROP TABLE doit", "CREATE TABLE doit (x)"), None),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_dependency_file_doit_cannot_read_back_is_set_aside(tmp_path: Path, case: str) -> None:
    path = tmp_path / "doit.sqlite3"
    statements, damage = DAMAGED[case]
    raw = doit_file(path, *statements)
    if damage:
        raw = damage(raw)
        path.write_bytes(raw)
    assert set_aside_if_corrupt(path) == path and not path.exists()
    assert [p.read_bytes() for p in tmp_path.glob("doit.sqlite3.corrupt-*")] == [raw]  # kept, never deleted


def test_a_dependency_file_as_doit_writes_it_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    raw = doit_file(path)
    assert set_aside_if_corrupt(path) == path and path.read_bytes() == raw
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_a_real_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    set_aside_if_corrupt(path)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


def test_a_writable_folder_has_no_problem_and_a_missing_one_is_named(tmp_path: Path) -> None:
    assert writable(tmp_path, tmp_path / "ledger.sqlite3") == ""
    assert str(tmp_path / "gone") in writable(tmp_path / "gone", tmp_path / "gone" / "ledger.sqlite3")


@pytest.mark.parametrize("make", [os.mkfifo, os.mkdir, lambda path: os.mknod(path, stat.S_IFCHR | 0o644,
                                                                           os.makedev(1, 3))],
                         ids=["fifo", "folder", "character device"])
def test_a_dependency_file_that_is_not_a_file_is_set_aside_without_waiting_on_it(tmp_path: Path,
                                                                                 make: Callable[[Path], None]) -> None:
    path = tmp_path / "doit.sqlite3"
    make(path)
    assert set_aside_if_corrupt(path) == path and not os.path.lexists(path)
    assert len(list(tmp_path.glob("doit.sqlite3.corrupt-*"))) == 1


@pytest.mark.parametrize("make", [os.mkfifo, os.mkdir, lambda path: os.mknod(path, stat.S_IFCHR | 0o644,
                                                                           os.makedev(1, 5))],
                         ids=["fifo", "folder", "character device"])
def test_a_state_file_that_is_not_a_file_is_an_os_error_read_without_blocking(tmp_path: Path,
                                                                              make: Callable[[Path], None]) -> None:
    make(tmp_path / "build.json")
    with pytest.raises(NotAFile, match="not a regular file"):
        read_regular(tmp_path / "build.json")


def test_a_state_file_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "build.json").write_bytes(b"{}" * 100_000)
    assert read_regular(tmp_path / "build.json") == b"{}" * 100_000


def test_a_ledger_that_links_to_nowhere_makes_the_state_folder_unwritable(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite3").symlink_to(tmp_path / "gone" / "ledger.sqlite3")
    assert "ledger.sqlite3: No such file or directory" in writable(tmp_path, tmp_path / "ledger.sqlite3")


@pytest.mark.parametrize(("make", "what"), [
    (lambda path: path.write_text("x"), "a file"),
    (lambda path: path.symlink_to(path.parent / "gone"), "a symbolic link to no folder"),
    (lambda path: path.symlink_to(path.name), "a symbolic link to no folder"),  # a loop
], ids=["file", "link to nowhere", "link loop"])
def test_a_state_folder_that_is_not_a_folder_is_named_as_such(tmp_path: Path, make: Callable[[Path], None],
                                                               what: str) -> None:
    make(tmp_path / ".deploylib")
    with pytest.raises(StateError, match=f"state folder {tmp_path / '.deploylib'} is {what}, not a folder"):
        ensure_state_dir(tmp_path)

