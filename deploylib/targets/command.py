"""A target driven by the user's own commands (`npm run deploy`, a CLI of their host, a script).

`deploy` unpacks and verifies the artifact under .deploylib/targets/<env>/releases/<id>; `activate`
runs the deploy command on it (or, for an older release, the rollback command when there is one)
with DEPLOY_VERSION, DEPLOY_DIGEST, DEPLOY_ARTIFACT, DEPLOY_DIR and DEPLOY_ENV set, output streamed.
A non-zero exit is a failed deploy. What is live comes from the `live` command when configured
(it prints the live digest), else from deploylib's own record of the last successful activation.
"""

from __future__ import annotations

from pathlib import Path

from deploylib import report
from deploylib.config.schema import option, optional
from deploylib.errors import TargetError
from deploylib.model import ARTIFACT_STORE, STATE_DIR, Artifact, Release
from deploylib.programs import command_problem, program_name, program_problem
from deploylib.runner import run_shell
from deploylib.targets.base import Target
from deploylib.targets.history import FILE_NAME, History, append_activation, from_command_record, read_history
from deploylib.targets.layout import to_remove
from deploylib.targets.store import ReleaseStore
from deploylib.values import frozen


@frozen
class CommandOptions:
    """The options of a `type = "command"` target: the user's own deploy, rollback and live commands."""

    deploy: str = option(doc='the command that publishes a release from $DEPLOY_DIR, e.g. "npm run deploy"',
                         check=command_problem)
    rollback: str = option("", doc="the command that brings back an older release (empty: run deploy on it)",
                           check=optional(command_problem))
    live: str = option("", doc="a command that prints the live release's digest (empty: deploylib's own record)",
                       check=optional(command_problem))


class CommandTarget(Target):
    """The user's own commands (see the module's docstring). Raises TargetError when a command fails (its
    outcome is then up to it: deploylib records nothing), ArtifactError for a release that no longer
    matches its manifest."""

    Options = CommandOptions
    options: CommandOptions

    def __init__(self, options: CommandOptions, root: Path, environment: str) -> None:
        super().__init__(options, root, environment)
        self.base = self.state_folder
        self.store = ReleaseStore(self.base / "releases")
        self.revisions = self.base / FILE_NAME  # every successful activation, oldest first
        self.old_record = self.base / "activations.json"  # the same, as older versions wrote it

    def describe(self) -> str:
        return f"command target ({self.options.deploy})"

    @classmethod
    def url_hint(cls, options: CommandOptions) -> str:
        try:
            program = program_name(options.deploy) or options.deploy
        except ValueError:
            program = options.deploy
        return f'Add it: where the site answers once {program} has published it, e.g. url = "https://www.example.com".'

    def _history(self) -> History:
        try:
            earlier = from_command_record(self.old_record.read_text())
        except OSError:  # none (the usual case) or unreadable: the new file still tells
            earlier = []
        return read_history(self.revisions, earlier)

    def live(self) -> Release | None:
        if self.options.live:
            ran = run_shell(self.options.live, self.root, lambda line: None, self._env())
            if not ran.ok:
                raise TargetError(f"The live command of {self.environment} failed: {ran.explain()}.")
            digest = ran.tail.strip().split()[-1] if ran.tail.strip() else ""
            if not digest:
                return None
            known = next((r for r in self.releases() if r.digest == digest), None)
            return known or Release(id=digest, version="unknown", digest=digest, commit="")
        history = self._history()
        last = history.last()
        release = self.store.read(last.release_id) if last else None
        return history.stamped(release) if release else None

    def releases(self) -> list[Release]:
        return self._history().ordered(self.store.all())

    def deploy(self, artifact: Artifact) -> Release:
        return self.store.put(artifact)

    def _env(self, release: Release | None = None) -> dict[str, str]:
        env = {"DEPLOY_ENV": self.environment}
        if release is not None:
            from deploylib.build.artifact import stored

            artifact = stored(self.root / STATE_DIR / ARTIFACT_STORE, release.digest, release.version, release.commit)
            env |= {"DEPLOY_VERSION": release.version, "DEPLOY_DIGEST": release.digest,
                    "DEPLOY_DIR": str(self.store.folder / release.id), "DEPLOY_ARTIFACT": str(artifact.tar)}
        return env

    def problem(self) -> str:
        for key in ("deploy", "rollback", "live"):
            command = getattr(self.options, key)
            why = program_problem(command, self.root) if command else ""
            if why:
                return f'{key} = "{command}" {why}'
        return ""

    def activate(self, release: Release, by: str, force: bool = False) -> None:
        self.store.check(release, f"the {self.environment} command target")
        older = release.id in self._history()
        command = self.options.rollback if older and self.options.rollback else self.options.deploy
        report.stage("…", f"run:{self.environment}", command)
        ran = run_shell(command, self.root, report.command_line, self._env(release))
        if not ran.ok:
            raise TargetError(f"The {'rollback' if command == self.options.rollback else 'deploy'} command for "
                              f"{self.environment} failed: {ran.explain()}. What it changed is up to it; "
                              f"deploylib still records {self.environment} as it was.")
        append_activation(self.revisions, release, by, f"the {self.environment} command target")

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        """Remove the oldest unpacked releases (their artifacts stay in .deploylib/artifacts)."""
        return [problem for r in to_remove(self.releases(), keep, protect) if (problem := self.store.remove(r))]
