"""The monitoring window's verdict, with Argo Rollouts' meanings: pure, no I/O.

Each check measures once per round. A check has *failed* when its failures exceed
`failure_limit`; it is in *error* when its errors in a row exceed `consecutive_error_limit`, or the
window ends on an error (it never could be measured); it is *inconclusive* when its no-data results
exceed `inconclusive_limit`. Critical checks decide the outcome, and the policy says which outcomes
roll back; minor checks only ever warn. A decision to roll back ends the window early.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploylib.model import CheckResult, Severity, Verdict
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.config.load import WindowPolicy

_WORST_FIRST = (Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.PASS)


@frozen
class Decision:
    """The window's verdict so far (or final)."""

    outcome: Verdict  # the worst state of a critical check
    rollback: bool  # the policy says this outcome takes the release down
    reasons: list[str]  # per critical check that is not passing, why
    warnings: list[str]  # minor checks that are not passing, and critical outcomes the policy only warns on


def check_state(verdicts: list[Verdict], policy: WindowPolicy, final: bool) -> tuple[Verdict, str]:
    """(state, why) of one check from its results so far, oldest first: state is FAIL, ERROR,
    INCONCLUSIVE or PASS (checked in that order, see the module docstring), `why` the counts in
    words ("" for a pass). `final`: this is the window's last round. Pure."""
    failures = verdicts.count(Verdict.FAIL)
    trailing_errors = len(verdicts) - len(list(_rstrip(verdicts, Verdict.ERROR)))
    no_data = verdicts.count(Verdict.INCONCLUSIVE)
    if failures > policy.failure_limit:
        return Verdict.FAIL, f"{failures} failed result(s), failure_limit {policy.failure_limit}"
    if trailing_errors > policy.consecutive_error_limit or (final and verdicts and verdicts[-1] is Verdict.ERROR):
        return Verdict.ERROR, f"{trailing_errors} error(s) in a row: it could not be measured"
    if no_data > policy.inconclusive_limit:
        return Verdict.INCONCLUSIVE, f"{no_data} result(s) without data"
    return Verdict.PASS, ""


def _rstrip(verdicts: list[Verdict], value: Verdict) -> list[Verdict]:
    end = len(verdicts)
    while end and verdicts[end - 1] is value:
        end -= 1
    return verdicts[:end]


def decide(rounds: list[list[CheckResult]], policy: WindowPolicy, final: bool) -> Decision:
    """The decision after `rounds` (oldest first; results matched across rounds by check name). The
    outcome is the worst state of a critical check; a check's severity is that of its latest result. Pure."""
    by_check: dict[str, list[CheckResult]] = {}
    for results in rounds:
        for result in results:
            by_check.setdefault(result.name, []).append(result)
    outcome, reasons, warnings = Verdict.PASS, list[str](), list[str]()
    for name, results in by_check.items():
        state, why = check_state([r.verdict for r in results], policy, final)
        if state is Verdict.PASS:
            continue
        if results[-1].severity == Severity.MINOR:
            warnings.append(f"{name} (minor): {state}, {why}")
            continue
        if _WORST_FIRST.index(state) < _WORST_FIRST.index(outcome):
            outcome = state
        (reasons if policy.action(state) == "rollback" else warnings).append(f"{name}: {state}, {why}")
    return Decision(outcome, policy.action(outcome) == "rollback", reasons, warnings)
