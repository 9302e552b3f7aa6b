"""`doit deploy:production` to three real sshd hosts, each served by a real nginx from its `current`:
canary first, batches, rollback of every switched host, SIGKILL at several points, the remote lock."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import Nginx, git, run_doit
from tests.e2e.test_user_repo import BUILD_AND_RELEASE, make_repo
from tests.sshd import SshHosts

pytestmark = pytest.mark.slow

HOSTS = ("web1", "web2", "web3")


@pytest.fixture
def servers(tmp_path: Path, nginx: type[Nginx]) -> dict[str, Nginx]:
    return {host: nginx(tmp_path / host / "current") for host in HOSTS}


@pytest.fixture
def repo(tmp_path: Path, ssh_hosts: SshHosts, servers: dict[str, Nginx]) -> Path:
    config = ssh_hosts.write_config(tmp_path / "ssh_config")
    hosts = "".join(f'\n[[environments.production.target.hosts]]\naddress = "{host}"\npath = "{tmp_path / host}"\n'
                    f'url = "{servers[host].url()}"\n' for host in HOSTS)
    return make_repo(tmp_path / "repo", BUILD_AND_RELEASE + f"""
[environments.production]
confirm = false

[environments.production.target]
type = "ssh"
path = "unused"
ssh_config = "{config}"
{hosts}
[[environments.production.checks]]
name = "home"
path = "/"
contains = "<h1>Welcome</h1>"
""")


def serving(servers: dict[str, Nginx]) -> list[str]:
    return [requests.get(servers[host].url(), timeout=5).text for host in HOSTS]


def activations(tmp_path: Path, host: str) -> list[str]:
    log = tmp_path / host / "revisions.log"
    return [json.loads(line)["version"] for line in log.read_text().splitlines()] if log.exists() else []


def change_page(repo: Path, html: str) -> None:
    (repo / "site" / "index.html").write_text(html)
    git(repo, "commit", "-qam", "feat: new page")


def test_a_deploy_switches_the_canary_then_the_rest_and_nginx_serves_it(repo: Path, servers: dict[str, Nginx]) -> None:
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "canary web1: nothing → 0.1.0-" in result.stdout
    assert "batch 2/2 web2, web3: nothing → 0.1.0-" in result.stdout
    assert result.stdout.count("1/1 checks passed against") == 3  # each host, checked directly after its switch
    assert serving(servers) == ["<h1>Welcome</h1>"] * 3


def test_a_release_failing_on_the_canary_never_reaches_the_other_hosts(repo: Path, tmp_path: Path,
                                                                     servers: dict[str, Nginx]) -> None:
    assert run_doit(repo, "deploy:production").returncode == 0
    change_page(repo, "<h2>Welcome</h2>")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "batch 2/2" not in result.stdout and "is serving again and passes its checks" in result.stderr
    assert serving(servers) == ["<h1>Welcome</h1>"] * 3
    assert activations(tmp_path, "web1") == ["0.1.0", "0.2.0", "0.1.0"]
    assert activations(tmp_path, "web2") == activations(tmp_path, "web3") == ["0.1.0"]


def assert_every_current_is_complete(tmp_path: Path) -> None:
    for host in HOSTS:
        current = tmp_path / host / "current"
        if current.is_symlink():
            release = Path(current.readlink()).name
            assert (tmp_path / host / "releases" / f"{release}.json").exists(), f"{host} serves an incomplete release"


@pytest.mark.parametrize("after", ["gate ahead", "upload:production", "canary web1"])
def test_a_deploy_killed_at_any_point_leaves_complete_releases_live_and_the_next_one_recovers(
        repo: Path, tmp_path: Path, servers: dict[str, Nginx], after: str) -> None:
    assert run_doit(repo, "deploy:production").returncode == 0
    change_page(repo, "<h1>Welcome</h1><p>v2</p>")
    doit = subprocess.Popen([sys.executable, "-m", "doit", "deploy:production"], cwd=repo, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    assert doit.stdout is not None
    seen = []
    for line in doit.stdout:  # the deploy's own progress lines are the synchronisation points
        seen.append(line)
        if after in line:
            doit.send_signal(signal.SIGKILL)
            break
    doit.wait(timeout=60)
    doit.stdout.close()
    assert doit.returncode == -signal.SIGKILL, "".join(seen)
    assert_every_current_is_complete(tmp_path)
    assert all("Welcome" in page for page in serving(servers))
    again = run_doit(repo, "deploy:production")
    assert again.returncode == 0, again.stdout + again.stderr
    assert serving(servers) == ["<h1>Welcome</h1><p>v2</p>"] * 3


def test_a_lock_held_elsewhere_refuses_the_deploy_until_unlocked(repo: Path, tmp_path: Path) -> None:
    lock = tmp_path / "web2" / ".deploy-lock"
    lock.mkdir(parents=True)
    (lock / "holder.json").write_text(json.dumps({"user": "ana", "host": "laptop", "pid": 7, "action": "deploy",
                                                  "version": "0.9.0", "since": "2099-01-01T00:00:00Z"}))
    refused = run_doit(repo, "deploy:production")
    assert refused.returncode == 7
    assert "deploy of 0.9.0 by ana@laptop" in refused.stderr and "doit unlock:production" in refused.stderr
    unlocked = run_doit(repo, "unlock:production")
    assert unlocked.returncode == 0 and "broke the lock of deploy of 0.9.0 by ana@laptop" in unlocked.stdout
    assert run_doit(repo, "deploy:production").returncode == 0


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda text, key: text.replace(f"IdentityFile {key}", "IdentityFile ~/.ssh/deploylib-no-such-key", 1),
     "the key ~/.ssh/deploylib-no-such-key that ssh's configuration names for web1 (IdentityFile) does not exist"),
    (lambda text, key: text.replace(f"IdentityFile {key}", f"IdentityFile {key}.gone"),
     ".gone that ssh's configuration names for web1 (IdentityFile) does not exist"),
    (lambda text, key: text + "  Frobnicate yes\n", "ssh cannot read its configuration for web1: "),
], ids=["missing-key", "every-key-missing", "option-ssh-refuses"])
def test_an_ssh_configuration_that_cannot_connect_is_exit_3_before_anything_is_written(
        repo: Path, tmp_path: Path, ssh_hosts: SshHosts, edit, fragment: str) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(edit(config.read_text(), ssh_hosts.user_key))
    result = run_doit(repo, "deploy:production", env={"SSH_AUTH_SOCK": ""})
    assert result.returncode == 3, result.stdout + result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()
    assert [activations(tmp_path, host) for host in HOSTS] == [[], [], []]


def killed_after_switch(repo: Path) -> None:
    """`doit deploy:production` killed right after its first switch (the canary, or every host without one)."""
    done = run_doit(repo, "deploy:production", env={"DEPLOYLIB_CRASH_AT": "deploy:switched"})
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr


def without_canary(repo: Path) -> None:
    """The next deploy switches every host at once (committed with the next change)."""
    config = repo / "deploy.toml"
    config.write_text(config.read_text().replace('type = "ssh"\n', 'type = "ssh"\ncanary = false\n'))


def running_rows(repo: Path) -> list[tuple[str]]:
    import sqlite3

    with sqlite3.connect(repo / ".deploylib" / "ledger.sqlite3") as db:
        return db.execute("SELECT action FROM entries WHERE status = 'running'").fetchall()


def test_a_rollout_killed_after_its_canary_is_put_back_on_every_host(repo: Path, tmp_path: Path,
                                                                     servers: dict[str, Nginx]) -> None:
    assert run_doit(repo, "deploy:production").returncode == 0
    change_page(repo, "<h1>Welcome</h1><p>v2</p>")
    killed_after_switch(repo)
    assert serving(servers)[0] == "<h1>Welcome</h1><p>v2</p>"  # the canary alone serves the new release
    done = run_doit(repo, "validate:production")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is live again on every part of ssh web1, web2, web3" in done.stdout
    assert serving(servers) == ["<h1>Welcome</h1>"] * 3
    assert activations(tmp_path, "web1") == ["0.1.0", "0.2.0", "0.1.0"] and running_rows(repo) == []


def test_recovery_validates_every_host_and_keeps_a_release_passing_on_all(repo: Path, servers: dict[str, Nginx]) \
        -> None:
    assert run_doit(repo, "deploy:production").returncode == 0
    without_canary(repo)
    change_page(repo, "<h1>Welcome</h1><p>v2</p>")
    killed_after_switch(repo)  # every host switched, none validated
    done = run_doit(repo, "validate:production")
    assert done.returncode == 0, done.stdout + done.stderr
    for host in HOSTS:
        assert f"against {servers[host].url()}" in done.stdout.split("recover", 1)[1], done.stdout
    assert "passed validation and stays live" in done.stdout
    assert serving(servers) == ["<h1>Welcome</h1><p>v2</p>"] * 3 and running_rows(repo) == []


def test_recovery_rolls_every_host_back_when_one_host_fails(repo: Path, tmp_path: Path,
                                                            servers: dict[str, Nginx]) -> None:
    assert run_doit(repo, "deploy:production").returncode == 0
    without_canary(repo)
    change_page(repo, "<h1>Welcome</h1><p>v2</p>")
    killed_after_switch(repo)
    (tmp_path / "web3" / "current" / "index.html").write_text("<h2>broken on web3 only</h2>")
    done = run_doit(repo, "validate:production")
    assert "Traceback" not in done.stdout + done.stderr
    assert "failed validation; 0.1.0-" in done.stdout and "is live again" in done.stdout, done.stdout + done.stderr
    assert serving(servers) == ["<h1>Welcome</h1>"] * 3 and running_rows(repo) == []
    assert all(activations(tmp_path, host)[-1] == "0.1.0" for host in HOSTS)
