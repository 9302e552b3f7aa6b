"""The `deploylib` command's own options."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest


def test_version_prints_the_installed_distributions_version(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "deploylib", "--version"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"deploylib {version('deploylib')}\n", "")


@pytest.mark.parametrize(("args", "said"), [
    ([], "the following arguments are required: command"),
    (["deploy"], "invalid choice: 'deploy'"),
    (["init", "--bogus"], "unrecognized arguments: --bogus"),
    (["next-version", "--prerelease"], "argument --prerelease: expected one argument"),
    (["next-version", "--prerelease", ""], 'argument --prerelease: --prerelease "" is not a prerelease token; give '
                                           "letters and digits only, e.g. --prerelease rc (1.5.0-rc.1, then rc.2)"),
    (["next-version", "--prerelease", "rc.1"], 'argument --prerelease: --prerelease "rc.1" is not a prerelease'),
])
def test_a_command_line_deploylib_refuses_exits_3(tmp_path: Path, args: list[str], said: str) -> None:
    done = subprocess.run([sys.executable, "-m", "deploylib", *args], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 3 and done.stdout == "", done.stderr  # 3: a bad command line (README, Exit codes)
    assert done.stderr.startswith("usage: deploylib") and said in done.stderr
