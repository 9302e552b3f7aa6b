"""A release folder's fingerprint, computed from its records and by `find` from the folder itself: equal
for exactly the folders that match their records, whatever the names; any change makes them differ."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib.build.artifact import Entry
from deploylib.targets.fingerprint import Fingerprint, of_folder, remember, remembered


def make(folder: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> Fingerprint:
    """Write `files` under `folder`; the fingerprint of their records, in path order."""
    fingerprint = Fingerprint()
    for name in sorted(files):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[name])
        path.chmod(0o755 if name in executable else 0o644)
    for name in sorted(files):
        info = (folder / name).stat()
        fingerprint.add(Entry(name, "0" * 64, info.st_size, info.st_mode & 0o777, mtime=info.st_mtime_ns))
    return fingerprint


NAMES = {
    "one file": {"index.html": "<h1>one</h1>"},
    "nested folders": {"a/b/c.css": "x", "a/d.js": "y", "e.html": ""},
    "a name that is the start of others": {"a": "1", "a b": "2", "a.b": "3", "ab/c": "4"},
    "spaces and non-ASCII": {"caf\u00e9/men\u00fc.html": "\u00e9", "two words.txt": "w", "\u65e5\u672c.html": "j"},
    "dots and dashes": {"...": "three dots", "-rf": "dash", ".hidden": "h"},
}


@pytest.mark.parametrize("case", NAMES)
def test_a_folder_that_matches_its_records_has_their_fingerprint(tmp_path: Path, case: str) -> None:
    recorded = make(tmp_path, NAMES[case]).hexdigest()
    assert of_folder(tmp_path) == recorded


def test_an_executable_file_matches_its_record(tmp_path: Path) -> None:
    recorded = make(tmp_path, {"run.sh": "#!/bin/sh", "a.txt": "a"}, ("run.sh",)).hexdigest()
    assert of_folder(tmp_path) == recorded


def test_an_empty_folder_matches_no_records(tmp_path: Path) -> None:
    assert of_folder(tmp_path) == Fingerprint().hexdigest()


def _touch_one_nanosecond_later(folder: Path) -> None:
    info = (folder / "a" / "d.js").stat()
    os.utime(folder / "a" / "d.js", ns=(info.st_atime_ns, info.st_mtime_ns + 1))


def _link_instead(folder: Path) -> None:
    (folder / "e.html").unlink()
    (folder / "e.html").symlink_to("a/d.js")


def forge_two_as_one(root: Path, first: str, second: str) -> None:
    """Replace two files under `root` by a single one, other bytes, whose name (folders included) and
    metadata make a newline-ended listing print exactly the two lines the originals had."""
    one, two = (root / first).lstat(), (root / second).lstat()
    mtime = str(one.st_mtime_ns)
    forged = root / f"{first}\tf{one.st_size}\t{mtime[:-9]}.{mtime[-9:]}0\t{one.st_mode & 0o777:o}\n{second}"
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text("E" * two.st_size)
    forged.chmod(two.st_mode & 0o777)
    os.utime(forged, ns=(two.st_atime_ns, two.st_mtime_ns))
    (root / first).unlink()
    (root / second).unlink()


CHANGES: dict[str, Callable[[Path], object]] = {
    "content appended": lambda folder: (folder / "e.html").write_text("more"),
    "mtime one nanosecond later": _touch_one_nanosecond_later,
    "mode changed": lambda folder: (folder / "e.html").chmod(0o755),
    "set-user-ID bit added": lambda folder: (folder / "e.html").chmod(0o4644),
    "file removed": lambda folder: (folder / "a" / "b" / "c.css").unlink(),
    "file added": lambda folder: (folder / "a" / "new.js").write_text(""),
    "hidden file added": lambda folder: (folder / ".x").write_text(""),
    "file became a symlink": _link_instead,
    "fifo added": lambda folder: os.mkfifo(folder / "pipe"),
    "file added with a newline in its name": lambda folder: (folder / "e.html\nf.css").write_text(""),
    "two files replaced by one named as their listing": lambda folder: forge_two_as_one(folder, "a/b/c.css", "a/d.js"),
}


@pytest.mark.parametrize("case", CHANGES)
def test_any_change_to_the_folder_changes_its_fingerprint(tmp_path: Path, case: str) -> None:
    recorded = make(tmp_path, NAMES["nested folders"]).hexdigest()
    CHANGES[case](tmp_path)
    assert of_folder(tmp_path) != recorded


def test_without_find_there_is_no_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {"index.html": "x"})
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    assert of_folder(tmp_path) is None


def test_a_remembered_fingerprint_is_read_back_from_its_records(tmp_path: Path) -> None:
    records = tmp_path / "r.manifest.json"
    records.write_text("{\n}\n")
    remember(records, "ab" * 32)
    assert remembered(records) == "ab" * 32


def test_records_rewritten_in_place_lose_their_fingerprint(tmp_path: Path) -> None:
    records = tmp_path / "r.manifest.json"
    records.write_text("{\n}\n")
    remember(records, "ab" * 32)
    records.write_text("{\n[}")  # same inode, same attribute: its size and mtime tell
    assert remembered(records) is None


def test_records_without_a_fingerprint_have_none(tmp_path: Path) -> None:
    records = tmp_path / "r.manifest.json"
    records.write_text("{\n}\n")
    assert remembered(records) is None and remembered(tmp_path / "missing.json") is None
