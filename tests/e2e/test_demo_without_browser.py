"""The embedded demo on a machine without Chromium: it leaves production's browser check out, says so
once with the install command, and still runs end to end."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import run_doit

pytestmark = pytest.mark.slow


def test_the_demo_without_chromium_says_so_once_and_deploys(workspace: Path, tmp_path: Path) -> None:
    tools = tmp_path / "bin"  # a PATH with the demo's tools and no browser
    tools.mkdir()
    for name, path in {"git": shutil.which("git"), "python3": sys.executable, "python": sys.executable}.items():
        assert path, f"{name} is needed to run the demo"
        os.symlink(path, tools / name)
    result = run_doit(workspace, "deploy:production", env={"DEPLOYLIB_YES": "1", "PATH": str(tools),
                                                           "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "none")})
    assert result.returncode == 0, result.stdout + result.stderr
    note = "– validate home page in a browser left out: this check needs Chromium, and none was found on PATH: " \
           "install Chromium (Debian/Ubuntu: apt-get install chromium"
    folded = " ".join(result.stdout.split())
    assert folded.count(note) == 1
    assert "status live and validated: 5/5 checks passed" in folded
