"""Dataclasses as a configuration schema: build one from a TOML table, or say exactly what is wrong.

A field made with `option(doc=…)` is read from TOML; `doc` is the expected form quoted in errors
and `check` returns a problem ("" when fine). A field with `variant` is a table whose `type` key
picks the dataclass for the rest of it (deploy targets use this). Error messages name the file,
the table, the key, the value seen and the form expected, with "did you mean" for typos.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploylib.errors import ConfigError


@dataclass(frozen=True)
class Kinds:
    """A table (or each table of an array) whose `key` picks the dataclass for the rest of it."""

    resolve: Callable[[str], type | None]
    known: tuple[str, ...]
    key: str = "type"
    default: str = ""  # the kind when the key is absent ("" makes the key required)
    wrap: bool = True  # build a Variant(kind, options), or just the options (when they know their kind)


def url_problem(value: str) -> str:
    """A check for URL options: "" for an http(s) URL or an empty (unset) value."""
    return "" if not value or re.match(r"^https?://[^/\s]+", value) else "is not an http(s) URL"


def option(default: Any = dataclasses.MISSING, *, doc: str, check: Callable[[Any], str] | None = None,
           factory: Callable[[], Any] | None = None, variant: Kinds | None = None) -> Any:
    """Declare a configuration field: `doc` is the expected form shown in errors."""
    meta = {"doc": doc, "check": check, "variant": variant}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Variant:
    """A table whose `type` chose the dataclass `options` was built from."""

    type: str
    options: Any


class Where:
    """Where a value sits, for error messages: file and dotted table path."""

    def __init__(self, file: str, prefix: str = "") -> None:
        self.file, self.prefix = file, prefix

    def section(self, where: str) -> str:
        return ".".join(p for p in (self.prefix, where) if p) or "top level"

    def key(self, where: str, key: str) -> str:
        return f"{self.file}: [{self.section(where)}] {key}"


def reject_unknown(table: dict[str, Any], known: list[str], ctx: Where, where: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6) or [k for k in known if k.startswith(key)]
            hint = f' Did you mean "{close[0]}"?' if close else ""
            raise ConfigError(f'{ctx.file}: [{ctx.section(where)}] has an unknown key "{key}".{hint} '
                              f"Known keys here: {', '.join(known)}.")


def subtable(data: dict[str, Any], key: str, ctx: Where, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{ctx.key(where, key)} must be a table ([{ctx.section(key)}]), got {show(value)}.")
    return value


def build(cls: type, table: dict[str, Any], ctx: Where, where: str) -> Any:
    """Make a `cls` from a TOML table, or raise a ConfigError naming what is wrong."""
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if "doc" in f.metadata]
    reject_unknown(table, [f.name for f in fields], ctx, where)
    values = {}
    for f in fields:
        if f.name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{ctx.key(where, f.name)} is missing: it must be {f.metadata['doc']}.")
            continue
        value = _convert(table[f.name], hints[f.name], f, ctx, where)
        problem = f.metadata["check"](value) if f.metadata["check"] else ""
        if problem:
            raise ConfigError(f"{ctx.key(where, f.name)} = {show(table[f.name])} {problem}; "
                              f"it must be {f.metadata['doc']}.")
        values[f.name] = value
    return cls(**values)


def _convert(value: Any, hint: Any, f: dataclasses.Field[Any], ctx: Where, where: str) -> Any:
    wrong = ConfigError(f"{ctx.key(where, f.name)} must be {f.metadata['doc']}, got {show(value)}.")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if f.metadata["variant"]:
        if origin is not tuple:
            return _variant(value, f, ctx, where, f"{where}.{f.name}")
        if not isinstance(value, list):
            raise wrong
        return tuple(_variant(item, f, ctx, where, f"{where}.{f.name}[{i}]") for i, item in enumerate(value))
    if origin is typing.Union or origin is types.UnionType:
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise wrong
        return build(hint, value, ctx, f"{where}.{f.name}")
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise wrong
        return tuple(build(args[0], item, ctx, f"{where}.{f.name}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or (args[1] is not Any and not all(isinstance(v, args[1])
                                                                          for v in value.values())):
            raise wrong
        return dict(value)
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, args[0]) for v in value):
            raise wrong
        return list(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise wrong
    return value


def _variant(value: Any, f: dataclasses.Field[Any], ctx: Where, where: str, sub: str) -> Any:
    kinds: Kinds = f.metadata["variant"]
    if not isinstance(value, dict) or not isinstance(value.get(kinds.key, kinds.default or None), str):
        raise ConfigError(f"{ctx.key(where, f.name)} must be {f.metadata['doc']}, got {show(value)}.")
    options = dict(value)
    kind = options.pop(kinds.key, kinds.default)
    cls = kinds.resolve(kind)
    if cls is None:
        close = difflib.get_close_matches(kind, kinds.known, n=1)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        raise ConfigError(f'{ctx.key(sub, kinds.key)} = "{kind}" is not a known {kinds.key}.{hint} '
                          f"Known: {', '.join(kinds.known)}.")
    built = build(cls, options, ctx, sub)
    return Variant(type=kind, options=built) if kinds.wrap else built


_TOML_NAMES = ((bool, "true or false"), (str, "a string"), (int, "a whole number"), (float, "a number"),
               (dict, "a table"), (list, "an array"))


def show(value: Any) -> str:
    """A TOML value as an error message quotes it: `"abc" (a string)`, `42 (a whole number)`."""
    kind = next((name for t, name in _TOML_NAMES if isinstance(value, t)), type(value).__name__)
    if isinstance(value, dict):
        return kind
    if isinstance(value, list):
        text = json.dumps(value, default=str)
        return text if len(text) <= 80 else f"{text[:77]}…"
    text = f'"{value}"' if isinstance(value, str) else repr(value).lower() if isinstance(value, bool) else repr(value)
    return f"{text[:80]} ({kind})"
