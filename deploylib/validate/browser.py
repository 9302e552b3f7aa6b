"""Browser checks: pages and scripted flows in headless Chromium, judged as a user would see them.

A page fails on an uncaught JavaScript exception, a console.error (unless `allow_console` matches
it), a same-origin request that fails or answers >= 400, a `selector` that does not become visible,
or `contains` text that scripts did not render; judged once the page settled (the requests it made after
its load event answered and their callbacks ran, and the timeouts it set for the next second fired, see
`_Seen.settle`). `steps` drive a flow (goto, click,
fill, press, wait_for, expect_text, expect_url) in the same browser context; a failure names the step. Core Web
Vitals (LCP, CLS, TTFB; web.dev/vitals definitions) are read from the page's performance entries and
held to optional budgets. On a failure the page's screenshot is kept as evidence.

All checks of a round share one browser process (see chromium.py); Playwright is imported only then.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

from deploylib.config.schema import is_http_url, option, optional
from deploylib.model import CheckResult, Verdict
from deploylib.validate.base import Check, Round, measure_alone, path_problem, paths_problem, regex_problem, url_for
from deploylib.validate.chromium import SharedBrowser, browser_unavailable, executable_problem, find_chromium
from deploylib.validate.selectors import css_problem, locator_problem
from deploylib.values import frozen

if TYPE_CHECKING:
    from playwright.async_api import Page, Request

    from deploylib.validate.session import HttpSession

ACTIONS = ("goto", "click", "fill", "press", "wait_for", "expect_text", "expect_url")
_ENV = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
# Chromium logs every failed subresource as a console error too; those are judged by the same-origin
# request rule instead, so a broken third-party tracker alone does not fail a release.
_RESOURCE_ERROR = re.compile(r"^Failed to load resource\b")
_KEPT_MESSAGES = 50
# What a browser leaves as is when it writes text into a URL (WHATWG URL Standard's percent-encode sets; letters
# and digits always): a path, a query, encodeURIComponent. A form (application/x-www-form-urlencoded) keeps
# only "*-._" and writes a space as "+".
_KEPT_IN_URLS = ("!$%&'()*+,-./:;=@[\\]^_|~", "!$%&()*+,-./:;=?@[\\]^_`{|}~", "-_.!~*'()")
# The encodings a form is sent in: the page's, UTF-8 nearly always, windows-1252 for a page that names none.
_FORM_ENCODINGS = ("utf-8", "cp1252")
_OVERHEAD_S = 30.0
# Core Web Vitals from the buffered performance entries (largest-contentful-paint, layout-shift,
# navigation): the values a PerformanceObserver would have reported so far. A page's load event often comes
# before its first frame is on screen, and LCP is reported only then: without an entry yet, wait for one
# for at most `limit` ms (a page that never paints content waits it out and has no LCP).
_VITALS_JS = """async (limit) => {
  const take = (type) => { const o = new PerformanceObserver(() => {}); o.observe({type, buffered: true});
                           const found = o.takeRecords(); o.disconnect(); return found; };
  let lcp = take('largest-contentful-paint');
  if (!lcp.length) {
    await new Promise(done => { const o = new PerformanceObserver(() => { o.disconnect(); done(); });
                                o.observe({type: 'largest-contentful-paint'});
                                setTimeout(() => { o.disconnect(); done(); }, limit); });
    lcp = take('largest-contentful-paint');
  }
  const nav = performance.getEntriesByType('navigation')[0];
  return {lcp: lcp.length ? lcp[lcp.length - 1].startTime : null,
          shifts: take('layout-shift').filter(e => !e.hadRecentInput).map(e => [e.startTime, e.value]),
          ttfb: nav ? nav.responseStart : null};
}"""
# One turn of the page's event loop: what the answers it got have scheduled (their callbacks, their errors) runs first.
_TURN_JS = "() => new Promise(done => setTimeout(done))"
# Run in every document before its own scripts: the timers the page sets (setTimeout, and an interval's first run),
# each with the time it is due, so that `_Seen.settle` can wait for those due soon. `__deploylibTimers(until)`
# resolves once no timer due by `until` (performance.now() milliseconds) is left, timers those set included.
_TIMERS_JS = """(() => {
  const due = new Map(), wait = setTimeout;
  const tracked = (start) => function (handler, delay, ...rest) {
    if (typeof handler !== 'function') return start.call(globalThis, handler, delay, ...rest);
    const id = start.call(globalThis, function (...args) { due.delete(id); return handler.apply(this, args); },
                          delay, ...rest);
    due.set(id, performance.now() + Math.max(0, Number(delay) || 0));
    return id;
  };
  const cleared = (stop) => function (id) { due.delete(id); return stop.call(globalThis, id); };
  globalThis.setTimeout = tracked(setTimeout);
  globalThis.setInterval = tracked(setInterval);
  globalThis.clearTimeout = cleared(clearTimeout);
  globalThis.clearInterval = cleared(clearInterval);
  Object.defineProperty(globalThis, '__deploylibTimers', {value: (until) => new Promise(done => {
    const look = () => {
      let next = Infinity;
      for (const at of due.values()) if (at <= until && at < next) next = at;
      if (next === Infinity) done(); else wait(look, Math.max(0, next - performance.now()) + 1);
    };
    look();
  })});
})()"""
# What a page does from a timeout this soon after it loaded (or after a step) is part of loading it: a bundle that
# throws or moves its layout 300 ms in is broken every time, not only when the check happens to look late. Later
# timers (a carousel, a session expiry) are not waited for. Lighthouse waits a second after load too (its
# pauseAfterLoadMs).
_TIMER_WINDOW_MS = 1000
# Streams that stay open by design; a page is not waited for until they end.
_STREAMS = ("eventsource", "websocket")
# Whether an element Playwright calls visible (it has a box, not visibility:hidden) is also one a user can see:
# not transparent, and not moved off the page where no scrolling reaches it (the "visually hidden" trick).
_SEEN_JS = """e => { if (!e.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
  const box = e.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.right + scrollX > 0 && box.bottom + scrollY > 0; }"""
_NEXT_FRAME_JS = "() => new Promise(done => requestAnimationFrame(() => done()))"
# Whether `text` is rendered in `selector` (default: the page): its innerText (what CSS shows; "" for an element
# that is not rendered, whose innerText would be its source text) and that of open shadow roots (web components),
# compared in Unicode NFC with a no-break space read as a space, as a reader cannot tell them apart.
_TEXT_JS = """([selector, text]) => {
  const same = s => s.normalize('NFC').replace(/\\u00a0/g, ' ');
  const parts = [];
  const read = (e) => {
    if (!e.checkVisibility()) return;
    parts.push(e.innerText);
    for (const host of [e, ...e.querySelectorAll('*')]) {
      for (const node of host.shadowRoot ? host.shadowRoot.childNodes : []) {
        if (node.nodeType === Node.ELEMENT_NODE) read(node);
        else if (node.nodeType === Node.TEXT_NODE && host.checkVisibility()) parts.push(node.textContent);
      }
    }
  };
  const root = document.querySelector(selector || 'body');
  if (root) read(root);
  return parts.some(part => same(part).includes(same(text)));
}"""


def cumulative_layout_shift(shifts: Sequence[tuple[float, float]]) -> float:
    """CLS by web.dev's definition: the largest session window of layout shifts, where a window ends after a
    1 s gap or at 5 s long. `shifts` are (startTime ms, value) without recent input, in time order."""
    largest = current = 0.0
    first = last = None
    for start, value in shifts:
        if first is None or last is None or start - last > 1000 or start - first > 5000:
            first, current = start, 0.0
        current += value
        last = start
        largest = max(largest, current)
    return largest


@frozen
class Vitals:
    """Core Web Vitals of one page load: times in milliseconds (None: the page reported none)."""

    lcp_ms: float | None
    cls: float
    ttfb_ms: float | None

    def describe(self) -> str:
        """E.g. "LCP 1.20 s, CLS 0.05, TTFB 80 ms"."""
        lcp = f"{self.lcp_ms / 1000:.2f} s" if self.lcp_ms is not None else "none (nothing painted)"
        ttfb = f", TTFB {self.ttfb_ms:.0f} ms" if self.ttfb_ms is not None else ""
        return f"LCP {lcp}, CLS {self.cls:.2f}{ttfb}"


def vitals_problem(vitals: Vitals, lcp_ms: int, cls: float) -> str:
    """Which budget a page broke ("" when none; a budget of 0 is no budget). `lcp_ms` in milliseconds;
    `cls` unitless (web.dev: "good" is 0.1 or less). A page that painted nothing breaks any LCP budget."""
    if lcp_ms and (vitals.lcp_ms is None or vitals.lcp_ms > lcp_ms):
        return f"LCP over the {lcp_ms} ms budget ({vitals.describe()})"
    if cls and vitals.cls > cls:
        return f"CLS over the {cls} budget ({vitals.describe()})"
    return ""


def with_env(text: str, environ: dict[str, str]) -> tuple[str, list[str], str]:
    """`text` with "{env:NAME}" replaced from `environ`: (text, the values inserted, the first name missing)."""
    missing = [name for name in _ENV.findall(text) if name not in environ]
    if missing:
        return text, [], missing[0]
    secrets = [environ[name] for name in _ENV.findall(text) if environ[name]]
    return _ENV.sub(lambda m: environ[m[1]], text), secrets, ""


def url_spellings(secret: str) -> set[str]:
    """`secret` as written and as a browser writes it into a URL: percent-encoded in a path, a query, by
    encodeURIComponent or by a form (WHATWG URL Standard), in UTF-8 or windows-1252 (see _FORM_ENCODINGS)."""
    found = {secret}
    for encoding in _FORM_ENCODINGS:
        try:
            secret.encode(encoding)
        except UnicodeEncodeError:
            continue
        found |= {quote(secret, safe=kept, encoding=encoding) for kept in _KEPT_IN_URLS}
        found.add(quote_plus(secret, safe="*", encoding=encoding).replace("~", "%7E"))
    return found


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret value replaced by "***", also where a page put it into a URL (a form sent
    with GET, a link), so no report or incident shows one."""
    for spelling in sorted({s for secret in secrets for s in url_spellings(secret)}, key=len, reverse=True):
        text = text.replace(spelling, "***")
    return text


def same_origin(url: str, base_url: str) -> bool:
    """Same scheme and host:port as written (no default-port folding), the HTML Standard's origin in practice."""
    return urlsplit(url)[:2] == urlsplit(base_url)[:2]


def console_allowed(text: str, allow: Sequence[str]) -> bool:
    """A console error the check ignores: one from a failed resource, or one an `allow_console` regex finds."""
    return bool(_RESOURCE_ERROR.match(text)) or any(re.search(pattern, text) for pattern in allow)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _is_url(target: str) -> bool:
    """A wait_for target that is a URL ("/dashboard", "https://…") rather than a selector ("//div" is XPath)."""
    return (target.startswith("/") and not target.startswith("//")) or is_http_url(target)


@frozen(kw_only=True)
class BrowserStep:
    """One step of a browser flow (`[[…checks.steps]]`): exactly one of ACTIONS set (see `steps_problem`)."""

    name: str = option("", doc='what the step does, e.g. "log in"')
    goto: str = option("", doc='a page to open, e.g. "/login"', check=optional(path_problem))
    click: str = option("", doc='a selector to click, e.g. "button[type=submit]" or "text=Log in"',
                        check=optional(locator_problem))
    fill: str = option("", doc='a selector of a field to fill with `value`, e.g. "#password"',
                       check=optional(locator_problem))
    value: str = option("", doc='the text to fill in; "{env:NAME}" inserts an environment variable, never printed')
    press: str = option("", doc='a selector to press `key` in, e.g. "#password"', check=optional(locator_problem))
    key: str = option("", doc='a key for press, e.g. "Enter"')
    wait_for: str = option("", doc='a selector that must become visible, or a URL path such as "/dashboard"',
                           check=lambda target: "" if not target or _is_url(target) else locator_problem(target))
    expect_text: str = option("", doc='text that must be rendered (inside `selector` when given), e.g. "Welcome"')
    selector: str = option("", doc="where expect_text must appear, in plain CSS, e.g. \"main h1\" (default: the whole "
                                   "page)", check=optional(css_problem))
    expect_url: str = option("", doc='the URL path (or full URL) the page must be at, e.g. "/dashboard"')

    @property
    def action(self) -> str:
        """The step's action, one of ACTIONS. Raises StopIteration for a step with none (refused at load)."""
        return next(a for a in ACTIONS if getattr(self, a))

    @property
    def label(self) -> str:
        """`name`, else the action and its target, e.g. "click button[type=submit]"."""
        if self.name:
            return self.name
        target = getattr(self, self.action)
        return {"press": f"press {self.key} in {target}"}.get(self.action, f"{self.action} {target}")


def steps_problem(steps: tuple[BrowserStep, ...]) -> str:
    """Each step does exactly one thing and has what that thing needs: "" when so, else the first step
    (numbered from 1) that does not."""
    for number, step in enumerate(steps, 1):
        chosen = [a for a in ACTIONS if getattr(step, a)]
        if len(chosen) != 1:
            return (f"has step {number} with {' and '.join(chosen) or 'no action'}: give exactly one of "
                    f"{', '.join(ACTIONS)}")
        if step.press and not step.key:
            return f'has step {number} (press) without key, e.g. key = "Enter"'
    return ""


@dataclass
class _Secrets:
    """What steps took from the environment: the values (scrubbed from every text) and the selectors of the
    fields they were typed into (masked in screenshots, where a scrub cannot reach)."""

    values: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


@dataclass
class _Seen:
    """What a page did while the check watched: messages, uncaught errors and failed same-origin requests."""

    base_url: str
    allow: Sequence[str]
    console: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    in_flight: set[Request] = field(default_factory=set)
    idle: Any = None  # an asyncio.Event, set while no request is in flight (made on the browser's loop)

    async def watch(self, page: Page) -> None:
        import asyncio

        await page.add_init_script(_TIMERS_JS)
        self.idle = asyncio.Event()
        self.idle.set()
        page.on("pageerror", lambda error: self.problems.append(
            f"uncaught {getattr(error, 'name', '') or 'Error'}: {_first_line(error)}"))
        page.on("console", self._console)
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._request_failed)
        page.on("response", lambda r: self._failed(r.request.method, r.url, f"status {r.status}")
                if r.status >= 400 else None)

    async def settle(self, page: Page, timeout_s: float) -> None:
        """Wait until the page has no request in flight, has run what their answers scheduled, and has fired the
        timers it set to go off within `_TIMER_WINDOW_MS` of this call, for at most `timeout_s` seconds: the load
        event does not wait for a page's own data requests or its short timeouts, and a page that breaks while
        rendering their answers, or from such a timeout, is broken. A request kept open (long polling) ends the
        wait at `timeout_s`; the page is judged as it is then, and that request is not waited for again. Never
        raises."""
        import asyncio

        deadline = time.monotonic() + timeout_s
        until = None  # the page's clock (performance.now(), ms) at which timers are no longer waited for
        with contextlib.suppress(Exception):  # a page navigating away or closed: nothing more to run
            until = await page.evaluate("() => performance.now()") + _TIMER_WINDOW_MS
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(self.idle.wait(), left)
            except TimeoutError:
                self.in_flight.clear()  # open that long, they are streams: the next step need not wait for them
                self.idle.set()
                return
            with contextlib.suppress(Exception):
                for worker in page.workers:
                    await worker.evaluate(_TURN_JS)
                await page.evaluate(_TURN_JS)
                if until is not None:  # a timer's own work may start requests: the loop then waits for them
                    await asyncio.wait_for(page.evaluate("until => globalThis.__deploylibTimers?.(until)", until),
                                           max(0.001, deadline - time.monotonic()))
            if not self.in_flight:  # else that turn started more requests (data after config): wait for them
                return

    def _started(self, request: Request) -> None:
        if request.resource_type not in _STREAMS:
            self.in_flight.add(request)
            self.idle.clear()

    def _ended(self, request: Request) -> None:
        self.in_flight.discard(request)
        if not self.in_flight:
            self.idle.set()

    def _request_failed(self, request: Request) -> None:
        self._ended(request)
        self._failed(request.method, request.url, request.failure or "failed")

    def _console(self, message: Any) -> None:
        if len(self.console) < _KEPT_MESSAGES:
            self.console.append(f"{message.type}: {message.text}")
        if message.type == "error" and not console_allowed(message.text, self.allow):
            self.problems.append(f"console.error: {message.text}")

    def _failed(self, method: str, url: str, why: str) -> None:
        if same_origin(url, self.base_url):
            what = f"{method} {urlsplit(url).path or '/'}: {why}"
            self.failed_requests.append(what)
            self.problems.append(what)


@frozen(kw_only=True)
class BrowserCheck(Check):
    """`kind = "browser"` (see the module docstring). Every page and step may take `timeout_s` seconds; the
    whole check is bounded by that times (pages + steps + 1), plus 30 s. ERROR when no browser is found,
    it fails to start or crashes, or the bound passes; FAIL for anything the page did wrong."""

    pages: list[str] = option(factory=list, check=paths_problem,
                              doc='an array of pages to load, e.g. ["/", "/pricing"] (default: "/" unless steps '
                                  "are given)")
    selector: str = option("", doc='a selector that must become visible on each page, e.g. "#app main" (CSS, or '
                                   "Playwright's text=, role=, xpath= and >>)", check=optional(locator_problem))
    contains: str = option("", doc="text each page must render once its scripts ran, e.g. \"Welcome\"")
    allow_console: list[str] = option(
        factory=list, doc='an array of regular expressions for console errors to ignore, e.g. ["ResizeObserver"]',
        check=lambda patterns: next((f'"{p}" {why}' for p in patterns if (why := regex_problem(p))), ""))
    steps: tuple[BrowserStep, ...] = option((), check=steps_problem,
                                            doc='an array of steps, e.g. [[environments.NAME.checks.steps]] '
                                                'fill = "#user" value = "{env:E2E_USER}"')
    lcp_ms: int = option(0, doc="the Largest Contentful Paint budget in milliseconds, e.g. 2500 (0: none)",
                         check=lambda v: "" if v >= 0 else "must not be negative")
    cls: float = option(0.0, doc="the Cumulative Layout Shift budget, e.g. 0.1 (0: none)",
                        check=lambda v: "" if v >= 0 else "must not be negative")
    chromium_path: str = option("", doc='the browser executable, e.g. "/usr/bin/chromium" (default: chromium on '
                                        "PATH)", check=executable_problem)

    def describe(self) -> str:
        if self.steps:
            return " → ".join(step.label for step in self.steps)
        return f"browser {', '.join(self._pages())}"

    def _pages(self) -> list[str]:
        return self.pages or ([] if self.steps else ["/"])

    def unavailable(self) -> str:
        """Missing Playwright or Chromium, in words naming the fix (see `Check.unavailable`)."""
        return browser_unavailable(self.chromium_path)

    def expectation(self) -> str:
        parts = ["no uncaught errors, console errors or failed same-origin requests"]
        parts += [f"{self.selector!r} visible"] if self.selector else []
        parts += [f"renders {self.contains!r}"] if self.contains else []
        parts += [f"LCP ≤ {self.lcp_ms} ms"] if self.lcp_ms else []
        parts += [f"CLS ≤ {self.cls}"] if self.cls else []
        parts += [f"{len(self.steps)} steps pass"] if self.steps else []
        return ", ".join(parts)

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        return measure_alone(self, base_url, session)

    def run(self, within: Round) -> CheckResult:
        started = time.perf_counter()
        executable = find_chromium(self.chromium_path)
        if executable is None:
            return self.result(Verdict.ERROR, self.expectation(), f"no browser: {self.unavailable()}", 0.0)
        # A guard against a hung browser, not a budget: every page and step may use its own timeout_s, and the
        # context, vitals and screenshot take a few seconds more on a loaded machine.
        budget = self.timeout_s * (len(self._pages()) + len(self.steps) + 1) + _OVERHEAD_S
        try:
            browser = within.shared(f"chromium:{executable}", lambda: SharedBrowser(executable))
            return browser.call(self._visit(browser, within, started), budget)
        except TimeoutError:
            return self.result(Verdict.ERROR, self.expectation(), f"no answer within {budget:.0f} s",
                               time.perf_counter() - started)
        except Exception as err:  # the browser would not start or crashed: nothing was measured
            return self.result(Verdict.ERROR, self.expectation(), f"browser error: {_first_line(err)}",
                               time.perf_counter() - started)

    async def _visit(self, browser: SharedBrowser, within: Round, started: float) -> CheckResult:
        # A flow must start logged out, so it gets a context of its own; page loads share the round's visitor.
        own = await browser.browser.new_context(ignore_https_errors=not self.verify_tls) if self.steps else None
        page = await (own or await browser.visitor(not self.verify_tls)).new_page()
        page.set_default_timeout(self.timeout_s * 1000)
        seen = _Seen(within.base_url, self.allow_console)
        await seen.watch(page)
        secrets = _Secrets()
        try:
            where, problem, vitals = await self._walk(page, within.base_url, seen, secrets)
            verdict = Verdict.PASS if not problem else Verdict.ERROR if problem.startswith("no answer") else \
                Verdict.FAIL
            details: dict[str, Any] = {"console": [scrub(m, secrets.values) for m in seen.console],
                                       "failed_requests": [scrub(r, secrets.values) for r in seen.failed_requests],
                                       "vitals": {path: v.__dict__ for path, v in vitals}}
            evidence = within.deployed.evidence
            if evidence is not None and (problem or within.deployed.screenshot_always):
                details["screenshot"] = await _screenshot(page, evidence, self.label, secrets.fields)
                if not details["screenshot"]:
                    del details["screenshot"]
        finally:
            await (own.close() if own else page.close())
        seconds = time.perf_counter() - started
        if problem:
            return self.result(verdict, self.expectation(), scrub(f"{where} {problem}", secrets.values), seconds,
                               **details)
        shown = "; ".join(f"{self.label if len(vitals) == 1 else path}: {v.describe()}" for path, v in vitals)
        summary = shown or f"{len(self.steps)} steps passed"
        return self.result(Verdict.PASS, self.expectation(), summary, seconds, summary=summary, **details)

    async def _walk(self, page: Page, base_url: str, seen: _Seen,
                    secrets: _Secrets) -> tuple[str, str, list[tuple[str, Vitals]]]:
        """Each page, then each step: (where it broke, what broke, vitals per page); ("", "", …) when all pass."""
        measured: list[tuple[str, Vitals]] = []
        for path in self._pages():
            problem = await self._load(page, url_for(base_url, path), seen)
            if not problem:
                vitals = await _vitals(page, self.timeout_s)
                problem = vitals_problem(vitals, self.lcp_ms, self.cls)
                measured.append((path, vitals))
            if problem:
                return f"{path}:", problem, measured
        for number, step in enumerate(self.steps, 1):
            problem = await _act(page, base_url, step, secrets, self.timeout_s)
            if not problem:
                await seen.settle(page, self.timeout_s)
                problem = "; ".join(seen.problems)
            if problem:
                return f"step {number}/{len(self.steps)} '{step.label}' broke:", problem, measured
        return "", "", measured

    async def _load(self, page: Page, url: str, seen: _Seen) -> str:
        try:
            response = await page.goto(url, wait_until="load")
        except Exception as err:
            return f"no answer: {_first_line(err)}"
        if response is not None and response.status >= 400 and not seen.problems:
            return f"status {response.status}"
        await seen.settle(page, self.timeout_s)
        for what, expected in (("selector", self.selector), ("text", self.contains)):
            if expected and not seen.problems and not await _rendered(page, what, expected, self.timeout_s):
                seen.problems.append(f"{what} {expected!r} not {'visible' if what == 'selector' else 'rendered'} "
                                     f"within {self.timeout_s:g} s")
        return "; ".join(seen.problems)


async def _rendered(page: Page, what: str, expected: str, timeout_s: float) -> bool:
    """Whether a selector becomes visible, or text appears in the rendered page, within the timeout."""
    try:
        if what == "selector":
            await _seen(page, expected, timeout_s)
        else:
            await page.wait_for_function(_TEXT_JS, arg=["", expected], timeout=timeout_s * 1000)
        return True
    except Exception:  # Playwright's TimeoutError, or a selector the page cannot parse
        return False


async def _act(page: Page, base_url: str, step: BrowserStep, secrets: _Secrets, timeout_s: float) -> str:
    """Do one step (a wait taking at most `timeout_s` seconds); what went wrong, or ""."""
    action, environ = step.action, dict(os.environ)
    target, found, missing = with_env(getattr(step, action), environ)
    value, more, missing_value = with_env(step.value, environ)
    secrets.values.extend(found + more)
    if action == "fill" and more:
        secrets.fields.append(target)
    if missing or missing_value:
        return f"the environment variable {missing or missing_value} is not set"
    try:
        if action == "goto":
            response = await page.goto(url_for(base_url, target), wait_until="load")
            return f"status {response.status}" if response is not None and response.status >= 400 else ""
        if action == "click":
            await page.locator(target).first.click()
        elif action == "fill":
            await page.locator(target).first.fill(value)
        elif action == "press":
            await page.locator(target).first.press(step.key)
        elif action == "wait_for" and _is_url(target):
            await page.wait_for_url(lambda url: _url_matches(url, url_for(base_url, target)))
        elif action == "wait_for":
            await _seen(page, target, timeout_s)
        elif action == "expect_text":
            await page.wait_for_function(_TEXT_JS, arg=[step.selector, target])
        else:
            await page.wait_for_url(lambda url: _url_matches(url, url_for(base_url, target)))
    except Exception as err:
        return {"expect_text": f"text {target!r} not rendered", "expect_url": f"the page is at {page.url}, not "
                f"{target}"}.get(action, _first_line(err))
    return ""


async def _seen(page: Page, selector: str, timeout_s: float) -> None:
    """Wait until the first element `selector` finds is visible to a user (see _SEEN_JS), checking again at each
    frame the page renders (the element may be re-rendered or animated into view). Raises Playwright's
    TimeoutError after `timeout_s` seconds, or its Error for a selector it cannot parse."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    element = page.locator(selector).first
    deadline = time.monotonic() + timeout_s
    while (left_ms := max(1, round((deadline - time.monotonic()) * 1000))) > 1:  # 0 would mean no timeout
        await element.wait_for(state="visible", timeout=left_ms)
        with contextlib.suppress(PlaywrightTimeout):  # detached between the two calls: look again
            if await element.evaluate(_SEEN_JS, timeout=left_ms):
                return
        await page.evaluate(_NEXT_FRAME_JS)
    raise PlaywrightTimeout(f"{selector} not visible within {timeout_s:g} s")


def _url_matches(url: str, wanted: str) -> bool:
    """The page's URL is `wanted`, ignoring a query string or fragment `wanted` does not give."""
    page, want = urlsplit(url), urlsplit(wanted)
    return page._replace(query=page.query if "?" in wanted.split("#")[0] else "",
                         fragment=page.fragment if "#" in wanted else "") == want


async def _vitals(page: Page, timeout_s: float) -> Vitals:
    """The page's vitals once it has painted, waiting at most `timeout_s` seconds for its first contentful frame."""
    found = await page.evaluate(_VITALS_JS, timeout_s * 1000)
    return Vitals(found["lcp"], cumulative_layout_shift([(s, v) for s, v in found["shifts"]]), found["ttfb"])


async def _screenshot(page: Page, folder: Path, label: str, masked: Sequence[str] = ()) -> str:
    """A full-page PNG of the page as it is now, in `folder`, with the elements `masked` selects painted over;
    its path, or "" when the page cannot be captured (it crashed): the verdict stands without its picture."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9]+', '-', label).strip('-').lower() or 'page'}-{time.time_ns()}.png"
    try:
        await page.screenshot(path=str(path), full_page=True, mask=[page.locator(m) for m in masked])
    except Exception:  # Playwright's Error: target closed, or a page too large to render
        return ""
    return str(path)
