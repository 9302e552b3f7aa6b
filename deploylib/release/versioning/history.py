"""Which release each commit belongs to, and the order a release lists its commits: pure functions of
the commit graph (no git here), so the section a release gets is the same however it is computed.

A release holds the commits its tag reaches that no stable release of a lower version reaches
(reachability, never commit dates). Within a release, commits are listed newest first in one
canonical order computed from those commits alone: a commit always before its parents, and among
the commits that may come next, the latest committer time first (then the smaller sha). Computed
from the release's own commits, the order is the same whether they were read as a range
(`git log T ^lower…`, when a release is made) or picked out of the whole history (`changelog --full`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Entry(NamedTuple):  # a tuple, not a dataclass: made once per commit of long histories
    """One commit of the graph as `git log --format=%H%x1f%P%x1f%ct%x1f%B` reads it."""

    sha: str  # full 40-hex sha
    parents: tuple[str, ...]  # full shas, first parent first; () for a root commit
    time: int  # committer time, seconds since the epoch
    message: str  # the full message (%B); bytes that are not UTF-8 read as U+FFFD


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """`entries` in the canonical order (see the module docstring). O(n log n); a single line of
    history (the usual release) has only one possible order and is walked without sorting."""
    items = list(entries)
    if len(items) < 2:
        return items
    by_sha = {e.sha: e for e in items}
    waiting = dict.fromkeys(by_sha, 0)  # sha -> children in the set not yet listed
    merges = False  # a commit with two parents in the set
    for entry in items:
        inside = [parent for parent in entry.parents if parent in waiting]
        merges = merges or len(inside) > 1
        for parent in inside:
            waiting[parent] += 1
    tips = [e for e in items if waiting[e.sha] == 0]
    if len(tips) == 1 and not merges and max(waiting.values()) == 1:  # one line: its order is forced
        return _line(tips[0], by_sha, len(items))
    ready = [(-e.time, e.sha) for e in tips]
    heapq.heapify(ready)
    ordered = []
    while ready:
        entry = by_sha[heapq.heappop(ready)[1]]
        ordered.append(entry)
        for parent in entry.parents:
            if parent in waiting:
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    heapq.heappush(ready, (-by_sha[parent].time, parent))
    return ordered


def _line(tip: Entry, by_sha: dict[str, Entry], size: int) -> list[Entry]:
    """The `size` commits from `tip` down its parents within `by_sha`, which form one line."""
    ordered = [tip]
    while len(ordered) < size:
        ordered.append(by_sha[next(p for p in ordered[-1].parents if p in by_sha)])
    return ordered


def members(graph: Sequence[Entry], releases: Sequence[tuple[str, str]]) -> dict[str, list[Entry]]:
    """For each release (key, commit sha), in ascending version order, the entries it holds, in the
    canonical order. `graph` must hold every commit reachable from the releases' commits. Each commit
    is visited once: a release's walk stops at commits a lower release already holds.

    Returns {key: list[Entry] newest first}, with every key of `releases`; a release whose commit is
    not in `graph`, or is held by a lower release, gets []. A parent missing from `graph` ends that
    walk (as at a shallow clone's boundary) rather than raising.
    """
    by_sha = {e.sha: e for e in graph}
    owned: set[str] = set()
    found: dict[str, list[Entry]] = {}
    for key, sha in releases:
        mine, stack = [], [sha] if sha in by_sha and sha not in owned else []
        owned.update(stack)
        while stack:
            entry = by_sha[stack.pop()]
            mine.append(entry)
            for parent in entry.parents:
                if parent in by_sha and parent not in owned:
                    owned.add(parent)
                    stack.append(parent)
        found[key] = newest_first(mine)
    return found

