"""Deploying over SSH, side by side with a bare `rsync --link-dest`, to a real sshd on 127.0.0.1.

1. A 5,000-file release with one changed file: deploylib's SSH target (deploy: upload + verify on the
   host + shared links + metadata; then activate: the switch) against a bare `rsync -a --delete
   --link-dest=<previous>` of the same tree into a new folder. Median of N releases each; bytes sent.
2. Rollback (activate the previous release) on a 5,000-file and a 50-file release.

    python benchmarks/ssh.py [--files 5000] [--runs 7]

Run as root it logs in as the unprivileged `deploylib-ssh` user (.ci/run creates it), whose plain
/bin/sh login is what deploy users usually have; otherwise as the current user. The per-session cost
of that login is printed, as it weighs on both sides.
Targets (issue: deployment targets): deploy <= 1.5x bare rsync; rollback 5,000 vs 50 files within 1.2x.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sitegen import generate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.sshd: the same sshd the tests start

from deploylib.build.artifact import pack  # noqa: E402
from deploylib.targets.ssh import SshHostOptions, SshOptions, SshTarget  # noqa: E402
from tests.sshd import UNPRIVILEGED, SshHosts  # noqa: E402


def login() -> str:
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED)
            return UNPRIVILEGED
        except KeyError:
            pass
    return pwd.getpwuid(os.geteuid()).pw_name


def owned_folder(user: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="deploylib-bench-"))
    folder.chmod(0o755)
    entry = pwd.getpwnam(user)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def change(tree: Path, number: int) -> None:
    (tree / "section0" / "part0" / "changed.html").write_text(f"<p>release {number}</p>\n")


def bare_rsync(ssh_argv: list[str], tree: Path, remote: Path, runs: int) -> tuple[list[float], int]:
    def rsync(dest: str, link: str) -> tuple[float, int]:
        started = time.perf_counter()
        done = subprocess.run(["rsync", "-a", "--delete", "--stats", "-e", " ".join(ssh_argv), *(
            [f"--link-dest=../{link}"] if link else []), f"{tree}/", f"web1:{remote}/{dest}/"],
                              capture_output=True, text=True, check=True)
        sent = re.search(r"Total bytes sent: ([\d,]+)", done.stdout)
        return time.perf_counter() - started, int(sent.group(1).replace(",", "")) if sent else 0

    rsync("r0", "")
    times, sent = [], 0
    for n in range(1, runs + 1):
        change(tree, n)
        seconds, sent = rsync(f"r{n}", f"r{n - 1}")
        times.append(seconds)
    return times, sent


def deploylib_runs(target: SshTarget, tree: Path, work: Path, runs: int) -> tuple[list[float], int]:
    artifacts = []
    for n in range(runs + 1):
        change(tree, n)
        artifacts.append(pack(tree, work / ".deploylib" / "artifacts", f"1.0.{n}", "c"))
    target.activate(target.deploy(artifacts[0]), "bench")
    times = []
    for artifact in artifacts[1:]:
        started = time.perf_counter()
        target.activate(target.deploy(artifact), "bench")
        times.append(time.perf_counter() - started)
    return times, sum(target.bytes_sent.values())


def rollback_times(target: SshTarget, tree: Path, work: Path, runs: int) -> list[float]:
    releases = []
    for n in range(2):
        change(tree, 100 + n)
        releases.append(target.deploy(pack(tree, work / ".deploylib" / "artifacts", f"2.0.{n}", "c")))
    target.activate(releases[1], "bench")
    times = []
    for n in range(runs):
        started = time.perf_counter()
        target.activate(releases[n % 2], "bench")
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    user = login()
    hosts = SshHosts(shutil.which("sshd") or "/usr/sbin/sshd", count=1)
    config = hosts.write_config(hosts.folder / "bench_config", user=user)
    remote = owned_folder(user)
    work = Path(tempfile.mkdtemp(prefix="deploylib-bench-work-"))
    os.environ.setdefault("DEPLOYLIB_ACTOR", "bench")
    try:
        def target(name: str) -> SshTarget:
            host = SshHostOptions(address="web1", path=str(remote / name))
            return SshTarget(SshOptions(hosts=(host,), path=name, ssh_config=str(config)), root=work / name,
                             environment=name)

        ssh_argv = ["ssh", "-F", str(config), "-o", "ControlMaster=no", "-o", "ControlPath=none"]
        started = time.perf_counter()
        for _ in range(5):
            subprocess.run([*ssh_argv, "web1", "true"], check=True)
        session = (time.perf_counter() - started) / 5
        big = generate(work / "site", args.files)
        subprocess.run([*ssh_argv, "web1", f"mkdir -p {remote}/bare"], check=True)
        bare_times, bare_sent = bare_rsync(ssh_argv, big, remote / "bare", args.runs)
        ours_times, ours_sent = deploylib_runs(target("big"), big, work, args.runs)
        small = generate(work / "small", 50)
        big_rollback = rollback_times(target("big"), big, work, args.runs)
        small_rollback = rollback_times(target("small"), small, work, args.runs)
    finally:
        hosts.stop()
        shutil.rmtree(remote, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    bare_s, ours_s = statistics.median(bare_times), statistics.median(ours_times)
    big_s, small_s = statistics.median(big_rollback), statistics.median(small_rollback)
    print(f"SSH deploys to sshd on 127.0.0.1 as {user}; one ssh login + command: {session * 1000:.0f} ms")
    print(f"{args.files}-file release, one file changed (median of {args.runs}):")
    print(f"  bare rsync --link-dest       {bare_s:.3f} s   {bare_sent:>9,} bytes sent")
    print(f"  deploylib deploy + activate  {ours_s:.3f} s   {ours_sent:>9,} bytes sent   "
          f"{ours_s / bare_s:.2f}x bare rsync (target <= 1.5x)")
    print(f"rollback (activate the previous release, median of {args.runs}):")
    print(f"  {args.files} files  {big_s * 1000:.0f} ms   50 files  {small_s * 1000:.0f} ms   "
          f"ratio {big_s / small_s:.2f} (target within 1.2x)")


if __name__ == "__main__":
    main()
