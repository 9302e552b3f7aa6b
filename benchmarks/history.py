"""Deterministic git histories of conventional commits for the release benchmarks.

    python benchmarks/history.py DEST --commits 10000 [--seed 1]

N commits (feat/fix/docs/chore/refactor/perf, ~70 % scoped, ~40 % with multi-line bodies,
some `!` and BREAKING CHANGE footers, 2 % not conventional, some squash-style bodies), with a
release commit and an annotated tag every 200 commits except over the last 200, fixed author
and committer dates: the same seed gives a byte-identical repository. Built with one
`git fast-import` stream, so 50,000 commits take seconds.
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

TYPES = ["feat"] * 25 + ["fix"] * 30 + ["docs"] * 12 + ["chore"] * 15 + ["refactor"] * 12 + ["perf"] * 6
SCOPES = ["api", "ui", "auth", "build", "deps", "core", "cli", "docs"]
WORDS = ("cache session token page route query index render parse layout button form header footer "
         "image script style config deploy release search filter table chart modal menu sidebar").split()
RELEASE_EVERY = 200
EPOCH = 1_700_000_000


def message(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.02:
        return f"Update {words}"  # not conventional
    kind = rng.choice(TYPES)
    scope = f"({rng.choice(SCOPES)})" if rng.random() < 0.7 else ""
    bang = "!" if rng.random() < 0.002 else ""
    subject = f"{kind}{scope}{bang}: {words}"
    if rng.random() < 0.05:
        subject += f" (#{1000 + n})"
    body = ""
    if rng.random() < 0.4:
        body = "\n\n" + "\n".join(" ".join(rng.choice(WORDS) for _ in range(8)) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.03:
        body += "\n\n" + "\n\n".join(f"* {rng.choice(TYPES)}: {rng.choice(WORDS)} {rng.choice(WORDS)}"
                                     for _ in range(3))
    if rng.random() < 0.001:
        body += "\n\nBREAKING CHANGE: the " + rng.choice(WORDS) + " interface changed"
    if rng.random() < 0.1:
        body += f"\n\nRefs: #{rng.randint(1, 999)}"
    return subject + body


def stream(commits: int, seed: int, extra_files: dict[str, str]) -> bytes:
    rng = random.Random(seed)
    out: list[bytes] = []

    def data(text: str | bytes) -> None:
        raw = text.encode() if isinstance(text, str) else text
        out.append(f"data {len(raw)}\n".encode() + raw + b"\n")

    def commit(mark: int, text: str, path: str, content: str, when: int) -> None:
        out.append(f"commit refs/heads/main\nmark :{mark}\n".encode())
        out.append(f"author Dev <dev@example.invalid> {when} +0000\n".encode())
        out.append(f"committer Dev <dev@example.invalid> {when} +0000\n".encode())
        data(text)
        if mark > 1:
            out.append(f"from :{mark - 1}\n".encode())
        if mark == 1:
            for name, body in extra_files.items():
                out.append(f"M 644 inline {name}\n".encode())
                data(body)
        out.append(f"M 644 inline {path}\n".encode())
        data(content)

    mark, minor = 0, 0
    for n in range(1, commits + 1):
        mark += 1
        commit(mark, message(rng, n), f"src/file{n % 50}.txt", f"{n}\n", EPOCH + mark * 60)
        if n % RELEASE_EVERY == 0 and n <= commits - RELEASE_EVERY:
            minor += 1
            version = f"1.{minor}.0"
            mark += 1
            commit(mark, f"chore(release): v{version}", "CHANGELOG.md", f"{version}\n", EPOCH + mark * 60)
            out.append(f"tag v{version}\nfrom :{mark}\ntagger Dev <dev@example.invalid> {EPOCH + mark * 60} +0000\n"
                       .encode())
            data(f"Release {version}")
    return b"".join(out)


def generate(dest: Path, commits: int, seed: int = 1, extra_files: dict[str, str] | None = None) -> Path:
    """Make the repository at `dest` (which must not exist) and check out main."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=dest, input=stream(commits, seed, extra_files or {}),
                   check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=dest, check=True)
    subprocess.run(["git", "config", "user.name", "Bench"], cwd=dest, check=True)
    subprocess.run(["git", "config", "user.email", "bench@example.invalid"], cwd=dest, check=True)
    return dest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.dest, args.commits, args.seed)
    print(f"{args.dest}: {args.commits} commits")
