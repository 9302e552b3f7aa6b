"""Validation of a live release. `kind = "…"` in a check's table maps to one class here; a kind's
module is imported only when a configuration uses it; other kinds come from plug-ins (see plugins.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploylib.plugins import Registry

if TYPE_CHECKING:
    from deploylib.validate.base import Check

CHECKS: Registry[Check] = Registry("deploylib.checks", "deploylib.validate.base:Check", {
    "smoke": "deploylib.validate.smoke:SmokeCheck",
    "flow": "deploylib.validate.flow:FlowCheck",
    "assets": "deploylib.validate.assets:AssetsCheck",
    "page": "deploylib.validate.assets:PageCheck",
    "load": "deploylib.validate.load:LoadCheck",
    "browser": "deploylib.validate.browser:BrowserCheck",
    "command": "deploylib.validate.command:CommandCheck",
}, options_attr="")  # a check is its own options dataclass

