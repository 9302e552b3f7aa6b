"""Which text a response body is, decided as a browser decides it (HTML Living Standard §13.2.3.2
"Determining the character encoding", with the labels of the WHATWG Encoding Standard §4.2): a
byte order mark, else the Content-Type header's charset,
else (for HTML) a `<meta charset>` or `<meta http-equiv="Content-Type">` in the first 1024 bytes,
else UTF-8. Pure functions: no I/O.
"""

from __future__ import annotations

import codecs
import re

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"))
_PRESCAN_BYTES = 1024  # how far browsers look for a <meta> charset
_META = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# WHATWG labels that name a different encoding than Python's codec of the same name: browsers read
# "iso-8859-1" and "us-ascii" pages as windows-1252, "gb2312" as GBK, and a <meta> saying UTF-16 as UTF-8.
_WHATWG = {"us-ascii": "cp1252", "ascii": "cp1252", "ansi_x3.4-1968": "cp1252", "iso-8859-1": "cp1252",
           "iso8859-1": "cp1252", "iso_8859-1": "cp1252", "latin1": "cp1252", "l1": "cp1252", "cp819": "cp1252",
           "ibm819": "cp1252", "iso-ir-100": "cp1252", "x-cp1252": "cp1252", "iso-8859-9": "cp1254",
           "latin5": "cp1254", "iso-8859-11": "cp874", "tis-620": "cp874", "gb2312": "gbk", "x-gbk": "gbk",
           "chinese": "gbk",
           # WHATWG labels Python spells otherwise, and "utf-16", which the Encoding Standard reads as UTF-16LE
           "windows-874": "cp874", "dos-874": "cp874", "x-mac-cyrillic": "mac-cyrillic",
           "x-mac-ukrainian": "mac-cyrillic", "iso-8859-8-i": "iso8859-8", "csiso88598i": "iso8859-8",
           "logical": "iso8859-8", "x-mac-roman": "mac-roman", "utf-16": "utf-16-le", "unicode": "utf-16-le",
           "ucs-2": "utf-16-le", "csunicode": "utf-16-le", "iso-10646-ucs-2": "utf-16-le", "unicodefffe": "utf-16-be"}
# The Python codecs of the encodings browsers have (WHATWG Encoding Standard §4.2). Any other codec Python
# finds for a label is one no browser reads pages with (utf-7, utf-32) or no text encoding at all ("hex",
# "rot13", "base64", "undefined": decoding with them raises): such a label is unknown, as in a browser.
_BROWSER_CODECS = frozenset({
    "utf-8", "cp866", *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)), "koi8-r", "koi8-u",
    "mac-roman", "cp874", *(f"cp{n}" for n in range(1250, 1259)), "mac-cyrillic", "gbk", "gb18030", "big5",
    "euc_jp", "iso2022_jp", "shift_jis", "euc_kr", "utf-16-be", "utf-16-le"})


def codec_for(label: str) -> str:
    """The Python codec a browser uses for an encoding label, or "" for a label it does not know (see
    _BROWSER_CODECS)."""
    name = label.strip().lower()
    name = _WHATWG.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return ""
    return codec if codec in _BROWSER_CODECS else ""


def header_charset(content_type: str) -> str:
    """The codec named by a Content-Type header's charset parameter, or ""."""
    found = _HEADER.search(content_type.partition(";")[2])
    return codec_for(found[1]) if found else ""


def meta_label(head: bytes) -> str:
    """The encoding label a page's `<meta>` declares in its first 1024 bytes, as written, or ""."""
    found = _META.search(head[:_PRESCAN_BYTES])
    return found[1].decode("ascii") if found else ""


def meta_charset(head: bytes) -> str:
    """The codec a page's `<meta>` declares, or "". A declared UTF-16 means UTF-8: a page whose <meta>
    could be read as ASCII cannot be UTF-16."""
    codec = codec_for(meta_label(head))
    return "utf-8" if codec.startswith("utf-16") else codec


def is_html(content_type: str) -> bool:
    """Whether a body of this Content-Type is prescanned for `<meta>`: text/html, XHTML, or no type at all."""
    media = content_type.partition(";")[0].strip().lower()
    return media in ("", "text/html", "application/xhtml+xml")


def sniff(body: bytes, content_type: str) -> tuple[str, int]:
    """(Python codec name, bytes of byte order mark to skip) for a body served with `content_type` (the
    header's value as sent, e.g. "text/html; charset=utf-8", or ""). A BOM wins over the header, as in
    browsers; an unknown label is ignored. Pure; never raises."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    codec = header_charset(content_type) or (meta_charset(body) if is_html(content_type) else "")
    return codec or "utf-8", 0


def decode(body: bytes, content_type: str) -> str:
    """The text a browser shows for `body`; bytes that are not valid in the encoding become U+FFFD."""
    codec, skip = sniff(body, content_type)
    return body[skip:].decode(codec, errors="replace")
