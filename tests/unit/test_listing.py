"""The kept-releases listing and the one "previous" that `doit releases:<env>` and `doit rollback` share."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deploylib.model import Release
from deploylib.targets.base import Kept
from deploylib.targets.listing import Mark, listing, previous


def rel(version: str, live_at: str = "2026-01-01T00:00:00Z") -> Release:
    return Release(id=f"{version}-d{version}", version=version, digest=f"sha256:{version}", commit="c",
                   activated_at=live_at, activated_by="ci")


A, B, C = rel("1.0.0"), rel("1.1.0"), rel("1.2.0")
NEVER = rel("1.3.0", live_at="")


def bad_of(*releases: Release) -> Callable[[str], bool]:
    digests = {r.digest for r in releases}
    return lambda digest: digest in digests


@pytest.mark.parametrize(("kept", "bad", "expected"), [
    (Kept(C, [A, B, C]), (), B),  # the newest activation before the live one
    (Kept(C, [A, B, C]), (B,), A),  # a release marked bad is skipped
    (Kept(C, [A, B, C]), (A, B), None),  # nothing good before
    (Kept(C, [A, B, NEVER, C]), (), B),  # a never-activated release is no rollback target
    (Kept(B, [A, C, B]), (), C),  # after a rollback to B, previous is C (the later activation), Capistrano's order
    (Kept(None, [A, B]), (), B),  # nothing live: the newest one ever live
    (Kept(A, [A]), (), None),  # the first release has no previous
])
def test_previous_is_the_newest_earlier_activation_not_marked_bad(kept: Kept, bad: tuple[Release, ...],
                                                                 expected: Release | None) -> None:
    assert previous(kept, bad_of(*bad)) == expected


@pytest.mark.parametrize(("kept", "bad", "expected"), [
    (Kept(C, [A, B, C]), (), [(C, [Mark.LIVE]), (B, [Mark.PREVIOUS]), (A, [])]),
    (Kept(B, [A, C, B]), (C,), [(B, [Mark.LIVE]), (C, [Mark.BAD]), (A, [Mark.PREVIOUS])]),
    (Kept(B, [NEVER, A, B]), (NEVER,), [(B, [Mark.LIVE]), (A, [Mark.PREVIOUS]), (NEVER, [Mark.BAD, Mark.NEVER_LIVE])]),
    (Kept(None, []), (), []),
])
def test_the_listing_is_newest_first_with_its_marks(kept: Kept, bad: tuple[Release, ...],
                                                    expected: list[tuple[Release, list[Mark]]]) -> None:
    assert [(row.release, list(row.marks)) for row in listing(kept, bad_of(*bad))] == expected


def test_a_live_release_the_target_does_not_keep_is_listed_first_as_live() -> None:
    foreign = Release(id="1a2b3c4d5e6f", version="", digest="", commit="", foreign='commit 1a2b3c4 "x"')
    rows = listing(Kept(foreign, [A]), bad_of())
    assert [(row.release, row.marks) for row in rows] == [(foreign, (Mark.LIVE,)), (A, (Mark.PREVIOUS,))]


def test_a_row_as_json_names_its_marks() -> None:
    row = listing(Kept(C, [B, C]), bad_of())[1]
    assert row.to_dict() == {"id": B.id, "version": "1.1.0", "digest": "sha256:1.1.0", "commit": "c",
                             "activated_at": "2026-01-01T00:00:00Z", "activated_by": "ci", "marks": ["previous"]}
