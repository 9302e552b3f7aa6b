"""Publishing to a gh-pages branch, side by side: deploylib's GitHub Pages target, ghp-import and the
npm gh-pages package, on the same generated 5,000-file site, to local bare remotes. First publish,
then a republish after a one-file change; whole processes, median of N runs each on fresh remotes.

    python benchmarks/pages.py [--files 5000] [--runs 3]

Targets (issue: deployment targets): first publish <= ghp-import, republish <= 0.5x ghp-import.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sitegen import generate

from deploylib.build.artifact import pack

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / ".anchors"


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return elapsed


def bare(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


IN_PROCESS: list[float] = []  # deploylib's publish times without the interpreter's start, in run order


def deploylib_run(work: Path, site: Path) -> Callable[[], float]:
    bare(work / "remote.git")
    (work / ".deploylib").mkdir()

    def publish() -> float:
        artifact = pack(site, work / ".deploylib" / "artifacts", f"1.0.{len(list(work.glob('a*.json')))}", "c")
        record = work / f"a{time.monotonic_ns()}.json"
        record.write_text(artifact.to_json())
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / "_publish.py"), str(work), str(record)], cwd=work,
                              capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
        IN_PROCESS.append(float(done.stdout.split("in-process ")[1]))
        return elapsed

    return publish


def ghp_import_run(work: Path, site: Path) -> Callable[[], float]:
    remote = bare(work / "remote.git")
    repo = work / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", str(remote)], check=True)
    command = [str(ANCHORS / "bin" / "ghp-import"), "-n", "-p", "-f", "-r", "origin", "-b", "gh-pages", str(site)]
    return lambda: timed(command, repo)


def npm_gh_pages_run(work: Path, site: Path) -> Callable[[], float]:
    remote = bare(work / "remote.git")
    repo = work / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "package.json").write_text('{"name": "bench", "private": true}\n')  # gh-pages caches beside it
    cli = ANCHORS / "npm" / "node_modules" / ".bin" / "gh-pages"
    command = [str(cli), "-d", str(site), "-r", str(remote), "-b", "gh-pages", "-u", "bench <bench@example.invalid>"]
    return lambda: timed(command, repo)


TOOLS = {"deploylib": deploylib_run, "ghp-import": ghp_import_run, "npm gh-pages": npm_gh_pages_run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, tuple[list[float], list[float]]] = {tool: ([], []) for tool in TOOLS}
    with tempfile.TemporaryDirectory(prefix="deploylib-pages-bench-") as tmp:
        site = generate(Path(tmp, "site"), args.files)
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"site: {args.files} files, {size / 2**20:.2f} MiB")
        for run in range(args.runs):
            for tool, prepare in TOOLS.items():
                work = Path(tmp, f"{tool.replace(' ', '-')}-{run}")
                work.mkdir()
                local_site = Path(tmp, f"site-{tool.replace(' ', '-')}-{run}")
                shutil.copytree(site, local_site)
                publish = prepare(work, local_site)
                first = publish()
                (local_site / "section3" / "part3" / "page3.html").write_text("<html>one file changed</html>\n")
                again = publish()
                results[tool][0].append(first)
                results[tool][1].append(again)
    base_first, base_again = (statistics.median(v) for v in results["ghp-import"])
    for tool, (first, again) in results.items():
        f, a = statistics.median(first), statistics.median(again)
        print(f"{tool:<13} first publish {f:6.3f} s ({f / base_first:4.2f}x ghp-import)   "
              f"republish {a:6.3f} s ({a / base_again:4.2f}x ghp-import)")
    inside_first, inside_again = statistics.median(IN_PROCESS[0::2]), statistics.median(IN_PROCESS[1::2])
    print(f"deploylib's publish alone (inside a running doit, no interpreter start): first {inside_first:.3f} s "
          f"({inside_first / base_first:4.2f}x), republish {inside_again:.3f} s ({inside_again / base_again:4.2f}x)")
    ours_first, ours_again = (statistics.median(v) for v in results["deploylib"])
    print(f"targets: first publish <= ghp-import: {'OK' if ours_first <= base_first else 'MISS'}; "
          f"republish <= 0.5x ghp-import: {'OK' if ours_again <= 0.5 * base_again else 'MISS'}")


if __name__ == "__main__":
    main()
