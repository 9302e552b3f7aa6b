"""Pre-deployment gates. Each gate passes, fails, or is skipped with a reason, and every one is
reported. The judgements are pure functions of what git and the forge said; `run_gates` asks them."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib import jsontext, report
from deploylib.config.load import GateConfig
from deploylib.errors import DeployError, GateFailed
from deploylib.git import RepoState, on_remote, repo_state, run_git, upstream_remote
from deploylib.model import FAIL, PASS, SKIP, GateResult
from deploylib.programs import program_problem
from deploylib.state.atomic import read_regular, write_atomically
from deploylib.state.workspace import Workspace

if TYPE_CHECKING:
    from deploylib.forge.base import CICheck, Issue, PullRequest, Review

# The forge's and JUnit's types, and the command runner, are imported where a gate uses them: the no-op
# run's uptodate check (still_passes) loads this module, and needs none of them.

_MARKS = {PASS: report.OK, FAIL: report.FAIL, SKIP: report.SKIP}


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


def asks_forge(gate: GateConfig) -> bool:
    """Whether the gate asks the forge (review, CI, blocking issues): such a gate is never up to date, as a
    review can be dismissed and CI turn red after the fact."""
    return gate.require_review or gate.require_ci or bool(gate.blocking_labels)


def still_passes(state: RepoState, branch: str, key: str, passed_key: object) -> bool:
    """Whether the gate's last pass still holds without running it: the repository gates pass on `state`
    (clean tree, on the release `branch`) and `passed_key`, the `tests_key` its last pass recorded, is
    `key`. Only for a gate that does not ask the forge (see `asks_forge`)."""
    return passed_key == key and all(r.outcome == PASS for r in repository_gates(state, branch))


def pushed_gate(state: RepoState, push: bool, releases: bool = True, remote: str = "",
                on_remote: bool | None = None) -> GateResult:
    """What is deployed must be on the remote: already, or pushed by this run's release. `push` is
    [release] push; `releases` says whether this run makes a release at all (no release, no push).
    Without an upstream branch, or with one on another remote while releases push to `remote`, `on_remote`
    says whether HEAD is on any branch of the release `remote` as last fetched (None: not asked, or the
    repository has no such remote, so there is nothing to compare with): a commit pushed only to a fork is
    not where the release's tags and history are."""
    if not state.upstream:
        where = state.branch or "HEAD"
        if on_remote is None:
            return GateResult("pushed", SKIP, f"{where} has no upstream branch and there is no remote {remote!r} "
                                              "to compare with")
        if on_remote:
            return GateResult("pushed", PASS, f"HEAD is on {remote} ({where} has no upstream branch)")
        if push and releases:
            return GateResult("pushed", PASS, f"HEAD is not on {remote} yet: the release pushes it")
        return GateResult("pushed", FAIL, f"HEAD {state.head[:7]} is on no branch of {remote} and this run pushes "
                                          f"nothing; push it first (git push -u {remote} {where})")
    if state.behind:
        return GateResult("pushed", FAIL, f"{state.behind} commit(s) behind {state.upstream}; pull first")
    if state.ahead and push and not releases:
        return GateResult("pushed", FAIL, f"{state.ahead} commit(s) not pushed to {state.upstream}, and no commit "
                                          "since the last release asks for a new one, so this run pushes nothing; "
                                          "push them first (git push)")
    if on_remote is False and not releases:
        return GateResult("pushed", FAIL, f"HEAD is on {state.upstream} but on no branch of {remote}, where releases "
                                          "are pushed, and this run pushes nothing; push it there first "
                                          f"(git push {remote} {state.branch or 'HEAD'})")
    if state.ahead and not push:
        return GateResult("pushed", FAIL, f"{state.ahead} commit(s) not pushed to {state.upstream}; push them first")
    if state.ahead:
        return GateResult("pushed", PASS, f"{state.ahead} commit(s) ahead of {state.upstream}: the release pushes them")
    return GateResult("pushed", PASS, f"HEAD is on {state.upstream}")


def judge_review(sha: str, pulls: list[PullRequest], reviews_of: Callable[[int], list[Review]]) -> GateResult:
    """The pull request that brought `sha` in (a merged one first) must be approved, with no changes still
    requested; each reviewer's latest verdict counts."""
    from deploylib.forge.base import ReviewState

    if not pulls:
        return GateResult("review", FAIL, f"{sha[:7]} came in by a direct push: no pull request, so no review")
    pull = next((p for p in pulls if p.merged), pulls[0])
    latest: dict[str, ReviewState] = {}
    for review in reviews_of(pull.number):  # oldest first: a later verdict replaces an earlier one
        if review.state is not ReviewState.COMMENTED:
            latest[review.author] = review.state
    changes = sorted(who for who, state in latest.items() if state is ReviewState.CHANGES_REQUESTED)
    approved = sorted(who for who, state in latest.items() if state is ReviewState.APPROVED)
    if changes:
        return GateResult("review", FAIL, f"PR #{pull.number} has changes requested by {', '.join(changes)}")
    if not approved:
        return GateResult("review", FAIL, f"PR #{pull.number} has no approving review")
    return GateResult("review", PASS, f"PR #{pull.number} approved by {', '.join(approved)}")


def judge_ci(sha: str, checks: list[CICheck]) -> GateResult:
    """Every CI result of `sha` must have finished green; the pass names how many of each kind there were."""
    from deploylib.forge.base import CIState

    bad = [c.name for c in checks if c.state is CIState.FAILED]
    waiting = [c.name for c in checks if c.state is CIState.RUNNING]
    if bad:
        return GateResult("ci", FAIL, f"{sha[:7]}: failing: {', '.join(bad)}")
    if waiting:
        return GateResult("ci", FAIL, f"{sha[:7]}: still running: {', '.join(waiting)}; wait for CI to finish")
    if not checks:
        return GateResult("ci", FAIL, f"{sha[:7]}: no CI status or check run reported")
    kinds = dict.fromkeys(c.kind for c in checks)  # in the forge's order
    count = " and ".join(f"{sum(c.kind == kind for c in checks)} {kind}" for kind in kinds)
    return GateResult("ci", PASS, f"{sha[:7]}: {count} green")


def judge_issues(found: dict[str, list[Issue]]) -> GateResult:
    """No open issue may carry a blocking label; `found` maps each label to its open issues."""
    open_ones = [f"#{issue.number} {issue.title!r} ({label})" for label, issues in found.items() for issue in issues]
    if open_ones:
        return GateResult("issues", FAIL, f"open blocking issue(s): {'; '.join(open_ones[:5])}")
    return GateResult("issues", PASS, f"no open issue labelled {', '.join(found)}")


def source_commit(ws: Workspace) -> str:
    """HEAD, or the commit below deploylib's own release commits: what a pull request brought in."""
    for line in run_git(ws.app, "log", "--first-parent", "-n", "50", "--format=%H%x1f%s", "HEAD").splitlines():
        sha, _, subject = line.partition("\x1f")
        if not subject.startswith("chore(release): "):
            return sha
    return run_git(ws.app, "rev-parse", "HEAD").strip()


def _forge_gates(ws: Workspace, waived: frozenset[str]) -> list[GateResult]:
    from deploylib.forge import forge_label, open_forge

    cfg = ws.config.gate
    wanted = [name for name, on in (("review", cfg.require_review), ("ci", cfg.require_ci),
                                    ("issues", bool(cfg.blocking_labels))) if on]
    results = [GateResult(name, SKIP, "waived for this hotfix") for name in wanted if name in waived]
    wanted = [name for name in wanted if name not in waived]
    if not wanted:
        return results
    try:
        forge = open_forge(ws.config.release, ws.app)
        assert forge is not None, "config validation requires a forge for these gates"
        sha = source_commit(ws)
        for name in wanted:
            if name == "review":
                results.append(judge_review(sha, forge.pulls_for_commit(sha), forge.reviews))
            elif name == "ci":
                results.append(judge_ci(sha, forge.commit_checks(sha)))
            else:
                results.append(judge_issues({label: forge.open_issues(label) for label in cfg.blocking_labels}))
    except DeployError as err:  # no token, the forge down: the gate could not pass
        results += [GateResult(name, FAIL, f"could not ask {forge_label(ws.config.release)}: {err}")
                    for name in wanted if name not in {r.name for r in results}]
    return results


def _command_gate(ws: Workspace, name: str, command: str, cache_key: str = "", junit: str = "") -> GateResult:
    """Run a gate's command, or reuse a pass recorded for the same sources and command. With `junit`, the
    JUnit XML reports the run wrote give the counts ("Tests: 335/335 passing"), and the gate passes only when
    they show the tests ran and passed (see junit.gate_reports)."""
    cache = ws.ensure_state() / "gates.json"
    passed = _passes(cache) if cache_key else {}
    if cache_key and passed.get(name) == cache_key:
        return GateResult(name, PASS, "passed for these sources before (cached)")
    problem = program_problem(command, ws.app)
    if problem:  # checked here, not at load: read-only tasks must not need the gate's programs
        return GateResult(name, FAIL, f'[gate] {name} = "{command}" {problem}; install it, or fix the command')
    from deploylib.runner import run_shell  # only a gate that runs a command loads the runner

    report.stage("…", f"gate {name}", f"running {command}")
    since = time.time()
    outcome = run_shell(command, ws.app, report.command_line)
    counts = unfit = ""
    if junit:
        from deploylib.gates.junit import gate_reports

        found = gate_reports(ws.app, junit, since)
        counts, unfit = found.counts, found.problem
    if not outcome.ok:
        return GateResult(name, FAIL, "; ".join(filter(None, [outcome.explain(), unfit or counts])))
    if unfit:  # a gate told to read a report cannot pass without one showing that the tests ran and passed
        return GateResult(name, FAIL, f"exit 0, but {unfit}")
    if cache_key:
        with contextlib.suppress(OSError):  # a read-only or full state folder: the pass is not remembered
            write_atomically(cache, json.dumps({**_passes(cache), name: cache_key}))
    return GateResult(name, PASS, f"{counts or 'passed'} in {outcome.seconds:.2f} s")


def _passes(cache: Path) -> dict[str, str]:
    """The gates cache: {gate name: key of the sources it passed for}; empty when missing or unreadable
    (it is only a cache: the gate then runs again)."""
    try:
        passed = jsontext.loads(read_regular(cache))
    except (OSError, ValueError):
        return {}
    return passed if isinstance(passed, dict) else {}


def tests_key(ws: Workspace, fingerprint: str) -> str:
    """What a cached gate pass is valid for: these sources, these commands, this branch."""
    gate = ws.config.gate
    return json.dumps([fingerprint, gate.tests, gate.audit, ws.config.release.branch])


def run_gates(ws: Workspace, tests_key: str, waived: frozenset[str] = frozenset(), releases: bool = True,
              state: RepoState | None = None) -> None:
    """Run every gate, report each, and raise GateFailed if any failed. `tests_key` identifies the sources
    and test command, so tests that passed for them are not run again; `releases` says whether this run
    makes a release (whose push takes unpushed commits along); `state` is the repository as this run read
    it just before (None: read it here)."""
    from deploylib.release.staged_edits import unstage

    if unstage(ws) or state is None:  # a killed build's version edits are deploylib's, not changes: put back
        state = repo_state(ws.app)
    results = [*repository_gates(state, ws.config.release.branch)]
    if ws.config.gate.require_pushed:
        remote = ws.config.release.remote
        elsewhere = bool(state.upstream) and ws.config.release.push and upstream_remote(ws.app, state.branch) != remote
        results.append(pushed_gate(state, ws.config.release.push, releases, remote,
                                   on_remote(ws.app, remote) if elsewhere or not state.upstream else None))
    for result in results:
        report.stage(_MARKS[result.outcome], f"gate {result.name}", result.detail)
    cfg, later = ws.config.gate, []
    if any(r.outcome == FAIL for r in results):
        later.append(GateResult("tests", SKIP, "not run: an earlier gate failed"))
    else:
        later += _forge_gates(ws, waived)
        later.append(_command_gate(ws, "tests", cfg.tests, tests_key, cfg.junit) if cfg.tests else
                     GateResult("tests", SKIP, "no [gate] tests command configured"))
        if cfg.audit:
            later.append(GateResult("audit", SKIP, "waived for this hotfix") if "audit" in waived else
                         _command_gate(ws, "audit", cfg.audit))
    for result in later:
        report.stage(_MARKS[result.outcome], f"gate {result.name}", result.detail)
    failed = [r for r in [*results, *later] if r.outcome == FAIL]
    if failed:
        raise GateFailed("Gate failed: " + "; ".join(f"{r.name}: {r.detail}" for r in failed) +
                         f" (in {ws.app}). Nothing was built or deployed; fix this and run the command again.")
