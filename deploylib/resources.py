"""Files deploylib ships beside its code: changelog templates and the demo site.

In a wheel they sit inside the package (hatch force-include); in a source checkout or an
editable install they sit at the repository's top level, next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(relative: str) -> Path:
    inside = _PACKAGE / relative
    return inside if inside.exists() else _PACKAGE.parent / relative
