"""The reliability suite's fixtures: a user's repository deploying to a local folder or a GitHub
Pages branch, runs of the real `doit` that are killed at a named point or a seeded random moment,
and the invariants every trial must leave holding.

Counts: CI keeps them small; DEPLOYLIB_RELIABILITY_TRIALS raises the random-moment trials per test
(and the concurrency rounds) to reach the issue's figures.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from deploylib.build.artifact import verify_tree
from deploylib.state.workspace import discover
from deploylib.targets import open_target
from tests.conftest import REPO, git, new_repo
from tests.fakes.app import App, Request, Response

TRIALS_VAR = "DEPLOYLIB_RELIABILITY_TRIALS"
TIMEOUT = 300

BASE_CONFIG = """[gate]
tests = "grep -q Welcome site/index.html"

[build]
command = "rm -rf out && mkdir -p out && cp -R site/. out/"
output = "out"

[release]
push = false

[environments.production]
target = {target}
confirm = false
{extra}
[[environments.production.checks]]
name = "home"
path = "/"
contains = "<h1>Welcome</h1>"
"""


def trials(ci_count: int) -> int:
    """How many trials a test runs: `ci_count`, or $DEPLOYLIB_RELIABILITY_TRIALS when set."""
    return int(os.environ.get(TRIALS_VAR) or ci_count)


def doit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "doit", *args]


def doit_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's `doit`: this checkout's deploylib, no terminal, no crash point."""
    env = {k: v for k, v in os.environ.items() if k != "DEPLOYLIB_CRASH_AT"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH", "")])])
    return {**env, **(extra or {})}


@dataclass
class Site:
    """A user's repository (`repo`) with deploy.toml, deploying to production on `kind` ("local" or "pages")."""

    repo: Path
    kind: str
    pages_remote: Path | None = None
    commits: int = 0
    outputs: list[str] = field(default_factory=list)

    def doit(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(doit_command(*args), cwd=self.repo, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, env=doit_env(extra_env), timeout=TIMEOUT)
        self.outputs.append(done.stdout + done.stderr)
        return done

    def crash_at(self, point: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run doit, which SIGKILLs itself at the named crash point (deploylib/crash.py)."""
        done = self.doit(*args, extra_env={"DEPLOYLIB_CRASH_AT": point})
        assert done.returncode == -signal.SIGKILL, f"{point} was never reached:\n{done.stdout}{done.stderr}"
        return done

    def kill_after(self, seconds: float, *args: str) -> bool:
        """Run doit in a session of its own and SIGKILL the whole session after `seconds` (as a cancelled
        CI job is); True when it was killed, False when it finished first."""
        process = subprocess.Popen(doit_command(*args), cwd=self.repo, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=doit_env(),
                                   start_new_session=True)
        try:
            process.wait(timeout=seconds)
            return False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True

    def new_commit(self) -> None:
        """A new page: something new to build, release and deploy."""
        self.commits += 1
        (self.repo / "site" / f"page{self.commits}.html").write_text(f"<p>page {self.commits}</p>")
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-qm", f"feat: page {self.commits}")

    def target(self):  # type: ignore[no-untyped-def]
        ws = discover(self.repo)
        return open_target(ws.config.environment("production"), ws.app)

    def live_digest(self) -> str:
        live = self.target().live()
        return live.digest if live else ""

    def ledger_rows(self, where: str = "1", args: tuple[str, ...] = ()) -> list[tuple[str, str, str, str]]:
        path = self.repo / ".deploylib" / "ledger.sqlite3"
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(path)) as db:
            return db.execute(f"SELECT action, status, digest, details FROM entries WHERE {where}", args).fetchall()

    def validated(self, digest: str) -> bool:
        return bool(self.ledger_rows("action = 'validate' AND status = 'succeeded' AND digest = ?", (digest,)))


def make_site(root: Path, kind: str, app: App | None = None, lock_wait: float = 0) -> Site:
    """A repository like a user's, deployed once (0.1.0) so every trial has a release live before."""
    repo = root / "site"
    extra = f"lock_wait_s = {lock_wait}\n"
    pages_remote = None
    if kind == "local":
        target = '{ type = "local", path = "../live" }'
    else:
        assert app is not None, "a Pages site is checked through an app serving its branch"
        pages_remote = root / "pages.git"
        subprocess.run(["git", "init", "-q", "--bare", str(pages_remote)], check=True)
        app.route("/", serve_branch(pages_remote, "gh-pages", "index.html"))
        target = f'{{ type = "github-pages", remote = "{pages_remote}", branch = "gh-pages" }}'
        extra += f'url = "{app.url}"\n'
    files = {"site/index.html": "<h1>Welcome</h1>", "deploy.toml": BASE_CONFIG.format(target=target, extra=extra),
             ".gitignore": "out/\n", "dodo.py": (REPO / "dodo.py").read_text()}
    new_repo(repo, files, "feat: first page", user="Site Owner")
    site = Site(repo, kind, pages_remote)
    first = site.doit("deploy:production")
    assert first.returncode == 0, first.stdout + first.stderr
    return site


def serve_branch(remote: Path, branch: str, name: str):  # type: ignore[no-untyped-def]
    """An app route answering with a file of the branch as it is now on the remote: GitHub Pages in miniature."""

    def answer(request: Request) -> Response:
        shown = subprocess.run(["git", "-C", str(remote), "show", f"{branch}:{name}"], capture_output=True)
        return (200, {"Content-Type": "text/html"}, shown.stdout) if shown.returncode == 0 else (404, {}, "")

    return answer


def check_invariants(site: Site, before: str) -> None:
    """What must hold once the command after a killed run has finished (see issue 12):
    the live release is complete and matches its manifest; it is the one live `before` or one that
    passed validation; no ledger row is left running; the working tree is clean; no temporary file
    or private build folder of a killed run is left behind."""
    live = site.target().live()
    assert live is not None
    artifacts = site.repo / ".deploylib" / "artifacts"
    manifest = json.loads((artifacts / f"{live.digest.split(':', 1)[1]}.manifest.json").read_text())
    if site.kind == "local":
        current = site.repo.parent / "live" / "current"
        release_dir = current.resolve()
        assert (release_dir.parent / f"{release_dir.name}.json").exists()
        assert verify_tree(current, manifest) == []
        assert not list((site.repo.parent / "live" / "releases").glob(".partial-*"))
    else:
        assert site.pages_remote is not None
        listing = git(site.pages_remote, "ls-tree", "-r", "gh-pages")
        blobs = {line.split("\t", 1)[1]: line.split()[2] for line in listing.splitlines()}
        assert {path: blobs.get(path) for path in manifest} == {path: e["blob"] for path, e in manifest.items()}
    assert live.digest == before or site.validated(live.digest), f"{live.id} is live without passing validation"
    assert site.ledger_rows("status = 'running'") == []
    assert git(site.repo, "status", "--porcelain") == ""
    assert not list(artifacts.glob(".pack-*"))
    assert not list((site.repo / ".deploylib" / "builds").glob("*"))


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
