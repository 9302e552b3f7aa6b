"""The one interface every deploy target implements."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Generator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from deploylib.errors import LockHeld
from deploylib.model import STATE_DIR, Artifact, Release
from deploylib.values import frozen

if TYPE_CHECKING:  # the lock module is loaded by a run that takes or reads a lock, not by one that only asks
    from deploylib.state.lock import LockHolder


@frozen
class Batch:
    """One step of a rollout: the part of the target that now serves the new release, and the
    addresses to check it on (none: the environment's url)."""

    name: str  # "" when the step is the whole target
    urls: tuple[str, ...] = ()


@frozen
class Kept:
    """What a target holds, read together: the live release and every complete release, oldest activation
    first (never-activated first of all), as `live()` and `releases()` give them."""

    live: Release | None
    releases: list[Release]

    def __post_init__(self) -> None:
        """Raises plugins.WrongAnswer when a target's `live()` or `releases()` (which the default `kept` reads
        within the target, unchecked by plugins.Contained) gave a type the interface does not give."""
        from deploylib.plugins import answered

        answered(self.live, ((Release, type(None)), "a Release or None", ()), "live()")
        answered(self.releases, ((list,), "a list", (Release,)), "releases()")


class Target(ABC):
    """Where an environment's releases live. Deploy = `deploy` then `activate`;
    rollback = `activate(previous)`. Every method either completes or leaves the live release as it was."""

    Options: ClassVar[type]

    def __init__(self, options: Any, root: Path, environment: str) -> None:
        self.options, self.root, self.environment = options, root, environment

    @abstractmethod
    def describe(self) -> str:
        """Where this target is, for messages: e.g. "local directory /srv/site"."""

    @abstractmethod
    def live(self) -> Release | None:
        """The release serving now, or None when nothing was ever activated."""

    @abstractmethod
    def releases(self) -> list[Release]:
        """Every complete release the target holds, oldest activation first (never-activated first of all)."""

    def kept(self) -> Kept:
        """`live()` and `releases()` at once, for `doit releases:<env>` and the rollback's choice. A target
        that reads both from one place (every SSH host) overrides this to read it once."""
        return Kept(self.live(), self.releases())

    @abstractmethod
    def deploy(self, artifact: Artifact) -> Release:
        """Upload, unpack and verify the artifact as a release; it is not live yet."""

    @abstractmethod
    def activate(self, release: Release, by: str, force: bool = False) -> None:
        """Make `release` the live one, atomically. A target that can find something live that deploylib did
        not put there (GitHub Pages) refuses to replace it with TargetError unless `force`."""

    @property
    def state_folder(self) -> Path:
        """deploylib's own files for this target on this machine."""
        return self.root / STATE_DIR / "targets" / self.environment

    @property
    def lock_file(self) -> Path:
        return self.state_folder / ".deploy.lock"

    def rollout(self, release: Release, by: str) -> Generator[Batch, None, None]:
        """Make `release` live step by step, yielding after each step so it can be validated before the
        next; closing the iterator early stops the rollout. One step by default; a target with several
        hosts switches them in batches. Undo a partial rollout with `activate(previous)`."""
        self.activate(release, by)
        yield Batch("")

    def parts(self) -> tuple[Batch, ...]:
        """Every part of the target that serves on its own (an SSH host), with the addresses to check it on
        (none: the environment's url), in rollout order. One unnamed part by default."""
        return (Batch(""),)

    def lock(self, holder: LockHolder, wait: float) -> AbstractContextManager[LockHolder | None]:
        """Hold the target's deploy lock for a with-block, yielding the holder of a lock left behind by a
        process that died (None normally); raise LockHeld if a live holder keeps it past `wait` seconds.
        By default an flock on this machine; a target reached over the network overrides this."""
        from deploylib.state.lock import FileLock

        return FileLock(self.lock_file).hold(holder, wait)

    def busy(self) -> LockHolder | None:
        """Who holds the deploy lock now, when that can be seen without changing anything or using the network;
        None when it is free or cannot be seen so. By default the flock's live holder on this machine; a
        target whose lock is elsewhere (on hosts) answers None."""
        from deploylib.state.lock import FileLock

        return FileLock(self.lock_file).busy()

    def unlock(self) -> LockHolder | None:
        """Break the deploy lock by force and return who held it (None: it was free). An flock cannot be
        broken, and never needs to be: it dies with its holder, so this only reports a live one."""
        holder = self.busy()
        if holder is not None:
            raise LockHeld(f"{self.describe()} is locked by {holder.describe()}, which is still running; this kind "
                           "of lock ends with its process. Wait for it, or stop that process "
                           f"(kill {holder.pid}).")
        return None

    @abstractmethod
    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        """Remove all but the newest `keep` releases, never one in `protect`; return what could not be removed."""

    def problem(self) -> str:
        """What makes this target unusable that can be seen without changing anything or using the network
        (a missing folder, program or file), as the rest of a sentence naming the target; "" when none.
        The preflight asks every target before the gate, so a run that cannot deploy writes nothing."""
        return ""

    def places(self) -> frozenset[str]:
        """Where this target's releases go live, each as a string no two environments may share (a folder's
        real path, a remote's branch, a host's folder); empty when it cannot tell (a command target's
        script may choose by DEPLOY_ENVIRONMENT). The preflight refuses two environments that share one:
        a deploy to one would replace what the other serves, without the other's confirmation."""
        return frozenset()

    @classmethod
    def url_hint(cls, options: Any) -> str:
        """How to set a missing `url` for these options, as the end of a sentence: "Add it, e.g. url = …"."""
        return 'Add it, e.g. url = "https://www.example.com".'

    @classmethod
    def serves_itself(cls, options: Any) -> bool:
        """Whether `serve` yields a URL for these options, so an environment needs no `url` (checked at load)."""
        return False

    def serve(self) -> AbstractContextManager[str | None]:
        """Serve the live release for validation and yield its base URL; None when the target cannot serve itself."""
        return contextlib.nullcontext(None)

