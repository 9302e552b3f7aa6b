"""When a lock left on a remote host no longer protects anything (pure: time and liveness are given)."""

from __future__ import annotations

from datetime import UTC, datetime

from deploylib.state.lock import LockHolder, stale_reason

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def holder(host: str = "ci-1", pid: int = 40, since: str = "2026-11-24T11:59:00Z") -> LockHolder:
    return LockHolder("ana", host, pid, "deploy", "1.2.0", since)


def test_a_recent_lock_whose_process_runs_here_holds() -> None:
    assert stale_reason(holder(), 3600, NOW, "ci-1", alive=lambda pid: True) == ""


def test_a_lock_whose_process_is_gone_from_this_machine_is_stale() -> None:
    assert stale_reason(holder(), 3600, NOW, "ci-1", alive=lambda pid: False) == "its process 40 on ci-1 is gone"


def test_a_recent_lock_from_another_machine_holds_whatever_the_local_pids() -> None:
    assert stale_reason(holder(host="laptop"), 3600, NOW, "ci-1", alive=lambda pid: False) == ""


def test_a_lock_older_than_its_ttl_is_stale() -> None:
    old = holder(host="laptop", since="2026-11-24T10:00:00Z")
    assert stale_reason(old, 3600, NOW, "ci-1", alive=lambda pid: True) == "it is 7200 s old, past lock_ttl_s (3600 s)"


def test_a_lock_with_an_unreadable_time_is_not_judged_by_age() -> None:
    assert stale_reason(holder(host="laptop", since="?"), 1, NOW, "ci-1", alive=lambda pid: True) == ""
