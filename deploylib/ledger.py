"""The SQLite ledger: every deploy, validation and rollback, one transaction per record.

An action is recorded when it starts (status "running") and updated when it ends, so a process
killed half-way leaves a "running" row that the next run on that environment marks "interrupted".
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deploylib.model import LedgerEntry, utc_now

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
CREATE INDEX IF NOT EXISTS entries_env ON entries (environment, action, status);
"""

_COLUMNS = ("id, action, environment, version, digest, commit_sha, status, started_at, finished_at, duration, actor, "
            "details")


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            with connection:  # commits, or rolls back on an exception
                yield connection
        finally:
            connection.close()

    def start(self, action: str, environment: str, version: str, digest: str, commit: str, actor: str,
              details: dict[str, Any] | None = None) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO entries (action, environment, version, digest, commit_sha, status, started_at, actor,"
                " details, started_clock) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (action, environment, version, digest, commit, utc_now(), actor, json.dumps(details or {}),
                 time.time()))
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def finish(self, entry_id: int, status: str, details: dict[str, Any] | None = None) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT details, started_clock FROM entries WHERE id = ?", (entry_id,)).fetchone()
            merged = {**json.loads(row[0]), **(details or {})}
            db.execute("UPDATE entries SET status = ?, finished_at = ?, duration = ?, details = ? WHERE id = ?",
                       (status, utc_now(), round(time.time() - row[1], 3), json.dumps(merged), entry_id))

    def mark_interrupted(self, environment: str) -> int:
        """Close rows left "running" by a process that died; returns how many."""
        with self._transaction() as db:
            return db.execute("UPDATE entries SET status = 'interrupted', finished_at = ? "
                              "WHERE environment = ? AND status = 'running'", (utc_now(), environment)).rowcount

    def entries(self, environment: str = "", limit: int = 50) -> list[LedgerEntry]:
        """Newest first."""
        if not self.path.exists():
            return []
        where, args = ("WHERE environment = ?", [environment]) if environment else ("", [])
        with self._transaction() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM entries {where} ORDER BY id DESC LIMIT ?",
                              [*args, limit]).fetchall()
        return [_entry(row) for row in rows]

    def _exists(self, sql: str, args: tuple[Any, ...]) -> bool:
        if not self.path.exists():
            return False
        with self._transaction() as db:
            return db.execute(sql, args).fetchone() is not None

    def validated(self, environment: str, digest: str) -> bool:
        """Did this digest pass validation on this environment?"""
        return self._exists("SELECT 1 FROM entries WHERE environment = ? AND digest = ? AND action = 'validate' "
                            "AND status = 'succeeded'", (environment, digest))

    def failed(self, environment: str, digest: str) -> bool:
        """Was this digest marked bad on this environment: did it fail the validation of its own deploy?"""
        return self._exists("SELECT 1 FROM entries WHERE environment = ? AND digest = ? AND action = 'validate' "
                            "AND status = 'failed' AND json_extract(details, '$.during') = 'deploy'",
                            (environment, digest))


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    *head, details = row
    return LedgerEntry(*head, details=json.loads(details))
