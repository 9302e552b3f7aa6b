"""Shared fixtures: real git repositories, a real nginx, and running `doit` as a user does."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from deploylib.build.artifact import pack
from deploylib.model import Artifact
from tests.fakes.app import App
from tests.fakes.github import CONTRACT, FakeGitHub

if TYPE_CHECKING:
    from tests.sshd import SshHosts

REPO = Path(__file__).resolve().parent.parent


def require(program: str) -> str:
    """The path of a program the test needs. Missing: a failure under CI (which installs it), else a skip."""
    path = shutil.which(program) or next((p for p in (f"/usr/sbin/{program}", f"/sbin/{program}")
                                          if os.access(p, os.X_OK)), None)
    if path:
        return path
    missing(f"{program} is not installed (.ci/run installs it)")


def require_browser(*modules: str) -> None:
    """Chromium, the playwright package and any other `modules` a browser test needs (.ci/run installs them)."""
    require("chromium")
    for module in ("playwright", *modules):
        if importlib.util.find_spec(module) is None:
            missing(f"the {module} package is not installed (pip install -e '.[test]')")


def missing(what: str) -> NoReturn:
    """Something a test needs is not here: a failure under CI (which provides everything), else a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(what)
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_artifact(root: Path, version: str, files: dict[str, str]) -> Artifact:
    """An artifact of `files` (path -> text), packed as the build stage packs one, from commit "commit<version>"."""
    tree = root / f"build-{version}"
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    return pack(tree, root / ".deploylib" / "artifacts", version, f"commit{version}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def new_repo(repo: Path, files: dict[str, str], message: str, user: str = "Test") -> Path:
    """A git repository on branch main holding `files` (path -> text) in one commit."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "config", "user.name", user)
    git(repo, "config", "user.email", f"{user.lower().replace(' ', '.')}@example.invalid")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return repo


def run_doit(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`doit ARGS` in `cwd`, as a user would type it, with no terminal on stdin."""
    return subprocess.run([sys.executable, "-m", "doit", *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, timeout=300)


def user_repo(root: Path, files: dict[str, str], message: str = "feat: the site") -> Path:
    """A user's repository at `root`: `files` (path -> text) and deploylib's dodo.py, committed on main."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    shutil.copy(REPO / "dodo.py", root / "dodo.py")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "config", "user.name", "Site Owner")
    git(root, "config", "user.email", "owner@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return root


_HOLDER = """
import sys
from pathlib import Path
from deploylib.state.lock import FileLock, LockHolder
with FileLock(Path(sys.argv[1])).hold(LockHolder.me("deploy", "9.9.9"), 0):
    print("held", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""


@contextlib.contextmanager
def lock_held_by_another_process(lock_file: Path) -> Iterator[None]:
    """Another live process holds the deploy lock `lock_file` (a deploy's own lock_wait_s decides whether it
    waits), from when it says so until the block ends."""
    child = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock_file)], text=True, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    try:
        yield
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def local_production(url: str) -> str:
    """The start of a deploy.toml: `site/` copied as the build, no push, production in ../live checked at `url`;
    the caller appends its checks."""
    return f"""[build]
command = "rm -rf out && cp -R site out"
output = "out"

[release]
push = false

[environments.production]
target = {{ type = "local", path = "../live" }}
url = "{url}"
confirm = false
"""


GITHUB_TOKEN = "ghs_secret_token_value"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A local GitHub API honouring ../shared/github-api/subset.json; checks no body broke the contract."""
    if not CONTRACT.exists():
        missing(f"GitHub's contract is missing at {CONTRACT} (../shared/github-api/subset.json)")
    fake = FakeGitHub(GITHUB_TOKEN).start()
    yield fake
    fake.stop()
    assert fake.contract_errors == []  # every body either side sent matched GitHub's published schemas


def new_clone(parent: Path) -> Path:
    """A fresh folder holding deploylib's dodo.py, as in a new clone: doit runs the embedded demo here."""
    root = parent / "clone"
    root.mkdir()
    shutil.copy(REPO / "dodo.py", root / "dodo.py")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh clone (see `new_clone`) for this test alone."""
    return new_clone(tmp_path)


class Nginx:
    """A real nginx serving one folder (a target's `current`) on a free 127.0.0.1 port, with `directives`
    added to its server block (e.g. "gzip on;")."""

    def __init__(self, binary: str, prefix: Path, root: Path, directives: str = "") -> None:
        self.binary, self.prefix, self.port = binary, prefix, free_port()
        (prefix / "logs").mkdir(parents=True)
        user = "user root;" if os.geteuid() == 0 else ""  # workers must read pytest's 0700 temp folders
        temp = "".join(f"{kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                           "scgi"))
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(f"""{user} worker_processes 1; pid {prefix}/nginx.pid; error_log {prefix}/logs/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; open_file_cache off; {temp}
  types {{ text/html html; text/css css; application/javascript js; image/svg+xml svg; application/json map; }}
  server {{ listen 127.0.0.1:{self.port}; root {root}; {directives} }} }}
""")

    def start(self) -> None:
        # In daemon mode nginx returns only after its listening socket is bound: no waiting needed.
        subprocess.run([self.binary, "-p", str(self.prefix), "-c", str(self.conf)], check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run([self.binary, "-p", str(self.prefix), "-c", str(self.conf), "-s", "stop"], capture_output=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[type[Nginx]]:
    """Start nginx instances with `nginx(root)` or `nginx(root, directives)`; every one is stopped after the test."""
    binary = require("nginx")
    started: list[Nginx] = []

    def start(root: Path, directives: str = "") -> Nginx:
        server = Nginx(binary, tmp_path / f"nginx{len(started)}", root, directives)
        server.start()
        started.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def ssh_hosts() -> Iterator[SshHosts]:
    """Three real sshd processes on 127.0.0.1 (web1, web2, web3) for the whole session; tests deploy to
    folders of their own on them."""
    from tests.sshd import SshHosts

    sshd = require("sshd")
    require("rsync")
    hosts = SshHosts(sshd, count=3)
    yield hosts
    hosts.stop()


@pytest.fixture
def app() -> Iterator[App]:
    """A programmable HTTP app on 127.0.0.1 (see tests/fakes/app.py)."""
    server = App().start()
    yield server
    server.stop()
