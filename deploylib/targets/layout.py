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

Activations = dict[str, tuple[int, dict[str, str]]]


def parse_release(text: str) -> Release | None:
    """A release's metadata file, or None when it is torn or not ours."""
    try:
        return Release(**json.loads(text))
    except (ValueError, TypeError):
        return None


def release_json(release: Release) -> str:
    return json.dumps(asdict(release)) + "\n"


def activations(lines: list[str]) -> Activations:
    """Each release id's latest activation in revisions.log, with its line number: the order of
    activations, which timestamps (one-second resolution) cannot always tell."""
    latest: Activations = {}
    for number, line in enumerate(lines):
        try:
            entry = json.loads(line)
            latest[entry["id"]] = (number, entry)
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a crash: the activation it began is not trusted
    return latest


def with_activation(release: Release, known: Activations) -> Release:
    entry = known.get(release.id, (-1, {}))[1]
    return replace(release, activated_at=entry.get("time", ""), activated_by=entry.get("by", ""))


def in_activation_order(complete: list[Release], known: Activations) -> list[Release]:
    """Oldest activation first; never-activated releases first of all."""
    ordered = sorted(complete, key=lambda r: (known.get(r.id, (-1, {}))[0], r.id))
    return [with_activation(r, known) for r in ordered]


def to_remove(ordered: list[Release], keep: int, protect: set[str]) -> list[Release]:
    """The releases cleanup removes: all but the newest `keep` activations, never a protected one."""
    return [r for r in ordered[:-keep or None] if r.id not in protect]


def revision_line(release: Release, by: str) -> str:
    return json.dumps({"time": utc_now(), "id": release.id, "version": release.version,
                       "digest": release.digest, "by": by}) + "\n"
