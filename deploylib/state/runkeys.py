"""What the uptodate checks ask of git, remembered in the state folder by what it was computed from, so a
run that changes nothing reads no history: the version plan's outcome (by HEAD, a shallow clone's
boundary, the tags, the release settings and the command line) and the source fingerprint (by HEAD and
the files left out of it). Pure, apart from the memo files."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploylib import jsontext
from deploylib.state.atomic import read_regular, write_atomically
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.release.versioning.bump import VersionPlan

PLAN_MEMO = "plan.json"  # in the state folder
FINGERPRINT_MEMO = "fingerprint.json"


@frozen
class Planned:
    """What the uptodate checks need of a version plan."""

    version: str
    is_release: bool
    commits: int  # commits since the previous release


def plan_key(head: str, tags: list[tuple[str, str, str]], release_settings: str, asked: dict[str, Any],
             boundary: str) -> str:
    """Everything a version plan is computed from: HEAD and its history as far as the repository holds it
    (`boundary`: git.shallow_boundary, "" for all of it), every tag and what it names, the [release]
    settings (their repr) and the options given on the command line."""
    return hashlib.sha256(json.dumps([head, tags, release_settings, asked, boundary],
                                     sort_keys=True).encode()).hexdigest()


def fingerprint_key(head: str, release_files: list[str]) -> str:
    """What a source fingerprint is computed from: HEAD's commit (which names its tree exactly) and the
    [release] changelog and version_files entries, which say how the files a release writes are read
    (deploylib.release.version_files.fingerprint_rules)."""
    return hashlib.sha256(json.dumps(["version set aside", head, release_files]).encode()).hexdigest()


def remembered_plan(state: Path, key: str) -> Planned | None:
    """The plan's outcome remembered under `key`, or None (none, another key, or an unreadable file)."""
    found = _remembered(state / PLAN_MEMO, key)
    try:
        return None if found is None else Planned(str(found["version"]), bool(found["is_release"]),
                                                  int(found["commits"]))
    except (ValueError, TypeError, KeyError):
        return None


def remember_plan(state: Path, key: str, planned: Planned) -> None:
    """Keep the plan's outcome for the next run."""
    _remember(state / PLAN_MEMO, key, {"version": planned.version, "is_release": planned.is_release,
                                       "commits": planned.commits})


def remembered_fingerprint(state: Path, key: str) -> str | None:
    """The source fingerprint remembered under `key` (64 hex digits), or None."""
    found = _remembered(state / FINGERPRINT_MEMO, key)
    value = found.get("fingerprint") if found else None
    return value if isinstance(value, str) and len(value) == 64 else None


def remember_fingerprint(state: Path, key: str, fingerprint: str) -> None:
    """Keep the source fingerprint for the next run."""
    _remember(state / FINGERPRINT_MEMO, key, {"fingerprint": fingerprint})


def _remembered(memo: Path, key: str) -> dict[str, Any] | None:
    """The memo's values when it was written under `key`; None for none, another key or an unreadable file."""
    try:
        found = jsontext.loads(read_regular(memo))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("key") == key else None


def _remember(memo: Path, key: str, values: dict[str, Any]) -> None:
    """Write the memo; a state folder that cannot be written only costs the next run time."""
    with contextlib.suppress(OSError):
        write_atomically(memo, json.dumps({"key": key, **values}))


def is_done(plan: VersionPlan | Planned, push: bool, pushed_version: object) -> bool:
    """Whether the release stage has nothing left to do: `plan` makes no release and either HEAD is not a
    release (commits since the last one, none asking for another), or HEAD is the release and it is not
    pushed ([release] `push` off) or was pushed: `pushed_version`, the version the stage's last run
    recorded, is HEAD's. The release task's uptodate rule."""
    if plan.is_release:
        return False
    if plan.commits or not push:
        return True  # nothing to tag, or nothing to push
    return pushed_version == plan.version
