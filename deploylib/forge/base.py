"""The interface every forge (GitHub first; Gitea and GitLab would be siblings) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Forge(ABC):
    @abstractmethod
    def publish_release(self, tag: str, name: str, notes: str, prerelease: bool, commit: str,
                        assets: list[tuple[str, Path]]) -> str:
        """Create the release for `tag`, or bring an existing one up to date; upload each (name, file)
        asset, replacing one of the same name. Returns the release's web address."""

    @abstractmethod
    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests that brought `sha` in (merged ones first in GitHub's answer)."""

    @abstractmethod
    def reviews(self, number: int) -> list[dict[str, Any]]:
        """A pull request's reviews, oldest first."""

    @abstractmethod
    def commit_checks(self, sha: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The combined commit status and the check runs of `sha`."""

    @abstractmethod
    def open_issues(self, label: str) -> list[dict[str, Any]]:
        """Open issues (not pull requests) carrying `label`."""

    @abstractmethod
    def issues_opened_since(self, label: str, since: str) -> list[dict[str, Any]]:
        """Issues (not pull requests, open or closed) carrying `label` and created at or after `since`
        (ISO 8601, "YYYY-MM-DDTHH:MM:SSZ")."""

    @abstractmethod
    def create_deployment(self, ref: str, environment: str, description: str) -> int:
        """Record a deployment of `ref` to `environment`; returns its id."""

    @abstractmethod
    def deployment_status(self, deployment: int, state: str, description: str, url: str = "") -> None:
        """Add a status (in_progress, success, failure, inactive, …) to a deployment."""
