"""The selector rules of tests/unit/test_selectors.py held against the real readers: Playwright's locator and
Chromium's document.querySelector refuse what deploylib refuses at load and take what it takes, but for the few
selectors deploylib refuses on purpose although a reader lets them through (listed with the reason)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deploylib.validate import selectors
from deploylib.validate.chromium import find_chromium
from deploylib.validate.selectors import css_problem, locator_problem
from tests.conftest import require_browser
from tests.unit.test_selectors import CSS, LOCATOR_REFUSED, PLAYWRIGHT, REFUSED

PAGE = "<div id=a class=b><ul><li>one</li><li>two</li></ul><button>Go</button><h1>Hi</h1></div>"
# Refused although the reader takes them: each could only ever find nothing, or not what was meant.
LOCATOR_STRICTER = {
    "#a >> nth=x": "an index that is no number finds nothing",
    "#a >> visible=maybe": "neither true nor false",
}
QUERY_SELECTOR_STRICTER = {
    "div[class=x": "CSS closes a bracket left open at the end; a typo nonetheless",
    "[data-x='it": "the same, for a string left open",
    ":is()": ":is() forgives what it cannot read and finds nothing",
    "div:is(.a, :nosuch)": "the same",
    "p::before": "a pseudo-element is never an element a check could find",
}


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True)
        page = browser.new_page()
        page.set_content(PAGE)
        yield page
        browser.close()


def locator_takes(page: Any, selector: str) -> bool:
    try:
        page.locator(selector).count()
    except Exception:  # Playwright's Error: the selector does not parse
        return False
    return True


def query_selector_takes(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => { try { document.querySelector(s); return true } catch { return false } }",
                              selector))


@pytest.mark.parametrize("selector", CSS + PLAYWRIGHT + [s for s, _ in REFUSED + LOCATOR_REFUSED])
def test_playwright_takes_what_deploylib_takes_for_a_locator(page: Any, selector: str) -> None:
    if selector in LOCATOR_STRICTER:
        assert locator_problem(selector) and locator_takes(page, selector)
    else:
        assert locator_takes(page, selector) is (locator_problem(selector) == "")


@pytest.mark.parametrize("selector", CSS + PLAYWRIGHT + [s for s, _ in REFUSED])
def test_chromium_takes_what_deploylib_takes_as_plain_css(page: Any, selector: str) -> None:
    if selector in QUERY_SELECTOR_STRICTER:
        assert css_problem(selector) and query_selector_takes(page, selector)
    else:
        assert query_selector_takes(page, selector) is (css_problem(selector) == "")


def test_every_pseudo_class_deploylib_knows_is_one_chromium_knows(page: Any) -> None:
    unknown = [name for name in sorted(selectors._PSEUDO_CLASSES) if not query_selector_takes(page, f":{name}")]
    assert unknown == []
