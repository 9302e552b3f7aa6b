"""Headless Chromium for browser checks: finding the system's browser, and one browser process that a
round's checks share, driven by Playwright's async API on a thread of its own.

Playwright's objects belong to the event loop that made them, while a round runs its checks on a
thread pool; so the browser lives on one loop thread and each check hands it a coroutine and waits.
Its pages still load concurrently there. Playwright is imported only when a browser is opened.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import threading
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from deploylib.errors import ConfigError

if TYPE_CHECKING:
    from asyncio import Future

    from playwright.async_api import Browser, BrowserContext, Playwright

T = TypeVar("T")

# The names Chromium's packages install on PATH (Debian, Ubuntu/Fedora, Google's builds).
_ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Playwright's own downloads, used only when a `playwright install` already put one there.
_PLAYWRIGHT_BUILDS = ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell",
                      "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium")
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium) "
                "or set chromium_path to a Chromium or Chrome executable")
START_HINT = ("set chromium_path to a Chromium or Chrome executable, or install Chromium (Debian/Ubuntu: "
              "apt-get install chromium; macOS: brew install --cask chromium)")
PACKAGE_HINT = "pip install 'deploylib[browser]'"
LAUNCH_TIMEOUT_S = 60.0


def executable_problem(path: str) -> str:
    """A check for `chromium_path`: "" for an executable file or an unset value."""
    if not path:
        return ""
    found = Path(path).expanduser()
    return "" if found.is_file() and os.access(found, os.X_OK) else "is not an executable file"


def find_chromium(configured: str = "") -> str | None:
    """The browser to launch: `configured` when set, else Chromium or Chrome on PATH, else a browser that
    Playwright already downloaded (PLAYWRIGHT_BROWSERS_PATH or its default cache); None when none exists."""
    if configured:
        return str(Path(configured).expanduser()) if not executable_problem(configured) else None
    for name in _ON_PATH:
        if found := shutil.which(name):
            return found
    cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    builds = sorted(found for pattern in _PLAYWRIGHT_BUILDS for found in glob.glob(os.path.join(cache, pattern)))
    return builds[-1] if builds else None


def browser_unavailable(configured: str = "") -> str:
    """Why a browser check cannot run here, naming the fix, or "". Cheap: imports nothing."""
    if importlib.util.find_spec("playwright") is None:
        return f"needs the playwright package, which is not installed: {PACKAGE_HINT}"
    if find_chromium(configured) is None:
        return f"needs Chromium, and none was found on PATH: {INSTALL_HINT}"
    return ""


class SharedBrowser:
    """One headless Chromium process on an event loop thread. `call` runs a coroutine there and waits for
    its result; any number of threads may call at once. Use as a context manager (closes the browser).
    The constructor launches the browser at `executable` and raises ConfigError naming it and the fix when it
    would not start (not a browser, a broken install), ModuleNotFoundError without Playwright, or TimeoutError
    after LAUNCH_TIMEOUT_S seconds."""

    def __init__(self, executable: str) -> None:
        import asyncio  # not at the top: loading a configuration with browser checks must stay cheap

        self.executable = executable
        self._visitors: dict[bool, Future[BrowserContext]] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="deploylib-browser", daemon=True)
        self._thread.start()
        try:
            self._playwright, self.browser = self.call(self._launch(), LAUNCH_TIMEOUT_S)
        except BaseException:
            self._stop_loop()
            raise

    async def _launch(self) -> tuple[Playwright, Browser]:
        from playwright.async_api import async_playwright

        playwright = await async_playwright().start()
        try:
            return playwright, await playwright.chromium.launch(executable_path=self.executable, headless=True)
        except Exception as err:  # Playwright's Error: the process exited or never spoke the protocol
            await playwright.stop()
            lines = str(err).strip().splitlines()
            raise ConfigError(f"the browser at {self.executable} would not start "
                              f"({lines[0] if lines else type(err).__name__}): {START_HINT}") from err
        except BaseException:
            await playwright.stop()
            raise

    async def visitor(self, ignore_https_errors: bool) -> BrowserContext:
        """The context anonymous page loads share, made on first use: like tabs of one window. A context of
        its own costs about three times a page's load (a new profile), so only flows get one."""
        import asyncio

        if ignore_https_errors not in self._visitors:  # no await before this line: no other task interleaves
            self._visitors[ignore_https_errors] = asyncio.ensure_future(
                self.browser.new_context(ignore_https_errors=ignore_https_errors))
        return await self._visitors[ignore_https_errors]

    def call(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `work` on the browser's loop; TimeoutError after `timeout` seconds (the work is cancelled).
        Whatever `work` raises (Playwright's errors) is raised here, in the calling thread."""
        import asyncio

        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def _close(self) -> None:
        try:
            await self.browser.close()
        finally:
            await self._playwright.stop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def close(self) -> None:
        """Close the browser and Playwright (waiting up to LAUNCH_TIMEOUT_S seconds), then stop the loop thread."""
        try:
            self.call(self._close(), LAUNCH_TIMEOUT_S)
        finally:
            self._stop_loop()

    def __enter__(self) -> SharedBrowser:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
