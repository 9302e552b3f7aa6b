"""A store of disposable copies (the SSH target's staging) turns its previous release into the next one in
place (ReleaseStore.put with consume): whatever that folder held, the new release holds exactly the
artifact's files, verified, and nothing outside the folder is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib.build.artifact import load_manifest, pack, verify_tree
from deploylib.model import Artifact
from deploylib.targets.store import ReleaseStore

REPO = Path(__file__).resolve().parents[2]


def build(root: Path, files: dict[str, str], folders: tuple[str, ...] = ()) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for name in folders:
        (root / name).mkdir(parents=True, exist_ok=True)
    return root


FIRST = {"index.html": "<h1>one</h1>", "css/a.css": "body{}", "css/old.css": "p{}", "gone/x.js": "x()",
         "same.txt": "kept"}
SECOND = {"index.html": "<h1>two</h1>", "css/a.css": "body{}", "same.txt": "kept", "new/deep/y.js": "y()"}


def releases(tmp_path: Path) -> tuple[ReleaseStore, Artifact, Artifact]:
    first = pack(build(tmp_path / "b1", FIRST), tmp_path / "artifacts", "1.0.0", "c1")
    second = pack(build(tmp_path / "b2", SECOND, folders=("empty",)), tmp_path / "artifacts", "1.1.0", "c2")
    return ReleaseStore(tmp_path / "staging"), first, second


def _stray_file(tree: Path, outside: Path) -> None:
    (tree / "css" / "stray.css").write_text("evil")


def _stray_folder(tree: Path, outside: Path) -> None:
    (tree / "extra" / "in").mkdir(parents=True)
    (tree / "extra" / "in" / "f.txt").write_text("evil")


def _folder_linked_outside(tree: Path, outside: Path) -> None:
    (outside / "css").mkdir()
    for item in (tree / "css").iterdir():
        shutil.copy2(item, outside / "css" / item.name)
    shutil.rmtree(tree / "css")
    (tree / "css").symlink_to(outside / "css")


def _file_linked_outside(tree: Path, outside: Path) -> None:
    (outside / "index.html").write_text("<h1>one</h1>")
    (tree / "index.html").unlink()
    (tree / "index.html").symlink_to(outside / "index.html")


def _same_size_edit(tree: Path, outside: Path) -> None:
    (tree / "same.txt").write_text("evil")  # as long as "kept": only its mtime tells


def _folder_where_a_file_goes(tree: Path, outside: Path) -> None:
    (tree / "same.txt").unlink()
    (tree / "same.txt").mkdir()
    (tree / "same.txt" / "f").write_text("evil")


def _file_where_a_folder_goes(tree: Path, outside: Path) -> None:
    (tree / "new").write_text("evil")


def _file_where_an_empty_folder_goes(tree: Path, outside: Path) -> None:
    (tree / "empty").write_text("evil")


def _changed_file_shared_by_a_hard_link(tree: Path, outside: Path) -> None:
    os.link(tree / "index.html", outside / "other-store-index.html")


def _records_unreadable(tree: Path, outside: Path) -> None:
    (tree.parent / f"{tree.name}.manifest.json").write_text("{ not json")


def _nothing(tree: Path, outside: Path) -> None:
    pass


DISTURBANCES: list[Callable[[Path, Path], None]] = [
    _nothing, _stray_file, _stray_folder, _folder_linked_outside, _file_linked_outside, _same_size_edit,
    _folder_where_a_file_goes, _file_where_a_folder_goes, _file_where_an_empty_folder_goes,
    _changed_file_shared_by_a_hard_link, _records_unreadable,
]


@pytest.mark.parametrize("disturb", DISTURBANCES, ids=[d.__name__.strip("_") for d in DISTURBANCES])
def test_the_next_release_holds_exactly_the_artifact_whatever_the_previous_folder_held(
        tmp_path: Path, disturb: Callable[[Path, Path], None]) -> None:
    store, first, second = releases(tmp_path)
    old = store.put(first)
    outside = tmp_path / "outside"
    outside.mkdir()
    disturb(store.path(old), outside)
    before = {p.relative_to(outside): p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    new = store.put(second, like=old, consume=True)
    tree = store.path(new)
    assert verify_tree(tree, load_manifest(second)) == [] and store.problems(new.id) == []
    assert sorted(str(p.relative_to(tree)) for p in tree.rglob("*")) == sorted(
        ["index.html", "css", "css/a.css", "same.txt", "new", "new/deep", "new/deep/y.js", "empty"])
    assert not any(p.is_symlink() for p in tree.rglob("*"))
    assert [r.id for r in store.all()] == [new.id]
    assert sorted(p.name for p in store.folder.iterdir()) == sorted([new.id, f"{new.id}.json",
                                                                    f"{new.id}.manifest.json"])
    assert {p.relative_to(outside): p.read_bytes() for p in outside.rglob("*") if p.is_file()} == before


def test_files_the_releases_share_stay_in_place(tmp_path: Path) -> None:
    store, first, second = releases(tmp_path)
    old = store.put(first)
    inode = {name: (store.path(old) / name).stat().st_ino for name in ("css/a.css", "same.txt")}
    new = store.put(second, like=old, consume=True)
    assert (store.path(new) / "css" / "a.css").stat().st_ino == inode["css/a.css"]
    assert (store.path(new) / "same.txt").stat().st_ino == inode["same.txt"]


def test_without_consume_the_earlier_release_is_kept(tmp_path: Path) -> None:
    store, first, second = releases(tmp_path)
    old = store.put(first)
    new = store.put(second, like=old)
    assert sorted(r.id for r in store.all()) == sorted([old.id, new.id]) and store.problems(old.id) == []


def test_a_file_that_cannot_be_removed_from_the_previous_folder_sets_it_aside_for_a_fresh_copy(tmp_path: Path) -> None:
    store, first, second = releases(tmp_path)
    old = store.put(first)
    stuck = store.path(old) / "css" / "old.css"  # not in the next release: it must go
    if os.geteuid() == 0:  # root removes files from read-only folders; not immutable ones
        subprocess.run(["chattr", "+i", str(stuck)], check=True)
    else:
        (stuck.parent).chmod(0o555)
    try:
        new = store.put(second, like=old, consume=True)
        assert verify_tree(store.path(new), load_manifest(second)) == [] and [r.id for r in store.all()] == [new.id]
        assert [p.name for p in store.folder.rglob("old.css")] == ["old.css"]  # only in the folder set aside
        assert not (store.path(new) / "css" / "old.css").exists()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(next(store.folder.rglob("old.css")))], check=True)
        else:
            next(store.folder.rglob("old.css")).parent.chmod(0o755)

def test_a_previous_folder_that_cannot_be_moved_is_left_unlisted_and_the_release_unpacked_afresh(
        tmp_path: Path) -> None:
    store, first, second = releases(tmp_path)
    old = store.put(first)
    if os.geteuid() == 0:  # root moves read-only folders; not immutable ones
        subprocess.run(["chattr", "+i", str(store.path(old))], check=True)
    else:  # moving a folder rewrites its "..": it needs write permission on the folder itself
        store.path(old).chmod(0o555)
    try:
        new = store.put(second, like=old, consume=True)
        assert verify_tree(store.path(new), load_manifest(second)) == [] and [r.id for r in store.all()] == [new.id]
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(store.path(old))], check=True)
        else:
            store.path(old).chmod(0o755)


PUT = """import sys
from pathlib import Path
from deploylib.model import Artifact
from deploylib.targets.store import ReleaseStore
store, tar, manifest = ReleaseStore(Path(sys.argv[1])), Path(sys.argv[2]), Path(sys.argv[3])
artifact = Artifact(digest=sys.argv[4], tar=tar, manifest=manifest, version="1.1.0", commit="c2")
print(store.put(artifact, like=store.newest(), consume=True).id)
"""


def test_a_put_killed_while_it_updates_the_previous_folder_leaves_nothing_listed_and_the_next_one_completes(
        tmp_path: Path) -> None:
    store, first, second = releases(tmp_path)
    store.put(first)
    argv = [sys.executable, "-c", PUT, str(store.folder), str(second.tar), str(second.manifest), second.digest]
    killed = subprocess.run(argv, env={**os.environ, "DEPLOYLIB_CRASH_AT": "staging:moved"}, capture_output=True,
                            text=True, cwd=REPO, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert store.all() == []
    done = subprocess.run(argv, env={k: v for k, v in os.environ.items() if k != "DEPLOYLIB_CRASH_AT"},
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    new = store.read(done.stdout.strip())
    assert new is not None and store.problems(new.id) == []
    assert sorted(p.name for p in store.folder.iterdir()) == sorted([new.id, f"{new.id}.json",
                                                                    f"{new.id}.manifest.json"])
