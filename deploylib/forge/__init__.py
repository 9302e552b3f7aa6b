"""Forges that host the repository: `[release.forge] type = "…"` (or the older `[release.github]` table)
picks a Forge class through the registry; its token comes from the environment, as the forge says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploylib.plugins import Registry

if TYPE_CHECKING:
    from pathlib import Path

    from deploylib.config.load import ReleaseConfig
    from deploylib.forge.base import Forge

FORGES: Registry[Forge] = Registry("deploylib.forges", "deploylib.forge.base:Forge",
                                   {"github": "deploylib.forge.github:GitHub"})



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
    anything is written."""
    cls = forge_class(config)
    return None if cls is None or config.forge is None else cls(config.forge.options, root)


def web_url(config: ReleaseConfig) -> str:
    """The repository's web address as the configured forge gives it; "" without a forge."""
    cls = forge_class(config)
    return "" if cls is None or config.forge is None else cls.web_url(config.forge.options)
