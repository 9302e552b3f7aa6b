"""Artifacts: reproducible bytes, corruption detection, safe unpacking, tree verification."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from deploylib.build import artifact as artifacts
from deploylib.build.artifact import check_tar, load_manifest, pack, unpack, verify_tree
from deploylib.errors import ArtifactError, BuildError
from deploylib.model import Artifact


def site(root: Path) -> Path:
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<h1>hi</h1>")
    (root / "css" / "a.css").write_text("body{}")
    return root


def test_identical_trees_give_identical_digests_whatever_their_mtimes(tmp_path: Path) -> None:
    first = pack(site(tmp_path / "a"), tmp_path / "store1", "1.0.0", "c")
    second_tree = site(tmp_path / "b")
    os.utime(second_tree / "index.html", (1, 1))
    second = pack(second_tree, tmp_path / "store2", "1.0.0", "c")
    assert first.digest == second.digest
    assert first.tar.read_bytes() == second.tar.read_bytes()


def test_a_changed_file_changes_the_digest(tmp_path: Path) -> None:
    first = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    (tmp_path / "a" / "index.html").write_text("<h1>changed</h1>")
    assert pack(tmp_path / "a", tmp_path / "store", "1.0.0", "c").digest != first.digest


def test_the_manifest_lists_every_file_with_its_hash(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    assert sorted(load_manifest(artifact)) == ["css/a.css", "index.html"]


def test_symlinks_in_the_build_output_are_refused(tmp_path: Path) -> None:
    tree = site(tmp_path / "a")
    (tree / "escape").symlink_to("/etc/passwd")
    with pytest.raises(BuildError, match="contains a symlink"):
        pack(tree, tmp_path / "store", "1.0.0", "c")


@pytest.mark.parametrize("settled", [True, False], ids=["as-packed", "written-just-now"])
def test_a_corrupt_artifact_is_detected(tmp_path: Path, settled: bool) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    if not settled:  # written "now" (e.g. copied in): a write within the same clock tick keeps its mtime, so
        os.utime(artifact.tar)  # the check that passes now remembers the tar without its stat
        check_tar(artifact)
    flip_byte(artifact.tar, 600)
    with pytest.raises(ArtifactError, match="is corrupt"):
        check_tar(artifact)


def test_a_checked_tar_is_refused_for_an_artifact_that_claims_another_digest(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    other = tmp_path / "b"
    (other / "index.html").parent.mkdir()
    (other / "index.html").write_text("another build")
    claimed = pack(other, tmp_path / "store", "1.0.0", "c").digest
    with pytest.raises(ArtifactError, match="is corrupt"):  # e.g. a build record edited to name another build
        check_tar(replace(artifact, digest=claimed))


def test_another_artifacts_manifest_and_stamp_copied_beside_a_tar_are_refused(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    other = tmp_path / "b"
    (other / "index.html").parent.mkdir()
    (other / "index.html").write_text("another build")
    copied = pack(other, tmp_path / "store2", "1.0.0", "c")
    artifact.manifest.write_bytes(copied.manifest.read_bytes())
    artifact.tar.with_suffix(".checked").write_bytes(copied.tar.with_suffix(".checked").read_bytes())
    with pytest.raises(ArtifactError, match="not the manifest's next file"):
        check_tar(artifact)


def test_unpack_then_verify_matches(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    unpack(artifact, tmp_path / "out")
    assert verify_tree(tmp_path / "out", load_manifest(artifact)) == []


def test_verify_reports_changed_missing_and_extra_files(tmp_path: Path) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    unpack(artifact, tmp_path / "out")
    (tmp_path / "out" / "index.html").write_text("tampered")
    (tmp_path / "out" / "css" / "a.css").unlink()
    (tmp_path / "out" / "extra.txt").write_text("x")
    problems = verify_tree(tmp_path / "out", load_manifest(artifact))
    assert sorted(problems) == ["css/a.css is missing", "index.html differs from the artifact",
                                "unexpected file extra.txt"]


def hostile(tmp_path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Artifact:
    """A tar a malicious or broken build could produce, with a matching digest."""
    import hashlib

    path = tmp_path / "hostile.tar"
    with tarfile.open(path, "w") as tar:
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data) if data else None)
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return Artifact(digest=digest, tar=path, manifest=tmp_path / "m.json", version="1", commit="c")


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/evil", "a/../../escape"])
def test_unpack_refuses_paths_outside_the_release(tmp_path: Path, name: str) -> None:
    with pytest.raises(ArtifactError, match="outside the release directory"):
        unpack(hostile(tmp_path, tarfile.TarInfo(name), b"x"), tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_unpack_refuses_symlinks(tmp_path: Path) -> None:
    link = tarfile.TarInfo("link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc"
    with pytest.raises(ArtifactError, match="link or special file"):
        unpack(hostile(tmp_path, link), tmp_path / "out")


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, refusal", [
    (lambda a: flip_byte(a.tar, 0), "corrupt"),  # a header byte, right after packing: same size, same inode
    (lambda a: flip_byte(a.tar, 600), "corrupt"),  # a file's byte
    (lambda a: a.manifest.write_text(a.manifest.read_text().replace('"mode": 420', '"mode": 493', 1)),
     "not the manifest's next file"),
])
def test_an_artifact_changed_after_it_was_packed_or_checked_is_still_refused(tmp_path: Path, damage, refusal) -> None:  # noqa: ANN001
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    unpack(artifact, tmp_path / "first")  # checked once: remembered
    damage(artifact)
    with pytest.raises(ArtifactError, match=refusal):
        unpack(artifact, tmp_path / "second")


def edited_keeping_its_mtime(artifact: Artifact) -> None:
    """A same-size edit, then the old mtime put back (as `cp -p` of an edited copy over it does)."""
    info = artifact.tar.stat()
    flip_byte(artifact.tar, 600)
    os.utime(artifact.tar, ns=(info.st_atime_ns, info.st_mtime_ns))


CHANGES = {
    "the tar": (edited_keeping_its_mtime, "corrupt"),
    "the manifest": (lambda a: a.manifest.write_text(a.manifest.read_text().replace('"mode": 420', '"mode": 493', 1)),
                     "not the manifest's next file"),
}
CHECKS = {  # how check_tar reads the tar, and where it is made to
    "whole (no stamp)": ("_walk", lambda a: a.tar.with_suffix(".checked").unlink()),
    "by its digest (stamped, copied since)": ("_sha256", lambda a: os.utime(a.tar, ns=(1, a.tar.stat().st_mtime_ns))),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("change", CHANGES)
def test_what_changes_while_a_tar_is_checked_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              change: str, check: str) -> None:
    artifact = pack(site(tmp_path / "a"), tmp_path / "store", "1.0.0", "c")
    (damage, refusal), (reader, prepare) = CHANGES[change], CHECKS[check]
    prepare(artifact)
    read = getattr(artifacts, reader)

    def read_then_changed(first, *rest):  # noqa: ANN001, ANN002, ANN202 - another process writes as the check ends
        found = read(first, *rest)
        if getattr(first, "name", str(artifact.tar)) == str(artifact.tar):  # the tar was read (not the manifest)
            damage(artifact)
        return found

    monkeypatch.setattr(artifacts, reader, read_then_changed)
    check_tar(artifact)  # passes: it read what was there before
    monkeypatch.undo()
    with pytest.raises(ArtifactError, match=refusal):
        check_tar(artifact)


ODD_NAMES = ["index.html", "caf\u00e9/men\u00fc.html", 'say "hi".txt', "back\\slash.css", "with space.js",
             "\u6f22\u5b57.html", "run.sh"]


def odd_site(root: Path) -> Path:
    for name in ODD_NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"content of {name}")
    (root / "run.sh").chmod(0o755)
    return root


def test_pack_lists_the_files_as_git_lists_them_in_a_commit_made_from_the_artifact(tmp_path: Path) -> None:
    tree = odd_site(tmp_path / "site")
    artifact = pack(tree, tmp_path / "store", "1.0.0", "c")
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(tree), *command], check=True)
    shown = subprocess.run(["git", "-C", str(tree), "ls-tree", "-r", "-z", "HEAD"], capture_output=True, text=True,
                           check=True).stdout
    assert artifacts.listed(artifact, artifacts._file_sha256(str(artifact.manifest))) == \
        set(shown.split("\0")) - {""}


@pytest.mark.parametrize("damage", ["edited", "removed", "stamp without it"])
def test_a_listing_the_stamp_does_not_vouch_for_is_not_used(tmp_path: Path, damage: str) -> None:
    artifact = pack(site(tmp_path / "site"), tmp_path / "store", "1.0.0", "c")
    listing, stamp = artifact.tar.with_suffix(".listing"), artifact.tar.with_suffix(".checked")
    if damage == "edited":
        listing.write_bytes(listing.read_bytes().replace(b"index.html", b"other.html"))
    elif damage == "removed":
        listing.unlink()
    else:
        stamp.write_text(stamp.read_text().replace('"listing": "', '"listing": "0'))
    assert artifacts.listed(artifact, artifacts._file_sha256(str(artifact.manifest))) is None
    with artifacts.FileReader(artifact) as files:  # made from the manifest instead
        assert any(line.endswith("\tindex.html") for line in files.listing())


@pytest.mark.parametrize("name", ODD_NAMES)
def test_an_entry_read_from_its_own_line_is_the_one_the_whole_manifest_holds(tmp_path: Path, name: str) -> None:
    artifact = pack(odd_site(tmp_path / "site"), tmp_path / "store", "1.0.0", "c")
    with artifacts.FileReader(artifact) as files:
        files.listing()  # the listing pack wrote: entries are then read line by line
        assert files.entry(name) == load_manifest(artifact)[name]
        assert files.read(name) == f"content of {name}".encode()
        with pytest.raises(KeyError):
            files.entry(name + ".missing")
