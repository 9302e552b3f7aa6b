"""What the person releasing asks for on the command line (--version, --prerelease, --hotfix): an input
of the version plan (bump.py) and of the key its remembered outcome is kept under (state/runkeys.py)."""

from __future__ import annotations

from deploylib.values import frozen


@frozen
class PlanOptions:
    """What the person releasing asked for on the command line."""

    version: str = ""  # an explicit version, instead of the computed one
    prerelease: str = ""  # a prerelease token such as "rc": 1.5.0-rc.1, then rc.2
    hotfix: bool = False  # a patch release, whatever the commits ask for
