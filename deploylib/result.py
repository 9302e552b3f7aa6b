"""The machine-readable result of a run (`--json`, and the GitHub Actions summary and outputs), collected
from the event stream. Its shape is deploylib/schemas/result.schema.json."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from deploylib import events
from deploylib.errors import ExitCode
from deploylib.model import LedgerAction, Outcome

SCHEMA = "schemas/result.schema.json"  # inside the package
STAGE_RESULTS = {events.Mark.OK: "passed", events.Mark.FAIL: "failed", events.Mark.SKIP: "skipped",
                 events.Mark.WARN: "warning"}


class RunResult:
    """Subscriber that keeps what a run did: its stages with result and duration (seconds from the stage's
    start, or from the end of the stage before when it announced no start; a stage running when the run
    failed or was interrupted, failed with the run's message), every check result with its
    environment, phase and round, and how the run ended. `to_dict` gives the JSON object."""

    def __init__(self, command: str, clock: Callable[[], float] = time.monotonic,
                 running: Callable[[], str] = str) -> None:
        self.command, self.clock, self.running = command, clock, running
        self.environment = command.split(":", 1)[1] if command.startswith(("deploy:", "validate:")) else ""
        self.version = self.tag = self.digest = self.url = self.release_url = self.incident = self.message = ""
        self.outcome: Outcome | None = None
        self.exit_code = int(ExitCode.OK)
        self.stages: list[dict[str, Any]] = []
        self.checks: list[dict[str, Any]] = []
        self._began = self._last = clock()
        self._checking = self.environment  # the environment the checks run against now
        self._started: dict[str, tuple[float, int]] = {}  # a running stage: when it began, stages finished then

    def __call__(self, event: object) -> None:
        now = self.clock()
        match event:
            case events.StageStarted(name=name):
                self._started[name] = (now, len(self.stages))
            case events.StageFinished(name=name, mark=mark, detail=detail):
                began = self._started.pop(name, (self._last, 0))[0]
                self.stages.append({"name": name, "result": STAGE_RESULTS[mark], "detail": detail,
                                    "duration_s": round(now - began, 3)})
                self._last = now
            case events.RoundFinished(label=label, number=number, results=results):
                self.checks += [{"name": r.name, "environment": self._checking, "phase": label, "round": number,
                                 "verdict": r.verdict.value,
                                 "severity": r.severity.value if hasattr(r.severity, "value") else r.severity,
                                 "duration_s": round(r.seconds, 4), "expected": r.expected, "seen": r.seen}
                                for r in results]
            case events.ActionStarted():
                self._checking = event.environment  # a round runs inside a deploy's, rollback's or validation's
                if event.action == LedgerAction.DEPLOY:
                    self._at(event.environment, "")
                    self.version, self.digest = event.version, event.digest
            case events.Finished():
                self.outcome = event.outcome
                self._at(event.environment, event.url)
                self.version, self.digest, self.tag = event.version, event.digest, event.tag or self.tag
                self.release_url = event.release_url or self.release_url
            case events.IncidentWritten(path=path):
                self.incident = path
            case events.Planned(version=version, tag=tag, is_release=is_release):
                self.version, self.tag = version, tag
                self.outcome = Outcome.PLANNED if is_release else Outcome.NOTHING
            case events.Failed(message=message, exit_code=code):
                self.message, self.exit_code = message, code
                self._stopped(now, message)
            case events.Identified():
                self._at(event.environment, event.url)
                if event.version:  # its tag goes with it ("" for a build of unreleased commits)
                    self.version, self.tag = event.version, event.tag
                self.digest = event.digest or self.digest

    def _at(self, environment: str, url: str) -> None:
        """The run is now about `environment` ("": the same one), whose configured url is `url` ("": none
        told): another environment's url never stays with it (a deploy:production run that stops on test)."""
        if environment and environment != self.environment:
            self.environment, self.url = environment, url
        else:
            self.url = url or self.url

    def _stopped(self, now: float, message: str) -> None:
        """The stages running when the run stopped (started after the last stage finished: the build, a
        gate's tests, an upload) failed with the run's `message`; one started earlier and never told finished
        (a command target's `run:`, followed by its switch) is not what stopped the run. A task that stopped
        the run without telling a stage that failed or an outcome (a release whose push was refused, a deploy
        refused before its upload) is itself that stage, named by `running()` (the doit task)."""
        stopped = [(name, began) for name, (began, finished) in self._started.items() if finished == len(self.stages)]
        if not stopped and self.outcome is None and not (self.stages and self.stages[-1]["result"] == "failed"):
            stopped = [(self.running(), self._last)] if self.running() else []  # it told no stage: its task's
        for name, began in stopped:
            self._started.pop(name, None)
            self.stages.append({"name": name, "result": "failed", "detail": message,
                                "duration_s": round(now - began, 3)})

    def ended(self) -> Outcome:
        """How the run ended: what the command said, or for a run stopped by an error, failed (or interrupted);
        a run that had nothing to do (every task up to date) is unchanged."""
        if self.outcome is not None:
            return self.outcome
        if self.exit_code == ExitCode.INTERRUPTED:
            return Outcome.INTERRUPTED
        return Outcome.FAILED if self.exit_code else Outcome.UNCHANGED

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.command, "version": self.version, "tag": self.tag,
                "environment": self.environment, "digest": self.digest, "outcome": self.ended().value,
                "exit_code": self.exit_code, "message": self.message,
                "duration_s": round(self.clock() - self._began, 3), "stages": self.stages, "checks": self.checks,
                "urls": {"environment": self.url, "release": self.release_url}, "incident": self.incident}


def refused(command: str, message: str, exit_code: int, url: str = "") -> dict[str, Any]:
    """The result of `command` refused before any task ran (a bad configuration or command line: exit 3):
    outcome failed, `message` the refusal, no stages; `url`: the configured url of the environment it
    names, when the configuration could be read."""
    result = RunResult(command)
    result(events.Identified(url=url))
    result(events.Failed(message, exit_code))
    return result.to_dict()
