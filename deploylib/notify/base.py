"""The interface every notifier (json and slack webhooks built in; others by a module or a plug-in)
implements, the events it is told of, and the options every notifier shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import field
from typing import Any, ClassVar

from deploylib.config.schema import option, positive_seconds_problem
from deploylib.errors import DeployError
from deploylib.model import utc_now
from deploylib.values import frozen

EVENTS = ("started", "succeeded", "degraded", "failed", "rolled-back", "rollback-failed")
SEVERITY = {"started": "info", "succeeded": "info", "degraded": "warning", "failed": "critical",
            "rolled-back": "warning", "rollback-failed": "critical"}


class NotifyError(DeployError):
    """One send failed; the message says why without any secret (a webhook's URL carries a token). The
    delivery retries it, then reports it; it never fails a deploy."""


def _events_problem(events: list[str]) -> str:
    unknown = [e for e in events if e not in EVENTS]
    return f"names unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}" if unknown else ""


@frozen(kw_only=True)
class NotifierOptions:
    """What every notifier's `Options` dataclass has (subclass it; its own fields are the rest of the table)."""

    events: list[str] = option(factory=lambda: list(EVENTS), doc=f"an array of events among {', '.join(EVENTS)}",
                               check=_events_problem)
    timeout_s: float = option(3.0, doc="seconds to wait for one send, e.g. 3", check=positive_seconds_problem)
    retries: int = option(2, doc="extra attempts when a send fails, e.g. 2",
                          check=lambda v: "" if 0 <= v <= 5 else "must be between 0 and 5")

    def conflict(self) -> str:
        """A rule between this table's keys that is broken, as "KEY: what is wrong and the fix"; "" when none.
        Checked when the configuration loads."""
        return ""


@frozen
class Event:
    """What a notifier is told: one deploy, validation or rollback outcome on one environment."""

    kind: str  # one of EVENTS
    environment: str
    version: str
    digest: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=utc_now)  # ISO 8601 UTC

    @property
    def severity(self) -> str:
        """"info", "warning" or "critical" (SEVERITY)."""
        return SEVERITY[self.kind]


class Notifier(ABC):
    """Tells one destination of events. The delivery (notify/delivery.py) calls `send` from a thread of its
    own, one event at a time in the order they happened, and retries a NotifyError `options.retries` times."""

    Options: ClassVar[type[NotifierOptions]] = NotifierOptions

    def __init__(self, options: Any) -> None:
        self.options = options

    def problem(self) -> str:
        """What keeps this notifier from sending at all (an unset variable), as the rest of a sentence after its
        type, e.g. "webhook: $SLACK_WEBHOOK_URL is not set"; "" when none. Asked before each send."""
        return ""

    @abstractmethod
    def describe(self) -> str:
        """Where events go, for messages, without secrets: e.g. "https://hooks.slack.com"."""

    @abstractmethod
    def send(self, event: Event) -> None:
        """Deliver one event within `options.timeout_s` seconds, or raise NotifyError."""
