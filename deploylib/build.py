"""The build stage: run the configured command, pack its output into a reproducible artifact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from deploylib import report
from deploylib.artifact import pack
from deploylib.errors import ArtifactError, BuildError
from deploylib.model import Artifact, short_digest
from deploylib.runner import run_shell
from deploylib.versioning.bump import VersionPlan
from deploylib.workspace import Workspace


def build_key(ws: Workspace, fingerprint: str, version: str) -> str:
    """What decides whether a build is still current: sources, version, and build settings."""
    settings = json.dumps({"command": ws.config.build.command, "output": ws.config.build.output,
                           "env": ws.config.build.env}, sort_keys=True)
    return hashlib.sha256(f"{fingerprint}\0{version}\0{settings}".encode()).hexdigest()


def run_build(ws: Workspace, plan: VersionPlan, commit: str) -> Artifact:
    """Build `plan.version` from the working tree and record the artifact in the build record."""
    cfg = ws.config.build
    if not cfg.command:
        raise BuildError(f'{ws.config.path.name}: [build] command is missing. Add the command that builds the site, '
                         'e.g. [build] command = "npm run build".')
    env = {**cfg.env, "DEPLOY_VERSION": plan.version, "DEPLOY_COMMIT": commit}
    report.stage("…", "build", f"running {cfg.command} for {plan.version}")
    result = run_shell(cfg.command, ws.app, report.command_line, env)
    if not result.ok:
        raise BuildError(f"The build failed: {result.explain()} in {ws.app}. Nothing was released or deployed; "
                         "fix the build and run the command again.")
    output = ws.app / cfg.output
    if not output.is_dir() or not any(output.iterdir()):
        raise BuildError(f"The build command succeeded but wrote nothing to {output} ([build] output = "
                         f'"{cfg.output}"). Point output at the folder the build writes.')
    artifact = pack(output, ws.artifacts, plan.version, commit)
    write_record(ws.build_record, artifact)
    report.stage(report.OK, "build", f"{plan.version} in {result.seconds:.2f} s → artifact "
                                     f"{short_digest(artifact.digest)} ({artifact.tar.stat().st_size // 1024} KiB)")
    return artifact


def write_record(path: Path, artifact: Artifact) -> None:
    """Rewrite the build record only when it changes, so stages that depend on it stay up to date."""
    text = artifact.to_json()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def read_record(ws: Workspace) -> Artifact:
    try:
        return Artifact.from_json(ws.build_record.read_text())
    except FileNotFoundError:
        raise ArtifactError("There is no build yet: run doit build (or doit deploy:ENV, which builds first).") from None
    except (ValueError, KeyError) as err:
        raise ArtifactError(f"The build record {ws.build_record} is unreadable ({err}); rebuild with "
                            "doit forget build && doit build.") from None
