"""A directory on this machine, in Capistrano's layout (see layout.py); `current` is switched by
renaming a new symlink over it, and `<path>/.deploy.lock` is the deploy lock (see lock.py).
"""

from __future__ import annotations

import errno
import os
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from deploylib.config.schema import nonempty_problem, option
from deploylib.errors import TargetError
from deploylib.model import Artifact, Release
from deploylib.targets.base import Target
from deploylib.targets.history import FILE_NAME, History, append_activation, read_history
from deploylib.targets.layout import to_remove
from deploylib.targets.store import ReleaseStore
from deploylib.values import frozen


@frozen
class LocalOptions:
    """The options of `target = {type = "local", …}`."""

    path: str = option(doc='a folder path, absolute or relative to the repository, e.g. "/srv/www/site"',
                       check=nonempty_problem)
    port: int = option(0, doc="the 127.0.0.1 port deploylib serves the live release on for validation "
                              "when the environment has no url (0: any free port)",
                       check=lambda v: "" if 0 <= v <= 65535 else "is not a TCP port")


class LocalTarget(Target):
    """A folder on this machine in the layout of layout.py; see Target for each method's contract. Reading
    methods raise TargetError (exit 1) when revisions.log or `current` cannot be read, or `current`
    points at an incomplete release; `deploy` and `activate` raise TargetError with the live release
    unchanged when the folder cannot be written (ArtifactError for a bad artifact or changed release)."""

    Options = LocalOptions
    options: LocalOptions

    def __init__(self, options: LocalOptions, root: Path, environment: str) -> None:
        super().__init__(options, root, environment)
        self.base = Path(os.path.abspath(root / options.path))
        self.store = ReleaseStore(self.base / "releases")
        self.current = self.base / "current"
        self.revisions = self.base / FILE_NAME

    def describe(self) -> str:
        return f"local directory {self.base}"

    def places(self) -> frozenset[str]:
        return frozenset({f"local directory {self.base.resolve()}"})

    def problem(self) -> str:
        """Whether the nearest existing folder of `path` is one this user may write to and enter (access(2))."""
        existing = next(folder for folder in (self.base, *self.base.parents) if folder.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            return f"{existing} is not a folder this user can write to, so {self.base} cannot hold releases"
        return ""

    def _history(self) -> History:
        return read_history(self.revisions)

    def _current_link(self) -> str | None:
        """Where `current` points, as written in the link; None when there is no `current`."""
        try:
            return os.readlink(self.current)
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno == errno.EINVAL:  # there, but not a link
                kind = "a folder" if self.current.is_dir() else "a file" if self.current.is_file() else \
                    "neither a file nor a folder"
                raise TargetError(f"{self.current} is {kind}, not the symbolic link deploylib switches: something "
                                  "else put it there, and deploylib neither reads nor replaces it. Move it away (keep "
                                  "what you need from it), then run the command again.") from None
            raise TargetError(f"Cannot read {self.current}: {err.strerror}.") from None

    def live(self) -> Release | None:
        """The release `current` points at; when it points anywhere else (changed by hand, or at a release
        that is not complete), a Release whose `id` is the link as written and whose `foreign` says so."""
        link = self._current_link()
        if link is None:
            return None
        try:
            inside = (self.base / link).resolve().parent == self.store.folder.resolve()  # relative or absolute
        except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13): no release of ours
            inside = False
        release = self.store.read(Path(link).name) if inside else None
        if release is None:
            changed = self.current.lstat().st_mtime
            return Release(id=link, version="", digest="", commit="",
                           activated_at=datetime.fromtimestamp(changed, UTC).isoformat(timespec="seconds"),
                           foreign=f"{self.current} -> {link}, which is not a complete release deploylib made "
                                   "(changed by hand)")
        return self._history().stamped(release)

    def releases(self) -> list[Release]:
        return self._history().ordered(self.store.all())

    def deploy(self, artifact: Artifact) -> Release:
        try:
            return self.store.put(artifact, like=self.live())
        except PermissionError as err:
            raise TargetError(f"Permission denied writing {err.filename or self.base}: the deploy user cannot "
                              f"write to {self.base}. Fix its ownership or permissions.") from None
        except OSError as err:  # a full disk, a read-only mount: nothing was switched
            raise TargetError(f"Cannot unpack {artifact.release_id} into {self.store.folder}: {err.strerror}. The "
                              "release live before is unchanged; free space there (or make it writable) and deploy "
                              "again.") from None

    def activate(self, release: Release, by: str, force: bool = False) -> None:
        """Point `current` at `release` by renaming a new relative symlink over it (rename(2): readers see the
        old release or the new one), fsync the folder, then append to revisions.log. `force` is unused (a
        current changed by hand is refused by the rollback itself). A `foreign` release (what `live` found
        there) is put back as it was, unchecked and unrecorded. A no-op when `release` is live already."""
        if not release.foreign:  # a link someone else made is put back as it was (a failed deploy's restore)
            self.store.check(release, self.describe())
        link = release.id if release.foreign else str(Path("releases") / release.id)
        if self._current_link() == link:
            return
        temp_link = self.base / f".current-{os.getpid()}"
        try:
            temp_link.unlink(missing_ok=True)
            os.symlink(link, temp_link)
            os.replace(temp_link, self.current)  # rename(2) is atomic: readers see the old or the new release
            _fsync_dir(self.base)
        except OSError as err:
            raise TargetError(f"Cannot switch {self.current} to {release.id}: {err.strerror}. The release live "
                              f"before is unchanged; make {self.base} writable and try again.") from None
        if release.foreign:
            return  # not a release: revisions.log records deploylib's activations only
        append_activation(self.revisions, release, by, self.describe())

    @property
    def lock_file(self) -> Path:
        return self.base / ".deploy.lock"  # in the target folder: shared by everyone deploying to it

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        return [problem for r in to_remove(self.releases(), keep, protect) if (problem := self.store.remove(r))]

    @classmethod
    def serves_itself(cls, options: LocalOptions) -> bool:
        return True

    def serve(self) -> AbstractContextManager[str | None]:
        """A static HTTP server on 127.0.0.1 (`port`, or any free one) over `current`, yielding its URL."""
        from deploylib.targets.serve import static_server

        return static_server(self.current, self.options.port, f"{self.environment} ({self.current})")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
