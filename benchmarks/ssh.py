"""Deploying over SSH, side by side with a bare `rsync --link-dest`, to a real sshd on 127.0.0.1.

1. A 5,000-file release with one changed file: deploylib's SSH target doing what `doit deploy` does with
   it (take the host's lock, read what it serves, deploy: upload + verify on the host + shared links +
   metadata, activate: the switch, release the lock) against a bare `rsync -a --delete
   --link-dest=<previous>` of the same tree into a new folder, interleaved (the same change, then each
   side); medians, ranges and bytes sent. Like with like, each side twice: logging in afresh (a deploy
   run, or rsync as typed by hand: deploylib's connection is closed before each of these runs) and
   over a connection kept open (ControlMaster; deploylib keeps its own for 30 s after a run).
2. Rollback (activate the previous release) on a 5,000-file and a 50-file release.

    python benchmarks/ssh.py [--files 5000] [--runs 7] [--no-bytecode-cache]

Run as root it logs in as the unprivileged `deploylib-ssh` user (.ci/run creates it), whose plain
/bin/sh login is what deploy users usually have; otherwise as the current user. The per-session cost
of that login is printed, as it weighs on both sides.
Targets: deploy <= 1.3x bare rsync, each logging in as a run does (issue: speed; 1.5x before); rollback
5,000 vs 50 files within 1.2x.
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

from _conditions import add_bytecode_option, bytecode_env, describe, ratio, spread
from sitegen import generate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.sshd: the same sshd the tests start

from deploylib.build.artifact import pack  # noqa: E402
from deploylib.state.lock import LockHolder  # noqa: E402
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


def bare_rsync(ssh_argv: list[str], tree: Path, remote: Path, dest: str, link: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(["rsync", "-a", "--delete", "--stats", "-e", " ".join(ssh_argv), *(
        [f"--link-dest=../{link}"] if link else []), f"{tree}/", f"web1:{remote}/{dest}/"],
                          capture_output=True, text=True, check=True)
    sent = re.search(r"Total bytes sent: ([\d,]+)", done.stdout)
    return time.perf_counter() - started, int(sent.group(1).replace(",", "")) if sent else 0


def folder(side: str) -> str:
    return side.replace(",", "").replace(" ", "-")


def interleaved(targets: dict[str, SshTarget], ssh_argvs: dict[str, list[str]], tree: Path, remote: Path,
                work: Path, runs: int) -> dict[str, tuple[list[float], int]]:
    """Per release: change one file, then a bare rsync each way, then deploylib each way (`targets`: a new
    login, or its connection kept; packing is the build's work and is left out). Returns each side's
    times and the bytes its last run sent."""
    results: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in [*ssh_argvs, *targets]}
    for n in range(runs + 1):
        change(tree, n)
        for name, argv in ssh_argvs.items():
            seconds, sent = bare_rsync(argv, tree, remote / folder(name), f"r{n}", f"r{n - 1}" if n else "")
            if n:
                results[name][0].append(seconds)
                results[name] = (results[name][0], sent)
        artifact = pack(tree, work / ".deploylib" / "artifacts", f"1.0.{n}", "c")
        for name, target in targets.items():
            if "new login" in name:
                for host in target.hosts:  # its kept connection closed: this run logs in, as a new doit run does
                    subprocess.run([*host.endpoint.ssh_argv(), "-O", "exit", host.name], capture_output=True)
            started = time.perf_counter()
            with target.lock(LockHolder.me("deploy", artifact.version), 0):
                target.live()
                target.activate(target.deploy(artifact), "bench")
            if n:
                results[name][0].append(time.perf_counter() - started)
                results[name] = (results[name][0], sum(target.bytes_sent.values()))
    return results


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
    add_bytecode_option(parser)
    args = parser.parse_args()
    bytecode_env(args.no_bytecode_cache)
    user = login()
    hosts = SshHosts(shutil.which("sshd") or "/usr/sbin/sshd", count=1)
    config = hosts.write_config(hosts.folder / "bench_config", user=user)
    remote = owned_folder(user)
    work = Path(tempfile.mkdtemp(prefix="deploylib-bench-work-"))
    os.environ.setdefault("DEPLOYLIB_ACTOR", "bench")
    master = work / "master.sock"
    try:
        def target(name: str) -> SshTarget:
            host = SshHostOptions(address="web1", path=str(remote / name))
            return SshTarget(SshOptions(hosts=(host,), path=name, ssh_config=str(config)), root=work / name,
                             environment=name)

        ssh_argv = ["ssh", "-F", str(config), "-o", "ControlMaster=no", "-o", "ControlPath=none"]
        kept_argv = ["ssh", "-F", str(config), "-o", "ControlMaster=auto", "-o", f"ControlPath={master}",
                     "-o", "ControlPersist=60"]
        started = time.perf_counter()
        for _ in range(5):
            subprocess.run([*ssh_argv, "web1", "true"], check=True)
        session = (time.perf_counter() - started) / 5
        big = generate(work / "site", args.files)
        sides = {"bare rsync, new login": ssh_argv, "bare rsync, kept connection": kept_argv}
        subprocess.run([*ssh_argv, "web1", "mkdir -p " + " ".join(str(remote / folder(n)) for n in sides)], check=True)
        # in this order: the kept side reuses the connection the new-login side has just opened (one ControlPath)
        ours = {"deploylib, new login": target("big"), "deploylib, kept connection": target("big-kept")}
        found = interleaved(ours, sides, big, remote, work, args.runs)
        small = generate(work / "small", 50)
        big_rollback = rollback_times(target("big"), big, work, args.runs)
        small_rollback = rollback_times(target("small"), small, work, args.runs)
    finally:
        subprocess.run([*kept_argv, "-O", "exit", "web1"], capture_output=True)
        hosts.stop()
        shutil.rmtree(remote, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    print(f"SSH deploys to sshd on 127.0.0.1 as {user}; one ssh login + command: {session * 1000:.0f} ms")
    print(describe(args.no_bytecode_cache))
    print(f"{args.files}-file release, one file changed ({args.runs} interleaved runs each):")
    for name, (times, sent) in found.items():
        print(f"  {name:<29} {spread(times)}   {sent:>9,} bytes sent")
    # The target is for a deploy as it is run: a doit run logs in once, as a bare rsync typed by hand does.
    headline = ratio(found["deploylib, new login"][0], found["bare rsync, new login"][0])
    print(f"  deploylib (lock, live, deploy, activate) vs bare rsync, each logging in: {headline:.2f}x "
          f"(target <= 1.3x: {'OK' if headline <= 1.3 else 'OVER'})")
    kept = ratio(found["deploylib, kept connection"][0], found["bare rsync, kept connection"][0])
    print(f"  the same over connections kept open (no login on either side; no target): {kept:.2f}x")
    big_s, small_s = statistics.median(big_rollback), statistics.median(small_rollback)
    print(f"rollback (activate the previous release, median of {args.runs}):")
    print(f"  {args.files} files  {big_s * 1000:.0f} ms   50 files  {small_s * 1000:.0f} ms   "
          f"ratio {big_s / small_s:.2f} (target within 1.2x: {'OK' if big_s / small_s <= 1.2 else 'OVER'})")


if __name__ == "__main__":
    main()
