"""Where a target goes live (Target.places): the preflight refuses two environments sharing a place, so
two spellings of one place must be one, and a target that cannot tell names none."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploylib.targets.base import Target
from deploylib.targets.command import CommandOptions, CommandTarget
from deploylib.targets.ghpages import PagesOptions, PagesTarget
from deploylib.targets.local import LocalOptions, LocalTarget
from deploylib.targets.ssh import SshHostOptions, SshOptions, SshTarget


def pages(root: Path, remote: str, branch: str = "gh-pages") -> Target:
    return PagesTarget(PagesOptions(remote=remote, branch=branch), root=root, environment="e")


def ssh(root: Path, path: str, *addresses: str) -> Target:
    return SshTarget(SshOptions(hosts=tuple(SshHostOptions(address=a) for a in addresses), path=path), root=root,
                     environment="e")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "remote.git")], check=True)
    (tmp_path / "sub").mkdir()
    return tmp_path


@pytest.mark.parametrize(("one", "other", "shared"), [
    (lambda r: LocalTarget(LocalOptions(path="live"), r, "a"), lambda r: LocalTarget(LocalOptions(path="sub/../live"),
                                                                                       r, "b"), True),
    (lambda r: LocalTarget(LocalOptions(path="live"), r, "a"), lambda r: LocalTarget(LocalOptions(path="live2"), r,
                                                                                      "b"), False),
    (lambda r: pages(r, "remote.git"), lambda r: pages(r, "sub/../remote.git"), True),
    (lambda r: pages(r, "remote.git"), lambda r: pages(r, "remote.git", branch="docs"), False),
    (lambda r: pages(r, "git@github.com:acme/site.git"), lambda r: pages(r, "git@github.com:acme/site.git"), True),
    (lambda r: ssh(r, "/srv/site", "deploy@web1"), lambda r: ssh(r, "/srv/site", "deploy@web2", "deploy@web1"), True),
    (lambda r: ssh(r, "/srv/site", "deploy@web1"), lambda r: ssh(r, "/srv/other", "deploy@web1"), False),
    (lambda r: CommandTarget(CommandOptions(deploy="./publish"), r, "a"),
     lambda r: CommandTarget(CommandOptions(deploy="./publish"), r, "b"), False),  # it may choose by environment
], ids=["local-same-folder", "local-other-folder", "pages-same-remote", "pages-other-branch", "pages-same-url",
        "ssh-one-host-shared", "ssh-other-folder", "command-cannot-tell"])
def test_two_targets_share_a_place_only_where_both_go_live(root: Path, one, other, shared: bool) -> None:  # noqa: ANN001
    assert bool(one(root).places() & other(root).places()) == shared
