"""The team's own suites through doit: the gate's unit tests counted from their JUnit XML, and an
end-to-end pytest suite run against the environment after the switch; one failing E2E test rolls the
release back and the incident names it with its message."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import git, local_production, run_doit, user_repo
from tests.deploytoml import check, table
from tests.fakes.app import App

pytestmark = pytest.mark.slow

PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"
GATE = table("gate", tests=f"{PYTEST} tests --junitxml=reports/unit.xml", junit="reports/*.xml")
CHECKS = (check("production", name="home", path="/")
          + check("production", kind="command", name="e2e", command=f"{PYTEST} e2e --junitxml=results/e2e.xml",
                  junit="results/*.xml", timeout_s=120))
UNIT_TESTS = """
def test_prices_add_up():
    assert 2 + 2 == 4

def test_vat_is_twenty_percent():
    assert round(100 * 1.2) == 120
"""
E2E_SUITE = """import os
import urllib.request

BASE = os.environ["BASE_URL"]

def get(path):
    with urllib.request.urlopen(BASE + path) as answer:
        return answer.read().decode()

def test_home_page():
    assert "Shop" in get("/")

def test_pays_by_card():
    assert get("/checkout") == "paid", "the card payment was declined"

def test_the_suite_knows_where_it_runs():
    assert (os.environ["DEPLOY_ENV"], os.environ["DEPLOY_URL"]) == ("production", BASE)
    assert os.environ["DEPLOY_VERSION"].count(".") == 2
"""


@pytest.fixture
def shop(tmp_path: Path, app: App) -> Path:
    current = tmp_path / "live" / "current"
    app.route("/", lambda request: (200, {}, (current / "index.html").read_text()))
    app.route("/checkout", lambda request: (200, {}, (current / "checkout.txt").read_text()))
    return user_repo(tmp_path / "shop", {
        "site/index.html": "<h1>Shop</h1>", "site/checkout.txt": "paid", "tests/test_unit.py": UNIT_TESTS,
        "e2e/test_shop.py": E2E_SUITE, ".gitignore": "out/\nreports/\nresults/\n",
        "deploy.toml": GATE + local_production(app.url) + CHECKS})


def test_the_gate_and_the_e2e_suite_report_their_counts(shop: Path) -> None:
    result = run_doit(shop, "deploy:production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ gate tests" in result.stdout and "Tests: 2/2 passing in " in result.stdout
    assert "✓ validate e2e" in result.stdout and "E2E: 3/3 passed" in result.stdout
    assert "    │ 3 passed" in result.stdout  # the suite's own output, streamed


def test_a_failing_e2e_test_rolls_back_and_the_incident_names_it(shop: Path) -> None:
    assert run_doit(shop, "deploy:production").returncode == 0
    (shop / "site" / "checkout.txt").write_text("declined")
    git(shop, "commit", "-qam", "feat: the new payment provider")
    result = run_doit(shop, "deploy:production")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "✗ validate e2e" in result.stdout
    assert "E2E: 2/3 passed, 1 failed: test_pays_by_card" in result.stdout
    incidents = shop / ".deploylib" / "incidents"
    failed = json.loads(next(incidents.glob("*.json")).read_text())["failed_checks"][0]
    assert failed["details"]["failed_tests"] == [
        "test_pays_by_card: AssertionError: the card payment was declined"]
    markdown = next(incidents.glob("*.md")).read_text()
    assert "- `test_pays_by_card: AssertionError: the card payment was declined`" in markdown


def test_a_failing_unit_test_stops_the_gate_with_the_counts(shop: Path) -> None:
    (shop / "tests" / "test_unit.py").write_text(UNIT_TESTS.replace("== 120", "== 121"))
    git(shop, "commit", "-qam", "fix: vat")
    result = run_doit(shop, "deploy:production")
    assert result.returncode != 0
    assert "Tests: 1/2 passing, 1 failing: test_vat_is_twenty_percent" in result.stdout


@pytest.mark.parametrize(("report", "said"), [
    (None, "exit 0, but no JUnit XML matching reports/*.xml was written by this run: make [gate] tests write its "
           "JUnit XML to a path matching reports/*.xml"),
    ("", "exit 0, but {repo}/reports/unit.xml is empty, not a JUnit XML report: make [gate] tests write"),
    ("2 passed", "exit 0, but {repo}/reports/unit.xml is not a JUnit XML report (syntax error: line 1, column 0): "),
    ("<coverage/>", "exit 0, but {repo}/reports/unit.xml is not a JUnit XML report (its root element is <coverage>, "
                    "not <testsuites> or <testsuite>): make [gate] tests write"),
    ("<testsuites/>", "exit 0, but {repo}/reports/unit.xml holds no test case: the tests ran none"),
    ("<testsuite name='unit'><testcase name='test_vat'><failure message='off by one'/></testcase></testsuite>",
     "exit 0, but Tests: 0/1 passing, 1 failing: test_vat"),
], ids=["none written", "empty", "not XML", "another XML", "no test", "failing with exit 0"])
def test_a_gate_that_cannot_read_a_passing_report_fails_though_the_tests_exit_0(
        tmp_path: Path, report: str | None, said: str) -> None:
    tests = "true" if report is None else f"mkdir -p reports && printf '%s' \"{report}\" > reports/unit.xml"
    repo = user_repo(tmp_path / "shop", {
        "site/index.html": "<h1>Shop</h1>", ".gitignore": "out/\nreports/\n",
        "deploy.toml": table("gate", tests=tests, junit="reports/*.xml") + local_production("http://127.0.0.1:9")
        + check("production", path="/")})
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"✗ Gate failed: tests: {said.format(repo=repo)}" in result.stderr
    assert "Nothing was built or deployed" in result.stderr and "Traceback" not in result.stderr
    assert not (repo / ".deploylib" / "build.json").exists() and git(repo, "tag", "--list") == ""
