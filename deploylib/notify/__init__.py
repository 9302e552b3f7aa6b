"""Notifications of deploy outcomes: `type = "…"` in a [[notify]] table (or the older `format`) picks a
Notifier class through plugins.NOTIFIERS; delivery.py sends to every configured one."""

from deploylib.plugins import NOTIFIERS

__all__ = ["NOTIFIERS"]
