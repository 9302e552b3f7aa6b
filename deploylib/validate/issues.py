"""User-reported issues as a check: with `issue_labels` under an environment's validation, an issue
carrying one of them that was opened after the switch (as the forge answers) fails the round. Not a
`kind` users write: the pipeline adds it for the monitoring window."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING

from deploylib.errors import DeployError
from deploylib.forge.base import Issue
from deploylib.model import CheckResult, Verdict
from deploylib.validate.base import Check
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

# (label, since) -> the issues with that label created at or after `since`
AskIssues = Callable[[str, str], list[Issue]]
_SHOWN = 3


def describe_issues(issues: list[Issue]) -> list[str]:
    """Markdown links, e.g. "[#12 Checkout fails (bug)](https://github.com/acme/site/issues/12)", one per
    issue, in the given order."""
    return [f"[#{i.number} {i.title} ({', '.join(i.labels)})]({i.url})" for i in issues]


@frozen(kw_only=True)
class ReportedIssues(Check):
    """FAIL when any issue carrying one of `labels` was opened at or after `since`; ERROR when the forge
    could not be asked (a DeployError from `ask`, e.g. no token or the forge down); PASS otherwise."""

    labels: tuple[str, ...]
    since: str  # the switch, ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"
    ask: AskIssues = field(compare=False, repr=False)
    forge: str = "the forge"  # its name in messages, e.g. "GitHub"

    def describe(self) -> str:
        return "user-reported issues"

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        started = time.perf_counter()
        expected = f"no issue labelled {' or '.join(self.labels)} opened since {self.since}"
        try:
            found = {i.number: i for label in self.labels for i in self.ask(label, self.since)}
        except DeployError as err:  # no token, the forge down: nothing was measured
            return self.result(Verdict.ERROR, expected, f"could not ask {self.forge}: {err}",
                               time.perf_counter() - started)
        seconds = time.perf_counter() - started
        if not found:
            return self.result(Verdict.PASS, expected, "none opened", seconds)
        issues = sorted(found.values(), key=lambda i: i.number)
        shown = "; ".join(f"#{i.number} {i.title!r}" for i in issues[:_SHOWN])
        more = f" and {len(issues) - _SHOWN} more" if len(issues) > _SHOWN else ""
        return self.result(Verdict.FAIL, expected, f"{len(issues)} opened since the switch: {shown}{more}", seconds,
                           issues=describe_issues(issues))
