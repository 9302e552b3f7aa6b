"""Pre-deployment gates. Each gate passes, fails, or is skipped with a reason; all are reported."""

from __future__ import annotations

from dataclasses import dataclass

from deploylib import report
from deploylib.errors import GateFailed
from deploylib.git import RepoState, repo_state
from deploylib.runner import run_shell
from deploylib.workspace import Workspace

PASS, FAIL, SKIP = "pass", "fail", "skip"
_MARKS = {PASS: report.OK, FAIL: report.FAIL, SKIP: report.SKIP}


@dataclass(frozen=True)
class GateResult:
    name: str
    outcome: str  # pass | fail | skip
    detail: str


def repository_gates(state: RepoState, branch: str) -> list[GateResult]:
    """Clean tree and release branch: pure judgements of the repository's state."""
    if state.changes:
        shown = ", ".join(state.changes[:5]) + (f" and {len(state.changes) - 5} more" if len(state.changes) > 5 else "")
        clean = GateResult("clean tree", FAIL, f"uncommitted changes: {shown}")
    else:
        clean = GateResult("clean tree", PASS, "no uncommitted changes")
    if not state.branch:
        on_branch = GateResult("release branch", FAIL, f"HEAD is detached; check out {branch}")
    elif state.branch != branch:
        on_branch = GateResult("release branch", FAIL, f"on {state.branch}, releases are made from {branch}")
    else:
        on_branch = GateResult("release branch", PASS, f"on {branch}")
    return [clean, on_branch]


def run_gates(ws: Workspace) -> None:
    """Run every gate, report each, and raise GateFailed if any failed."""
    results = repository_gates(repo_state(ws.app), ws.config.release.branch)
    for result in results:
        report.stage(_MARKS[result.outcome], f"gate {result.name}", result.detail)
    command = ws.config.gate.tests
    if any(r.outcome == FAIL for r in results):
        tests = GateResult("tests", SKIP, "not run: an earlier gate failed")
    elif not command:
        tests = GateResult("tests", SKIP, "no [gate] tests command configured")
    else:
        report.stage("…", "gate tests", f"running {command}")
        outcome = run_shell(command, ws.app, report.command_line)
        tests = GateResult("tests", PASS if outcome.ok else FAIL,
                           f"passed in {outcome.seconds:.2f} s" if outcome.ok else outcome.explain())
    report.stage(_MARKS[tests.outcome], "gate tests", tests.detail)
    failed = [r for r in [*results, tests] if r.outcome == FAIL]
    if failed:
        raise GateFailed("Gate failed: " + "; ".join(f"{r.name}: {r.detail}" for r in failed) +
                         f" (in {ws.app}). Nothing was built or deployed; fix this and run the command again.")
