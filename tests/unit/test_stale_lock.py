"""When a lock left on a remote host no longer protects anything (pure: time and liveness are given; the last
tests give this machine's processes)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from deploylib.state.lock import LockHolder, process_started, stale_reason, still_running

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def runs(pid: int, started: int) -> bool:
    return True


def gone(pid: int, started: int) -> bool:
    return False


def holder(host: str = "ci-1", pid: int = 40, since: str = "2026-11-24T11:59:00Z") -> LockHolder:
    return LockHolder("ana", host, pid, "deploy", "1.2.0", since)


def test_a_recent_lock_whose_process_runs_here_holds() -> None:
    assert stale_reason(holder(), 3600, NOW, "ci-1", alive=runs) == ""


def test_a_lock_whose_process_is_gone_from_this_machine_is_stale() -> None:
    assert stale_reason(holder(), 3600, NOW, "ci-1", alive=gone) == "its process 40 on ci-1 is gone"


def test_a_recent_lock_from_another_machine_holds_whatever_the_local_pids() -> None:
    assert stale_reason(holder(host="laptop"), 3600, NOW, "ci-1", alive=gone) == ""


def test_a_lock_older_than_its_ttl_is_stale() -> None:
    old = holder(host="laptop", since="2026-11-24T10:00:00Z")
    assert stale_reason(old, 3600, NOW, "ci-1", alive=runs) == "it is 7200 s old, past lock_ttl_s (3600 s)"


def test_a_lock_with_an_unreadable_time_is_not_judged_by_age() -> None:
    assert stale_reason(holder(host="laptop", since="?"), 1, NOW, "ci-1", alive=runs) == ""


@pytest.mark.parametrize(("pid", "started", "stale"), [
    ("this process", "its start", False),
    ("this process", "unknown", False),  # a lock written before start times were recorded
    ("this process", "a later start", True),  # its pid was given to this process since: the holder is gone
    ("init", "a later start", True),
])
def test_a_lock_whose_pid_now_names_another_process_of_this_machine_is_stale(pid: str, started: str,
                                                                             stale: bool) -> None:
    number = {"this process": os.getpid(), "init": 1}[pid]
    start = {"its start": process_started(number), "unknown": 0, "a later start": process_started(number) + 1}[started]
    left = LockHolder("ana", "ci-1", number, "deploy", "1.2.0", "2026-11-24T11:59:00Z", start)
    assert bool(stale_reason(left, 3600, NOW, "ci-1", alive=still_running)) == stale
