"""Assets: every same-origin script, stylesheet, image, srcset candidate, preload and declared
source map that the given pages reference must load, with the content type its name promises.
Also page performance, which loads a page and its assets as a browser would."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from deploylib.build.gates import declared_source_maps
from deploylib.config.schema import option
from deploylib.model import CheckResult, Verdict
from deploylib.validate.base import Check, Observed, observe, path_option, some_paths_problem, url_for
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

# The JavaScript MIME type essences browsers run a script served with (HTML Living Standard §8.1.1,
# "JavaScript MIME type"): old servers still send application/x-javascript.
_JAVASCRIPT = ("application/javascript", "text/javascript", "application/ecmascript", "application/x-ecmascript",
               "application/x-javascript", "text/ecmascript", "text/javascript1.0", "text/javascript1.1",
               "text/javascript1.2", "text/javascript1.3", "text/javascript1.4", "text/javascript1.5",
               "text/jscript", "text/livescript", "text/x-ecmascript", "text/x-javascript")
# What a browser reads a raster image or a font served as: images by their bytes (MIME Sniffing §8.2, so any
# image type, or none told: S3's binary/octet-stream), fonts whatever their type (older servers' mime.types
# know no woff2). An HTML page (a single-page app's fallback for a missing file) is none of them.
_UNTYPED = ("application/octet-stream", "binary/octet-stream", "")  # "": no Content-Type at all
_RASTER = ("image/*", *_UNTYPED)
_FONT = ("font/*", "application/font-woff", "application/font-woff2", "application/x-font-woff",
         "application/x-font-woff2", *_UNTYPED)
# Content types an asset's extension promises (any one of them is right; "image/*" is any image type). SVG,
# stylesheets and scripts are read only with their own type.
EXPECTED_TYPES: dict[str, tuple[str, ...]] = {
    ".css": ("text/css",), ".js": _JAVASCRIPT, ".mjs": _JAVASCRIPT, ".json": ("application/json",),
    ".map": ("application/json", "application/octet-stream"),  # servers rarely know .map
    ".png": _RASTER, ".jpg": _RASTER, ".jpeg": _RASTER, ".gif": _RASTER, ".webp": _RASTER, ".avif": _RASTER,
    ".ico": _RASTER, ".svg": ("image/svg+xml",), ".woff": _FONT, ".woff2": _FONT,
}
_LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "apple-touch-icon", "manifest"}
_URL_SPACE = " \t\n\x0c\r"  # the ASCII whitespace browsers strip around a URL and split srcset on
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
# A rule that may stand before an @import (@charset, a statement @layer), and an @import's URL.
_CSS_PRELUDE = re.compile(r"""\s*@(?:charset\s+"[^"]*"|layer\s+[\w\s,.-]*);""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""\s*@import\s*(?:url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|"([^"]*)"|'([^']*)')"""
                         r"""[^;]*(?:;|\Z)""", re.IGNORECASE)


class _References(HTMLParser):
    """The URLs a page makes a browser load, as written, and its first `<base href>`. What a `<template>`
    holds is inert (HTML §4.12.3): not loaded."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.base: str | None = None
        self._inert = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "template":
            self._inert += 1
        if self._inert:
            return
        attr = {k: v or "" for k, v in attrs}
        if tag == "base" and "href" in attr and self.base is None:
            self.base = attr["href"]
        elif tag == "script" and attr.get("src"):
            self.found.append(attr["src"])
        elif tag == "link" and _LINK_RELS & set(attr.get("rel", "").lower().split()) and attr.get("href"):
            self.found.append(attr["href"])
            if "imagesrcset" in attr:
                self.found += srcset_urls(attr["imagesrcset"])
        elif tag in ("img", "source", "video", "audio", "track") or tag == "input" and attr.get("type") == "image":
            if attr.get("src"):
                self.found.append(attr["src"])
            if attr.get("poster"):  # a video's still, shown before it plays
                self.found.append(attr["poster"])
            self.found += srcset_urls(attr.get("srcset", ""))
        elif tag in ("use", "image"):  # SVG: a sprite in another file (a reference within the page is no load)
            reference = attr.get("href") or attr.get("xlink:href", "")
            if reference and not reference.startswith("#"):
                self.found.append(reference)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template" and self._inert:
            self._inert -= 1


def srcset_urls(srcset: str) -> list[str]:
    """The image candidates' URLs in a `srcset` (HTML §4.8.4.3.10, "parse a srcset attribute"): a URL runs to
    the next whitespace, so one may hold commas (`w_100,h_100/a.png`, a data: URL); candidates are
    separated by commas after their descriptors. Pure."""
    urls: list[str] = []
    at = 0
    while True:
        while at < len(srcset) and (srcset[at] in _URL_SPACE or srcset[at] == ","):
            at += 1
        if at >= len(srcset):
            return urls
        start = at
        while at < len(srcset) and srcset[at] not in _URL_SPACE:
            at += 1
        url = srcset[start:at]
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # the descriptors, up to a comma outside parentheses
            depth = 0
            while at < len(srcset) and (srcset[at] != "," or depth):
                depth = depth + 1 if srcset[at] == "(" else max(0, depth - 1) if srcset[at] == ")" else depth
                at += 1
        urls.append(url)


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) as browsers compare origins: case-insensitive host, default port filled in."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # not a port: no origin shares it
        return parts.scheme, "\0" + parts.netloc, None
    return parts.scheme, (parts.hostname or "").lower(), port


def _resolve(reference: str, base: str) -> str:
    """`reference` as a browser resolves it against `base` (an http(s) URL): surrounding whitespace stripped, a
    backslash before the query read as a slash (WHATWG URL: `js\\app.js` is `js/app.js`), without its
    fragment."""
    reference = reference.strip(_URL_SPACE)
    end = min((at for at in (reference.find("?"), reference.find("#")) if at >= 0), default=len(reference))
    return urljoin(base, reference[:end].replace("\\", "/") + reference[end:]).split("#")[0]


def find_assets(html: str, page_url: str) -> list[str]:
    """Absolute URLs of the same-origin assets a page references, in order, without repeats and without
    fragments. `page_url`: the page's absolute URL, which relative references resolve against (RFC 3986
    §5), or against the page's first `<base href>`; its scheme, host and port define same-origin. data:
    URLs are skipped. Pure; never raises."""
    parser = _References()
    parser.feed(html)
    base = _resolve(parser.base, page_url) if parser.base is not None else page_url
    origin = _origin(page_url)
    urls = [_resolve(ref, base) for ref in parser.found if not ref.strip(_URL_SPACE).lower().startswith("data:")]
    return list(dict.fromkeys(u for u in urls if _origin(u) == origin))


def css_imports(css: str, sheet_url: str) -> list[str]:
    """The absolute URLs of the stylesheets a stylesheet (`css`, fetched from `sheet_url`) imports: its
    `@import` rules, which count only before any other rule but `@charset` and a statement `@layer`
    (CSS Cascade §2.1); comments skipped. Pure."""
    css, at, found = _CSS_COMMENT.sub(" ", css), 0, []
    while True:
        if prelude := _CSS_PRELUDE.match(css, at):
            at = prelude.end()
        elif (rule := _CSS_IMPORT.match(css, at)) and rule.end() > at:
            reference = next(g for g in rule.groups() if g is not None)
            found += [_resolve(reference, sheet_url)] if reference.strip(_URL_SPACE) else []
            at = rule.end()
        else:
            return found


def source_map(body: str, asset_url: str) -> str:
    """The source map a script or stylesheet (`body`, fetched from `asset_url`) declares in its last lines,
    as an absolute URL, or "" when it declares none or only an inline one (see `declared_source_maps`)."""
    return next((urljoin(asset_url, ref) for ref in declared_source_maps(body) if not ref.startswith("data:")), "")


def _loaded_next(url: str, seen: Observed) -> list[str]:
    """What a browser (or its developer tools) loads because of an asset: a stylesheet's imports, then the
    source map it declares; same-origin only."""
    imported = css_imports(seen.body, url) if seen.content_type == "text/css" else []
    return [u for u in (*imported, source_map(seen.body, url)) if u and _origin(u) == _origin(url)]


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
    if wanted and not any(seen.content_type == kind or kind.endswith("/*") and
                          seen.content_type.startswith(kind[:-1]) and seen.content_type != "image/svg+xml"
                          for kind in wanted):
        named = " or ".join(kind for kind in wanted if kind)
        return f"{path}: served as {seen.content_type or 'no content type'}, expected {named}"
    return ""


def load_page(session: HttpSession, url: str, timeout: float, verify: bool,
              workers: int = 8) -> tuple[Observed, dict[str, Observed]]:
    """A page, then its assets in parallel (and the stylesheets and source maps those import or declare), as a
    browser loads them.
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
            assets = list(dict.fromkeys(n for u, o in zip(assets, results, strict=True) if o.status == 200
                                        for n in _loaded_next(u, o) if n not in seen))
    return page, seen


@frozen(kw_only=True)
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


@frozen(kw_only=True)
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
