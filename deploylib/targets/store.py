"""A folder of unpacked, verified releases on this machine: `<dir>/<id>/` and its metadata
`<dir>/<id>.json`, written last, so a release without metadata is incomplete and never listed.
Beside them, `<id>.manifest.json`: what the next release's files are compared with, so unchanged
ones are hard-linked instead of written again. Used by the targets whose releases (or a staging
copy of them) live on this machine: the local directory, the command target, SSH hosts' staging.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from deploylib.artifact import Manifest, load_manifest, unpack, verify_tree
from deploylib.errors import ArtifactError
from deploylib.model import Artifact, Release
from deploylib.targets.layout import parse_release, release_json

_PARTIAL = ".partial-"


class ReleaseStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, release_id: str) -> Release | None:
        """A complete release, or None."""
        try:
            release = parse_release((self.folder / f"{release_id}.json").read_text())
        except OSError:
            return None
        return release if release and (self.folder / release_id).is_dir() else None

    def all(self) -> list[Release]:
        return [r for p in self.folder.glob("*.json") if not p.stem.endswith(".manifest") and (r := self.read(p.stem))]

    def path(self, release: Release) -> Path:
        return self.folder / release.id

    def newest(self) -> Release | None:
        """The release stored last: the natural base for the next one's hard links."""
        return max(self.all(), key=lambda r: (self.folder / f"{r.id}.json").stat().st_mtime, default=None)

    def _manifest(self, release_id: str) -> Manifest | None:
        try:
            manifest: Manifest = json.loads((self.folder / f"{release_id}.manifest.json").read_text())
            return manifest
        except (OSError, ValueError):
            return None

    def put(self, artifact: Artifact, like: Release | None = None, verify: bool = True) -> Release:
        """Unpack and verify `artifact` as a release, hard-linking the files it shares with `like`; an
        existing, intact copy is reused as it is. `verify=False` trusts the unpacked files, for a copy
        that is verified where it lands (an SSH host checks every file against the manifest)."""
        manifest = load_manifest(artifact)
        release = Release(id=artifact.release_id, version=artifact.version, digest=artifact.digest,
                          commit=artifact.commit)
        dest = self.folder / release.id
        self.folder.mkdir(parents=True, exist_ok=True)
        for partial in self.folder.glob(f"{_PARTIAL}*"):  # left by a deploy killed while unpacking
            shutil.rmtree(partial, ignore_errors=True)
        if self.read(release.id) is not None and not (verify and verify_tree(dest, manifest)):
            return release
        partial = self.folder / f"{_PARTIAL}{release.id}-{os.getpid()}"
        like_manifest = self._manifest(like.id) if like and self.read(like.id) else None
        # missing, incomplete or tampered with: unpack afresh beside it
        unpack(artifact, partial, self.folder / like.id if like and like_manifest else None, like_manifest)
        problems = verify_tree(partial, manifest) if verify else []
        if problems:
            raise ArtifactError(f"{artifact.release_id} unpacked into {partial} does not match its manifest: "
                                f"{'; '.join(problems[:5])}. Nothing was switched.")
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(partial, dest)
        write_atomically(self.folder / f"{release.id}.manifest.json", json.dumps(manifest) + "\n")
        write_atomically(self.folder / f"{release.id}.json", release_json(release))
        return release

    def remove(self, release: Release) -> str:
        """Delete a release, metadata first so a half-removed one is never listed; returns a problem or ""."""
        try:
            (self.folder / f"{release.id}.json").unlink()
            (self.folder / f"{release.id}.manifest.json").unlink(missing_ok=True)
            shutil.rmtree(self.folder / release.id)
        except OSError as err:
            return f"{self.folder / release.id}: {err.strerror}"
        return ""


def write_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    temp.write_text(text)
    os.replace(temp, path)
