"""Plain values passed between stages. No I/O here."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, field
from enum import StrEnum
from pathlib import Path
from typing import Any, overload

from deploylib import jsontext
from deploylib.values import frozen

STATE_DIR = ".deploylib"  # deploylib's own files in a repository
ARTIFACT_STORE = "artifacts"  # the artifact store, inside STATE_DIR (names inside it: build.artifact.stored)


class Below:
    """A read-only attribute naming a path below another path attribute of the same object:
    `incidents = Below("state", "incidents")` reads as `obj.state / "incidents"`, computed on each read and
    creating nothing. It keeps a class's table of folders and files to one line each (Workspace, BuildPlace)."""

    def __init__(self, base: str, name: str) -> None:
        self.base, self.name = base, name

    @overload
    def __get__(self, obj: None, owner: type) -> Below: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Path: ...
    def __get__(self, obj: object, owner: type | None = None) -> Path | Below:
        if obj is None:  # read on the class (help(), inspect): the declaration itself
            return self
        base: Path = getattr(obj, self.base)
        return base / self.name


def host_name() -> str:
    """This machine's name, as gethostname(2) gives it (uname's nodename: no socket module to load)."""
    return os.uname().nodename


def utc_now() -> str:
    """The time values are stamped with: UTC, to the second, ISO 8601 with a Z, e.g. "2026-01-31T12:00:00Z"."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # time, not datetime: one module less to load


def short_digest(digest: str) -> str:
    """The 12 hex characters users see: `sha256:ab12…` → `ab12…`."""
    return digest.split(":", 1)[-1][:12]


@frozen
class Artifact:
    """One build's output, packed reproducibly: identical inputs give an identical digest."""

    digest: str  # "sha256:<64 hex>" of the tar bytes
    tar: Path
    manifest: Path  # JSON {relative path: {"sha256", "size" (bytes), "mode", "offset", "blob"}}: build/artifact.py
    version: str  # SemVer 2.0, without the tag prefix; may carry build metadata ("1.4.0+3.gabc1234")
    commit: str  # the full sha of the source commit it was built from

    @property
    def release_id(self) -> str:
        """"<version>-<12 hex of the digest>", e.g. "1.4.0-ab12cd34ef56": the release's folder name on targets."""
        return f"{self.version}-{short_digest(self.digest)}"

    def to_json(self) -> str:
        """The build record (.deploylib/build.json): sorted keys, paths as strings, a final newline."""
        data = asdict(self)
        data["tar"], data["manifest"] = str(self.tar), str(self.manifest)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Artifact:
        """Read `to_json`'s text back. Raises ValueError for text that is not JSON, KeyError for a missing
        field, TypeError for JSON that is not an object (build/stage.py turns these into an ArtifactError
        naming the file)."""
        data = jsontext.loads(text)
        return cls(
            digest=data["digest"],
            tar=Path(data["tar"]),
            manifest=Path(data["manifest"]),
            version=data["version"],
            commit=data["commit"],
        )


class GateOutcome(StrEnum):
    """One gate's result."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not run (waived, not configured, an earlier gate failed): the reason is in the detail


PASS, FAIL, SKIP = GateOutcome.PASS, GateOutcome.FAIL, GateOutcome.SKIP


@frozen
class GateResult:
    """One gate's outcome: pass, fail, or skip (with the reason in `detail`)."""

    name: str
    outcome: GateOutcome
    detail: str


@frozen
class Release:
    """A release as a target holds it: unpacked, verified, and possibly live."""

    id: str  # "<version>-<short digest>", the directory name on the target
    version: str
    digest: str  # "sha256:<64 hex>" of the artifact's tar
    commit: str  # full sha
    activated_at: str = ""  # UTC ISO-8601 time of the switch that made it live, when known
    activated_by: str = ""  # the actor (lock.actor_name) who made it live, when known
    foreign: str = ""  # what is live when deploylib did not put it there, e.g. 'commit 1a2b3c4 "Fix" (…)'


class Verdict(StrEnum):
    """Outcome of one check, with Argo Rollouts' meanings."""

    PASS = "pass"
    FAIL = "fail"  # measured, and wrong
    ERROR = "error"  # could not measure (connection refused, timeout)
    INCONCLUSIVE = "inconclusive"  # measured nothing useful (no data)


class Severity(StrEnum):
    """How much a check's failure weighs."""

    CRITICAL = "critical"  # a failure rolls back
    MINOR = "minor"  # reported; the release stays


@frozen
class CheckResult:
    """One attempt of one check: what was expected and seen, in words, and how long it took."""

    name: str  # the check's label
    verdict: Verdict
    expected: str  # e.g. "status 200, ≤ 2000 ms"
    seen: str  # e.g. "status 502 in 31 ms; body: 'Bad gateway'"
    seconds: float  # wall time of the attempt
    severity: Severity = Severity.CRITICAL
    details: dict[str, Any] = field(default_factory=dict)  # e.g. the flow step that broke, load figures

    @property
    def passed(self) -> bool:
        """True only for PASS (an INCONCLUSIVE result has not passed)."""
        return self.verdict is Verdict.PASS


class LedgerAction(StrEnum):
    """What a ledger row records."""

    DEPLOY = "deploy"
    VALIDATE = "validate"
    ROLLBACK = "rollback"


class LedgerStatus(StrEnum):
    """A ledger row's state; the values are the ones stored in the ledger's `status` column."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"
    INTERRUPTED = "interrupted"


class IncidentOutcome(StrEnum):
    """What became of a release that failed its validation; the values are the incident reports' words."""

    ROLLED_BACK = "rolled back"
    NOT_ROLLED_BACK = "not rolled back (rollback = false)"
    NOTHING_BEFORE = "rollback impossible: no release was live before"
    ROLLBACK_FAILED = "rollback failed: the restored release fails validation too"


class Outcome(StrEnum):
    """How a whole command ended: the `outcome` of the JSON result and the CI step outputs."""

    LIVE = "live"  # deployed (or restored) and validated
    DEGRADED = "degraded"  # live, with warnings from minor checks
    UNCHANGED = "unchanged"  # nothing new: the build is already live there
    ROLLED_BACK = "rolled back"  # failed validation; the previous release serves again and passes
    NOT_ROLLED_BACK = "not rolled back"  # failed validation and stays live (rollback = false)
    ESCALATED = "escalated"  # failed, and no healthy release could be restored: act by hand
    VALIDATED = "validated"  # a validation by hand passed
    INVALID = "invalid"  # a validation by hand failed
    PLANNED = "planned"  # a dry run found a release to make
    NOTHING = "nothing to release"  # a dry run found no releasable commit
    FAILED = "failed"  # a stage stopped the run (its message says why); nothing live changed
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM


@frozen
class LedgerEntry:
    """One recorded action: a deploy, validate or rollback on one environment."""

    id: int
    action: LedgerAction
    environment: str
    version: str
    digest: str
    commit: str
    status: LedgerStatus
    started_at: str  # UTC ISO-8601
    finished_at: str  # UTC ISO-8601; "" while running
    duration: float  # seconds; 0 while running
    actor: str
    # JSON values; "pid", "started" (its start time, lock.process_started) and "host" of the recording process
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict (for the JSON form of `doit history`)."""
        return asdict(self)


@frozen
class Incident:
    """What happened when a release failed validation, for the incident report."""

    environment: str
    failed: Release
    restored: Release | None
    outcome: IncidentOutcome
    timeline: list[tuple[str, str]]  # (UTC time, what happened)
    failed_checks: list[CheckResult]  # every result that did not pass, in every round
    recheck: list[CheckResult]  # the same checks against the restored release
    commits: list[str] = field(default_factory=list)  # "sha subject" the failed release added
    reasons: list[str] = field(default_factory=list)  # why the monitor decided to roll back

    def to_dict(self) -> dict[str, Any]:
        """The incident as a JSON-serialisable dict (nested dataclasses as dicts, tuples as lists once dumped)."""
        return asdict(self)
