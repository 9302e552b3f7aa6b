"""Release stage, side by side: next-version and full-changelog with deploylib, commitizen,
python-semantic-release and git-cliff on the same generated histories (10,000 and 50,000
conventional commits, a tag every 200), whole processes, median wall time and peak memory.

    python benchmarks/release.py [--sizes 10000 50000] [--runs 5] [--anchor-runs 3] [--deploylib-only]
                                 [--no-bytecode-cache]

The anchors are installed, pinned, in a benchmark-only virtualenv (benchmarks/.anchors) on first
use (--deploylib-only skips them). Targets (issue: release engineering): next version <= 0.15 s
(issue: speed: <= 0.12 s) and flat in history length; full changelog at 10k <= 0.5x commitizen and
<= 0.15x git-cliff, linear to 50k, peak <= 100 MiB. deploylib's CPU time (user + system, git
included) is given beside its wall time: on a loaded machine it says what the command costs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _conditions import add_bytecode_option, bytecode_env, describe, spread
from history import generate

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / ".anchors"
PINNED = ["git-cliff==2.14.2", "python-semantic-release==10.7.0", "commitizen==4.19.3"]

# Every tool is configured for the same rules: feat -> minor, fix/perf -> patch, breaking -> major,
# tags v{version}, a changelog of features, fixes and performance work.
PYPROJECT = """[project]
name = "bench"
version = "0.0.0"

[tool.semantic_release]
tag_format = "v{version}"
commit_parser = "conventional"
major_on_zero = true
allow_zero_version = false

[tool.semantic_release.branches.main]
match = "main"
prerelease = false

[tool.semantic_release.changelog]
mode = "init"
changelog_file = "CHANGELOG.md"

[tool.commitizen]
name = "cz_conventional_commits"
tag_format = "v$version"
version_provider = "scm"
major_version_zero = false
"""
CLIFF = '''[changelog]
header = "# Changelog\\n"
body = """
{% if version %}## [{{ version | trim_start_matches(pat="v") }}] - {{ timestamp | date(format="%Y-%m-%d") }}\\
{% else %}## [unreleased]{% endif %}
{% for group, commits in commits | group_by(attribute="group") %}
### {{ group | upper_first }}
{% for commit in commits %}
- {% if commit.scope %}**{{ commit.scope }}:** {% endif %}{{ commit.message }} ({{ commit.id | truncate(length=7, end="") }})
{%- endfor %}
{% endfor %}
"""
trim = true

[git]
conventional_commits = true
filter_unconventional = true
commit_parsers = [
  { message = "^feat", group = "Features" },
  { message = "^fix", group = "Bug Fixes" },
  { message = "^perf", group = "Performance" },
  { message = ".*", skip = true },
]
tag_pattern = "v[0-9].*"

[bump]
features_always_bump_minor = true
breaking_always_bump_major = true
'''
DEPLOY_TOML = '[release]\npush = false\nmajor_on_zero = true\n'


def anchors() -> Path:
    binaries = ANCHORS / "bin"
    if not (binaries / "git-cliff").exists():
        print("installing the anchors into benchmarks/.anchors …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ANCHORS)], check=True)
        subprocess.run([str(binaries / "pip"), "install", "-q", *PINNED], check=True)
    return binaries


def commands(binaries: Path) -> dict[str, dict[str, list[str]]]:
    deploylib = [sys.executable, "-m", "deploylib"]
    return {
        "deploylib": {"next": [*deploylib, "next-version"], "changelog": [*deploylib, "changelog", "--full"]},
        "commitizen": {"next": [str(binaries / "cz"), "bump", "--get-next"],
                       "changelog": [str(binaries / "cz"), "changelog"]},
        "semantic-release": {"next": [str(binaries / "semantic-release"), "--noop", "version", "--print"],
                             "changelog": [str(binaries / "semantic-release"), "changelog"]},
        "git-cliff": {"next": [str(binaries / "git-cliff"), "--bumped-version"],
                      "changelog": [str(binaries / "git-cliff"), "-o", "CHANGELOG.md"]},
    }


def run_once(command: list[str], cwd: Path) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS in MiB, the last line of output and CPU seconds of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env={**os.environ, "NO_COLOR": "1"})
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd} (exit {process.returncode}):\n{output}")
    subprocess.run(["git", "checkout", "-q", "--", "CHANGELOG.md"], cwd=cwd, check=True)  # undo what it wrote
    last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
    return elapsed, usage.ru_maxrss / 1024, last, usage.ru_utime + usage.ru_stime


def measure(command: list[str], cwd: Path, runs: int) -> tuple[float, float, str]:
    results = [run_once(command, cwd) for _ in range(runs)]
    if "deploylib" in command:
        print(f"         deploylib {command[-1]}: wall {spread([r[0] for r in results])}, "
              f"CPU {spread([r[3] for r in results])}")
    return statistics.median(r[0] for r in results), max(r[1] for r in results), results[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--runs", type=int, default=5, help="runs per deploylib measurement (median)")
    parser.add_argument("--anchor-runs", type=int, default=3, help="runs per anchor measurement (median)")
    parser.add_argument("--deploylib-only", action="store_true", help="time deploylib alone (no anchors)")
    add_bytecode_option(parser)
    args = parser.parse_args()
    bytecode_env(args.no_bytecode_cache)
    print(describe(args.no_bytecode_cache))
    tools = commands(Path("-")) if args.deploylib_only else commands(anchors())
    if args.deploylib_only:
        tools = {"deploylib": tools["deploylib"]}
    results: dict[tuple[str, str, int], tuple[float, float, str]] = {}
    with tempfile.TemporaryDirectory(prefix="deploylib-release-bench-") as tmp:
        for size in args.sizes:
            repo = generate(Path(tmp, f"h{size}"), size, extra_files={
                "pyproject.toml": PYPROJECT, "cliff.toml": CLIFF, "deploy.toml": DEPLOY_TOML, "CHANGELOG.md": ""})
            subprocess.run(["git", "remote", "add", "origin", "https://github.com/acme/bench.git"], cwd=repo,
                           check=True)  # semantic-release reads the remote's URL for its links; nothing is pushed
            for tool, ops in tools.items():
                for op, command in ops.items():
                    runs = args.runs if tool == "deploylib" else args.anchor_runs
                    results[tool, op, size] = measure(command, repo, runs)
                    seconds, mib, last = results[tool, op, size]
                    print(f"{size:>6} {op:<9} {tool:<17} {seconds:7.3f} s {mib:6.1f} MiB   {last[:40]}", flush=True)
            shutil.rmtree(repo)
    if args.deploylib_only:
        nxt = results["deploylib", "next", min(args.sizes)][0]
        print(f"next version at {min(args.sizes):,} commits: {nxt:.3f} s wall (target <= 0.12 s: "
              f"{'OK' if nxt <= 0.12 else 'OVER'}); load average now {os.getloadavg()[0]:.1f}")
        return
    report(results, args.sizes)


def report(results: dict[tuple[str, str, int], tuple[float, float, str]], sizes: list[int]) -> None:
    print("\nratios (deploylib time / anchor time; lower is better)")
    for size in sizes:
        for op in ("next", "changelog"):
            ours = results["deploylib", op, size][0]
            cells = [f"{tool} {ours / results[tool, op, size][0]:.3f}x" for tool in
                     ("commitizen", "semantic-release", "git-cliff")]
            print(f"  {size:>6} {op:<9} " + "   ".join(cells))
    small, large = min(sizes), max(sizes)
    nxt, log = results["deploylib", "next", small], results["deploylib", "changelog", small]
    checks = [("next version <= 0.15 s", nxt[0] <= 0.15, f"{nxt[0]:.3f} s"),
              ("changelog <= 0.5x commitizen", log[0] <= 0.5 * results["commitizen", "changelog", small][0],
               f"{log[0] / results['commitizen', 'changelog', small][0]:.2f}x"),
              ("changelog <= 0.15x git-cliff", log[0] <= 0.15 * results["git-cliff", "changelog", small][0],
               f"{log[0] / results['git-cliff', 'changelog', small][0]:.2f}x"),
              ("changelog peak <= 100 MiB", max(results["deploylib", "changelog", s][1] for s in sizes) <= 100,
               f"{max(results['deploylib', 'changelog', s][1] for s in sizes):.0f} MiB")]
    if large != small:
        flat = results["deploylib", "next", large][0] / nxt[0]
        linear = results["deploylib", "changelog", large][0] / log[0]
        checks += [(f"next version flat ({large // 1000}k / {small // 1000}k)", flat <= 1.25, f"{flat:.2f}x"),
                   (f"changelog linear ({large // 1000}k / {small // 1000}k <= {large / small:.0f}x)",
                    linear <= large / small * 1.1, f"{linear:.2f}x")]
    print("\ntargets")
    for name, ok, figure in checks:
        print(f"  {'OK  ' if ok else 'MISS'} {name:<40} {figure}")


if __name__ == "__main__":
    main()
