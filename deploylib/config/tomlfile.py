"""Reading a TOML file into a table, or one ConfigError naming the byte, line or key that makes it
unreadable (a UTF-8 byte-order mark is read past): bytes that are not UTF-8, a syntax error, values
nested deeper than MAX_DEPTH (tomllib recurses once per level and would raise RecursionError a few
hundred levels down), or a table that is not a table.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from deploylib.config.schema import show, toml_key
from deploylib.errors import ConfigError

MAX_DEPTH = 32  # tables and arrays inside each other; a deploylib configuration needs fewer than 10
_SIGNIFICANT = re.compile(r"[\n#\"'\[\]{}=]")  # what `too_deep` looks at; it skips the rest in one step


def read_table(path: Path, table: tuple[str, ...] = ()) -> dict[str, Any]:
    """The table at the keys `table` (e.g. ("tool", "deploylib")) of the TOML file at `path` ({} when absent).

    Raises ConfigError (exit 3) when the file cannot be read, and naming the offset of a byte that is
    not UTF-8 (TOML 1.0 files are UTF-8), the line of a syntax error or of a value nested too deep, or
    the key that should be a table but is not."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror}).") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path.name} is UTF-16 text: it starts with byte 0x{raw[0]:02x} then byte 0x{raw[1]:02x}, a "
                          "UTF-16 byte-order mark. TOML files are UTF-8: save it as UTF-8 and run the command again.")
    try:
        # A UTF-8 byte-order mark, which some Windows editors write, is not part of the text (tomllib refuses it).
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line, column = raw.count(b"\n", 0, err.start) + 1, err.start - raw.rfind(b"\n", 0, err.start)
        raise ConfigError(f"{path.name} is not UTF-8 text: byte 0x{raw[err.start]:02x} at offset {err.start} "
                          f"(line {line}, column {column}) cannot be decoded. TOML files are UTF-8: save it as UTF-8 "
                          "and run the command again.") from None
    deep = too_deep(text)
    if deep:
        line, key = deep
        raise ConfigError(f"{path.name}, line {line}: {key or 'a value'} nests arrays or inline tables more than "
                          f"{MAX_DEPTH} deep, more than deploylib reads. Flatten it.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = f", line {text.count(chr(10)) + 1}" if str(err).endswith("(at end of document)") else ""
        raise ConfigError(f"{path.name} is not valid TOML: {err}{where}. Fix the syntax at that line "
                          "and run the command again.") from None
    for depth, key in enumerate(table):
        value = data.get(key, {})
        if not isinstance(value, dict):
            where = ".".join(table[:depth]) or "top level"
            raise ConfigError(f"{path.name}: [{where}] {key} must be a table ([{'.'.join(table[:depth + 1])}]), "
                              f"got {show(value)}.")
        data = value
    return data


def too_deep(text: str) -> tuple[int, str] | None:
    """(line, key) of the first value in TOML `text` that nests arrays or inline tables more than
    MAX_DEPTH deep, or None. A scan that skips strings and comments, so tomllib never recurses deeper."""
    depth, line, key, start, at = 0, 1, "", 0, 0
    while (found := _SIGNIFICANT.search(text, at)) is not None:
        at, char = found.start(), found[0]
        if char == "\n":
            line, start = line + 1, at + 1
        elif char == "#":
            at = text.find("\n", at)
            if at < 0:
                break
            continue
        elif char in "\"'":
            end = _string_end(text, at)
            line += text.count("\n", at, end)
            at = end
            continue
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, key
        elif char in "]}":
            depth = max(0, depth - 1)
        elif depth == 0:  # "="
            key = text[start:at].strip()
        at += 1
    return None


def _string_end(text: str, at: int) -> int:
    """The offset just past the string starting at `at` (basic, literal, or either multi-line form)."""
    quote = text[at] * 3 if text.startswith(text[at] * 3, at) else text[at]
    escapes = quote[0] == '"'
    index = at + len(quote)
    while index < len(text):
        if escapes and text[index] == "\\":
            index += 2
        elif text.startswith(quote, index):
            return index + len(quote)
        elif text[index] == "\n" and len(quote) == 1:
            return index  # an unterminated one-line string: tomllib reports it
        else:
            index += 1
    return len(text)


def too_deep_key(data: dict[str, Any]) -> str:
    """The dotted key of the first value of `data` nested more than MAX_DEPTH deep ("" when none):
    dotted keys and [a.b.c] headers nest tables without brackets, so `too_deep` cannot see them."""
    pending: list[tuple[str, Any, int]] = [("", data, 0)]
    while pending:
        key, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return key
        if isinstance(value, dict):
            pending += [(f"{key}.{toml_key(k)}" if key else toml_key(k), v, depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            pending += [(f"{key}[{i}]", v, depth + 1) for i, v in enumerate(value)]
    return ""
