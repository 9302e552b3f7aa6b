"""Command checks run a real shell: a suite that hangs is stopped at timeout_s, and a suite that promises
JUnit XML but writes none is not taken as a pass."""

from __future__ import annotations

from pathlib import Path

from deploylib.model import Verdict
from deploylib.validate.base import Deployed
from deploylib.validate.command import CommandCheck
from deploylib.validate.runner import run_round


def test_a_suite_that_hangs_is_stopped_at_timeout_s_with_everything_it_started(tmp_path: Path) -> None:
    check = CommandCheck(command="sleep 60 & sleep 60; wait", timeout_s=0.5)
    result = run_round("http://127.0.0.1:9", [check], 1, Deployed(root=tmp_path))[0]
    assert result.verdict is Verdict.ERROR
    assert result.seen == "`sleep 60 & sleep 60; wait` did not finish within 0.5 s and was stopped"
    assert result.seconds < 10


def test_a_suite_that_writes_no_junit_is_inconclusive(tmp_path: Path) -> None:
    result = run_round("http://127.0.0.1:9", [CommandCheck(command="true", junit="results/*.xml")], 1,
                       Deployed(root=tmp_path))[0]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.seen == "exit 0, but no JUnit XML matching results/*.xml was written by this run"


def test_a_suite_without_junit_is_judged_by_its_exit_code(tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_round("http://127.0.0.1:9", [CommandCheck(command='echo "$BASE_URL"; exit 3')], 1,
                       Deployed(root=tmp_path, echo=lines.append))[0]
    assert (result.verdict, result.seen) == (Verdict.FAIL, '`echo "$BASE_URL"; exit 3` exited with code 3')
    assert lines == ["http://127.0.0.1:9"]


def test_a_suite_whose_junit_holds_no_test_is_inconclusive(tmp_path: Path) -> None:
    empty = '<testsuites><testsuite name="jest" tests="0" failures="0" errors="0"></testsuite></testsuites>'
    check = CommandCheck(command=f"mkdir -p results && echo '{empty}' > results/e2e.xml", junit="results/*.xml")
    result = run_round("http://127.0.0.1:9", [check], 1, Deployed(root=tmp_path))[0]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.seen == "exit 0, but the JUnit XML matching results/*.xml holds no test: E2E: 0/0 passed"
