"""Reverts that cancel out within a release, as a table: history (newest first) → what still counts."""

from __future__ import annotations

import pytest

from deploylib.release.versioning.commits import parse, parse_squash
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
    ([("e" * 40, 'Revert "fix: a (#41)"'), ("1" * 40, "fix: b (#41)"), ("2" * 40, "fix: a (#41)")],
     ["fix: b (#41)"]),  # two commits citing #41: only the one reverted, by header
])
def test_reverts_cancel_within_a_release(history: list[tuple[str, str]], kept: list[str]) -> None:
    assert [c.subject for c in without_cancelled([parse(m, sha) for sha, m in history])] == kept


# GitHub squash merges read with parse_squash_bodies: a pull request is several commits sharing its number, and
# GitHub's revert of it ("Reverts owner/repo#41", titled after the pull request) names no sha.
SQUASHED = ("5" * 40, "Rework the export (#41)\n\n* feat(export): stream the CSV\n\n* fix(export): quote fields")
CONVENTIONAL_SQUASHED = ("5" * 40, "feat(export): rework (#41)\n\n* feat(export): stream\n\n* fix(export): quote")


@pytest.mark.parametrize(("history", "kept"), [
    ([("6" * 40, 'Revert "Rework the export" (#44)\n\nReverts acme/site#41'), SQUASHED], []),
    ([("6" * 40, 'Revert "Rework the export (#41)" (#44)\n\nReverts acme/site#41'), SQUASHED], []),
    ([("6" * 40, 'Revert "feat(export): rework (#41)" (#44)'), CONVENTIONAL_SQUASHED], []),
    ([("6" * 40, f'Revert "Rework the export (#41)" (#44)\n\nThis reverts commit {"5" * 40}.'), SQUASHED], []),
    ([("6" * 40, 'Revert "Rework the import" (#44)\n\nReverts acme/site#40'), SQUASHED],
     ['Revert "Rework the import" (#44)', "feat(export): stream the CSV", "fix(export): quote fields"]),
])
def test_a_revert_of_a_squash_merged_pull_request_cancels_all_its_commits(history: list[tuple[str, str]],
                                                                         kept: list[str]) -> None:
    commits = [c for sha, m in history for c in parse_squash(m, sha)]
    assert [c.subject for c in without_cancelled(commits)] == kept
