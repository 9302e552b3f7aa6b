"""Build gates judged on a build output: sizes, source maps, minification, warnings."""

from __future__ import annotations

import pytest

from deploylib.build.gates import (
    Budget,
    budget_results,
    glob_matcher,
    looks_unminified,
    missing_source_maps,
    unminified,
    warning_lines,
)
from deploylib.model import FAIL, PASS

FILES = {"index.html": b"<html>" * 100, "js/app.js": b"x" * 3000, "js/vendor.js": b"y" * 9000,
         "css/site.css": b"a{}" * 100}


def test_a_budget_within_limits_passes_and_shows_the_sizes() -> None:
    (result,) = budget_results(FILES, (Budget(glob="**/*.js", max="20 KB", max_gzip="1 KB"),))
    assert result.outcome == PASS and result.detail.startswith("**/*.js: 11.7 KiB / 19.5 KiB (20 KB), gzip ")
    assert "(2 files)" in result.detail


def test_a_budget_over_its_limit_names_the_biggest_files() -> None:
    (result,) = budget_results(FILES, (Budget(glob="**/*.js", max="10 KB"),))
    assert result.outcome == FAIL and "biggest: js/vendor.js 8.8 KiB, js/app.js 2.9 KiB" in result.detail


def test_a_budget_over_its_limit_says_by_how_much() -> None:
    (result,) = budget_results(FILES, (Budget(glob="**/*.js", max="10 KB"),))
    assert result.detail.startswith("**/*.js: 11.7 KiB / 9.8 KiB (10 KB), over by 2.0 KiB (2 files)")


def test_a_budget_one_byte_over_says_one_byte() -> None:
    (result,) = budget_results(FILES, (Budget(glob="js/app.js", max="2999"),))
    assert result.outcome == FAIL and "over by 1 B" in result.detail


def test_a_total_budget_covers_every_file() -> None:
    (result,) = budget_results(FILES, (Budget(max="12 KB"),))
    assert result.outcome == FAIL and "(4 files)" in result.detail


@pytest.mark.parametrize(("glob", "path", "covered"), [
    ("js/*.js", "js/app.js", True),
    ("js/*.js", "js/vendor/x.js", False),  # "*" stays within one folder, as in every shell
    ("*.js", "app.js", True),
    ("*.js", "js/app.js", False),
    ("**/*.js", "app.js", True),  # "**" spans any number of folders, none included
    ("**/*.js", "js/vendor/x.js", True),
    ("js/**", "js/vendor/x.js", True),
    ("js/**", "css/site.css", False),
    ("js/**/*.js", "js/app.js", True),
    ("**", "index.html", True),
    ("**", ".well-known/security.txt", True),  # names starting with "." are files the build ships
    ("*", ".nojekyll", True),
    ("**/*.{js,css}", "css/site.css", True),
    ("**/*.{js,css}", "index.html", False),
    ("img/?.png", "img/a.png", True),
    ("img/?.png", "img/ab.png", False),
    ("img/[ab].png", "img/b.png", True),
    ("img/[ab].png", "img/c.png", False),
    ("JS/*.js", "js/app.js", False),  # case counts
    ("js/app.js", "js/app.js", True),
    ("js/app.js", "js/app.js.map", False),
])
def test_budget_globs_follow_the_shell_rule_with_globstar(glob: str, path: str, covered: bool) -> None:
    assert glob_matcher(glob)(path) is covered


def test_a_budget_on_one_folder_leaves_its_subfolders_out() -> None:
    files = {"js/app.js": b"x" * 100, "js/vendor/big.js": b"y" * 10_000}
    (result,) = budget_results(files, (Budget(glob="js/*.js", max="1 kB"),))
    assert result.outcome == PASS and "(1 files)" in result.detail


def test_source_maps_next_to_a_file_or_declared_in_it_count() -> None:
    files = {"a.js": b"x()", "a.js.map": b"{}", "b.css": b"b{}\n/*# sourceMappingURL=maps/b.map */",
             "maps/b.map": b"{}", "c.js": b"x()\n//# sourceMappingURL=data:application/json;base64,e30=",
             "d.js": b"x()", "e.css": b"e{}\n/*# sourceMappingURL=gone.map */"}
    assert missing_source_maps(files) == ["d.js", "e.css"]


def test_indented_or_commented_code_looks_unminified() -> None:
    source = b"/* the header */\nbody {\n  margin: 0;\n  padding: 0;\n}\n// note\n"
    minified = b"/*! licence */\nbody{margin:0;padding:0}\n/*# sourceMappingURL=a.css.map */"
    assert looks_unminified(source) and not looks_unminified(minified)
    assert unminified({"a.css": source, "b.css": minified, "c.html": source}) == ["a.css"]


def test_warning_lines_are_found_by_pattern() -> None:
    lines = ["building…", "WARNING: chunk is 600 KB", "warn - unused export", "done, 0 warnings? no"]
    assert warning_lines(lines, [r"(?i)\bwarn(ing)?\b"]) == ["WARNING: chunk is 600 KB", "warn - unused export"]


def test_lighthouse_scores_against_their_minimums() -> None:
    from deploylib.build.gates import judge_lighthouse

    report = {"categories": {"performance": {"score": 0.95}, "accessibility": {"score": 0.72}, "seo": {"score": None}}}
    ok = judge_lighthouse("/", report, {"performance": 90})
    assert ok.outcome == PASS and ok.detail == "Lighthouse score: performance 95 (/)"
    low = judge_lighthouse("/", report, {"performance": 90, "accessibility": 90, "seo": 50})
    assert low.outcome == FAIL and low.detail == "/: accessibility 72 < 90, seo 0 < 50"


@pytest.mark.parametrize(("report", "detail"), [
    ([1, 2], "/: the report is not Lighthouse's JSON (no table of categories)"),
    ("report", "/: the report is not Lighthouse's JSON (no table of categories)"),
    ({}, "/: the report is not Lighthouse's JSON (no table of categories)"),
    ({"categories": []}, "/: the report is not Lighthouse's JSON (no table of categories)"),
    ({"categories": {"performance": []}}, "/: performance 0 < 90"),
    ({"categories": {"performance": {"score": "0.95"}}}, "/: performance 0 < 90"),
    ({"categories": {"performance": {"score": True}}}, "/: performance 0 < 90"),
    ({"categories": {"performance": {"score": 95}}}, "/: performance 0 < 90"),  # out of 0-1: not a Lighthouse score
    ({"categories": {"performance": {"score": float("nan")}}}, "/: performance 0 < 90"),
])
def test_a_report_of_another_shape_fails_the_lighthouse_gate_saying_why(report: object, detail: str) -> None:
    from deploylib.build.gates import judge_lighthouse

    judged = judge_lighthouse("/", report, {"performance": 90})
    assert (judged.outcome, judged.detail) == (FAIL, detail)

