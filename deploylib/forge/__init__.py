"""Forges that host releases. Which one, and its token, come from [release.<forge>] and the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from deploylib.errors import ReleaseError

if TYPE_CHECKING:
    from deploylib.config.load import ReleaseConfig
    from deploylib.forge.base import Forge

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")


def open_forge(config: ReleaseConfig) -> Forge | None:
    """The configured forge client, or None; a missing token is an error before anything is written."""
    github = config.github
    if not github.repository:
        return None
    token = next((os.environ[name] for name in TOKEN_VARIABLES if os.environ.get(name)), "")
    if not token:
        raise ReleaseError(f"[release.github] repository = \"{github.repository}\" is configured, but neither "
                           "GITHUB_TOKEN nor GH_TOKEN is set. Export a token that may write releases (contents: "
                           "write); nothing was written.")
    from deploylib.forge.github import GitHub

    return GitHub(github.api_url, github.repository, token)
