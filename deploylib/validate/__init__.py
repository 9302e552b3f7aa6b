"""Validation of a live release. `kind = "…"` in a check's table maps to one class here; a kind's
module is imported only when a configuration uses it."""

from __future__ import annotations

import importlib

CHECK_KINDS: dict[str, str] = {
    "smoke": "deploylib.validate.smoke:SmokeCheck",
    "flow": "deploylib.validate.flow:FlowCheck",
    "assets": "deploylib.validate.assets:AssetsCheck",
    "page": "deploylib.validate.assets:PageCheck",
    "load": "deploylib.validate.load:LoadCheck",
    "browser": "deploylib.validate.browser:BrowserCheck",
    "command": "deploylib.validate.command:CommandCheck",
}


def check_class(kind: str) -> type | None:
    if kind not in CHECK_KINDS:
        return None
    module, _, name = CHECK_KINDS[kind].partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls
