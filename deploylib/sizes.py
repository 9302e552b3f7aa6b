"""Byte sizes: the one rule for reading them from configuration, and the one way to print them (pure).

Reading: a number (whole or decimal, not negative), optionally followed by a unit; space between them
and the unit's case do not matter. The SI units count in powers of 1000 and the IEC ones, with an
"i", in powers of 1024 (IEC 80000-13):

    B                 1
    kB  (KB, kb)      1000           KiB  (kib)   1024
    MB                1000**2        MiB          1024**2
    GB                1000**3        GiB          1024**3
    TB                1000**4        TiB          1024**4

so "500 kB" and "500 KB" are 500,000 bytes and "500 KiB" 512,000. A bare number is bytes.

Printing: always IEC, one decimal ("487.3 KiB", "1.5 MiB"); below 1 KiB, whole bytes ("900 B").
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?(b)?\s*", re.IGNORECASE)
_PREFIXES = "kmgt"
_IEC = ("KiB", "MiB", "GiB", "TiB")
EXAMPLES = '"500 kB", "1.5 MiB" or "2048"'  # the forms error messages suggest


def parse_size(text: str) -> int:
    """The number of bytes `text` says, by the rule above: "500 kB" → 500000, "1.5 MiB" → 1572864,
    "2048" → 2048 (fractions of a byte are dropped).

    Raises ValueError for anything else: no number, a negative one, a comma as decimal mark ("1,5 MB"),
    an unknown unit ("500 KBs"), or a prefix without "B" ("500 k")."""
    found = _SIZE.fullmatch(text)
    if not found or (found[2] and not found[3]):
        raise ValueError(f"{text!r} is not a size such as {EXAMPLES}")
    prefix = (found[2] or "").lower()
    if not prefix:
        return int(float(found[1]))
    base = 1024 if prefix.endswith("i") else 1000
    return int(float(found[1]) * base ** (_PREFIXES.index(prefix[0]) + 1))


def restate(text: str) -> str:
    """A configured size (see `parse_size`, which raises ValueError for one it cannot read) as printed,
    with the user's own words when they used SI units: "500 kB" → "488.3 KiB (500 kB)", "1.5 MiB" →
    "1.5 MiB", "2048" → "2.0 KiB"."""
    shown = format_size(parse_size(text))
    found = _SIZE.fullmatch(text)
    si = found is not None and found[2] is not None and not found[2].lower().endswith("i")
    return f"{shown} ({text.strip()})" if si else shown


def size_problem(text: str) -> str:
    """A configuration check: "" for "" (no limit) or a size `parse_size` reads, else the problem."""
    if not text:
        return ""
    try:
        parse_size(text)
    except ValueError:
        return f"is not a size such as {EXAMPLES}"
    return ""


def format_size(count: int) -> str:
    """`count` bytes (>= 0) for people, in IEC units: 900 → "900 B", 1536 → "1.5 KiB", 1572864 → "1.5 MiB"."""
    if count < 1024:
        return f"{count} B"
    value, unit = count / 1024, _IEC[0]
    for bigger in _IEC[1:]:
        if round(value, 1) < 1024:  # 1023.97 KiB prints as 1.0 MiB, not 1024.0 KiB
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
