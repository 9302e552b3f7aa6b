"""Text a page, a check or a commit said, put into the incident report and the job summary: it shows as
written when the Markdown is rendered."""

from __future__ import annotations

import pytest

from deploylib import ci, events
from deploylib.markdown import table_cell
from deploylib.model import CheckResult, Incident, IncidentOutcome, Release, Verdict
from deploylib.report import incident_markdown
from deploylib.result import RunResult

SEEN = "status 200, body lacks 'Welcome': '<!-- built by Hugo <h1>A | B</h1> **new** [x](y) `z` ~~old~~ _u_ \\\\ !'"


@pytest.mark.parametrize(("text", "cell"), [
    ("<!-- an unclosed comment", "\\<\\!-- an unclosed comment"),  # would hide all that follows
    ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
    ("A | B", "A \\| B"), ("**bold** _it_ ~~gone~~", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~"),
    ("[link](https://x)", "\\[link\\](https://x)"), ("C:\\path", "C:\\\\path"),
    # a code span stays one (deploylib's words put commands in them); nothing in it is markup but its `|`
    ("`npm test | tee log` exited", "`npm test | tee log` exited".replace("|", "\\|")),
    ("``a ` b`` <b>", "``a ` b`` \\<b\\>"), ("a lone ` tick", "a lone \\` tick"),
    ("two\nlines\r\nhere", "two lines here"), ("café · 42", "café · 42"), (404, "404"),
])
def test_a_table_cell_shows_its_text_as_written(text: object, cell: str) -> None:
    assert table_cell(text) == cell


def test_the_incident_report_escapes_what_the_page_and_the_commits_said() -> None:
    release = Release("1.0.1-ab", "1.0.1", "sha256:ab", "c" * 40)
    failed = CheckResult("home", Verdict.FAIL, "body contains 'Welcome'", SEEN, 0.01)
    report = incident_markdown(Incident("production", release, None, IncidentOutcome.NOTHING_BEFORE,
                                        [("12:00:00", "switched")], [failed], [],
                                        commits=["abc1234 fix: escape <script> in titles"]))
    assert "<!--" not in report and "<h1>" not in report and "<script>" not in report
    assert "| home | fail | body contains 'Welcome' | status 200, body lacks 'Welcome': '\\<\\!-- built" in report
    assert "- abc1234 fix: escape \\<script\\> in titles" in report


def test_the_job_summary_escapes_what_a_check_saw() -> None:
    result = RunResult("deploy:production")
    result(events.RoundFinished("validate", 1, (CheckResult("home", Verdict.FAIL, "200", SEEN, 0.01),), 1, 0.0))
    summary = ci.summary_markdown(result.to_dict())
    assert "<!--" not in summary and "\\<\\!-- built by Hugo \\<h1\\>A \\| B\\</h1\\>" in summary
