"""Deploying over SSH, side by side with a bare `rsync --link-dest`, to a real sshd on 127.0.0.1.

1. A 5,000-file release with one changed file: deploylib's SSH target (deploy: upload + verify on the
   host + shared links + metadata; then activate: the switch) against a bare `rsync -a --delete
   --link-dest=<previous>` of the same tree into a new folder, in interleaved pairs (the same change,
   then each side); medians, ranges and bytes sent. The bare rsync is timed twice: logging in each time
   (as typed by hand) and over a kept ssh connection (ControlMaster, as deploylib keeps its own).
2. Rollback (activate the previous release) on a 5,000-file and a 50-file release.

    python benchmarks/ssh.py [--files 5000] [--runs 7] [--no-bytecode-cache]

Run as root it logs in as the unprivileged `deploylib-ssh` user (.ci/run creates it), whose plain
/bin/sh login is what deploy users usually have; otherwise as the current user. The per-session cost
of that login is printed, as it weighs on both sides.
Targets: deploy <= 1.3x bare rsync (issue: speed; 1.5x before); rollback 5,000 vs 50 files within 1.2x.
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


def interleaved(target: SshTarget, ssh_argvs: dict[str, list[str]], tree: Path, remote: Path, work: Path,
                runs: int) -> dict[str, tuple[list[float], int]]:
    """Per release: change one file, then a bare rsync each way, then deploylib (packing is the build's
    work and is left out). Returns each side's times and the bytes its last run sent."""
    results: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in [*ssh_argvs, "deploylib"]}
    for n in range(runs + 1):
        change(tree, n)
        for name, argv in ssh_argvs.items():
            seconds, sent = bare_rsync(argv, tree, remote / folder(name), f"r{n}", f"r{n - 1}" if n else "")
            if n:
                results[name][0].append(seconds)
                results[name] = (results[name][0], sent)
        artifact = pack(tree, work / ".deploylib" / "artifacts", f"1.0.{n}", "c")
        started = time.perf_counter()
        target.activate(target.deploy(artifact), "bench")
        if n:
            results["deploylib"][0].append(time.perf_counter() - started)
            results["deploylib"] = (results["deploylib"][0], sum(target.bytes_sent.values()))
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
        found = interleaved(target("big"), sides, big, remote, work, args.runs)
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
    ours = found["deploylib"][0]
    for name, (times, sent) in found.items():
        line = f"  {name:<29} {spread(times)}   {sent:>9,} bytes sent"
        print(line if name == "deploylib" else f"{line}   deploylib / this {ratio(ours, times):.2f}x")
    headline = ratio(ours, found["bare rsync, new login"][0])
    print(f"  deploylib deploy + activate vs bare rsync (new login): {headline:.2f}x (target <= 1.3x: "
          f"{'OK' if headline <= 1.3 else 'OVER'})")
    big_s, small_s = statistics.median(big_rollback), statistics.median(small_rollback)
    print(f"rollback (activate the previous release, median of {args.runs}):")
    print(f"  {args.files} files  {big_s * 1000:.0f} ms   50 files  {small_s * 1000:.0f} ms   "
          f"ratio {big_s / small_s:.2f} (target within 1.2x)")


if __name__ == "__main__":
    main()
