"""What `doit rollback --to X` names, and how kept releases are listed when X names none."""

from __future__ import annotations

import pytest

from deploylib.model import Release
from deploylib.rollback_choice import find, kept_lines, newest_first
from deploylib.targets.base import Kept
from deploylib.targets.listing import listing


def release(version: str, digest: str, live: bool = True) -> Release:
    return Release(id=f"{version}-{digest}", version=version, digest=f"sha256:{digest}", commit="c",
                   activated_at="2026-01-01T00:00:00Z" if live else "")


# oldest activation first, as targets return them: 1.2.0 was rolled back from, so 1.1.0 is live again
KEPT = [release("1.0.0", "aaa"), release("1.2.0", "ccc"), release("1.1.0", "bbb"),
        release("1.3.0", "ddd", live=False), release("1.1.0", "eee")]


@pytest.mark.parametrize(("value", "tag_format", "ids"), [
    ("1.2.0", "v{version}", ["1.2.0-ccc"]),
    ("v1.2.0", "v{version}", ["1.2.0-ccc"]),
    ("release-1.2.0", "release-{version}", ["1.2.0-ccc"]),
    ("site@1.2.0", "site@{version}", ["1.2.0-ccc"]),
    ("1.1.0", "v{version}", ["1.1.0-bbb", "1.1.0-eee"]),  # two builds of a version: the newest is last
    ("1.1.0-bbb", "v{version}", ["1.1.0-bbb"]),  # a release id names one build
    ("v1.2.0", "release-{version}", []),  # not a tag this repository makes
    ("0.9.0", "v{version}", []),
])
def test_a_value_names_releases_by_version_tag_or_id(value: str, tag_format: str, ids: list[str]) -> None:
    assert [r.id for r in find(KEPT, value, tag_format)] == ids


def test_newest_first_is_by_version_then_by_latest_activation() -> None:
    assert [r.id for r in newest_first(KEPT)] == ["1.3.0-ddd", "1.2.0-ccc", "1.1.0-eee", "1.1.0-bbb", "1.0.0-aaa"]


def test_each_kept_release_is_marked_newest_version_first() -> None:
    rows = listing(Kept(KEPT[4], KEPT), bad=lambda digest: digest == "sha256:ccc")
    lines = kept_lines(rows, why_bad={"sha256:ccc": "failed validation (home)"})
    assert lines == ["1.3.0 (1.3.0-ddd; never live)", "1.2.0 (1.2.0-ccc; bad: failed validation (home))",
                     "1.1.0 (1.1.0-eee; live)", "1.1.0 (1.1.0-bbb; previous)", "1.0.0 (1.0.0-aaa)"]
