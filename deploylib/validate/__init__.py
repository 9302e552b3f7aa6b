"""Validation of a live release. `kind = "…"` in a check's table maps to one class through
plugins.CHECKS; a kind's module is imported only when a configuration uses it; other kinds come from
plug-ins (see plugins.py)."""

from deploylib.plugins import CHECKS

__all__ = ["CHECKS"]
