"""A replay of real release histories: for every pair of consecutive stable releases of four public
projects that release from Conventional Commits (tests/data/replay, made by benchmarks/replay_data.py
from their tag histories, messages only), the version deploylib plans from the commits the later
release holds must be the version the project released, in at least 98 % of pairs. Each project's
own bump rules are its configuration; every miss is listed below with why."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import semver

from deploylib.release.versioning.bump import plan_version
from deploylib.release.versioning.commits import parse, parse_squash

DATA = Path(__file__).resolve().parent.parent / "data" / "replay"

# project: (bump rules, parse squash bodies, first release replayed). Before 1.0.0 python-semantic-release
# and commitizen did not write Conventional Commits yet (their 0.x histories are free-form messages).
PROJECTS = {
    "python-semantic-release+python-semantic-release": ({"feat": "minor", "fix": "patch", "perf": "patch"}, True,
                                                        "1.0.0"),
    "commitizen-tools+commitizen": ({"feat": "minor", "fix": "patch", "refactor": "patch", "perf": "patch"}, False,
                                    "1.0.0"),
    "semantic-release+semantic-release": ({"feat": "minor", "fix": "patch", "perf": "patch", "revert": "patch"},
                                          False, "0.0.0"),
    "googleapis+release-please": ({"feat": "minor", "fix": "patch"}, False, "0.0.0"),
}

RETAGGED = "the previous release's tag is not in this release's history (its release commit was rewritten after " \
           "tagging), so the pair spans two releases"
BY_HAND = "released by hand: no commit in the range asks for this bump (the maintainers chose the version)"
MISSES = {
    "commitizen-tools+commitizen": {
        ("1.10.1", "1.11.0"): RETAGGED, ("1.10.3", "1.12.0"): RETAGGED, ("3.10.1", "3.12.0"): RETAGGED,
        ("4.7.2", "4.8.1"): RETAGGED, ("4.12.1", "4.13.1"): RETAGGED, ("4.12.1", "4.13.2"): RETAGGED,
        ("4.12.1", "4.13.3"): RETAGGED, ("4.12.1", "4.13.4"): RETAGGED,
        ("1.22.2", "1.22.3"): BY_HAND + " (docs, style and build commits only)",
        ("2.17.4", "2.17.5"): BY_HAND + " (a non-conventional 'fix docs typo')",
        ("2.17.12", "2.17.13"): BY_HAND,
    },
    "googleapis+release-please": {
        ("1.4.1", "1.4.2"): BY_HAND,
        ("16.14.2", "16.14.3"): "release-please bumps patch for build(deps) dependency updates (its own rule)",
        ("17.10.3", "17.10.4"): "release-please bumps patch for chore(deps) dependency updates (its own rule)",
        ("17.11.0", "17.11.1"): "release-please bumps patch for chore(deps) dependency updates (its own rule)",
    },
    "python-semantic-release+python-semantic-release": {
        ("2.1.4", "3.0.0"): "3.0.0 switched parsers; the major was announced in a non-footer note",
        ("3.7.0", "3.7.1"): BY_HAND + " (a docs typo fix)",
        ("4.1.0", "4.1.1"): BY_HAND,
        ("6.3.1", "6.4.0"): "a BREAKING CHANGE note the project's parser then ignored (it released a minor)",
    },
    "semantic-release+semantic-release": {
        ("4.3.1", "4.3.3"): RETAGGED, ("8.0.0", "8.0.2"): RETAGGED,
        ("12.4.0", "12.4.1"): "12.4.1 was tagged on the same commit as 12.4.0: no commit between them",
        ("20.0.2", "20.0.3"): "a revert of an unreleased chore(deps) commit: deploylib cancels the pair (its rule, see "
                              "deploylib.release.versioning.reverts), semantic-release bumps patch for any revert",
    },
}


def replay(project: str) -> tuple[int, dict[tuple[str, str], str]]:
    """(pairs replayed, {(previous, released): planned} for every pair planned differently)."""
    rules, squash, since = PROJECTS[project]
    data = json.loads(gzip.decompress((DATA / f"{project}.json.gz").read_bytes()))
    pairs = [p for p in data["pairs"] if semver.Version.parse(p["previous"]) >= semver.Version.parse(since)]
    misses = {}
    for pair in pairs:
        commits = tuple(c for sha, message in pair["commits"]
                        for c in (parse_squash(message, sha) if squash else [parse(message, sha)]))
        planned = plan_version(pair["previous"], commits, rules, "0.1.0", True, "0" * 40).version
        if planned != pair["released"]:
            misses[pair["previous"], pair["released"]] = planned
    return len(pairs), misses


def test_the_replay_matches_at_least_98_percent_of_real_releases() -> None:
    results = {project: replay(project) for project in PROJECTS}
    total = sum(count for count, _ in results.values())
    missed = sum(len(misses) for _, misses in results.values())
    assert total > 1000 and (total - missed) / total >= 0.98


def test_every_miss_is_listed_with_its_reason() -> None:
    for project in PROJECTS:
        assert set(replay(project)[1]) == set(MISSES[project]), project
