"""Reading JUnit XML as the runners teams use write it: counts, failing tests by name with their message,
and reports left behind by an earlier run ignored."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploylib.gates.junit import FailedTest, GateReports, JUnitError, Tally, gate_reports, read_counts, written_since

PLAYWRIGHT = """<testsuites name="" tests="3" failures="1" skipped="0" errors="0">
<testsuite name="checkout.spec.ts" tests="2" failures="1">
  <testcase name="checkout › shows the cart" classname="checkout.spec.ts" time="1.2"></testcase>
  <testcase name="checkout › pays by card" classname="checkout.spec.ts" time="3.1">
    <failure message="expect(locator).toHaveText(expected)" type="FAILURE">Error: timed out</failure>
  </testcase>
</testsuite>
<testsuite name="home.spec.ts" tests="1"><testcase name="home › loads" classname="home.spec.ts"/></testsuite>
</testsuites>"""
PYTEST = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="0"
skipped="1" tests="3"><testcase classname="e2e.test_shop" name="test_home"/>
<testcase classname="e2e.test_shop" name="test_search"><skipped message="not on staging"/></testcase>
<testcase classname="e2e.test_shop" name="test_login"><error message="">ConnectionError: refused
more lines</error></testcase></testsuite></testsuites>"""
BARE_SUITE = """<testsuite name="jest" tests="1"><testcase name="cart adds an item"/></testsuite>"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "counts"), [
    (PLAYWRIGHT, Tally(2, 0, (FailedTest("checkout › pays by card", "expect(locator).toHaveText(expected)"),))),
    (PYTEST, Tally(1, 1, (FailedTest("test_login", "ConnectionError: refused"),))),  # no message: the text
    (BARE_SUITE, Tally(1, 0, ())),  # a file whose root is a single <testsuite>
])
def test_reports_of_each_runner_are_counted(tmp_path: Path, text: str, counts: Tally) -> None:
    assert read_counts([write(tmp_path, "r.xml", text)]) == counts


def test_counts_are_summed_over_every_report(tmp_path: Path) -> None:
    found = read_counts([write(tmp_path, "a.xml", PLAYWRIGHT), write(tmp_path, "b.xml", BARE_SUITE)])
    assert (found.passed, found.total) == (3, 4)


@pytest.mark.parametrize(("counts", "args", "text"), [
    (Tally(41, 0, (FailedTest("checkout › pays by card", "x"),)), ("E2E",),
     "E2E: 41/42 passed, 1 failed: checkout › pays by card"),
    (Tally(335, 0, ()), ("Tests", "passing", "failing"), "Tests: 335/335 passing"),
    (Tally(3, 2, ()), ("E2E",), "E2E: 3/5 passed, 2 skipped"),
    (Tally(0, 0, tuple(FailedTest(f"t{i}", "") for i in range(5))), ("E2E",),
     "E2E: 0/5 passed, 5 failed: t0, t1, t2 and 2 more"),
])
def test_counts_in_words(counts: Tally, args: tuple, text: str) -> None:
    assert counts.describe(*args) == text


@pytest.mark.parametrize(("text", "why"), [
    ("<testsuites", r"r\.xml is not a JUnit XML report \(unclosed token: line 1, column 0\)\."),
    ("<html><body/></html>", r"r\.xml is not a JUnit XML report \(its root element is <html>, not <testsuites> or "
                             r"<testsuite>\)\."),
    ('<svg xmlns="http://www.w3.org/2000/svg"/>', r"its root element is <svg>, not"),
    ("", r"r\.xml is empty, not a JUnit XML report\."),
    ("tests passed", r"r\.xml is not a JUnit XML report \(syntax error: line 1, column 0\)\."),
])
def test_a_file_that_is_not_junit_is_named(tmp_path: Path, text: str, why: str) -> None:
    with pytest.raises(JUnitError, match=why):
        read_counts([write(tmp_path, "r.xml", text)])


def test_only_reports_written_by_this_run_count(tmp_path: Path) -> None:
    stale = write(tmp_path, "results/old.xml", BARE_SUITE)
    os.utime(stale, (1_000_000, 1_000_000))
    fresh = write(tmp_path, "results/new.xml", BARE_SUITE)
    write(tmp_path, "other/new.xml", BARE_SUITE)
    assert written_since(tmp_path, "results/*.xml", fresh.stat().st_mtime) == [fresh]


FIX = ("make [gate] tests write its JUnit XML to a path matching reports/*.xml (pytest --junitxml=PATH, Jest with "
       "jest-junit, Playwright --reporter=junit), or remove [gate] junit")
SKIPPING = """<testsuite name="pytest" tests="2"><testcase name="test_home"/>
<testcase name="test_search"><skipped message="not on staging"/></testcase></testsuite>"""


@pytest.mark.parametrize(("reports", "judged"), [
    ({"reports/r.xml": BARE_SUITE}, GateReports("Tests: 1/1 passing", "")),
    ({"reports/r.xml": SKIPPING}, GateReports("Tests: 1/2 passing, 1 skipped", "")),  # a skipped test fails nothing
    ({}, GateReports("", f"no JUnit XML matching reports/*.xml was written by this run: {FIX}")),
    ({"reports/r.xml": ""}, GateReports("", "{root}/reports/r.xml is empty, not a JUnit XML report: " + FIX)),
    ({"reports/r.xml": "5 passed"}, GateReports("", "{root}/reports/r.xml is not a JUnit XML report (syntax error: "
                                                    "line 1, column 0): " + FIX)),
    ({"reports/r.xml": "<testsuite name='pytest' tests='3'><testcase name='t'>"},
     GateReports("", "{root}/reports/r.xml is not a JUnit XML report (no element found: line 1, column 54): "
                     + FIX)),  # cut short: the runner was killed while writing it
    ({"reports/r.xml": "<coverage/>"}, GateReports("", "{root}/reports/r.xml is not a JUnit XML report (its root "
                                                       "element is <coverage>, not <testsuites> or <testsuite>): "
                                                       + FIX)),
    ({"reports/a.xml": BARE_SUITE, "reports/b.xml": "<coverage/>"},
     GateReports("", "{root}/reports/b.xml is not a JUnit XML report (its root element is <coverage>, not "
                     "<testsuites> or <testsuite>): " + FIX)),  # one bad report among good ones
    ({"reports/r.xml": "<testsuites/>"}, GateReports("Tests: 0/0 passing", "{root}/reports/r.xml holds no test case: "
                                                     "the tests ran none, or wrote the report before running them; "
                                                     "check [gate] tests")),
    ({"reports/a.xml": "<testsuite name='a'/>", "reports/b.xml": "<testsuites/>"},
     GateReports("Tests: 0/0 passing", "{root}/reports/a.xml, {root}/reports/b.xml hold no test case: the tests ran "
                                       "none, or wrote the report before running them; check [gate] tests")),
    ({"reports/r.xml": PLAYWRIGHT}, GateReports("Tests: 2/3 passing, 1 failing: checkout › pays by card",
                                             "Tests: 2/3 passing, 1 failing: checkout › pays by card")),
], ids=["passing", "skipped", "none written", "empty", "not XML", "cut short", "another XML", "one of two bad",
        "no test", "no test in two", "failing"])
def test_the_tests_gate_passes_only_on_reports_showing_the_tests_ran_and_passed(
        tmp_path: Path, reports: dict[str, str], judged: GateReports) -> None:
    for name, text in reports.items():
        write(tmp_path, name, text)
    expected = GateReports(judged.counts, judged.problem.replace("{root}", str(tmp_path)))
    assert gate_reports(tmp_path, "reports/*.xml", since=0) == expected


def test_a_report_left_by_an_earlier_run_is_none_written_by_this_one(tmp_path: Path) -> None:
    os.utime(write(tmp_path, "reports/r.xml", BARE_SUITE), (1_000_000, 1_000_000))
    assert gate_reports(tmp_path, "reports/*.xml", since=2_000_000).problem.startswith(
        "no JUnit XML matching reports/*.xml was written by this run")
