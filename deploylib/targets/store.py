"""A folder of unpacked, verified releases on this machine: `<dir>/<id>/` and its metadata
`<dir>/<id>.json`, written last, so a release without metadata is incomplete and never listed.
Beside them, `<id>.manifest.json`: the artifact's manifest with each file's mtime in the release, so
a release is verified cheaply (size, mtime and mode; hashes only for files that differ) before it is
reused or made live, and the next release hard-links the files it shares with it. The records file
carries their fingerprint (fingerprint.py), so an intact release is known from one `find` run.

A release verified here is listed in `<artifact>.copies` beside its artifact: another store on this
machine (a second environment) builds the same release by hard-linking that copy's files, checking
each against the copy's records, without reading the tar again. Used by the targets whose releases
(or a staging copy of them) live on this machine: the local directory, the command target, SSH
hosts' staging.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib.crash import crash_point
from deploylib.errors import ArtifactError, DeployError, TargetError
from deploylib.model import Artifact, Release
from deploylib.state.atomic import read_regular, write_atomically
from deploylib.targets.fingerprint import Fingerprint, of_folder, remember, remembered
from deploylib.targets.layout import parse_release, release_json

if TYPE_CHECKING:
    from deploylib.build.artifact import Entry

# The packing module (build/artifact.py) is imported where a release is written or checked file by file:
# reading what the store holds (what is live, for a run that changes nothing) does not load it.

_PARTIAL = ".partial-"


class ReleaseStore:
    """The releases under `folder` (see the module docstring). Release ids are "<version>-<short digest>"
    (Artifact.release_id), used as folder names. Not safe for two writers at once: callers hold the
    target's deploy lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._just_built: set[str] = set()  # put here and verified as they were written, not yet activated

    def read(self, release_id: str) -> Release | None:
        """A complete release (metadata readable, naming this release, and its folder present), or None;
        never raises."""
        try:
            release = parse_release(read_regular(self.folder / f"{release_id}.json").decode())
        except (OSError, UnicodeDecodeError):
            return None
        return release if release and release.id == release_id and (self.folder / release_id).is_dir() else None

    def all(self) -> list[Release]:
        """Every complete release, in no particular order (History.ordered puts them in order)."""
        return [r for p in self.folder.glob("*.json") if not p.stem.endswith(".manifest") and (r := self.read(p.stem))]

    def path(self, release: Release) -> Path:
        """The release's folder (which may not exist)."""
        return self.folder / release.id

    def newest(self) -> Release | None:
        """The release stored last (latest metadata mtime): the natural base for the next one's hard links;
        None when the store is empty."""
        return max(self.all(), key=lambda r: (self.folder / f"{r.id}.json").stat().st_mtime, default=None)

    def _records(self, release_id: str) -> Path:
        return self.folder / f"{release_id}.manifest.json"

    def problems(self, release_id: str) -> list[str]:
        """How a stored release differs from its records ([] when intact): its fingerprint first (when
        the records carry one and the folder's listing has it, the release is intact), else file by
        file: sizes, mtimes and modes, hashes only of files whose size or mtime changed. Each
        problem is a phrase such as "app.js differs from the artifact"; an unreadable record or folder is
        one problem, not an error."""
        known = remembered(self._records(release_id))
        if known is not None and of_folder(self.folder / release_id) == known:
            return []
        from deploylib.build.artifact import read_entries, verify_tree

        try:
            return verify_tree(self.folder / release_id, read_entries(self._records(release_id)))
        except (DeployError, OSError) as err:
            return [str(err)]

    def check(self, release: Release, where: str) -> None:
        """Raise unless `release` is complete and its files still match its manifest (before it is made live).
        `where` names the target in messages. Raises TargetError (exit 1) for an incomplete release,
        ArtifactError (exit 1) for one whose files changed. A release `put` just verified is not checked
        again (once)."""
        if self.read(release.id) is None:
            raise TargetError(f"Release {release.id} is not complete on {where}; it cannot be made live.")
        if release.id in self._just_built:  # verified file by file moments ago, by put
            self._just_built.discard(release.id)
            return
        problems = self.problems(release.id)
        if problems:
            raise ArtifactError(f"Release {release.id} on {where} does not match its manifest "
                                f"({'; '.join(problems[:5])}): its files were changed after it was verified, so "
                                "it is not made live. Deploy its artifact again to repair it, or choose another "
                                "release.")

    def put(self, artifact: Artifact, like: Release | None = None, consume: bool = False) -> Release:
        """Unpack and verify `artifact` as a release, hard-linking the files it shares with `like`, or all
        of them from a verified copy of the same release in another store; an existing, intact copy is
        reused as it is. With `consume` (a store of disposable copies: SSH staging), `like` is not kept:
        its folder becomes the new release's, updated in place (artifact.update: the files they share stay
        as they are, with no link or folder made for each), unless a verified copy can be cloned.

        Unpacks under a `.partial-` name and renames it into place (rename(2)), then writes the metadata
        last, so a killed deploy leaves nothing listed (and the next `put` removes its leftovers). Raises
        ArtifactError (exit 1) for an artifact that fails its checks, and OSError (e.g. a full disk, no
        permission), with no new release listed (nor, with `consume`, `like`)."""
        release = Release(id=artifact.release_id, version=artifact.version, digest=artifact.digest,
                          commit=artifact.commit)
        dest = self.folder / release.id
        self.folder.mkdir(parents=True, exist_ok=True)
        for partial in self.folder.glob(f"{_PARTIAL}*"):  # left by a deploy killed while unpacking
            if partial.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                partial.unlink(missing_ok=True)
        for orphan in self.folder.glob("*.manifest.json"):  # of a release consumed by a killed `put`
            if not (self.folder / orphan.name.removesuffix(".manifest.json")).is_dir():
                orphan.unlink(missing_ok=True)
        if self.read(release.id) is not None and not self.problems(release.id):
            self._just_built.add(release.id)
            self._list_copy(artifact, release)
            return release
        from deploylib.build.artifact import quietly, read_entries, unpack

        partial = self.folder / f"{_PARTIAL}{release.id}-{os.getpid()}"
        records = _Records(self.folder / f"{_PARTIAL}{release.id}-{os.getpid()}.manifest.json")
        try:
            if not self._clone(artifact, partial, records):
                like_ok = like is not None and self.read(like.id) is not None
                if like and like_ok and consume:
                    self._consume(like, artifact, partial, records)
                else:
                    earlier = read_entries(self._records(like.id)) if like and like_ok else iter(())
                    unpack(artifact, partial, self.folder / like.id if like and like_ok else None,
                           quietly(earlier), records.add)
        except BaseException:
            records.discard()
            shutil.rmtree(partial, ignore_errors=True)
            raise
        # missing, incomplete or tampered with: the fresh copy takes its place
        if dest.exists():
            aside = self.folder / f"{_PARTIAL}old-{release.id}-{os.getpid()}"
            os.rename(dest, aside)
            shutil.rmtree(aside)
        os.rename(partial, dest)
        records.commit(self._records(release.id))
        remember(self._records(release.id), records.fingerprint.hexdigest())
        write_atomically(self.folder / f"{release.id}.json", release_json(release))
        self._just_built.add(release.id)
        self._list_copy(artifact, release)
        return release

    def _consume(self, like: Release, artifact: Artifact, partial: Path, records: _Records) -> None:
        """Make `partial` the artifact's tree from `like`'s folder, moved there (`like` is then no longer
        stored): updated in place, or unpacked afresh when it holds something in the way (artifact.Unexpected) or
        that cannot be changed or moved (PermissionError)."""
        from deploylib.build.artifact import Unexpected, quietly, read_entries, unpack, update

        (self.folder / f"{like.id}.json").unlink()  # first: never listed without its folder
        try:
            os.rename(self.folder / like.id, partial)
            crash_point("staging:moved")
            update(artifact, partial, quietly(read_entries(self._records(like.id))), records.add)
        except (Unexpected, PermissionError):  # e.g. a folder made read-only: set aside, removed when it can be
            if partial.exists():  # else `like`'s folder could not be moved (immutable): left where it is, unlisted
                aside = partial.with_name(f"{partial.name}-aside")
                os.rename(partial, aside)
                shutil.rmtree(aside, ignore_errors=True)
            records.restart()
            unpack(artifact, partial, None, (), records.add)
        finally:
            self._records(like.id).unlink(missing_ok=True)

    def _clone(self, artifact: Artifact, partial: Path, records: _Records) -> bool:
        """Build the release from a verified copy in another store by hard links; False (nothing left
        behind) when there is none, or a file there changed, or links cannot be made."""
        from deploylib.build.artifact import read_entries

        for folder in _copies(artifact):
            other = ReleaseStore(folder)
            found = other.read(artifact.release_id)
            if folder == self.folder or found is None or found.digest != artifact.digest:
                continue
            source = folder / artifact.release_id
            try:
                _link_tree(source, partial, read_entries(other._records(found.id)), records)
                return True
            except (OSError, DeployError):
                shutil.rmtree(partial, ignore_errors=True)
                records.restart()
        return False

    def _list_copy(self, artifact: Artifact, release: Release) -> None:
        """Name this store in the artifact's list of verified copies (once)."""
        if self.folder in _copies(artifact):
            return
        with contextlib.suppress(OSError), _copies_file(artifact).open("a") as listing:
            listing.write(f"{self.folder}\n")

    def remove(self, release: Release) -> str:
        """Delete a release, metadata first so a half-removed one is never listed; returns a problem
        ("<path>: <strerror>") or "". Never raises OSError."""
        try:
            (self.folder / f"{release.id}.json").unlink()
            self._records(release.id).unlink(missing_ok=True)
            shutil.rmtree(self.folder / release.id)
        except OSError as err:
            return f"{self.folder / release.id}: {err.strerror}"
        return ""


class _Records:
    """A release's records as they are written (artifact.ManifestWriter), and its fingerprint computed from
    them."""

    def __init__(self, temp: Path) -> None:
        from deploylib.build.artifact import ManifestWriter

        self._writer, self.fingerprint = ManifestWriter(temp), Fingerprint()

    def restart(self) -> None:
        """Forget what was added: the release is being written afresh."""
        self._writer.restart()
        self.fingerprint = Fingerprint()

    def add(self, entry: Entry) -> None:
        self._writer.add(entry)
        self.fingerprint.add(entry)

    def commit(self, path: Path) -> None:
        """Keep the records as `path` (see ManifestWriter.commit)."""
        self._writer.commit(path)

    def discard(self) -> None:
        self._writer.discard()


def _copies_file(artifact: Artifact) -> Path:
    return artifact.tar.with_suffix(".copies")


def _copies(artifact: Artifact) -> list[Path]:
    try:
        return [Path(line) for line in read_regular(_copies_file(artifact)).decode().splitlines() if line]
    except OSError:
        return []


class _Changed(DeployError):
    """A file of the copy being cloned no longer matches its record."""


def _link_tree(source: Path, dest: Path, entries: Iterator[Entry], records: _Records) -> None:
    """Hard-link every recorded file of `source` into `dest` (its folders first), each checked unchanged."""
    from deploylib.build.artifact import unchanged

    base, origin = str(dest), str(source)
    for dirpath, _dirnames, _filenames in os.walk(origin):
        os.makedirs(base + dirpath[len(origin):], exist_ok=True)
    for entry in entries:
        path = f"{origin}/{entry.path}"
        if not unchanged(path, entry):
            raise _Changed(path)
        os.link(path, f"{base}/{entry.path}")
        records.add(entry)
