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
