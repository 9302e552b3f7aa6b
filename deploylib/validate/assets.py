"""Assets: every same-origin script, stylesheet, image, srcset candidate, preload and declared
source map that the given pages reference must load, with the content type its name promises.
Also page performance, which loads a page and its assets as a browser would."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from deploylib.build.gates import declared_source_maps
from deploylib.config.schema import option
from deploylib.model import CheckResult, Verdict
from deploylib.validate.base import Check, Observed, observe, path_option, some_paths_problem, url_for

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

# Content types an asset's extension promises (any one of them is right).
EXPECTED_TYPES: dict[str, tuple[str, ...]] = {
    ".css": ("text/css",), ".js": ("application/javascript", "text/javascript"),
    ".mjs": ("application/javascript", "text/javascript"), ".json": ("application/json",),
    ".map": ("application/json", "application/octet-stream"),  # servers rarely know .map
    ".png": ("image/png",), ".jpg": ("image/jpeg",), ".jpeg": ("image/jpeg",), ".gif": ("image/gif",),
    ".webp": ("image/webp",), ".avif": ("image/avif",), ".svg": ("image/svg+xml",), ".ico": ("image/x-icon",
                                                                                            "image/vnd.microsoft.icon"),
    ".woff": ("font/woff", "application/font-woff"), ".woff2": ("font/woff2",),
}
_LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "apple-touch-icon", "manifest"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "script" and attr.get("src"):
            self.found.append(attr["src"])
        elif tag == "link" and _LINK_RELS & set(attr.get("rel", "").lower().split()) and attr.get("href"):
            self.found.append(attr["href"])
        elif tag in ("img", "source", "video", "audio"):
            if attr.get("src"):
                self.found.append(attr["src"])
            for candidate in attr.get("srcset", "").split(","):
                if candidate.strip():
                    self.found.append(candidate.strip().split()[0])


def find_assets(html: str, page_url: str) -> list[str]:
    """Absolute URLs of the same-origin assets a page references, in order, without repeats and without
    fragments. `page_url`: the page's absolute URL, which relative references resolve against (RFC 3986
    §5) and whose scheme and host:port define same-origin. data: URLs are skipped. Pure; never raises."""
    parser = _References()
    parser.feed(html)
    origin = urlsplit(page_url)[:2]
    urls = [urljoin(page_url, ref).split("#")[0] for ref in parser.found if not ref.startswith("data:")]
    return list(dict.fromkeys(u for u in urls if urlsplit(u)[:2] == origin))


def source_map(body: str, asset_url: str) -> str:
    """The source map a script or stylesheet (`body`, fetched from `asset_url`) declares in its last lines,
    as an absolute URL, or "" when it declares none or only an inline one (see `declared_source_maps`)."""
    return next((urljoin(asset_url, ref) for ref in declared_source_maps(body) if not ref.startswith("data:")), "")


def asset_problem(url: str, seen: Observed) -> str:
    """Why an asset is broken, as "<path>: <reason>" (no answer, a status other than 200, or a content
    type its extension does not allow, per EXPECTED_TYPES), or "". Extensions not listed accept any type."""
    path = urlsplit(url).path
    if seen.status is None:
        return f"{path}: no answer ({seen.error})"
    if seen.status != 200:
        return f"{path}: status {seen.status}"
    extension = path[path.rfind("."):].lower() if "." in path.rsplit("/", 1)[-1] else ""
    wanted = EXPECTED_TYPES.get(extension)
    if wanted and seen.content_type not in wanted:
        return f"{path}: served as {seen.content_type or 'no content type'}, expected {' or '.join(wanted)}"
    return ""


def load_page(session: HttpSession, url: str, timeout: float, verify: bool,
              workers: int = 8) -> tuple[Observed, dict[str, Observed]]:
    """A page, then its assets in parallel (and the source maps those declare), as a browser loads them.
    `timeout` in seconds per request; `workers`: concurrent asset requests. Returns (page, {asset URL:
    Observed}); no assets are fetched unless the page answered 200. Never raises for the network."""
    page = observe(session, "GET", url, timeout, verify)
    if page.status != 200:
        return page, {}
    assets = find_assets(page.body, url)
    seen: dict[str, Observed] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while assets:
            results = list(pool.map(lambda u: observe(session, "GET", u, timeout, verify), assets))
            seen.update(zip(assets, results, strict=True))
            assets = [m for u, o in zip(assets, results, strict=True) if o.status == 200 and
                      (m := source_map(o.body, u)) and m not in seen]
    return page, seen


@dataclass(frozen=True, kw_only=True)
class AssetsCheck(Check):
    """`kind = "assets"`: FAIL when a page or asset is broken (ERROR when none answered at all),
    INCONCLUSIVE when the pages reference no same-origin asset, else PASS."""

    pages: list[str] = option(factory=lambda: ["/"], check=some_paths_problem,
                              doc='an array of pages whose assets are checked, e.g. ["/"]')

    def describe(self) -> str:
        return f"assets of {', '.join(self.pages)}"

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        started = time.perf_counter()
        problems, count = [], 0
        for page in self.pages:
            url = url_for(base_url, page)
            page_seen, assets = load_page(session, url, self.timeout_s, self.verify_tls)
            if page_seen.status != 200:
                problems.append(asset_problem(url, page_seen) or f"{page}: not a page")
            count += len(assets)
            problems += [p for u, o in assets.items() if (p := asset_problem(u, o))]
        seconds = time.perf_counter() - started
        expected = "every same-origin asset loads with its content type"
        if problems:
            verdict = Verdict.ERROR if all("no answer" in p for p in problems) else Verdict.FAIL
            return self.result(verdict, expected, f"{len(problems)} of {count} asset(s) broken: "
                               + "; ".join(problems[:8]), seconds, broken=problems)
        if count == 0:
            return self.result(Verdict.INCONCLUSIVE, expected, "the pages reference no same-origin assets", seconds)
        return self.result(Verdict.PASS, expected, f"{count} assets load", seconds, assets=count)


@dataclass(frozen=True, kw_only=True)
class PageCheck(Check):
    """`kind = "page"`: the page and its assets loaded as `load_page` does, timed on the wall clock; FAIL
    over `budget_ms` (or `first_byte_ms`, measured as the page request's whole time), on a status other
    than 200, or on a broken asset; ERROR when the page did not answer."""

    path: str = path_option()
    budget_ms: int = option(3000, doc="the full load (page and assets) in milliseconds, e.g. 2000",
                            check=lambda v: "" if v > 0 else "must be positive")
    first_byte_ms: int = option(0, doc="the time to the page's first byte in milliseconds (0: no budget)",
                                check=lambda v: "" if v >= 0 else "must not be negative")

    def describe(self) -> str:
        return f"{self.path} load"

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        started = time.perf_counter()
        page, assets = load_page(session, url_for(base_url, self.path), self.timeout_s, self.verify_tls)
        total = time.perf_counter() - started
        expected = f"full load ≤ {self.budget_ms} ms" + (f", first byte ≤ {self.first_byte_ms} ms"
                                                          if self.first_byte_ms else "")
        if page.status is None:
            return self.result(Verdict.ERROR, expected, f"no answer: {page.error}", total)
        broken = [p for u, o in assets.items() if (p := asset_problem(u, o))]
        seen = (f"{self.label}: {total:.2f} s (first byte {page.seconds * 1000:.0f} ms, {len(assets)} assets"
                + (f", {len(broken)} broken" if broken else "") + ")")
        over = total * 1000 > self.budget_ms or (self.first_byte_ms and page.seconds * 1000 > self.first_byte_ms)
        verdict = Verdict.FAIL if page.status != 200 or over or broken else Verdict.PASS
        return self.result(verdict, expected, seen, total, first_byte_s=page.seconds, assets=len(assets))
