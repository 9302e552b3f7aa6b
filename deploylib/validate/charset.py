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
_SPACE = b"\t\n\x0c\r "
_CONTENT_CHARSET = re.compile(r"""charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))""", re.IGNORECASE)
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
    """The encoding label a page's `<meta>` declares in its first 1024 bytes (lower case), or "": the first
    one a browser knows, found by the HTML Living Standard's prescan (§13.2.3.2), which skips comments and
    other tags' attributes, and reads `content` only beside `http-equiv="content-type"`."""
    data, at = head[:_PRESCAN_BYTES], 0
    while at < len(data):
        if data.startswith(b"<!--", at):
            end = data.find(b"-->", at + 2)
            at = len(data) if end < 0 else end + 3
        elif data[at:at + 5].lower() == b"<meta" and data[at + 5:at + 6] in (*(bytes([c]) for c in _SPACE), b"/"):
            at, label = _meta_element(data, at + 5)
            if label:
                return label
        elif data[at:at + 1] == b"<" and data[at + 1:at + 2].isalpha() or \
                data[at:at + 2] == b"</" and data[at + 2:at + 3].isalpha():
            while at < len(data) and data[at] not in _SPACE and data[at] != ord(">"):
                at += 1
            while True:  # the tag's attributes are skipped whole: a "<meta" inside a value is no tag
                at, attribute = _attribute(data, at)
                if attribute is None:
                    break
        elif data[at:at + 2] in (b"<!", b"</", b"<?"):
            end = data.find(b">", at)
            at = len(data) if end < 0 else end
        at += 1
    return ""


def _meta_element(data: bytes, at: int) -> tuple[int, str]:
    """The prescan's steps for one `<meta`: (where it ends, the known label it declares or "")."""
    seen: set[str] = set()
    got_pragma, need_pragma, label = False, None, None
    while True:
        at, attribute = _attribute(data, at)
        if attribute is None:
            break
        name, value = attribute
        if name in seen:
            continue
        seen.add(name)
        if name == "http-equiv" and value == "content-type":
            got_pragma = True
        elif name == "content" and label is None:
            found = _CONTENT_CHARSET.search(value)
            if found and (declared := next(g for g in found.groups() if g is not None)):
                label, need_pragma = declared, True
        elif name == "charset":
            label, need_pragma = value, False
    known = label is not None and codec_for(label) != "" and (need_pragma is False or got_pragma)
    return at, label.strip() if known and label else ""


def _attribute(data: bytes, at: int) -> tuple[int, tuple[str, str] | None]:
    """The prescan's "get an attribute" (HTML §13.2.3.2): (position after it, (name, value) in lower case), or
    None at the tag's end."""
    while at < len(data) and (data[at] in _SPACE or data[at] == ord("/")):
        at += 1
    if at >= len(data) or data[at] == ord(">"):
        return at, None
    start = at
    while at < len(data) and not (data[at] == ord("=") and at > start) and data[at] not in _SPACE \
            and data[at] not in b"/>":
        at += 1
    name = data[start:at].decode("latin-1").lower()
    while at < len(data) and data[at] in _SPACE:
        at += 1
    if at >= len(data) or data[at] != ord("="):
        return at, (name, "")
    at += 1
    while at < len(data) and data[at] in _SPACE:
        at += 1
    if at < len(data) and data[at] in b"\"'":
        quote, at = data[at], at + 1
        end = data.find(bytes([quote]), at)
        end = len(data) if end < 0 else end
        return end + 1, (name, data[at:end].decode("latin-1").lower())
    start = at
    while at < len(data) and data[at] not in _SPACE and data[at] != ord(">"):
        at += 1
    return at, (name, data[start:at].decode("latin-1").lower())


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
