"""The git adapter: every git process deploylib starts goes through `git_run` (one question or write,
its output read whole), for history one `git log` stream (`log_entries`), or `GitFeed` (a process fed
as its input is made: the Pages target's `git fast-import`, which writes objects while deploylib still
reads the artifact, and answers queries mid-stream). Plain `git`, no library to import: a release then
costs only git's own time. A push reads git's `--porcelain` per-ref results.
GitPython builds the demo's sandbox repository (`create_repository`), where its porcelain fits and
its import (55-190 ms) is paid once, on the demo's first run.

Every git process runs with GIT_OPTIONAL_LOCKS=0 (git(1), "Environment Variables"): a read such as
`git status` then never takes `.git/index.lock` to refresh the index, so a run killed while reading
leaves no lock that would refuse the user's next `git commit`. Writes still take the locks they need.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from deploylib.errors import GitError, NotARepository, PushRefused
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.release.versioning.history import Entry

# Starting git failed (OSError: not found, not executable, not a program): said alike, since it is one fix.
_NO_GIT = "git is not installed or not on PATH, or cannot be run; install git and run the command again."


@frozen
class GitRun:
    """A finished git process: its exit code and its output, decoded as UTF-8 (undecodable bytes replaced)."""

    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every git process deploylib runs: this one's, with optional locks off, plus `extra`."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", **(extra or {})}


def git_run(repo: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> GitRun:
    """Run `git ARGS` in `repo` (fed `stdin`, e.g. a fast-import stream; `env` added to this process's
    environment, e.g. GIT_AUTHOR_DATE) and return how it ended, failed or not. Raises GitError (exit 1)
    when `repo` is not a folder or git is not installed; never for git's answer."""
    with _start(repo, args, env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as git:
        out, err = git.communicate(stdin)
    return GitRun(git.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


def _start(repo: Path, args: Iterable[str], env: Mapping[str, str] | None = None, opened: Iterable[IO[bytes]] = (),
           **streams: Any) -> subprocess.Popen[bytes]:
    """`git ARGS` started in `repo` with git_env(`env`) and `streams` (Popen's stdin, stdout, stderr, bufsize):
    every git process deploylib starts is started here. Raises GitError (exit 1) when `repo` is not a folder
    (subprocess would blame git itself: FileNotFoundError names the missing cwd too), NotARepository (exit 3)
    when git cannot be started; the files in `opened` (the caller's, for git's output) are closed first."""
    try:
        if not repo.is_dir():
            raise GitError(f"{repo} does not exist or is not a folder, so it cannot be a git repository.")
        try:
            return subprocess.Popen(["git", *args], cwd=repo, env=git_env(env), **streams)
        except OSError:
            raise NotARepository(_NO_GIT) from None
    except GitError:
        for file in opened:
            file.close()
        raise


def scratch_file() -> IO[bytes]:
    """A file with no name for a git's output, opened for reading and writing: nothing is left behind,
    however the process ends. Made in memory with memfd_create (Linux, memfd_create(2)), which needs no
    module loaded and no disk: a file made on disk (O_TMPFILE) waits for the filesystem's journal while a
    git beside it syncs what it wrote (fast-import's pack), ~0.3 ms an output on ext4. Where the system
    has none, by tempfile in the system's temporary folder. The caller closes it. Raises OSError when
    neither can be made."""
    try:
        return os.fdopen(os.memfd_create("deploylib-git-output", os.MFD_CLOEXEC), "w+b")
    except (AttributeError, OSError):
        import tempfile

        return tempfile.TemporaryFile()  # noqa: SIM115 -- the caller closes it


class GitFeed:
    """`git ARGS` in `repo`, fed as its input is made (a context manager): `write` bytes, `ask` a query
    git answers with one line on stdout (fast-import's `ls`, `get-mark`), then `finish` for how it ended.
    Leaving the block by an exception kills git first, so a stream cut short is never taken as whole.
    git's stderr goes to a file in memory, so a git that complains cannot block on a full pipe while
    it is being fed. Raises GitError (exit 1) when `repo` is not a folder or git is not installed."""

    def __init__(self, repo: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
        self._err = scratch_file()
        self._git = _start(repo, args, env, (self._err,), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=self._err, bufsize=1 << 16)
        self._stopped = False  # git closed its input (it failed): the rest is not written; `finish` tells why

    def __enter__(self) -> GitFeed:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is not None and self._git.poll() is None:
            self._git.kill()
        with contextlib.suppress(OSError):
            self._git.stdin.close()  # type: ignore[union-attr]
        self._git.wait()
        self._git.stdout.close()  # type: ignore[union-attr]
        self._err.close()

    def write(self, data: bytes) -> None:
        """Feed `data` (buffered); nothing once git has stopped reading."""
        if not self._stopped:
            try:
                self._git.stdin.write(data)  # type: ignore[union-attr]
            except BrokenPipeError:
                self._stopped = True

    def ask(self, query: bytes) -> str:
        """Feed `query` and return git's one-line answer without its newline ("" when git stopped)."""
        self.write(query)
        if not self._stopped:
            try:
                self._git.stdin.flush()  # type: ignore[union-attr]
            except BrokenPipeError:
                self._stopped = True
        return self._git.stdout.readline().decode(errors="replace").rstrip("\n")  # type: ignore[union-attr]

    def finish(self) -> GitRun:
        """End the input, wait for git and return how it ended."""
        with contextlib.suppress(BrokenPipeError):
            self._git.stdin.close()  # type: ignore[union-attr]
        out = self._git.stdout.read()  # type: ignore[union-attr]
        code = self._git.wait()
        self._err.seek(0)
        return GitRun(code, out.decode(errors="replace"), self._err.read().decode(errors="replace"))


class GitStarted:
    """`git ARGS` in `repo`, started now and answered later (a context manager): a question whose answer is
    needed only after other work, which git then answers beside it. Its output goes to files in memory,
    so git never waits for a reader. `result` waits for git and returns how it ended; leaving the block
    first kills it. Raises GitError (exit 1) as `git_run` does."""

    def __init__(self, repo: Path, *args: str) -> None:
        self._out, self._err = scratch_file(), scratch_file()
        self._git = _start(repo, args, None, (self._out, self._err), stdin=subprocess.DEVNULL, stdout=self._out,
                           stderr=self._err)

    def __enter__(self) -> GitStarted:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._git.poll() is None:
            self._git.kill()
        self._git.wait()
        self._out.close()
        self._err.close()

    def result(self) -> GitRun:
        code = self._git.wait()
        self._out.seek(0)
        self._err.seek(0)
        return GitRun(code, self._out.read().decode(errors="replace"), self._err.read().decode(errors="replace"))


def run_git(repo: Path, *args: str) -> str:
    """`git ARGS` run in `repo`; its stdout as text (UTF-8, with Python's universal newlines: CRLF and
    a lone CR read as LF).

    Raises GitError (exit 1) when `repo` is not a folder, git is not installed, or git exits non-zero
    with git's own stderr as the message; when git complains of no repository or no commits, its
    subclass NotARepository (exit 3) with a paragraph saying so in deploylib's words (see
    `repository_problem`). Every caller below raises the same two."""
    done = git_run(repo, *args)
    if not done.ok:
        raise _failure(repo, f"git {' '.join(args)}", done.err.strip() or done.out.strip())
    return done.out.replace("\r\n", "\n").replace("\r", "\n")


def git_words(output: str) -> str:
    """What git said on stderr, as one line for a one-paragraph message: its lines joined with "; ", without
    blank and `hint:` lines, the `fatal: `/`error: ` prefixes or the lines' final periods ("" for nothing said)."""
    lines = [re.sub(r"^(?:fatal|error): ", "", line.strip()).rstrip(".") for line in output.splitlines()]
    return "; ".join(line for line in lines if line and not line.startswith("hint:"))


def _failure(repo: Path, what: str, said: str) -> GitError:
    """git's error as ours: its words for "no repository" or "no commits" (e.g. "ambiguous argument
    'HEAD'", "bad revision 'HEAD'", "bad object HEAD"), or for a repository it will not read ("dubious
    ownership"), become `repository_problem`'s paragraph."""
    signs = ("not a git repository", "HEAD", "commits yet", "work tree", "dubious ownership")
    problem = repository_problem(repo) if any(sign in said for sign in signs) else ""
    return NotARepository(problem) if problem else GitError(f"{what} failed in {repo}: {git_words(said)}.")


def repository_problem(repo: Path) -> str:
    """Why `repo` cannot be released at all, in words (not git's): not a git repository (or one git will not
    read: another user's, a linked worktree whose repository is gone, a `.git` git does not recognise), a
    bare one or its .git folder (no working tree to build from), one whose HEAD has no commits (a new
    repository, or an unborn branch checked out beside others) or names a commit the repository lacks
    (damaged), or git is not installed; "" when it is fine. Never raises for git's answer (raises GitError
    for a `repo` that does not exist)."""
    try:
        return _problem(repo, *_probe(repo))
    except NotARepository as err:  # git is not installed
        return str(err)


@frozen
class Head:
    """HEAD of a working tree with commits."""

    sha: str  # full sha
    shallow: bool  # the repository is a shallow clone: history before its boundary is missing


def head_of(repo: Path) -> Head:
    """HEAD of `repo` and whether it is a shallow clone, read with `repository_problem`'s checks in one git
    process. Raises NotARepository (exit 3) with `repository_problem`'s paragraph when there is a problem."""
    answers, code, said = _probe(repo)
    problem = _problem(repo, answers, code, said)
    if problem:
        raise NotARepository(problem)
    return Head(answers[3], answers[2] == "true")


def _probe(repo: Path) -> tuple[list[str], int, str]:
    """git's answers (bare, inside the work tree, shallow, HEAD's commit; the first three "true"/"false", none
    outside a repository, no sha without commits or when HEAD's commit is missing), its exit code and its
    stderr. Raises GitError as `git_run` does (NotARepository when git is not installed)."""
    probe = git_run(repo, "rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--is-shallow-repository",
                    "--verify", "-q", "HEAD^{commit}")
    return probe.out.split(), probe.code, probe.err


def _problem(repo: Path, answers: list[str], code: int, said: str = "") -> str:
    """`repository_problem`'s answer from `_probe`'s."""
    if len(answers) < 2:
        return _unreadable(repo, said)
    if answers[0] == "true":
        return (f"{repo} is a bare git repository: it has no working tree to gate and build. Clone it "
                f"(git clone {repo} SITE) and run the command in the clone.")
    if answers[1] != "true":
        return (f"{repo} is inside a repository's .git folder, not its working tree. Run the command in the "
                "repository's root (where deploy.toml is).")
    if code == 0:
        return ""
    branch = git_run(repo, "symbolic-ref", "--short", "-q", "HEAD").out.strip()
    named = git_run(repo, "rev-parse", "-q", "--verify", "HEAD").out.strip()
    if named:
        return (f"The git repository at {repo} is damaged: HEAD ({branch or 'detached'}) names commit {named[:12]}, "
                "which is not in the repository (git fsck lists what else is missing). Restore its .git folder "
                "from a backup, or clone the repository again, then run the command again.")
    others = git_run(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").out.split()
    if others:
        return (f"The git repository at {repo} has HEAD on {branch or 'a branch'}, which has no commits yet; its "
                f"commits are on {', '.join(others[:5])}. Check out the branch to release, e.g. git checkout "
                f"{others[0]}, then run the command again.")
    return (f"The git repository at {repo} has no commits yet, so there is nothing to release. Commit your site "
            'first, e.g. git add -A && git commit -m "feat: first version", then run the command again.')


def _unreadable(repo: Path, said: str) -> str:
    """Why git found no repository at `repo`, from what it `said` and the `.git` nearest above: another
    user's repository (git's safe.directory rule), a linked worktree's `.git` file naming a folder that is
    gone, a `.git` git does not read, or none at all."""
    owned = re.search(r"dubious ownership in repository at '([^']*)'", said)
    if owned:
        return (f"git refuses to read the repository at {owned[1]}: it belongs to another user than the one running "
                "this command (git's safe.directory rule; a CI container's checkout is often made by another "
                f"user). If you trust it, run git config --global --add safe.directory {owned[1]}, then run the "
                "command again.")
    dot = next((folder / ".git" for folder in (repo, *repo.parents) if os.path.lexists(folder / ".git")), None)
    if dot is not None and dot.is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            named = dot.read_text().partition("gitdir:")[2].strip()
            gitdir = Path(named) if Path(named).is_absolute() else dot.parent / named
            if named and not gitdir.is_dir():
                return (f"{dot} says the repository of this working tree is at {gitdir}, which does not exist (the "
                        "repository was moved or removed). Run git worktree repair in the repository's main working "
                        "tree, or clone the repository again, then run the command again.")
    if dot is not None and not os.environ.get("GIT_DIR"):
        return (f"{dot} is there, but git does not read it as a repository: it is damaged (e.g. its HEAD file no "
                "longer names a branch or a commit). Repair it, or clone the repository again, then run the command "
                "again.")
    elsewhere = next((f" ({name}={os.environ[name]} is set, and git looks there instead)"
                      for name in ("GIT_DIR", "GIT_WORK_TREE") if os.environ.get(name)), "")
    return (f"{repo} is not inside a git repository{elsewhere}. deploylib releases and deploys the commits of "
            "a git repository: run doit in your repository's root (where deploy.toml is), or make this folder "
            "one with git init, then commit your site.")


def looks_remote(url: str) -> bool:
    """Whether git reads `url` as a network address (scheme://…, or scp-like host:path) rather than a path."""
    return "://" in url or (":" in url and not url.startswith(("/", ".")))


def shown_url(url: str) -> str:
    """`url` as it may be shown to a user: a password or token in it (https://user:TOKEN@host/…) masked."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.partition("@")
    if not (sep and at and ":" in userinfo and "/" not in userinfo):
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{host}"


def local_remote_problem(base: Path, url: str) -> str:
    """Why git cannot publish to `url` when it names a repository on this machine (a path, relative to `base`,
    or a file:// URL): "" when it is a git repository, or when `url` is a network address (checking that would
    need the network). The answer continues a sentence naming the value: "is neither a URL nor …"."""
    if looks_remote(url) and not url.startswith("file://"):
        return ""
    local = Path(url.removeprefix("file://")) if url.startswith("file://") else base / url
    if not local.exists():
        return f"is neither a URL nor an existing path (looked for {local})"
    if git_run(local.parent, "ls-remote", "--heads", str(local)).ok:
        return ""
    kind = "a folder" if local.is_dir() else "a file"
    return f"is {kind} but not a git repository ({local}); make it one with git init --bare {local}"


def upstream_remote(repo: Path, branch: str) -> str:
    """The remote `branch`'s upstream is on (branch.<name>.remote; "." for a local branch), "" without one."""
    done = subprocess.run(["git", "config", "--get", f"branch.{branch}.remote"], cwd=repo, capture_output=True,
                          text=True, check=False)
    return done.stdout.strip()


def on_remote(repo: Path, remote: str) -> bool | None:
    """Whether HEAD is on a branch of `remote` as last fetched (its remote-tracking branches); None when
    the repository has no remote of that name. Nothing is fetched. Raises GitError (exit 1) when git fails."""
    if remote not in run_git(repo, "remote").split():
        return None
    return bool(run_git(repo, "branch", "-r", "--contains", "HEAD", "--list", f"{remote}/*").strip())


_NOT_CHANGES = (":(top,exclude,glob)**/__pycache__", ":(top,exclude,glob)**/__pycache__/**")


@frozen
class RepoState:
    """A working tree's state, as `git status --porcelain=v2 --branch` reports it."""

    head: str  # full sha; "" in a repository without commits
    branch: str  # "" when HEAD is detached
    upstream: str  # e.g. "origin/main"; "" without one
    ahead: int  # commits on the branch not on its upstream (as last fetched)
    behind: int  # commits on the upstream not on the branch
    changes: tuple[str, ...]  # porcelain lines for modified, staged and untracked (not ignored) paths
    boundary: str  # where a shallow clone's history stops (`shallow_boundary`); "" for a complete history

    @property
    def shallow(self) -> bool:
        return bool(self.boundary)


def repo_state(repo: Path) -> RepoState:
    """Branch, HEAD, upstream distance and uncommitted changes from a single `git status` (nothing fetched;
    ignored files are not changes). Python's bytecode caches are not changes either: importing dodo.py, what
    it imports, or the gate's tests writes them (unless PYTHONDONTWRITEBYTECODE), and a Vite or Hugo
    repository seldom ignores `__pycache__/`. Raises GitError (exit 1) when git fails, NotARepository
    (exit 3) when `repo` is not a repository with commits."""
    out = run_git(repo, "status", "--porcelain=v2", "--branch", "--untracked-files=normal", "--", *_NOT_CHANGES)
    head = branch = upstream = ""
    ahead = behind = 0
    changes = []
    for line in out.splitlines():
        if line.startswith("# branch.oid "):
            head = line.split()[2] if line.split()[2] != "(initial)" else ""
        elif line.startswith("# branch.head "):
            branch = "" if line.split()[2] == "(detached)" else line.split(" ", 2)[2]
        elif line.startswith("# branch.upstream "):
            upstream = line.split(" ", 2)[2]
        elif line.startswith("# branch.ab "):
            ahead, behind = int(line.split()[2]), -int(line.split()[3])
        elif not line.startswith("#"):
            changes.append(_porcelain_path(line))
    return RepoState(head, branch, upstream, ahead, behind, tuple(changes), shallow_boundary(repo))


def shallow_boundary(repo: Path) -> str:
    """Where a shallow clone's history stops: the commits `.git/shallow` lists, one a line ("" for a
    complete history). A fetch that deepens or completes the history changes it, and so the commits a
    version plan reads from the same HEAD. Never raises."""
    try:
        return (_common_dir(repo) / "shallow").read_text()
    except (OSError, UnicodeDecodeError):
        return ""


def _common_dir(repo: Path) -> Path:
    """The git folder a working tree's repository keeps its shared files in (`shallow`, refs), read from the
    files git writes (gitrepository-layout(5)): `.git` itself, or for a linked worktree (`.git` a file saying
    `gitdir: …`) the folder that worktree's `commondir` names. No process: the no-op run asks it. Raises
    OSError when the layout cannot be read."""
    dot = repo / ".git"
    if dot.is_dir():
        return dot
    gitdir = Path(dot.read_text().partition("gitdir:")[2].strip())
    gitdir = gitdir if gitdir.is_absolute() else repo / gitdir
    common = gitdir / "commondir"
    if not common.exists():
        return gitdir
    found = Path(common.read_text().strip())
    return found if found.is_absolute() else gitdir / found


def _porcelain_path(line: str) -> str:
    """`1 .M N... … path` / `? path` → the path (with the old path for renames)."""
    if line.startswith("?"):
        return line[2:]
    fields = line.split(" ", 8 if line.startswith("1") else 9 if line.startswith("2") else 10)
    return fields[-1].replace("\t", " <- ")


def is_ancestor(repo: Path, commit: str, of: str = "HEAD") -> bool:
    """Is `commit` in the history of `of` (a commit is its own ancestor)? Walks back from `of` only as far as
    it must. Any git failure, an unknown commit included, answers False; never raises for git's answer."""
    return git_run(repo, "merge-base", "--is-ancestor", commit, of).ok


def log_messages(repo: Path, *revisions: str) -> Iterator[tuple[str, str]]:
    """(sha, full message) of every commit in `revisions` (e.g. "v1.0.0..HEAD"), in `git log`'s default
    order (newest first). Raises GitError as `log_entries` does, once the stream ends."""
    return ((entry.sha, entry.message) for entry in log_entries(repo, *revisions))


def log_entries(repo: Path, *revisions: str) -> Iterator[Entry]:
    """Every commit in `revisions` (e.g. "v1.0.0..HEAD", or "v1.1.0", "^v1.0.0") with its parents, committer
    time and full message, in git's order, from one `git log` process, yielded as it streams so the
    caller's parsing overlaps git's reading. Messages are decoded as UTF-8 (undecodable bytes become
    U+FFFD). Raises GitError (exit 1) when git is missing, or, after the last entry, when git failed
    (e.g. an unknown revision); a caller that stops early never sees git's exit status."""
    from deploylib.release.versioning.history import Entry  # the git adapter itself does not load the planner's types

    process = _start(repo, ("log", "-z", "--format=%H%x1f%P%x1f%ct%x1f%B", *revisions, "--"),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    pending = b""
    with process:
        while chunk := process.stdout.read1(1 << 16):  # type: ignore[attr-defined]  # a BufferedReader
            *records, pending = (pending + chunk).split(b"\0")
            for record in records:
                sha, parents, time, message = record.split(b"\x1f", 3)
                yield Entry(sha.decode().strip(), tuple(parents.decode().split()), int(time or 0),
                            message.decode("utf-8", "replace"))
        error = process.stderr.read().decode().strip()
    if process.returncode != 0:
        raise _failure(repo, f"git log {' '.join(revisions)}", error)


_TAG_LIST = ("for-each-ref", "--format=%(refname:short)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)",
             "refs/tags")


def tag_refs(repo: Path) -> list[tuple[str, str, str]]:
    """(tag name, commit it names, creation date YYYY-MM-DD in UTC) of every tag, in one process. UTC, as
    the release stage dates a new release, so a section reads the same written then or regenerated.
    Names are short (without "refs/tags/"), sorted by name (for-each-ref's default); the date is "" for a
    tag git gives no date. Raises GitError (exit 1) when git fails."""
    return _tag_refs(run_git(repo, *_TAG_LIST))


def state_and_tags(repo: Path) -> tuple[RepoState, list[tuple[str, str, str]]]:
    """`repo_state` and `tag_refs` at once, their two gits run side by side: a run's uptodate checks need
    both. Raises as they do."""
    with GitStarted(repo, *_TAG_LIST) as listing:
        state = repo_state(repo)
        done = listing.result()
    if not done.ok:
        raise _failure(repo, "git for-each-ref", done.err.strip() or done.out.strip())
    return state, _tag_refs(done.out)


def _tag_refs(out: str) -> list[tuple[str, str, str]]:
    from datetime import UTC, datetime

    refs = []
    for line in out.splitlines():
        name, obj, peeled, stamp = line.split("\0")
        date = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d") if stamp else ""
        refs.append((name, peeled or obj, date))  # annotated tags name their commit through the tag object
    return refs



def tag_commit(repo: Path, tag: str) -> str:
    """The full sha of the commit a tag points at (an annotated tag peeled), or "" when there is no such
    tag or git fails; never raises."""
    try:
        return run_git(repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}").strip()
    except GitError:
        return ""


def tag_target(repo: Path, tag: str) -> tuple[str, str]:
    """(full sha, type) of what the tag finally names once annotated tags are peeled, the type being "commit",
    "tree" or "blob"; ("", "") when there is no such tag or git fails. One process; never raises."""
    try:
        done = git_run(repo, "cat-file", "--batch-check", stdin=f"refs/tags/{tag}^{{}}\n".encode())
    except GitError:
        return "", ""
    found = done.out.split()
    return (found[0], found[1]) if done.ok and len(found) == 3 else ("", "")


def source_fingerprint(repo: Path, excluded: Iterable[str],
                       rewritten: Mapping[str, Callable[[str], str]] | None = None) -> str:
    """A digest of HEAD's tracked files except `excluded` paths, each file in `rewritten` read through its
    rewrite: unchanged by a release commit that only touches the changelog and the version in version
    files, so an up-to-date build stays up to date after it is released, while any other change to those
    files changes it. `excluded` and `rewritten`'s keys: repository-relative POSIX paths; a rewrite gets
    the file's text (UTF-8, undecodable bytes replaced) and may raise ValueError, and the file then
    counts as it is. Returns a sha256 hex digest of the `git ls-tree -r` entries (mode, blob id, path; a
    rewritten file's blob id replaced by the sha256 of its rewritten text): the committed tree, not the
    working tree. Raises GitError (exit 1) when git fails."""
    skip, rewrites = set(excluded), rewritten or {}
    kept = []
    for entry in run_git(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD").split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        if path in skip:
            continue
        rewrite = rewrites.get(path)
        kept.append(_rewritten(repo, meta, path, rewrite) if rewrite is not None else entry)
    import hashlib  # only here: a publish never loads OpenSSL for it (~3 ms)

    return hashlib.sha256("\0".join(kept).encode()).hexdigest()


def _rewritten(repo: Path, meta: str, path: str, rewrite: Callable[[str], str]) -> str:
    """One ls-tree entry with its blob id replaced by the sha256 of the blob's rewritten text; the entry as
    it is when it is no blob or the rewrite refuses the text."""
    mode, kind, blob = meta.split(" ")
    if kind != "blob":
        return f"{meta}\t{path}"
    read = git_run(repo, "cat-file", "blob", blob)  # git_run: line endings as they are, unlike run_git
    if not read.ok:
        raise _failure(repo, f"git cat-file blob {blob}", read.err.strip())
    import hashlib

    try:
        digest = hashlib.sha256(rewrite(read.out).encode()).hexdigest()
    except ValueError:
        return f"{meta}\t{path}"
    return f"{mode} rewritten {digest}\t{path}"


def lock_files(repo: Path) -> list[Path]:
    """The lock files git has in `repo` now: `index.lock`, `HEAD.lock`, `packed-refs.lock`, `config.lock`,
    `refs/…/<name>.lock`, in the worktree's git folder and the repository's common one. git makes each
    beside the file it replaces and renames it over that file, so a git killed in between leaves it."""
    found: dict[Path, None] = {}
    for where in run_git(repo, "rev-parse", "--git-dir", "--git-common-dir").split("\n"):
        if where.strip():
            folder = repo / where.strip()
            found.update(dict.fromkeys([*folder.glob("*.lock"), *(folder / "refs").rglob("*.lock")]))
    return list(found)


def commit_paths(repo: Path, paths: list[str], message: str) -> str:
    """Commit the given paths (only them; other staged changes stay staged) and return the new commit's
    full sha. Hooks run (no --no-verify). Raises GitError (exit 1) naming the paths when git refuses."""
    try:
        run_git(repo, "add", "--", *paths)
        run_git(repo, "commit", "-q", "-m", message, "--", *paths)
    except GitError as err:
        raise GitError(f"Cannot commit {', '.join(paths)} in {repo}: {err}") from None
    return run_git(repo, "rev-parse", "HEAD").strip()


def create_tag(repo: Path, name: str, message: str, commit: str) -> None:
    """An annotated tag `name` on `commit` (a sha or revision) with `message`. Raises GitError (exit 1)
    when the tag exists or git refuses the name (git-check-ref-format(1))."""
    try:
        run_git(repo, "tag", "-a", "-m", message, "--", name, commit)
    except GitError as err:
        raise GitError(f"Cannot create the tag {name} in {repo}: {err}") from None


def push(repo: Path, remote: str, refspecs: list[str]) -> None:
    """Push all refspecs atomically (`git push --atomic`): either every ref updates on the remote or none
    does. `refspecs` as git takes them, e.g. ["HEAD:refs/heads/main", "refs/tags/v1.4.0"]. Raises
    GitError (exit 1) when `remote` is not configured or the push fails before the remote answers (e.g. the
    connection), and its subclass PushRefused naming each refused ref (and branch protection, when that
    is the cause) when the remote refused it: then nothing was pushed."""
    if remote not in run_git(repo, "remote").split():
        raise GitError(f'{repo} has no remote "{remote}". Add it (git remote add {remote} URL) or set '
                       "[release] remote in deploy.toml.")
    done = git_run(repo, "push", "--atomic", "--porcelain", remote, *refspecs)
    if done.ok:
        return
    refused = _refused_refs(done.out)
    error = PushRefused if refused else GitError
    raise error(_push_message(remote, refspecs, refused or done.err.strip(), bool(refused)))


def push_problem(repo: Path, remote: str, refspecs: list[str]) -> str:
    """What stops a push of `refspecs` to `remote`, found by a dry run that writes nothing anywhere (`git push
    --dry-run --atomic --no-verify`, as semantic-release's verifyConditions does): "" when git expects it to
    succeed, else git's words: a host that does not resolve, access refused, a remote branch that moved on
    (non-fast-forward), a tag the remote already has. A dry run never sends the update, so what the remote's
    own hooks (branch protection) would refuse is seen only by the real push. Costs one connection."""
    done = git_run(repo, "push", "--dry-run", "--atomic", "--no-verify", "--porcelain", remote, *refspecs)
    if done.ok:
        return ""
    said = " ".join(line.strip() for line in done.err.splitlines()
                    if line.strip() and not line.startswith(("error: failed to push", "hint:")))
    return _refused_refs(done.out) or said or f"git push exited with {done.code}"


def _refused_refs(porcelain: str) -> str:
    """The refused refs of `git push --porcelain` output ("<flag>\t<from>:<to>\t<summary>", flag "!"), as
    "refs/heads/main: [rejected] (fetch first); …", "" when none was refused. The refs an atomic push
    refused only because another was ("atomic push failed") are left out when the cause is named."""
    refused = [f"{fields[1].rpartition(':')[2]}: {fields[2].strip()}" for line in porcelain.splitlines()
               if line.startswith("!") and len(fields := line.split("\t")) >= 3]
    causes = [ref for ref in refused if not ref.endswith("(atomic push failed)")]
    return "; ".join(causes or refused)


def _push_message(remote: str, refspecs: list[str], detail: str, refused: bool) -> str:
    what = ", ".join(refspecs)
    if not refused:
        return (f"The push of {what} to {remote} failed: {detail}. Nothing was pushed (atomic push); "
                "fix the cause and run the release again: it resumes where it stopped.")
    fix = push_fix(detail, remote)
    kind = "by branch protection" if fix == _PROTECTED else "by the remote"
    return f"The push of {what} to {remote} was refused {kind}: {detail}. Nothing was pushed; {fix}"


_PROTECTED = ("allow the release user to push to the branch (or push the release commit and tag by hand), then "
              "run again.")
# (what git or the remote says, the fix), the first match wins; the source of each sign is git's own wording
# (transport.c, send-pack.c, http.c) or, for protection, a hook's refusal as git relays it.
_PUSH_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("could not resolve", "name or service not known", "temporary failure in name resolution"),
     "check its address (git remote set-url {remote} URL) and this machine's DNS, then run again."),
    (("fetch first", "non-fast-forward", "stale info"),
     "the remote branch has commits this clone lacks: pull them (git pull --rebase {remote}), then run again."),
    (("already exists",),
     "the remote already has this tag (another clone released this version): git fetch --tags {remote}, then "
     "run again."),
    (("protected", "hook declined"), _PROTECTED),
    (("checked out",),
     "it is a repository with that branch checked out, which git refuses to move: make the remote a bare "
     "repository (git clone --bare), then run again."),
    (("permission", "denied", "403", "401", "authentication failed", "could not read username"),
     "give this machine push access to it (an SSH key or a token with write permission), then run again."),
    (("connection refused", "timed out", "unreachable", "could not read from remote"),
     "make sure it is reachable from here, then run again."),
)


def push_fix(said: str, remote: str) -> str:
    """The fix for a push that git answered with `said` (its stderr or refused refs) to `remote`, as the end
    of a sentence: "pull them (git pull --rebase origin), then run again.". Pure: matches `_PUSH_FIXES`."""
    lowered = said.lower()
    return next((fix.format(remote=remote) for signs, fix in _PUSH_FIXES if any(sign in lowered for sign in signs)),
                "fix the remote, or set [release] push = false, then run again.")


@frozen
class NewCommit:
    """A commit `create_repository` makes: its message, the paths (relative to the repository) it adds,
    and an annotated tag on it with its message, or "" for none."""

    message: str
    paths: list[str]
    tag: str = ""
    tag_message: str = ""


def create_repository(app: Path, origin: Path, identity: tuple[str, str], commits: Iterable[NewCommit]) -> None:
    """Make `app` (a folder holding files) a repository on branch main committing as `identity` (name,
    email), with `commits` made in order, pushed with their tags to a new bare repository `origin` set as
    its upstream. Raises GitError when git fails."""
    import git

    try:
        git.Repo.init(origin, bare=True, initial_branch="main")
        repo = git.Repo.init(app, initial_branch="main")
        with repo.config_writer() as config:
            config.set_value("user", "name", identity[0])
            config.set_value("user", "email", identity[1])
        for commit in commits:
            repo.index.add(commit.paths)
            repo.index.commit(commit.message)
            if commit.tag:
                repo.create_tag(commit.tag, message=commit.tag_message)
        repo.create_remote("origin", str(origin))
        repo.git.push("--set-upstream", "--follow-tags", "origin", "main")
    except git.GitError as err:
        raise GitError(f"Cannot create the repository {app}: {err}") from None
