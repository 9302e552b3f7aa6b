"""Forges that host the repository: `[release.forge] type = "…"` (or the older `[release.github]` table)
picks a Forge class through plugins.FORGES; its token comes from the environment, as the forge says."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from deploylib.errors import ForgeError
from deploylib.plugins import FORGES as FORGES  # re-exported: config.load reads it here
from deploylib.plugins import Answer, Contained, contained, fault

if TYPE_CHECKING:
    from pathlib import Path

    from deploylib.config.load import ReleaseConfig
    from deploylib.forge.base import Forge


def forge_class(config: ReleaseConfig) -> type[Forge] | None:
    """The configured forge's class, or None when no forge is configured."""
    if config.forge is None:
        return None
    cls = FORGES.load(config.forge.type)
    assert cls is not None, "config validation admits known forge types only"
    return cls


def forge_label(config: ReleaseConfig) -> str:
    """The configured forge's name in messages ("GitHub"), or "the forge" when none is configured."""
    cls = forge_class(config)
    return cls.label if cls else "the forge"


def open_forge(config: ReleaseConfig, root: Path) -> Forge | None:
    """The configured forge client, or None; raises ForgeError when it cannot be used (a missing token), before
    anything is written. Every call on it raises only DeployErrors (see `forge_call`)."""
    cls = forge_class(config)
    if cls is None or config.forge is None:
        return None
    forge = forge_call(cls, "connect", cls, config.forge.options, root)
    return cast("Forge", Contained(forge, functools.partial(_blame, cls), _answers()))


def _answers() -> dict[str, Answer]:
    """The types Forge's questions answer with (forge/base.py), for plugins.Contained."""
    from deploylib.forge.base import CICheck, Issue, PullRequest, Review

    issues: Answer = ((list,), "a list", (Issue,))
    return {"publish_release": ((str,), "its web address (a str)", ()), "pulls_for_commit": ((list,), "a list",
                                                                                            (PullRequest,)),
            "reviews": ((list,), "a list", (Review,)), "commit_checks": ((list,), "a list", (CICheck,)),
            "open_issues": issues, "issues_opened_since": issues,
            "create_deployment": ((str,), "an id (a str)", ())}


def forge_problem(config: ReleaseConfig, root: Path) -> str:
    """What the preflight reports about the configured forge (Forge.problem), "" when usable or none is
    configured; raises ForgeError as `forge_call` does."""
    cls = forge_class(config)
    return "" if cls is None or config.forge is None else forge_call(cls, "problem", cls.problem, config.forge.options,
                                                                     root, answer=_TEXT)


def web_url(config: ReleaseConfig) -> str:
    """The repository's web address as the configured forge gives it; "" without a forge."""
    cls = forge_class(config)
    return "" if cls is None or config.forge is None else forge_call(cls, "web_url", config.forge.options.web_url,
                                                                     answer=_TEXT)


R = TypeVar("R")
_TEXT: Answer = ((str,), "a str", ())


def forge_call(cls: type[Forge], operation: str, call: Callable[..., R], *args: Any, answer: Answer | None = None) -> R:
    """`call(*args)`, an operation of the forge `cls`, through plugins.contained: an exception other than a
    DeployError, or an answer without one of `answer`'s types, becomes a ForgeError naming the forge, the
    operation and the exception, so the stage asking fails with a message (a gate, the release) or goes on
    without the forge (deployment records)."""
    return contained(functools.partial(_blame, cls), operation, call, *args, answer=answer)


def _blame(cls: type[Forge], operation: str, err: Exception) -> ForgeError:
    label = cls.label[:1].upper() + cls.label[1:]  # "GitHub", or a noun phrase: "the forge"
    return ForgeError(f"{label} ({cls.__module__}.{cls.__qualname__}) failed in {operation}: {fault(err)}. This is a "
                      "bug in that forge (it should raise ForgeError with a message); report it to its authors, or "
                      "choose another [release.forge] type.")
