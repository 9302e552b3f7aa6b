"""Reproducible artifacts: pack a build output, check its digest, unpack it safely, verify a tree.

The tar holds regular files and folders only, in sorted order, with fixed mtimes, owners and
modes, so the same build output always gives the same bytes and the same sha256 digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from deploylib.errors import ArtifactError, BuildError
from deploylib.model import Artifact

Manifest = dict[str, dict[str, object]]  # relative path -> {"sha256", "size", "mode", "offset", "blob"}

_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entries(source: Path) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every folder and file below `source`, sorted; symlinks refused."""
    found = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames.sort()
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            rel = path.relative_to(source).as_posix()
            if path.is_symlink():
                raise BuildError(f"The build output contains a symlink, {path}. Artifacts hold regular files only "
                                 "so a release cannot point outside itself: copy the file instead.")
            found.append((rel, path))
    return sorted(found)


def pack(source: Path, store: Path, version: str, commit: str) -> Artifact:
    """Pack `source` into `store/<hex>.tar` with its manifest; identical trees give identical digests."""
    store.mkdir(parents=True, exist_ok=True)
    manifest: Manifest = {}
    fd, tmp_name = tempfile.mkstemp(dir=store, prefix=".pack-", suffix=".tar")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for rel, path in _entries(source):
                info = tarfile.TarInfo(rel)
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                if path.is_dir():
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                    continue
                data = path.read_bytes()
                info.mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                manifest[rel] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "mode": info.mode,
                                 # where its bytes start in the tar, and git's id for them: a publish to a
                                 # branch reads only the files the branch does not have yet
                                 "offset": tar.offset - -(-len(data) // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE,
                                 "blob": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()}  # noqa: S324
        digest = "sha256:" + _file_sha256(tmp)
        hex_digest = digest.split(":", 1)[1]
        tar_path = store / f"{hex_digest}.tar"
        manifest_path = store / f"{hex_digest}.manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, tar_path)
    finally:
        tmp.unlink(missing_ok=True)
    return Artifact(digest=digest, tar=tar_path, manifest=manifest_path, version=version, commit=commit)


def load_manifest(artifact: Artifact) -> Manifest:
    try:
        manifest: Manifest = json.loads(artifact.manifest.read_text())
    except (OSError, ValueError) as err:
        raise ArtifactError(f"The manifest {artifact.manifest} of {artifact.release_id} cannot be read ({err}). "
                            "Rebuild: doit forget build && doit build.") from None
    return manifest


def check_digest(artifact: Artifact) -> None:
    """Raise unless the artifact's bytes still hash to its digest."""
    try:
        actual = "sha256:" + _file_sha256(artifact.tar)
    except OSError as err:
        raise ArtifactError(f"The artifact {artifact.tar} cannot be read ({err.strerror}). "
                            "Rebuild it: doit forget build && doit build.") from None
    if actual != artifact.digest:
        raise ArtifactError(f"The artifact {artifact.tar} is corrupt: its sha256 is {actual}, but it was built as "
                            f"{artifact.digest}. Nothing was deployed. Rebuild it: doit forget build && doit build.")


def same_content(a: dict[str, object] | None, b: dict[str, object]) -> bool:
    """Whether two manifest entries describe the same file (wherever it sits in its tar)."""
    return a is not None and (a["sha256"], a["mode"]) == (b["sha256"], b["mode"])


class FileReader:
    """Random access to an artifact's files through its manifest, after checking the digest: for a
    consumer that needs only some files' bytes (the rest it knows by their ids)."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact
        self.manifest = load_manifest(artifact)
        if any("offset" not in entry for entry in self.manifest.values()):
            raise ArtifactError(f"{artifact.release_id} was built by an older deploylib: its manifest has no file "
                                "offsets. Rebuild it: doit forget build && doit build.")
        for path in self.manifest:
            _safe_member_path(path, str(artifact.manifest))
        check_digest(artifact)

    def __enter__(self) -> FileReader:
        self._tar = self.artifact.tar.open("rb")
        return self

    def __exit__(self, *exc: object) -> None:
        self._tar.close()

    def read(self, path: str) -> bytes:
        """A file's bytes, checked against its manifest entry."""
        entry = self.manifest[path]
        offset, size = int(entry["offset"]), int(entry["size"])  # type: ignore[call-overload]
        self._tar.seek(offset - tarfile.BLOCKSIZE)  # the entry's header, just before its bytes
        try:
            header = tarfile.TarInfo.frombuf(self._tar.read(tarfile.BLOCKSIZE), "utf-8", "surrogateescape")
        except tarfile.HeaderError:
            header = None
        if header is None or not header.isfile() or header.size != size:
            raise ArtifactError(f"{self.artifact.tar} holds no regular file where its manifest puts {path!r} (a "
                                "link or special file, or a manifest that does not belong to it). Artifacts hold "
                                "regular files only; nothing was deployed. Rebuild: doit forget build && doit build.")
        data = self._tar.read(size)
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ArtifactError(f"{self.artifact.tar} does not hold {path} where its manifest says: the manifest "
                                f"{self.artifact.manifest} does not belong to it. Rebuild: doit forget build && "
                                "doit build.")
        return data


def _safe_member_path(name: str, where: str) -> str:
    """`name` when it stays inside the release it unpacks into (plain string work: it runs per file)."""
    parts = name.split("/")
    if name.startswith("/") or ".." in parts or not name.strip("/."):
        raise ArtifactError(f"{where} contains the entry {name!r}, which would unpack outside the release "
                            "directory. Nothing was deployed; rebuild the artifact from a clean build output.")
    return name


def members(artifact: Artifact) -> Iterator[tuple[PurePosixPath, tarfile.TarInfo, IO[bytes] | None]]:
    """(safe relative path, entry, content for files) of every entry, after checking the digest; an entry
    that would escape the release, or a link or special file, stops everything with an error."""
    check_digest(artifact)
    with tarfile.open(artifact.tar, mode="r:") as tar:
        for member in tar:
            rel = PurePosixPath(_safe_member_path(member.name, str(artifact.tar)))
            if not (member.isdir() or member.isfile()):
                raise ArtifactError(f"{artifact.tar} contains {member.name!r}, which is a link or special file. "
                                    "Artifacts hold regular files only; nothing was deployed.")
            yield rel, member, tar.extractfile(member) if member.isfile() else None


def unpack(artifact: Artifact, dest: Path, like: Path | None = None, like_manifest: Manifest | None = None) -> None:
    """Unpack into `dest` (which must not exist), refusing entries that would escape it or link elsewhere.
    Files identical to those of an earlier release unpacked in `like` (per its manifest) are hard-linked
    from it: less to write, and they keep their modification times, so rsync sees them unchanged."""
    manifest = load_manifest(artifact) if like and like_manifest else {}
    dest.mkdir(parents=True)
    base, earlier = str(dest), str(like)
    for rel, member, source in members(artifact):  # plain strings below: this loop runs per file
        key = rel.as_posix()
        target = f"{base}/{key}"
        if source is None:
            os.makedirs(target, exist_ok=True)
            continue
        if key in manifest and same_content(like_manifest.get(key), manifest[key]):  # type: ignore[union-attr]
            with contextlib.suppress(OSError):  # gone, or on another filesystem: write it instead
                os.link(f"{earlier}/{key}", target)
                continue
        try:
            out = open(target, "wb")  # noqa: SIM115 - closed below; the folder usually exists already
        except FileNotFoundError:  # a tar without folder entries
            os.makedirs(os.path.dirname(target), exist_ok=True)
            out = open(target, "wb")  # noqa: SIM115
        with out:
            while chunk := source.read(_CHUNK):
                out.write(chunk)
        os.chmod(target, member.mode & 0o755)


def verify_tree(root: Path, manifest: Manifest) -> list[str]:
    """Differences between the files under `root` and the manifest: missing, changed and extra files."""
    problems = []
    seen = set()
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            seen.add(rel)
            expected = manifest.get(rel)
            if expected is None:
                problems.append(f"unexpected file {rel}")
            elif _file_sha256(Path(dirpath, name)) != expected["sha256"]:
                problems.append(f"{rel} differs from the artifact")
    problems.extend(f"{rel} is missing" for rel in sorted(set(manifest) - seen))
    return problems
