"""Mutated configurations for the fuzz: valid seeds (the embedded demo's deploy.toml, the README's
example, and every_option.toml for the options those two leave out), hypothesis strategies that
change their values, types, keys, nesting and bytes, and a TOML writer able to write every value a
mutation makes (control characters, nan, deep nesting).

A `Mutant` is the file's bytes plus what the mutations touched, so an error can be checked for
naming one of those keys.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from deploylib.resources import shipped

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO = shipped("examples/demo-site") / "deploy.toml"


def readme_example() -> str:
    """The deploy.toml a user is told to write ("Use it in your own repository")."""
    section = README.read_text().split("## Use it in your own repository", 1)[1]
    found = re.search(r"```toml\n(.*?)```", section, re.S)
    assert found, "README.md lost its example deploy.toml"
    return found[1]


SEED_TEXTS = {"demo": DEMO.read_text(), "readme": readme_example(),
              "every option": (Path(__file__).parent / "every_option.toml").read_text()}
SEEDS = {name: tomllib.loads(text) for name, text in SEED_TEXTS.items()}


@dataclass(frozen=True)
class Deep:
    """A value nested `depth` deep, written as text so neither the writer nor the fuzz recurses."""

    depth: int
    bracket: str  # "[" for arrays, "{" for inline tables

    def toml(self) -> str:
        if self.bracket == "[":
            return "[" * self.depth + "]" * self.depth
        return "{a = " * self.depth + "1" + "}" * self.depth


@dataclass
class Mutant:
    """A configuration file a mutation made, and what an error about it should name."""

    name: str  # deploy.toml or pyproject.toml
    content: bytes
    names: set[str] = field(default_factory=set)  # keys and [tables] the mutations touched
    textual: bool = False  # bytes or nesting changed: a line, byte or [table] key is named instead

    @property
    def table(self) -> tuple[str, ...]:
        return ("tool", "deploylib") if self.name == "pyproject.toml" else ()


# Strings each of which breaks some rule: git names, URLs, emptiness, NUL, task names, header values.
HOSTILE_STRINGS = [
    "", " ", "\t", "\n", "\r\n", "\0", "a\0b", "\x7f", "\x1b[31m", "🚀", "é", "x" * 300, "a..b", "-x", "-", "@",
    "HEAD", "x.lock", "a b", "/", "//", ".", "..", "a/", "x@{1}", "x~1", "x^", "a:b", "a?", "a*", "a[", "a\\b",
    "http://", "https://", "http://[::1", "http://x\n", "http://exa mple.com", "http://h:99999", "http://h:x",
    "http://-x-.com", "http://.", "http://..", "ftp://x", "http:///path", "http://[::1]:8080/", "https://ex.com",
    "http://user@", "{version}", "v{version}", "{version}{version}", "v{version}.", "{version}.lock", "v {version}",
    "prod\n", "{", "}", "[", "%s", "$(true)", "-oProxyCommand=x", "~/x", "../x", "/abs", "C:\\x", "=", "A=B",
    "(unclosed", "**", "*", "500 KB", "5OOKB", "GET", "get", "smoke", "local", "ssh", "slack", "rollback", "warn",
    "http://h:0", "https://[::1]:0/", ".git", ".git/config", "./.git/", ".deploylib/x", "docs/../../x.md", "a/..",
]
HOSTILE_NUMBERS = [0, -1, 1, 2, 99, 100, 101, 599, 65535, 65536, 86400, 86401, 2**31, 2**63 - 1, -(2**63), 2**63,
                   2**64, 10**30, 0.0, -0.0, 0.5, 1e-300, 1e300, math.inf, -math.inf, math.nan]

strings = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=12))
numbers = st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.integers(), st.floats())
scalars = st.one_of(
    strings, numbers, st.booleans(),
    st.sampled_from([dt.date(1979, 5, 27), dt.time(7, 32), dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC)]),
)
keys = st.one_of(st.sampled_from(["", " ", "\n", "é", "a.b", "kind", "type", "url", "path", "checks", "command",
                                  "target", "headers", "branch", "tool", "deploylib", "prod\n", "a:b", "-x"]),
                 st.text(max_size=10))
values = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.dictionaries(keys, scalars, max_size=3),
    st.builds(Deep, st.sampled_from([2, 31, 32, 33, 100, 1000]), st.sampled_from("[{")),
    st.builds(list), st.builds(dict), st.builds(lambda: [[[]]]), st.builds(lambda: [{}]),  # new each time: mutable
)


def like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same TOML type as `value`: they pass the type check, so the value itself is judged."""
    if isinstance(value, str):
        return strings
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int | float):
        return numbers
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return st.lists(strings, min_size=1, max_size=3)
    if isinstance(value, dict) and value and all(isinstance(item, str) for item in value.values()):
        return st.dictionaries(keys, strings, min_size=1, max_size=3)
    return values


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and indexes) of every value inside `node`."""
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


def section(path: tuple[Any, ...]) -> str:
    """A path as deploylib's errors write a table: environments.test.checks[0]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _named(path: tuple[Any, ...]) -> set[str]:
    """What an error about the value at `path` may name: its key (its array's key for an item) or its table."""
    key = next(str(part) for part in reversed(path) if isinstance(part, str))
    return {key, f"[{section(path[:-1]) or 'top level'}]"}


def _mutate(draw: st.DrawFn, doc: dict[str, Any], mutant: Mutant, prefix: tuple[str, ...]) -> None:
    """One change to `doc` in place, recording what an error about it should name."""
    targets = paths(doc)
    path = draw(st.sampled_from(targets)) if targets else ("build",)
    parent: Any = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    how = draw(st.sampled_from(["same type", "same type", "same type", "value", "rename", "delete", "add", "wrap"]))
    mutant.names |= _named(prefix + path)
    if how == "rename" and isinstance(parent, dict):
        new = draw(keys)
        parent[new] = parent.pop(last)
        mutant.names.add(new)
    elif how == "delete":
        del parent[last]
    elif how == "add" and (isinstance(parent[last], dict) or isinstance(parent, dict)):
        table = parent[last] if isinstance(parent[last], dict) else parent
        new = draw(keys)
        table[new] = draw(values)
        mutant.textual |= isinstance(table[new], Deep)
        mutant.names |= {new, f"[{section(prefix + path[:-1]) or 'top level'}]"}
    elif how == "wrap":
        parent[last] = draw(st.sampled_from([[parent[last]], {"a": parent[last]}]))
    else:
        value = draw(like(parent[last]) if how == "same type" else values)
        parent[last] = value
        mutant.textual |= isinstance(value, Deep)


def _mutate_bytes(draw: st.DrawFn, content: bytes) -> bytes:
    at = draw(st.integers(0, len(content)))
    how = draw(st.sampled_from(["insert", "replace", "truncate"]))
    noise = draw(st.one_of(st.binary(min_size=1, max_size=4),
                           st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\x00", b"[", b"{", b"\n", b"\"", b"=",
                                            b"[" * 1000, b"\xef\xbb\xbf"])))
    if how == "insert":
        return content[:at] + noise + content[at:]
    if how == "replace":
        return content[:at] + noise + content[at + len(noise):]
    return content[:at]


@st.composite
def mutants(draw: st.DrawFn, pyprojects: bool = True) -> Mutant:
    """A seed configuration with one to three mutations, as deploy.toml or (if `pyprojects`) as
    pyproject's [tool.deploylib]."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    pyproject = pyprojects and draw(st.integers(0, 4)) == 0
    mutant = Mutant("pyproject.toml" if pyproject else "deploy.toml", b"")
    prefix = ("tool", "deploylib") if pyproject else ()
    if draw(st.integers(0, 9)) == 0 and not pyproject:  # the file as written, comments and headers included
        text = SEED_TEXTS[seed]
    else:
        doc = copy.deepcopy(SEEDS[seed])
        for _ in range(draw(st.integers(1, 3))):
            _mutate(draw, doc, mutant, prefix)
        if pyproject and draw(st.integers(0, 5)) == 0:  # a [tool.deploylib] that is not a table at all
            doc = draw(st.one_of(scalars, st.lists(scalars, max_size=2)))
            mutant.names |= {"deploylib", "[tool]"}
        text = document({"tool": {"deploylib": doc}} if pyproject else doc)
        if draw(st.integers(0, 9)) == 0:  # dotted keys nest tables without any bracket
            depth = draw(st.sampled_from([10, 33, 1000]))
            text += "\n" + ".".join(["a"] * depth) + " = 1\n"
            mutant.textual = True
    content = text.encode()
    if draw(st.integers(0, 3)) == 0:
        content = _mutate_bytes(draw, content)
        mutant.textual = True
    mutant.content = content
    return mutant


def document(doc: Any) -> str:
    """`doc` as a TOML document: one `key = value` line per top-level key, tables written inline."""
    return "".join(f"{toml_key(key)} = {toml_value(value)}\n" for key, value in doc.items())


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m[0]):04x}", escaped) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, Deep):
        return value.toml()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
