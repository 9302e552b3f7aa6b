"""Make the replay data of real release histories: for each pair of consecutive stable releases of a
public project (its tag history), the commits (sha and message) the later release holds and the
version the project actually released. Messages only: authorship trailers are dropped and e-mail
addresses masked, so the data holds no names or e-mails (a sha stays: reverts name commits by it).

    python benchmarks/replay_data.py PROJECT CLONE [--upto TAG]   writes tests/data/replay/PROJECT.json.gz

A release holds the commits its tag reaches and no lower stable release's tag reaches (as
deploylib reads history). Pairs whose earlier release is not in the later one's history (a
maintenance line) are left out: they have no "previous" in that history.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
from pathlib import Path

import semver

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "replay"
_TRAILER = re.compile(r"^(Co-authored-by|Signed-off-by|Reviewed-by|Acked-by|Tested-by|Reported-by|Suggested-by|"
                      r"Helped-by|Cc|Author|Committer):.*$", re.IGNORECASE | re.MULTILINE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def git(clone: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=clone, check=True, capture_output=True, text=True).stdout


def scrub(message: str) -> str:
    return _EMAIL.sub("<email>", _TRAILER.sub("", message)).rstrip() + "\n"


def stable_tags(clone: Path, upto: str) -> list[tuple[semver.Version, str]]:
    tags = []
    for name in git(clone, "tag", "--list").split():
        text = name.removeprefix("v")
        if semver.Version.is_valid(text) and not semver.Version.parse(text).prerelease and name.startswith("v"):
            tags.append((semver.Version.parse(text), name))
    tags.sort()
    return [t for t in tags if not upto or t[0] <= semver.Version.parse(upto.removeprefix("v"))]


def pairs(clone: Path, upto: str) -> list[dict[str, object]]:
    tags = stable_tags(clone, upto)
    found = []
    for index, (version, name) in enumerate(tags):
        lower = tags[:index]
        previous = next((v for v, n in reversed(lower)
                         if subprocess.run(["git", "merge-base", "--is-ancestor", n, name], cwd=clone).returncode == 0),
                        None)
        if previous is None:
            continue
        log = git(clone, "log", "-z", "--format=%H%x1f%B", name, *(f"^{n}" for _, n in lower), "--")
        commits = [record.split("\x1f", 1) for record in log.split("\0") if record.strip()]
        found.append({"previous": str(previous), "released": str(version),
                      "commits": [[sha.strip(), scrub(message)] for sha, message in commits]})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("clone", type=Path)
    parser.add_argument("--upto", default="", help="the last release to include")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"project": args.project, "pairs": pairs(args.clone, args.upto)}
    target = OUT / f"{args.project.replace('/', '+')}.json.gz"
    target.write_bytes(gzip.compress(json.dumps(data, indent=0).encode(), mtime=0))
    print(f"{target}: {len(data['pairs'])} pairs, {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
