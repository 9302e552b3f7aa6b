"""The whole deploy path, deploylib against the same steps by hand, in one run (interleaved pairs):

    deploylib   change one file, `git commit -m "fix: ..."`, then `doit deploy:production` (gate, build
                `cp -a src dist`, pack, release: changelog, tag, push; deploy:test and
                deploy:production, each unpacked, verified, switched and validated by 3 checks)
    by hand     the same change and commit, then `cp -a src dist`; tag + push; per environment
                `rsync -a --link-dest` into a new release, `ln -s` + `mv -T`, 3 `curl`

for sites of 500, 5,000 and 50,000 files (benchmarks/sitegen.py), with the median and min-max of each
side, the peak RSS and CPU time (user + system, children included: what to judge by on a loaded
machine) of each redeploy process, and `doit rollback --yes` (switch back, re-validate)
against `ln -s` + `mv -T` + 3 `curl`. Everything runs in a tmpfs working folder (/dev/shm), so that
disk noise from other work does not decide the figures. Python's bytecode cache is on unless
--no-bytecode-cache (PYTHONDONTWRITEBYTECODE is set or removed explicitly, and the run says which).

    python benchmarks/e2e.py [--files 500 5000 50000] [--runs 7] [--no-bytecode-cache]

Targets (issue: speed): redeploy <= 2.0x by hand at 500 files, <= 1.5x at 5,000, <= 1.3x at 50,000;
rollback with re-validation <= 0.30 s; peak RSS of the 50,000-file redeploy <= 80 MiB.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from _conditions import folder_kind, working_folder
from sitegen import generate

REPO = Path(__file__).resolve().parent.parent
REDEPLOY_TARGET = {500: 2.0, 5000: 1.5, 50000: 1.3}
ROLLBACK_TARGET_S = 0.30
RSS_TARGET_MIB = 80
CHECKED = ("index.html", "section6/part6/page6.html", "section3/part3/style3.css")  # 3 checks per environment

CONFIG = """[build]
command = "rm -rf dist && cp -a src dist"
output = "dist"

[release]
branch = "main"

[deploy]
require_staging = true
staging = "test"
""" + "".join(f"""
[environments.{env}]
target = {{ type = "local", path = "../{env}" }}
confirm = false
""" + "".join(f"""
[[environments.{env}.checks]]
name = "{path}"
path = "/{path}"
""" for path in CHECKED) for env in ("test", "production"))

BY_HAND = """set -e
cd "$1"
rm -rf dist && cp -a src dist
git tag "$2" && git push -q origin main "$2"
for env in test production; do
  previous=$(readlink "../$env/current")
  rsync -a --link-dest="$PWD/../$env/$previous" dist/ "../$env/releases/$2/"
  ln -s "releases/$2" "../$env/current.new" && mv -T "../$env/current.new" "../$env/current"
  for path in {checks}; do curl -sf -o /dev/null "$(cat ../$env/url)/$path"; done
done
""".format(checks=" ".join(CHECKED))

ROLL_BACK_BY_HAND = """set -e
cd "$1"
ln -s "releases/$2" current.new && mv -T current.new current
for path in {checks}; do curl -sf -o /dev/null "$(cat url)/$path"; done
""".format(checks=" ".join(CHECKED))


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds, peak RSS in MiB, CPU seconds) of one whole process and the children it waited for."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    output = process.stdout.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed in {cwd}:\n{output.decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def new_repo(folder: Path, site: Path) -> Path:
    repo = folder / "repo"
    shutil.copytree(site, repo / "src", symlinks=True)
    (repo / "src" / "index.html").write_text("<h1>bench</h1>\n")
    (repo / ".gitignore").write_text("dist/\n.deploylib/\n__pycache__/\n")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(folder / "remote.git")], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@example.invalid")
    git(repo, "remote", "add", "origin", str(folder / "remote.git"))
    return repo


def change(repo: Path, number: int) -> None:
    page = repo / "src" / "section6" / "part6" / "page6.html"
    page.write_text(page.read_text().split("<!--")[0] + f"<!-- change {number} -->\n")
    git(repo, "commit", "-qam", f"fix: change {number}")


class Servers:
    """Static servers for the by-hand environments, started once (a web server is already running)."""

    def __init__(self) -> None:
        self.servers: list[http.server.ThreadingHTTPServer] = []

    def serve(self, current: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(current))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        """Silent: curl checks the answers."""


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):7.3f} s  (min {min(values):.3f}, max {max(values):.3f})"


def measure(files: int, runs: int, work: Path, env: dict[str, str], servers: Servers) -> dict[str, object]:
    folder = work / f"n{files}"
    site = generate(folder / "site", files)
    ours, hand = folder / "deploylib", folder / "hand"
    ours_repo, hand_repo = new_repo(ours, site), new_repo(hand, site)
    (ours_repo / "deploy.toml").write_text(CONFIG)
    shutil.copy(REPO / "dodo.py", ours_repo / "dodo.py")
    for repo in (ours_repo, hand_repo):
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "feat: the site")
        git(repo, "push", "-q", "-u", "origin", "main")
    doit = [sys.executable, "-m", "doit"]
    timed([*doit, "deploy:production"], ours_repo, env)  # first deploy (and bytecode written, when on)
    for target in ("test", "production"):
        releases = hand / target / "releases"
        releases.mkdir(parents=True)
        subprocess.run(["cp", "-a", f"{hand_repo}/src/.", str(releases / "v0")], check=True)
        (hand / target / "current").symlink_to("releases/v0")
        (hand / target / "url").write_text(servers.serve(hand / target / "current"))
    script = folder / "by_hand.sh"
    script.write_text(BY_HAND)
    ours_times, hand_times, ours_rss, hand_rss, ours_cpu, hand_cpu = [], [], [], [], [], []
    for n in range(1, runs + 1):  # interleaved: drift on the machine hits both alike
        change(ours_repo, n)
        seconds, rss, cpu = timed([*doit, "deploy:production"], ours_repo, env)
        ours_times.append(seconds)
        ours_rss.append(rss)
        ours_cpu.append(cpu)
        change(hand_repo, n)
        seconds, rss, cpu = timed(["bash", str(script), str(hand_repo), f"v{n}"], hand_repo, env)
        hand_times.append(seconds)
        hand_rss.append(rss)
        hand_cpu.append(cpu)
    # rollback: back and forth between the last two releases, each side
    roll = folder / "roll_back.sh"
    roll.write_text(ROLL_BACK_BY_HAND)
    ours_back, hand_back, ours_back_cpu, list_back = [], [], [], []
    empty = folder / "empty"
    empty.mkdir()
    (empty / "dodo.py").write_text("")
    for n in range(runs):
        seconds, _, cpu = timed([*doit, "rollback", "--yes"], ours_repo, env)
        ours_back.append(seconds)
        ours_back_cpu.append(cpu)
        hand_back.append(timed(["bash", str(roll), str(hand / "production"), f"v{runs - 1 + n % 2}"], hand, env)[0])
        list_back.append(timed([*doit, "list"], empty, env)[0])
    shutil.rmtree(folder, ignore_errors=True)
    return {"ours": ours_times, "hand": hand_times, "ours_rss": max(ours_rss), "hand_rss": max(hand_rss),
            "ours_cpu": ours_cpu, "hand_cpu": hand_cpu,
            "ours_back": ours_back, "hand_back": hand_back, "ours_back_cpu": ours_back_cpu, "list_back": list_back}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[500, 5000, 50000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="set PYTHONDONTWRITEBYTECODE=1 (recompile deploylib on every run)")
    args = parser.parse_args()
    env = {**os.environ, "DEPLOYLIB_YES": "1", "DEPLOYLIB_ACTOR": "bench"}
    if args.no_bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    work = working_folder("deploylib-e2e-")
    servers = Servers()
    try:
        results = {files: measure(files, args.runs, work, env, servers) for files in args.files}
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    import deploylib

    cached = any(Path(deploylib.__file__).parent.glob("__pycache__/*.pyc"))
    print(f"working folder: {work.parent} ({folder_kind(work)}); bytecode cache: "
          f"{'off (PYTHONDONTWRITEBYTECODE=1)' if args.no_bytecode_cache else 'on (PYTHONDONTWRITEBYTECODE unset)'}"
          f"; deploylib's __pycache__ {'present' if cached else 'absent'}; {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}; {args.runs} interleaved pairs")
    for files, found in results.items():
        ours, hand = found["ours"], found["hand"]
        ratio = statistics.median(ours) / statistics.median(hand)  # type: ignore[arg-type]
        target = REDEPLOY_TARGET.get(files)
        verdict = "" if target is None else f" (target <= {target}x: {'OK' if ratio <= target else 'OVER'})"
        print(f"\n{files:,} files, redeploy after one changed file and a fix: commit")
        print(f"  deploylib  {summary(ours)}  peak RSS {found['ours_rss']:.0f} MiB")  # type: ignore[arg-type]
        print(f"  by hand    {summary(hand)}  peak RSS {found['hand_rss']:.0f} MiB")  # type: ignore[arg-type]
        print(f"  ratio {ratio:.2f}x{verdict}")
        cpu_ratio = statistics.median(found["ours_cpu"]) / statistics.median(found["hand_cpu"])  # type: ignore[arg-type]
        print(f"  CPU (user + system, with children): deploylib {summary(found['ours_cpu'])}, by hand "  # type: ignore[arg-type]
              f"{summary(found['hand_cpu'])}; ratio {cpu_ratio:.2f}x")  # type: ignore[arg-type]
        back = statistics.median(found["ours_back"])  # type: ignore[arg-type]
        print(f"  rollback: doit rollback --yes {summary(found['ours_back'])} (target <= {ROLLBACK_TARGET_S} s: "  # type: ignore[arg-type]
              f"{'OK' if back <= ROLLBACK_TARGET_S else 'OVER'}); by hand {summary(found['hand_back'])}")  # type: ignore[arg-type]
        cpu = found["ours_back_cpu"]
        print(f"            its CPU (user + system) {summary(cpu)}  (target <= {ROLLBACK_TARGET_S} s: "  # type: ignore[arg-type]
              f"{'OK' if statistics.median(cpu) <= ROLLBACK_TARGET_S else 'OVER'}); "  # type: ignore[arg-type]
              f"doit list on an empty dodo.py, interleaved: {summary(found['list_back'])}")  # type: ignore[arg-type]
        if files == 50000:
            rss = found["ours_rss"]
            print(f"  peak RSS {rss:.0f} MiB (target <= {RSS_TARGET_MIB} MiB: "  # type: ignore[str-format]
                  f"{'OK' if rss <= RSS_TARGET_MIB else 'OVER'})")  # type: ignore[operator]


if __name__ == "__main__":
    main()
