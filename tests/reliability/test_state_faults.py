"""deploylib's state folder (and the target's) under faults (issue 12, row 5): read-only, immutable
or full, and corrupted files. Each is either a clear error before anything changes, or repaired
with a warning (a corrupted file is kept aside, never deleted); never a traceback, and the live
release is never one that did not pass validation.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git, missing
from tests.reliability.harness import Site, check_invariants, make_site, no_traceback

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

GARBAGE = bytes(range(256)) * 64  # not UTF-8, not JSON, not SQLite


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path, "local")


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """chattr +i: not even root may change these (a read-only state folder, an immutable ledger)."""
    flagged = []
    try:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                missing(f"chattr +i {path} failed: the test needs root on a filesystem with immutable flags")
            flagged.append(path)
        yield
    finally:
        for path in flagged:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@contextlib.contextmanager
def small_disk(folder: Path, size_kib: int) -> Iterator[None]:
    """A tmpfs of `size_kib` mounted on `folder` (keeping its files): a disk that fills up."""
    saved = folder.with_name(folder.name + ".saved")
    folder.rename(saved)
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        folder.rmdir()
        saved.rename(folder)
        missing("mounting a tmpfs failed: the test needs root")
    try:
        subprocess.run(["cp", "-a", f"{saved}/.", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()
        saved.rename(folder)


def fill(folder: Path, leave_kib: int) -> None:
    """Fill the disk holding `folder` until about `leave_kib` KiB are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    (folder / "filler").write_bytes(b"\0" * max(0, free - leave_kib * 1024))


def refused_before_anything_changed(site: Site, done: subprocess.CompletedProcess[str], before: str,
                                    says: str) -> None:
    no_traceback(done)
    assert done.returncode == 1, done.stdout + done.stderr
    assert says in done.stderr, done.stderr
    assert site.live_digest() == before
    assert git(site.repo, "tag", "--list") == "v0.1.0"  # nothing released either
    assert git(site.repo, "status", "--porcelain") == ""


def next_deploy_works(site: Site, before: str) -> subprocess.CompletedProcess[str]:
    done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 0, done.stdout + done.stderr
    check_invariants(site, before)
    return done


def test_a_read_only_state_folder_still_shows_status_and_history(site: Site) -> None:
    state = site.repo / ".deploylib"
    with immutable(state, *[p for p in state.iterdir() if p.is_file()]):
        for command in (["status"], ["history"]):
            done = site.doit(*command)
            no_traceback(done)
            assert done.returncode == 0, done.stdout + done.stderr
            assert done.stderr.count("cannot be written") == 1  # said clearly, once, as a warning (stdout stays data)
        assert "0.1.0" in site.outputs[-1]


def test_a_read_only_state_folder_refuses_to_deploy_before_anything_changes(site: Site) -> None:
    before, state = site.live_digest(), site.repo / ".deploylib"
    site.new_commit()
    with immutable(state, *[p for p in state.iterdir() if p.is_file()]):
        refused_before_anything_changed(site, site.doit("deploy:production"), before, "is not writable")
    next_deploy_works(site, before)


def test_an_immutable_ledger_refuses_to_deploy_before_anything_changes(site: Site) -> None:
    before = site.live_digest()
    site.new_commit()
    with immutable(site.repo / ".deploylib" / "ledger.sqlite3"):
        refused_before_anything_changed(site, site.doit("deploy:production"), before, "cannot be written")
    next_deploy_works(site, before)


def test_a_full_state_disk_refuses_to_deploy_and_still_shows_status(site: Site) -> None:
    before, state = site.live_digest(), site.repo / ".deploylib"
    site.new_commit()
    with small_disk(state, 4096):
        fill(state, 256)
        status = site.doit("status")
        no_traceback(status)
        assert status.returncode == 0 and "is full" in status.stderr
        refused_before_anything_changed(site, site.doit("deploy:production"), before, "is full")
    next_deploy_works(site, before)


def test_an_artifact_that_does_not_fit_the_state_disk_is_a_clear_error(site: Site) -> None:
    before, state = site.live_digest(), site.repo / ".deploylib"
    (site.repo / "site" / "big.bin").write_bytes(os.urandom(3 << 20))
    site.new_commit()
    with small_disk(state, 4096):
        fill(state, 1536)
        refused_before_anything_changed(site, site.doit("deploy:production"), before,
                                        "No space left on device")
        assert not list((state / "artifacts").glob(".pack-*"))
    next_deploy_works(site, before)


def test_a_full_target_disk_keeps_the_live_release(site: Site) -> None:
    before, live = site.live_digest(), site.repo.parent / "live"
    (site.repo / "site" / "big.bin").write_bytes(os.urandom(3 << 20))
    site.new_commit()
    with small_disk(live, 2048):
        done = site.doit("deploy:production")
        no_traceback(done)
        assert done.returncode == 1 and "No space left on device" in done.stderr, done.stderr
        assert site.live_digest() == before
    next_deploy_works(site, before)


def test_a_revisions_log_that_cannot_be_written_after_the_switch_restores_the_release_before(site: Site) -> None:
    before = site.live_digest()
    site.new_commit()
    with immutable(site.repo.parent / "live" / "revisions.log"):
        done = site.doit("deploy:production")
        no_traceback(done)
        assert done.returncode == 1 and "could not be recorded" in done.stderr, done.stderr
        assert site.live_digest() == before  # restored first, then the fault reported
    next_deploy_works(site, before)


CORRUPTION = {"garbage": lambda raw: GARBAGE, "truncated": lambda raw: raw[:len(raw) // 2],
              "cut after its header": lambda raw: raw[:200], "a page overwritten": lambda raw: raw[:4096] + GARBAGE}


@pytest.mark.parametrize("how", CORRUPTION)
@pytest.mark.parametrize("name", ["ledger.sqlite3", "doit.sqlite3"])
def test_a_corrupted_database_is_moved_aside_with_a_warning_and_a_new_one_started(site: Site, name: str,
                                                                                  how: str) -> None:
    before, path = site.live_digest(), site.repo / ".deploylib" / name
    corrupted = CORRUPTION[how](path.read_bytes())
    path.write_bytes(corrupted)
    site.new_commit()
    done = next_deploy_works(site, before)
    assert f"{name}.corrupt-" in done.stderr
    assert [p.read_bytes() for p in path.parent.glob(f"{name}.corrupt-*")] == [corrupted]  # kept, never deleted


def test_task_data_doit_cannot_decode_is_set_aside_before_doit_reads_it(site: Site) -> None:
    before, path = site.live_digest(), site.repo / ".deploylib" / "doit.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE doit SET task_data = '{not json'")
    for command in ("status", "history"):
        done = site.doit(command)
        no_traceback(done)
        assert done.returncode == 0, done.stdout + done.stderr
    site.new_commit()
    next_deploy_works(site, before)
    assert len(list(path.parent.glob("doit.sqlite3.corrupt-*"))) == 1


GARBLED_LEDGER = {"rows it never wrote": "UPDATE entries SET action = 'zap', details = '{not json'",
                  "a table of another shape": "DROP TABLE entries; CREATE TABLE entries (x)"}


@pytest.mark.parametrize("sql", GARBLED_LEDGER.values(), ids=list(GARBLED_LEDGER))
def test_a_garbled_ledger_is_moved_aside_by_history_and_the_next_deploy_works(site: Site, sql: str) -> None:
    before, path = site.live_digest(), site.repo / ".deploylib" / "ledger.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(sql)
    garbled = path.read_bytes()
    history = site.doit("history")
    no_traceback(history)
    assert history.returncode == 0 and "ledger.sqlite3.corrupt-" in history.stderr, history.stderr
    assert [p.read_bytes() for p in path.parent.glob("ledger.sqlite3.corrupt-*")
            if not p.name.endswith(("-wal", "-shm"))] == [garbled]  # kept, never deleted
    site.new_commit()
    next_deploy_works(site, before)


@pytest.mark.parametrize("name", ["build.json", "gates.json"])
def test_a_corrupted_state_file_is_rebuilt(site: Site, name: str) -> None:
    before = site.live_digest()
    (site.repo / ".deploylib" / name).write_bytes(GARBAGE)
    site.new_commit()
    next_deploy_works(site, before)


def test_a_corrupted_revisions_log_still_shows_status_and_deploys(site: Site) -> None:
    before = site.live_digest()
    with (site.repo.parent / "live" / "revisions.log").open("ab") as log:
        log.write(GARBAGE)
    status = site.doit("status")
    no_traceback(status)
    assert status.returncode == 0
    site.new_commit()
    next_deploy_works(site, before)


def test_an_incident_that_cannot_be_written_does_not_hide_the_rollback(site: Site) -> None:
    before, incidents = site.live_digest(), site.repo / ".deploylib" / "incidents"
    incidents.mkdir()
    (site.repo / "site" / "index.html").write_text("<h2>Welcome</h2>")  # fails its check
    site.new_commit()
    with immutable(incidents):
        done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "was rolled back" in done.stderr and "Incident report: not written" in done.stderr
    assert site.live_digest() == before


RECORD_DAMAGE = {"not UTF-8": b"\xff{", "torn": b'{"id": "0.1', "a version that is not text": None,
                 "an id naming another folder": b"", "a folder": b""}


@pytest.mark.parametrize("how", RECORD_DAMAGE)
def test_a_damaged_release_record_on_the_target_is_not_deploylibs_release_and_nothing_fails(site: Site,
                                                                                           how: str) -> None:
    before = site.live_digest()
    record = next(p for p in (site.repo.parent / "live" / "releases").glob("*.json")
                  if not p.name.endswith(".manifest.json"))
    good = json.loads(record.read_text())
    damaged = {"a version that is not text": json.dumps({**good, "version": None}).encode(),
               "an id naming another folder": json.dumps({**good, "id": "../../elsewhere"}).encode()}
    if how == "a folder":
        record.unlink()
        record.mkdir()
    else:
        record.write_bytes(damaged.get(how) or RECORD_DAMAGE[how])
    status = site.doit("status")
    no_traceback(status)
    assert status.returncode == 0 and "not a complete release deploylib made" in status.stdout, status.stdout
    rollback = site.doit("rollback", "--yes")
    no_traceback(rollback)
    assert rollback.returncode == 1 and "no earlier good release" in rollback.stderr, rollback.stderr
    site.new_commit()
    done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 0, done.stdout + done.stderr
    assert site.live_digest() != before and site.validated(site.live_digest())


DEEP = "[" * 100_000 + "]" * 100_000  # JSON nested past Python's recursion limit


def nest_too_deep(site: Site) -> None:
    """Every JSON file of the state folder and of the target, and the ledger's details, nested too deep."""
    state, live = site.repo / ".deploylib", site.repo.parent / "live"
    for path in [*state.glob("*.json"), *(state / "artifacts").glob("*.checked"), *live.glob("releases/*.json"),
                 live / ".deploy.lock"]:
        path.write_text(DEEP)
    with (live / "revisions.log").open("a") as log:
        log.write(DEEP + "\n")
    with contextlib.closing(sqlite3.connect(state / "ledger.sqlite3")) as db, db:
        db.execute("UPDATE entries SET details = ?", (DEEP,))


def test_json_nested_too_deep_in_any_state_file_is_unreadable_not_a_traceback(site: Site) -> None:
    nest_too_deep(site)
    for command, code in ((["status"], 0), (["history"], 0), (["rollback", "--yes"], 1)):
        done = site.doit(*command)
        no_traceback(done)
        assert done.returncode == code, done.stdout + done.stderr
    site.new_commit()
    done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 0, done.stdout + done.stderr
    assert site.validated(site.live_digest())


@pytest.mark.parametrize("where", ["repository lock", "deploy lock"])
def test_a_lock_file_that_is_a_fifo_is_refused_before_anything_changes_not_waited_on(site: Site, where: str) -> None:
    before = site.live_digest()
    lock = site.repo / ".deploylib" / "repo.lock" if where == "repository lock" else \
        site.repo.parent / "live" / ".deploy.lock"
    lock.unlink()
    os.mkfifo(lock)  # opening or reading it would block forever
    site.new_commit()
    done = site.doit("deploy:production")
    no_traceback(done)
    assert done.returncode == 1 and str(lock) in done.stderr, done.stdout + done.stderr
    assert "it is a fifo, not a file (remove it: a new one is made)" in done.stderr
    assert site.live_digest() == before and git(site.repo, "tag", "--list") == "v0.1.0"
    lock.unlink()
    next_deploy_works(site, before)


FIFO_IN_PLACE = ["build.json", "gates.json", "plan.json", "fingerprint.json", "doit.sqlite3", "ledger.sqlite3",
                 "artifacts/pack-hashes.json", "../../live/revisions.log"]


@pytest.mark.parametrize("name", FIFO_IN_PLACE)
def test_a_state_file_replaced_by_a_fifo_is_never_waited_on(site: Site, name: str) -> None:
    before, path = site.live_digest(), site.repo / ".deploylib" / name
    path.unlink()
    os.mkfifo(path)  # opening or reading it would wait for a writer forever
    site.new_commit()
    for command in (["status"], ["history"], ["deploy:production"]):
        done = site.doit(*command)  # the harness's timeout turns a wait into a failure
        no_traceback(done)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        said = done.stdout + done.stderr  # doit status names it in its table, the others on stderr
        assert done.returncode == 0 or f"{path.resolve()}: not a regular file" in said, said
    if path.exists() and path.is_fifo():  # refused by path, never read: the user removes it
        path.unlink()
    next_deploy_works(site, before)
