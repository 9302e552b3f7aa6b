"""One whole-process publish with deploylib's GitHub Pages target, as `doit deploy` drives the target:
    python benchmarks/_publish.py ROOT ARTIFACT_JSON
under the target's deploy lock: what is live, deploy (the commit), activate (the push), cleanup. The
artifact already exists (packing it is the build stage's work, whatever the target); gates, the ledger
and the checks are not part of publishing and are left out. Prints how long the publish itself took,
without the interpreter's start and imports."""

import sys
import time
from pathlib import Path

from deploylib.model import Artifact
from deploylib.state.lock import LockHolder
from deploylib.targets.ghpages import PagesOptions, PagesTarget

root, artifact = Path(sys.argv[1]), Artifact.from_json(Path(sys.argv[2]).read_text())
target = PagesTarget(PagesOptions(remote="remote.git"), root=root, environment="production")
started = time.perf_counter()
with target.lock(LockHolder.me("deploy", artifact.version), 0):
    previous = target.live()
    release = target.deploy(artifact)
    target.activate(release, "bench")
    target.cleanup(keep=5, protect={release.id, *([previous.id] if previous else [])})
print(f"in-process {time.perf_counter() - started:.4f}")  # the publish alone, as inside a running doit
