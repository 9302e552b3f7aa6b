"""Notifications: webhooks told when a deploy starts, succeeds, degrades, fails, is rolled back, or
cannot be rolled back. Best-effort by design: each send runs in the background with a short
timeout and a couple of retries; one that still fails is reported and never fails or blocks a
deploy. Webhook URLs are secrets (they carry tokens): only their scheme and host are ever shown.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from deploylib import report
from deploylib.config.schema import option, positive_seconds_problem, url_problem
from deploylib.model import utc_now

EVENTS = ("started", "succeeded", "degraded", "failed", "rolled-back", "rollback-failed")
SEVERITY = {"started": "info", "succeeded": "info", "degraded": "warning", "failed": "critical",
            "rolled-back": "warning", "rollback-failed": "critical"}
_SLACK_MARK = {"info": ":white_check_mark:", "warning": ":warning:", "critical": ":rotating_light:"}
_FLUSH_SECONDS = 10.0  # the longest a finished deploy waits for notifications still being sent


def _events_problem(events: list[str]) -> str:
    unknown = [e for e in events if e not in EVENTS]
    return f"names unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}" if unknown else ""


@dataclass(frozen=True)
class NotifierConfig:
    format: str = option("json", doc='"json" (a generic JSON body) or "slack" (a Slack-compatible message)',
                         check=lambda v: "" if v in ("json", "slack") else "is not json or slack")
    url_env: str = option("", doc='the environment variable holding the webhook URL, e.g. "SLACK_WEBHOOK_URL"')
    url: str = option("", doc='the webhook URL itself (prefer url_env: webhook URLs are secrets)',
                      check=url_problem)
    events: list[str] = option(factory=lambda: list(EVENTS), doc=f"an array of events among {', '.join(EVENTS)}",
                               check=_events_problem)
    timeout_s: float = option(3.0, doc="seconds to wait for the webhook, e.g. 3", check=positive_seconds_problem)
    retries: int = option(2, doc="extra attempts when the webhook fails, e.g. 2",
                          check=lambda v: "" if 0 <= v <= 5 else "must be between 0 and 5")

    def target(self) -> str:
        """The webhook's URL, from the environment when url_env names it."""
        return os.environ.get(self.url_env, "") if self.url_env else self.url


@dataclass(frozen=True)
class Event:
    kind: str  # one of EVENTS
    environment: str
    version: str
    digest: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=utc_now)

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]


def payload(event: Event, fmt: str) -> dict[str, Any]:
    """The JSON body a webhook receives."""
    if fmt == "slack":
        text = f"{_SLACK_MARK[event.severity]} *deploylib*: {event.kind} on *{event.environment}* " \
               f"({event.version}): {event.message}"
        return {"text": text}
    return {"event": event.kind, "severity": event.severity, **asdict(event)}


def redact(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "a webhook"


class Notifications:
    """Sends events to the configured webhooks in the background, one worker per webhook so each
    receives its events in the order they happened; `flush` waits a little, then reports."""

    def __init__(self, configs: tuple[NotifierConfig, ...]) -> None:
        self.configs = configs
        self._queues: dict[int, queue.SimpleQueue[Event | None]] = {}
        self._threads: list[threading.Thread] = []
        self._problems: list[str] = []

    def emit(self, event: Event) -> None:
        for index, config in enumerate(self.configs):
            if event.kind not in config.events:
                continue
            if index not in self._queues:
                self._queues[index] = queue.SimpleQueue()
                thread = threading.Thread(target=self._work, args=(config, self._queues[index]), daemon=True,
                                          name=f"notify {config.format}")
                thread.start()
                self._threads.append(thread)
            self._queues[index].put(event)

    def _work(self, config: NotifierConfig, events: queue.SimpleQueue[Event | None]) -> None:
        while (event := events.get()) is not None:
            self._send(config, event)

    def _send(self, config: NotifierConfig, event: Event) -> None:
        import requests

        url = config.target()
        if not url:
            self._problems.append(f"{config.format} webhook: ${config.url_env} is not set, nothing sent")
            return
        error = ""
        for attempt in range(config.retries + 1):
            try:
                response = requests.post(url, json=payload(event, config.format), timeout=config.timeout_s)
                if response.status_code < 400:
                    return
                error = f"status {response.status_code}"
            except requests.RequestException as err:
                error = type(err).__name__  # its text may quote the URL, which is secret
            if attempt < config.retries:
                time.sleep(0.2 * 2 ** attempt)
        self._problems.append(f"{event.kind} to {redact(url)} failed after {config.retries + 1} tries ({error})")

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
            report.stage(report.WARN, "notify", "a webhook is still not answering; gave up waiting")
        self._queues, self._threads, self._problems = {}, [], []
