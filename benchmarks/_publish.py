"""One whole-process publish with deploylib's GitHub Pages target, as the benchmark runs it:
    python benchmarks/_publish.py ROOT ARTIFACT_JSON
(the artifact already exists: packing it is the build stage's work, not publishing's)."""

import sys
from pathlib import Path

from deploylib.model import Artifact
from deploylib.targets.ghpages import PagesOptions, PagesTarget

root, artifact = Path(sys.argv[1]), Artifact.from_json(Path(sys.argv[2]).read_text())
target = PagesTarget(PagesOptions(remote="remote.git"), root=root, environment="production")
target.activate(target.deploy(artifact), "bench")
