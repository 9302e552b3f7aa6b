"""Every failure deploylib reports to a user, with the exit code it ends the process with.

Messages are written for the person at the terminal: one paragraph that names the file, key,
host or value involved and says how to fix it. The doit layer (`tasks.py`) and the `deploylib`
command (`cli.py`) print the message on stderr and exit with the class's `exit_code`; nothing here
prints. The codes are those of the README's "Exit codes" table:

    exit 1  DeployError, GateFailed, GitError, BuildError, ArtifactError, ReleaseError (ForgeError, GitHubError),
            TargetError, StateError
    exit 3  ConfigError
    exit 4  ValidationFailed
    exit 5  Escalation
    exit 6  Aborted
    exit 7  LockHeld
    exit 130 Interrupted

Exit 2 is doit's own (an unexpected exception inside a task: a bug), never an exit_code here.
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
    """Root of every error deploylib raises on purpose. `str(err)` is the user-facing message. Exit 1
    (ExitCode.FAILED) unless a subclass says otherwise."""

    exit_code: ExitCode = ExitCode.FAILED


class ConfigError(DeployError):
    """deploy.toml (or [tool.deploylib]) is missing, malformed or inconsistent, or the command line names
    something it does not configure. Exit 3: found before any stage ran, so nothing was written."""

    exit_code = ExitCode.INVALID


class GateFailed(DeployError):
    """A pre-deployment gate did not pass. Exit 1; nothing was built or deployed."""


class GitError(DeployError):
    """A git command failed or the repository is not in the state a stage needs. Exit 1."""


class NotARepository(GitError):
    """The folder is not in a git repository's working tree (or is in a bare one), its HEAD has no commits,
    or git is not installed: nothing can be read from its history, so no stage can run (the same for every
    task and command that reads history)."""

    exit_code = ExitCode.INVALID


class PushRefused(GitError):
    """The remote answered a push by refusing it (branch protection, a hook, a branch that moved on): with an
    atomic push, nothing was pushed. Exit 1."""


class BuildError(DeployError):
    """The build command failed or produced nothing to deploy (or something no artifact can hold). Exit 1."""


class ArtifactError(DeployError):
    """An artifact is missing, corrupt, or would unpack outside its release directory. Exit 1; nothing
    was switched."""


class ReleaseError(DeployError):
    """Versioning, changelog, tagging or the forge release failed. Exit 1; a release run again resumes."""


class ForgeError(ReleaseError):
    """A forge refused or failed a request, or cannot be used (no token); the message says which and what to
    do. A forge's own errors derive from it (deploylib.forge.base re-exports it for plug-ins)."""


class TargetError(DeployError):
    """A deploy target could not be read or changed. Exit 1; the live release is as it was unless the
    message says otherwise."""


class NeedsForce(TargetError):
    """A target refused what only `--force` may do (dropping a commit deploylib did not make). Exit 1; nothing
    was changed. The pipeline adds the exact command to repeat with --force (the target cannot know it)."""


class StateError(DeployError):
    """deploylib's state folder (.deploylib/: ledger, build record, caches) cannot be read or written. Exit 1."""


class LockHeld(TargetError):
    """Another deploy holds the target's lock, or another run the repository's. Exit 7; the message names
    the holder (user, host, pid, since)."""

    exit_code = ExitCode.LOCKED


class Aborted(DeployError):
    """The user declined (or could not be asked: no terminal) to confirm a production change. Exit 6."""

    exit_code = ExitCode.ABORTED


class Interrupted(DeployError):
    """The run was interrupted (Ctrl-C, SIGTERM) after the previous release was put back. Exit 130
    (128 + SIGINT, the shell's convention)."""

    exit_code = ExitCode.INTERRUPTED


class ValidationFailed(DeployError):
    """A release failed its checks; the message says what is serving now. Exit 4. After a deploy, the
    previous release was restored and passes its checks (or, with rollback = false, the failing one
    stays live, as the message says); for a check of the live release alone, nothing was changed."""

    exit_code = ExitCode.VALIDATION_FAILED


class Escalation(DeployError):
    """Validation failed and automatic recovery did not restore a healthy release. Exit 5: act by hand,
    as the message says."""

    exit_code = ExitCode.ESCALATED

    @classmethod
    def act_by_hand(cls, env: str, situation: str, incident: str = "") -> Escalation:
        """The one escalation message: what happened on environment `env` (`situation`, a sentence
        without its full stop, saying what serves now), the one way out by hand, and the incident
        report's path when there is one."""
        return cls(f"ESCALATION: {situation}. Act by hand now: pick a release that works (doit releases:{env} "
                   f"lists them) and run doit rollback --env {env} --to VERSION, or deploy a fix."
                   + (f" Incident report: {incident}" if incident else ""))
