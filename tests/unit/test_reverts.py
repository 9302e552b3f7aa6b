"""Reverts that cancel out within a release, as a table: history (newest first) → what still counts."""

from __future__ import annotations

import pytest

from deploylib.release.versioning.commits import parse
from deploylib.release.versioning.reverts import without_cancelled

FEAT = ("a" * 40, "feat(theme): dark mode")
REVERT = ("b" * 40, f'Revert "feat(theme): dark mode"\n\nThis reverts commit {"a" * 40}.')
REAPPLY = ("c" * 40, f'Reapply "feat(theme): dark mode"\n\nThis reverts commit {"b" * 40}.')
DOCS = ("d" * 40, "docs: readme")


@pytest.mark.parametrize(("history", "kept"), [
    ([DOCS, REVERT, FEAT], ["docs: readme"]),  # the case: the pair cancels
    ([REVERT], [REVERT[1].split("\n")[0]]),  # the feature was released earlier: the revert stays
    ([REAPPLY, REVERT, FEAT], ["feat(theme): dark mode"]),  # revert, then reapplied: the feature stays
    ([REAPPLY, REVERT], []),  # a released feature reverted and reapplied: nothing new
    ([REAPPLY], ['Reapply "feat(theme): dark mode"']),  # the revert was released: the feature is back
    ([("e" * 40, 'Revert "feat(theme): dark mode" (#43)\n\nReverts acme/site#42'),
      ("f" * 40, "feat(theme): dark mode (#42)")], []),  # GitHub's revert button, squash-merged: by header
    ([("e" * 40, f'Revert "feat(theme): dark mode"\n\nThis reverts commit {"9" * 40}.'), FEAT],
     ['Revert "feat(theme): dark mode"', "feat(theme): dark mode"]),  # names another commit: no match
    ([("e" * 40, "revert: drop dark mode\n\nRefs: aaaaaaa"), FEAT], []),  # Conventional Commits' own form
    ([("e" * 40, f"Revert \"feat(theme): dark mode\"\n\nThis reverts commit {'a' * 12}."), DOCS, FEAT],
     ["docs: readme"]),  # an abbreviated sha
])
def test_reverts_cancel_within_a_release(history: list[tuple[str, str]], kept: list[str]) -> None:
    assert [c.subject for c in without_cancelled([parse(m, sha) for sha, m in history])] == kept
