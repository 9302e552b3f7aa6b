"""The build record (`.deploylib/build.json`): the artifact the last build made, and whether that build is
still current, the build task's uptodate rule. Kept apart from the build itself (stage.py), which packs
artifacts: a run that changes nothing reads the record without loading it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib.errors import ArtifactError, StateError
from deploylib.model import Artifact
from deploylib.state.atomic import read_regular, write_atomically

if TYPE_CHECKING:
    from deploylib.state.workspace import Workspace


def build_key(ws: Workspace, fingerprint: str, version: str) -> str:
    """What decides whether a build is still current: sources, version, and build settings."""
    settings = json.dumps({"command": ws.config.build.command, "output": ws.config.build.output,
                           "env": ws.config.build.env}, sort_keys=True)
    return hashlib.sha256(f"{fingerprint}\0{version}\0{settings}".encode()).hexdigest()


def write_record(path: Path, artifact: Artifact) -> None:
    """Rewrite the build record only when it changes, so stages that depend on it stay up to date."""
    text = artifact.to_json()
    try:
        if not _holds(path, text):
            write_atomically(path, text)  # a reader (another run, a killed one's successor) never sees half
    except OSError as err:
        raise StateError(f"Cannot write the build record {path}: {err.strerror}. The artifact {artifact.release_id} "
                         f"was built but nothing was released or deployed. Make {path.parent} writable (and give "
                         "its disk free space), then run the command again.") from None


def _holds(path: Path, text: str) -> bool:
    """Whether the file `path` holds `text` now (a missing or unreadable one, a fifo say, does not)."""
    try:
        return read_regular(path).decode(errors="replace") == text
    except OSError:
        return False


def is_current(ws: Workspace, key: str, built_key: object) -> bool:
    """Whether the recorded build can be deployed as it is: it was built for `key` (`built_key` is the key
    its run recorded), its artifact is still on disk, and it never failed validation anywhere (a clean
    build of the same commit may differ, so such an artifact is rebuilt). Raises ArtifactError without a
    readable build record."""
    built = read_record(ws)
    return built_key == key and built.tar.exists() and not ws.ledger.failed_anywhere(built.digest)


def read_record(ws: Workspace) -> Artifact:
    try:
        return Artifact.from_json(read_regular(ws.build_record).decode())
    except FileNotFoundError:
        raise ArtifactError("There is no build yet: run doit build (or doit deploy:ENV, which builds first).") from None
    except (ValueError, KeyError, TypeError, OSError) as err:
        raise ArtifactError(f"The build record {ws.build_record} is unreadable ({err}); rebuild with "
                            "doit forget build && doit build.") from None
