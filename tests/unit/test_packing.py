"""Packing in one pass: the tar is what tarfile would write, its digest is its bytes' sha256, the
manifest streams line by line, and a large file unchanged since the last pack keeps its hashes."""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
from pathlib import Path

import pytest

from deploylib.build.artifact import _header, load_manifest, pack, read_entries
from deploylib.errors import ArtifactError
from deploylib.targets.local import LocalOptions, LocalTarget

BIG = 1 << 17  # above the size from which recorded hashes are reused


@pytest.mark.parametrize(("name", "mode", "size", "kind"), [
    ("index.html", 0o644, 12, tarfile.REGTYPE), ("bin/run", 0o755, 0, tarfile.REGTYPE),
    ("css/", 0o755, 0, tarfile.DIRTYPE), ("x" * 100, 0o644, 5, tarfile.REGTYPE),
    ("y" * 101, 0o644, 5, tarfile.REGTYPE), ("caf\u00e9.html", 0o644, 8 ** 11 - 1, tarfile.REGTYPE),
])
def test_a_header_is_byte_for_byte_what_tarfile_writes(name: str, mode: int, size: int, kind: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.mtime, info.uname, info.gname = kind, mode, size, 0, "", ""
    assert _header(name, mode, size, kind) == info.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict")


def site(root: Path) -> Path:
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<h1>hi</h1>")
    (root / "css" / "a.css").write_text("body{}")
    (root / "big.bin").write_bytes(os.urandom(BIG))
    old = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def test_the_digest_is_the_sha256_of_the_tar_tarfile_reads(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    assert artifact.digest == "sha256:" + hashlib.sha256(artifact.tar.read_bytes()).hexdigest()
    with tarfile.open(artifact.tar) as tar:
        assert tar.getnames() == ["big.bin", "css", "css/a.css", "index.html"]
        assert tar.extractfile("css/a.css").read() == b"body{}"  # type: ignore[union-attr]


def test_the_manifest_streams_the_same_entries_json_reads_whole(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    whole = load_manifest(artifact)
    streamed = list(read_entries(artifact.manifest))
    assert [e.path for e in streamed] == sorted(whole)
    assert all((e.sha256, e.size, e.mode, e.offset, e.blob) == tuple(whole[e.path][k] for k in (
        "sha256", "size", "mode", "offset", "blob")) for e in streamed)


def test_an_unchanged_large_file_keeps_its_recorded_hashes(tmp_path: Path) -> None:
    """Proven by a change the size and mtime hide: the manifest keeps the old hash (git's index would
    too), and the deploy then refuses the artifact because the bytes do not match it."""
    tree = site(tmp_path / "a")
    first = load_manifest(pack(tree, tmp_path / "store", "1.0.0", "c"))
    stamp = (tree / "big.bin").stat()
    (tree / "big.bin").write_bytes(os.urandom(BIG))
    os.utime(tree / "big.bin", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    second = pack(tree, tmp_path / "store", "1.0.1", "c")
    assert load_manifest(second)["big.bin"]["sha256"] == first["big.bin"]["sha256"]
    target = LocalTarget(LocalOptions(path="site"), root=tmp_path, environment="production")
    with pytest.raises(ArtifactError, match="does not hold big.bin as its manifest"):
        target.deploy(second)


def test_a_file_changed_just_before_the_last_pack_is_hashed_again(tmp_path: Path) -> None:
    tree = site(tmp_path / "a")
    (tree / "big.bin").write_bytes(os.urandom(BIG))  # as new as the pack itself: its mtime cannot be trusted
    stamp = (tree / "big.bin").stat()
    pack(tree, tmp_path / "store", "1.0.0", "c")
    (tree / "big.bin").write_bytes(changed := os.urandom(BIG))
    os.utime(tree / "big.bin", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    second = load_manifest(pack(tree, tmp_path / "store", "1.0.1", "c"))
    assert second["big.bin"]["sha256"] == hashlib.sha256(changed).hexdigest()
