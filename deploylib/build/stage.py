"""The build stage: run the configured command, pack its output into a reproducible artifact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from deploylib import jsontext, report
from deploylib.build.artifact import pack, scan_output
from deploylib.build.place import BuildPlace, collect, finish, prepare
from deploylib.build.record import write_record
from deploylib.errors import BuildError, StateError
from deploylib.git import RepoState
from deploylib.model import FAIL, PASS, Artifact, GateResult, short_digest
from deploylib.release.versioning.bump import VersionPlan
from deploylib.runner import run_shell
from deploylib.sizes import format_size
from deploylib.state.workspace import Workspace

T = TypeVar("T")


def run_build(ws: Workspace, plan: VersionPlan, state: RepoState) -> Artifact:
    """Build `plan.version` from the working tree at `state` (the repository as read just before: HEAD
    is the artifact's commit) and record the artifact in the build record. A release's version files and
    changelog are written first (deploylib.release.stage.versioned_tree), so the build sees the version it
    is tagged with; if the build or a build gate fails they are put back as they were."""
    cfg = ws.config.build
    if not cfg.command:
        raise BuildError(f'{ws.config.path.name}: [build] command is missing. Add the command that builds the site, '
                         'e.g. [build] command = "npm run build".')
    from deploylib.release.stage import versioned_tree

    commit = state.head
    output = ws.app / cfg.output
    if ws.state.resolve().is_relative_to(output.resolve()):
        raise BuildError(f'{ws.config.path.name}: [build] output = "{cfg.output}" is {output.resolve()}, which holds '
                         f"deploylib's state folder {ws.state}: the artifact would pack deploylib's own files. Point "
                         'output at the folder the build writes, e.g. "dist".')
    place = _prepare(ws, output)
    env = {**cfg.env, "DEPLOY_VERSION": plan.version, "DEPLOY_COMMIT": commit, "DEPLOY_OUTPUT": str(place.private)}
    moved_in = False
    try:
        with versioned_tree(ws, plan, state):  # the build reads the version it is tagged with; undone if it fails
            report.stage("…", "build", f"running {cfg.command} for {plan.version}")
            result = run_shell(cfg.command, ws.app, report.command_line, env)
            if not result.ok:
                raise BuildError(f"The build failed: {result.explain()} in {ws.app}. Nothing was released or "
                                 "deployed; fix the build and run the command again.")
            packed, moved_in = _state_io(ws, lambda: collect(place))
            if packed is None:
                raise BuildError(f"The build command succeeded but wrote nothing to {output} ([build] output = "
                                 f'"{cfg.output}") nor to $DEPLOY_OUTPUT. Point output at the folder the build '
                                 'writes, or have the build write to "$DEPLOY_OUTPUT".')
            try:
                build_gates(ws, packed, list(result.output))
                artifact = _state_io(ws, lambda: pack(packed, ws.artifacts, plan.version, commit))
            except BuildError as err:  # named where the user finds the file: the configured output
                shown = str(output) if moved_in or place.copied else "$DEPLOY_OUTPUT"
                raise BuildError(str(err).replace(str(packed), shown)) from None
    finally:
        _state_io(ws, lambda: finish(place, moved_in))
    write_record(ws.build_record, artifact)
    report.stage(report.OK, "build", f"{plan.version} in {result.seconds:.2f} s → artifact "
                                     f"{short_digest(artifact.digest)} ({format_size(artifact.tar.stat().st_size)})")
    return artifact


def _prepare(ws: Workspace, output: Path) -> BuildPlace:
    try:
        return prepare(ws.state, ws.app, output)
    except OSError as err:
        raise StateError(f"Cannot make the build's private folder in {ws.state}: {err.strerror}. Nothing was "
                         "built, released or deployed; make the state folder writable (and give its disk free "
                         "space), then run the command again.") from None


def _state_io(ws: Workspace, step: Callable[[], T]) -> T:
    """A step writing in the state folder; its OSError as the state folder's fault."""
    try:
        return step()
    except OSError as err:
        raise StateError(f"Cannot write the build into {ws.state}: {err.strerror}. Nothing was released or "
                         "deployed; give the state folder's disk free space (or make it writable) and run the "
                         "command again.") from None


def build_gates(ws: Workspace, output: Path, lines: list[str]) -> None:
    """The configured build gates, each reported; any failure fails the build before anything is packed."""
    from deploylib.build.gates import budget_results, missing_source_maps, unminified, warning_lines

    cfg = ws.config.build
    if not (cfg.fail_on_warnings or cfg.require_source_maps or cfg.require_minified or cfg.budgets
            or cfg.lighthouse.scores):
        return
    # the artifact's own scan: a link or special file is refused before anything is read
    files = {rel: Path(path).read_bytes() for rel, path, is_dir in scan_output(output) if not is_dir}
    results = []
    if cfg.fail_on_warnings:
        found = warning_lines(lines, cfg.warning_patterns)
        results.append(GateResult("warnings", FAIL, f"{len(found)} warning line(s): " + " | ".join(found[:3]))
                       if found else GateResult("warnings", PASS, "no warning in the build output"))
    if cfg.require_source_maps:
        missing = missing_source_maps(files)
        results.append(GateResult("source maps", FAIL, "no source map for " + ", ".join(missing[:5])) if missing
                       else GateResult("source maps", PASS, "every .js and .css file has one"))
    if cfg.require_minified:
        loose = unminified(files)
        results.append(GateResult("minified", FAIL, "look unminified: " + ", ".join(loose[:5])) if loose
                       else GateResult("minified", PASS, "every .js and .css file looks minified"))
    results += budget_results(files, cfg.budgets)
    if cfg.lighthouse.scores:
        results += lighthouse(ws, output)
    for gate in results:
        report.stage(report.OK if gate.outcome == PASS else report.FAIL, f"build {gate.name}", gate.detail)
    failed = [gate for gate in results if gate.outcome == FAIL]
    if failed:
        raise BuildError("Build gate failed: " + "; ".join(f"{g.name}: {g.detail}" for g in failed) +
                         f" (in {output}). Nothing was released or deployed.")


def lighthouse(ws: Workspace, output: Path) -> list[GateResult]:
    """Serve the build on 127.0.0.1 and run the real Lighthouse CLI on each page with headless Chromium."""
    import os
    import shlex
    import shutil
    import tempfile

    from deploylib.build.gates import judge_lighthouse
    from deploylib.targets.serve import static_server

    cfg = ws.config.build.lighthouse
    chrome = cfg.chrome_path or os.environ.get("CHROME_PATH") or next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), "")
    if not chrome:
        raise BuildError("[build.lighthouse] needs Chromium or Chrome, and none was found: install chromium, or set "
                         "chrome_path (or $CHROME_PATH) to the browser.")
    flags = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
             "--disable-sync --no-first-run")
    results = []
    with static_server(output, 0, "the build for Lighthouse") as url, tempfile.TemporaryDirectory() as scratch:
        for page in cfg.pages:
            report_path = Path(scratch) / "report.json"
            command = (f"{cfg.command} {shlex.quote(url + page)} --chrome-path={shlex.quote(chrome)} "
                       f"--chrome-flags={shlex.quote(flags)} --only-categories={','.join(cfg.scores)} "
                       f"--output=json --output-path={shlex.quote(str(report_path))} --quiet")
            ran = run_shell(command, ws.app, lambda line: None, {"CHROME_PATH": chrome})
            if not ran.ok:
                raise BuildError(f"Lighthouse could not audit {page}: {ran.explain()}. Is the CLI installed (npm "
                                 f"install -g lighthouse), or [build.lighthouse] command right? Last output: "
                                 f"{ran.tail[-300:]}")
            try:
                audit = jsontext.loads(report_path.read_bytes())
            except (OSError, ValueError) as err:
                raise BuildError(f"Lighthouse ran for {page} ({cfg.command}) but left no report deploylib can read "
                                 f"({getattr(err, 'strerror', None) or err}). Is [build.lighthouse] command the "
                                 "Lighthouse CLI? Nothing was released.") from None
            results.append(judge_lighthouse(page, audit, cfg.scores))
    return results
