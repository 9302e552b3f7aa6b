"""GitHub Pages after someone else published: what a refused rollback tells the user to run is the very
command that would do it, for the environment and release asked for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, run_doit
from tests.e2e.test_user_repo import BUILD_AND_RELEASE, make_repo
from tests.fakes.app import App

pytestmark = pytest.mark.slow


def foreign_publish(pages: Path, clone: Path) -> None:
    """Someone else commits to gh-pages by hand and pushes."""
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(pages), str(clone)], check=True)
    git(clone, "config", "user.name", "Jane Doe")
    git(clone, "config", "user.email", "jane@example.invalid")
    (clone / "index.html").write_text("<h1>Welcome, by hand</h1>")
    git(clone, "commit", "-qam", "hand edit")
    git(clone, "push", "-q", "origin", "gh-pages")


def test_a_reset_rollback_refused_over_a_foreign_commit_names_the_whole_command(tmp_path: Path, app: App) -> None:
    app.route("/", (200, {"Content-Type": "text/html"}, b"<h1>Welcome</h1>"))
    pages = tmp_path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(pages)], check=True)
    repo = make_repo(tmp_path / "site", BUILD_AND_RELEASE + f"""
[environments.docs]
target = {{ type = "github-pages", remote = "{pages}", rollback = "reset" }}
url = "{app.url}"
[[environments.docs.checks]]
path = "/"
contains = "Welcome"
""")
    for number in (2, 3):
        assert run_doit(repo, "deploy:docs").returncode == 0
        (repo / "site" / "index.html").write_text(f"<h1>Welcome {number}</h1>")
        git(repo, "commit", "-qam", f"feat: page {number}")
    foreign_publish(pages, tmp_path / "theirs")
    assert run_doit(repo, "deploy:docs").returncode == 0  # 0.3.0 published on top of their commit
    for asked in ([], ["--to", "0.1.0"]):
        result = run_doit(repo, "rollback", "--env", "docs", *asked)
        assert result.returncode == 1, result.stdout + result.stderr
        assert 'would drop commit' in result.stderr and '"hand edit" by Jane Doe' in result.stderr
        assert f"That is: doit rollback --env docs{''.join(' ' + a for a in asked)} --force." in result.stderr
    assert git(pages, "log", "-1", "--format=%s", "gh-pages").startswith("Deploy 0.3.0")
