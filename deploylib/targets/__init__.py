"""Deploy targets: `type = "…"` in an environment's target table maps to one class here.

Adding a target type means adding a module with a `Target` subclass (and its `Options`
dataclass) and one line in plugins.TARGETS, or installing a plug-in (see plugins.py); the pipeline
never asks which type it holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from deploylib.errors import TargetError
from deploylib.plugins import TARGETS as TARGETS  # re-exported: config.load reads it here
from deploylib.plugins import Contained, contained
from deploylib.targets.base import Target

if TYPE_CHECKING:
    from deploylib.config.load import EnvironmentConfig
    from deploylib.config.schema import Variant
    from deploylib.model import Artifact
    from deploylib.state.workspace import Workspace


def _target_class(kind: str) -> type[Target]:
    cls = TARGETS.load(kind)
    assert cls is not None, "config validation admits known target types only"
    return cls


def serves_itself(target: Variant) -> bool:
    """Can an environment with this target be validated without a `url` (the target serves its live release)?"""
    return _target_class(target.type).serves_itself(target.options)


def url_hint(target: Variant) -> str:
    """How to set a missing `url` for this target, in its own words (Pages: its github.io address)."""
    return _target_class(target.type).url_hint(target.options)


def open_target(env: EnvironmentConfig, root: Path) -> Target:
    """The target an environment deploys to; relative paths in its options are relative to `root`. Its methods
    raise only DeployErrors: any other exception (a bug in the target, built in or a plug-in, or a fault it
    does not describe) is a TargetError naming the target type, the operation and the exception
    (plugins.contained); a deploy cut short so has the release live before put back first, as for any error."""
    kind = env.target.type

    def blame(operation: str, err: Exception) -> TargetError:
        return TargetError(f"The {kind} target of {env.name} failed in {operation}: it raised {type(err).__name__}: "
                           f"{err}. The target did not say what went wrong (a bug in it, or a fault of this machine "
                           "it does not describe); fix the cause or report it to the target's authors, then run "
                           "again.")

    target = contained(blame, "open", _target_class(kind), env.target.options, root, env.name)
    return cast(Target, Contained(target, blame))


def serves_build(ws: Workspace, env_name: str, build: Artifact) -> bool:
    """Whether `env_name` serves `build` and no run was killed on it (the deploy action completes such a
    run first, so the environment is then never up to date): the deploy tasks' uptodate rule."""
    live = open_target(ws.config.environment(env_name), ws.app).live()
    return live is not None and live.digest == build.digest and not ws.ledger.interrupted(env_name)
