"""A stdout that takes no more: a reader that closes it early (`| head -c 200`) gets what it read and the
run ends with its own exit code, no traceback; a stdout that cannot be written (`>/dev/full`, or closed
with `>&-`) is said once on stderr, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploylib.state.ledger import Ledger
from tests.e2e.test_user_repo import CONFIG, make_repo

pytestmark = pytest.mark.slow

LONG_HISTORY = 400  # ledger rows: more JSON than a pipe buffer (64 KiB) holds, so the writer blocks on it


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("stdout") / "site", CONFIG)
    (root / ".deploylib").mkdir()
    ledger = Ledger(root / ".deploylib" / "ledger.sqlite3")
    for number in range(LONG_HISTORY):
        ledger.finish(ledger.start("deploy", "production", f"0.1.{number}", f"sha256:{number:064x}", "c", "me", {}),
                      "succeeded")
    return root


def command(line: list[str]) -> list[str]:
    return [sys.executable, "-m", *(["doit"] if line[0] == "doit" else ["deploylib"]), *line[1:]]


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and "BrokenPipe" not in stderr


@pytest.mark.parametrize("line", [
    ["doit", "status", "history", "--json", "--limit", str(LONG_HISTORY)],
    ["doit", "history", "--limit", str(LONG_HISTORY)],
], ids=["status-history-json", "history-table"])
def test_a_reader_closing_a_long_output_after_200_bytes_leaves_no_traceback(repo: Path, line: list[str]) -> None:
    process = subprocess.Popen(command(line), cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
    assert process.stdout is not None and process.stderr is not None
    assert len(process.stdout.read(200)) == 200  # as `head -c 200` reads, then closes
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    clean(stderr)


@pytest.mark.parametrize("line", [
    ["doit", "status", "--json"], ["doit", "history"], ["doit", "release", "--dry-run"],
    ["deploylib", "next-version"],
], ids=["status-json", "history", "release-dry-run", "next-version"])
def test_a_reader_that_closed_before_anything_was_written_leaves_no_traceback(repo: Path, line: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # every write to the pipe fails with EPIPE
    done = subprocess.run(command(line), cwd=repo, stdout=write, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    os.close(write)
    assert done.returncode == 0, done.stderr
    clean(done.stderr)
    assert "stdout cannot be written" not in done.stderr  # the reader left on purpose: nothing to tell


@pytest.mark.parametrize("line", [
    ["doit", "status", "--json"], ["doit", "history"], ["doit", "release", "--dry-run"],
    ["deploylib", "next-version"],
], ids=["status-json", "history", "release-dry-run", "next-version"])
@pytest.mark.parametrize("stdout", ["/dev/full", "closed"])
def test_a_stdout_that_cannot_be_written_is_said_once(repo: Path, line: list[str], stdout: str) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(command(line), cwd=repo, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                              timeout=120, **({"stdout": full} if stdout == "/dev/full" else
                                              {"stdout": None, "pass_fds": (), "preexec_fn": lambda: os.close(1)}))
    assert done.returncode == 0, done.stderr
    clean(done.stderr)
    assert done.stderr.count("stdout cannot be written") == 1


@pytest.mark.parametrize(("line", "code"), [
    (["doit", "deploy:production"], 1),  # the gate fails: its paragraph goes to stderr
    (["doit", "deploy:staging"], 3),  # refused before any task runs
    (["doit", "validate:staging"], 3),
], ids=["failing-gate", "unknown-environment", "unknown-validate"])
def test_a_reader_that_closed_stdout_and_stderr_leaves_the_runs_own_exit_code(tmp_path: Path, line: list[str],
                                                                              code: int) -> None:
    root = make_repo(tmp_path / "site", CONFIG.replace("grep -q Welcome site/index.html", "false"))
    read, write = os.pipe()
    os.close(read)  # `doit … 2>&1 | grep -m1 x` once grep has left: every write to either fails with EPIPE
    done = subprocess.run(command(line), cwd=root, stdout=write, stderr=write, stdin=subprocess.DEVNULL, timeout=120)
    os.close(write)
    assert done.returncode == code
