"""The selectors of browser checks, judged when deploy.toml is loaded, without a browser (pure).

`locator_problem` reads what Playwright's `page.locator()` takes (its selector syntax, playwright.dev/docs/other-
locators): CSS with Playwright's pseudo-classes (`:has-text("…")`, `:visible`, `:near(…)`, …), the engines
`text=`, `role=`, `xpath=`, `id=`, `data-testid=`, `nth=`, `visible=`, a quoted text, an XPath starting with `//`
or `..`, and `>>` chains of those. `css_problem` reads plain CSS (Selectors Level 4 as Chromium implements it),
what the page's own `document.querySelector` takes. Each answers "" or what is wrong, as the rest of a sentence
naming the key ("is not a valid selector: …").

The CSS is tokenized by tinycss2 (CSS Syntax Level 3, the tokenizer browsers and Playwright follow) and read by
the grammar of Playwright's parseCSS (packages/isomorphic/cssParser.ts): what it refuses, and what it hands to
Chromium's querySelectorAll that Chromium refuses (an unknown pseudo-class, an id starting with a digit, a bad
An+B), is refused here. tinycss2 is imported only for a selector the fast path (names, ids, classes and
combinators alone, the usual ones) cannot vouch for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinycss2.ast import Node

_NAME = r"-?[A-Za-z_][A-Za-z0-9_-]*"
_COMPOUND = rf"(?:(?:{_NAME}|\*)(?:[#.]{_NAME})*|(?:[#.]{_NAME})+)"
# Selectors valid in both syntaxes that need no parser: "#greeting", "button.primary", "#app > main .title".
_PLAIN = re.compile(rf"\s*{_COMPOUND}(?:\s*[>+~]\s*{_COMPOUND}|\s+{_COMPOUND})*\s*")
_ENV = re.compile(r"\{env:[A-Za-z_][A-Za-z0-9_]*\}")

# Chromium's pseudo-classes (each checked against Chromium's querySelector by tests/integration/
# test_browser_selectors.py); any "-webkit-" one is left to Chromium.
_PSEUDO_CLASSES = frozenset("""
    active active-view-transition any-link autofill checked current default defined disabled empty enabled
    first-child first-of-type focus focus-visible focus-within fullscreen future host hover in-range indeterminate
    invalid last-child last-of-type link modal only-child only-of-type open optional out-of-range past
    picture-in-picture placeholder-shown popover-open read-only read-write required root scope target
    target-current user-invalid user-valid valid visited xr-overlay""".split())
_SELECTOR_FUNCTIONS = frozenset({"not", "is", "where", "-webkit-any", "host", "host-context"})
_NTH_OF = frozenset({"nth-child", "nth-last-child"})
_NTH = frozenset({"nth-of-type", "nth-last-of-type"})
# Playwright's own pseudo-classes (customCSSNames in its selectorParser.ts, less the standard ones): the kinds of
# their arguments (t: a string, n: a number, s: a selector) as a regular expression, and the form expected.
_TEXT = ("t", 'one string in quotes, e.g. :{name}("Save")')
_LAYOUT = ("sn?", "a selector and an optional distance in pixels, e.g. :{name}(#logo, 100)")
_PLAYWRIGHT_FUNCTIONS = {"has-text": _TEXT, "text": _TEXT, "text-is": _TEXT,
                         "text-matches": ("tt?", 'a regular expression in quotes and optional flags, e.g. '
                                                 ':text-matches("^log in$", "i")'),
                         "nth-match": ("s+n", "selectors and a one-based index, e.g. :nth-match(li, 2)"),
                         "light": ("s+", "selectors, e.g. :light(#app)"),
                         "left-of": _LAYOUT, "right-of": _LAYOUT, "above": _LAYOUT, "below": _LAYOUT, "near": _LAYOUT}
_PLAYWRIGHT_PLAIN = frozenset({"visible"})

# Playwright's selector engines ("css:light" is read as css; the other ":light" ones it no longer supports).
_ENGINES = frozenset({"css", "css:light", "xpath", "text", "id", "data-testid", "data-test-id", "data-test", "role",
                      "nth", "visible"})
_ENGINE_NAME = re.compile(r"[a-zA-Z_0-9+:*-]+")
_XPATH = re.compile(r"\(*//")
# role=NAME[attribute] or [attribute=value]: a value in quotes (then an optional flag), a /regex/flags or a word.
_ROLE = re.compile(r"""[A-Za-z]+(?:\[\s*[a-z-]+\s*
                       (?:=\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|/(?:[^/\\]|\\.)+/[a-z]*|[\w-]+)\s*[is]?\s*)?
                       \])*""", re.VERBOSE)
_ROLE_ATTRIBUTES = frozenset({"checked", "description", "disabled", "expanded", "include-hidden", "level", "name",
                              "pressed", "selected"})
_AN_PLUS_B = re.compile(r"(?i)odd|even|[+-]?\d+|[+-]?\d*n(?:\s*[+-]\s*\d+)?")
_COMBINATORS = frozenset({">", "+", "~"})
_ATTRIBUTE_OPERATORS = frozenset({"=", "~=", "|=", "^=", "$=", "*="})
_END = "deploylib-end"  # an identifier after the selector: a block or string left open swallows it


def locator_problem(selector: str) -> str:
    """"" when Playwright's `page.locator(selector)` can parse `selector`, else why not. An "{env:NAME}" (a step's
    value from the environment) stands for any identifier."""
    selector = _ENV.sub("x", selector)
    if _PLAIN.fullmatch(selector):
        return ""
    parts, problem = _chain(selector)
    for engine, body in parts:
        problem = problem or _part_problem(engine, body)
    return f"is not a valid selector: {problem}" if problem else ""


def css_problem(selector: str) -> str:
    """"" when `selector` is plain CSS that the page's `document.querySelector` takes, else why not (a Playwright
    selector named as such)."""
    if _PLAIN.fullmatch(selector):
        return ""
    parts, problem = _chain(selector)
    if not problem and (len(parts) > 1 or parts[0][0] != "css"):
        return ('is a Playwright selector ("text=", "role=", "xpath=", a quoted text or ">>"), but this key takes '
                "plain CSS, which the page itself reads")
    problem = problem or _css_text(selector, playwright=False)
    return f"is not a valid CSS selector: {problem}" if problem else ""


def _chain(selector: str) -> tuple[list[tuple[str, str]], str]:
    """The parts of a ">>" chain as (engine, body), as Playwright's parseSelectorString splits them (">>" inside
    quotes, or after "text=" with text, does not split), and the first problem ("" when none)."""
    bodies, start, index, quote = [], 0, 0, ""
    while ">>" in selector and index < len(selector):
        char = selector[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            quote = ""
        elif not quote and char in "\"'`" and not re.fullmatch(r"\s*text\s*=.+", selector[start:index]):
            quote = char
        elif not quote and selector.startswith(">>", index):
            bodies.append(selector[start:index])
            start = index + 2
            index += 1
        index += 1
    bodies.append(selector[start:])
    parts, captures = [], 0
    for text in (body.strip() for body in bodies):
        head, equals, body = text.partition("=")
        if equals and _ENGINE_NAME.fullmatch(head.strip()):
            captures += head.strip().startswith("*")
            parts.append((head.strip().removeprefix("*"), body))
        elif len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
            parts.append(("text", text))
        elif _XPATH.match(text) or text.startswith(".."):
            parts.append(("xpath", text))
        else:
            parts.append(("css", text))
    return parts, "more than one part is marked with * to capture" if captures > 1 else ""


def _part_problem(engine: str, body: str) -> str:
    """What is wrong with one part of a chain: its engine, or its body read as that engine reads it."""
    if engine in ("css", "css:light"):
        return _css_text(body, playwright=True)
    if engine == "xpath":
        return _xpath(body)
    if engine == "role":
        if not _ROLE.fullmatch(body.strip()):
            return f'"role={body}" is not a role with optional [attribute=value] filters, e.g. role=button[name="Save"]'
        unknown = sorted(set(re.findall(r"\[\s*([a-z-]+)", body)) - _ROLE_ATTRIBUTES)
        return f'"role={body}" filters on {unknown[0]}, which is not one of {", ".join(sorted(_ROLE_ATTRIBUTES))}' \
            if unknown else ""
    if engine == "nth":
        return "" if re.fullmatch(r"\s*-?\d+\s*", body) else f'"nth={body}" is not an index such as nth=0 or nth=-1'
    if engine == "visible":
        return "" if body.strip() in ("true", "false") else f'"visible={body}" is neither visible=true nor false'
    if engine in _ENGINES or engine.startswith("internal:"):
        return ""
    return (f'"{engine}=" is no selector engine of Playwright (it has {", ".join(sorted(_ENGINES - {"css:light"}))}; '
            "a value with = in it is written in quotes, e.g. [href=\"a=b\"])")


def _xpath(expression: str) -> str:
    """A cheap XPath check without an XPath engine: not empty, brackets and quotes closed."""
    if not expression.strip():
        return "the XPath is empty"
    text = re.sub(r""""[^"]*"|'[^']*'""", "", expression)
    if "'" in text or '"' in text:
        return f"the XPath {expression} has a quote that is never closed"
    depth: list[str] = []
    for char in text:
        if char in "([":
            depth.append(")" if char == "(" else "]")
        elif char in ")]" and (not depth or depth.pop() != char):
            return f"the XPath {expression} closes a {char} that was not opened"
    return f"the XPath {expression} never closes a {depth[-1]}" if depth else ""


def _css_text(css: str, playwright: bool) -> str:
    """The problem of the selector list `css` ("" when none), tokenized by tinycss2 (comments dropped)."""
    import tinycss2

    tokens = tinycss2.parse_component_value_list(f"{css} {_END}", skip_comments=True)
    if not tokens or tokens[-1].type != "ident" or tokens[-1].value != _END:
        return "a string, bracket or parenthesis is never closed"
    return _css(tokens[:-1], playwright)


def _show(token: Node) -> str:
    text = token.serialize()
    return f'"{text if len(text) <= 24 else text[:20] + "…"}"'


def _css(tokens: Sequence[Node], playwright: bool, relative: bool = False) -> str:
    """The problem of a selector list ("" when none). `playwright`: Playwright's pseudo-classes are known (and a
    selector may start with a combinator, from where the chain got to); `relative`: one inside :has()."""
    for error in (t for t in tokens if t.type == "error"):
        return f"{error.message.lower()} (at character {error.source_column})"
    selectors: list[list[Node]] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    for selector in selectors:
        if problem := _complex(selector, playwright, relative):
            return problem
    return ""


def _complex(tokens: list[Node], playwright: bool, relative: bool) -> str:
    """One complex selector: compounds joined by whitespace or a combinator."""
    items = list(tokens)
    while items and items[-1].type == "whitespace":
        items.pop()
    index = next((i for i, t in enumerate(items) if t.type != "whitespace"), len(items))
    if index == len(items):
        return "a selector is empty (nothing before or after a comma, or inside parentheses)"
    if _is_combinator(items[index]) and not (relative or playwright):
        return f'it starts with the combinator "{items[index].value}"'
    if _is_combinator(items[index]):
        index += 1
    combinator = ""
    while index < len(items):
        while index < len(items) and items[index].type == "whitespace":
            index += 1
        if _is_combinator(items[index]):
            if combinator:
                return f'{_show(items[index])} follows the combinator "{combinator}" with nothing between them'
            combinator = items[index].value
            index += 1
            continue
        index, problem = _compound(items, index, playwright, relative)
        if problem:
            return problem
        combinator = ""
    return f'it ends with the combinator "{combinator}"' if combinator else ""


def _is_combinator(token: Node) -> bool:
    return token.type == "literal" and token.value in _COMBINATORS


def _compound(items: list[Node], index: int, playwright: bool, within_has: bool) -> tuple[int, str]:
    """One compound selector from `items[index]`: (where it ends, its problem)."""
    start = index
    while index < len(items) and items[index].type != "whitespace" and not _is_combinator(items[index]):
        token = items[index]
        following = items[index + 1] if index + 1 < len(items) else None
        if token.type == "ident" or (token.type == "literal" and token.value == "*"):
            if index != start:
                return index, f"the element name {_show(token)} must come first in {_show_all(items[start:index + 1])}"
            problem = "namespaces (|) are not supported" if following is not None and following.type == "literal" \
                and following.value == "|" else ""
        elif token.type == "hash":
            problem = "" if token.is_identifier else (f'the id "#{token.value}" starts with a digit or "-" and a '
                                                      f"digit; escape it, e.g. [id=\"{token.value}\"]")
        elif token.type == "literal" and token.value == "." and following is not None and following.type == "ident":
            index += 1
            problem = ""
        elif token.type == "literal" and token.value == ":" and following is not None:
            index += 1
            problem = _pseudo(following, playwright, within_has)
        elif token.type == "[] block":
            problem = _attribute(token)
        else:
            problem = f"unexpected {_show(token)}" + (" (a class is a name after the dot)" if token.type == "literal"
                                                      and token.value == "." else "")
        if problem:
            return index, problem
        index += 1
    return index, ""


def _show_all(tokens: Sequence[Node]) -> str:
    return f'"{"".join(t.serialize() for t in tokens)}"'


def _pseudo(token: Node, playwright: bool, within_has: bool) -> str:
    """A pseudo-class after its colon: a name (":hover") or a function (":nth-child(2n+1)"). CSS allows no :has()
    within a :has() (Selectors Level 4 §14.1); Playwright reads its own."""
    if token.type == "ident":
        name = token.lower_value
        if name in _PSEUDO_CLASSES or name.startswith("-webkit-") or (playwright and name in _PLAYWRIGHT_PLAIN):
            return ""
        return f'":{token.value}" is not a pseudo-class' + ("" if playwright else " of CSS")
    if token.type == "literal" and token.value == ":":
        return "pseudo-elements (::before) select nothing a page shows as an element"
    if token.type != "function":
        return f'unexpected {_show(token)} after ":"'
    name, arguments = token.lower_name, token.arguments
    if name in ("is", "where", "not"):
        return _css(arguments, playwright)
    if name == "has":
        return ":has() inside :has() is not allowed in CSS" if within_has and not playwright else \
            _css(arguments, playwright, relative=True)
    if name in _SELECTOR_FUNCTIONS:
        return _css(arguments, playwright=False)
    if name in _NTH_OF or name in _NTH:
        return _nth(token, arguments, of=name in _NTH_OF)
    if name in ("lang", "dir", "state", "active-view-transition-type"):
        words = [t for t in arguments if t.type != "whitespace" and not (t.type == "literal" and t.value == ",")]
        kinds = ("ident", "string") if name == "lang" else ("ident",)
        example = {"lang": "en", "dir": "rtl"}.get(name, "x")
        return "" if words and all(t.type in kinds for t in words) else f'":{token.name}()" needs a name, e.g. ' \
            f":{name}({example})"
    if playwright and name in _PLAYWRIGHT_FUNCTIONS:
        return _playwright_function(token)
    return f'":{token.name}()" is not a pseudo-class' + ("" if playwright else " of CSS")


def _nth(token: Node, arguments: list[Node], of: bool) -> str:
    """:nth-child(An+B [of S]) and the like (An+B: CSS Syntax Level 3 §6)."""
    split = next((i for i, t in enumerate(arguments) if t.type == "ident" and t.lower_value == "of"), None)
    formula = "".join(t.serialize() for t in (arguments if split is None or not of else arguments[:split])).strip()
    if not _AN_PLUS_B.fullmatch(formula):
        return f'":{token.name}({formula})" is not an An+B formula such as 2n+1, odd or 3'
    return "" if split is None or not of else _css(arguments[split + 1:], playwright=False)


def _playwright_function(token: Node) -> str:
    """Playwright's functional pseudo-classes: their arguments, split by commas, are strings, numbers or selectors,
    in the order _PLAYWRIGHT_FUNCTIONS gives."""
    arguments: list[list[Node]] = [[]]
    for item in token.arguments:
        if item.type == "literal" and item.value == ",":
            arguments.append([])
        elif item.type != "whitespace":
            arguments[-1].append(item)
    kinds = "".join({"string": "t", "number": "n"}.get(a[0].type, "s") if len(a) == 1 else "s" for a in arguments)
    pattern, wanted = _PLAYWRIGHT_FUNCTIONS[token.lower_name]
    if not re.fullmatch(pattern, kinds):
        return f'":{token.name}()" takes {wanted.format(name=token.lower_name)}'
    for argument, kind in zip(arguments, kinds, strict=True):
        if kind == "s" and (problem := _css(argument, playwright=True)):
            return problem
    return ""


def _attribute(block: Node) -> str:
    """[name], [name=value], [name="value" i], [ns|name]: the attribute selectors Chromium takes."""
    items = [t for t in block.content if t.type != "whitespace"]
    shown = _show(block)
    if len(items) >= 3 and items[1].type == "literal" and items[1].value == "|" and items[2].type == "ident":
        items = items[2:]  # a namespace prefix
    if not items or items[0].type != "ident":
        return f"the attribute selector {shown} does not start with an attribute name"
    if len(items) == 1:
        return ""
    operator = items[1].serialize()
    if operator not in _ATTRIBUTE_OPERATORS or len(items) < 3 or items[2].type not in ("ident", "string"):
        return (f"the attribute selector {shown} is not [name], [name=value] or [name=\"value\"] (a value with "
                "spaces or symbols in it is written in quotes)")
    if items[3:] and not (len(items) == 4 and items[3].type == "ident" and items[3].lower_value == "i"):
        return (f"the attribute selector {shown} has {_show(items[3])} after its value (a value with spaces in it "
                'is written in quotes; only the flag "i" may follow it)')
    return ""
