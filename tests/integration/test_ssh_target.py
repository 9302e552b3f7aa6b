"""The SSH target against three real sshd hosts on 127.0.0.1 (see tests/sshd.py): layout, delta
transfer, verification, shared paths, batches, the remote lock and clear errors for bad input."""

from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from deploylib.errors import ArtifactError, LockHeld, TargetError
from deploylib.model import Artifact
from deploylib.state.lock import LockHolder
from deploylib.targets.ssh import Host, SshHostOptions, SshOptions, SshTarget
from tests.conftest import build_artifact as build
from tests.conftest import free_port, missing
from tests.sshd import UNPRIVILEGED, SshHosts

HOSTS = ("web1", "web2", "web3")


@pytest.fixture
def config(ssh_hosts: SshHosts, tmp_path: Path) -> Path:
    return ssh_hosts.write_config(tmp_path / "ssh_config")


def ssh_target(root: Path, config: Path, hosts: tuple[str, ...] = HOSTS, **options: object) -> SshTarget:
    """Hosts deploying to root/<host name>; `options` are SshOptions fields."""
    listed = tuple(SshHostOptions(address=name, path=str(root / name)) for name in hosts)
    return SshTarget(SshOptions(hosts=listed, path="site", ssh_config=str(config), **options),  # type: ignore[arg-type]
                     root=root, environment="production")


def site(pages: int, changed: str = "") -> dict[str, str]:
    return {f"page{n}.html": f"<p>page {n}</p>" + "x" * 2000 for n in range(pages)} | {"index.html": "home" + changed}


def test_a_deploy_builds_the_capistrano_layout_on_every_host(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config)
    release = target.deploy(build(tmp_path, "1.0.0", site(3)))
    target.activate(release, "ci")
    for host in HOSTS:
        base = tmp_path / host
        assert os.readlink(base / "current") == f"releases/{release.id}"  # relative: the folder can move
        assert json.loads((base / "releases" / f"{release.id}.json").read_text())["version"] == "1.0.0"
        revision = json.loads((base / "revisions.log").read_text().splitlines()[-1])
        assert (revision["id"], revision["by"]) == (release.id, "ci")
        assert (base / "shared").is_dir()


def test_a_one_file_change_moves_only_the_delta_and_hard_links_the_rest(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config)
    first = target.deploy(build(tmp_path, "1.0.0", site(200)))
    target.activate(first, "ci")
    second = target.deploy(build(tmp_path, "1.0.1", site(200, changed=" v2")))
    tree_size = 200 * 2010
    assert all(sent < tree_size / 20 for sent in target.bytes_sent.values()), target.bytes_sent
    releases = tmp_path / "web2" / "releases"
    assert (releases / first.id / "page7.html").stat().st_ino == (releases / second.id / "page7.html").stat().st_ino
    assert (releases / second.id / "index.html").read_text() == "home v2"


def change_unseen(live_file: Path) -> None:
    """Change page 1 of `site` on a host, keeping its size and times: rsync's quick check misses it."""
    stat = live_file.stat()
    live_file.write_text("<p>PAGE 1</p>" + "x" * 2000)
    os.utime(live_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_file_changed_in_place_on_the_host_is_not_carried_into_the_next_release(tmp_path: Path,
                                                                                  config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",))
    first = target.deploy(build(tmp_path, "1.0.0", site(2)))
    target.activate(first, "ci")
    change_unseen(tmp_path / "web1" / "current" / "page1.html")
    second = target.deploy(build(tmp_path, "1.0.1", site(2, changed=" v2")))
    assert (tmp_path / "web1" / "releases" / second.id / "page1.html").read_text().startswith("<p>page 1</p>")


def test_shared_folders_are_created_and_linked_into_each_release(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",), shared=["uploads/"])
    release = target.deploy(build(tmp_path, "1.0.0", {"index.html": "home", "uploads/placeholder": "build's"}))
    target.activate(release, "ci")
    (tmp_path / "web1" / "shared" / "uploads" / "photo.jpg").write_text("kept across releases")
    link = tmp_path / "web1" / "releases" / release.id / "uploads"
    assert os.readlink(link) == "../../shared/uploads"
    assert (tmp_path / "web1" / "current" / "uploads" / "photo.jpg").read_text() == "kept across releases"


def test_a_shared_file_missing_on_the_host_stops_the_deploy_naming_it(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",), shared=["config/.env"])
    with pytest.raises(TargetError, match=r"web1:.*/web1/shared/config/\.env is missing: create it on the host"):
        target.deploy(build(tmp_path, "1.0.0", {"index.html": "home"}))
    assert target.releases() == []


def test_a_shared_file_present_on_the_host_replaces_the_builds_copy(tmp_path: Path, config: Path) -> None:
    (tmp_path / "web1" / "shared" / "config").mkdir(parents=True)
    (tmp_path / "web1" / "shared" / "config" / ".env").write_text("SECRET=host")
    target = ssh_target(tmp_path, config, hosts=("web1",), shared=["config/.env"])
    release = target.deploy(build(tmp_path, "1.0.0", {"index.html": "home", "config/.env": "SECRET=build"}))
    assert os.readlink(tmp_path / "web1" / "releases" / release.id / "config" / ".env") == "../../../shared/config/.env"
    assert target.deploy(build(tmp_path, "1.0.0", {"index.html": "home", "config/.env": "SECRET=build"})) == release


def test_the_canary_switches_alone_then_the_rest_in_batches(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, batch_size=1)
    old, new = (target.deploy(build(tmp_path, v, {"index.html": v})) for v in ("1.0.0", "1.1.0"))
    target.activate(old, "ci")
    serving: list[list[str]] = []
    for step in target.rollout(new, "ci"):
        serving.append([(tmp_path / h / "current" / "index.html").read_text() for h in HOSTS])
        assert step.name.split()[-1] in HOSTS
    assert serving == [["1.1.0", "1.0.0", "1.0.0"], ["1.1.0", "1.1.0", "1.0.0"], ["1.1.0", "1.1.0", "1.1.0"]]


def test_an_interrupted_rollout_still_reports_the_release_it_had_and_activate_restores_every_host(
        tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config)
    old, new = (target.deploy(build(tmp_path, v, {"index.html": v})) for v in ("1.0.0", "1.1.0"))
    target.activate(old, "ci")
    steps = target.rollout(new, "ci")
    assert next(steps).name == "canary web1"
    steps.close()  # validation of the canary failed: the rest never switch
    assert [(tmp_path / h / "current" / "index.html").read_text() for h in HOSTS] == ["1.1.0", "1.0.0", "1.0.0"]
    assert target.live().id == old.id  # the last host decides: the rollout did not finish
    target.activate(old, "ci")
    assert {(tmp_path / h / "current" / "index.html").read_text() for h in HOSTS} == {"1.0.0"}
    assert len((tmp_path / "web2" / "revisions.log").read_text().splitlines()) == 1  # untouched hosts stay so


def test_rollback_offers_only_releases_complete_on_every_host(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config)
    release = target.deploy(build(tmp_path, "1.0.0", {"index.html": "one"}))
    (tmp_path / "web3" / "releases" / f"{release.id}.json").unlink()  # as if web3's upload never finished
    assert target.releases() == []
    with pytest.raises(TargetError, match=f"web3: release {release.id} is not complete"):
        target.activate(release, "ci")


def write_lock(root: Path, host: str, holder: LockHolder) -> None:
    lock = root / host / ".deploy-lock"
    lock.mkdir(parents=True)
    (lock / "holder.json").write_text(json.dumps(asdict(holder)))


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_lock_left_by_a_dead_process_on_this_machine_is_broken_and_reported(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config)
    dead = replace(LockHolder.me("deploy", "0.9.0"), pid=dead_pid())
    write_lock(tmp_path, "web2", dead)
    with target.lock(LockHolder.me("deploy", "1.0.0"), wait=0) as left_behind:
        assert left_behind == dead
        assert json.loads((tmp_path / "web2" / ".deploy-lock" / "holder.json").read_text())["version"] == "1.0.0"
    assert not any((tmp_path / h / ".deploy-lock").exists() for h in HOSTS)  # released on the way out


def test_a_lock_from_another_machine_holds_until_its_ttl(tmp_path: Path, config: Path) -> None:
    elsewhere = LockHolder("ana", "laptop", 4242, "deploy", "2.0.0", "2020-01-01T00:00:00Z")
    write_lock(tmp_path, "web1", elsewhere)
    patient = ssh_target(tmp_path, config, lock_ttl_s=10 ** 10)
    with pytest.raises(LockHeld, match=r"on web1:.* by deploy of 2\.0\.0 by ana@laptop .*doit unlock:production"), \
            patient.lock(LockHolder.me("deploy", "1.0.0"), wait=0):
        pass
    assert not (tmp_path / "web2" / ".deploy-lock").exists()  # what it took meanwhile is given back
    with ssh_target(tmp_path, config).lock(LockHolder.me("deploy", "1.0.0"), wait=0) as left_behind:
        assert left_behind == elsewhere  # years old: past the default TTL of an hour


def test_unlock_breaks_the_lock_and_names_its_holder(tmp_path: Path, config: Path) -> None:
    elsewhere = LockHolder("ana", "laptop", 4242, "deploy", "2.0.0", "2099-01-01T00:00:00Z")
    write_lock(tmp_path, "web3", elsewhere)
    target = ssh_target(tmp_path, config)
    assert target.unlock() == elsewhere
    assert not (tmp_path / "web3" / ".deploy-lock").exists()
    assert target.unlock() is None


def test_an_unreachable_host_is_named_and_nothing_changes(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1", "web2"))
    release = target.deploy(build(tmp_path, "1.0.0", {"index.html": "one"}))
    target.activate(release, "ci")
    config.write_text(f"Host web2\n  Port {free_port()}\n" + config.read_text())  # ssh: the first value wins
    with pytest.raises(TargetError, match=r"web2 cannot be reached over ssh: .*Connection refused.*Check the host"):
        ssh_target(tmp_path, config, hosts=("web1", "web2")).deploy(build(tmp_path, "1.1.0", {"index.html": "two"}))
    assert (tmp_path / "web1" / "current" / "index.html").read_text() == "one"


def test_a_host_key_that_is_not_known_is_refused(tmp_path: Path, ssh_hosts: SshHosts) -> None:
    wrong = tmp_path / "known_hosts"  # web1's port, but web2's key
    wrong.write_text(f"[127.0.0.1]:{ssh_hosts.servers[0].port} {ssh_hosts.servers[1].host_key}\n")
    config = ssh_hosts.write_config(tmp_path / "ssh_config", known_hosts=wrong)
    with pytest.raises(TargetError, match=r"web1: the host key has changed .*known_hosts.*Nothing was changed"):
        ssh_target(tmp_path, config, hosts=("web1",)).deploy(build(tmp_path, "1.0.0", {"index.html": "one"}))
    assert not (tmp_path / "web1").exists()


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every user can reach (pytest's own are private to their owner), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="deploylib-open-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def unprivileged(ssh_hosts: SshHosts) -> str:
    """A login that cannot write everywhere: root's deploys run as UNPRIVILEGED (made by .ci/run)."""
    if os.geteuid() != 0:
        return ssh_hosts.user
    try:
        pwd.getpwnam(UNPRIVILEGED)
    except KeyError:
        missing(f"the user {UNPRIVILEGED} does not exist (.ci/run creates it)")
    return UNPRIVILEGED


def login_target(root: Path, ssh_hosts: SshHosts, user: str, path: Path) -> SshTarget:
    """web1 reached as `user`, deploying to `path`."""
    config = ssh_hosts.write_config(root / "ssh_config", user=user)
    return SshTarget(SshOptions(hosts=(SshHostOptions(address="web1"),), path=str(path), ssh_config=str(config)),
                     root=root, environment="production")


def test_permission_denied_on_the_deploy_path_names_host_and_path(tmp_path: Path, ssh_hosts: SshHosts,
                                                                  unprivileged: str, open_folder: Path) -> None:
    forbidden = open_folder / "forbidden"
    forbidden.mkdir()
    forbidden.chmod(0o555)
    target = login_target(tmp_path, ssh_hosts, unprivileged, forbidden / "site")
    with pytest.raises(TargetError, match=r"web1: .*forbidden/site.*Permission denied.*fix the folder's owner"):
        target.deploy(build(tmp_path, "1.0.0", {"index.html": "one"}))


def test_cleanup_reports_what_it_cannot_remove_and_keeps_going(tmp_path: Path, ssh_hosts: SshHosts,
                                                               unprivileged: str, open_folder: Path) -> None:
    if unprivileged == ssh_hosts.user:
        missing("running as root, to leave a file the deploy user cannot remove (CI runs as root)")
    home = open_folder / "home"
    home.mkdir()
    home.chmod(0o777)
    target = login_target(tmp_path, ssh_hosts, unprivileged, home / "site")
    releases = []
    for n in range(3):
        releases.append(target.deploy(build(tmp_path, f"1.{n}.0", {"index.html": str(n)})))
        target.activate(releases[-1], "ci")
    owned_by_root = home / "site" / "releases" / releases[0].id / "cache"
    owned_by_root.mkdir()  # e.g. written by the web server: the deploy user cannot delete inside it
    (owned_by_root / "page").write_text("cached")
    problems = target.cleanup(keep=1, protect=set())
    assert len(problems) == 1 and releases[0].id in problems[0]
    assert not (home / "site" / "releases" / releases[1].id).exists()
    assert [r.id for r in target.releases()] == [releases[2].id]  # metadata gone: never offered for rollback


def escaping_artifact(root: Path, name: str, kind: bytes = tarfile.REGTYPE) -> Artifact:
    """A tar holding one entry that would land outside the release (built by hand: pack never makes one)."""
    import hashlib

    folder = root / ".deploylib" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
        tar.addfile(info, io.BytesIO(b""))
    digest = hashlib.sha256(data.getvalue()).hexdigest()
    (folder / f"{digest}.tar").write_bytes(data.getvalue())
    (folder / f"{digest}.manifest.json").write_text(json.dumps({name: {"sha256": "0", "size": 0, "mode": 420}}))
    return Artifact(f"sha256:{digest}", folder / f"{digest}.tar", folder / f"{digest}.manifest.json", "6.6.6", "c")


@pytest.mark.parametrize(("name", "kind"), [("../escape.html", tarfile.REGTYPE), ("/etc/cron.d/x", tarfile.REGTYPE),
                                            ("link", tarfile.SYMTYPE)])
def test_an_artifact_escaping_the_release_is_refused_before_any_host_changes(tmp_path: Path, config: Path,
                                                                             name: str, kind: bytes) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",))
    good = target.deploy(build(tmp_path, "1.0.0", {"index.html": "one"}))
    target.activate(good, "ci")
    with pytest.raises(ArtifactError, match=r"outside the release|link or special file"):
        target.deploy(escaping_artifact(tmp_path, name, kind))
    assert target.live().id == good.id
    assert sorted(p.name for p in (tmp_path / "web1" / "releases").iterdir()) == [good.id, f"{good.id}.json"]
    assert not (tmp_path / "escape.html").exists()


def test_a_same_size_change_made_within_the_same_second_reaches_the_host(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",))
    target.activate(target.deploy(build(tmp_path, "1.0.0", site(2, changed="A"))), "ci")
    second = target.deploy(build(tmp_path, "1.0.1", site(2, changed="B")))  # rsync's default check: 1 s
    assert (tmp_path / "web1" / "releases" / second.id / "index.html").read_text() == "homeB"


def test_a_live_file_changed_in_place_after_old_releases_were_removed_is_still_caught(tmp_path: Path,
                                                                                      config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",))
    for number in range(3):
        target.activate(target.deploy(build(tmp_path, f"1.0.{number}", site(2, changed=str(number)))), "ci")
    assert target.cleanup(keep=1, protect=set()) == []
    change_unseen(tmp_path / "web1" / "current" / "page1.html")
    fourth = target.deploy(build(tmp_path, "1.0.3", site(2, changed="3")))
    assert (tmp_path / "web1" / "releases" / fourth.id / "page1.html").read_text().startswith("<p>page 1</p>")


def test_a_release_named_by_an_older_look_and_changed_in_place_since_lends_no_changed_file(
        tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",))
    first = target.deploy(build(tmp_path, "1.0.0", site(2)))
    target.activate(first, "ci")  # this object now takes 1.0.0 as served, and looks no more
    elsewhere = SshTarget(target.options, root=tmp_path / "elsewhere", environment="production")  # another machine
    other = elsewhere.deploy(build(tmp_path / "elsewhere", "1.0.1", site(2, changed=" theirs")))
    elsewhere.activate(other, "ci")
    change_unseen(tmp_path / "web1" / "releases" / first.id / "page1.html")  # the release this object names
    third = target.deploy(build(tmp_path, "1.0.2", site(2, changed=" v3")))
    assert (tmp_path / "web1" / "releases" / third.id / "page1.html").read_text().startswith("<p>page 1</p>")
    assert (tmp_path / "web1" / "releases" / third.id / "index.html").read_text() == "home v3"


def test_a_release_named_by_an_older_look_and_removed_since_lends_nothing_and_the_upload_is_whole(
        tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config, hosts=("web1",))
    first = target.deploy(build(tmp_path, "1.0.0", site(2)))
    target.activate(first, "ci")
    elsewhere = SshTarget(target.options, root=tmp_path / "elsewhere", environment="production")
    for number in (1, 2):
        elsewhere.activate(elsewhere.deploy(build(tmp_path / "elsewhere", f"1.0.{number}", site(2, str(number)))),
                           "ci")
    assert elsewhere.cleanup(keep=1, protect=set()) == []  # 1.0.0, which `target` names, is gone
    third = target.deploy(build(tmp_path, "1.0.3", site(2, changed=" v3")))
    files = {path.name: path.read_text() for path in (tmp_path / "web1" / "releases" / third.id).iterdir()}
    assert files == site(2, changed=" v3")


def test_under_the_lock_the_first_look_is_the_one_taking_the_lock_made(tmp_path: Path, config: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = ssh_target(tmp_path, config)
    release = target.deploy(build(tmp_path, "1.0.0", site(2)))
    target.activate(release, "ci")
    with target.lock(LockHolder.me("deploy", "1.0.1"), 0):
        monkeypatch.setattr(Host, "inspect", lambda host: pytest.fail("read again"))
        live = target.live()  # no ssh round trip of its own
    assert live is not None and (live.id, live.activated_by) == (release.id, "ci")


def test_under_the_lock_a_switch_before_the_first_look_is_seen_by_it(tmp_path: Path, config: Path) -> None:
    target = ssh_target(tmp_path, config)
    first = target.deploy(build(tmp_path, "1.0.0", site(2)))
    target.activate(first, "ci")
    second = target.deploy(build(tmp_path, "1.0.1", site(2, changed=" v2")))
    target.activate(second, "ci")
    with target.lock(LockHolder.me("rollback", "1.0.0"), 0):
        target.activate(first, "recovery")  # as a recovery restores what was live, before the deploy looks
        live = target.live()
    assert live is not None and (live.id, live.activated_by) == (first.id, "recovery")


def test_each_host_reports_its_upload_progress_in_bytes(tmp_path: Path, config: Path) -> None:
    from deploylib import events

    heard: list[events.Progress] = []
    with events.subscribed(lambda e: heard.append(e) if isinstance(e, events.Progress) else None):
        ssh_target(tmp_path, config).deploy(build(tmp_path, "1.0.0", site(40)))
    last = {e.name: e for e in heard}  # each host's last report
    assert set(last) == {f"upload {host}" for host in HOSTS}
    assert all(e.unit == "bytes" and e.done == e.total > 80_000 for e in last.values())


@pytest.mark.parametrize("told", [False, True])
def test_push_names_every_file_it_wrote_with_or_without_progress(tmp_path: Path, config: Path, told: bool) -> None:
    from deploylib.targets.ssh_client import Endpoint

    tree = tmp_path / "tree"
    (tree / "docs").mkdir(parents=True)
    names = ["index.html", "docs/page.html", os.fsdecode(b"caf\xe9.html")]  # one name that is not UTF-8
    for name in names:
        (tree / name).write_text("x" * 200_000)
    heard: list[tuple[int, int]] = []
    host, dest = Endpoint("web1", config_file=str(config)), tmp_path / "web1" / "dest"
    host.run(f"mkdir -p '{dest}'", "making the folder")
    sent, written = host.push(tree, str(dest), "", progress=(lambda done, total: heard.append((done, total)))
                              if told else None)
    assert written == set(names) and sent > 600_000
    assert bool(heard) == told and all(done <= total for done, total in heard)
