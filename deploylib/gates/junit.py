"""Test results in JUnit XML (the format pytest --junitxml, Playwright, Cypress, Jest and Maven write):
the counts and the failing tests, read with `junitparser` and summed over a run's report files."""

from __future__ import annotations

from pathlib import Path

from deploylib.errors import DeployError
from deploylib.values import frozen

_NAMES_SHOWN = 3


class JUnitError(DeployError):
    """A report file that is not JUnit XML."""


@frozen
class FailedTest:
    """One test a JUnit XML report lists as failed or in error."""

    name: str  # as the runner names it, e.g. "checkout › pays by card" (Playwright) or "test_pays_by_card"
    message: str  # the failure's message, or its first line of text


@frozen
class Tally:
    """What a JUnit XML report counts: tests passed, skipped, and the failed ones by name."""

    passed: int
    skipped: int
    failed: tuple[FailedTest, ...]  # failures and errors, in file order

    @property
    def total(self) -> int:
        return self.passed + self.skipped + len(self.failed)

    def describe(self, title: str, passed: str = "passed", failed: str = "failed") -> str:
        """E.g. "E2E: 41/42 passed, 1 failed: checkout › pays by card"; with passed="passing",
        "Tests: 335/335 passing"."""
        text = f"{title}: {self.passed}/{self.total} {passed}"
        if self.failed:
            names = ", ".join(test.name for test in self.failed[:_NAMES_SHOWN])
            more = f" and {len(self.failed) - _NAMES_SHOWN} more" if len(self.failed) > _NAMES_SHOWN else ""
            text += f", {len(self.failed)} {failed}: {names}{more}"
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def junit_glob_problem(pattern: str) -> str:
    """"" when `written_since` can glob `pattern`, else what is wrong with it. The rules are pathlib's
    (`Path.glob`, Python 3.11): a pattern relative to the repository, "**" only as a whole part."""
    if pattern.startswith("/"):
        return 'starts with "/": a junit glob is relative to the repository, e.g. "reports/*.xml"'
    if any("**" in part and part != "**" for part in pattern.split("/")):
        return 'has "**" inside a part: use "**" only as a whole part, e.g. "reports/**/*.xml"'
    return ""


def written_since(root: Path, pattern: str, since: float) -> list[Path]:
    """Report files matching `pattern` (a glob relative to `root`) written at or after `since` (epoch seconds):
    the ones this run wrote, not a stale report a previous run left behind."""
    return sorted(p for p in root.glob(pattern) if p.is_file() and p.stat().st_mtime >= since - 1)


def read_counts(paths: list[Path]) -> Tally:
    """Sum the test cases of every report; raises JUnitError for a file that is not JUnit XML (empty, not XML,
    another XML format) or cannot be read."""
    from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Skipped, TestSuite

    passed = skipped = 0
    failed: list[FailedTest] = []
    for path in paths:
        try:
            if not path.stat().st_size:  # ElementTree's word for it, "no element found", names no cause
                raise JUnitError(f"{path} is empty, not a JUnit XML report.")
            document = JUnitXml.fromfile(str(path))
        except JUnitXmlError:  # XML of another kind ("Invalid format."): name what it is
            raise JUnitError(f"{path} is not a JUnit XML report (its root element is <{_root_tag(path)}>, not "
                             "<testsuites> or <testsuite>).") from None
        except (OSError, SyntaxError) as err:  # lxml and ElementTree raise SyntaxError subclasses
            raise JUnitError(f"{path} is not a JUnit XML report ({err}).") from None
        for suite in [document] if isinstance(document, TestSuite) else document:
            for case in suite:
                results = case.result
                bad = next((r for r in results if isinstance(r, (Failure, Error))), None)
                if bad is not None:
                    message = (bad.message or bad.text or type(bad).__name__).strip().splitlines()
                    failed.append(FailedTest(case.name, message[0] if message else type(bad).__name__))
                elif any(isinstance(r, Skipped) for r in results):
                    skipped += 1
                else:
                    passed += 1
    return Tally(passed, skipped, tuple(failed))


def _root_tag(path: Path) -> str:
    """The root element's name of an XML file that parsed (junitparser read it), without its namespace."""
    from xml.etree import ElementTree

    return ElementTree.parse(path).getroot().tag.rpartition("}")[2]


@frozen
class GateReports:
    """What the tests gate reads in the reports its run wrote: `counts` in words ("Tests: 335/335 passing", "" when
    none could be read) and `problem`, why the gate cannot pass on them ("" when it can)."""

    counts: str
    problem: str


def gate_reports(root: Path, pattern: str, since: float) -> GateReports:
    """The reports matching `pattern` (relative to `root`) written since `since` (epoch seconds), judged for the
    tests gate. A gate told to read a report passes only on one that shows the tests ran and passed: none written,
    one that is not JUnit XML, no test case in them, or a failing test (whatever the command's exit code) is a
    problem naming the report or the glob, and the fix."""
    fix = (f"make [gate] tests write its JUnit XML to a path matching {pattern} (pytest --junitxml=PATH, Jest "
           "with jest-junit, Playwright --reporter=junit), or remove [gate] junit")
    reports = written_since(root, pattern, since)
    if not reports:
        return GateReports("", f"no JUnit XML matching {pattern} was written by this run: {fix}")
    try:
        found = read_counts(reports)
    except JUnitError as err:
        return GateReports("", f"{str(err).removesuffix('.')}: {fix}")
    counts = found.describe("Tests", "passing", "failing")
    if not found.total:
        files = f"{', '.join(map(str, reports))} {'holds' if len(reports) == 1 else 'hold'}"
        return GateReports(counts, f"{files} no test case: the tests ran none, or wrote the report before running "
                                   "them; check [gate] tests")
    return GateReports(counts, counts if found.failed else "")
