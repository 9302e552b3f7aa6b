"""GitHub Pages, or any git remote serving a branch: each release is one commit on the branch.

`deploy` builds the commit in a bare cache repository with one `git fast-import` process fed as the
artifact is read (no working tree, no file lists on a command line): the artifact's files, a
`.nojekyll`, and the CNAME (a configured domain wins, else the artifact's own, else the one already on
the branch — never silently dropped), with the branch's tip as parent so history is kept and a
one-file change pushes a few objects. `activate` pushes it with --force-with-lease on the tip it was
built on, so a concurrent publish is detected, not overwritten. The commit message carries the version
and digest, so what is live is read back from the remote's tip. Rollback publishes the older release's
tree as a new commit, or (rollback = "reset") moves the branch back to that release's commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from deploylib import jsontext, report
from deploylib.config.refname import branch_problem
from deploylib.config.schema import hostname_problem, nonempty_problem, option, optional
from deploylib.errors import GitError, NeedsForce, TargetError
from deploylib.git import GitFeed, GitRun, GitStarted, git_run, git_words, local_remote_problem, looks_remote
from deploylib.model import Artifact, Release
from deploylib.state.atomic import read_regular, write_atomically
from deploylib.state.lock import LockHolder
from deploylib.targets.base import Target
from deploylib.targets.history import FILE_NAME, History, append_activation, from_pages_records, read_history
from deploylib.values import frozen

_TRAILERS = ("deploylib-version", "deploylib-digest", "deploylib-commit", "deploylib-release", "deploylib-tree")
_IDENTITY = "deploylib <deploylib@localhost>"
# OWNER/NAME in a GitHub remote: https://github.com/O/N(.git), git@github.com:O/N.git, ssh://git@github.com/O/N
_GITHUB_REPO = re.compile(r"github\.com[:/](?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+?)/?$")
_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # a git object id, sha1 or sha256
_EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of the empty file (.nojekyll)
_WRITES = frozenset({"fetch", "update-ref", "config", "repack"})  # gits that write in the cache (and fast-import)
# fast-import keeps what it writes as one pack (fastimport.unpackLimit=0): exploding a publish's few objects into
# loose files costs a git process of its own, more than the rest of fast-import's work on a one-file change.
# Once more packs than git's own gc.autoPackLimit have gathered, cleanup makes them one.
_PACK_LIMIT = 50


def _remote_problem(remote: str) -> str:
    """"" for a URL or path git can be given as a remote: not empty, no control characters, no leading "-"."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in remote):
        return "contains a control character"
    return 'starts with "-", which git would read as an option' if remote.startswith("-") else \
        nonempty_problem(remote)


@frozen
class PagesOptions:
    """The options of a `type = "github-pages"` target: the remote and branch that are served."""

    remote: str = option(doc='the git remote to publish to, e.g. "git@github.com:acme/site.git" or a path',
                         check=_remote_problem)
    branch: str = option("gh-pages", doc='the branch that is served, a valid git branch name, e.g. "gh-pages"',
                         check=branch_problem)
    cname: str = option("", doc='the custom domain to write into CNAME, e.g. "www.example.com"',
                        check=optional(hostname_problem))
    rollback: str = option("commit", doc='"commit" (publish the older tree as a new commit) or "reset" (move the '
                                         "branch back to the older release's commit)",
                           check=lambda v: "" if v in ("commit", "reset") else "is not commit or reset")


@frozen
class _Built:
    """A release's commit in the cache, and the tip it was built on (the lease)."""

    release: Release
    commit: str
    tree: str
    base: str  # the branch tip when it was built ("" for the branch's first commit)


class _Unlisted(TargetError):
    """git could not list the tip's files: e.g. its objects were removed from the cache while a ref there (which
    live() trusts without asking git) still names it."""


@frozen
class _Made:
    """What a commit on the branch says about itself."""

    trailers: dict[str, str]  # deploylib's trailers, empty on a commit deploylib did not make
    foreign: str  # a description of a commit deploylib did not make, "" for its own
    author: str
    when: str  # author time, ISO 8601

    @property
    def release(self) -> str:
        return self.trailers.get("deploylib-release", "")


class PagesTarget(Target):
    """A branch of a git remote (see the module's docstring). Raises TargetError when git fails, the remote
    cannot be reached, or something deploylib did not publish would be replaced without `force`."""

    Options = PagesOptions
    options: PagesOptions

    def __init__(self, options: PagesOptions, root: Path, environment: str) -> None:
        super().__init__(options, root, environment)
        self.base = self.state_folder
        self.cache = self.base / "pages.git"
        self.record = self.base / "releases.json"  # release id -> commit, tree (older versions: activations too)
        self.revisions = self.base / FILE_NAME
        local = root / options.remote
        self.remote = str(local) if not looks_remote(options.remote) and local.exists() else options.remote
        self._in_cache = ""  # the last remote tip known to be in the cache (git is not asked again)
        self._locked = False  # this object holds the deploy lock (see `lock`)
        self._seen_tip: str | None = None  # the remote's tip as live() read it while the lock was held
        # a commit's files, being listed ahead for deploy() (see `live`)
        self._listed: tuple[str, contextlib.AbstractContextManager[GitStarted | None]] | None = None

    def describe(self) -> str:
        return f"branch {self.options.branch} of {self.options.remote}"

    def places(self) -> frozenset[str]:
        remote = self.remote if looks_remote(self.remote) else str(Path(self.remote).resolve())
        return frozenset({f"branch {self.options.branch} of {remote}"})

    @classmethod
    def url_hint(cls, options: PagesOptions) -> str:
        if options.cname:
            return f'Add it: with cname = "{options.cname}", url = "https://{options.cname}".'
        found = _GITHUB_REPO.search(options.remote)
        if not found:
            return ('Add the address GitHub Pages serves the branch on, e.g. url = "https://OWNER.github.io/REPO" '
                    '(or your custom domain).')
        owner, name = found["owner"], found["name"].removesuffix(".git")
        site = f"https://{owner.lower()}.github.io" + ("" if name.lower() == f"{owner.lower()}.github.io" else
                                                       f"/{name}")
        return f'Add the address GitHub Pages serves {owner}/{name} on: url = "{site}" (or your custom domain).'

    def problem(self) -> str:
        problem = local_remote_problem(self.root, self.options.remote)
        if not problem:
            return ""
        fix = ", or name the repository to publish to" if "git init" in problem else ""
        return f'remote = "{self.options.remote}" {problem}{fix}'

    @contextlib.contextmanager
    def lock(self, holder: LockHolder, wait: float) -> Iterator[LockHolder | None]:
        """The deploy lock (Target.lock). While it is held, deploy() builds on the tip live() read in it
        instead of asking the remote again (one round trip less; over SSH, a connection): no other
        deploylib run can publish meanwhile, and anyone else who does fails the push's lease, so the
        commit is never placed over what live() did not see (it is refused, nothing overwritten)."""
        with super().lock(holder, wait) as left_behind:
            self._locked = True
            try:
                yield left_behind
            finally:
                self._locked, self._seen_tip = False, None
                self._drop_listed()

    # -- git in the cache ----------------------------------------------------------------------------

    def _run(self, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> GitRun:
        """git in the cache (deploylib.git's runner); TargetError when git itself cannot run there. A git that
        writes in the cache runs under the cache's flock (`_cache_lock`)."""
        try:
            with self._cache_lock() if args[0] in _WRITES else contextlib.nullcontext():
                return git_run(self.cache, *args, stdin=data, env=env)
        except GitError as err:
            raise self._cannot_run(args[0], err) from None

    def _cannot_run(self, command: str, err: GitError) -> TargetError:
        """git could not run in the cache at all (deploylib.git's reason), as a TargetError."""
        return TargetError(f"git {command} cannot run for {self.describe()}: {err}")

    def _git(self, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
        done = self._run(*args, data=data, env=env)
        if not done.ok:
            raise TargetError(f"git {args[0]} failed for {self.describe()}: {git_words(done.err)}.")
        return done.out

    @contextlib.contextmanager
    def _cache_lock(self) -> Iterator[None]:
        """Every git that writes in the cache runs under this flock (`cache.lock` beside it), from any
        process: so a lock file found in the cache once it is taken (`refs/…/x.lock`, `packed-refs.lock`)
        was left by a git killed with its run, and is removed; git would refuse every later write there."""
        try:
            self.base.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.base / "cache.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise TargetError(f"Cannot lock the GitHub Pages cache in {self.base}: {err.strerror}. Make it writable "
                              "(and give its disk free space), then run the command again.") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for stale in [*self.cache.glob("*.lock"), *(self.cache / "refs").rglob("*.lock")]:
                stale.unlink(missing_ok=True)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def _ensure_cache(self) -> None:
        """Make the cache (a bare repository) when it is missing. Anything but a folder in its place (a file, a
        link to nowhere) is moved aside, kept as `pages.git.corrupt-<time>`, with a warning: it is only a cache
        of the remote's branch. Raises TargetError when it cannot be moved."""
        if os.path.lexists(self.cache) and not self.cache.is_dir():
            from datetime import UTC, datetime

            kept = self.cache.with_name(f"{self.cache.name}.corrupt-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
            try:
                os.replace(self.cache, kept)
            except OSError as err:
                raise TargetError(f"The GitHub Pages cache {self.cache} is not a folder and cannot be moved aside: "
                                  f"{err.strerror}. Move it away, then run the command again.") from None
            report.state_warning("pages cache", f"{self.cache} was not a folder; kept it as {kept.name} and started "
                                 "a new cache of the remote's branch")
        if not (self.cache / "HEAD").exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            self._git("init", "-q", "--bare")
            # Fast zlib: a site's images do not compress anyway, and publishing time is what users wait on.
            for key in ("core.compression", "pack.compression"):
                self._git("config", key, "1")

    def _remote_tip(self) -> str:
        """The branch's commit on the remote, "" when the remote has no such branch."""
        return self._tip_in(self._run("ls-remote", "--heads", self.remote, self.options.branch))

    def _asking_remote(self) -> GitStarted:
        """`_remote_tip`'s question, started: the answer is read with `_tip_in(….result())`."""
        try:
            return GitStarted(self.cache, "ls-remote", "--heads", self.remote, self.options.branch)
        except GitError as err:
            raise self._cannot_run("ls-remote", err) from None

    def _tip_in(self, done: GitRun) -> str:
        """The branch's commit in ls-remote's answer, "" when the remote has no such branch."""
        if not done.ok:
            raise TargetError(f"Cannot reach {self.options.remote}: {git_words(done.err)}. Check the remote in "
                              f"deploy.toml and your access to it.")
        return next((line.split()[0] for line in done.out.splitlines()
                     if line.endswith(f"refs/heads/{self.options.branch}")), "")

    def _fetch_tip(self) -> str:
        """The remote's tip, fetched into the cache unless the cache already has that commit."""
        self._ensure_cache()
        tip, self._seen_tip = self._remote_tip(), None  # a newer look than live()'s: deploy() looks afresh too
        if tip and tip != self._in_cache and not self._run("cat-file", "-e", f"{tip}^{{commit}}").ok:
            self._fetch()
        self._in_cache = tip  # objects stay: the fetched tip is kept by its ref, ours by refs/deploylib/*
        return tip

    def _fetch(self) -> None:
        self._git("fetch", "-q", "--no-tags", self.remote,
                  f"+refs/heads/{self.options.branch}:refs/remotes/pages/{self.options.branch}")

    # -- the record of releases -------------------------------------------------------------------

    def _records(self) -> dict[str, dict[str, object]]:
        try:
            records = jsontext.loads(read_regular(self.record))
        except (OSError, ValueError):
            return {}
        return records if isinstance(records, dict) else {}  # not ours any more: the remote's tip still tells

    def _save(self, records: dict[str, dict[str, object]]) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        write_atomically(self.record, json.dumps(records, indent=1))

    def _history(self, records: dict[str, dict[str, object]]) -> History:
        return read_history(self.revisions, from_pages_records(records))

    @staticmethod
    def _release(release_id: str, record: dict[str, object]) -> Release:
        return Release(id=release_id, version=str(record["version"]), digest=str(record["digest"]),
                       commit=str(record["source"]))

    # -- the Target interface --------------------------------------------------------------------

    def live(self) -> Release | None:
        self._ensure_cache()
        with self._asking_remote() as asked:  # what deploylib recorded is read while the remote answers
            records = self._records()
            history = self._history(records)
            last = history.last()
            # a commit id (the state files could hold anything: it is given to git before the remote confirms it)
            ours = last.commit if last and last.release_id in records and _OBJECT_ID.fullmatch(last.commit) and \
                self._kept(last.release_id) == last.commit else ""
            if ours and self._locked:  # the tip is most likely ours: its files are listed for deploy() meanwhile
                self._list_ahead(ours)
                from deploylib import events  # noqa: F401 -- deploy()'s modules, loaded while git works
                from deploylib.build import artifact  # noqa: F401
            tip = self._tip_in(asked.result())
        self._seen_tip = tip if self._locked else None
        if tip != ours:
            self._drop_listed()
        if not tip:
            return None
        if last and tip == ours:
            # Where deploylib last put the branch, and its ref in the cache still names that commit: a commit id
            # names the commit's whole content (git's object model), so git need not be asked what it is.
            self._in_cache = tip
            return history.stamped(self._release(last.release_id, records[last.release_id]))
        # What made the tip, fetched first when the cache lacks it (the look itself tells: no cat-file first).
        made = self._made(tip, fetch=tip != self._in_cache)
        self._in_cache = tip
        if made.foreign:
            return Release(id=tip[:12], version="", digest="", commit="", activated_at=made.when,
                           activated_by=made.author, foreign=made.foreign)
        if made.release in records:
            return history.stamped(self._release(made.release, records[made.release]))
        return Release(id=made.release, version=made.trailers.get("deploylib-version", ""),
                       digest=made.trailers["deploylib-digest"], commit=made.trailers.get("deploylib-commit", ""))

    def _kept(self, release_id: str) -> str:
        """The commit the cache's ref for a release names, read from its file (gitrepository-layout(5):
        refs/…); "" when it has none, or git keeps it elsewhere (packed-refs, reftable): then git is asked."""
        try:
            return read_regular(self.cache / "refs" / "deploylib" / release_id).decode().strip()
        except (OSError, ValueError):
            return ""

    def _made(self, commit: str, fetch: bool = False) -> _Made:
        """Who made a commit (in the cache; with `fetch`, fetched from the remote's branch if it is not):
        deploylib, when its trailers say so and its files are the ones they name (its tree is the
        `deploylib-tree` trailer's, or the tree recorded for its release here), or someone else, also when
        they copied deploylib's message onto other files."""
        look = ("log", "-1", "--format=%an%x1f%aI%x1f%T%x1f%s%x1f%B", commit)
        done = self._run(*look)
        if fetch and not done.ok:
            self._fetch()
            done = self._run(*look)
        if not done.ok:
            raise TargetError(f"git log failed for {self.describe()}: {git_words(done.err)}.")
        shown = done.out
        author, when, tree, subject, body = shown.split("\x1f", 4)
        trailers = dict(line.split(": ", 1) for line in body.splitlines()
                        if line.startswith(_TRAILERS) and ": " in line)
        named = trailers.get("deploylib-tree") or str(self._records().get(trailers.get("deploylib-release", ""),
                                                                          {}).get("tree", ""))
        if "deploylib-digest" in trailers and named == tree:
            return _Made(trailers, "", author, when)
        copied = " (it carries deploylib's trailers, but not the files they name)" if trailers else ""
        foreign = f'commit {commit[:7]} "{subject}" by {author}, authored {when}, not published by deploylib{copied}'
        return _Made({}, foreign, author, when)

    def releases(self) -> list[Release]:
        """Every release built for this target, oldest activation first (never-activated ones first of all)."""
        records = self._records()
        return self._history(records).ordered(self._release(rid, r) for rid, r in records.items())

    def deploy(self, artifact: Artifact) -> Release:
        tip = self._fetch_tip() if self._seen_tip is None else self._seen_tip
        self._seen_tip = None  # one deploy per look
        release = Release(id=artifact.release_id, version=artifact.version, digest=artifact.digest,
                          commit=artifact.commit)
        try:
            built = self._commit(release, tip, self._tree_stream(artifact, tip))
        except _Unlisted:  # nothing was committed: fetched again, the tip is listed if the remote still has it
            self._fetch()
            built = self._commit(release, tip, self._tree_stream(artifact, tip))
        records = self._records()
        records[release.id] = {**records.get(release.id, {}), "version": release.version, "digest": release.digest,
                               "source": release.commit, "commit": built.commit, "tree": built.tree,
                               "base": built.base}
        self._save(records)
        return release

    def _tree_stream(self, artifact: Artifact, tip: str) -> Iterator[bytes]:
        """fast-import file commands for the artifact's files, .nojekyll and the CNAME, as changes to the
        branch's tip (the commit's parent), made as the artifact is read: a file whose blob and mode are
        already there needs no command, so only changed files are read from the artifact and written, and
        files the artifact lacks are deleted. Without a tip, every file. The tip's files are listed by git
        while the manifest is read. Progress through the files written is emitted as it goes. Raises
        ArtifactError (from FileReader) part-way for a file that is not what the manifest says, _Unlisted
        before any command when git cannot list the tip's files."""
        kept = {".nojekyll"} | ({"CNAME"} if not self.options.cname else set())  # ours, not the artifact's
        if not tip:
            yield b"deleteall\n"
        from deploylib import events
        from deploylib.build.artifact import FileReader, git_file_mode

        with self._listing(tip) as listing, FileReader(artifact) as files:
            changed, on_tip = self._changes(listing, files.listing())
            yield from (b"D " + _quote(path) + b"\n" for path in sorted(on_tip) if path not in kept
                        and not files.has(path))
            total = len(changed)
            step = max(1, total // 50)  # about 50 updates, however many files
            for number, path in enumerate(sorted(changed), 1):
                if number % step == 0 or number == total:
                    events.emit(events.Progress(f"pages {self.options.branch}", number, total, "files"))
                entry = files.entry(path)
                mode, had = git_file_mode(int(entry["mode"])), on_tip.get(path)  # type: ignore[call-overload]
                if had is not None and had[1] == entry["blob"]:  # the same bytes, another mode
                    yield f"M {mode} {entry['blob']} ".encode() + _quote(path) + b"\n"
                else:
                    yield f"M {mode} inline ".encode() + _quote(path) + b"\n" + _data(files.read(path))
            nojekyll = on_tip.get(".nojekyll") != ("100644", _EMPTY_BLOB) or files.has(".nojekyll")
        if nojekyll:  # always the empty one
            yield b"M 100644 inline .nojekyll\n" + _data(b"")
        if self.options.cname:  # a configured domain wins over the artifact's CNAME and the branch's
            yield b"M 100644 inline CNAME\n" + _data(self.options.cname.encode() + b"\n")

    def _listing(self, tip: str) -> contextlib.AbstractContextManager[GitStarted | None]:
        """`git ls-tree` of the tip's files, started (None without a tip); the one live() started when it
        lists this very commit."""
        if not tip:
            return contextlib.nullcontext()
        if self._listed and self._listed[0] == tip:
            listed, self._listed = self._listed[1], None
            return listed
        try:
            return GitStarted(self.cache, "ls-tree", "-r", "-z", tip)
        except GitError as err:
            raise self._cannot_run("ls-tree", err) from None

    def _list_ahead(self, commit: str) -> None:
        """Start listing `commit`'s files for a deploy() that may follow (`_listing` hands it over); stopped
        unread when the deploy lock is released."""
        self._drop_listed()
        with contextlib.suppress(TargetError):  # only a head start: deploy() runs git again and says what failed
            self._listed = (commit, self._listing(commit))

    def _drop_listed(self) -> None:
        if self._listed:
            listed, self._listed = self._listed[1], None
            listed.__exit__(None, None, None)

    def _changes(self, listing: GitStarted | None, wanted: set[str]) -> tuple[list[str], dict[str, tuple[str, str]]]:
        """The artifact's paths the tip (`listing`'s answer) does not hold with the very mode and blob, and
        path -> (mode, blob id) of the tip's files that are not the artifact's. `wanted` holds the lines
        ls-tree prints for the artifact's files (FileReader.listing), so the two are compared as sets of whole
        lines and only the lines that differ are split."""
        if listing is None:
            return [line.partition("\t")[2] for line in wanted], {}
        done = listing.result()
        if not done.ok:
            raise _Unlisted(f"git ls-tree failed for {self.describe()}: {git_words(done.err)}.")
        lines = set(done.out.split("\0"))
        lines.discard("")
        others = {}
        for line in lines.difference(wanted):
            meta, path = line.split("\t", 1)
            mode, _, blob = meta.split()
            others[path] = (mode, blob)
        return [line.partition("\t")[2] for line in wanted - lines], others

    def _commit(self, release: Release, parent: str, files: Iterable[bytes]) -> _Built:
        """The release's commit on `parent` (its ref `refs/deploylib/<release>`), from one fast-import fed
        `files` as they are made: the tree is written and asked back (`ls`), then the commit itself, whose
        message names that tree (`deploylib-tree`), so a copy of the message on other files is told apart.
        The stream declares `done`, and git is killed when making `files` raises: a stream cut short (an
        artifact refused part-way, a killed run) sets no ref. Raises TargetError when git fails."""
        ref = f"refs/deploylib/{release.id}"
        who = f"{_IDENTITY} {int(time.time())} +0000"
        base = f"from {parent}\n".encode() if parent else b""  # the file commands are changes to its tree
        # --depth=1: short delta chains; long ones cost more time than the bytes they save on a site.
        with self._cache_lock(), self._feed("fast-import", "--quiet", "--force", "--depth=1") as feed:
            feed.write(b"feature done\n" + f"commit {ref}\ncommitter {who}\n".encode() + _data(b"tree\n") + base)
            for command in files:
                feed.write(command)
            tree = feed.ask(b'ls ""\n').partition("\t")[0].rpartition(" ")[2]  # "040000 tree <id>\t"
            message = (f"Deploy {release.version} ({release.digest})\n\n"
                       f"deploylib-release: {release.id}\ndeploylib-version: {release.version}\n"
                       f"deploylib-digest: {release.digest}\ndeploylib-commit: {release.commit}\n"
                       f"deploylib-tree: {tree}\n")
            feed.write(f"reset {ref}\ncommit {ref}\nmark :1\nauthor {who}\ncommitter {who}\n".encode() +
                       _data(message.encode()) + base + f'M 040000 {tree} ""\n'.encode())
            commit = feed.ask(b"get-mark :1\n")
            feed.write(b"done\n")
            done = feed.finish()
        if not done.ok or not (_OBJECT_ID.fullmatch(tree) and _OBJECT_ID.fullmatch(commit)):
            raise TargetError(f"git fast-import failed for {self.describe()}: {git_words(done.err) or 'no answer'}.")
        return _Built(release, commit, tree, parent)

    def _feed(self, *args: str) -> GitFeed:
        try:
            return GitFeed(self.cache, "-c", "fastimport.unpackLimit=0", *args)
        except GitError as err:
            raise self._cannot_run(args[0], err) from None

    def activate(self, release: Release, by: str, force: bool = False) -> None:
        """Publish `release`. Over a tip deploylib did not make (no trailers), or (rollback = "reset") over
        history holding such commits, only with `force`. A tip that is this very release, published by a
        run killed before it recorded so, is recognised by its trailers and the publish is completed."""
        records = self._records()
        record = records.get(release.id)
        if record is None and release.foreign:
            self._restore_foreign(release, force)
            return
        if record is None:
            raise TargetError(f"Release {release.id} was never built for {self.describe()}; it cannot be published.")
        commit, history = str(record["commit"]), self._history(records)
        # A release built just now goes on top of the tip it was built on: the lease says so, and no
        # look at the remote is needed first. Otherwise (or when that tip moved) see what is there.
        if release.id in history or not self._push(commit, lease=str(record["base"])):
            tip = self._fetch_tip()
            if tip and tip in {commit, *history.commits(release.id)}:
                return  # already live: nothing to publish
            made = self._made(tip) if tip else None
            if made and made.release == release.id and self._git("rev-parse", f"{tip}^{{tree}}").strip() == \
                    record["tree"]:
                commit = tip  # published by a run that died before recording it: record it now
            elif made and tip != record["base"] and tip != commit:
                if made.foreign and not force:
                    raise TargetError(self._foreign_refusal(made.foreign))
                # The branch holds another release (a rollback, or releases prepared together): publish this
                # release's tree on top of the tip, or move the branch back to its commit.
                if self.options.rollback == "commit":  # the whole root set to the release's tree
                    commit = self._commit(release, tip, [f'M 040000 {record["tree"]} ""\n'.encode()]).commit
                else:
                    self._refuse_dropping_foreign(commit, tip, force)
            if commit != tip and not self._push(commit, lease=tip):
                raise TargetError(f"{self.describe()} changed while deploylib was publishing (someone else "
                                  "published): nothing was overwritten. Run the deploy again.")
        append_activation(self.revisions, release, by, self.describe(), commit)

    def _foreign_refusal(self, what: str) -> str:
        return (f"{self.describe()} serves {what}: someone else published. Nothing was overwritten: deploylib "
                "never replaces a commit it did not make unless told to. Deploy again to publish on top of it, or "
                f"roll back over it with {report.doit_command('rollback', self.environment, '--force')}.")

    def _refuse_dropping_foreign(self, commit: str, tip: str, force: bool) -> None:
        """Moving the branch from `tip` back to `commit` drops the commits between; refuse when one of them
        is not deploylib's, unless `force`."""
        if force:
            return
        dropped = [c for c in self._git("rev-list", f"{commit}..{tip}").split() if self._made(c).foreign]
        if dropped:
            raise NeedsForce(f'Moving {self.describe()} back (rollback = "reset") would drop '
                              f"{self._made(dropped[0]).foreign}" + (f" and {len(dropped) - 1} more" if len(dropped) > 1
                                                                    else "") + ". Nothing was changed; run the "
                              'rollback again with --force to drop it, or set rollback = "commit" to keep history.')

    def _restore_foreign(self, release: Release, force: bool) -> None:
        """Put back a commit deploylib did not make (it was live before a deploy that failed validation):
        the branch moves back to it, dropping only what was published on top of it."""
        commit = self._git("rev-parse", f"{release.id}^{{commit}}").strip()
        tip = self._fetch_tip()
        if tip == commit:
            return
        self._refuse_dropping_foreign(commit, tip, force)
        if not self._push(commit, lease=tip):
            raise TargetError(f"{self.describe()} changed while deploylib was restoring {release.foreign} (someone "
                              "else published): nothing was overwritten.")

    def _push(self, commit: str, lease: str) -> bool:
        """Set the branch to `commit` if it still is at `lease` ("" : absent); False when it is not."""
        self._ensure_cache()
        done = self._run("push", "-q", "--porcelain", f"--force-with-lease=refs/heads/{self.options.branch}:{lease}",
                         self.remote, f"{commit}:refs/heads/{self.options.branch}")
        if done.ok:
            self._seen_tip = None  # the branch moved
            return True
        if any(why in done.out for why in ("stale info", "rejected", "fetch first")):  # porcelain: on stdout
            return False
        raise TargetError(f"Publishing to {self.describe()} failed: {git_words(done.err or done.out)}.")

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        """Forget the oldest releases' cache refs (the branch keeps its history on the remote), and once more
        than `_PACK_LIMIT` packs are in the cache, make them one, without what no kept ref reaches."""
        records = self._records()
        old = [r.id for r in self.releases()[:-keep or None] if r.id not in protect]
        for release_id in old:
            self._git("update-ref", "-d", f"refs/deploylib/{release_id}")
            records.pop(release_id, None)
        if old:
            self._save(records)
        with contextlib.suppress(FileNotFoundError):  # no cache yet: nothing was published
            if sum(name.endswith(".pack") for name in os.listdir(self.cache / "objects" / "pack")) > _PACK_LIMIT:
                self._git("repack", "-a", "-d", "-q")
        return []


def _data(payload: bytes) -> bytes:
    return f"data {len(payload)}\n".encode() + payload + b"\n"


def _quote(path: str) -> bytes:
    """A path as fast-import reads it: C-style quoted when it has spaces, quotes or control characters."""
    if any(c in path for c in ' "\\\n\t') or not path.isprintable():
        return json.dumps(path).encode()
    return path.encode()

