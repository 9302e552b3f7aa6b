"""The local directory target on a real filesystem, served by deploylib's server and by nginx."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

from deploylib.build.artifact import pack
from deploylib.errors import ArtifactError, TargetError
from deploylib.model import Artifact
from deploylib.targets.local import LocalOptions, LocalTarget
from deploylib.targets.serve import static_server


def build(tmp_path: Path, version: str, body: str, files: int = 1) -> Artifact:
    tree = tmp_path / f"build-{version}"
    tree.mkdir()
    (tree / "index.html").write_text(f"<h1>{body}</h1>")
    for i in range(1, files):
        (tree / f"page{i}.html").write_text(str(i))
    return pack(tree, tmp_path / "artifacts", version, "c0ffee" + version)


@pytest.fixture
def target(tmp_path: Path) -> LocalTarget:
    return LocalTarget(LocalOptions(path="site"), root=tmp_path, environment="production")


def test_nothing_is_live_before_the_first_activation(target: LocalTarget) -> None:
    assert target.live() is None and target.releases() == []


NOT_A_LINK = {"a folder": (os.mkdir, "a folder"), "a file": (lambda path: path.write_text("x"), "a file"),
              "a fifo": (os.mkfifo, "neither a file nor a folder")}


@pytest.mark.parametrize("case", NOT_A_LINK)
def test_a_current_that_is_not_a_link_is_named_and_left_alone(target: LocalTarget, tmp_path: Path, case: str) -> None:
    target.activate(target.deploy(build(tmp_path, "1.0.0", "one")), "ci")
    target.current.unlink()
    make, kind = NOT_A_LINK[case]
    make(target.current)
    with pytest.raises(TargetError, match=f"{target.current} is {kind}, not the symbolic link deploylib switches"):
        target.live()
    with pytest.raises(TargetError, match="not the symbolic link"):
        target.activate(target.deploy(build(tmp_path, "2.0.0", "two")), "ci")
    assert not target.current.is_symlink()  # never replaced


def test_a_current_link_that_loops_is_not_a_release_of_deploylibs(target: LocalTarget, tmp_path: Path) -> None:
    target.current.parent.mkdir(parents=True)
    target.current.symlink_to("current")
    live = target.live()
    assert live is not None and live.foreign and "-> current" in live.foreign
    target.activate(target.deploy(build(tmp_path, "1.0.0", "one")), "ci")
    assert target.live().version == "1.0.0"  # type: ignore[union-attr]


def test_deploy_unpacks_a_verified_release_that_is_not_live_yet(target: LocalTarget, tmp_path: Path) -> None:
    release = target.deploy(build(tmp_path, "1.0.0", "one"))
    assert (target.store.folder / release.id / "index.html").read_text() == "<h1>one</h1>"
    assert target.live() is None


def test_activate_switches_current_and_records_who(target: LocalTarget, tmp_path: Path) -> None:
    release = target.deploy(build(tmp_path, "1.0.0", "one"))
    target.activate(release, "alice")
    live = target.live()
    assert live is not None and (live.id, live.activated_by) == (release.id, "alice")
    assert (target.current / "index.html").read_text() == "<h1>one</h1>"
    assert os.readlink(target.current) == f"releases/{release.id}"


def test_activating_an_older_release_is_a_rollback(target: LocalTarget, tmp_path: Path) -> None:
    old = target.deploy(build(tmp_path, "1.0.0", "one"))
    new = target.deploy(build(tmp_path, "1.1.0", "two"))
    target.activate(old, "ci")
    target.activate(new, "ci")
    target.activate(old, "ci")
    assert target.live().id == old.id
    assert [r.id for r in target.releases()] == [new.id, old.id]  # ordered by last activation


def test_redeploying_the_same_artifact_reuses_the_release(target: LocalTarget, tmp_path: Path) -> None:
    artifact = build(tmp_path, "1.0.0", "one")
    first = target.deploy(artifact)
    inode = (target.store.folder / first.id / "index.html").stat().st_ino
    assert target.deploy(artifact) == first
    assert (target.store.folder / first.id / "index.html").stat().st_ino == inode


def test_a_tampered_release_is_replaced_on_redeploy(target: LocalTarget, tmp_path: Path) -> None:
    artifact = build(tmp_path, "1.0.0", "one")
    release = target.deploy(artifact)
    (target.store.folder / release.id / "index.html").write_text("defaced")
    target.deploy(artifact)
    assert (target.store.folder / release.id / "index.html").read_text() == "<h1>one</h1>"


def test_a_corrupt_artifact_is_refused_and_the_live_release_stays(target: LocalTarget, tmp_path: Path) -> None:
    good = target.deploy(build(tmp_path, "1.0.0", "one"))
    target.activate(good, "ci")
    bad = build(tmp_path, "1.1.0", "two")
    bad.tar.write_bytes(bad.tar.read_bytes()[:-1024])
    with pytest.raises(ArtifactError, match="corrupt"):
        target.deploy(bad)
    assert target.live().id == good.id
    assert not (target.store.folder / bad.release_id).exists()


def test_a_partial_unpack_left_by_a_killed_deploy_is_never_listed_and_is_cleaned(target: LocalTarget,
                                                                                 tmp_path: Path) -> None:
    good = target.deploy(build(tmp_path, "1.0.0", "one"))
    partial = target.store.folder / ".partial-1.1.0-abc-999"
    partial.mkdir()
    assert [r.id for r in target.releases()] == [good.id]
    target.deploy(build(tmp_path, "1.1.0", "two"))
    assert not partial.exists()


def test_a_release_without_metadata_cannot_be_activated(target: LocalTarget, tmp_path: Path) -> None:
    release = target.deploy(build(tmp_path, "1.0.0", "one"))
    (target.store.folder / f"{release.id}.json").unlink()
    with pytest.raises(TargetError, match="not complete"):
        target.activate(release, "ci")


def test_cleanup_reports_what_it_cannot_remove_without_failing(target: LocalTarget, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    releases = [target.deploy(build(tmp_path, f"1.{n}.0", str(n))) for n in range(3)]
    for release in releases:
        target.activate(release, "ci")

    def owned_by_the_web_server(path: Path) -> None:  # as root, a real permission problem cannot be made
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(shutil, "rmtree", owned_by_the_web_server)
    problems = target.cleanup(keep=2, protect=set())
    assert problems == [f"{target.store.folder / releases[0].id}: Permission denied"]


def test_an_unwritable_deploy_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    target = LocalTarget(LocalOptions(path="file/site"), root=tmp_path, environment="production")
    with pytest.raises((TargetError, OSError)):
        target.deploy(build(tmp_path, "1.0.0", "one"))


def test_the_static_server_sees_a_switch_on_the_next_request(target: LocalTarget, tmp_path: Path) -> None:
    one, two = (target.deploy(build(tmp_path, v, b)) for v, b in (("1.0.0", "one"), ("1.1.0", "two")))
    target.activate(one, "ci")
    with target.serve() as url:
        assert requests.get(url, timeout=5).text == "<h1>one</h1>"
        target.activate(two, "ci")
        assert requests.get(url, timeout=5).text == "<h1>two</h1>"


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with static_server(tmp_path, 0, "first") as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(TargetError, match=f"Port {port} on 127.0.0.1 is already in use"), \
                static_server(tmp_path, port, "second"):
            pass


def test_nginx_serving_current_sees_the_atomic_switch(target: LocalTarget, tmp_path: Path, nginx) -> None:
    one, two = (target.deploy(build(tmp_path, v, b)) for v, b in (("1.0.0", "one"), ("1.1.0", "two")))
    target.activate(one, "ci")
    server = nginx(target.current)
    assert requests.get(server.url("/index.html"), timeout=5).text == "<h1>one</h1>"
    target.activate(two, "ci")
    assert requests.get(server.url("/index.html"), timeout=5).text == "<h1>two</h1>"
    target.activate(one, "ci")
    assert requests.get(server.url("/index.html"), timeout=5).text == "<h1>one</h1>"
    shutil.rmtree(target.store.folder / two.id)  # nginx never needed the other release's files


def test_files_unchanged_since_the_live_release_are_hard_linked_not_copied(target: LocalTarget,
                                                                           tmp_path: Path) -> None:
    old = target.deploy(build(tmp_path, "1.0.0", "one", files=3))
    target.activate(old, "ci")
    new = target.deploy(build(tmp_path, "1.1.0", "two", files=3))
    releases = tmp_path / "site" / "releases"
    assert (releases / old.id / "page2.html").stat().st_ino == (releases / new.id / "page2.html").stat().st_ino
    assert (releases / new.id / "index.html").read_text() == "<h1>two</h1>"
    assert (releases / old.id / "index.html").read_text() == "<h1>one</h1>"
