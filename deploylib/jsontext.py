"""JSON read from files deploylib does not fully control: its state files, a target's records, an
artifact's manifest, a user's package.json. Anything that is not JSON deploylib can read is a
ValueError, so each reader's `except ValueError` covers every such file."""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes, **options: Any) -> Any:
    """json.loads(text, **options); a document nested deeper than Python's recursion limit (about 1,000
    arrays or objects: json raises RecursionError) is a ValueError, as text that is not JSON is."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("it nests arrays or objects too deep to be read") from None
