"""The monitoring window's decision, as a table (Argo Rollouts' meanings)."""

from __future__ import annotations

import pytest

from deploylib.config.load import WindowPolicy
from deploylib.model import CheckResult, Verdict
from deploylib.validate.monitor import decide

P, F, E, I = Verdict.PASS, Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE  # noqa: E741


def rounds(*per_round: tuple[Verdict, ...], severity: str = "critical") -> list[list[CheckResult]]:
    return [[CheckResult(f"check{i}", v, "", "", 0.0, severity) for i, v in enumerate(verdicts)]
            for verdicts in per_round]


@pytest.mark.parametrize(("history", "policy", "final", "outcome", "rollback"), [
    (((P, P),), WindowPolicy(), True, "pass", False),
    (((P, F),), WindowPolicy(), True, "fail", True),  # failure_limit 0: the first failure fails
    (((F,), (P,)), WindowPolicy(failure_limit=1), True, "pass", False),  # one failure tolerated
    (((F,), (F,)), WindowPolicy(failure_limit=1), True, "fail", True),
    (((E,),), WindowPolicy(), True, "error", True),  # the window ended without a measurement
    (((E,), (P,)), WindowPolicy(), True, "pass", False),  # a slow start that recovered
    (((E,), (E,)), WindowPolicy(), False, "pass", False),  # still measuring, within the error limit
    (((E,),) * 5, WindowPolicy(), False, "error", True),  # 5 errors in a row > consecutive_error_limit 4
    (((E,),) * 2, WindowPolicy(consecutive_error_limit=1), False, "error", True),
    (((I,),), WindowPolicy(), True, "inconclusive", False),  # no data warns by default
    (((I,),), WindowPolicy(on_inconclusive="rollback"), True, "inconclusive", True),
    (((F,),), WindowPolicy(on_fail="warn"), True, "fail", False),
    (((E,),), WindowPolicy(on_error="warn"), True, "error", False),
    (((F, E),), WindowPolicy(), True, "fail", True),  # the worst outcome wins
])
def test_decide(history: tuple[tuple[Verdict, ...], ...], policy: WindowPolicy, final: bool, outcome: str,
                rollback: bool) -> None:
    decision = decide(rounds(*history), policy, final)
    assert (decision.outcome, decision.rollback) == (outcome, rollback)


def test_minor_checks_only_warn() -> None:
    decision = decide(rounds((F,), severity="minor"), WindowPolicy(), final=True)
    assert (decision.outcome, decision.rollback) == ("pass", False)
    assert decision.warnings == ["check0 (minor): fail, 1 failed result(s), failure_limit 0"]


def test_reasons_name_each_failing_critical_check() -> None:
    decision = decide(rounds((F, P, E)), WindowPolicy(), final=True)
    assert decision.reasons == ["check0: fail, 1 failed result(s), failure_limit 0",
                                "check2: error, 1 error(s) in a row: it could not be measured"]
