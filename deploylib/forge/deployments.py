"""Deployments recorded on the forge: each deploy with its statuses (in_progress, then success or
failure, and inactive once rolled back), so environments show there (GitHub Deployments). Recording
is best-effort: a forge that cannot be reached is reported, and the deploy goes on."""

from __future__ import annotations

from deploylib import report
from deploylib.errors import DeployError
from deploylib.forge import open_forge
from deploylib.forge.base import Deployment, DeploymentState, Forge
from deploylib.state.workspace import Workspace


class DeploymentRecord:
    """One deployment of `ref` to `environment`; a no-op when no forge is configured or it records none."""

    def __init__(self, ws: Workspace, environment: str, ref: str, description: str) -> None:
        self.forge: Forge | None = None
        self.id = ""
        forge = ws.config.release.forge
        self.kind = forge.type if forge else ""
        if forge is None:
            return
        try:
            self.forge = open_forge(ws.config.release, ws.app)
            assert self.forge is not None
            self.id = self.forge.create_deployment(Deployment(ref, environment, description))
        except DeployError as err:
            self._give_up(err)

    def status(self, state: DeploymentState, description: str) -> None:
        if self.forge is None or not self.id:
            return
        try:
            self.forge.deployment_status(self.id, state, description)
        except DeployError as err:
            self._give_up(err)

    def _give_up(self, err: DeployError) -> None:
        report.stage(report.WARN, f"{self.kind} deployment", f"not recorded: {err} (the deploy goes on)")
        self.forge = None


class DeploymentStatuses:
    """Forge deployments' subscriber to the event stream: a deploy creates a deployment (in_progress), its
    end sets success or failure, and a rollback after it marks it inactive."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.record: DeploymentRecord | None = None

    def __call__(self, event: object) -> None:
        from deploylib import events
        from deploylib.model import LedgerAction, LedgerStatus, Outcome, short_digest

        match event:
            case events.ActionStarted(action=LedgerAction.DEPLOY):
                from deploylib.release.plan import tag_name

                release_id = f"{event.version}-{short_digest(event.digest)}"
                ref = event.commit if "+" in event.version else tag_name(self.ws, event.version)
                hotfix = "hotfix " if event.details.get("hotfix") else ""
                self.record = DeploymentRecord(self.ws, event.environment, ref, f"{hotfix}{release_id}")
                self.record.status(DeploymentState.IN_PROGRESS, f"deploying {release_id}")
            case events.ActionFinished(started=events.ActionStarted(action=LedgerAction.DEPLOY) as started,
                                       status=status, details=details) if self.record is not None:
                release_id = f"{started.version}-{short_digest(started.digest)}"
                if status == LedgerStatus.SUCCEEDED:
                    self.record.status(DeploymentState.SUCCESS, f"{release_id} is live and validated")
                elif status in (LedgerStatus.FAILED, LedgerStatus.ROLLED_BACK):
                    why = details.get("error") or "; ".join(details.get("reasons") or [])
                    self.record.status(DeploymentState.FAILURE, why)
            case events.Finished(command="deploy", outcome=Outcome.ROLLED_BACK, notify_about=restored) \
                    if self.record is not None and restored is not None:
                self.record.status(DeploymentState.INACTIVE, f"rolled back to {restored.id}")
