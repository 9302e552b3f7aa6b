"""The GitHub Pages target against real bare remotes."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib.build.artifact import load_manifest, pack
from deploylib.errors import ArtifactError, TargetError
from deploylib.model import Artifact
from deploylib.report import release_label
from deploylib.state.lock import LockHolder
from deploylib.targets import ghpages
from deploylib.targets.ghpages import PagesOptions, PagesTarget
from tests.conftest import build_artifact as site
from tests.conftest import git


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "remote.git")], check=True)
    return tmp_path / "remote.git"


def pages(tmp_path: Path, **options: str) -> PagesTarget:
    return PagesTarget(PagesOptions(remote="remote.git", **options), root=tmp_path, environment="production")


def publish(target: PagesTarget, artifact: Artifact) -> None:
    target.activate(target.deploy(artifact), "ci")


def branch(remote: Path, *args: str) -> str:
    return git(remote, *args)


FILES = {f"docs/page{n}.html": f"page {n}" for n in range(20)} | {"index.html": "home"}


def test_a_one_file_change_is_one_new_commit_with_a_few_objects(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    first = branch(remote, "rev-parse", "gh-pages")
    publish(target, site(tmp_path, "1.0.1", FILES | {"docs/page3.html": "changed"}))
    assert branch(remote, "rev-parse", "gh-pages^") == first  # history kept
    new_objects = branch(remote, "rev-list", "--objects", f"{first}..gh-pages").splitlines()
    assert len(new_objects) == 4  # the commit, the root tree, docs/, and the changed page
    assert branch(remote, "log", "-1", "--format=%s", "gh-pages").startswith("Deploy 1.0.1 (sha256:")


def test_the_branch_holds_exactly_the_files_pack_listed(tmp_path: Path, remote: Path) -> None:
    from deploylib.build.artifact import FileReader

    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    artifact = site(tmp_path, "1.0.1", FILES | {"docs/page3.html": "changed", "new.html": "new"})
    publish(target, artifact)
    with FileReader(artifact) as files:
        assert files.listing() | {f"100644 blob {ghpages._EMPTY_BLOB}\t.nojekyll"} == \
            set(branch(remote, "ls-tree", "-r", "-z", "gh-pages").split("\0")) - {""}


def test_a_listing_edited_to_hide_a_change_does_not_hide_it(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    first = site(tmp_path, "1.0.0", FILES)
    publish(target, first)
    second = site(tmp_path, "1.0.1", FILES | {"index.html": "new home"})
    old, new = (load_manifest(a)["index.html"]["blob"] for a in (first, second))
    listing = second.tar.with_suffix(".listing")
    listing.write_bytes(listing.read_bytes().replace(str(new).encode(), str(old).encode()))  # "index.html unchanged"
    publish(target, second)
    assert branch(remote, "show", "gh-pages:index.html") == "new home"


def test_nojekyll_is_written_and_a_configured_domain_wins(tmp_path: Path, remote: Path) -> None:
    publish(pages(tmp_path, cname="www.example.com"), site(tmp_path, "1.0.0", {"index.html": "home"}))
    assert branch(remote, "show", "gh-pages:.nojekyll") == ""
    assert branch(remote, "show", "gh-pages:CNAME") == "www.example.com"


def test_a_domain_already_on_the_branch_is_kept(tmp_path: Path, remote: Path) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True, capture_output=True)
    git(other, "checkout", "-q", "--orphan", "gh-pages")
    (other / "CNAME").write_text("docs.example.org\n")
    git(other, "add", "CNAME")
    git(other, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "set the domain")
    git(other, "push", "-q", "origin", "gh-pages")
    publish(pages(tmp_path), site(tmp_path, "1.0.0", {"index.html": "home"}))
    assert branch(remote, "show", "gh-pages:CNAME") == "docs.example.org"


def test_a_concurrent_publish_is_detected_not_overwritten(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    prepared = target.deploy(site(tmp_path, "1.1.0", {"index.html": "two"}))
    someone = tmp_path / "someone"
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(remote), str(someone)], check=True, capture_output=True)
    (someone / "index.html").write_text("theirs")
    git(someone, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "their publish")
    git(someone, "push", "-q", "origin", "gh-pages")
    with pytest.raises(TargetError, match="someone else published. Nothing was overwritten"):
        target.activate(prepared, "ci")
    assert branch(remote, "show", "gh-pages:index.html") == "theirs"


def test_rollback_by_reset_moves_the_branch_back(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path, rollback="reset")
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    first = branch(remote, "rev-parse", "gh-pages")
    old = target.live()
    publish(target, site(tmp_path, "1.1.0", {"index.html": "two"}))
    target.activate(old, "ci")
    assert branch(remote, "rev-parse", "gh-pages") == first


def test_live_is_read_back_from_the_tip(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    assert target.live() is None  # no branch yet
    artifact = site(tmp_path, "1.0.0", {"index.html": "one"})
    publish(target, artifact)
    again = pages(tmp_path)  # a fresh target object reads what the remote says
    live = again.live()
    assert live is not None and (live.version, live.digest, live.commit) == ("1.0.0", artifact.digest, "commit1.0.0")


def lose_the_cache(target: PagesTarget) -> None:
    shutil.rmtree(target.cache)  # its records stay: only git's objects and refs are gone


def lose_the_objects(target: PagesTarget) -> None:
    for packed in (target.cache / "objects" / "pack").iterdir():  # e.g. removed to free space: refs/ name them still
        packed.unlink()


def a_file_in_its_place(target: PagesTarget) -> None:
    shutil.rmtree(target.cache)
    target.cache.write_text("not a repository")


def a_link_to_nowhere_in_its_place(target: PagesTarget) -> None:
    shutil.rmtree(target.cache)
    target.cache.symlink_to(target.cache.parent / "gone.git")


@pytest.mark.parametrize("loss", [lose_the_cache, lose_the_objects, a_file_in_its_place,
                                  a_link_to_nowhere_in_its_place],
                         ids=["cache", "objects-but-not-refs", "a file in its place", "a link to nowhere in its place"])
def test_a_lost_cache_is_fetched_again_and_the_next_publish_builds_on_the_tip(
        tmp_path: Path, remote: Path, loss: Callable[[PagesTarget], None]) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    first = branch(remote, "rev-parse", "gh-pages")
    loss(target)
    again = pages(tmp_path)
    with again.lock(LockHolder.me("deploy", "1.0.1"), 0):
        live = again.live()
        assert live is not None and live.version == "1.0.0"
        publish(again, site(tmp_path, "1.0.1", FILES | {"index.html": "home v2"}))
    assert branch(remote, "rev-parse", "gh-pages^") == first


def test_an_unreachable_remote_is_named_in_one_paragraph(tmp_path: Path) -> None:
    target = PagesTarget(PagesOptions(remote=str(tmp_path / "missing.git")), root=tmp_path, environment="production")
    for look in (lambda: target.deploy(site(tmp_path, "1.0.0", {"index.html": "one"})), target.live):
        with pytest.raises(TargetError, match="Cannot reach .*missing.git") as raised:
            look()
        said = str(raised.value)
        assert "\n" not in said and "fatal:" not in said and ".." not in said, said
        assert "does not appear to be a git repository; Could not read from remote repository" in said


def test_an_artifact_with_a_symlink_is_refused_and_nothing_is_published(tmp_path: Path, remote: Path) -> None:
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tar:
        link = tarfile.TarInfo("escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link, io.BytesIO())
    manifest = tmp_path / "m.json"  # crafted to call the link a file
    manifest.write_text(json.dumps({"escape": {"sha256": hashlib.sha256(b"").hexdigest(), "size": 0, "mode": 420,
                                               "offset": 512, "blob": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"}}))
    artifact = Artifact("sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(), path, manifest, "1", "c")
    with pytest.raises(ArtifactError, match="link or special file"):
        pages(tmp_path).deploy(artifact)
    assert branch(remote, "branch", "--list") == ""


def test_an_artifact_refused_part_way_through_the_stream_leaves_no_commit_behind(tmp_path: Path,
                                                                                 remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    tip = branch(remote, "rev-parse", "gh-pages")
    artifact = site(tmp_path, "1.0.1", {name: f"{text} v2" for name, text in FILES.items()})
    from deploylib import events

    heard: list[events.Progress] = []

    def changed_while_read(event: object) -> None:  # the tar changes once it was checked, as the stream begins
        if isinstance(event, events.Progress) and not heard:
            heard.append(event)
            damage(artifact, "index.html")  # the last file read: fast-import was fed all the others

    with events.subscribed(changed_while_read), \
            pytest.raises(ArtifactError, match="does not hold index.html where its manifest says"):
        target.deploy(artifact)
    assert branch(remote, "rev-parse", "gh-pages") == tip
    assert git(target.cache, "for-each-ref", "--format=%(refname)", "refs/deploylib") == \
        f"refs/deploylib/{target.releases()[0].id}"  # only the published release's
    assert not list(target.cache.glob("fast_import_crash_*"))


def cache_objects(target: PagesTarget) -> dict[str, str]:
    """`git count-objects -v` of the target's cache: "count" (loose objects), "packs", …"""
    return dict(line.split(": ") for line in git(target.cache, "count-objects", "-v").splitlines())


def test_a_publish_writes_one_pack_and_no_loose_objects(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    publish(target, site(tmp_path, "1.0.1", FILES | {"docs/page3.html": "changed"}))
    assert (cache_objects(target)["count"], cache_objects(target)["packs"]) == ("0", "2")


def test_cleanup_makes_the_packs_one_once_there_are_too_many(tmp_path: Path, remote: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ghpages, "_PACK_LIMIT", 2)
    target = pages(tmp_path)
    for n in range(3):
        publish(target, site(tmp_path, f"1.0.{n}", FILES | {"index.html": f"home {n}"}))
    target.cleanup(keep=1, protect=set())
    assert cache_objects(target)["packs"] == "1"
    assert git(target.cache, "fsck", "--connectivity-only") == ""
    publish(target, site(tmp_path, "1.0.3", FILES | {"index.html": "home 3"}))
    assert branch(remote, "show", "gh-pages:index.html") == "home 3"


def test_cleanup_forgets_only_releases_beyond_keep_and_rewrites_the_record_only_then(tmp_path: Path,
                                                                                     remote: Path) -> None:
    target = pages(tmp_path)
    for n in range(3):
        publish(target, site(tmp_path, f"1.0.{n}", FILES | {"index.html": f"home {n}"}))
    written = target.record.stat()
    target.cleanup(keep=3, protect=set())
    assert (target.record.stat().st_ino, target.record.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    target.cleanup(keep=2, protect=set())
    assert [r.version for r in target.releases()] == ["1.0.1", "1.0.2"]
    assert git(target.cache, "for-each-ref", "--format=%(refname:short)", "refs/deploylib/").count("1.0.0") == 0


def damage(artifact: Artifact, path: str) -> None:
    """Flip the first byte of `path`'s bytes in the artifact's tar (its manifest and stamp left as packed)."""
    at = int(json.loads(artifact.manifest.read_text())[path]["offset"])
    with artifact.tar.open("r+b") as tar:
        tar.seek(at)
        first = tar.read(1)
        tar.seek(at)
        tar.write(bytes([first[0] ^ 1]))


def test_a_tar_changed_after_packing_is_refused_even_where_the_publish_would_not_read_it(tmp_path: Path,
                                                                                        remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    tip = branch(remote, "rev-parse", "gh-pages")
    artifact = site(tmp_path, "1.0.1", FILES | {"docs/page3.html": "changed"})
    damage(artifact, "index.html")  # the branch holds these bytes already: only docs/page3.html would be read
    with pytest.raises(ArtifactError, match="is corrupt"):
        target.deploy(artifact)
    assert branch(remote, "rev-parse", "gh-pages") == tip


def test_a_manifest_changed_after_packing_is_checked_whole_and_refused(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    tip = branch(remote, "rev-parse", "gh-pages")
    artifact = site(tmp_path, "1.0.1", FILES | {"docs/page3.html": "changed"})
    manifest = json.loads(artifact.manifest.read_text())
    manifest["index.html"]["mode"] = 0o755  # a file the branch holds: no byte of it would be read
    artifact.manifest.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="not the manifest's next file"):
        target.deploy(artifact)
    assert branch(remote, "rev-parse", "gh-pages") == tip


@pytest.mark.parametrize("fields", [("blob",), ("sha256", "blob")])
def test_a_manifest_naming_the_branchs_old_bytes_for_a_changed_file_is_refused(tmp_path: Path, remote: Path,
                                                                              fields: tuple[str, ...]) -> None:
    target = pages(tmp_path)
    old = site(tmp_path, "1.0.0", FILES)
    publish(target, old)
    tip = branch(remote, "rev-parse", "gh-pages")
    artifact = site(tmp_path, "1.0.1", FILES | {"index.html": "HOME"})  # the tar holds new bytes, of the same size
    was, manifest = json.loads(old.manifest.read_text()), json.loads(artifact.manifest.read_text())
    manifest["index.html"] |= {field: was["index.html"][field] for field in fields}  # the branch's bytes, named
    artifact.manifest.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="index.html"):
        target.deploy(artifact)
    assert branch(remote, "rev-parse", "gh-pages") == tip


def someone_commits(tmp_path: Path, remote: Path, text: str, message: Callable[[str], str]) -> str:
    """A commit on gh-pages made by hand by Jane Doe, not by deploylib: `text` as index.html, and the message
    `message(the tip's message)`; returns its sha."""
    someone = tmp_path / "someone"
    shutil.rmtree(someone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(remote), str(someone)], check=True, capture_output=True)
    (someone / "index.html").write_text(text)
    tip = git(someone, "log", "-1", "--format=%B")
    git(someone, "-c", "user.name=Jane Doe", "-c", "user.email=jane@example.invalid", "commit", "-qa", "-m",
        message(tip))
    git(someone, "push", "-q", "origin", "gh-pages")
    return git(someone, "rev-parse", "HEAD")


def someone_publishes(tmp_path: Path, remote: Path, text: str, subject: str = "their publish") -> str:
    """A commit on gh-pages made by hand, not by deploylib; returns its sha."""
    return someone_commits(tmp_path, remote, text, lambda tip: subject)


def someone_copies_the_message(tmp_path: Path, remote: Path, text: str, drop_tree_trailer: bool = False) -> str:
    """A hand-made commit on gh-pages whose message is the tip's own (deploylib's trailers and all) but whose
    files differ; returns its sha."""
    def copied(tip: str) -> str:
        if not drop_tree_trailer:
            return tip
        return "\n".join(line for line in tip.splitlines() if not line.startswith("deploylib-tree"))

    return someone_commits(tmp_path, remote, text, copied)


# A foreign commit as someone makes it, and how deploylib quotes it: by hand, or copying deploylib's message.
FOREIGN = pytest.mark.parametrize(("foreign", "quoted"), [(someone_publishes, '"their publish" by Jane Doe'),
                                                          (someone_copies_the_message, '"Deploy 1.0.0')],
                                  ids=["by-hand", "copied-message"])


def test_under_the_lock_a_deploy_builds_on_what_live_saw_and_a_publish_in_between_is_refused(
        tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    with target.lock(LockHolder.me("deploy", "1.1.0"), 0):
        target.live()
        theirs = someone_publishes(tmp_path, remote, "theirs")  # after live() looked, before deploy()
        release = target.deploy(site(tmp_path, "1.1.0", {"index.html": "two"}))
        with pytest.raises(TargetError, match=f"serves commit {theirs[:7]} .*Nothing was overwritten"):
            target.activate(release, "ci")
    assert branch(remote, "rev-parse", "gh-pages") == theirs


def test_under_the_lock_a_deploy_builds_on_a_release_published_elsewhere_since_not_on_its_own_last(
        tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one", "ours.html": "ours"}))
    elsewhere = tmp_path / "elsewhere"  # another machine, its own cache and record
    elsewhere.mkdir()
    publish(PagesTarget(PagesOptions(remote=str(remote)), root=elsewhere, environment="production"),
            site(elsewhere, "1.1.0", {"index.html": "one", "theirs.html": "theirs"}))
    with target.lock(LockHolder.me("deploy", "1.2.0"), 0):
        live = target.live()
        assert live is not None and live.version == "1.1.0"
        target.activate(target.deploy(site(tmp_path, "1.2.0", {"index.html": "two"})), "ci")
    assert tree_of(remote) == {"index.html": "100644 two", ".nojekyll": "100644 "}  # theirs.html removed too


def children_of_this_process() -> set[str]:
    """The ids of this process's child processes, finished but not yet waited for included (proc(5))."""
    return {child for task in Path("/proc/self/task").iterdir()
            for child in (task / "children").read_text().split()}


def test_a_listing_started_for_a_deploy_that_never_came_is_stopped_with_the_lock(tmp_path: Path,
                                                                                 remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    before = children_of_this_process()
    with target.lock(LockHolder.me("rollback", "1.0.0"), 0):
        assert target.live() is not None  # a rollback looks, then publishes an older release: no deploy()
    assert children_of_this_process() == before


def test_a_foreign_commit_on_the_branch_is_described_not_called_unknown(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    theirs = someone_publishes(tmp_path, remote, "theirs", "Hotfix the docs by hand")
    live = pages(tmp_path).live()
    assert live is not None and live.digest == "" and live.id == theirs[:12]
    assert live.foreign.startswith(f'commit {theirs[:7]} "Hotfix the docs by hand" by Jane Doe, authored 20')
    assert release_label(live) == live.foreign and "unknown" not in release_label(live)


@FOREIGN
def test_rollback_by_reset_never_drops_a_foreign_commit_unless_forced(tmp_path: Path, remote: Path,
                                                                      foreign: Callable[..., str], quoted: str) -> None:
    target = pages(tmp_path, rollback="reset")
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    old = target.live()
    theirs = foreign(tmp_path, remote, "theirs")
    publish(target, site(tmp_path, "1.1.0", {"index.html": "two"}))  # on top of their commit
    tip = branch(remote, "rev-parse", "gh-pages")
    with pytest.raises(TargetError, match=f"would drop commit {theirs[:7]} {quoted}"):
        target.activate(old, "ci")
    assert branch(remote, "rev-parse", "gh-pages") == tip
    target.activate(old, "ci", force=True)
    assert branch(remote, "show", "gh-pages:index.html") == "one"


@FOREIGN
def test_rollback_over_a_live_foreign_commit_needs_force(tmp_path: Path, remote: Path, foreign: Callable[..., str],
                                                         quoted: str) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    publish(target, site(tmp_path, "1.1.0", {"index.html": "two"}))
    old = target.releases()[0]
    theirs = foreign(tmp_path, remote, "theirs")
    with pytest.raises(TargetError, match=f"serves commit {theirs[:7]} .*--force"):
        target.activate(old, "ci")
    assert branch(remote, "rev-parse", "gh-pages") == theirs
    target.activate(old, "ci", force=True)
    assert branch(remote, "show", "gh-pages:index.html") == "one"
    assert branch(remote, "rev-parse", "gh-pages^") == theirs  # published on top: their commit stays in history


def test_a_foreign_release_live_before_a_deploy_is_restored_exactly(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    theirs = someone_publishes(tmp_path, remote, "theirs")
    previous = target.live()
    publish(target, site(tmp_path, "1.1.0", {"index.html": "two"}))  # then fails validation:
    target.activate(previous, "ci")
    assert branch(remote, "rev-parse", "gh-pages") == theirs


def test_a_publish_that_landed_after_its_run_was_killed_is_recognised_as_deploylibs(tmp_path: Path,
                                                                                     remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    artifact = site(tmp_path, "2.0.0", {"index.html": "two"})
    target.deploy(artifact)  # the killed run built its commit; its `git push` outlived it...
    orphan = json.loads((tmp_path / ".deploylib/targets/production/releases.json").read_text())
    release = target.deploy(artifact)  # ...the next run builds again before that push lands...
    commit = orphan[release.id]["commit"]
    cache = tmp_path / ".deploylib/targets/production/pages.git"
    git(cache, "push", "-q", str(remote), f"{commit}:refs/heads/gh-pages")
    target.activate(release, "ci")  # ...and then finds its own release live: the publish is completed
    assert branch(remote, "rev-parse", "gh-pages") == commit
    assert target.live().id == release.id and target.releases()[-1].activated_by == "ci"


@pytest.mark.parametrize("drop_tree_trailer", [False, True], ids=["whole-message", "without-tree-trailer"])
def test_a_commit_copying_deploylibs_message_but_not_its_files_is_foreign(tmp_path: Path, remote: Path,
                                                                          drop_tree_trailer: bool) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"index.html": "one"}))
    theirs = someone_copies_the_message(tmp_path, remote, "theirs", drop_tree_trailer)
    live = pages(tmp_path).live()
    assert live is not None and live.digest == "" and live.id == theirs[:12]
    assert live.foreign.startswith(f'commit {theirs[:7]} "Deploy 1.0.0 (sha256:')
    assert "by Jane Doe, authored 20" in live.foreign and "carries deploylib's trailers" in live.foreign


def test_deploylibs_own_commit_is_recognised_by_another_machine(tmp_path: Path, remote: Path) -> None:
    publish(pages(tmp_path), site(tmp_path, "1.0.0", {"index.html": "one"}))
    elsewhere = tmp_path / "elsewhere"  # no cache, no record of releases: only the branch tells
    elsewhere.mkdir()
    shutil.copytree(remote, elsewhere / "remote.git")
    live = pages(elsewhere).live()
    assert live is not None and not live.foreign and live.version == "1.0.0"


def tree_of(remote: Path) -> dict[str, str]:
    """path -> "mode text" of every file on the branch."""
    listed = branch(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    modes = {line.split("\t")[1]: line.split()[0] for line in branch(remote, "ls-tree", "-r", "gh-pages").splitlines()}
    return {path: f"{modes[path]} {branch(remote, 'show', f'gh-pages:{path}')}" for path in listed}


@pytest.mark.parametrize("before, after", [
    ({"a.html": "a", "old/gone.html": "x"}, {"a.html": "a"}),  # a file removed, its folder with it
    ({"a.html": "a", "docs": "a file"}, {"a.html": "a", "docs/page.html": "now a folder"}),  # file → folder
    ({"a.html": "a", "docs/page.html": "a folder"}, {"a.html": "a", "docs": "now a file"}),  # folder → file
    ({"a.html": "a", ".nojekyll": ""}, {"a.html": "a", ".nojekyll": "not empty"}),  # ours is always empty
])
def test_a_republish_leaves_exactly_the_new_artifact_on_the_branch(
        tmp_path: Path, remote: Path, before: dict[str, str], after: dict[str, str]) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", before))
    publish(target, site(tmp_path, "1.0.1", after))
    expected = {path: f"100644 {text}" for path, text in after.items()} | {".nojekyll": "100644 "}
    assert tree_of(remote) == expected


def test_a_file_that_became_executable_is_republished_with_its_mode(tmp_path: Path, remote: Path) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", {"run.sh": "echo"}))
    (tmp_path / "build-1.0.1").mkdir()
    (tmp_path / "build-1.0.1" / "run.sh").write_text("echo")
    (tmp_path / "build-1.0.1" / "run.sh").chmod(0o755)
    publish(target, pack(tmp_path / "build-1.0.1", tmp_path / ".deploylib" / "artifacts", "1.0.1", "c"))
    assert tree_of(remote)["run.sh"] == "100755 echo"


@pytest.mark.parametrize("left", ["refs/deploylib/1.0.0-x.lock", "packed-refs.lock", "config.lock",
                                  "refs/remotes/pages/gh-pages.lock", "HEAD.lock"])
def test_a_lock_file_a_killed_git_left_in_the_cache_does_not_block_the_next_publish(tmp_path: Path, remote: Path,
                                                                                    left: str) -> None:
    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    lock = target.cache / left
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")  # as a git killed with its run, between making the lock and renaming it, leaves it
    publish(target, site(tmp_path, "1.0.1", FILES | {"index.html": "changed"}))
    assert target.cleanup(1, set()) == []
    assert not lock.exists() and branch(remote, "show", "gh-pages:index.html") == "changed"


def test_a_publish_reports_its_progress_through_the_files(tmp_path: Path, remote: Path) -> None:
    from deploylib import events

    heard: list[events.Progress] = []
    with events.subscribed(lambda e: heard.append(e) if isinstance(e, events.Progress) else None):
        pages(tmp_path).deploy(site(tmp_path, "1.0.0", FILES))
    assert heard and all(e.name == "pages gh-pages" and e.unit == "files" for e in heard)
    assert [e.done for e in heard] == sorted(e.done for e in heard) and (heard[-1].done, heard[-1].total) == (21, 21)


def test_a_republish_reports_progress_through_the_files_it_writes_only(tmp_path: Path, remote: Path) -> None:
    from deploylib import events

    target = pages(tmp_path)
    publish(target, site(tmp_path, "1.0.0", FILES))
    heard: list[events.Progress] = []
    with events.subscribed(lambda e: heard.append(e) if isinstance(e, events.Progress) else None):
        target.deploy(site(tmp_path, "1.0.1", FILES | {"docs/page3.html": "changed", "new.html": "new"}))
    assert [(e.done, e.total) for e in heard] == [(1, 2), (2, 2)]
