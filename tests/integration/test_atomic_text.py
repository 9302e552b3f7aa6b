"""The files a release edits in a user's repository (changelog, version files) are replaced in one step:
a process killed in the middle of writing one leaves it as it was, never truncated (a truncated
CHANGELOG.md was once taken for the user's own edit by the next run)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deploylib import textfile
from deploylib.release import staged_edits
from deploylib.state.atomic import temporary_name
from deploylib.state.workspace import discover
from tests.conftest import REPO, git, user_repo

KILLED_MID_WRITE = """
import resource, signal, sys
from pathlib import Path
from deploylib import textfile
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; a real kill is what is tested
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # past 4 KiB the kernel sends SIGXFSZ: killed mid-write
textfile.write(Path(sys.argv[1]), "## 2.0.0\\n" + "- a change\\n" * 10_000)
"""


@pytest.mark.parametrize("name", ["CHANGELOG.md", "package.json", "pyproject.toml"])
def test_a_process_killed_mid_write_leaves_the_file_as_it_was(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("# Changelog\n\n## 1.0.0\n- first\n")
    done = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(path)], capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == -signal.SIGXFSZ, done.stderr
    assert path.read_text() == "# Changelog\n\n## 1.0.0\n- first\n"


def test_a_written_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    path = tmp_path / "version.sh"
    path.write_text("VERSION=1.0.0\n")
    path.chmod(0o755)
    textfile.write(path, "VERSION=2.0.0\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o755 and path.read_text() == "VERSION=2.0.0\n"


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("old\n")
    (tmp_path / "CHANGELOG.md").symlink_to("real.md")
    textfile.write(tmp_path / "CHANGELOG.md", "new\n")
    assert (tmp_path / "CHANGELOG.md").is_symlink() and (tmp_path / "real.md").read_text() == "new\n"


def test_a_new_file_is_written_and_no_temporary_is_left(tmp_path: Path) -> None:
    textfile.write(tmp_path / "CHANGELOG.md", "\ufeff# Changelog\r\n")
    assert (tmp_path / "CHANGELOG.md").read_bytes() == "\ufeff# Changelog\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["CHANGELOG.md"]


def test_the_temporary_file_of_a_build_killed_mid_write_is_removed_with_its_edits(tmp_path: Path) -> None:
    repo = user_repo(tmp_path / "repo", {"deploy.toml": '[build]\ncommand = "true"\n', "CHANGELOG.md": "mine\n"})
    ws = discover(repo)
    staged_edits.stage(ws, "HEAD", "1.0.0", {"CHANGELOG.md": "## 1.0.0\n"})
    temporary_name(repo / "CHANGELOG.md").write_text("## 1.")  # as a write killed half-way leaves it
    staged_edits.unstage(ws)
    assert (repo / "CHANGELOG.md").read_text() == "mine\n" and git(repo, "status", "--porcelain") == ""
