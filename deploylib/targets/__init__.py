"""Deploy targets: `type = "…"` in an environment's target table maps to one class here.

Adding a target type means adding a module with a `Target` subclass (and its `Options`
dataclass) and one line in plugins.TARGETS, or installing a plug-in (see plugins.py); the pipeline
never asks which type it holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from deploylib.errors import TargetError
from deploylib.plugins import TARGETS as TARGETS  # re-exported: config.load reads it here
from deploylib.plugins import Answer, Contained, contained, fault
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
    """Can an environment with this target be validated without a `url` (the target serves its live release)?
    Raises ConfigError (exit 3) naming the target's class when its answer is an exception or not a bool."""
    answer: bool = _asked(target, "serves_itself", ((bool,), "true or false (a bool)", ()))
    return answer


def url_hint(target: Variant) -> str:
    """How to set a missing `url` for this target, in its own words (Pages: its github.io address). Raises
    ConfigError (exit 3) naming the target's class when its answer is an exception or not a str."""
    hint: str = _asked(target, "url_hint", ((str,), "a str", ()))
    return hint


def _asked(target: Variant, operation: str, answer: Answer) -> Any:
    """The answer of the target class's classmethod `operation` for these options, asked while the configuration
    is read: an exception or a wrong answer (a bug in the target) is a ConfigError naming it."""
    from deploylib.errors import ConfigError

    cls = _target_class(target.type)

    def blame(operation: str, err: Exception) -> ConfigError:
        return ConfigError(f"The {target.type} target ({cls.__module__}.{cls.__qualname__}) failed in {operation}, "
                           f"asked while the configuration was read: {fault(err)}. This is a bug in that target; "
                           "report it to its authors, or choose another type.")

    return contained(blame, operation, getattr(cls, operation), target.options, answer=answer)


def open_target(env: EnvironmentConfig, root: Path) -> Target:
    """The target an environment deploys to; relative paths in its options are relative to `root`. Its methods
    raise only DeployErrors: any other exception (a bug in the target, built in or a plug-in, or a fault it
    does not describe) is a TargetError naming the target type, the operation and the exception
    (plugins.contained), and so is an answer of a type its interface does not give (`_answers`); a deploy cut
    short so has the release live before put back first, as for any error."""
    kind = env.target.type

    def blame(operation: str, err: Exception) -> TargetError:
        return TargetError(f"The {kind} target of {env.name} failed in {operation}: {fault(err)}. The target did not "
                           "say what went wrong (a bug in it, or a fault of this machine it does not describe); fix "
                           "the cause or report it to the target's authors, then run again.")

    target = contained(blame, "open", _target_class(kind), env.target.options, root, env.name)
    return cast(Target, Contained(target, blame, _answers()))


def serves_build(ws: Workspace, env_name: str, build: Artifact) -> bool:
    """Whether `env_name` serves `build` and no run was killed on it (the deploy action completes such a
    run first, so the environment is then never up to date): the deploy tasks' uptodate rule."""
    live = open_target(ws.config.environment(env_name), ws.app).live()
    return live is not None and live.digest == build.digest and not ws.ledger.interrupted(env_name)


def _answers() -> dict[str, Answer]:
    """The types Target's methods answer with (targets/base.py), for plugins.Contained."""
    from collections.abc import Generator
    from contextlib import AbstractContextManager

    from deploylib.model import Release
    from deploylib.state.lock import LockHolder
    from deploylib.targets.base import Batch, Kept

    def one(types: tuple[type, ...], due: str, items: tuple[type, ...] = ()) -> Answer:
        return types, due, items

    text, holder = one((str,), "a str"), one((LockHolder, type(None)), "a LockHolder or None")
    return {"describe": text, "problem": text, "places": one((frozenset,), "a frozenset", (str,)),
            "live": one((Release, type(None)), "a Release or None"),
            "releases": one((list,), "a list", (Release,)), "kept": one((Kept,), "a Kept"),
            "deploy": one((Release,), "a Release"), "cleanup": one((list,), "a list", (str,)),
            "parts": one((tuple,), "a tuple", (Batch,)), "busy": holder, "unlock": holder,
            "lock": one((AbstractContextManager,), "a context manager"), "lock value": holder,
            "serve": one((AbstractContextManager,), "a context manager"),
            "serve value": one((str, type(None)), "a base URL (str) or None"),
            "rollout": one((Generator,), "a generator of Batch"), "rollout step": one((Batch,), "a Batch")}
