"""Reverts that cancel out: the rule for which commits of a release still count.

A revert and the commit it undoes cancel when both are in the same release (neither bumps the
version nor appears in the notes): the release holds nothing of either. A revert of a commit
released earlier stays: it is listed under Reverts and bumps as the `revert` type's rule says
(patch by default, whatever its form; semantic-release's commit analyzer gives a patch only to a
message naming the reverted sha, "This reverts commit <sha>.", and nothing to a `revert:` header or
to GitHub's squash-merged Revert without one). Reverting a revert (`Reapply "…"`) follows the
same rule, so feat, its revert and its reapplication in one release leave the feat.

A revert names what it undoes by sha ("This reverts commit <sha>." from `git revert`, or a
`Refs: <sha>` footer under a conventional `revert:` header, as in Conventional Commits 1.0's
example); when it names no sha (GitHub's "Revert" button, squash-merged), by the reverted header, or,
when the pull request it reverts ("Reverts owner/repo#41", or the "(#41)" of the reverted header) was
one squash merge read as several commits (parse_squash_bodies), by that pull request: all of them.
Pure: commits in, commits out, newest first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from deploylib.release.versioning.commits import Commit, parse

_REVERTED_SHA = re.compile(r"\bThis reverts commit ([0-9a-fA-F]{7,40})\b")
_REFS_SHA = re.compile(r"^Refs:[ \t]*(.+)$", re.MULTILINE)
_HEX = re.compile(r"[0-9a-fA-F]{7,40}")
_REVERTS_PR = re.compile(r"^Reverts [\w.-]+/[\w.-]+#(\d+)[ \t]*$", re.MULTILINE)  # GitHub's revert PR body


def without_cancelled(commits: Sequence[Commit]) -> list[Commit]:
    """`commits` (newest first) less every revert whose target is among them, and that target; the
    rest keep their order. Never raises.

    Newest first, so that a revert of a revert cancels the revert before the revert can cancel
    the original."""
    if not any(c.reverts or c.type == "revert" for c in commits):
        return list(commits)
    cancelled: set[int] = set()
    for index, commit in enumerate(commits):
        if index in cancelled or not (commit.reverts or commit.type == "revert"):
            continue
        targets = _targets(commit, commits, index, cancelled)
        if targets:
            cancelled.update((index, *targets))
    return [c for i, c in enumerate(commits) if i not in cancelled]


def reverted_shas(commit: Commit) -> tuple[str, ...]:
    """The (possibly abbreviated, 7 to 40 hex digits) shas a revert names, lower-case, in message order:
    from git's "This reverts commit <sha>." lines, and from `Refs:` footers of a conventional `revert:`
    commit; () for any other commit."""
    found = _REVERTED_SHA.findall(commit.rest)
    if commit.type == "revert" and not commit.reverts:
        found += [h for refs in _REFS_SHA.findall(commit.rest) for h in _HEX.findall(refs)]
    return tuple(sha.lower() for sha in found)


def _targets(revert: Commit, commits: Sequence[Commit], index: int, cancelled: set[int]) -> list[int]:
    older = [j for j in range(index + 1, len(commits)) if j not in cancelled]
    shas = reverted_shas(revert)
    if shas:  # named by sha: only that commit (a commit of the same header may be a new one)
        return [j for j in older if commits[j].sha and commits[j].sha.lower().startswith(shas)]
    if not revert.reverts:
        return []
    reverted = parse(revert.reverts)
    prs = {pr for pr in (reverted.pr, *_REVERTS_PR.findall(revert.rest)) if pr}
    same_pr = [j for j in older if commits[j].pr in prs] if prs else []
    if same_pr and len({commits[j].sha for j in same_pr}) == 1:  # one squash merge, read as several commits
        return same_pr
    key = _key(reverted)
    return next(([j] for j in older if _key(commits[j]) == key), [])


def _key(commit: Commit) -> tuple[str, str, str, str]:
    """What identifies a commit by its header, whatever "(#PR)" suffix a squash merge added."""
    return commit.type, commit.scope, commit.description, commit.reverts
