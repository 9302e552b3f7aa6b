"""No-op re-run: `doit deploy:production` with nothing changed, next to `doit list` on an empty
dodo.py, measured side by side in one run (whole processes, median of N alternating runs).

    python benchmarks/noop_rerun.py [--runs 15] [--no-bytecode-cache]

Target (issue: speed): no-op median ≤ 1.5 × the empty-dodo median, with Python's bytecode cache on
(PYTHONDONTWRITEBYTECODE is removed, or set to 1 by --no-bytecode-cache; the output says which).
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

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5


def doit(cwd: Path, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "doit", *args], cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"doit {' '.join(args)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode-cache", action="store_true", help="set PYTHONDONTWRITEBYTECODE=1")
    args = parser.parse_args()
    env = {**os.environ, "DEPLOYLIB_YES": "1"}
    if args.no_bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="deploylib-bench-") as tmp:
        clone, empty = Path(tmp, "clone"), Path(tmp, "empty")
        clone.mkdir()
        empty.mkdir()
        shutil.copy(REPO / "dodo.py", clone / "dodo.py")
        (empty / "dodo.py").write_text("")
        doit(clone, env, "deploy:production")  # the real deploy, once (and the bytecode cache written)
        noop, baseline = [], []
        for _ in range(args.runs):  # alternate, so drift on the machine hits both alike
            noop.append(doit(clone, env, "deploy:production"))
            baseline.append(doit(empty, env, "list"))
    noop_median, base_median = statistics.median(noop), statistics.median(baseline)
    ratio = noop_median / base_median
    print("bytecode cache: " + ("off (PYTHONDONTWRITEBYTECODE=1)" if args.no_bytecode_cache
                                else "on (PYTHONDONTWRITEBYTECODE unset)"))
    print(f"{'doit list (empty dodo.py)':<38} median {base_median * 1000:7.1f} ms")
    print(f"{'doit deploy:production (no-op)':<38} median {noop_median * 1000:7.1f} ms")
    print(f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x): {'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
