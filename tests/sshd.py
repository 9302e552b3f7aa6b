"""Real OpenSSH servers on 127.0.0.1, one per simulated host, and the ssh config that reaches them.

Each host has its own generated host key; one generated user key logs in everywhere. The client
side is an ssh config file (aliases web1, web2, … with HostName, Port, IdentityFile and a
known_hosts holding each host's real key), which the SSH target is pointed at with `ssh_config`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port

# A login without root's powers, for permission tests (created by .ci/run when deploylib runs as root).
UNPRIVILEGED = "deploylib-ssh"


def keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    path.with_suffix(".pub").chmod(0o644)
    return path.with_suffix(".pub").read_text().strip()


@dataclass
class SshServer:
    name: str
    port: int
    conf: Path
    host_key: str  # the public key, as known_hosts holds it

    def stop(self) -> None:
        pid_file = self.conf.with_suffix(".pid")
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), 15)


class SshHosts:
    """`count` sshd processes; `config` is the ssh config naming them web1…webN."""

    def __init__(self, sshd: str, count: int) -> None:
        # Readable by every user (pytest's temporary folders are not): sshd reads authorized_keys as the
        # user logging in, and some tests log in as an unprivileged one.
        self.folder = folder = Path(tempfile.mkdtemp(prefix="deploylib-sshd-"))
        folder.chmod(0o755)
        self.user_key = folder / "id_user"
        authorized = folder / "authorized_keys"
        authorized.write_text(keygen(self.user_key) + "\n")
        authorized.chmod(0o644)
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege separation folder
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.servers: list[SshServer] = []
        for number in range(1, count + 1):
            name, port = f"web{number}", free_port()
            host_key = keygen(folder / f"host_{name}")
            conf = folder / f"sshd_{name}.conf"
            conf.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {folder}/host_{name}
PidFile {folder}/sshd_{name}.pid
AuthorizedKeysFile {authorized}
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxSessions 64
MaxStartups 64
LogLevel ERROR
""")
            # sshd returns once its socket listens (it binds before it detaches): no waiting needed.
            subprocess.run([sshd, "-f", str(conf), "-E", str(folder / f"sshd_{name}.log")], check=True)
            self.servers.append(SshServer(name, port, conf, host_key))
        self.known_hosts = folder / "known_hosts"
        self.known_hosts.write_text("".join(f"[127.0.0.1]:{s.port} {s.host_key}\n" for s in self.servers))
        self.config = self.write_config(folder / "ssh_config")

    def write_config(self, path: Path, known_hosts: Path | None = None, user: str = "") -> Path:
        """An ssh config reaching every host as web1…webN (with another known_hosts or login if given)."""
        path.write_text("".join(f"""Host {s.name}
  HostName 127.0.0.1
  Port {s.port}
  User {user or self.user}
  IdentityFile {self.user_key}
  IdentitiesOnly yes
  UserKnownHostsFile {known_hosts or self.known_hosts}
  GlobalKnownHostsFile /dev/null
""" for s in self.servers))
        return path

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
