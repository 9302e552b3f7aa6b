"""deploylib's own state files on a real filesystem: atomic replacement, doit's database set aside
when corrupted, and the check that the state folder can be written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from deploylib.state.atomic import write_atomically
from deploylib.state.workspace import set_aside_if_corrupt, writable


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


@pytest.mark.parametrize(("content", "kept"), [(None, False), (b"", False), (b"SQLite format 3\0" + b"\0" * 84, False),
                                               (b"\x00garbage" * 10, True), (b"{}", True)])
def test_only_a_file_that_is_not_sqlite_is_set_aside(tmp_path: Path, content: bytes | None, kept: bool) -> None:
    path = tmp_path / "doit.sqlite3"
    if content is not None:
        path.write_bytes(content)
    assert set_aside_if_corrupt(path) == path
    assert bool(list(tmp_path.glob("doit.sqlite3.corrupt-*"))) == kept
    assert path.exists() == (content is not None and not kept)


def test_a_real_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    set_aside_if_corrupt(path)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


def test_a_writable_folder_has_no_problem_and_a_missing_one_is_named(tmp_path: Path) -> None:
    assert writable(tmp_path, tmp_path / "ledger.sqlite3") == ""
    assert str(tmp_path / "gone") in writable(tmp_path / "gone", tmp_path / "gone" / "ledger.sqlite3")
