"""A directory on this machine, in Capistrano's layout.

    <path>/releases/<version>-<short digest>/   one unpacked, verified release
    <path>/releases/<id>.json                   its metadata, written last: a release without it is incomplete
    <path>/current -> releases/<id>             switched atomically: a new symlink renamed over the old one
    <path>/revisions.log                        one JSON line per activation (who, when, which)
    <path>/.deploy.lock                         the deploy lock (see lock.py)
"""

from __future__ import annotations

import json
import os
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from deploylib.errors import TargetError
from deploylib.model import Artifact, Release, utc_now
from deploylib.schema import option
from deploylib.targets.base import Target
from deploylib.targets.store import ReleaseStore


@dataclass(frozen=True)
class LocalOptions:
    path: str = option(doc='a folder path, absolute or relative to the repository, e.g. "/srv/www/site"')
    port: int = option(0, doc="the 127.0.0.1 port deploylib serves the live release on for validation "
                              "when the environment has no url (0: any free port)",
                       check=lambda v: "" if 0 <= v <= 65535 else "is not a TCP port")


class LocalTarget(Target):
    Options = LocalOptions
    options: LocalOptions

    def __init__(self, options: LocalOptions, root: Path, environment: str) -> None:
        super().__init__(options, root, environment)
        self.base = Path(os.path.abspath(root / options.path))
        self.store = ReleaseStore(self.base / "releases")
        self.current = self.base / "current"
        self.revisions = self.base / "revisions.log"

    def describe(self) -> str:
        return f"local directory {self.base}"

    def _activations(self) -> dict[str, tuple[int, dict[str, str]]]:
        """Each release id's latest activation in revisions.log, with its line number: the order of
        activations, which timestamps (one-second resolution) cannot always tell."""
        latest: dict[str, tuple[int, dict[str, str]]] = {}
        try:
            lines = self.revisions.read_text().splitlines()
        except FileNotFoundError:
            return latest
        for number, line in enumerate(lines):
            try:
                entry = json.loads(line)
                latest[entry["id"]] = (number, entry)
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a crash: the activation it began is not trusted
        return latest

    def _with_activation(self, release: Release, activations: dict[str, tuple[int, dict[str, str]]]) -> Release:
        entry = activations.get(release.id, (-1, {}))[1]
        return replace(release, activated_at=entry.get("time", ""), activated_by=entry.get("by", ""))

    def live(self) -> Release | None:
        try:
            release_id = Path(os.readlink(self.current)).name
        except FileNotFoundError:
            return None
        except OSError as err:
            raise TargetError(f"Cannot read {self.current}: {err.strerror}.") from None
        release = self.store.read(release_id)
        if release is None:
            raise TargetError(f"{self.current} points at {release_id}, which is not complete in {self.store.folder}. "
                              "The target was changed by hand; redeploy to repair it.")
        return self._with_activation(release, self._activations())

    def releases(self) -> list[Release]:
        activations = self._activations()
        complete = self.store.all()
        complete.sort(key=lambda r: (activations.get(r.id, (-1, {}))[0], r.id))
        return [self._with_activation(r, activations) for r in complete]

    def deploy(self, artifact: Artifact) -> Release:
        try:
            return self.store.put(artifact)
        except PermissionError as err:
            raise TargetError(f"Permission denied writing {err.filename or self.base}: the deploy user cannot "
                              f"write to {self.base}. Fix its ownership or permissions.") from None

    def activate(self, release: Release, by: str) -> None:
        if self.store.read(release.id) is None:
            raise TargetError(f"Release {release.id} is not complete on {self.describe()}; it cannot be made live.")
        temp_link = self.base / f".current-{os.getpid()}"
        temp_link.unlink(missing_ok=True)
        os.symlink(Path("releases") / release.id, temp_link)
        os.replace(temp_link, self.current)  # rename(2) is atomic: readers see the old or the new release
        _fsync_dir(self.base)
        with self.revisions.open("a") as log:
            log.write(json.dumps({"time": utc_now(), "id": release.id, "version": release.version,
                                  "digest": release.digest, "by": by}) + "\n")

    @property
    def lock_file(self) -> Path:
        return self.base / ".deploy.lock"  # in the target folder: shared by everyone deploying to it

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        old = [r for r in self.releases()[:-keep or None] if r.id not in protect]
        return [problem for r in old if (problem := self.store.remove(r))]

    def serve(self) -> AbstractContextManager[str | None]:
        from deploylib.serve import static_server

        return static_server(self.current, self.options.port, f"{self.environment} ({self.current})")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
