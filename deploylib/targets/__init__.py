"""Deploy targets: `type = "…"` in an environment's target table maps to one class here.

Adding a target type means adding a module with a `Target` subclass (and its `Options`
dataclass) and one line below; the pipeline never asks which type it holds.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploylib.config.load import EnvironmentConfig
    from deploylib.config.schema import Variant
    from deploylib.targets.base import Target

TARGET_TYPES: dict[str, str] = {
    "local": "deploylib.targets.local:LocalTarget",
    "command": "deploylib.targets.command:CommandTarget",
    "github-pages": "deploylib.targets.ghpages:PagesTarget",
    "ssh": "deploylib.targets.ssh:SshTarget",
}


def _target_class(kind: str) -> type[Target] | None:
    if kind not in TARGET_TYPES:
        return None
    module, _, name = TARGET_TYPES[kind].partition(":")
    cls: type[Target] = getattr(importlib.import_module(module), name)
    return cls


def target_options(kind: str) -> type | None:
    """The dataclass describing a target type's options, or None for an unknown type."""
    cls = _target_class(kind)
    return cls.Options if cls else None


def serves_itself(target: Variant) -> bool:
    """Can an environment with this target be validated without a `url` (the target serves its live release)?"""
    cls = _target_class(target.type)
    assert cls is not None, "config validation admits known target types only"
    return cls.serves_itself(target.options)


def open_target(env: EnvironmentConfig, root: Path) -> Target:
    """The target an environment deploys to; relative paths in its options are relative to `root`."""
    cls = _target_class(env.target.type)
    assert cls is not None, "config validation admits known target types only"
    return cls(env.target.options, root=root, environment=env.name)
