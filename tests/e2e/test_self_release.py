"""`demo = true`: a repository that releases itself with deploylib while its deploy tasks run the embedded
demo, as deploylib's own repository does (its pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_doit, user_repo

pytestmark = pytest.mark.slow

PYPROJECT = """[project]
name = "lib"
version = "0.1.0"

[tool.deploylib]
demo = true

[tool.deploylib.gate]
require_pushed = false

[tool.deploylib.release]
version_files = ["pyproject.toml"]
push = false
"""


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A library released at v0.1.0, with one feature since."""
    repo = user_repo(tmp_path / "lib", {"pyproject.toml": PYPROJECT, "lib.py": "X = 1\n"}, "feat: the library")
    git(repo, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
    (repo / "lib.py").write_text("X = 2\n")
    git(repo, "commit", "-qam", "feat: a second value")
    return repo


def test_deploy_runs_the_embedded_demo_and_leaves_the_repository_alone(library: Path) -> None:
    head = git(library, "rev-parse", "HEAD")
    done = run_doit(library, "deploy:production", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "says demo = true" in done.stdout and "demo-release" in done.stdout
    assert git(library, "rev-parse", "HEAD") == head and git(library, "tag").split() == ["v0.1.0"]
    assert (library / ".deploylib" / "demo" / "targets" / "production" / "current").is_symlink()


def test_release_releases_the_repository_itself(library: Path) -> None:
    done = run_doit(library, "release")
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(library, "log", "-1", "--format=%s").strip() == "chore(release): v0.2.0"
    assert 'version = "0.2.0"' in (library / "pyproject.toml").read_text()
    assert "## [0.2.0]" in (library / "CHANGELOG.md").read_text()
    assert not (library / ".deploylib" / "demo").exists()  # the demo was not built or released


def test_next_version_answers_for_the_repository(library: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "deploylib.cli", "next-version"], cwd=library, capture_output=True,
                          text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "0.2.0"), done.stderr
