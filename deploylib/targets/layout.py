"""The Capistrano layout's bookkeeping, shared by the targets that use it (a local folder, SSH hosts):

    <path>/releases/<id>/        one unpacked, verified release
    <path>/releases/<id>.json    its metadata, written last: a release without it is incomplete
    <path>/current -> releases/<id>
    <path>/revisions.log         one JSON line per activation (who, when, which), oldest first

Pure: the targets read the files (locally or over ssh) and hand the text here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from deploylib.model import Release, utc_now

# release id -> (0-based line number in revisions.log, that line's JSON: {"time", "id", "version", "digest", "by"})
Activations = dict[str, tuple[int, dict[str, str]]]


def parse_release(text: str) -> Release | None:
    """A release's metadata file (`releases/<id>.json`, JSON of Release's fields), or None when it is torn
    or not ours (not JSON, or keys that are not Release's); never raises."""
    try:
        return Release(**json.loads(text))
    except (ValueError, TypeError):
        return None


def release_json(release: Release) -> str:
    """The metadata file's text for `release`: one JSON object and a newline (read back by `parse_release`)."""
    return json.dumps(asdict(release)) + "\n"


def activations(lines: list[str]) -> Activations:
    """Each release id's latest activation in revisions.log, with its line number: the order of
    activations, which timestamps (one-second resolution) cannot always tell. `lines`: the log's lines,
    oldest first; a line that is not JSON with an "id" is skipped. Never raises."""
    latest: Activations = {}
    for number, line in enumerate(lines):
        try:
            entry = json.loads(line)
            latest[entry["id"]] = (number, entry)
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a crash: the activation it began is not trusted
    return latest


def with_activation(release: Release, known: Activations) -> Release:
    """`release` with `activated_at` (UTC ISO-8601) and `activated_by` from its latest activation; both ""
    when it was never activated."""
    entry = known.get(release.id, (-1, {}))[1]
    return replace(release, activated_at=entry.get("time", ""), activated_by=entry.get("by", ""))


def in_activation_order(complete: list[Release], known: Activations) -> list[Release]:
    """Oldest activation first; never-activated releases first of all."""
    ordered = sorted(complete, key=lambda r: (known.get(r.id, (-1, {}))[0], r.id))
    return [with_activation(r, known) for r in ordered]


def to_remove(ordered: list[Release], keep: int, protect: set[str]) -> list[Release]:
    """The releases cleanup removes: all but the newest `keep` activations, never a protected one.
    `ordered`: oldest activation first (as `in_activation_order` gives); `protect`: release ids. `keep`
    0 removes every unprotected release."""
    return [r for r in ordered[:-keep or None] if r.id not in protect]


def revision_line(release: Release, by: str) -> str:
    """One revisions.log line (JSON and a newline) recording that `by` (an actor name) made `release`
    live now (UTC ISO-8601, to the second)."""
    return json.dumps({"time": utc_now(), "id": release.id, "version": release.version,
                       "digest": release.digest, "by": by}) + "\n"
