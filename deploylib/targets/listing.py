"""The releases a target keeps, marked as Capistrano's and Deployer's `releases` listings mark them, and the
one notion of "previous" that both `doit releases:<env>` and `doit rollback` use. Pure."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from deploylib.model import Release
from deploylib.targets.base import Kept
from deploylib.values import frozen


class Mark(StrEnum):
    LIVE = "live"  # serving now
    PREVIOUS = "previous"  # what `doit rollback` restores
    BAD = "bad"  # failed the validation of its own deploy on this environment: rollback skips it
    NEVER_LIVE = "never live"  # unpacked and verified, never activated (a deploy that stopped before its switch)


@frozen
class Listed:
    """One release in `doit releases`, with its marks (live, previous, failed)."""

    release: Release
    marks: tuple[Mark, ...]

    def to_dict(self) -> dict[str, Any]:
        r = self.release
        return {"id": r.id, "version": r.version, "digest": r.digest, "commit": r.commit,
                "activated_at": r.activated_at, "activated_by": r.activated_by, "marks": [str(m) for m in self.marks]}


def previous(kept: Kept, bad: Callable[[str], bool]) -> Release | None:
    """The release a rollback restores: the newest one that was ever live, is not live now, and whose digest
    `bad` does not reject (Capistrano's `previous`, less the releases marked bad); None when there is none."""
    live_id = kept.live.id if kept.live else None
    return next((r for r in reversed(kept.releases) if r.activated_at and r.id != live_id and not bad(r.digest)),
                None)


def listing(kept: Kept, bad: Callable[[str], bool]) -> list[Listed]:
    """Every kept release, newest activation first, with its marks. `bad(digest)` says whether a digest is
    marked bad on this environment."""
    live_id = kept.live.id if kept.live else None
    before = previous(kept, bad)
    rows = []
    if kept.live is not None and all(r.id != live_id for r in kept.releases):
        rows.append(Listed(kept.live, (Mark.LIVE,)))  # live but not kept as a release: put there by someone else
    for release in reversed(kept.releases):
        marks = [m for m, holds in ((Mark.LIVE, release.id == live_id),
                                    (Mark.PREVIOUS, before is not None and release.id == before.id),
                                    (Mark.BAD, bad(release.digest)),
                                    (Mark.NEVER_LIVE, not release.activated_at)) if holds]
        rows.append(Listed(release, tuple(marks)))
    return rows
