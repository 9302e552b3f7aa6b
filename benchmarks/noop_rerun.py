"""No-op re-run: `doit deploy:production` with nothing changed, next to `doit list` on an empty
dodo.py, measured side by side in one run (whole processes, median of N alternating runs).

    python benchmarks/noop_rerun.py [--runs 15] [--no-bytecode-cache]

Target (issue: speed): no-op median ≤ 1.5 × the empty-dodo median, with Python's bytecode cache on
(PYTHONDONTWRITEBYTECODE is removed, or set to 1 by --no-bytecode-cache; the output says which).
Wall time and CPU time (user + system, children included) are both given: on a loaded machine the
CPU figures say what the work costs, the wall figures what a user waits.
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

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5


def doit(cwd: Path, env: dict[str, str], *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole `doit` process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "doit", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    output = process.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"doit {' '.join(args)} failed in {cwd}:\n{output.decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    add_bytecode_option(parser)
    args = parser.parse_args()
    env = bytecode_env(args.no_bytecode_cache, {**os.environ, "DEPLOYLIB_YES": "1"})
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
    print(describe(args.no_bytecode_cache))
    for name, runs in (("doit list (empty dodo.py)", baseline), ("doit deploy:production (no-op)", noop)):
        print(f"{name:<32} wall {spread([r[0] for r in runs])}   CPU {spread([r[1] for r in runs])}")
    for what, index in (("wall", 0), ("CPU", 1)):
        ratio = statistics.median(r[index] for r in noop) / statistics.median(r[index] for r in baseline)
        print(f"ratio ({what}) {ratio:.2f}x (target <= {TARGET_RATIO}x): {'OK' if ratio <= TARGET_RATIO else 'OVER'}")


if __name__ == "__main__":
    main()
