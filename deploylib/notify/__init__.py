"""Notifications of deploy outcomes: `type = "…"` in a [[notify]] table (or the older `format`) picks a
Notifier class through the registry; delivery.py sends to every configured one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploylib.plugins import Registry

if TYPE_CHECKING:
    from deploylib.notify.base import Notifier

NOTIFIERS: Registry[Notifier] = Registry("deploylib.notifiers", "deploylib.notify.base:Notifier", {
    "json": "deploylib.notify.json:JsonNotifier",
    "slack": "deploylib.notify.slack:SlackNotifier",
})

