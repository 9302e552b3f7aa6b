"""The facts one run reads about the repository, each read once and shared by the doit uptodate checks
and the stages: the repository's state and its tags (one `git status` and one `git for-each-ref`, run side by
side), the version plan and the source fingerprint.

When a fact is read again (and why):
- when the run first takes the repository lock (`RunFacts.stage`): another run may have released or
  rebuilt meanwhile, so everything read before the lock is dropped;
- after every stage (`RunFacts.stage` again): a stage runs the user's commands (tests, build) or writes
  the tree (staged version edits, the release commit), so the repository state is read again when next
  asked. The plan and the fingerprint are kept while HEAD stays where it was: they are functions of HEAD
  and of the tags, and only a run holding the lock writes tags.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from deploylib.git import RepoState, state_and_tags
from deploylib.release.versioning.options import PlanOptions

if TYPE_CHECKING:
    from deploylib.release.versioning.bump import VersionPlan
    from deploylib.state.repolock import RepoLock
    from deploylib.state.runkeys import Planned
    from deploylib.state.workspace import Workspace


class RunFacts:
    """The repository facts of one run for `ws`, planned with `options` (e.g. `--prerelease rc`)."""

    def __init__(self, ws: Workspace, options: PlanOptions = PlanOptions()) -> None:
        self.ws, self.options = ws, options
        self._lock: RepoLock | None = None
        self._state: RepoState | None = None
        self._tags: list[tuple[str, str, str]] = []  # read with the state (git.state_and_tags)
        self._head = ""  # the HEAD the plan and the fingerprint below were read at
        self._plan: VersionPlan | None = None
        self._planned: Planned | None = None
        self._fingerprint: str | None = None

    def repo_state(self) -> RepoState:
        """Branch, HEAD, upstream distance and uncommitted changes; raises GitError (exit 3) outside a
        repository with commits."""
        if self._state is None:
            self._state, self._tags = state_and_tags(self.ws.app)
            if self._state.head != self._head:
                self._head, self._plan, self._planned, self._fingerprint = self._state.head, None, None, None
        return self._state

    def plan(self) -> VersionPlan:
        """The version this run releases at HEAD (deploylib.release.plan.plan_release)."""
        head = self.repo_state().head
        if self._plan is None:
            from deploylib.release.plan import plan_release

            self._plan = plan_release(self.ws, head, self.options)
        return self._plan

    def fingerprint(self) -> str:
        """A digest of HEAD's tracked sources, less what a release commit writes (the changelog, the version
        in version files; 64 hex digits): remembered by HEAD's commit, which names the tree it is computed
        from, and the [release] changelog and version_files."""
        head = self.repo_state().head
        if self._fingerprint is None:
            from deploylib.git import source_fingerprint
            from deploylib.release.version_files import fingerprint_rules
            from deploylib.state import runkeys

            release = self.ws.config.release
            key = runkeys.fingerprint_key(head, [release.changelog, *release.version_files])
            found = runkeys.remembered_fingerprint(self.ws.state, key)
            if found is None:
                found = source_fingerprint(self.ws.app, *fingerprint_rules(release))
                runkeys.remember_fingerprint(self.ws.state, key, found)
            self._fingerprint = found
        return self._fingerprint

    def head_released(self) -> bool:
        """Whether HEAD carries a tag in [release] tag_format: a release commit (its release pushed it along,
        with push = true), read from the tags this run read with the state."""
        import re

        head = self.repo_state().head
        prefix, _, suffix = self.ws.config.release.tag_format.partition("{version}")
        release = re.compile(re.escape(prefix) + r"\d+\.\d+\.\d+\S*" + re.escape(suffix))
        return any(commit == head and release.fullmatch(name) for name, commit, _ in self._tags)

    def gate_key(self) -> str:
        """What a gate pass is valid for (deploylib.gates.quality.tests_key)."""
        from deploylib.gates.quality import tests_key

        return tests_key(self.ws, self.fingerprint())

    def planned(self) -> Planned:
        """The plan's outcome (version, release or not, commits since the last release) as the uptodate
        checks need it: remembered in the state folder by HEAD, a shallow clone's boundary, the tags, the
        release settings and the options (deploylib.state.runkeys), so a run with none of them changed
        reads no history."""
        from deploylib.state import runkeys

        state = self.repo_state()
        if self._planned is None:
            key = runkeys.plan_key(state.head, self._tags, repr(self.ws.config.release),
                                   dataclasses.asdict(self.options), state.boundary)
            found = runkeys.remembered_plan(self.ws.state, key)
            if found is None:
                plan = self.plan()
                found = runkeys.Planned(plan.version, plan.is_release, len(plan.commits))
                runkeys.remember_plan(self.ws.state, key, found)
            self._planned = found
        return self._planned

    def build_key(self) -> str:
        """What a build is current for (deploylib.build.record.build_key)."""
        from deploylib.build.record import build_key

        return build_key(self.ws, self.fingerprint(), self.planned().version)

    @contextmanager
    def stage(self, action: str) -> Iterator[None]:
        """Run a stage named `action` ("gate", "build", "release", "hotfix") holding the repository lock, which
        is then kept to the end of the process (deploylib.state.repolock). Taking it the first time drops
        every fact read before; leaving the stage, however it ends, drops the repository state. Raises
        LockHeld (exit 7) when another run keeps the lock past the wait."""
        if self._lock is None:
            from deploylib.state.repolock import RepoLock

            lock = RepoLock(self.ws)
            lock.hold(action)
            self._lock = lock
            self._state, self._head, self._plan, self._planned, self._fingerprint = None, "", None, None, None
        try:
            yield
        finally:
            self._state = None
