"""Servers reached over SSH, each in Capistrano's layout (see layout.py) plus `shared/`.

deploy   the artifact is unpacked once on this machine (a staging copy: the previous one updated in
         place, so unchanged files keep their times), then rsync'd to every host at once into
         releases/.partial-<id> with --link-dest on the host's live release, so only the delta
         moves; verified there with sha256sum against the manifest; `shared` paths linked in;
         renamed to releases/<id>; its metadata written last (until then it is incomplete).
rollout  the canary (first) host alone, then `batch_size` hosts at a time, validated in between;
         each switch is a temporary symlink renamed over `current` (`mv -T`).
lock     a `.deploy-lock` folder made with mkdir (atomic) on every host, holding who/where/pid/when.
live     what the last host serves: a rollout switches it last, so after an interrupted rollout the
         environment still counts as serving the release it had, and the next deploy completes it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import random
import shlex
import shutil
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TypeVar

from deploylib import jsontext, report
from deploylib.build.artifact import Manifest, load_manifest
from deploylib.config.schema import option, positive_seconds_problem, url_problem
from deploylib.errors import ArtifactError, LockHeld, TargetError
from deploylib.model import Artifact, Release, host_name
from deploylib.sizes import format_size
from deploylib.state.lock import LockHolder, stale_reason, still_running
from deploylib.targets.base import Batch, Kept, Target
from deploylib.targets.history import FILE_NAME, History
from deploylib.targets.layout import parse_release, release_json, to_remove
from deploylib.targets.ssh_client import Endpoint
from deploylib.targets.store import ReleaseStore
from deploylib.values import frozen

_LOCK_POLL_S = 0.5
# Script lines around a change that may alter the ctime of live files (see Host.remove).
STAMP_CHECK = """live=$(readlink current 2>/dev/null || true)
fresh=
if [ -n "$live" ] && [ -f "$live.json" ]; then
  [ -n "$(find current/ -type f -cnewer "$live.json" | head -n 1)" ] || fresh=1
fi
"""
STAMP_RENEW = """[ -z "$fresh" ] || touch -- "$live.json"
"""
_VERIFY_FAILED = 4  # the finish script's exit code when the tree does not match the manifest
_LIVE_CHANGED = 5  # ... when live files changed since they were verified, so every file must be hashed
T = TypeVar("T")
q = shlex.quote


def _shared_problem(paths: list[str]) -> str:
    for path in paths:
        parts = PurePosixPath(path.rstrip("/")).parts
        if not parts or path.startswith("/") or ".." in parts or "." in parts:
            return f'has "{path}", which is not a plain relative path inside the release'
    return ""


@frozen
class SshHostOptions:
    """One entry of an SSH target's `hosts` array: a host, its deploy folder and where checks reach it."""

    address: str = option(doc='"[user@]host" or an alias from your ssh config, e.g. "deploy@web1.example.com"',
                          check=lambda v: "" if v and v.isprintable() and not v.startswith("-") and " " not in v
                          else "is not a host address")
    port: int = option(0, doc="the ssh port (0: from your ssh config, else 22)",
                       check=lambda v: "" if 0 <= v <= 65535 else "is not a TCP port")
    path: str = option("", doc="this host's deploy folder, when it differs from the target's path")
    url: str = option("", doc='where checks reach this host directly, e.g. "http://web1.internal:8080" '
                              "(empty: the environment's url)", check=url_problem)


@frozen
class SshOptions:
    """`[environments.NAME.target]` with type = "ssh"; durations in seconds (`lock_ttl_s`, formerly `lock_ttl`)."""

    hosts: tuple[SshHostOptions, ...] = option(
        doc='an array of tables, e.g. hosts = [{address = "deploy@web1"}, {address = "deploy@web2"}]',
        check=lambda hosts: "" if hosts and len({h.address for h in hosts}) == len(hosts)
        else "must list at least one host, each once")
    path: str = option(doc='the deploy folder on the hosts, absolute or relative to the login\'s home, '
                           'e.g. "/srv/www/site"', check=lambda v: "" if v.strip() else "is empty")
    shared: list[str] = option(factory=list, doc='an array of paths kept across releases in <path>/shared and '
                                                 'linked into each one; a trailing / marks a folder, e.g. '
                                                 '["uploads/", ".env"]', check=_shared_problem)
    batch_size: int = option(0, doc="how many hosts switch at a time after the canary (0: all the rest at once)",
                             check=lambda v: "" if v >= 0 else "is negative")
    canary: bool = option(True, doc="true or false: switch and validate the first host alone before the others")
    ssh_config: str = option("", doc="an ssh config file to use instead of ~/.ssh/config")
    strict_host_keys: bool = option(True, doc="true or false: refuse hosts whose key is not in known_hosts "
                                              "(false accepts a new host's key, never a changed one)")
    lock_ttl_s: int = option(3600, doc="seconds after which a deploy lock whose holder cannot be checked is stale",
                             check=positive_seconds_problem, was="lock_ttl")


@frozen
class HostState:
    """What one host holds, read in one ssh round trip by `Host.inspect`."""

    current: str  # the release id `current` points at ("" when none)
    releases: dict[str, Release]  # complete releases by id
    history: History


class Host:
    """One server: its endpoint and deploy folder, and the scripts deploylib runs there."""

    def __init__(self, endpoint: Endpoint, path: str, url: str) -> None:
        self.endpoint, self.path, self.url = endpoint, path.rstrip("/") or "/", url
        self.name = endpoint.address
        self.cd = f"cd -- {q(self.path)}"

    def where(self, sub: str = "") -> str:
        return f"{self.name}:{self.path}{'/' + sub if sub else ''}"

    def inspect(self) -> HostState:
        """`current`, the complete releases and the last 1000 lines of revisions.log, in one ssh command
        (nothing at all when the deploy folder does not exist yet); raises TargetError when ssh fails."""
        return _state(self.endpoint.run(f"{self.cd} 2>/dev/null || exit 0\n" + self._inspect_script(),
                                        f"reading {self.where()}")[1])

    @staticmethod
    def _inspect_script() -> str:
        """Script lines printing what `inspect` reads (`_state` parses it), run in the deploy folder."""
        return f"""printf 'current %s\\n' "$(readlink current 2>/dev/null)"
for f in releases/*.json; do
  [ -f "$f" ] && [ -d "${{f%.json}}" ] && printf 'release %s\\n' "$(cat -- "$f")"
done
[ -f {FILE_NAME} ] && tail -n 1000 {FILE_NAME} | sed 's/^/revision /'
exit 0
"""

    def link_source(self, serving: str) -> str:
        """The folder an upload hard-links unchanged files from: the release `serving` (the one `current` named
        when the host was last read), by its real path; "" when it serves none. Through the `current` link, or
        by a relative path, rsync looks each file up more slowly: 5,000 files took 0.45 s instead of 0.34 s."""
        return f"{self.path}/releases/{serving}" if serving else ""

    def prepare_command(self, release_id: str, serving: str) -> str:
        """Run before an upload, in the same session: make the layout's folders, drop uploads a killed
        deploy left, and list the files of the release `serving` (`link_source`: "" for none) changed since
        it was verified (their inode's ctime is newer than the mtime of its metadata, written when it was
        verified; rsync will hard-link them, so the finish then hashes every file). Every one of its files
        is listed when that is missing or the host's rsync compares times only to the second (before
        3.1.3). A release gone meanwhile lends no file, so nothing is listed. Run through `sh -c`: the
        login shell may not be POSIX."""
        changed, source = q(f".changed-{release_id}"), q(serving)
        script = f"""set -e
mkdir -p -- {q(self.path)}/releases {q(self.path)}/shared
{self.cd}/releases
rm -rf -- .partial-* .changed-*
if [ -z {source} ] || ! [ -d {source}/ ]; then : > {changed}; exit 0; fi
case "$(rsync --version 2>/dev/null | sed -n '1s/^rsync *version v*\\([0-9.]*\\).*/\\1/p')" in
  3.1.[3-9]*|3.[2-9]*|[4-9]*) new=1 ;; *) new= ;;
esac
if [ -n "$new" ] && [ -f {q(serving + '.json')} ]; then
  find {source}/ -type f -cnewer {q(serving + '.json')} > {changed}
else
  find {source}/ -type f > {changed}
fi"""
        return f"sh -c {q(script)}"

    def finish(self, release: Release, manifest: Manifest, shared: list[str], written: set[str] | None) -> bool:
        """Verify the upload in releases/.partial-<id> against the manifest; when it matches, link the
        shared paths, move it into place and write its metadata (last: its mtime says when the release
        was verified, see prepare_command). If
        releases/<id> is complete already (a redeploy), the upload is dropped and that release is
        verified instead, shared paths aside. False when the tree checked does not match.

        `written`: the files rsync wrote (paths as in the manifest). Only those are hashed when no live
        file changed since its release was verified (see prepare_command): every other file is then a
        hard link to a live file verified when its release was, with the size and mtime (to the
        nanosecond) of the staged file. Otherwise, or with None, every file is hashed."""
        rid, partial = q(release.id), q(f".partial-{release.id}")
        complete = {p: m for p, m in manifest.items() if not _under(p, shared)}
        script = f"""set -e
{self.cd}/releases
if [ -f {q(release.id + '.json')} ] && [ -d {rid} ]; then
  rm -rf -- {partial} {q('.changed-' + release.id)}
  cd {rid}
  {self._verify(complete, None, release.id)}
  touch -- ../{q(release.id + '.json')}
  exit 0
fi
cd {partial}
{self._verify(manifest, written, release.id)}
cd ../..
""" + "".join(self._link_shared(release.id, path) for path in shared) + f"""\
rm -rf -- releases/{rid} releases/{q('.changed-' + release.id)}
mv -- releases/{partial} releases/{rid}
printf '%s' {q(release_json(release))} > releases/.{rid}.json.tmp
mv -f -- releases/.{rid}.json.tmp releases/{q(release.id + '.json')}
"""
        code, _ = self.endpoint.run(script, f"verifying {self.where('releases/' + release.id)}",
                                    ok_codes=(0, _VERIFY_FAILED, _LIVE_CHANGED))
        if code == _LIVE_CHANGED:
            return self.finish(release, manifest, shared, None)
        return code == 0

    @staticmethod
    def _verify(expected: Manifest, written: set[str] | None, release_id: str) -> str:
        """Script lines failing with _VERIFY_FAILED unless the current folder holds `expected`'s files (by
        count) with their hashes: every file when `written` is None; else those in `written`, and none of
        the live files may have changed since they were verified (../.changed-<id>, see prepare_command),
        else it fails with _LIVE_CHANGED."""
        hashed = expected if written is None else {p: expected[p] for p in written}
        sums = "".join(f"{m['sha256']}  ./{p}\n" for p, m in sorted(hashed.items()))
        changed = q(f"../.changed-{release_id}")
        unchanged_live = "" if written is None else f"""
if ! [ -f {changed} ] || [ -s {changed} ]; then
  exit {_LIVE_CHANGED}
fi"""
        check = "" if not hashed else f"""
bad=$($sum -c 2>&1 <<'DEPLOYLIB_SUMS' | grep -v ': OK$' | head -n 3 | tr '\\n' ' '
{sums}DEPLOYLIB_SUMS
)
if [ -n "$bad" ]; then echo "differs from the artifact: $bad" >&2; exit {_VERIFY_FAILED}; fi"""
        return f"""if command -v sha256sum >/dev/null 2>&1; then sum=sha256sum; else sum="shasum -a 256"; fi
count=$(find . -type f | wc -l | tr -d ' ')
if [ "$count" -ne {len(expected)} ]; then
  echo "holds $count files, the artifact {len(expected)}" >&2; exit {_VERIFY_FAILED}
fi{unchanged_live}{check}"""

    def _link_shared(self, release_id: str, path: str) -> str:
        """Script lines replacing `path` in the release by a relative link into shared/."""
        name = path.rstrip("/")
        depth = len(PurePosixPath(name).parts) - 1 + 2  # up to releases/<id>, then to the deploy folder
        link = "../" * depth + f"shared/{name}"
        in_release = f"releases/.partial-{release_id}/{name}"
        missing = f"{self.where()}/shared/{name} is missing: create it on the host (shared paths outlive releases)"
        make = (f"mkdir -p -- {q('shared/' + name)}\n" if path.endswith("/") else
                f"[ -e {q('shared/' + name)} ] || {{ echo {q(missing)} >&2; exit 3; }}\n")
        return (make + f"rm -rf -- {q(in_release)}\nmkdir -p -- \"$(dirname -- {q(in_release)})\"\n"
                f"ln -s -- {q(link)} {q(in_release)}\n")

    def activate(self, release: Release, by: str) -> None:
        rid = q(release.id)
        self.endpoint.run(f"""set -e
{self.cd}
if ! [ -f releases/{q(release.id + '.json')} ] || ! [ -d releases/{rid} ]; then
  echo "release {release.id} is not complete in {self.path}/releases" >&2; exit 3
fi
if [ "$(readlink current 2>/dev/null || true)" = releases/{rid} ]; then exit 0; fi
ln -s releases/{rid} .current-$$
mv -T .current-$$ current
printf '%s' {q(History.line(release, by))} >> {FILE_NAME}
""", f"switching {self.where('current')} to {release.id}")

    def remove(self, release_ids: list[str]) -> list[str]:
        """Delete releases, metadata first; return what could not be removed (never raises)."""
        # Removing a release unlinks inodes it shares with the live one, which changes their ctime: the
        # live release's stamp is renewed afterwards only when no live file had changed before.
        script = self.cd + "\n" + STAMP_CHECK + "".join(
            f"rm -f -- releases/{q(rid + '.json')}; rm -rf -- releases/{q(rid)} "
            f"2>/dev/null || echo {q(self.where('releases/' + rid))}\n" for rid in release_ids) + STAMP_RENEW
        try:
            _, out = self.endpoint.run(script, f"removing old releases in {self.where('releases')}")
        except TargetError as err:
            return [str(err)]
        return [f"{line} (permission denied or busy)" for line in out.splitlines() if line]

    def try_lock(self, holder_json: str) -> tuple[HostState | None, str]:
        """(what the host holds, as `inspect` reads it, "") when this host's lock was free and is now ours: read
        in the same ssh command, as a deploy reads it next. Else (None, the holder's JSON)."""
        _, out = self.endpoint.run(f"""mkdir -p -- {q(self.path)} || exit 3
{self.cd} || exit 3
if mkdir .deploy-lock 2>/dev/null; then
  printf '%s' {q(holder_json)} > .deploy-lock/holder.json && echo acquired
else
  printf 'held '; cat .deploy-lock/holder.json 2>/dev/null; echo; exit 0
fi
""" + self._inspect_script(), f"locking {self.where()}")
        if out.startswith("acquired\n"):
            return _state(out), ""
        return None, out.partition("held ")[2].strip()

    def drop_lock(self, holder_json: str | None) -> str:
        """Remove the lock if `holder_json` still holds it (any holder when None); return who held it."""
        same = ("" if holder_json is None else
                f'[ "$(cat .deploy-lock/holder.json 2>/dev/null)" = {q(holder_json)} ] || exit 0\n')
        _, out = self.endpoint.run(f"""{self.cd} 2>/dev/null || exit 0
[ -d .deploy-lock ] || exit 0
{same}printf 'held '; cat .deploy-lock/holder.json 2>/dev/null; echo
mv .deploy-lock .deploy-lock.gone-$$ 2>/dev/null && rm -rf .deploy-lock.gone-$$
exit 0
""", f"unlocking {self.where()}")
        return out.partition("held ")[2].strip()


def _state(out: str) -> HostState:
    """What `Host._inspect_script` printed, as a HostState (other lines ignored)."""
    current, releases, revisions = "", {}, []
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "current":
            current = PurePosixPath(rest).name if rest else ""
        elif kind == "release" and (release := parse_release(rest)):
            releases[release.id] = release
        elif kind == "revision":
            revisions.append(rest)
    return HostState(current, releases, History.parse(revisions))


def _under(path: str, shared: list[str]) -> bool:
    return any(path == s.rstrip("/") or path.startswith(s.rstrip("/") + "/") for s in shared)


def _holder(text: str) -> LockHolder | None:
    """The holder a lock file names, or None when it is torn or not one deploylib wrote (a field of another type)."""
    try:
        holder = LockHolder(**jsontext.loads(text))
    except (ValueError, TypeError):
        return None
    numbers = ("pid", "started")
    typed = all(isinstance(value, int) and not isinstance(value, bool) if name in numbers else isinstance(value, str)
                for name, value in asdict(holder).items())
    return holder if typed else None


class SshTarget(Target):
    """The hosts of an `SshOptions` table, deployed to together (see the module's docstring). Its methods
    raise TargetError naming the host and step when ssh, rsync or a script there fails, ArtifactError when
    an upload does not match the manifest, and LockHeld when another deploy keeps a host's lock."""

    Options = SshOptions
    options: SshOptions

    def __init__(self, options: SshOptions, root: Path, environment: str) -> None:
        super().__init__(options, root, environment)
        config = str(root / options.ssh_config) if options.ssh_config else ""
        self.hosts = [Host(Endpoint(h.address, h.port, config, options.strict_host_keys), h.path or options.path,
                           h.url) for h in options.hosts]
        self.staging = ReleaseStore(self.state_folder / "staging")
        self.bytes_sent: dict[str, int] = {}  # by host, for the last deploy
        self._serving: dict[str, str] = {}  # by host: the complete release `current` named when last read or switched
        self._looked: dict[str, HostState] = {}  # by host: what it held when its lock was taken (see `live`)

    def problem(self) -> str:
        missing = [program for program in ("ssh", "rsync") if not shutil.which(program)]
        if missing:
            return f"needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed here"
        if self.options.ssh_config and not (self.root / self.options.ssh_config).is_file():
            return f'ssh_config = "{self.options.ssh_config}" does not exist ({self.root / self.options.ssh_config})'
        return next((problem for host in self.hosts if (problem := host.endpoint.config_problem())), "")

    def places(self) -> frozenset[str]:
        return frozenset(f"{h.path} on {h.endpoint.address}{f' port {h.endpoint.port}' if h.endpoint.port else ''}"
                         for h in self.hosts)

    def describe(self) -> str:
        paths = {h.path for h in self.hosts}
        where = f":{paths.pop()}" if len(paths) == 1 else ""
        return f"ssh {', '.join(h.name for h in self.hosts)}{where}"

    def _each(self, hosts: list[Host], work: Callable[[Host], T]) -> list[T]:
        """`work` on every host at once; after all finished, the first host's error (in host order) is raised."""
        if len(hosts) == 1:
            return [work(hosts[0])]
        with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
            futures = [pool.submit(contextvars.copy_context().run, work, host) for host in hosts]  # see events.py
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]  # type: ignore[misc]
        return [f.result() for f in futures]

    def _states(self, looked: dict[str, HostState] | None = None) -> list[HostState]:
        """What every host holds: read now, or as `looked` says when it has every host."""
        states = [looked[host.name] for host in self.hosts] if looked and len(looked) == len(self.hosts) else \
            self._each(self.hosts, Host.inspect)
        self._serving = {host.name: state.current if state.current in state.releases else ""
                         for host, state in zip(self.hosts, states, strict=True)}
        return states

    def live(self) -> Release | None:
        """What the last host serves. The first look after the lock was taken is the one taking it made (no
        round trip more): nothing switches a host while the lock is held but this target, which looks again
        after it switched."""
        looked, self._looked = self._looked, {}
        return self._live(self._states(looked)[-1])

    def _live(self, state: HostState) -> Release | None:
        if not state.current:
            return None
        release = state.releases.get(state.current)
        if release is None:
            raise TargetError(f"{self.hosts[-1].where('current')} points at {state.current}, which is not a complete "
                              "release there. The host was changed by hand; redeploy to repair it.")
        return state.history.stamped(release)

    def releases(self) -> list[Release]:
        """Releases complete on every host (only those can be rolled back to), in the last host's order."""
        return self._complete(self._states())

    @staticmethod
    def _complete(states: list[HostState]) -> list[Release]:
        complete = [r for rid, r in states[-1].releases.items() if all(rid in s.releases for s in states)]
        return states[-1].history.ordered(complete)

    def kept(self) -> Kept:
        states = self._states()  # one round of ssh to every host instead of two
        return Kept(self._live(states[-1]), self._complete(states))

    def deploy(self, artifact: Artifact) -> Release:
        manifest = load_manifest(artifact)
        awkward = next((p for p in manifest if "\n" in p or "\\" in p), None)
        if awkward is not None:
            raise ArtifactError(f"{artifact.release_id} holds a file named {awkward!r}: names with newlines or "
                                "backslashes cannot be verified on SSH hosts. Rename it in the build.")
        release = Release(id=artifact.release_id, version=artifact.version, digest=artifact.digest,
                          commit=artifact.commit)
        if any(host.name not in self._serving for host in self.hosts):
            self._states()  # which release each host serves, to link unchanged files from (live() read it already)
        staged = self.staging.path(self.staging.put(artifact, like=self.staging.newest(), consume=True))
        try:
            sent = self._each(self.hosts, lambda host: self._upload(host, staged, release, manifest))
        except ArtifactError:
            # A staged file changed with its size and mtime kept passes the staging copy's checks and fails
            # only the hosts' hashes, deploy after deploy: unpack the copy afresh from the tar and send it again.
            self.staging.remove(release)
            staged = self.staging.path(self.staging.put(artifact))
            sent = self._each(self.hosts, lambda host: self._upload(host, staged, release, manifest))
        total = sum(sent)
        report.stage(report.OK, f"upload:{self.environment}",
                     f"{format_size(total)} sent to {len(self.hosts)} host(s), unchanged files hard-linked" if total
                     else f"{release.id} was already complete on every host")
        self.bytes_sent = dict(zip((h.name for h in self.hosts), sent, strict=True))
        return release

    def _upload(self, host: Host, staged: Path, release: Release, manifest: Manifest) -> int:
        dest = f"{host.path}/releases/.partial-{release.id}"
        # Unchanged files are hard-linked from the release the host serves. Named from an older look (a release
        # switched or removed since), the files are still right: the one named lends only what is unchanged
        # since it was verified (prepare_command), and a release gone lends nothing.
        serving = self._serving[host.name]
        source = host.link_source(serving)

        def told(done: int, total: int) -> None:
            from deploylib import events

            events.emit(events.Progress(f"upload {host.name}", done, total, "bytes"))

        sent, written = host.endpoint.push(staged, dest, source, first=host.prepare_command(release.id, serving),
                                           progress=told)
        if host.finish(release, manifest, self.options.shared,
                       written if written is not None and written <= manifest.keys() else None):
            return sent
        # A file hard-linked from the live release was changed there in place: copy by content instead.
        sent += host.endpoint.push(staged, dest, source, checksum=True)[0]
        if not host.finish(release, manifest, self.options.shared, None):
            raise ArtifactError(f"{host.where('releases/' + release.id)} does not match the manifest of {release.id}"
                                " (changed on the host?). Nothing was switched; remove that folder on the host, or "
                                "deploy a new build.")
        return sent

    def activate(self, release: Release, by: str, force: bool = False) -> None:
        self._each(self.hosts, lambda host: self._switch(host, release, by))

    def _switch(self, host: Host, release: Release, by: str) -> None:
        self._looked.clear()
        host.activate(release, by)
        self._serving[host.name] = release.id

    def _batches(self) -> list[list[Host]]:
        canary = self.hosts[:1] if self.options.canary and len(self.hosts) > 1 else []
        rest = self.hosts[len(canary):]
        size = self.options.batch_size or len(rest)
        return ([canary] if canary else []) + [rest[i:i + size] for i in range(0, len(rest), size)]

    def rollout(self, release: Release, by: str) -> Generator[Batch, None, None]:
        batches = self._batches()
        for number, batch in enumerate(batches, 1):
            self._each(batch, lambda host: self._switch(host, release, by))
            kind = "canary" if number == 1 and self.options.canary and len(self.hosts) > 1 else \
                f"batch {number}/{len(batches)}"
            yield Batch(f"{kind} {', '.join(h.name for h in batch)}", tuple(h.url for h in batch if h.url))

    def parts(self) -> tuple[Batch, ...]:
        return tuple(Batch(h.name, (h.url,) if h.url else ()) for h in self.hosts)

    def lock(self, holder: LockHolder, wait: float) -> AbstractContextManager[LockHolder | None]:
        return self._hold(holder, wait)

    @contextlib.contextmanager
    def _hold(self, holder: LockHolder, wait: float) -> Iterator[LockHolder | None]:
        mine = json.dumps(asdict(holder))
        deadline = time.monotonic() + wait
        left_behind: list[LockHolder] = []
        while True:
            self._looked.clear()  # what a host held is read again with each try to take its lock
            results = self._each(self.hosts, lambda host: self._take(host, mine, left_behind))
            blocked = [(host, other) for host, other in zip(self.hosts, results, strict=True) if other is not None]
            if not blocked:
                break
            self._release([h for h, other in zip(self.hosts, results, strict=True) if other is None], mine)
            if time.monotonic() >= deadline:
                host, other = blocked[0]
                raise LockHeld(f"{self.environment} is locked on {host.where()} by "
                               f"{other.describe() if other else 'an unknown holder'}. Wait for it to finish, raise "
                               "lock_wait_s in deploy.toml to wait longer, or, if that deploy is dead, break the "
                               f"lock: doit unlock:{self.environment}.")
            time.sleep(_LOCK_POLL_S * (0.5 + random.random()))  # jitter: two waiters do not retry in step
        try:
            yield left_behind[0] if left_behind else None
        finally:
            self._looked.clear()
            self._release(self.hosts, mine)

    def _take(self, host: Host, mine: str, left_behind: list[LockHolder]) -> LockHolder | None:
        """Take the host's lock, breaking a stale one; None when taken, else its live holder."""
        for _ in range(2):
            state, seen = host.try_lock(mine)
            if state is not None:
                self._looked[host.name] = state
                return None
            other = _holder(seen)
            if other is None:  # being created this very moment, or unreadable: not ours to judge
                return LockHolder("unknown", host.name, 0, "deploy", "", "unknown")
            why = stale_reason(other, self.options.lock_ttl_s, datetime.now(UTC), host_name(), still_running)
            if not why:
                return other
            host.drop_lock(seen)
            left_behind.append(other)
            report.stage(report.WARN, "lock", f"{host.where()}: broke a stale lock ({why})")
        return other

    def _release(self, hosts: list[Host], mine: str) -> None:
        for host in hosts:
            try:
                host.drop_lock(mine)
            except TargetError as err:  # the next deploy finds the lock stale; the deploy itself is done
                report.stage(report.WARN, "lock", f"could not release the lock on {host.where()}: {err}")

    def busy(self) -> LockHolder | None:
        """None: the lock is on the hosts, which the preflight does not reach (no network before the release)."""
        return None

    def unlock(self) -> LockHolder | None:
        held = [h for h in self._each(self.hosts, lambda host: host.drop_lock(None)) if h]
        return _holder(held[0]) if held else None

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        problems: list[str] = []
        try:
            states = self._states()
        except TargetError as err:
            return [str(err)]
        for host, state in zip(self.hosts, states, strict=True):
            old = to_remove(state.history.ordered(state.releases.values()), keep, protect)
            if old:
                problems += host.remove([r.id for r in old])
        for staged in self.staging.all():  # only the newest staging copies are worth keeping
            if staged.id not in protect:
                self.staging.remove(staged)
        return problems

    @classmethod
    def url_hint(cls, options: SshOptions) -> str:
        host = options.hosts[0].address.rpartition("@")[2]
        return (f'Add it, e.g. url = "https://{host}", or give each host its own, '
                f'e.g. hosts = [{{address = "{options.hosts[0].address}", url = "http://{host}"}}].')

    @classmethod
    def serves_itself(cls, options: SshOptions) -> bool:
        return bool(options.hosts[0].url)

    def serve(self) -> AbstractContextManager[str | None]:
        return contextlib.nullcontext(self.hosts[0].url or None)
