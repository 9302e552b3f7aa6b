"""A release's metadata file read back (targets/layout.py): ours, or None for anything else."""

from __future__ import annotations

import json

import pytest

from deploylib.model import Release
from deploylib.targets.layout import parse_release, release_json

GOOD = Release("1.0.0-0123456789ab", "1.0.0", "sha256:" + "0" * 64, "c" * 40, "2026-01-31T12:00:00Z", "ana")


def test_the_metadata_written_reads_back_as_the_release() -> None:
    assert parse_release(release_json(GOOD)) == GOOD


def changed(**fields: object) -> str:
    return json.dumps({**json.loads(release_json(GOOD)), **fields})


@pytest.mark.parametrize("text", [
    "", "{", "[1]", "null", "5", '"text"', "{}",  # torn or not an object
    changed(extra="key"),  # a key Release does not have
    changed(version=None), changed(version=1), changed(digest=["a"]), changed(activated_at=5),  # not text
    changed(commit={"a": 1}), changed(activated_by=False), changed(foreign=0.5),
    changed(id=""), changed(id="."), changed(id=".."), changed(id="../../etc"), changed(id="a/b"),  # not a file name
    changed(id="/abs"), changed(id="a\nb"), changed(id="a\0b"),
], ids=lambda text: text[:40])
def test_metadata_that_is_not_a_release_deploylib_wrote_reads_as_none(text: str) -> None:
    assert parse_release(text) is None
