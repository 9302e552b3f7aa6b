"""Publishing to a gh-pages branch, side by side: deploylib's GitHub Pages target, ghp-import and the
npm gh-pages package, on the same generated 5,000-file site, to local bare remotes. First publish,
then a republish after a one-file change; whole processes, N runs each on fresh remotes, the tools
interleaved within each run; medians and ranges. As in e2e.py, everything runs in a tmpfs working folder
(/dev/shm), so that disk noise from other work (another process's writeback or syncs) does not decide the
figures: both tools' gits write there, and the run says where it was.

Like with like: each tool runs as its own process with the same interpreter, each from a virtual
environment of its own in benchmarks/.anchors (ghp-import as pip installs it; deploylib, this checkout,
through a .pth line), so neither pays for what this machine's global site-packages runs at start-up.
deploylib's process does what `doit deploy` does with the target (lock, live, deploy, activate,
cleanup; _publish.py) on an artifact packed beforehand: packing is the build stage's work, done for
every target, and is timed on its own line, outside the ratios.

    python benchmarks/pages.py [--files 5000] [--runs 5] [--no-bytecode-cache]

ghp-import is installed, pinned, into benchmarks/.anchors on first use (and deploylib's environment made); the
npm gh-pages package is timed when benchmarks/.anchors/npm holds it (npm install --prefix
benchmarks/.anchors/npm gh-pages).
Targets (issue: speed): first publish <= 0.9x ghp-import, republish <= 0.5x ghp-import.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from _conditions import add_bytecode_option, bytecode_env, describe, folder_kind, spread, working_folder
from sitegen import generate

from deploylib.build.artifact import pack

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / ".anchors"
DEPLOYLIB_ENV = ANCHORS / "deploylib"  # a venv whose only addition is this checkout (and its dependencies)
GHP_IMPORT = "ghp-import==2.1.0"
ENV: dict[str, str] = {}  # the measured processes' environment (bytecode cache on or off)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, with the git processes they ran."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process."""
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV or None)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return elapsed, children_cpu() - cpu


def bare(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


IN_PROCESS: list[float] = []  # deploylib's publish times without the interpreter's start, in run order
PACKING: list[float] = []  # deploylib's pack of the site before each publish (the build stage), in run order


def deploylib_run(work: Path, site: Path) -> Callable[[], tuple[float, float]]:
    bare(work / "remote.git")
    (work / ".deploylib").mkdir()

    def publish() -> tuple[float, float]:
        packing = time.perf_counter()
        artifact = pack(site, work / ".deploylib" / "artifacts", f"1.0.{len(list(work.glob('a*.json')))}", "c")
        PACKING.append(time.perf_counter() - packing)
        record = work / f"a{time.monotonic_ns()}.json"
        record.write_text(artifact.to_json())
        command = [str(DEPLOYLIB_ENV / "bin" / "python"), str(HERE / "_publish.py"), str(work), str(record)]
        cpu, started = children_cpu(), time.perf_counter()
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, check=True, env=ENV or None)
        elapsed = time.perf_counter() - started
        IN_PROCESS.append(float(done.stdout.split("in-process ")[1]))
        return elapsed, children_cpu() - cpu

    return publish


def ghp_import_run(work: Path, site: Path) -> Callable[[], tuple[float, float]]:
    remote = bare(work / "remote.git")
    repo = work / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", str(remote)], check=True)
    command = [str(ANCHORS / "bin" / "ghp-import"), "-n", "-p", "-f", "-r", "origin", "-b", "gh-pages", str(site)]
    return lambda: timed(command, repo)


def npm_gh_pages_run(work: Path, site: Path) -> Callable[[], tuple[float, float]]:
    remote = bare(work / "remote.git")
    repo = work / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "package.json").write_text('{"name": "bench", "private": true}\n')  # gh-pages caches beside it
    cli = ANCHORS / "npm" / "node_modules" / ".bin" / "gh-pages"
    command = [str(cli), "-d", str(site), "-r", str(remote), "-b", "gh-pages", "-u", "bench <bench@example.invalid>"]
    return lambda: timed(command, repo)


def tools() -> dict[str, Callable[[Path, Path], Callable[[], tuple[float, float]]]]:
    if not (ANCHORS / "bin" / "ghp-import").exists():
        print(f"installing {GHP_IMPORT} into benchmarks/.anchors …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ANCHORS)], check=True)
        subprocess.run([str(ANCHORS / "bin" / "pip"), "install", "-q", GHP_IMPORT], check=True)
    if not (DEPLOYLIB_ENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(DEPLOYLIB_ENV)], check=True)
        purelib = subprocess.run([str(DEPLOYLIB_ENV / "bin" / "python"), "-c",
                                  "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        # Plain path lines: this checkout, then the dependencies installed beside this interpreter, whose
        # own .pth files (start-up code of whatever else is installed there) are not run.
        Path(purelib, "deploylib-checkout.pth").write_text(f"{HERE.parent}\n{sysconfig.get_paths()['purelib']}\n")
    found = {"deploylib": deploylib_run, "ghp-import": ghp_import_run}
    if (ANCHORS / "npm" / "node_modules" / ".bin" / "gh-pages").exists():
        found["npm gh-pages"] = npm_gh_pages_run
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    add_bytecode_option(parser)
    args = parser.parse_args()
    ENV.update(bytecode_env(args.no_bytecode_cache))
    ENV.pop("PYTHONPATH", None)  # each tool finds its code through its own environment (see above)
    found = tools()
    # As on a user's machine from the second run on (pip compiled ghp-import when it installed it): with the
    # cache on, deploylib's bytecode is written now, not inside the first timed publish.
    subprocess.run([str(DEPLOYLIB_ENV / "bin" / "python"), "-c", "import deploylib.targets.ghpages"], check=True,
                   env=ENV)
    # per tool: wall and CPU seconds of the first publishes, then of the republishes
    results: dict[str, tuple[list[float], list[float], list[float], list[float]]] = {
        tool: ([], [], [], []) for tool in found}
    tmp = working_folder("deploylib-pages-bench-")
    try:
        site = generate(Path(tmp, "site"), args.files)
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"site: {args.files} files, {size / 2**20:.2f} MiB; working folder {tmp.parent} ({folder_kind(tmp)}); "
              f"{describe(args.no_bytecode_cache)}")
        print("whole processes, each tool from its own venv; deploylib: lock, live, deploy, activate, cleanup "
              "of an artifact packed beforehand (packing timed apart); CPU: the process and the gits it ran")
        for run in range(args.runs):
            for tool, prepare in found.items():
                work = Path(tmp, f"{tool.replace(' ', '-')}-{run}")
                work.mkdir()
                local_site = Path(tmp, f"site-{tool.replace(' ', '-')}-{run}")
                shutil.copytree(site, local_site)
                publish = prepare(work, local_site)
                first = publish()
                page = local_site / "section6" / "part6" / "page6.html"  # one of the site's pages, as e2e.py changes
                page.write_text(page.read_text() + "<!-- one file changed -->\n")
                again = publish()
                for column, value in zip(results[tool], (*first, *again), strict=True):
                    column.append(value)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base = [statistics.median(column) for column in results["ghp-import"]]
    for tool, columns in results.items():
        first, first_cpu, again, again_cpu = ([statistics.median(c) / b for c, b in zip(columns, base, strict=True)])
        print(f"{tool:<13} first publish {spread(columns[0])} ({first:4.2f}x ghp-import; CPU "
              f"{statistics.median(columns[1]):.3f} s, {first_cpu:4.2f}x)   republish {spread(columns[2])} "
              f"({again:4.2f}x; CPU {statistics.median(columns[3]):.3f} s, {again_cpu:4.2f}x)")
    base_first, base_again = base[0], base[2]
    inside_first, inside_again = statistics.median(IN_PROCESS[0::2]), statistics.median(IN_PROCESS[1::2])
    print(f"deploylib's publish alone (inside a running doit, no interpreter start): first {inside_first:.3f} s "
          f"({inside_first / base_first:4.2f}x), republish {inside_again:.3f} s ({inside_again / base_again:4.2f}x)")
    print(f"deploylib's pack before each publish (the build stage, not in the ratios): first "
          f"{spread(PACKING[0::2])}, after the one-file change {spread(PACKING[1::2])}")
    ours_first, ours_again = statistics.median(results["deploylib"][0]), statistics.median(results["deploylib"][2])
    print(f"targets: first publish <= 0.9x ghp-import: {'OK' if ours_first <= 0.9 * base_first else 'MISS'} "
          f"({ours_first / base_first:.2f}x); republish <= 0.5x ghp-import: "
          f"{'OK' if ours_again <= 0.5 * base_again else 'MISS'} ({ours_again / base_again:.2f}x); "
          f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
