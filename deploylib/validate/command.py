"""Command checks: the team's own end-to-end suite (`npx playwright test`, `npx cypress run`,
`pytest e2e/`) run against the environment. It gets DEPLOY_URL and BASE_URL (where the release
answers), DEPLOY_ENV and DEPLOY_VERSION; exit 0 passes. With `junit`, the JUnit XML reports the
run wrote give the counts and the failing tests' names and messages."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib.config.schema import option
from deploylib.gates.junit import JUnitError, junit_glob_problem, read_counts, written_since
from deploylib.model import CheckResult, Verdict
from deploylib.programs import program_problem
from deploylib.runner import run_shell
from deploylib.validate.base import Check, Round, measure_alone
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession


@frozen(kw_only=True)
class CommandCheck(Check):
    """`kind = "command"`: the suite runs in the repository (the current folder when unknown) through the
    shell, stopped after `timeout_s` seconds (ERROR). Without `junit`, exit 0 passes; with it, the JUnit
    XML files matching `junit` written during this run decide (none written, or holding no test: INCONCLUSIVE
    after exit 0, as nothing was shown to work; unreadable: ERROR)."""

    command: str = option(doc='a shell command that runs the end-to-end suite, e.g. "npx playwright test"',
                          check=lambda v: "" if v.strip() else "is empty")
    junit: str = option("", doc='a glob of the JUnit XML files the suite writes, relative to the repository, '
                                'e.g. "results/*.xml"', check=junit_glob_problem)
    env: dict[str, str] = option(factory=dict, doc='a table of extra environment variables, e.g. {CI = "1"}')
    timeout_s: float = option(600.0, doc="seconds the suite may run before it is stopped and the check errors, "
                                         "e.g. 600", check=lambda v: "" if v > 0 else "must be positive")

    def describe(self) -> str:
        return self.command

    def missing(self, root: Path) -> str:
        """The program the suite starts, when it is not installed or cannot start (see `program_problem`)."""
        problem = program_problem(self.command, root)
        return f"command = {json.dumps(self.command)} {problem}" if problem else ""

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        return measure_alone(self, base_url, session)

    def run(self, within: Round) -> CheckResult:
        deployed, since = within.deployed, time.time()
        root = deployed.root or Path.cwd()
        env = {**self.env, "DEPLOY_URL": within.base_url, "BASE_URL": within.base_url,
               "DEPLOY_ENV": deployed.environment, "DEPLOY_VERSION": deployed.version}
        outcome = run_shell(self.command, root, deployed.echo or (lambda line: None), env, self.timeout_s)
        expected = "exit 0" + (f", every test in {self.junit} passes" if self.junit else "")
        if outcome.timed_out:
            return self.result(Verdict.ERROR, expected, outcome.explain(), outcome.seconds, output=outcome.tail)
        if not self.junit:
            verdict, seen = (Verdict.PASS, f"exit 0 in {outcome.seconds:.1f} s") if outcome.ok else \
                (Verdict.FAIL, outcome.explain())
            return self.result(verdict, expected, seen, outcome.seconds, output=outcome.tail)
        reports = written_since(root, self.junit, since)
        if not reports:
            verdict = Verdict.INCONCLUSIVE if outcome.ok else Verdict.FAIL
            return self.result(verdict, expected, f"{outcome.explain() if not outcome.ok else 'exit 0'}, but no JUnit "
                               f"XML matching {self.junit} was written by this run", outcome.seconds,
                               output=outcome.tail)
        try:
            counts = read_counts(reports)
        except JUnitError as err:
            return self.result(Verdict.ERROR, expected, str(err), outcome.seconds, output=outcome.tail)
        summary = counts.describe("E2E")
        if outcome.ok and not counts.total:
            return self.result(Verdict.INCONCLUSIVE, expected, f"exit 0, but the JUnit XML matching {self.junit} "
                               f"holds no test: {summary}", outcome.seconds, summary=summary, output=outcome.tail)
        failing = not outcome.ok or bool(counts.failed)
        seen = f"{summary}" + (f" ({outcome.explain()})" if not outcome.ok else "")
        return self.result(Verdict.FAIL if failing else Verdict.PASS, expected, seen, outcome.seconds,
                           summary=summary, failed_tests=[f"{t.name}: {t.message}" for t in counts.failed],
                           output=outcome.tail)
