"""The `deploylib` command's own options."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def test_version_prints_the_installed_distributions_version(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "deploylib", "--version"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"deploylib {version('deploylib')}\n", "")
