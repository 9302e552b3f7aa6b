"""Build gates judged on a build output: sizes, source maps, minification, warnings."""

from __future__ import annotations

from deploylib.build.gates import (
    Budget,
    budget_results,
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
