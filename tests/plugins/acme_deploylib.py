"""A third party's deploylib plug-ins: one of each kind, using only deploylib's public interfaces.

    jsonforge   a forge whose state is a JSON file (what a hosting service would answer)
    folder      a target: releases in a folder, `current` switched by rename
    min-bytes   a check kind: the page at `path` has at least `min_bytes` bytes
    jsonl       a notifier appending each event to a JSON Lines file

and, for the tests of plug-ins with bugs, a check kind (`fragile`), a notifier (`jsonl-buggy`) and a target
(`brittle-folder`) that raise what their interface does not allow, a target (`faulty-folder`) whose `lock`
and `serve` context managers raise on entering or leaving, a check kind (`leaky`) whose shared resource
raises when the round closes it, and a forge state `{"bug": "…"}` that makes every answer raise KeyError.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploylib.config.schema import option
from deploylib.forge.base import (
    CICheck,
    CIState,
    Deployment,
    DeploymentState,
    Forge,
    ForgeOptions,
    ForgeRelease,
    Issue,
    PullRequest,
    Review,
    ReviewState,
)
from deploylib.model import Artifact, CheckResult, Release, Verdict
from deploylib.notify.base import Event, Notifier, NotifierOptions
from deploylib.state.lock import LockHolder
from deploylib.targets.base import Batch, Target
from deploylib.targets.serve import static_server
from deploylib.targets.store import ReleaseStore
from deploylib.validate.base import Check, Round, path_option
from deploylib.validate.session import HttpSession


def write_json(path: Path, data: Any) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)  # readers in other threads see the old state or the new one


# -- forge ----------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class JsonForgeOptions(ForgeOptions):
    state: str = option(doc="the JSON file holding the forge's state, relative to the repository")


class JsonForge(Forge):
    """State: {"pulls": {sha: [{number, merged}]}, "reviews": {number: [{author, state}]}, "checks": {sha:
    [{name, state}]}, "issues": [{number, title, labels, opened, open}], "releases": {tag: …}, "deployments": […]}."""

    Options = JsonForgeOptions
    label = "JsonForge"

    def __init__(self, options: JsonForgeOptions, root: Path) -> None:
        super().__init__(options, root)
        self.path = root / options.state

    @classmethod
    def problem(cls, options: Any, root: Path) -> str:
        return "" if (root / options.state).is_file() else f"its state {root / options.state} does not exist"

    def _state(self) -> dict[str, Any]:
        state = json.loads(self.path.read_text())
        if "bug" in state:
            raise KeyError(state["bug"])  # not a ForgeError: a bug in this forge
        return {"releases": {}, "deployments": [], **state}

    def publish_release(self, release: ForgeRelease) -> str:
        state = self._state()
        state["releases"][release.tag] = {"name": release.name, "notes": release.notes, "commit": release.commit,
                                          "prerelease": release.prerelease,
                                          "assets": {a.name: hashlib.sha256(a.path.read_bytes()).hexdigest()
                                                     for a in release.assets}}
        write_json(self.path, state)
        return f"{self.path}#{release.tag}"

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        return [PullRequest(p["number"], p["merged"]) for p in self._state().get("pulls", {}).get(sha, [])]

    def reviews(self, number: int) -> list[Review]:
        return [Review(r["author"], ReviewState(r["state"])) for r in self._state()["reviews"].get(str(number), [])]

    def commit_checks(self, sha: str) -> list[CICheck]:
        return [CICheck(c["name"], CIState(c["state"])) for c in self._state().get("checks", {}).get(sha, [])]

    def _issues(self, label: str) -> list[dict[str, Any]]:
        return [i for i in self._state().get("issues", []) if label in i["labels"]]

    def open_issues(self, label: str) -> list[Issue]:
        return [_issue(i) for i in self._issues(label) if i["open"]]

    def issues_opened_since(self, label: str, since: str) -> list[Issue]:
        return [_issue(i) for i in self._issues(label) if i["opened"] >= since]

    def create_deployment(self, deployment: Deployment) -> str:
        state = self._state()
        state["deployments"].append({"ref": deployment.ref, "environment": deployment.environment, "statuses": []})
        write_json(self.path, state)
        return str(len(state["deployments"]))

    def deployment_status(self, deployment: str, state: DeploymentState, description: str) -> None:
        data = self._state()
        data["deployments"][int(deployment) - 1]["statuses"].append(state.value)
        write_json(self.path, data)


def _issue(issue: dict[str, Any]) -> Issue:
    return Issue(issue["number"], issue["title"], tuple(issue["labels"]), f"https://forge.example/{issue['number']}",
                 issue["opened"])


# -- target ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FolderOptions:
    path: str = option(doc="a folder, relative to the repository")


class FolderTarget(Target):
    Options = FolderOptions

    def __init__(self, options: FolderOptions, root: Path, environment: str) -> None:
        super().__init__(options, root, environment)
        self.base = root / options.path
        self.store = ReleaseStore(self.base / "releases")
        self.history = self.base / "history.json"  # release ids, oldest activation first

    def describe(self) -> str:
        return f"test folder {self.base}"

    def _history(self) -> list[str]:
        return json.loads(self.history.read_text()) if self.history.exists() else []

    def live(self) -> Release | None:
        history = self._history()
        return self.store.read(history[-1]) if history else None

    def releases(self) -> list[Release]:
        last = {release_id: index for index, release_id in enumerate(self._history())}
        return sorted(self.store.all(), key=lambda r: last.get(r.id, -1))

    def deploy(self, artifact: Artifact) -> Release:
        return self.store.put(artifact)

    def activate(self, release: Release, by: str, force: bool = False) -> None:
        link = self.base / ".current"
        link.unlink(missing_ok=True)
        os.symlink(Path("releases") / release.id, link)
        os.replace(link, self.base / "current")
        write_json(self.history, [*self._history(), release.id])

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        return []

    @classmethod
    def serves_itself(cls, options: Any) -> bool:
        return True

    def serve(self) -> AbstractContextManager[str | None]:
        return static_server(self.base / "current", 0, f"{self.environment} (test folder)")


class BrittleFolderTarget(FolderTarget):
    """Raises (a bug: not a TargetError) when it switches to a version other than 0.1.0."""

    def activate(self, release: Release, by: str, force: bool = False) -> None:
        if release.version != "0.1.0":
            raise OSError(f"cannot switch to {release.version}")
        super().activate(release, by, force)


class FaultyFolderTarget(FolderTarget):
    """Raises RuntimeError (a bug: not a TargetError) at the spot the file `fault` in its folder names, if any:
    "lock:enter", "lock:exit", "serve:enter" or "serve:exit" (its context managers' __enter__ / __exit__), or
    "rollout:close" (its rollout generator's clean-up), "cleanup"; or answers 42 from `deploy` at "deploy:answer"."""

    def _fault(self, spot: str) -> None:
        fault = self.base / "fault"
        if fault.exists() and fault.read_text().strip() == spot:
            raise RuntimeError(f"fault injected at {spot}")

    @contextmanager
    def lock(self, holder: LockHolder, wait: float) -> Iterator[LockHolder | None]:
        self._fault("lock:enter")
        try:
            with super().lock(holder, wait) as left_behind:
                yield left_behind
        finally:
            self._fault("lock:exit")

    def deploy(self, artifact: Artifact) -> Release:
        fault = self.base / "fault"
        if fault.exists() and fault.read_text().strip() == "deploy:answer":
            return 42  # type: ignore[return-value]  # the bug under test
        return super().deploy(artifact)

    def cleanup(self, keep: int, protect: set[str]) -> list[str]:
        self._fault("cleanup")
        return super().cleanup(keep, protect)

    def rollout(self, release: Release, by: str) -> Generator[Batch, None, None]:
        try:
            yield from super().rollout(release, by)
        finally:
            self._fault("rollout:close")

    @contextmanager
    def serve(self) -> Iterator[str | None]:
        self._fault("serve:enter")
        try:
            with super().serve() as url:
                yield url
        finally:
            self._fault("serve:exit")


# -- check kind -----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MinBytesCheck(Check):
    path: str = path_option()
    min_bytes: int = option(1, doc="the fewest bytes the page may have, e.g. 10")

    def describe(self) -> str:
        return f"{self.path} has at least {self.min_bytes} bytes"

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        response = session.get(base_url + self.path, timeout=self.timeout_s)
        size = len(response.content)
        verdict = Verdict.PASS if size >= self.min_bytes else Verdict.FAIL
        return self.result(verdict, f">= {self.min_bytes} bytes", f"{size} bytes", response.elapsed.total_seconds())


@dataclass(frozen=True, kw_only=True)
class FragileCheck(MinBytesCheck):
    """Raises (a bug) when the page holds `breaks_on`."""

    breaks_on: str = option("<blink>", doc="the text this check cannot cope with")

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        if self.breaks_on in session.get(base_url + self.path, timeout=self.timeout_s).text:
            raise ValueError(f"cannot parse {self.breaks_on}")
        return super().measure(base_url, session)


class _Leaky:
    """A resource whose closing raises (a bug)."""

    def __enter__(self) -> str:
        return "open"

    def __exit__(self, *exc: object) -> None:
        raise RuntimeError("the leaky resource cannot close")


@dataclass(frozen=True, kw_only=True)
class LeakyCheck(MinBytesCheck):
    """Measures as min-bytes, holding a round resource that raises when the round closes it."""

    def run(self, within: Round) -> CheckResult:
        within.shared("leaky", _Leaky)
        return super().run(within)


# -- notifier -------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class JsonLinesOptions(NotifierOptions):
    path: str = option(doc="the file events are appended to")


class JsonLinesNotifier(Notifier):
    Options = JsonLinesOptions

    def describe(self) -> str:
        return str(self.options.path)

    def send(self, event: Event) -> None:
        with open(self.options.path, "a") as log:
            log.write(json.dumps({"event": event.kind, "environment": event.environment,
                                  "version": event.version}) + "\n")


class BuggyNotifier(JsonLinesNotifier):
    """Raises (a bug: not a NotifyError) on every event."""

    def send(self, event: Event) -> None:
        raise RuntimeError(f"no handler for {event.kind}")
