"""The two shortcuts that still never skip what matters: promotion (the artifact validated on staging,
to production, no rebuild) and the hotfix fast track (a patch release with the configured gates
waived; tests and validation always run). Both end in the same deploy as every other path."""

from __future__ import annotations

from deploylib import events, pipeline, report
from deploylib.build.artifact import stored
from deploylib.errors import DeployError, GateFailed
from deploylib.model import short_digest
from deploylib.release.plan import release_tag
from deploylib.state.workspace import Workspace
from deploylib.targets import open_target


def promote(ws: Workspace, env_name: str, assume_yes: bool, confirmed: str = "") -> None:
    """Deploy to `env_name` exactly the artifact live and validated on the staging environment (`confirmed`:
    see confirmation.confirm)."""
    env = ws.config.environment(env_name)
    events.emit(events.Identified(env.name, url=env.url))
    staging_name = ws.config.deploy.staging
    if staging_name not in ws.config.environments or staging_name == env.name:
        raise DeployError(f'Promotion takes the artifact validated on the staging environment ([deploy] staging = '
                          f'"{staging_name}"), which must be another configured environment than {env.name}.')
    staging = ws.config.environment(staging_name)
    live = open_target(staging, ws.app).live()
    if live is None:
        raise DeployError(f"Nothing is live on {staging.name}, so there is nothing to promote. Deploy there first: "
                          f"doit deploy:{staging.name}.")
    events.emit(events.Identified(version=live.version, tag=release_tag(ws, live.version), digest=live.digest))
    if not ws.ledger.validated(staging.name, live.digest):
        raise GateFailed(f"{live.id}, live on {staging.name}, has not passed validation there; it cannot be "
                         f"promoted. Validate it (doit validate:{staging.name}) or deploy a release that passes.")
    artifact = stored(ws.artifacts, live.digest, live.version, live.commit)
    if not artifact.tar.exists():
        raise DeployError(f"The artifact {short_digest(live.digest)} live on {staging.name} is not in this machine's "
                          f"artifact store ({ws.artifacts}); promote from where it was built.")
    current = open_target(env, ws.app).live()
    if current is not None and current.digest == live.digest:
        report.stage(report.OK, f"promote:{env.name}", f"{live.id} is already live on {env.name}")
        return
    report.stage(report.OK, f"promote:{env.name}", f"{live.id} from {staging.name} (validated there; no rebuild)")
    pipeline.deploy(ws, env.name, artifact, assume_yes, rerun=pipeline.command_line("promote", env.name),
                    confirmed=confirmed)


def hotfix(ws: Workspace, env_name: str, assume_yes: bool, confirmed: str = "") -> None:
    """The task graph's stages for a patch release, with the configured gates waived (gate → build →
    release), then the deploy to `env_name`, marked as a hotfix (`confirmed`: see confirmation.confirm)."""
    from deploylib import stages
    from deploylib.release.versioning.options import PlanOptions
    from deploylib.state.runfacts import RunFacts

    env = ws.config.environment(env_name)
    events.emit(events.Identified(env.name, url=env.url))
    waived = frozenset(ws.config.gate.hotfix_waives)
    report.stage(report.WARN, "hotfix", f"fast track to {env_name}: waiving {', '.join(sorted(waived)) or 'nothing'}"
                                        "; tests and validation still run")
    facts = RunFacts(ws, PlanOptions(hotfix=True))
    stages.gate(ws, facts, waived, action="hotfix")  # the repository lock is held from here until the deploy ends
    plan = facts.plan()
    if not plan.is_release:
        raise DeployError(f"There is nothing to hotfix: no commit since the last release ({plan.version}).")
    artifact, _ = stages.build(ws, facts, action="hotfix")
    stages.release(ws, facts, artifact, deploying=[env_name], hotfix=True, action="hotfix")
    pipeline.deploy(ws, env_name, artifact, assume_yes, hotfix=True,
                    rerun=pipeline.command_line("hotfix", env_name), confirmed=confirmed)
