"""The selectors of browser checks, judged at load: what Playwright's locator takes (CSS with its pseudo-classes,
its engines and >> chains), and plain CSS where the page's document.querySelector reads it. Which of these the
real Chromium and Playwright agree with is tests/integration/test_browser_selectors.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploylib.validate.selectors import css_problem, locator_problem

CSS = [  # plain CSS: both readers take it
    "#greeting", "h1", "#app main", "button[type=submit]", "a > b ~ c + d", "div#a.b.c[x]:first-child", "*",
    "a[href^='/x' i]", '[data-test-id="x y"]', "[ x = \"y\" ]", "[*|x]", "[x|=y]", "div:has(> img)",
    "div:has(+ p)", ":not(.a, .b)", ":is(.a,.b)", ":where(.a) b", "li:nth-child(2n+1)", "li:nth-child(2 of .x)",
    "div:nth-last-of-type(odd)", ":nth-child(2N+1)", ":nth-child( +3 )", ":nth-child(2n - 1)", ":nth-child(-n-1)",
    "a:hover", ":focus-visible", ":popover-open", ":user-invalid", ":Hover", "a:NOT(.b)", ":lang(en)",
    ":dir(rtl)", ":state(open)", ":scope > div", ":root", ":host", "a:-webkit-any(.x)", "#a\\:b", ".a\\.b",
    "#héllo", ".日本", "a /* a comment */ b", "#a,#b", "div > p:first-child",
]
PLAYWRIGHT = [  # Playwright's own syntax: the locator takes it, the page's querySelector does not
    "text=Welcome", 'text="Welcome"', '"Welcome"', "'Welcome'", "text=a >> b", 'role=button[name="Go"]',
    'role=button[name="Go" i]', "role=button[name=/go/i]", "role=button[pressed]", "xpath=//div", "//div",
    "(//div)[1]", "..", "//div[@a='x']", "#a >> text=Go", "#a >> nth=0", "role=button >> nth=-1",
    "#a >> visible=true", 'button:has-text("Go")', 'button:text("Go")', 'button:text-is("Go")',
    'button:text-matches("g", "i")', "button:visible", "button:nth-match(button, 1)", "button:right-of(#a)",
    "button:near(#a, 120)", 'a:not(:has-text("x"))', ":has(:has(a))", "div >> > span", "> span", "id=a",
    "data-testid=x", 'data-testid="x y"', "css=div", "css:light=div", "*css=div >> button", 'internal:text="Go"',
    '"a >> b"', 'text="Go" >> nth=1', "text=a=b",
]
REFUSED = [  # (selector, what either reader says is wrong)
    ("div[class=x", "is never closed"),
    ("div:not(", "is never closed"),
    ("[data-x='it", "is never closed"),
    ("#", 'unexpected "#"'),
    ("div#", 'unexpected "#"'),
    ("div.", 'unexpected "."'),
    (".1a", 'unexpected ".1a"'),
    ("#1a", 'the id "#1a" starts with a digit'),
    ("a >", 'ends with the combinator ">"'),
    ("a > > b", 'follows the combinator ">"'),
    ("a,,b", "a selector is empty"),
    ("a,", "a selector is empty"),
    (":is()", "a selector is empty"),
    ("div;", 'unexpected ";"'),
    ("a{b}", 'unexpected "{b}"'),
    ("!x", 'unexpected "!"'),
    ("div)", "unmatched )"),
    ("*button", 'the element name "button" must come first'),
    ("[x]div", 'the element name "div" must come first'),
    ("p:nosuch", '":nosuch" is not a pseudo-class'),
    ("p:frist-child", '":frist-child" is not a pseudo-class'),
    ("p:nosuch(1)", '":nosuch()" is not a pseudo-class'),
    ("div:is(.a, :nosuch)", '":nosuch" is not a pseudo-class'),
    ("p::before", "pseudo-elements"),
    ("svg|rect", "namespaces"),
    ("[data-x=a b]", 'has "b" after its value (a value with spaces in it is written in quotes'),
    ("[x!=y]", 'is not [name], [name=value] or [name="value"]'),
    ("a[x i]", 'is not [name], [name=value] or [name="value"]'),
    ('a[href$=".pdf" s]', 'only the flag "i" may follow it'),
    ("[]", "does not start with an attribute name"),
    ("[1=2]", "does not start with an attribute name"),
    ("li:nth-child(foo)", "is not an An+B formula"),
    ("div:nth-child(2n+)", "is not an An+B formula"),
    (":nth-child(- n+1)", "is not an An+B formula"),
    (":nth-child(2 of :has-text(\"x\"))", '":has-text()" is not a pseudo-class'),  # nth-child's S is plain CSS
    (":lang()", "needs a name"),
]
LOCATOR_REFUSED = [  # Playwright's syntax, used wrongly
    ("#a >>", "a selector is empty"),
    (">> #a", "a selector is empty"),
    ("#a >> css=", "a selector is empty"),
    ("foo=bar", '"foo=" is no selector engine of Playwright'),
    ("left-of=#a", '"left-of=" is no selector engine'),
    ("text:light=Go", '"text:light=" is no selector engine'),
    ("*css=div >> *css=button", "more than one part is marked with * to capture"),
    ("role=", '"role=" is not a role'),
    ("role=button[", '"role=button[" is not a role'),
    ('role=button[name="Go"', "is not a role"),
    ("role=button name", "is not a role"),
    ('role=button[nope="x"]', "filters on nope, which is not one of checked"),
    ("#a >> nth=x", '"nth=x" is not an index'),
    ("#a >> visible=maybe", '"visible=maybe" is neither'),
    ("xpath=", "the XPath is empty"),
    ("//div[", "never closes a ]"),
    ("(//div", "never closes a )"),
    ("xpath=//div)", "closes a ) that was not opened"),
    ("xpath=//div[@a='x]", "has a quote that is never closed"),
    ("button:has-text(Go)", '":has-text()" takes one string in quotes'),
    ('button:has-text("a", "b")', '":has-text()" takes one string in quotes'),
    ("li:nth-match(li)", '":nth-match()" takes selectors and a one-based index'),
    ("li:nth-match(li, x)", '":nth-match()" takes selectors and a one-based index'),
    (":right-of(div, 5, 6)", '":right-of()" takes a selector and an optional distance'),
    (":near(div:nosuch)", '":nosuch" is not a pseudo-class'),
    ("div:is()", "a selector is empty"),
]


@pytest.mark.parametrize("selector", CSS)
def test_plain_css_is_taken_by_both_readers(selector: str) -> None:
    assert (locator_problem(selector), css_problem(selector)) == ("", "")


@pytest.mark.parametrize("selector", PLAYWRIGHT)
def test_playwright_syntax_is_taken_by_the_locator_and_refused_where_plain_css_is_read(selector: str) -> None:
    assert locator_problem(selector) == "" and css_problem(selector) != ""


@pytest.mark.parametrize(("selector", "problem"), [
    ("text=Welcome", 'is a Playwright selector ("text=", "role=", "xpath=", a quoted text or ">>"), but this key '
                     "takes plain CSS, which the page itself reads"),
    ("h1 >> nth=0", "is a Playwright selector"), ("//h1", "is a Playwright selector"),
    ('h1:has-text("Hi")', '":has-text()" is not a pseudo-class of CSS'),
    ("h1:visible", '":visible" is not a pseudo-class of CSS'),
    ("> h1", 'starts with the combinator ">"'),
    (":has(:has(a))", ":has() inside :has() is not allowed in CSS"),
])
def test_where_plain_css_is_read_a_playwright_selector_is_named_as_such(selector: str, problem: str) -> None:
    assert problem in css_problem(selector)


@pytest.mark.parametrize(("selector", "problem"), REFUSED)
def test_a_selector_neither_reader_can_parse_is_refused_saying_why(selector: str, problem: str) -> None:
    assert problem in locator_problem(selector) and locator_problem(selector).startswith("is not a valid selector: ")
    assert problem in css_problem(selector) and css_problem(selector).startswith("is not a valid CSS selector: ")


@pytest.mark.parametrize(("selector", "problem"), LOCATOR_REFUSED)
def test_playwright_syntax_used_wrongly_is_refused_saying_why(selector: str, problem: str) -> None:
    assert problem in locator_problem(selector)


@pytest.mark.parametrize(("selector", "problem"), [
    ("#{env:FIELD_ID}", ""), ('[name="{env:FIELD}"]', ""), ("text={env:LABEL}", ""),
    ("#{env:FIELD_ID", "never closed"),
])
def test_a_value_from_the_environment_stands_for_a_name(selector: str, problem: str) -> None:
    assert (problem in locator_problem(selector)) and (bool(locator_problem(selector)) == bool(problem))


PIECES = [*"#.:>+~*=[](),'\"\\/|@;{} -_aAn1é", ">>", "text=", "role=", ":has(", ":nth-child(", "//", "{env:X}"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join) | st.text())
def test_any_text_gets_an_answer_and_never_an_exception(text: str) -> None:
    assert isinstance(locator_problem(text), str) and isinstance(css_problem(text), str)
