"""The SQLite ledger: every deploy, validation and rollback, one transaction per record.

An action is recorded when it starts (status "running", with the process that runs it) and updated
when it ends, so a process killed half-way leaves a "running" row whose process is gone: the next
command on that environment finds it (`interrupted`) and completes what it left (pipeline.recover).

A ledger file SQLite cannot read (corrupted) is moved aside, never deleted, and a new one is started
with a warning; a state folder that cannot be written is a StateError naming it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploylib import jsontext, report
from deploylib.errors import StateError
from deploylib.model import LedgerAction, LedgerEntry, LedgerStatus, host_name, utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    environment TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT '',
    duration REAL NOT NULL DEFAULT 0,
    actor TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    started_clock REAL NOT NULL
);
"""
_INDEX = "CREATE INDEX IF NOT EXISTS entries_env ON entries (environment, action, status)"

_MARKED_BAD = ("action = 'validate' AND status = 'failed' AND CASE WHEN json_valid(details) THEN "
               "json_extract(details, '$.during') END IN ('deploy', 'recovery')")  # damaged details: not marked

_NAMES = ("id", "action", "environment", "version", "digest", "commit_sha", "status", "started_at", "finished_at",
          "duration", "actor", "details", "started_clock")  # the columns of _SCHEMA's table
_SQLITE_MAX = 2**63 - 1  # a larger Python int cannot be bound to a query (OverflowError)
_COLUMNS = ("id, action, environment, version, digest, commit_sha, status, started_at, finished_at, duration, actor, "
            "details")


class Ledger:
    """The ledger at `path` (.deploylib/ledger.sqlite3), opened per call: one connection per transaction,
    WAL journal, 30 s busy timeout, so concurrent deploylib processes may share it. Every method raises
    StateError (exit 1) when the file cannot be opened or written; readers fall back to a read-only view
    when the folder is not writable. Times are UTC ISO-8601 ("2026-01-31T12:00:00Z"), durations seconds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; raises StateError when the ledger cannot be opened or written."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if problem := self._not_a_file():
                self._move_aside(_Garbled(problem))
            try:
                connection = self._open()
            except sqlite3.DatabaseError as err:
                if not _corrupt(err):
                    raise
                self._move_aside(err)
                connection = self._open()
            try:
                with connection:  # commits, or rolls back on an exception
                    yield connection
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as err:
            if _corrupt(err) and self.path.exists():  # damage a query found past the pages read at open
                with contextlib.suppress(OSError):
                    self._move_aside(err)  # readers then find no ledger; a writer's next run starts a new one
            raise StateError(f"The ledger {self.path} cannot be {'read' if _corrupt(err) else 'written'}: {err}. "
                             "Nothing more was recorded or changed by this step. Make the state folder "
                             f"{self.path.parent} writable (and give its disk free space), then run the command "
                             "again.") from None

    def _not_a_file(self) -> str:
        """What the ledger is when it is not a regular file (SQLite would wait on a fifo forever), or ""."""
        try:
            mode = os.stat(self.path).st_mode
        except OSError:  # missing (it is made), or unreachable (SQLite says why)
            return ""
        return "" if stat.S_ISREG(mode) else "it is not a regular file but a fifo, device, socket or folder"

    def _open(self) -> sqlite3.Connection:
        """A connection to the ledger, its table made if missing; raises _Garbled when the file holds a table
        `entries` of another shape (not deploylib's, or damaged by hand)."""
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(entries)")}
            if lacking := [name for name in _NAMES if name not in columns]:
                raise _Garbled(f"its table 'entries' has no column {', '.join(lacking)}")
            connection.execute(_INDEX)
        except BaseException:
            connection.close()
            raise
        return connection

    def _move_aside(self, err: Exception) -> None:
        """Keep a corrupted ledger for inspection (its -wal and -shm files too) and start a new one."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                os.replace(part, kept.with_name(kept.name + suffix))
        report.state_warning("ledger", f"{self.path} was unreadable ({err}); moved it to {kept.name} and "
                             "started a new ledger: earlier deploys are no longer known to the gates")

    def start(self, action: LedgerAction, environment: str, version: str, digest: str, commit: str, actor: str,
              details: dict[str, Any] | None = None) -> int:
        """Record an action as running, by this process (its pid, start time and host go into the details); returns
        the row's id for `finish`. `action`: deploy | validate | rollback; `digest`: the artifact's sha256
        hex; `commit`: full sha; `details`: JSON-serialisable values."""
        from deploylib.state.lock import process_started

        details = {**(details or {}), "pid": os.getpid(), "started": process_started(os.getpid()), "host": host_name()}
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO entries (action, environment, version, digest, commit_sha, status, started_at, actor,"
                " details, started_clock) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (action, environment, version, digest, commit, utc_now(), actor, json.dumps(details),
                 time.time()))
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def finish(self, entry_id: int, status: LedgerStatus, details: dict[str, Any] | None = None) -> None:
        """Close the row `start` made: `status`, the finish time, the duration in seconds (wall clock since
        `start`, to the millisecond), and `details` merged over the row's own. A row gone with a corrupted
        ledger is ignored."""
        with self._transaction() as db:
            row = db.execute("SELECT details, started_clock FROM entries WHERE id = ?", (entry_id,)).fetchone()
            if row is None:  # the ledger was found corrupted and replaced since this action started
                return
            merged = {**jsontext.loads(row[0]), **(details or {})}
            db.execute("UPDATE entries SET status = ?, finished_at = ?, duration = ?, details = ? WHERE id = ?",
                       (status, utc_now(), round(time.time() - row[1], 3), json.dumps(merged), entry_id))

    def mark_interrupted(self, environment: str) -> int:
        """Close every row of `environment` still "running" as "interrupted"; returns how many. Call it only
        after `interrupted` found them, holding the environment's lock."""
        with self._transaction() as db:
            return db.execute("UPDATE entries SET status = 'interrupted', finished_at = ? "
                              "WHERE environment = ? AND status = 'running'", (utc_now(), environment)).rowcount

    def interrupted(self, environment: str) -> list[LedgerEntry]:
        """Rows of `environment` still "running" whose process is gone (it ran on this host and has
        exited, or its pid now names a process started later; a row from another host, or from before pids
        were recorded, counts as gone too: callers hold the environment's lock, so no one else can be
        running them). Oldest first."""
        if not self.path.exists():
            return []
        rows = self._entries(f"SELECT {_COLUMNS} FROM entries WHERE environment = ? AND status = 'running' ORDER BY id",
                             [environment])
        if not rows:  # the usual answer, given without loading the lock module
            return []
        from deploylib.state.lock import still_running

        here = host_name()
        return [entry for entry in rows
                if not (entry.details.get("host") == here and still_running(int(entry.details.get("pid", 0)),
                                                                           int(entry.details.get("started", 0))))]

    def entries(self, environment: str = "", limit: int = 50) -> list[LedgerEntry]:
        """The latest `limit` rows (0 or more; more than SQLite's largest integer, 2**63 - 1, is every row) of
        `environment` ("" for every environment), newest first; [] when the ledger does not exist yet (nothing
        is created)."""
        if not self.path.exists():
            return []
        where, args = ("WHERE environment = ?", [environment]) if environment else ("", [])
        return self._entries(f"SELECT {_COLUMNS} FROM entries {where} ORDER BY id DESC LIMIT ?",
                             [*args, min(limit, _SQLITE_MAX)])

    def _entries(self, query: str, args: list[Any]) -> list[LedgerEntry]:
        """The entries a query of _COLUMNS selects. A row deploylib cannot have written (an action or status it
        does not know, details that are not a JSON object, …) means the ledger was damaged: it is moved aside
        like a corrupted file and a new one started, so none are returned. StateError when it cannot be moved."""
        try:
            return [_entry(row) for row in self._select(query, args)]
        except _Garbled as err:
            try:
                self._move_aside(err)
            except OSError as moving:
                raise StateError(f"The ledger {self.path} cannot be read ({err}) and cannot be moved aside: "
                                 f"{moving.strerror}. Move it away by hand (a new ledger is then started), then run "
                                 "the command again.") from None
            return []

    def _select(self, query: str, args: list[Any]) -> list[tuple[Any, ...]]:
        """Rows of a query; on a read-only state folder SQLite still reads the file as it is."""
        try:
            with self._transaction() as db:
                return db.execute(query, args).fetchall()
        except StateError:
            return self._read_only(query, args)

    def _read_only(self, query: str, args: list[Any]) -> list[tuple[Any, ...]]:
        """Rows read without writing anything (not even SQLite's lock files); StateError if unreadable."""
        if not self.path.exists():
            return []
        if problem := self._not_a_file():
            raise StateError(f"The ledger {self.path} cannot be read: {problem}. Move it away (a new ledger is then "
                             "started), then run the command again.")
        try:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True)
            try:
                return connection.execute(query, args).fetchall()
            finally:
                connection.close()
        except sqlite3.Error as err:
            raise StateError(f"The ledger {self.path} cannot be read: {err}. Check the permissions of "
                             f"{self.path.parent}.") from None

    def _exists(self, sql: str, args: tuple[Any, ...]) -> bool:
        return bool(self.path.exists() and self._select(sql, list(args)))

    def validated(self, environment: str, digest: str) -> bool:
        """Did this digest (sha256 hex of the artifact) ever pass validation on this environment?"""
        return self._exists("SELECT 1 FROM entries WHERE environment = ? AND digest = ? AND action = 'validate' "
                            "AND status = 'succeeded'", (environment, digest))

    def failed(self, environment: str, digest: str) -> bool:
        """Was this digest marked bad on this environment: did it fail the validation of its own deploy
        (or of the recovery that finished a deploy killed before its validation)?"""
        return self._exists(f"SELECT 1 FROM entries WHERE environment = ? AND digest = ? AND {_MARKED_BAD}",
                            (environment, digest))

    def failed_anywhere(self, digest: str) -> bool:
        """Was this artifact marked bad on any environment? Then the build that made it is redone: a
        clean rebuild of the same commit may give another digest (the artifact is bad, not the commit)."""
        return self._exists(f"SELECT 1 FROM entries WHERE digest = ? AND {_MARKED_BAD}", (digest,))


class _Garbled(sqlite3.DatabaseError):
    """The file is a SQLite database, but not a ledger deploylib wrote: a table or a row of another shape."""


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    """A row of _COLUMNS as an entry; raises _Garbled for values deploylib never writes."""
    entry_id, action, environment, version, digest, commit, status, started, finished, duration, actor, details = row
    try:
        fields = jsontext.loads(details)
        if isinstance(fields, dict) and all(isinstance(fields.get(key, 0), int) for key in ("pid", "started")) \
                and all(isinstance(text, str) for text in (environment, version, digest, commit, started, finished,
                                                            actor)) \
                and isinstance(duration, int | float) and not isinstance(duration, bool):
            return LedgerEntry(entry_id, LedgerAction(action), environment, version, digest, commit,
                               LedgerStatus(status), started, finished, duration, actor, details=fields)
    except (TypeError, ValueError):  # json.JSONDecodeError and an unknown enum value are ValueErrors
        pass
    raise _Garbled(f"its row {entry_id} holds values deploylib never writes")


def _corrupt(err: BaseException) -> bool:
    """Whether SQLite says the file is not a database it can read (as opposed to not writable), or it is not
    a ledger deploylib wrote."""
    return isinstance(err, _Garbled) or isinstance(err, sqlite3.DatabaseError) and any(
        sign in str(err) for sign in ("not a database", "malformed", "file is encrypted"))


class Recorder:
    """The ledger's subscriber to the event stream: an ActionStarted opens a "running" row, its
    ActionFinished closes it (or closes row `row` an earlier run left). Writes happen in the emitting
    thread, so a ledger that cannot be written stops the action before it changes anything."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._rows: dict[object, int] = {}  # ActionStarted (by identity) → its row

    def __call__(self, event: object) -> None:
        from deploylib import events

        if isinstance(event, events.ActionStarted):
            self._rows[event] = self.ledger.start(event.action, event.environment, event.version, event.digest,
                                                  event.commit, event.actor, event.details)
        elif isinstance(event, events.ActionFinished):
            row = self._rows.pop(event.started, 0) if event.started is not None else event.row
            if row:
                self.ledger.finish(row, event.status, event.details)
