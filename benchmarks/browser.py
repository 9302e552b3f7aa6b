"""Browser checks: (1) 10 pages checked in one round, sharing one Chromium process with the pages loading
concurrently, against the same 10 pages each checked with a browser of its own (10 launches); target
shared ≤ 0.3x. (2) One page checked by deploylib against a bare Playwright script that launches the same
Chromium and loads the same page (the floor); target ≤ 1.2x. Runs alternate so load on the machine
hits both sides alike; medians are printed.

    python benchmarks/browser.py [--pages 10] [--runs 5] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from deploylib.validate.browser import BrowserCheck
from deploylib.validate.chromium import find_chromium
from deploylib.validate.runner import run_round

PAGE = (b"<html><head><title>bench</title></head><body><h1>Shop</h1><div id='app'></div>"
        b"<script>document.getElementById('app').textContent = 'Welcome to the shop';</script></body></html>")


def serve() -> ThreadingHTTPServer:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self.send_response(200 if self.path != "/favicon.ico" else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def bare_playwright(executable: str, url: str) -> None:
    """The floor: what any script must do to look at one page in this Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_page()
        page.goto(url)
        assert "Welcome" in page.inner_text("body")
        browser.close()


def check(url: str, checks: list[BrowserCheck], concurrency: int) -> None:
    results = run_round(url, checks, concurrency)
    assert all(r.passed for r in results), [r.seen for r in results if not r.passed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="")
    args = parser.parse_args()
    executable = find_chromium(args.chromium)
    if executable is None:
        raise SystemExit("no Chromium found: install it (apt-get install chromium) or pass --chromium PATH")
    server = serve()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    pages = [BrowserCheck(pages=[f"/page{i}"], contains="Welcome", chromium_path=executable)
             for i in range(args.pages)]
    times: dict[str, list[float]] = {"shared": [], "separate": [], "one": [], "bare": []}
    for _ in range(args.runs):
        times["shared"].append(timed(lambda: check(url, pages, len(pages))))
        times["separate"].append(timed(lambda: [check(url, [page], 1) for page in pages]))
        times["one"].append(timed(lambda: check(url, pages[:1], 1)))
        times["bare"].append(timed(lambda: bare_playwright(executable, f"{url}/page0")))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"chromium: {executable}, {args.runs} runs, medians")
    print(f"{args.pages} pages, one shared browser:  {median['shared']:7.3f} s")
    print(f"{args.pages} pages, {args.pages} launches:          {median['separate']:7.3f} s   "
          f"shared/separate {median['shared'] / median['separate']:5.2f}x (target ≤ 0.30x)")
    print(f"1 page by deploylib:              {median['one']:7.3f} s")
    print(f"1 page by a bare Playwright script: {median['bare']:5.3f} s   "
          f"deploylib/bare {median['one'] / median['bare']:5.2f}x (target ≤ 1.20x)")
    server.shutdown()


if __name__ == "__main__":
    main()
