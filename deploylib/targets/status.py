"""What each environment serves, as its target and the ledger say: the rows of `doit status`."""

from __future__ import annotations

from deploylib.errors import TargetError
from deploylib.state.workspace import Workspace
from deploylib.targets import open_target
from deploylib.values import frozen


@frozen
class Interruption:
    """A deploy or rollback on the environment whose process died before it finished."""

    action: str  # "deploy" or "rollback"
    version: str
    digest: str  # "sha256:<64 hex>"
    validated: bool  # always False: the run died before its validation was recorded
    live: bool  # whether that release is what the environment serves now


@frozen
class EnvironmentStatus:
    """One row of `doit status` (field names are the keys of `doit status --json`). Empty strings when
    nothing is live."""

    name: str
    version: str
    digest: str  # "sha256:<64 hex>"
    commit: str  # 40 hex digits
    deployed_at: str  # ISO 8601 time of the switch that made it live, when known
    deployed_by: str
    target: str  # the target's own description, e.g. "local directory /srv/site"
    foreign: str  # what is live when deploylib did not put it there, else ""
    interrupted: tuple[Interruption, ...]
    failed_validation: bool = False  # the live release failed its validation here (marked bad): not healthy
    unreadable: str = ""  # why the target could not say what is live ("" when it did; the release fields are empty)


def environment_statuses(ws: Workspace) -> list[EnvironmentStatus]:
    """Every configured environment's row, in configuration order. Asks each target what is live (a
    network call for remote targets); a target that cannot answer (TargetError: a host that cannot be
    reached, a `live` command that fails) gives a row saying why, and the other rows are still read."""
    rows = []
    for env in ws.config.environments.values():
        target = open_target(env, ws.app)
        cut = [r for r in ws.ledger.interrupted(env.name) if r.action in ("deploy", "rollback")]
        try:
            live = target.live()
        except TargetError as err:
            rows.append(EnvironmentStatus(env.name, "", "", "", "", "", target.describe(), "",
                                          tuple(Interruption(r.action, r.version, r.digest, validated=False,
                                                             live=False) for r in cut), unreadable=str(err)))
            continue
        digest = live.digest if live else ""
        rows.append(EnvironmentStatus(env.name, live.version if live else "", digest, live.commit if live else "",
                                      live.activated_at if live else "", live.activated_by if live else "",
                                      target.describe(), live.foreign if live else "",
                                      tuple(Interruption(r.action, r.version, r.digest, validated=False,
                                                         live=r.digest == digest) for r in cut),
                                      failed_validation=bool(digest) and ws.ledger.failed(env.name, digest)))
    return rows
