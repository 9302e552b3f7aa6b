"""`type = "json"`: the event as a generic JSON object, for any webhook receiver."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from deploylib.notify.base import Event
from deploylib.notify.webhook import WebhookNotifier


class JsonNotifier(WebhookNotifier):
    def body(self, event: Event) -> dict[str, Any]:
        """{"event": kind, "severity": …, "kind", "environment", "version", "digest", "message", "details", "time"}."""
        return {"event": event.kind, "severity": event.severity, **asdict(event)}
