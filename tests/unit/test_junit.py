"""Reading JUnit XML as the runners teams use write it: counts, failing tests by name with their message,
and reports left behind by an earlier run ignored."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploylib.gates.junit import FailedTest, JUnitError, Tally, read_counts, written_since

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


@pytest.mark.parametrize("text", ["<testsuites", "<html><body/></html>", ""])
def test_a_file_that_is_not_junit_is_named(tmp_path: Path, text: str) -> None:
    with pytest.raises(JUnitError, match=r"r\.xml is not a JUnit XML report"):
        read_counts([write(tmp_path, "r.xml", text)])


def test_only_reports_written_by_this_run_count(tmp_path: Path) -> None:
    stale = write(tmp_path, "results/old.xml", BARE_SUITE)
    os.utime(stale, (1_000_000, 1_000_000))
    fresh = write(tmp_path, "results/new.xml", BARE_SUITE)
    write(tmp_path, "other/new.xml", BARE_SUITE)
    assert written_since(tmp_path, "results/*.xml", fresh.stat().st_mtime) == [fresh]
