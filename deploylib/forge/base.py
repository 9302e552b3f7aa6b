"""The interface every forge (GitHub first; Gitea and GitLab would be siblings) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path


class Forge(ABC):
    @abstractmethod
    def publish_release(self, tag: str, name: str, notes: str, prerelease: bool, commit: str,
                        assets: list[tuple[str, Path]]) -> str:
        """Create the release for `tag`, or bring an existing one up to date; upload each (name, file)
        asset, replacing one of the same name. Returns the release's web address."""
