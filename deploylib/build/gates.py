"""Build gates, judged on the build output alone (pure: files in, results out): size budgets on raw
and gzip sizes, a source map for every script and stylesheet, scripts and stylesheets minified,
and no warning lines in the build's output."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath

from deploylib.config.schema import option
from deploylib.model import FAIL, PASS, GateResult
from deploylib.programs import command_problem
from deploylib.sizes import format_size, parse_size, restate, size_problem
from deploylib.values import frozen

_CODE = (".js", ".mjs", ".css")
# The Source Map v3 comment, "//# sourceMappingURL=…" or "/*# … */" ("@" is the older form).
_MAP_COMMENT = re.compile(r"[#@] sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$")


def _glob_problem(glob: str) -> str:
    """"" for a glob relative to the build output; "" itself, a leading "/" and "." or ".." parts are
    refused, as they would match nothing (paths in the build output are plain relative paths)."""
    if not glob.strip():
        return "is empty"
    if glob.startswith("/"):
        return 'starts with "/": globs are relative to the build output, e.g. "js/*.js"'
    if any(part in (".", "..") for part in glob.split("/")):
        return 'has a "." or ".." part: globs are relative to the build output, e.g. "js/*.js"'
    if "{" not in glob:  # only braces expand a glob into several (glob_matcher's flags): no wcmatch to load
        return ""
    from wcmatch._wcparse import PatternLimitException  # documented, but exported only there

    try:
        glob_matcher(glob)
    except PatternLimitException:  # e.g. "{1..100000}": wcmatch refuses to expand more than 1000 patterns
        return "expands to more than 1000 patterns (its {a,b} or {1..N} braces); cover the files with fewer"
    return ""


@frozen
class Budget:
    """`[[build.budgets]]`: a glob of build output files (see `glob_matcher`) and the most their sizes may
    add up to, raw and gzipped (sizes as `deploylib.sizes.parse_size` reads them; "" : no limit)."""

    glob: str = option("**", doc='a glob of the files the budget covers, relative to the build output: "*" stays '
                                 'within a folder, "**" spans folders, e.g. "**/*.js"', check=_glob_problem)
    max: str = option("", doc='the most their raw sizes may add up to, e.g. "500 kB"', check=size_problem)
    max_gzip: str = option("", doc='the most their gzip sizes may add up to, e.g. "150 kB"', check=size_problem)


def glob_matcher(glob: str) -> Callable[[str], bool]:
    """Whether a path relative to the build output ("js/app.js", "/" separated) is one of `glob`'s files.

    The rule is the shell's with globstar, as wcmatch implements it: "*" and "?" match within one folder
    name ("js/*.js" is js/app.js, never js/vendor/x.js), "**" as a whole part spans any number of
    folders, none included ("**/*.js" is every script, "js/**" everything under js/), "[ab]" is one of
    the characters and "{js,css}" either word. Case counts, and names starting with "." match too (the
    build ships them)."""
    from wcmatch import glob as wc  # 25 ms to import: only when a build has budgets

    return wc.compile(glob, flags=wc.GLOBSTAR | wc.DOTGLOB | wc.BRACE | wc.FORCEUNIX).match


def budget_results(files: dict[str, bytes], budgets: tuple[Budget, ...]) -> list[GateResult]:
    """Each budget against the files it covers (`files`: path relative to the build output → content), one
    result per budget: the total raw (and gzip) size in IEC units against the limit as configured, by how
    much it is over, and the three biggest files when over. Raises nothing: the sizes were checked at load."""
    import gzip  # only when budgets are configured and a build ran

    results = []
    for budget in budgets:
        matches = glob_matcher(budget.glob)
        covered = {path: data for path, data in files.items() if matches(path)}
        raw = sum(len(data) for data in covered.values())
        zipped = sum(len(gzip.compress(data, mtime=0)) for data in covered.values()) if budget.max_gzip else 0
        shown, over = _against(raw, budget.max)
        parts = [shown]
        if budget.max_gzip:
            shown, over_gzip = _against(zipped, budget.max_gzip)
            parts, over = [*parts, f"gzip {shown}"], over or over_gzip
        detail = f"{budget.glob}: {', '.join(parts)} ({len(covered)} files)"
        if over:
            biggest = sorted(covered, key=lambda p: -len(covered[p]))[:3]
            detail += "; biggest: " + ", ".join(f"{p} {format_size(len(covered[p]))}" for p in biggest)
        results.append(GateResult("budget", FAIL if over else PASS, detail))
    return results


def _against(total: int, limit: str) -> tuple[str, bool]:
    """(text, over) for a total in bytes against a configured limit ("" : none): "490.0 KiB / 488.3 KiB
    (500 kB), over by 1.7 KiB". The limit is shown as `restate` shows it."""
    if not limit:
        return format_size(total), False
    allowed = parse_size(limit)
    text = f"{format_size(total)} / {restate(limit)}"
    return (f"{text}, over by {format_size(total - allowed)}", True) if total > allowed else (text, False)


def declared_source_maps(code: str) -> list[str]:
    """The source maps a script or stylesheet declares in its last three lines (a bundler writes the
    comment last), as written: a URL relative to the file, an absolute one, or a data: URL (an inline map)."""
    return [found[1] for line in code.rstrip().splitlines()[-3:] if (found := _MAP_COMMENT.search(line))]


def missing_source_maps(files: dict[str, bytes]) -> list[str]:
    """Scripts and stylesheets with no source map (`files`: path relative to the build output → content),
    sorted: neither `<file>.map` beside it nor a declared map that is in `files`, nor an inline one."""
    missing = []
    for path, data in files.items():
        if not path.endswith(_CODE):
            continue
        declared = declared_source_maps(data.decode("utf-8", "replace"))
        targets = {f"{path}.map"} | {str(PurePosixPath(path).parent / ref).lstrip("./")
                                     for ref in declared if not ref.startswith("data:")}
        inline = any(ref.startswith("data:") for ref in declared)
        if not inline and not targets & files.keys():
            missing.append(path)
    return sorted(missing)


def looks_unminified(data: bytes) -> bool:
    """Indented lines or comment lines (licence and source-map comments aside) in more than a tenth of the
    lines, and at least three of them: what a minifier removes."""
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]

    def telling(line: str) -> bool:
        code = line.lstrip()
        return line[:1] in (" ", "\t") or (code.startswith(("//", "/*")) and not code.startswith(("/*!", "//#", "/*#")))

    found = sum(1 for line in lines if telling(line))
    return found >= 3 and found > len(lines) / 10


def unminified(files: dict[str, bytes]) -> list[str]:
    return sorted(path for path, data in files.items() if path.endswith(_CODE) and looks_unminified(data))


def warning_lines(lines: list[str], patterns: list[str]) -> list[str]:
    compiled = [re.compile(p) for p in patterns]
    return [line for line in lines if any(p.search(line) for p in compiled)]


LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def _scores_problem(scores: dict[str, int]) -> str:
    for name, minimum in scores.items():
        if name not in LIGHTHOUSE_CATEGORIES:
            return f'names "{name}", which is not one of {", ".join(LIGHTHOUSE_CATEGORIES)}'
        if not isinstance(minimum, int) or not 0 <= minimum <= 100:
            return f"gives {name} = {minimum!r}, which is not a score from 0 to 100"
    return ""


def _pages_problem(pages: list[str]) -> str:
    """Pages are appended to the local server's URL, so each is a path: "/" first, no spaces or control characters;
    at least one, or nothing would be audited."""
    if not pages:
        return 'is empty: give at least one page, e.g. ["/"]'
    return next((f'has "{page}", which is not a path starting with "/"' for page in pages
                 if not page.startswith("/") or any(c.isspace() or not c.isprintable() for c in page)), "")


@frozen
class LighthouseConfig:
    """The `[build.lighthouse]` table: the lowest Lighthouse scores (0-100) each audited page of the build must
    reach."""

    scores: dict[str, int] = option(factory=dict, doc="a table of the lowest acceptable scores, e.g. "
                                                      "{performance = 90, accessibility = 90} (empty: no Lighthouse)",
                                    check=_scores_problem)
    pages: list[str] = option(factory=lambda: ["/"], doc='an array of pages of the build to audit, each starting '
                                                         'with "/", e.g. ["/"]', check=_pages_problem)
    command: str = option("lighthouse", doc='the Lighthouse CLI, e.g. "npx lighthouse" or a path to it',
                          check=command_problem)
    chrome_path: str = option("", doc='the Chromium or Chrome to drive (empty: $CHROME_PATH, else chromium on PATH)')


def judge_lighthouse(page: str, report: object, minimums: dict[str, int]) -> GateResult:
    """A page's Lighthouse report (its JSON, decoded) against the minimum scores: "Lighthouse score:
    performance 95, …". A category it lacks, or whose score is not a number from 0 to 1, scores 0; a report
    without a table of categories is not Lighthouse's and fails the gate, saying so."""
    categories = report.get("categories") if isinstance(report, dict) else None
    if not isinstance(categories, dict):
        return GateResult("lighthouse", FAIL, f"{page}: the report is not Lighthouse's JSON (no table of categories)")
    scores = {name: round(_score(categories.get(name)) * 100) for name in minimums}
    low = [f"{name} {scores[name]} < {minimum}" for name, minimum in minimums.items() if scores[name] < minimum]
    shown = ", ".join(f"{name} {score}" for name, score in scores.items())
    if low:
        return GateResult("lighthouse", FAIL, f"{page}: {', '.join(low)}")
    return GateResult("lighthouse", PASS, f"Lighthouse score: {shown} ({page})")


def _score(category: object) -> float:
    score = category.get("score") if isinstance(category, dict) else None
    return score if isinstance(score, int | float) and not isinstance(score, bool) and 0 <= score <= 1 else 0
