"""The interface every forge (GitHub built in; Gitea, GitLab or a plug-in alike) implements, and the
facts it answers with. The gates, the release and the deployment records read only these types; a
forge's wire format (GitHub's JSON) stays in its own module."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from deploylib.config.schema import option
from deploylib.errors import ForgeError as ForgeError  # re-exported: a forge plug-in raises it
from deploylib.values import frozen


@frozen(kw_only=True)
class ForgeOptions:
    """What every forge's `Options` dataclass has (subclass it; its own fields are the rest of the table)."""

    upload_artifact: bool = option(True, doc="true or false: attach the build artifact to the forge's release")

    def web_url(self) -> str:
        """The repository's web address for these options, e.g. "https://github.com/OWNER/NAME" (the changelog's
        compare links use it); "" when it has none. A forge's options override it."""
        return ""


class ReviewState(Enum):
    """A review's verdict; a later verdict of the same reviewer replaces an earlier one."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    DISMISSED = "dismissed"  # an earlier verdict withdrawn
    COMMENTED = "commented"  # no verdict (a comment, a pending review): changes nothing


@frozen
class PullRequest:
    """A pull request that brought a commit in."""

    number: int
    merged: bool  # merged into the branch (a closed or open one brought the commit in some other way)


@frozen
class Review:
    """One reviewer's latest review of a pull request."""

    author: str
    state: ReviewState


class CIState(Enum):
    PASSED = "passed"  # finished green (a neutral or skipped run counts as green)
    FAILED = "failed"  # finished red: failure, error, cancelled, timed out, …
    RUNNING = "running"  # not finished: queued, pending, in progress


@frozen
class CICheck:
    """One CI result on a commit; `kind` is what the forge calls such results, counted in the gate's message
    ("3 status(es) and 2 check run(s) green")."""

    name: str
    state: CIState
    kind: str = "check(s)"


@frozen
class Issue:
    """An issue on the forge (e.g. the one an incident opened)."""

    number: int
    title: str
    labels: tuple[str, ...]
    url: str  # its web address, linked from incidents
    opened: str  # when it was opened, ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ"


@frozen
class ReleaseAsset:
    """A file attached to a forge release."""

    name: str  # the name the forge shows, e.g. "site-1.2.0.tar"
    path: Path  # the file uploaded


@frozen
class ForgeRelease:
    """The release of one tag: its title, notes (Markdown) and assets."""

    tag: str
    name: str
    notes: str
    prerelease: bool
    commit: str  # the full sha the tag points at
    assets: tuple[ReleaseAsset, ...] = ()


class DeploymentState(Enum):
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    FAILURE = "failure"
    INACTIVE = "inactive"  # superseded: rolled back


@frozen
class Deployment:
    """A deploy of `ref` (a tag, or a commit for a build between releases) to `environment`."""

    ref: str
    environment: str
    description: str


class Forge(ABC):
    """Where the repository is hosted. `Options` is the dataclass read from [release.forge] (less `type`);
    the constructor may raise ForgeError when the forge cannot be used (a missing token). Every question
    raises ForgeError when the forge cannot answer; the gate asking it then fails, naming the error."""

    Options: ClassVar[type[ForgeOptions]] = ForgeOptions
    label: ClassVar[str] = "the forge"  # its name in messages, e.g. "GitHub"

    def __init__(self, options: Any, root: Path) -> None:
        self.options, self.root = options, root

    @classmethod
    def problem(cls, options: Any, root: Path) -> str:
        """What keeps this forge from being used, seen without the network (a missing token), as the rest of
        a sentence with its fix; "" when none. `root` is the repository (relative paths are relative to it).
        The preflight asks it before anything is written."""
        return ""

    @abstractmethod
    def publish_release(self, release: ForgeRelease) -> str:
        """Create the release of `release.tag`, or bring an existing one (a draft too) up to date; upload each
        asset, replacing one of the same name. Returns the release's web address. Called again after a
        failure, it must finish the job, not duplicate it."""

    @abstractmethod
    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        """The pull requests that brought the commit `sha` (40 hex digits) in."""

    @abstractmethod
    def reviews(self, number: int) -> list[Review]:
        """A pull request's reviews, oldest first."""

    @abstractmethod
    def commit_checks(self, sha: str) -> list[CICheck]:
        """Every CI result reported on `sha`, the latest of each."""

    @abstractmethod
    def open_issues(self, label: str) -> list[Issue]:
        """Open issues (not pull requests) carrying `label`."""

    @abstractmethod
    def issues_opened_since(self, label: str, since: str) -> list[Issue]:
        """Issues (not pull requests, open or closed) carrying `label`, opened at or after `since` (ISO 8601 UTC,
        "YYYY-MM-DDTHH:MM:SSZ")."""

    @abstractmethod
    def create_deployment(self, deployment: Deployment) -> str:
        """Record a deployment; returns its id ("" when this forge records none)."""

    @abstractmethod
    def deployment_status(self, deployment: str, state: DeploymentState, description: str) -> None:
        """Add a status to the deployment of id `deployment` (as create_deployment returned it)."""
