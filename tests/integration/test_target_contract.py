"""The contract every target type keeps, run against each of them on real filesystems."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploylib.build.artifact import pack
from deploylib.errors import ArtifactError, LockHeld
from deploylib.model import Artifact
from deploylib.state.lock import LockHolder
from deploylib.targets.base import Target
from deploylib.targets.command import CommandOptions, CommandTarget
from deploylib.targets.ghpages import PagesOptions, PagesTarget
from deploylib.targets.local import LocalOptions, LocalTarget
from deploylib.targets.ssh import SshHostOptions, SshOptions, SshTarget
from tests.conftest import build_artifact

# The command target's commands: publish $DEPLOY_DIR atomically (a copy, then a symlink `served` renamed
# over the old one, as a real host's publish must be) and say which digest is live.
PUBLISH = (f"{sys.executable} -c \"import os, shutil; d = os.environ['DEPLOY_DIGEST']; "
           "shutil.rmtree('copy-' + d, ignore_errors=True); shutil.copytree(os.environ['DEPLOY_DIR'], 'copy-' + d); "
           "os.path.lexists('served.tmp') and os.unlink('served.tmp'); "
           "os.symlink('copy-' + d, 'served.tmp'); os.replace('served.tmp', 'served'); "
           "open('live.tmp', 'w').write(d); os.replace('live.tmp', 'live.txt')\"")
LIVE = f"{sys.executable} -c \"import os; print(open('live.txt').read() if os.path.exists('live.txt') else '')\""


SSH_HOSTS = ("web1", "web2", "web3")


def make_target(kind: str, root: Path) -> Target:
    if kind == "ssh":  # the session's sshd hosts (see the target fixture), each deploying to a folder of its own
        hosts = tuple(SshHostOptions(address=name, path=str(root / name)) for name in SSH_HOSTS)
        return SshTarget(SshOptions(hosts=hosts, path="site", ssh_config="ssh_config"), root=root,
                         environment="production")
    if kind == "local":
        return LocalTarget(LocalOptions(path="site"), root=root, environment="production")
    if kind == "pages":
        if not (root / "remote.git").exists():
            subprocess.run(["git", "init", "-q", "--bare", str(root / "remote.git")], check=True)
        return PagesTarget(PagesOptions(remote="remote.git"), root=root, environment="production")
    return CommandTarget(CommandOptions(deploy=PUBLISH, live=LIVE), root=root, environment="production")


def served(kind: str, root: Path, name: str = "index.html") -> str:
    """A file as the target serves it: from `current` (on every host alike), the published folder, or the
    branch's tip."""
    if kind == "ssh":
        seen = {(root / host / "current" / name).read_text() for host in SSH_HOSTS}
        assert len(seen) == 1, f"the hosts serve different files: {seen}"
        return seen.pop()
    if kind == "pages":
        return subprocess.run(["git", "--git-dir", str(root / "remote.git"), "show", f"gh-pages:{name}"],
                              capture_output=True, text=True, check=True).stdout
    return (root / ("site/current" if kind == "local" else "served") / name).read_text()


@pytest.fixture(params=["local", "command", "pages", "ssh"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def target(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    if kind == "ssh":
        shutil.copy(request.getfixturevalue("ssh_hosts").config, tmp_path / "ssh_config")
    return make_target(kind, tmp_path)


def build(tmp_path: Path, version: str, body: str) -> Artifact:
    return build_artifact(tmp_path, version, {"index.html": body})


def test_deploy_prepares_a_release_without_making_it_live(target: Target, tmp_path: Path) -> None:
    release = target.deploy(build(tmp_path, "1.0.0", "one"))
    assert [r.id for r in target.releases()] == [release.id]
    assert target.live() is None


def test_activate_makes_it_live_and_it_is_reported(target: Target, kind: str, tmp_path: Path) -> None:
    release = target.deploy(build(tmp_path, "1.0.0", "one"))
    target.activate(release, "ci")
    live = target.live()
    assert live is not None and (live.digest, live.version) == (release.digest, "1.0.0")
    assert served(kind, tmp_path) == "one"


def test_redeploying_the_same_artifact_is_a_no_op(target: Target, tmp_path: Path) -> None:
    artifact = build(tmp_path, "1.0.0", "one")
    assert target.deploy(artifact) == target.deploy(artifact)
    assert len(target.releases()) == 1


def test_activating_an_older_release_brings_it_back(target: Target, kind: str, tmp_path: Path) -> None:
    old, new = (target.deploy(build(tmp_path, v, b)) for v, b in (("1.0.0", "one"), ("1.1.0", "two")))
    target.activate(old, "ci")
    target.activate(new, "ci")
    target.activate(old, "ci")
    assert target.live().digest == old.digest
    assert served(kind, tmp_path) == "one"
    assert [r.id for r in target.releases()][-1] == old.id  # the latest activation comes last


def revisions_logs(kind: str, root: Path) -> list[Path]:
    """Where each kind of target keeps its activation history: beside the releases (on every host), or in
    its state folder."""
    if kind == "ssh":
        return [root / host / "revisions.log" for host in SSH_HOSTS]
    if kind == "local":
        return [root / "site" / "revisions.log"]
    return [root / ".deploylib" / "targets" / "production" / "revisions.log"]


def test_every_target_records_each_activation_as_one_json_line(target: Target, kind: str, tmp_path: Path) -> None:
    old, new = (target.deploy(build(tmp_path, v, b)) for v, b in (("1.0.0", "one"), ("1.1.0", "two")))
    for release, by in ((old, "ann"), (new, "bob"), (old, "cy")):
        target.activate(release, by)
    for log in revisions_logs(kind, tmp_path):
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert [(e["id"], e["version"], e["digest"], e["by"]) for e in lines] == [
            (old.id, "1.0.0", old.digest, "ann"), (new.id, "1.1.0", new.digest, "bob"),
            (old.id, "1.0.0", old.digest, "cy")]
        assert all(e["time"].endswith("Z") for e in lines) and ("commit" in lines[0]) is (kind == "pages")
    assert [(r.id, r.activated_by) for r in target.releases()] == [(new.id, "bob"), (old.id, "cy")]


def test_a_second_deploy_is_refused_while_the_lock_is_held(target: Target, kind: str, tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys; from pathlib import Path\n"
        "from deploylib.state.lock import LockHolder\n"
        f"from tests.integration.test_target_contract import make_target\n"
        f"t = make_target({kind!r}, Path({str(tmp_path)!r}))\n"
        "with t.lock(LockHolder.me('deploy', '9.9.9'), 0):\n"
        "    print('held', flush=True); sys.stdin.read()")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(LockHeld, match="deploy of 9.9.9"), target.lock(LockHolder.me("deploy", "1.0.0"), 0):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_failed_deploy_leaves_the_live_release_alone(target: Target, kind: str, tmp_path: Path) -> None:
    good = target.deploy(build(tmp_path, "1.0.0", "one"))
    target.activate(good, "ci")
    broken = build(tmp_path, "1.1.0", "two")
    broken.tar.write_bytes(broken.tar.read_bytes()[:-2048])
    with pytest.raises(ArtifactError):
        target.deploy(broken)
    assert target.live().digest == good.digest
    assert served(kind, tmp_path) == "one"


def test_cleanup_keeps_the_newest_and_the_protected(target: Target, tmp_path: Path) -> None:
    releases = []
    for n in range(4):
        releases.append(target.deploy(build(tmp_path, f"1.{n}.0", str(n))))
        target.activate(releases[-1], "ci")
    assert target.cleanup(keep=2, protect={releases[0].id}) == []
    assert {r.id for r in target.releases()} == {releases[0].id, releases[2].id, releases[3].id}


@pytest.mark.parametrize("point", ["uploading", "switching"])
def test_a_deploy_killed_mid_way_leaves_a_complete_release_live_and_the_next_one_succeeds(
        target: Target, kind: str, tmp_path: Path, point: str) -> None:
    old = target.deploy(build(tmp_path, "1.0.0", "one"))
    target.activate(old, "ci")
    tree = tmp_path / "build-big"
    for n in range(400):  # big enough that the kill lands inside the upload
        (tree / f"d{n % 9}").mkdir(parents=True, exist_ok=True)
        (tree / f"d{n % 9}" / f"f{n}.html").write_text(f"file {n} " * 50)
    (tree / "index.html").write_text("two")
    new = pack(tree, tmp_path / ".deploylib" / "artifacts", "2.0.0", "commit2")
    doomed = subprocess.Popen([sys.executable, "-c", (
        "import sys; from pathlib import Path\n"
        "from deploylib.state.lock import LockHolder\n"
        "from deploylib.model import Artifact\n"
        "from tests.integration.test_target_contract import make_target\n"
        f"t = make_target({kind!r}, Path({str(tmp_path)!r}))\n"
        f"artifact = Artifact.from_json({new.to_json()!r})\n"
        "with t.lock(LockHolder.me('deploy', '2.0.0'), 0):\n"
        "    print('uploading', flush=True); release = t.deploy(artifact)\n"
        "    print('switching', flush=True); t.activate(release, 'doomed')\n"
        "    print('done', flush=True); sys.stdin.read()")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, cwd=Path(__file__).resolve().parents[2])
    assert doomed.stdout is not None
    while (line := doomed.stdout.readline()) and line.strip() != point:
        pass
    doomed.kill()  # SIGKILL: no cleanup of any kind runs
    doomed.wait()
    assert line.strip() == point
    live = target.live()
    assert live is not None and live.digest in (old.digest, new.digest)  # a complete release, never a partial one
    if kind == "ssh":  # hosts switch side by side, and a kill can land between two: each serves a complete release
        assert {(tmp_path / host / "current" / "index.html").read_text() for host in SSH_HOSTS} <= {"one", "two"}
    else:
        assert served(kind, tmp_path) == ("one" if live.digest == old.digest else "two")
    with target.lock(LockHolder.me("deploy", "2.0.0"), 0):  # a dead holder never blocks the next deploy
        target.activate(target.deploy(new), "ci")
    assert served(kind, tmp_path) == "two"


def test_kept_reads_what_live_and_releases_report(target: Target, tmp_path: Path) -> None:
    old, new, unused = (target.deploy(build(tmp_path, v, b)) for v, b in (("1.0.0", "one"), ("1.1.0", "two"),
                                                                         ("1.2.0", "three")))
    target.activate(old, "ci")
    target.activate(new, "ci")
    kept = target.kept()
    assert kept.live == target.live() and kept.live.id == new.id
    assert kept.releases == target.releases()
    assert [r.id for r in kept.releases] == [unused.id, old.id, new.id]  # never activated first, then by activation
