"""The SSH target's staging copy (this machine's copy of the last release, updated in place into the next):
whatever a killed deploy or a hand left in it, the next `doit deploy` completes and every host serves
exactly the artifact's files."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Nginx, git, run_doit
from tests.deploytoml import WELCOME, check, table
from tests.e2e.test_user_repo import BUILD_AND_RELEASE, make_repo
from tests.sshd import SshHosts

pytestmark = pytest.mark.slow

PAGES = {"index.html": "<h1>Welcome</h1>", "css/site.css": "body{}", "js/app.js": "run()", "about.html": "about"}


@pytest.fixture
def repo(tmp_path: Path, ssh_hosts: SshHosts, nginx: type[Nginx]) -> Path:
    config = ssh_hosts.write_config(tmp_path / "ssh_config")
    url = nginx(tmp_path / "web1" / "current").url()
    ssh = {"type": "ssh", "path": str(tmp_path / "web1"), "ssh_config": str(config),
           "hosts": [{"address": "web1", "url": url}]}
    repo = make_repo(tmp_path / "repo", BUILD_AND_RELEASE + table("environments.production", confirm=False, target=ssh)
                     + check("production", name="home", path="/", contains=WELCOME))
    for name, text in PAGES.items():
        (repo / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "site" / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat: pages")
    return repo


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file() or p.is_symlink()}


def deployed(repo: Path, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = run_doit(repo, "deploy:production", env=env)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def serves_exactly_the_site(repo: Path, tmp_path: Path) -> None:
    assert tree(tmp_path / "web1" / "current") == tree(repo / "site")


def change(repo: Path, n: int) -> None:
    (repo / "site" / "index.html").write_text(f"<h1>Welcome</h1><p>v{n}</p>")
    (repo / "site" / "js" / "app.js").write_text(f"run({n})")
    git(repo, "commit", "-qam", f"feat: version {n}")


def staging(repo: Path) -> Path:
    folder = next(repo.glob(".deploylib/**/staging"))
    return next(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.mark.parametrize("point", ["build:packed", "release:committed", "staging:moved", "deploy:uploaded",
                                   "deploy:switched"])
def test_a_deploy_killed_at_any_point_is_completed_by_the_next_one(repo: Path, tmp_path: Path, point: str) -> None:
    assert deployed(repo, tmp_path).returncode == 0
    change(repo, 2)
    killed = deployed(repo, tmp_path, {"DEPLOYLIB_CRASH_AT": point})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    done = deployed(repo, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    serves_exactly_the_site(repo, tmp_path)
    change(repo, 3)
    assert deployed(repo, tmp_path).returncode == 0
    serves_exactly_the_site(repo, tmp_path)


def _hard_link_from_outside(staged: Path) -> None:
    outside = staged.parents[3] / "outside.css"
    os.link(staged / "css" / "site.css", outside)


def _replace(path: Path, by: Callable[[Path], object]) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    by(path)


def _same_size_mtime_kept(path: Path) -> None:
    info = path.stat()
    path.write_text(path.read_text().upper())
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


HANDS: dict[str, Callable[[Path], object]] = {
    "a file made read-only": lambda staged: (staged / "css" / "site.css").chmod(0o444),
    "a folder made read-only": lambda staged: (staged / "js").chmod(0o555),
    "a file hard-linked from outside": _hard_link_from_outside,
    "a file replaced by a folder": lambda staged: _replace(staged / "js" / "app.js", Path.mkdir),
    "a kept file replaced by a folder": lambda staged: _replace(staged / "about.html", Path.mkdir),
    "a folder replaced by a file": lambda staged: _replace(staged / "css", lambda p: p.write_text("x")),
    "a file replaced by a symlink out": lambda staged: _replace(staged / "about.html",
                                                                 lambda p: p.symlink_to("/etc/hostname")),
    "a folder replaced by a symlink out": lambda staged: _replace(staged / "css", lambda p: p.symlink_to("/etc")),
    "a kept file changed, same size and mtime": lambda staged: _same_size_mtime_kept(staged / "about.html"),
    "a file removed": lambda staged: (staged / "about.html").unlink(),
    "a file added": lambda staged: (staged / "extra.js").write_text("x"),
    "a fifo added": lambda staged: os.mkfifo(staged / "css" / "pipe"),
    "the records removed": lambda staged: staged.with_name(f"{staged.name}.manifest.json").unlink(),
    "the records garbled": lambda staged: staged.with_name(f"{staged.name}.manifest.json").write_text("{\n[}"),
    "the whole copy removed": shutil.rmtree,
}


@pytest.mark.parametrize("case", HANDS)
def test_whatever_the_staging_copy_holds_the_next_deploy_serves_exactly_the_artifact(repo: Path, tmp_path: Path,
                                                                                      case: str) -> None:
    assert deployed(repo, tmp_path).returncode == 0
    HANDS[case](staging(repo))
    change(repo, 2)
    done = deployed(repo, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    serves_exactly_the_site(repo, tmp_path)
    assert {p.name for p in staging(repo).parent.iterdir() if p.name.startswith(".partial-")} == set()


def test_a_staged_file_changed_with_its_mtime_kept_does_not_reach_a_new_host(repo: Path, tmp_path: Path) -> None:
    assert deployed(repo, tmp_path).returncode == 0
    _same_size_mtime_kept(staging(repo) / "about.html")
    shutil.rmtree(tmp_path / "web1")  # a new host: every file is sent
    change(repo, 2)
    done = deployed(repo, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    serves_exactly_the_site(repo, tmp_path)
