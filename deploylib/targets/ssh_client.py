"""Reaching a host with the system `ssh` and copying a tree there with `rsync`.

The system client is used on purpose: it honours ~/.ssh/config (aliases, ports, keys, jump hosts,
agents) exactly as the user's own `ssh` does. One deploy runs several short scripts per host, so
connections are multiplexed (ControlMaster): the handshake happens once. Failures become one-line
TargetErrors that name the host and say what to fix.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from deploylib.errors import TargetError
from deploylib.values import frozen

_CONNECT_TIMEOUT_S = 10
_PROGRESS2 = re.compile(r"^\s*([\d,]+)\s+(\d+)%")  # rsync --info=progress2: "  1,234,567  45%  1.2MB/s ..."
_KEEP_CONNECTION_S = 30  # how long a finished deploy's connection stays open for the next command


# The keys ssh tries when no IdentityFile is configured (ssh -G lists them): their absence is normal.
_DEFAULT_KEYS = frozenset(f"~/.ssh/id_{kind}" for kind in ("rsa", "ecdsa", "ecdsa_sk", "ed25519", "ed25519_sk",
                                                           "xmss", "dsa"))


@frozen
class Endpoint:
    """How to reach one host: an address ([user@]host or an ssh-config alias) and client settings."""

    address: str
    port: int = 0  # 0: from the ssh config, else 22
    config_file: str = ""  # empty: ~/.ssh/config
    strict_host_keys: bool = True  # False accepts a new host's key (never a changed one)

    def ssh_argv(self) -> list[str]:
        argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={_CONNECT_TIMEOUT_S}",
                "-o", f"StrictHostKeyChecking={'yes' if self.strict_host_keys else 'accept-new'}",
                "-o", "ControlMaster=auto", "-o", f"ControlPath={self._control_path()}",
                "-o", f"ControlPersist={_KEEP_CONNECTION_S}"]
        if self.config_file:
            argv += ["-F", self.config_file]
        if self.port:
            argv += ["-p", str(self.port)]
        return argv

    def config_problem(self) -> str:
        """What ssh's own configuration for this host says cannot work, without connecting (`ssh -G`): a
        config file ssh refuses, or a key named by IdentityFile that does not exist when nothing else can
        stand in for it (IdentitiesOnly, or no agent). "" when ssh can try."""
        done = subprocess.run([*self.ssh_argv(), "-G", self.address], capture_output=True, text=True,
                              errors="replace", stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            said = " ".join(line.strip() for line in done.stderr.splitlines() if line.strip())
            return f"ssh cannot read its configuration for {self.address}: {said}"
        settings = [line.split(" ", 1) for line in done.stdout.splitlines() if " " in line]
        keys = [value for name, value in settings if name == "identityfile"]
        only = ("identitiesonly", "yes") in ((name, value) for name, value in settings)
        named = [key for key in keys if key not in _DEFAULT_KEYS and "%" not in key]  # tokens: ssh expands
        missing = [key for key in named if not Path(key).expanduser().exists()]
        if missing and (only or not os.environ.get("SSH_AUTH_SOCK")):
            return (f"the key {missing[0]} that ssh's configuration names for {self.address} (IdentityFile) "
                    "does not exist")
        return ""

    def _control_path(self) -> str:
        # Keyed by the client settings too: a connection opened under one config (one known_hosts)
        # must never carry a command meant to be checked under another. Short: sockets paths max ~100.
        folder = Path(tempfile.gettempdir()) / f"deploylib-ssh-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        settings = hashlib.sha1(f"{self.config_file}|{self.strict_host_keys}".encode()).hexdigest()[:8]
        return f"{folder}/{settings}-%C"

    def run(self, script: str, doing: str, ok_codes: tuple[int, ...] = (0,)) -> tuple[int, str]:
        """Run a POSIX shell script on the host (fed on stdin); return its exit code (one of `ok_codes`)
        and output. `doing` completes "… while <doing>" in errors. A script reports a failure it expects
        by printing one line to stderr and exiting non-zero."""
        try:
            ran = subprocess.run([*self.ssh_argv(), self.address, "sh -s"], input=script, capture_output=True,
                                 text=True, errors="replace")
        except FileNotFoundError:
            raise TargetError("ssh is not installed on this machine: install the OpenSSH client "
                              "(e.g. apt-get install openssh-client).") from None
        if ran.returncode in ok_codes:
            return ran.returncode, ran.stdout
        if ran.returncode == 255:
            raise self.connection_error(ran.stderr)
        problem = last_line(ran.stderr) or f"exit {ran.returncode}"
        raise TargetError(f"{self.address}: {problem} (while {doing}).{_hint(problem)}")

    def push(self, source: Path, dest: str, link_dest: str, first: str = "", checksum: bool = False,
             progress: Callable[[int, int], None] | None = None) -> tuple[int, set[str] | None]:
        """rsync the tree `source` into the folder `dest` on the host, hard-linking files unchanged from
        `link_dest` (absolute, or relative to dest; "" for none): same size and the same mtime to the
        nanosecond; returns the bytes sent and the files written (paths relative to `source`; None when
        rsync's report of them cannot be read whole). `first` is a shell command run on the host before
        rsync starts there, in the same session (no extra round trip). `progress(bytes done, bytes in all)`
        is told as rsync reports its overall progress (--info=progress2)."""
        argv = ["rsync", "-a", "--delete", "--stats", "--modify-window=-1", "--8-bit-output",
                "--out-format=%i %n", "-e", shlex.join(self.ssh_argv())]
        if first:
            argv.append(f"--rsync-path={first} && rsync")
        if link_dest:
            argv.append(f"--link-dest={link_dest}")
        if checksum:
            argv.append("--checksum")
        if progress is not None:
            argv.append("--info=progress2")
        try:
            ran = _run_reporting(progress, [*argv, f"{source}/", f"{self.address}:{dest}/"])
        except FileNotFoundError:
            raise TargetError("rsync is not installed on this machine: install it (e.g. apt-get install rsync)."
                              ) from None
        if ran.returncode == 0:
            sent = re.search(r"Total bytes sent: ([\d,.]+)", ran.stdout)
            written: set[str] | None = {found[1] for found in _WRITTEN.finditer(ran.stdout)}
            transferred = _TRANSFERRED.search(ran.stdout)
            if transferred is None or _number(transferred[1]) != len(written or ()):
                written = None  # the names could not all be read: the caller must treat every file as written
            return (_number(sent[1]) if sent else 0), written
        if "command not found" in ran.stderr or "rsync: not found" in ran.stderr:
            raise TargetError(f"{self.address}: rsync is not installed on the host; install it there (e.g. apt-get "
                              "install rsync). Nothing live was changed.")
        if ran.returncode == 255 or _SSH_FAILURES.search(ran.stderr):
            raise self.connection_error(ran.stderr)
        problem = next((line for line in ran.stderr.splitlines() if _DISK_PROBLEMS.search(line)),
                       last_line(ran.stderr))
        raise TargetError(f"{self.address}: copying the release to {dest} failed: {problem} (rsync exit "
                          f"{ran.returncode}).{_hint(problem)} Nothing live was changed.")

    def connection_error(self, stderr: str) -> TargetError:
        """Why ssh could not run anything on the host, in words, with the fix."""
        where = f"{self.address}{f' (port {self.port})' if self.port else ''}"
        detail = next((line.strip() for line in stderr.splitlines() if _SSH_FAILURES.search(line)), last_line(stderr))
        if "IDENTIFICATION HAS CHANGED" in stderr or "Host key verification failed" in stderr:
            changed = "IDENTIFICATION HAS CHANGED" in stderr
            return TargetError(
                f"{where}: the host key {'has changed from the one' if changed else 'is not'} in your known_hosts, "
                "so ssh refused to connect (strict host-key checking). If the host was really re-installed, verify "
                f"its new key out of band, then update known_hosts (ssh-keygen -R HOST; ssh {self.address}). "
                "Nothing was changed.")
        if _LOGIN_REFUSED.search(stderr):
            return TargetError(f"{where}: the ssh login was refused ({detail}). Check the user and key: "
                               f"ssh {self.address} must log in without a password. Nothing was changed.")
        return TargetError(f"{where} cannot be reached over ssh: {detail or 'ssh failed'}. Check the host "
                           "name, port and network, and that sshd runs there. Nothing was changed.")


_WRITTEN = re.compile(r"^[<>c]f\S{9} (.*)$", re.MULTILINE)  # an --out-format "%i %n" line of a file written
_TRANSFERRED = re.compile(r"Number of regular files transferred: ([\d,.]+)")
_LOGIN_REFUSED = re.compile(r"Permission denied \((publickey|password|keyboard|gssapi|hostbased)")
_SSH_FAILURES = re.compile(r"Host key verification failed|Connection refused|Could not resolve hostname|"
                           r"Connection timed out|No route to host|" + _LOGIN_REFUSED.pattern)


_DISK_PROBLEMS = re.compile(r"Permission denied \(13\)|: Permission denied$|Read-only file system|No space left")


def _hint(problem: str) -> str:
    if "Permission denied" in problem or "Read-only" in problem:
        return (" The ssh user must be able to write there: fix the folder's owner or mode on the host, or deploy "
                "to a path it owns.")
    return ""


def _number(text: str) -> int:
    """rsync's figures are printed with thousands separators: "1,234"."""
    return int(re.sub(r"\D", "", text))


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("Warning:")]
    return lines[-1] if lines else ""


def _run_reporting(progress: Callable[[int, int], None] | None, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run rsync as subprocess.run(capture_output=True, text=True, errors="surrogateescape") would (file names
    that are not UTF-8 come back as the bytes they are); with `progress`, read its output as it comes and report
    each progress2 update (a carriage return, then the figures) as (done, total) bytes. The updates are left
    out of the stdout returned, so it reads as without --info=progress2 (rsync escapes a carriage return in
    a name, so none is cut)."""
    if progress is None:
        return subprocess.run(argv, capture_output=True, text=True, errors="surrogateescape")
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a full stderr pipe would block rsync
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        seen, pending = bytearray(), b""
        with process.stdout:
            while chunk := os.read(process.stdout.fileno(), 65536):
                seen += chunk
                *updates, pending = re.split(rb"[\r\n]", pending + chunk)
                for update in updates:
                    found = _PROGRESS2.match(update.decode("ascii", "replace"))
                    if found and int(found.group(2)):
                        done = int(found.group(1).replace(",", ""))
                        progress(done, max(done, done * 100 // int(found.group(2))))
        code = process.wait()
        errors.seek(0)
        told = re.sub(rb"\r[^\r\n]*", b"", bytes(seen))
        return subprocess.CompletedProcess(argv, code, told.decode(errors="surrogateescape"),
                                           errors.read().decode(errors="surrogateescape"))
