"""Dataclasses as a configuration schema: build one from a TOML table, or say exactly what is wrong.

A field made with `option(doc=…)` is read from TOML; `doc` is the expected form quoted in errors
and `check` returns a problem ("" when fine). A field with `variant` is a table whose `type` key
picks the dataclass for the rest of it (deploy targets use this). Error messages name the file,
the table, the key, the value seen and the form expected, with "did you mean" for typos.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import Any

from deploylib.errors import ConfigError
from deploylib.model import STATE_DIR
from deploylib.values import frozen

if typing.TYPE_CHECKING:
    from deploylib.plugins import Registry


@frozen
class Kinds:
    """A table (or each table of an array) whose `key` picks, through `registry`, the class whose options
    dataclass (`Registry.options`) reads the rest of it."""

    registry: Registry[Any]
    key: str = "type"
    default: str = ""  # the kind when the key is absent ("" makes the key required)
    wrap: bool = True  # build a Variant(kind, options), or just the options (when they know their kind)
    alias: str = ""  # an older name of `key`, still read (one of the two, never both)


# The longest wait any option needs (a day). Far below what time.sleep, socket timeouts and
# threading accept (threading.TIMEOUT_MAX, about 292 years), so a configured wait never overflows.
MAX_SECONDS = 86_400
_INT64 = 2**63  # TOML integers are 64-bit (TOML 1.0 "Integer"); SQLite stores no more
_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?:\.(?!-)[A-Za-z0-9_-]{1,63})*\.?")


def hostname_problem(host: str) -> str:
    """"" for a DNS name (labels of 1-63 ASCII letters, digits, "-" and "_", not starting with "-"; RFC 1123
    §2.1 plus "_", which real hosts use; IDNs as xn--…) or an IPv4/IPv6 address; else why not."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return ""
    except ValueError:
        return "" if _HOST_NAME.fullmatch(host) else f'has "{host}" as its host, which is not a host name'


_HTTP_SCHEME = re.compile(r"(?i)https?://")


def is_http_url(value: str) -> bool:
    """Whether `value` is meant as a full http(s) URL rather than a path: it starts with http:// or https://,
    in any case (RFC 3986 §3.1: schemes are case-insensitive). `url_problem` says whether it is a usable one."""
    return bool(_HTTP_SCHEME.match(value))


def url_problem(value: str) -> str:
    """The one check for http(s) URLs: "" for a URL with a scheme, a host and a usable port (1-65535), or for
    "" (unset); otherwise the problem, as the rest of a sentence naming the key ("is not an http(s) URL").

    Spaces and control characters are refused anywhere (http.client refuses them in a request line)."""
    from urllib.parse import urlsplit

    if not value:
        return ""
    if any(c.isspace() or not c.isprintable() for c in value):
        return "contains a space or a control character"
    if not is_http_url(value):
        return "is not an http(s) URL"
    try:
        parts = urlsplit(value)
        port = parts.port  # reading it validates the port (ValueError when it is not 0-65535)
    except ValueError as err:
        return f"is not a well-formed URL ({err})"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0, which nothing can be reached on"
    return hostname_problem(parts.hostname)


def nonempty_problem(value: str) -> str:
    """A check for strings that cannot work empty: commands, paths, names."""
    return "" if value.strip() else "is empty"


def committed_path_problem(path: str) -> str:
    """A check for a file the release commits (the changelog, a version file): a relative path inside the
    repository, outside .git and .deploylib (neither is ever committed); "" when it is one. Edits to a file
    elsewhere could be neither committed nor undone."""
    from pathlib import PurePosixPath

    if not path.strip():
        return "is empty"
    parts = PurePosixPath(path).parts
    if PurePosixPath(path).is_absolute() or ".." in parts:
        return "is not a path inside the repository"
    kept = next((part for part in parts if part in (".git", STATE_DIR)), "")
    return f"is in {kept}, which is never committed" if kept else ""


def optional(check: Callable[[str], str]) -> Callable[[str], str]:
    """`check` for an option whose empty value means "none" (no command, no domain, no page): "" for an
    empty value, else what `check` finds."""
    return lambda value: check(value) if value else ""


def seconds_problem(value: float) -> str:
    """A check for waits and windows in seconds: from 0 to MAX_SECONDS."""
    return "" if 0 <= value <= MAX_SECONDS else f"must be between 0 and {MAX_SECONDS} seconds (a day)"


def positive_seconds_problem(value: float) -> str:
    """A check for timeouts in seconds: more than 0, at most MAX_SECONDS."""
    return "" if 0 < value <= MAX_SECONDS else f"must be more than 0 and at most {MAX_SECONDS} seconds (a day)"


def option(default: Any = dataclasses.MISSING, *, doc: str, check: Callable[[Any], str] | None = None,
           factory: Callable[[], Any] | None = None, variant: Kinds | None = None, was: str = "") -> Any:
    """Declare a configuration field: `doc` is the expected form shown in errors. `check(value)` returns a
    problem ("" when fine) and runs after the value has the field's type; `factory` makes a mutable
    default; `variant` makes the field a table whose kind key picks its dataclass (see Kinds); `was` is the
    key's old name, still read (see `build`)."""
    meta = {"doc": doc, "check": check, "variant": variant, "was": was}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@frozen
class Variant:
    """A table whose `type` chose the dataclass `options` was built from."""

    type: str
    options: Any


class Where:
    """Where a value sits, for error messages: file and dotted table path; and the old key names the
    file used (`renamed`: "[table] old" → new name), for one notice after the file is read."""

    def __init__(self, file: str, prefix: str = "") -> None:
        self.file, self.prefix = file, prefix
        self.renamed: dict[str, str] = {}

    def section(self, where: str) -> str:
        """The dotted table name `where` under the prefix, e.g. "tool.deploylib.build"; "top level" for ""."""
        return ".".join(p for p in (self.prefix, where) if p) or "top level"

    def key(self, where: str, key: str) -> str:
        """E.g. "deploy.toml: [build] command", the way every message names a key."""
        return f"{self.file}: [{self.section(where)}] {key}"


def nearest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """The known word a mistyped `word` most likely meant, for a "did you mean": the closest by difflib's ratio
    (at least `cutoff`, 0 to 1), case aside ("RSYNC" → "rsync"), else the first that `word` begins
    ("lock" → "lock_wait_s"); "" for none. The one rule for every suggestion deploylib makes."""
    words = list(known)
    by_lower: dict[str, str] = {}
    for known_word in words:
        by_lower.setdefault(known_word.lower(), known_word)
    import difflib  # only to word a refusal

    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    if close:
        return by_lower[close[0]]
    return next((k for k in words if word and k.lower().startswith(word.lower())), "")


def reject_unknown(table: dict[str, Any], known: list[str], ctx: Where, where: str) -> None:
    """Raises ConfigError (exit 3) for the first key of `table` not in `known`, with a "did you mean"."""
    for key in table:
        if key not in known:
            close = nearest(key, known)
            hint = f' Did you mean "{close}"?' if close else ""
            raise ConfigError(f"{ctx.file}: [{ctx.section(where)}] has an unknown key "
                              f"{json.dumps(key, ensure_ascii=False)}.{hint} "
                              f"Known keys here: {', '.join(known)}.")


def subtable(data: dict[str, Any], key: str, ctx: Where, where: str) -> dict[str, Any]:
    """`data[key]` ({} when absent). Raises ConfigError (exit 3) when it is not a table."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{ctx.key(where, key)} must be a table ([{ctx.section(key)}]), got {show(value)}.")
    return value


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """typing.get_type_hints, once per class: it evaluates every annotation again on each call (slow)."""
    return typing.get_type_hints(cls)


def build(cls: type, table: dict[str, Any], ctx: Where, where: str) -> Any:
    """Make a `cls` from a TOML table, or raise a ConfigError (exit 3) naming what is wrong.

    `cls`: a dataclass whose `option` fields are its keys (fields without `doc` metadata are not read).
    `where`: the dotted table the values sit in, for messages. An int is accepted where a float is
    expected (TOML `10` for 10.0 seconds); a bool is never an int. NUL characters, inf/nan and integers
    beyond 64 bits are refused everywhere. An old key name (`option(was=…)`) is read as the field's and
    noted in `ctx.renamed`."""
    hints = _type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if "doc" in f.metadata]
    old_names = {f.metadata["was"] for f in fields if f.metadata["was"]}  # read, but no longer suggested
    reject_unknown({k: v for k, v in table.items() if k not in old_names}, [f.name for f in fields], ctx, where)
    values = {}
    for f in fields:
        key = _key_given(f, table, ctx, where)
        if key not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{ctx.key(where, f.name)} is missing: it must be {f.metadata['doc']}.")
            continue
        value = _convert(table[key], hints[f.name], f, ctx, where, key)
        problem = _checked(f, value, ctx, where, key)
        if problem:
            raise ConfigError(f"{ctx.key(where, key)} = {show(table[key])} {problem}; "
                              f"it must be {f.metadata['doc']}.")
        values[f.name] = value
    return cls(**values)


def _checked(f: dataclasses.Field[Any], value: Any, ctx: Where, where: str, key: str) -> str:
    """The field's `check(value)`: its problem, "" when none. A check that raises, or answers no str (a bug in
    the plug-in or kind that declared it), is a ConfigError naming the key and the check's function."""
    check = f.metadata["check"]
    if check is None:
        return ""
    try:
        problem = check(value)
    except Exception as err:
        said = f"raised {type(err).__name__}: {err}"
    else:
        if isinstance(problem, str):
            return problem
        said = f"returned {problem!r} ({type(problem).__name__}), not a str"
    name = f"{getattr(check, '__module__', '?')}.{getattr(check, '__qualname__', repr(check))}"
    raise ConfigError(f"{ctx.key(where, key)}: the check of this key's value ({name}) {said}. This is a bug in "
                      "the plug-in that declared the key (its check returns \"\" or what is wrong); report it to its "
                      "authors, or leave the key out.")


def declared_problem(cls: type) -> str:
    """What keeps `build` from reading the options dataclass `cls` (a plug-in's), as the rest of a sentence naming
    the plug-in, with the fix; "" when nothing. Every field `__init__` takes must be an `option` (a plain field is
    no key: deploy.toml could not set it) of a type a TOML value is read as: str, int, float, bool (or one of them
    `| None`), list[…] or dict[str, …] of those (or of Any), a dataclass (a table), a tuple[dataclass, ...] (an
    array of tables); a field whose `option(variant=…)` picks its dataclass by kind is not checked here."""
    hints = _type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init or f.metadata.get("variant"):
            continue
        if "doc" not in f.metadata:
            return (f"has the field {f.name} in {cls.__qualname__}, not declared with deploylib.config.schema.option, "
                    f"so no key of deploy.toml reads it: declare it as {f.name}: {_shown(hints[f.name])} = "
                    'option(default, doc="the form expected, e.g. …")')
        hint = hints[f.name]
        if not _readable(hint):
            return (f"has the field {f.name}: {_shown(hint)} in {cls.__qualname__}, a type no TOML value is read "
                    "as: use str, int, float or bool (or one of them | None), list[…] or dict[str, …] of those, a "
                    "dataclass (a table) or tuple[dataclass, ...] (an array of tables)")
    return ""


def _shown(hint: Any) -> str:
    """A type as written in Python: "str", "list[int]", "Literal['a']"."""
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def _readable(hint: Any) -> bool:
    """Whether `_convert` reads a TOML value as the type `hint` (see `declared_problem`)."""
    scalars = (str, int, float, bool)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        return len(rest) == 1 and _readable(rest[0])
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return True
    if origin is tuple:
        return len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type) and dataclasses.is_dataclass(
            args[0])
    if origin is list:
        return len(args) == 1 and (args[0] in scalars or args[0] is Any)
    if origin is dict:
        return len(args) == 2 and args[0] is str and (args[1] in scalars or args[1] is Any)
    return hint in scalars


def _key_given(f: dataclasses.Field[Any], table: dict[str, Any], ctx: Where, where: str) -> str:
    """The key `table` gives field `f` under: its name, or its old name (`option(was=…)`), which is noted in
    `ctx.renamed`. Both at once is a ConfigError naming both, as neither can be known to be meant."""
    old: str = f.metadata["was"]
    if not old or old not in table:
        return f.name
    if f.name in table:
        raise ConfigError(f"{ctx.key(where, f.name)} and {old} are both given, but {old} is the old name of "
                          f"{f.name}, so only one can be meant. Keep one: remove {old}, or {f.name}.")
    ctx.renamed[f"[{ctx.section(where)}] {old}"] = f.name
    return old


def _convert(value: Any, hint: Any, f: dataclasses.Field[Any], ctx: Where, where: str, key: str) -> Any:
    """`value` (from the TOML table, under `key`: the field's name or its old one) as the field's type
    `hint`, checked item by item; raises ConfigError naming the key, the value and the expected form."""
    wrong = ConfigError(f"{ctx.key(where, key)} must be {f.metadata['doc']}, got {show(value)}.")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if f.metadata["variant"]:
        if origin is not tuple:
            return _variant(value, f, ctx, where, f"{where}.{key}")
        if not isinstance(value, list):
            raise wrong
        return tuple(_variant(item, f, ctx, where, f"{where}.{key}[{i}]") for i, item in enumerate(value))
    if origin is typing.Union or origin is types.UnionType:
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise wrong
        return build(hint, value, ctx, f"{where}.{key}")
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise wrong
        return tuple(build(args[0], item, ctx, f"{where}.{key}[{i}]") for i, item in enumerate(value))
    inside, item, problem = _value_problem(key, value)
    if problem:
        raise ConfigError(f"{ctx.key(where, inside)} = {show(item)} {problem}; {key} must be "
                          f"{f.metadata['doc']}.")
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong
        _reject_item(((f"{key}.{toml_key(k)}", v) for k, v in value.items()), args[1], key, f, ctx, where)
        return dict(value)
    if origin is list:
        if not isinstance(value, list):
            raise wrong
        _reject_item(((f"{key}[{i}]", v) for i, v in enumerate(value)), args[0], key, f, ctx, where)
        return list(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise wrong
    return value


def _reject_item(items: Iterable[tuple[str, Any]], hint: Any, key: str, f: dataclasses.Field[Any], ctx: Where,
                 where: str) -> None:
    """Raise a ConfigError naming the first item (labelled `name[0]` or `name.key`) not of type `hint`."""
    if hint is Any:
        return
    for label, item in items:
        if not isinstance(item, hint) or (hint is int and isinstance(item, bool)):
            expected = next(name for t, name in _toml_names() if t is hint)
            raise ConfigError(f"{ctx.key(where, label)} = {show(item)}, which is not {expected}; {key} must be "
                              f"{f.metadata['doc']}.")


def _value_problem(name: str, value: Any) -> tuple[str, Any, str]:
    """(where, what, why) for the first part of option `name`'s value no option can use, or ("", None, "").

    That is a NUL character (no command, path, header or git name can carry one), inf or nan, or an
    integer beyond TOML's 64 bits; `where` names the item inside a table or array, e.g. headers.Accept."""
    pending: list[tuple[str, Any]] = [(name, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str) and "\0" in item:
            return where, item, "contains a NUL character (\\u0000)"
        if isinstance(item, float) and not math.isfinite(item):
            return where, item, "is not a finite number"
        if isinstance(item, int) and not isinstance(item, bool) and not -_INT64 <= item < _INT64:
            return where, item, "is beyond the 64-bit whole numbers TOML allows"
        if isinstance(item, dict):
            for key, inner in item.items():
                if "\0" in key:
                    return f"{where} has the key {json.dumps(key)}", key, "contains a NUL character (\\u0000)"
                pending.append((f"{where}.{toml_key(key)}", inner))
        elif isinstance(item, list):
            pending += [(f"{where}[{index}]", inner) for index, inner in enumerate(item)]
    return "", None, ""


def _variant(value: Any, f: dataclasses.Field[Any], ctx: Where, where: str, sub: str) -> Any:
    if not isinstance(value, dict):
        raise ConfigError(f"{ctx.key(where, f.name)} must be {f.metadata['doc']}, got {show(value)}.")
    return build_kind(value, f.metadata["variant"], ctx, sub)


def build_kind(table: dict[str, Any], kinds: Kinds, ctx: Where, sub: str) -> Any:
    """Build the table at `sub` as the class its `kinds.key` (or `kinds.alias`) names: a Variant, or the options
    alone when not `kinds.wrap`. Raises ConfigError naming the key, the value and the kinds known."""
    options = dict(table)
    key = kinds.key
    if kinds.alias in options:
        if key in options:
            raise ConfigError(f"{ctx.key(sub, key)} and {kinds.alias} are both given; {kinds.alias} is the older "
                              f"name of {key}. Keep only {key}.")
        key = kinds.alias
    if key not in options and not kinds.default:
        raise ConfigError(f"{ctx.key(sub, key)} is missing: it must be one of {', '.join(kinds.registry.builtin)}, "
                          f"or a plug-in's kind.")
    kind = options.pop(key, kinds.default)
    if not isinstance(kind, str):
        raise ConfigError(f"{ctx.key(sub, key)} must be a string, one of {', '.join(kinds.registry.builtin)} or a "
                          f"plug-in's kind; got {show(kind)}.")
    cls = kinds.registry.load(kind)
    if cls is None:
        known = kinds.registry.known()
        close = nearest(kind, known)
        hint = f' Did you mean "{close}"?' if close else ""
        raise ConfigError(f"{ctx.key(sub, key)} = {json.dumps(kind, ensure_ascii=False)} is not a known "
                          f"{key}.{hint} Known: {', '.join(known)}; {kinds.registry.hint(kind)}.")
    built = build(kinds.registry.options(cls), options, ctx, sub)
    return Variant(type=kind, options=built) if kinds.wrap else built


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, quoted otherwise."""
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


@functools.cache
def _toml_names() -> tuple[tuple[type, str], ...]:
    """Each TOML value type (tomllib's Python type) with its name in a message. datetime is imported only for a
    message: a process that declares options but reads no TOML (a GitHub Pages publish) does without it."""
    import datetime

    return ((bool, "true or false"), (str, "a string"), (int, "a whole number"), (float, "a number"),
            (dict, "a table"), (list, "an array"), (datetime.datetime, "a date and time"), (datetime.date, "a date"),
            (datetime.time, "a time"))


def show(value: Any) -> str:
    """A TOML value as an error message quotes it: `"abc" (a string)`, `42 (a whole number)`."""
    kind = next((name for t, name in _toml_names() if isinstance(value, t)), type(value).__name__)
    if isinstance(value, dict):
        return kind
    if isinstance(value, list):
        text = json.dumps(value, default=str)
        return text if len(text) <= 80 else f"{text[:77]}…"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)  # escaped, so a newline or NUL stays visible in one line
    elif hasattr(value, "isoformat"):  # a date, time or date and time (tomllib's): as TOML writes it, not repr
        text = value.isoformat()
    else:
        text = repr(value).lower() if isinstance(value, bool) else repr(value)
    return f"{text[:80]} ({kind})"
