"""The SQLite ledger on disk."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deploylib.errors import StateError
from deploylib.state.ledger import Ledger
from deploylib.state.lock import process_started


def test_an_action_is_recorded_when_it_starts_and_closed_when_it_ends(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    entry = ledger.start("deploy", "production", "1.0.0", "sha256:aa", "c1", "alice", {"target": "x"})
    assert ledger.entries()[0].status == "running"
    ledger.finish(entry, "succeeded", {"checks": 3})
    recorded = ledger.entries()[0]
    assert (recorded.action, recorded.status, recorded.actor) == ("deploy", "succeeded", "alice")
    assert recorded.details == {"target": "x", "checks": 3, "pid": os.getpid(), "started": process_started(os.getpid()),
                                "host": socket.gethostname()}
    assert recorded.finished_at and recorded.duration >= 0


def test_entries_come_newest_first_and_filter_by_environment(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for env in ("test", "production", "test"):
        ledger.finish(ledger.start("deploy", env, "1", "d", "c", "a"), "succeeded")
    assert [e.id for e in ledger.entries()] == [3, 2, 1]
    assert [e.id for e in ledger.entries("test")] == [3, 1]


def test_a_limit_beyond_sqlites_integers_gives_every_entry(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for version in ("1", "2"):
        ledger.finish(ledger.start("deploy", "test", version, "d", "c", "a"), "succeeded")
    assert [e.version for e in ledger.entries(limit=10**24)] == ["2", "1"]  # `doit history --limit 1e24`'s digits


def test_rows_left_running_by_a_dead_process_are_marked_interrupted(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.start("deploy", "production", "1", "d", "c", "a")
    assert ledger.mark_interrupted("production") == 1
    assert ledger.entries()[0].status == "interrupted"


def test_validated_and_failed_digests(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.finish(ledger.start("validate", "test", "1", "sha256:good", "c", "a", {"during": "deploy"}), "succeeded")
    ledger.finish(ledger.start("validate", "test", "2", "sha256:bad", "c", "a", {"during": "deploy"}), "failed")
    ledger.finish(ledger.start("validate", "test", "3", "sha256:flaky", "c", "a", {"during": "manual"}), "failed")
    assert ledger.validated("test", "sha256:good") and not ledger.validated("test", "sha256:bad")
    assert ledger.failed("test", "sha256:bad")
    assert not ledger.failed("test", "sha256:flaky")  # a later manual check does not mark a release bad
    assert not ledger.validated("production", "sha256:good")


def test_a_missing_ledger_reads_as_empty(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "none.sqlite3")
    assert ledger.entries() == [] and not ledger.validated("x", "d")
    assert not (tmp_path / "none.sqlite3").exists()


def test_a_running_row_of_a_live_process_is_not_interrupted(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.start("deploy", "production", "1", "d", "c", "a")
    assert ledger.interrupted("production") == []


def test_a_running_row_whose_process_is_gone_is_interrupted(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    code = (f"from pathlib import Path; from deploylib.state.ledger import Ledger; "
            f"Ledger(Path({str(tmp_path / 'ledger.sqlite3')!r})).start('deploy', 'production', '1', 'd', 'c', 'a')")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert [(e.action, e.status) for e in ledger.interrupted("production")] == [("deploy", "running")]
    assert ledger.interrupted("staging") == []


def started_by_a_process_now_gone(path: Path) -> int:
    """A running row recorded by another process, which has exited; returns its id."""
    code = (f"from pathlib import Path; from deploylib.state.ledger import Ledger; "
            f"print(Ledger(Path({str(path)!r})).start('deploy', 'production', '1', 'd', 'c', 'a'))")
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


@pytest.mark.parametrize(("pid", "started", "gone"), [
    ("this process", "its start", False),
    ("this process", "not recorded", False),  # a row written before start times were recorded
    ("this process", "another start", True),  # the pid was reused: the process that wrote the row is gone
    ("init", "another start", True),
    ("the exited writer", "its start", True),
])
def test_a_running_row_is_interrupted_once_the_process_that_wrote_it_is_gone(tmp_path: Path, pid: str, started: str,
                                                                            gone: bool) -> None:
    path = tmp_path / "ledger.sqlite3"
    row = started_by_a_process_now_gone(path)
    writer = Ledger(path).entries()[0].details
    pids = {"this process": os.getpid(), "init": 1, "the exited writer": writer["pid"]}
    starts = {"its start": process_started(pids[pid]) or writer["started"], "another start": writer["started"],
              "not recorded": None}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE entries SET details = json_set(json_remove(details, '$.started'), '$.pid', ?) WHERE id = ?",
                   (pids[pid], row))
        if starts[started] is not None:
            db.execute("UPDATE entries SET details = json_set(details, '$.started', ?) WHERE id = ?",
                       (starts[started], row))
    assert [e.id for e in Ledger(path).interrupted("production")] == ([row] if gone else [])


def test_an_artifact_that_failed_its_deploy_validation_anywhere_is_bad(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.finish(ledger.start("validate", "test", "1", "sha256:bad", "c", "a", {"during": "recovery"}), "failed")
    assert ledger.failed_anywhere("sha256:bad") and ledger.failed("test", "sha256:bad")
    assert not ledger.failed_anywhere("sha256:other")


@pytest.mark.parametrize("garbage", [b"not a database at all" * 100, b"SQLite format 3\0" + b"\xff" * 4000])
def test_a_corrupted_ledger_is_moved_aside_and_a_new_one_started(tmp_path: Path, garbage: bytes,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(garbage)
    ledger = Ledger(path)
    ledger.finish(ledger.start("deploy", "production", "1", "d", "c", "a"), "succeeded")
    assert [e.status for e in ledger.entries()] == ["succeeded"]
    kept = list(tmp_path.glob("ledger.sqlite3.corrupt-*"))
    assert [p.read_bytes() for p in kept] == [garbage]  # never deleted
    assert "moved it to ledger.sqlite3.corrupt-" in capsys.readouterr().err


ROW = "holds values deploylib never writes"
GARBLED = {  # a SQLite database, but not a ledger deploylib wrote: (SQL run on a good ledger, what is said)
    "another table of that name": ("DROP TABLE entries; CREATE TABLE entries (x)", "no column id"),
    "a column missing": ("ALTER TABLE entries DROP COLUMN details", "no column details"),
    "details not JSON": ("UPDATE entries SET details = '{not json'", ROW),
    "details a JSON list": ("UPDATE entries SET details = '[1]'", ROW),
    "an unknown action": ("UPDATE entries SET action = 'zap'", ROW),
    "an unknown status": ("UPDATE entries SET status = 'weird'", ROW),
    "a duration in words": ("UPDATE entries SET duration = 'long'", ROW),
    "a pid in words": ("UPDATE entries SET details = json_set(details, '$.pid', 'me')", ROW),
    "a version that is a blob": ("UPDATE entries SET version = x'ff'", ROW),
}


@pytest.mark.parametrize("reader", ["entries", "interrupted", "validated", "failed"])
@pytest.mark.parametrize("case", GARBLED)
def test_a_garbled_ledger_is_moved_aside_and_a_new_one_started(tmp_path: Path, case: str, reader: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    ledger.finish(ledger.start("validate", "production", "1", "d", "c", "a", {"during": "deploy"}), "failed")
    ledger.start("deploy", "production", "2", "e", "c", "a")
    sql, said = GARBLED[case]
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(sql)
    garbled = path.read_bytes()
    answers = {"entries": lambda: ledger.entries(), "interrupted": lambda: ledger.interrupted("production"),
               "validated": lambda: ledger.validated("production", "d"), "failed": lambda: ledger.failed("zz", "d")}
    answers[reader]()  # read, moved aside (or, for the flag queries, left for the next full read): no exception
    assert ledger.entries() == []
    ledger.finish(ledger.start("deploy", "production", "3", "f", "c", "a"), "succeeded")
    assert [e.version for e in ledger.entries()] == ["3"]
    assert [p.read_bytes() for p in tmp_path.glob("ledger.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
            ] == [garbled]  # kept, never deleted
    assert said in capsys.readouterr().err


@pytest.mark.parametrize("reader", ["entries", "interrupted"])
def test_a_ledger_damaged_past_its_first_pages_is_moved_aside_when_a_query_finds_it(tmp_path: Path, reader: str,
                                                                                    capsys: pytest.CaptureFixture[str]
                                                                                    ) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    for n in range(300):
        ledger.finish(ledger.start("deploy", "production", str(n), "d" * 64, "c" * 40, "a", {"n": "x" * 200}),
                      "running" if n == 299 else "succeeded")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = path.read_bytes()
    damaged = raw[:8192] + b"\xff" * (len(raw) - 8192)
    path.write_bytes(damaged)
    assert getattr(ledger, reader)(*(["production"] if reader == "interrupted" else [])) == []
    assert [p.read_bytes() for p in tmp_path.glob("ledger.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
            ] == [damaged]
    assert "malformed" in capsys.readouterr().err
    ledger.finish(ledger.start("deploy", "production", "new", "d", "c", "a"), "succeeded")
    assert [e.version for e in ledger.entries()] == ["new"]


def test_an_unwritable_ledger_is_a_state_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file where the state folder should be")  # unwritable, whoever runs the test
    with pytest.raises(StateError, match="ledger.sqlite3 cannot be written"):
        Ledger(tmp_path / "state" / "ledger.sqlite3").start("deploy", "production", "1", "d", "c", "a")


NOT_A_FILE = {"a fifo": os.mkfifo, "a folder": os.mkdir,
              "a character device": lambda path: os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 3))}


@pytest.mark.parametrize("case", NOT_A_FILE)
def test_a_ledger_that_is_not_a_file_is_moved_aside_without_waiting_on_it(tmp_path: Path, case: str,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ledger.sqlite3"
    NOT_A_FILE[case](path)
    ledger = Ledger(path)
    assert ledger.entries() == []  # a fifo: SQLite would have waited for a writer forever
    ledger.finish(ledger.start("deploy", "production", "1", "d", "c", "a"), "succeeded")
    assert [e.version for e in ledger.entries()] == ["1"]
    assert len(list(tmp_path.glob("ledger.sqlite3.corrupt-*"))) == 1  # kept, never deleted
    assert "it is not a regular file" in capsys.readouterr().err

