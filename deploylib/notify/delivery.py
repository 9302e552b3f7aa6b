"""Delivery of notifications: each configured notifier is told when a deploy starts, succeeds,
degrades, fails, is rolled back, or cannot be rolled back. Best-effort by design: each notifier
sends from a background thread of its own, so it receives its events in the order they happened,
with a short timeout and a couple of retries; one that still fails is reported and never fails or
blocks a deploy. What is sent, and how, is the notifier's (notify/json.py, notify/slack.py, …)."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from deploylib import report
from deploylib.config.schema import Variant
from deploylib.notify import NOTIFIERS
from deploylib.notify.base import Event, Notifier, NotifyError
from deploylib.plugins import Answer, answered, fault

_FLUSH_SECONDS = 10.0  # the longest a finished deploy waits for notifications still being sent


_TEXT: Answer = ((str,), "a str", ())

class Notifications:
    """Sends events to the configured notifiers (each a Variant: its type and options) in the background,
    one worker per notifier; `flush` waits a little, then reports."""

    def __init__(self, configs: tuple[Variant, ...]) -> None:
        self.configs = configs
        self._queues: dict[int, queue.SimpleQueue[Event | None]] = {}
        self._threads: list[threading.Thread] = []
        self._problems: list[str] = []

    def emit(self, event: Event) -> None:
        for index, config in enumerate(self.configs):
            if event.kind not in config.options.events:
                continue
            if index not in self._queues:
                self._queues[index] = queue.SimpleQueue()
                thread = threading.Thread(target=self._work, args=(config, self._queues[index]),
                                          daemon=True, name=f"notify {config.type}")
                thread.start()
                self._threads.append(thread)
            self._queues[index].put(event)

    def _work(self, config: Variant, events: queue.SimpleQueue[Event | None]) -> None:
        """Deliver one notifier's events in order. A notifier that raises anything but NotifyError (a bug in it,
        built in or a plug-in) is reported once, naming it and the exception, and sends nothing more: a
        notifier never fails, stops or tracebacks a deploy."""
        notifier: Notifier | None = None
        broken = False
        while (event := events.get()) is not None:
            if broken:  # take the rest, up to flush's stop marker
                continue
            try:
                if notifier is None:
                    cls = NOTIFIERS.load(config.type)
                    assert cls is not None, "config validation admits known notifier types only"
                    notifier = cls(config.options)
                self._send(config.type, notifier, event)
            except Exception as err:
                broken = True
                self._problems.append(f"the {config.type} notifier failed while sending {event.kind}: {fault(err)} "
                                      "(a bug in that notifier); nothing more was sent to it")

    def _send(self, kind: str, notifier: Notifier, event: Event) -> None:
        problem = answered(notifier.problem(), _TEXT)
        if problem:
            self._problems.append(f"{kind} {problem}, nothing sent")
            return
        retries, error = notifier.options.retries, ""
        for attempt in range(retries + 1):
            try:
                notifier.send(event)
                return
            except NotifyError as err:
                error = str(err)
            if attempt < retries:
                time.sleep(0.2 * 2 ** attempt)
        where = answered(notifier.describe(), _TEXT)
        self._problems.append(f"{event.kind} to {where} failed after {retries + 1} tries ({error})")

    def flush(self) -> None:
        """Wait a bounded time for sends still running, then report what could not be delivered."""
        for events in self._queues.values():
            events.put(None)  # each worker stops after the events already queued
        deadline = time.monotonic() + _FLUSH_SECONDS
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for problem in self._problems:
            report.stage(report.WARN, "notify", f"{problem}; the deploy is not affected")
        if any(thread.is_alive() for thread in self._threads):
            report.stage(report.WARN, "notify", "a notifier is still not answering; gave up waiting")
        self._queues, self._threads, self._problems = {}, [], []


class DeployNotices:
    """Notifications' subscriber to the event stream: a deploy's start and end, and how a failed deploy
    or a rollback ended. `flush` when the command is done."""

    def __init__(self, configs: tuple[Variant, ...]) -> None:
        self.notifications = Notifications(configs)

    def __call__(self, event: object) -> None:
        from deploylib import events
        from deploylib.model import LedgerAction, LedgerStatus, Outcome, short_digest

        match event:
            case events.ActionStarted(action=LedgerAction.DEPLOY, notice=notice) if notice:
                self._send("started", event, notice)
            case events.ActionFinished(started=events.ActionStarted(action=LedgerAction.DEPLOY) as started,
                                       status=status, details=details):
                release_id = f"{started.version}-{short_digest(started.digest)}"
                if status == LedgerStatus.SUCCEEDED:
                    warnings = details.get("warnings") or []
                    self._send("degraded" if warnings else "succeeded", started,
                               "; ".join(warnings) or f"{release_id} is live and validated")
                elif status in (LedgerStatus.FAILED, LedgerStatus.ROLLED_BACK):
                    self._send("failed", started, details.get("error") or "; ".join(details.get("reasons") or []))
            case events.Finished(outcome=Outcome.ROLLED_BACK | Outcome.ESCALATED as outcome, notice=notice) \
                    if notice:
                about = event.notify_about
                self.notifications.emit(Event("rolled-back" if outcome == Outcome.ROLLED_BACK else "rollback-failed",
                                              event.environment, about.version if about else event.version,
                                              about.digest if about else event.digest, notice))

    def _send(self, kind: str, started: Any, message: str) -> None:
        self.notifications.emit(Event(kind, started.environment, started.version, started.digest, message))

    def flush(self) -> None:
        self.notifications.flush()
