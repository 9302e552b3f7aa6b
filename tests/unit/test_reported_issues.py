"""The user-reported issues check judged from what the forge answered: pure, with `ask` standing in for it."""

from __future__ import annotations

from deploylib.errors import ReleaseError
from deploylib.forge.base import Issue
from deploylib.model import Verdict
from deploylib.validate.issues import ReportedIssues


def issue(number: int, title: str, *labels: str) -> Issue:
    return Issue(number, title, labels, f"https://github.com/acme/site/issues/{number}", "2026-11-29T21:05:00Z")


def check(answers: dict[str, list[Issue]]) -> ReportedIssues:
    return ReportedIssues(labels=tuple(answers), since="2026-11-29T21:00:00Z", ask=lambda label, since: answers[label])


def test_no_new_issue_passes() -> None:
    result = check({"bug": [], "p0": []}).measure("", None)  # type: ignore[arg-type]
    assert (result.verdict, result.seen) == (Verdict.PASS, "none opened")
    assert result.expected == "no issue labelled bug or p0 opened since 2026-11-29T21:00:00Z"


def test_an_issue_with_two_watched_labels_counts_once_and_is_linked() -> None:
    both = issue(7, "Checkout fails", "bug", "p0")
    result = check({"bug": [both], "p0": [both, issue(9, "Blank page", "p0")]}).measure("", None)  # type: ignore[arg-type]
    assert result.verdict is Verdict.FAIL
    assert result.seen == "2 opened since the switch: #7 'Checkout fails'; #9 'Blank page'"
    assert result.details["issues"] == ["[#7 Checkout fails (bug, p0)](https://github.com/acme/site/issues/7)",
                                        "[#9 Blank page (p0)](https://github.com/acme/site/issues/9)"]


def test_github_that_cannot_be_asked_is_an_error_not_a_pass() -> None:
    def ask(label: str, since: str) -> list[Issue]:
        raise ReleaseError("neither GITHUB_TOKEN nor GH_TOKEN is set")

    result = ReportedIssues(labels=("bug",), since="2026-11-29T21:00:00Z", ask=ask,
                            forge="GitHub").measure("", None)  # type: ignore[arg-type]
    assert (result.verdict, result.seen) == (Verdict.ERROR, "could not ask GitHub: neither GITHUB_TOKEN nor GH_TOKEN "
                                                            "is set")
