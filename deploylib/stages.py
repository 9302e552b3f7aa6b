"""The release stages as functions, shared by the task graph (tasks.py) and the hotfix fast track
(fasttrack.py): gate → build → release. Each runs under the repository lock (`RunFacts.stage`, held
from the first stage to the end of the run) and reads the repository through the run's `RunFacts`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploylib.model import Artifact
    from deploylib.state.runfacts import RunFacts
    from deploylib.state.workspace import Workspace


def gate(ws: Workspace, facts: RunFacts, waived: frozenset[str] = frozenset(),
         action: str = "gate") -> tuple[str, str]:
    """Start the demo when it runs, check what the release needs (preflight), then under the lock (held as
    `action`) run the gates, `waived` left out; returns the key the pass is valid for and the HEAD it passed
    at (full sha). Raises GateFailed."""
    from deploylib.demo import start_demo
    from deploylib.gates.quality import run_gates
    from deploylib.preflight import preflight

    if ws.demo:
        start_demo(ws)
    with _told_if_stopped(facts):
        preflight(ws)
        with facts.stage(action):
            key, state = facts.gate_key(), facts.repo_state()
            run_gates(ws, key, waived, releases=facts.plan().is_release, state=state)
    return key, state.head


def build(ws: Workspace, facts: RunFacts, action: str = "build") -> tuple[Artifact, str]:
    """Build the planned version from HEAD into the artifact store and record it (the build record);
    returns the artifact and the key the build is current for."""
    from deploylib import report
    from deploylib.build.stage import run_build

    with _told_if_stopped(facts), facts.stage(action):
        plan, key = facts.plan(), facts.build_key()
        report.stage(report.OK, "version", plan.describe())
        return run_build(ws, plan, facts.repo_state()), key


def release(ws: Workspace, facts: RunFacts, artifact: Artifact | None, deploying: Sequence[str] = (),
            hotfix: bool = False, action: str = "release") -> str:
    """Tag and publish the planned release (attaching `artifact` when configured); returns its version. The
    refusals the deploys to `deploying` would meet, known before the tag, stop it first
    (pipeline.refuse_before_release)."""
    from deploylib.pipeline import refuse_before_release
    from deploylib.release import staged_edits
    from deploylib.release.stage import publish

    with _told_if_stopped(facts, artifact), facts.stage(action):
        plan = facts.plan()
        if artifact is not None:
            try:
                refuse_before_release(ws, list(deploying), artifact, hotfix=hotfix)
            except BaseException:
                staged_edits.unstage(ws)  # the version edits the build saw: a refused release leaves the tree as it was
                raise
        publish(ws, plan, artifact, facts.repo_state())
    return str(plan.version)


@contextmanager
def _told_if_stopped(facts: RunFacts, artifact: Artifact | None = None) -> Iterator[None]:
    """When the stage in the block stops (an error, a refusal, Ctrl-C), tell the run's outputs what the run
    releases before the stage's error goes on: see `tell_release`."""
    try:
        yield
    except BaseException:
        tell_release(facts, artifact)
        raise


def tell_release(facts: RunFacts, artifact: Artifact | None = None) -> None:
    """Emit events.Identified for the release the run of `facts` makes: `artifact` when one was built, else
    the planned version and its tag, planned now (read-only) when nothing planned yet; nothing when no plan
    can be read (no repository, a refused --version)."""
    from deploylib import events
    from deploylib.errors import DeployError
    from deploylib.release.plan import release_tag

    if artifact is not None:
        version, digest = artifact.version, artifact.digest
    else:
        try:
            version, digest = facts.plan().version, ""
        except DeployError:
            return
    events.emit(events.Identified(version=version, tag=release_tag(facts.ws, version), digest=digest))
