"""One whole-process publish with deploylib's GitHub Pages target, as the benchmark runs it:
    python benchmarks/_publish.py ROOT ARTIFACT_JSON
(the artifact already exists: packing it is the build stage's work, not publishing's). Prints how long
the publish itself took, without the interpreter's start."""

import sys
import time
from pathlib import Path

from deploylib.model import Artifact
from deploylib.targets.ghpages import PagesOptions, PagesTarget

root, artifact = Path(sys.argv[1]), Artifact.from_json(Path(sys.argv[2]).read_text())
target = PagesTarget(PagesOptions(remote="remote.git"), root=root, environment="production")
started = time.perf_counter()
target.activate(target.deploy(artifact), "bench")
print(f"in-process {time.perf_counter() - started:.4f}")  # the publish alone, as inside a running doit
