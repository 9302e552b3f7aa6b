"""The version plan's outcome as the uptodate checks ask it, remembered in the state folder by what it
was computed from (HEAD, the tags, the release settings and the command line), so a run that changes
nothing reads no history. Pure, apart from the memo's file."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploylib.state.atomic import write_atomically

PLAN_MEMO = "plan.json"  # in the state folder


@dataclass(frozen=True)
class Planned:
    """What the uptodate checks need of a version plan."""

    version: str
    is_release: bool
    commits: int  # commits since the previous release


def plan_key(head: str, tags: list[tuple[str, str, str]], release_settings: str, asked: dict[str, Any]) -> str:
    """Everything a version plan is computed from: HEAD (and so its history), every tag and what it names,
    the [release] settings (their repr) and the options given on the command line."""
    return hashlib.sha256(json.dumps([head, tags, release_settings, asked], sort_keys=True).encode()).hexdigest()


def remembered_plan(state: Path, key: str) -> Planned | None:
    """The plan's outcome remembered under `key`, or None (none, another key, or an unreadable file)."""
    try:
        found = json.loads((state / PLAN_MEMO).read_text())
        if found["key"] == key:
            return Planned(str(found["version"]), bool(found["is_release"]), int(found["commits"]))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    return None


def remember_plan(state: Path, key: str, planned: Planned) -> None:
    """Keep the outcome for the next run; a state folder that cannot be written only costs that run time."""
    with contextlib.suppress(OSError):
        write_atomically(state / PLAN_MEMO, json.dumps({"key": key, "version": planned.version,
                                                        "is_release": planned.is_release,
                                                        "commits": planned.commits}))
