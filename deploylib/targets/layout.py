"""The Capistrano layout's bookkeeping, shared by the targets that use it (a local folder, SSH hosts):

    <path>/releases/<id>/        one unpacked, verified release
    <path>/releases/<id>.json    its metadata, written last: a release without it is incomplete
    <path>/current -> releases/<id>
    <path>/revisions.log         one JSON line per activation (who, when, which), oldest first (history.py)

Pure: the targets read the files (locally or over ssh) and hand the text here.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from deploylib import jsontext
from deploylib.model import Release


def parse_release(text: str) -> Release | None:
    """A release's metadata file (`releases/<id>.json`, JSON of Release's fields), or None when it is torn
    or not ours (not JSON, keys that are not Release's, a value that is not text, or an id that is not a
    plain file name, which would name a folder outside `releases/`); never raises."""
    try:
        release = Release(**jsontext.loads(text))
    except (ValueError, TypeError):
        return None
    fields = asdict(release).values()
    if not all(isinstance(value, str) for value in fields) or release.id in ("", ".", "..") \
            or any(sign in release.id for sign in "/\0\n"):
        return None
    return release


def release_json(release: Release) -> str:
    """The metadata file's text for `release`: one JSON object and a newline (read back by `parse_release`)."""
    return json.dumps(asdict(release)) + "\n"


def to_remove(ordered: list[Release], keep: int, protect: set[str]) -> list[Release]:
    """The releases cleanup removes: all but the newest `keep` activations, never a protected one.
    `ordered`: oldest activation first (as `History.ordered` gives them); `protect`: release ids. `keep`
    0 removes every unprotected release."""
    return [r for r in ordered[:-keep or None] if r.id not in protect]
