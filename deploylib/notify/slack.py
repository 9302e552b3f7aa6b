"""`type = "slack"`: a Slack-compatible incoming-webhook message (also taken by Mattermost and Rocket.Chat)."""

from __future__ import annotations

from typing import Any

from deploylib.notify.base import Event
from deploylib.notify.webhook import WebhookNotifier

_MARK = {"info": ":white_check_mark:", "warning": ":warning:", "critical": ":rotating_light:"}


class SlackNotifier(WebhookNotifier):
    def body(self, event: Event) -> dict[str, Any]:
        """{"text": ":warning: *deploylib*: rolled-back on *production* (1.2.0): restored 1.1.0"}."""
        return {"text": f"{_MARK[event.severity]} *deploylib*: {event.kind} on *{event.environment}* "
                        f"({event.version}): {event.message}"}
