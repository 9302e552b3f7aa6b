"""A folder of unpacked, verified releases on this machine: `<dir>/<id>/` and its metadata
`<dir>/<id>.json`, written last, so a release without metadata is incomplete and never listed.
Used by the targets whose releases live locally (the local directory, the command target's copies)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

from deploylib.artifact import load_manifest, unpack, verify_tree
from deploylib.errors import ArtifactError
from deploylib.model import Artifact, Release

_PARTIAL = ".partial-"


class ReleaseStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, release_id: str) -> Release | None:
        """A complete release, or None."""
        try:
            release = Release(**json.loads((self.folder / f"{release_id}.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return release if (self.folder / release_id).is_dir() else None

    def all(self) -> list[Release]:
        return [r for p in self.folder.glob("*.json") if (r := self.read(p.stem))]

    def put(self, artifact: Artifact) -> Release:
        """Unpack and verify `artifact` as a release; an existing, intact copy is reused as it is."""
        manifest = load_manifest(artifact)
        release = Release(id=artifact.release_id, version=artifact.version, digest=artifact.digest,
                          commit=artifact.commit)
        dest = self.folder / release.id
        self.folder.mkdir(parents=True, exist_ok=True)
        for partial in self.folder.glob(f"{_PARTIAL}*"):  # left by a deploy killed while unpacking
            shutil.rmtree(partial, ignore_errors=True)
        if self.read(release.id) is not None and not verify_tree(dest, manifest):
            return release
        partial = self.folder / f"{_PARTIAL}{release.id}-{os.getpid()}"
        unpack(artifact, partial)  # missing, incomplete or tampered with: unpack afresh beside it
        problems = verify_tree(partial, manifest)
        if problems:
            raise ArtifactError(f"{artifact.release_id} unpacked into {partial} does not match its manifest: "
                                f"{'; '.join(problems[:5])}. Nothing was switched.")
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(partial, dest)
        write_atomically(self.folder / f"{release.id}.json", json.dumps(asdict(release)) + "\n")
        return release

    def remove(self, release: Release) -> str:
        """Delete a release, metadata first so a half-removed one is never listed; returns a problem or ""."""
        try:
            (self.folder / f"{release.id}.json").unlink()
            shutil.rmtree(self.folder / release.id)
        except OSError as err:
            return f"{self.folder / release.id}: {err.strerror}"
        return ""


def write_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    temp.write_text(text)
    os.replace(temp, path)
