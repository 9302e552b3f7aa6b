"""Every failure deploylib reports to a user, with the exit code it ends the process with.

Messages are written for the person at the terminal: one paragraph that names the file, key,
host or value involved and says how to fix it. The doit layer (`tasks.py`) prints the message
and exits with `exit_code`; nothing here prints.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes. 0-3 are doit's own; deploylib's start at 1 for a plain failed stage."""

    OK = 0
    FAILED = 1  # a stage failed (gate, build, release, deploy refused); nothing live changed
    DOIT_ERROR = 2  # doit: an unexpected error inside a task (a bug: please report it)
    INVALID = 3  # bad configuration or command line, found before any stage ran
    VALIDATION_FAILED = 4  # checks failed; after a deploy, the previous release was restored and passes
    ESCALATED = 5  # validation failed and the rollback failed too: act by hand (see the message)
    ABORTED = 6  # production deploy not confirmed
    LOCKED = 7  # another deploy holds the environment's lock
    INTERRUPTED = 130  # Ctrl-C or SIGTERM; a deploy in progress put the previous release back first


class DeployError(Exception):
    """Root of every error deploylib raises on purpose. `str(err)` is the user-facing message."""

    exit_code: ExitCode = ExitCode.FAILED


class ConfigError(DeployError):
    """deploy.toml (or [tool.deploylib]) is missing, malformed or inconsistent."""

    exit_code = ExitCode.INVALID


class GateFailed(DeployError):
    """A pre-deployment gate did not pass."""


class GitError(DeployError):
    """A git command failed or the repository is not in the state a stage needs."""


class BuildError(DeployError):
    """The build command failed or produced nothing to deploy."""


class ArtifactError(DeployError):
    """An artifact is missing, corrupt, or would unpack outside its release directory."""


class ReleaseError(DeployError):
    """Versioning, changelog or tagging failed."""


class TargetError(DeployError):
    """A deploy target could not be read or changed."""


class StateError(DeployError):
    """deploylib's state folder (.deploylib/: ledger, build record, caches) cannot be read or written."""


class LockHeld(TargetError):
    """Another deploy holds the target's lock."""

    exit_code = ExitCode.LOCKED


class Aborted(DeployError):
    """The user declined (or could not be asked) to confirm a production change."""

    exit_code = ExitCode.ABORTED


class Interrupted(DeployError):
    """The run was interrupted (Ctrl-C, SIGTERM) after the previous release was put back."""

    exit_code = ExitCode.INTERRUPTED


class ValidationFailed(DeployError):
    """A release failed its checks; the message says what is serving now."""

    exit_code = ExitCode.VALIDATION_FAILED


class Escalation(DeployError):
    """Validation failed and automatic recovery did not restore a healthy release."""

    exit_code = ExitCode.ESCALATED
