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
# Every encoding browsers have, by its WHATWG name, with all its labels (Encoding Standard §4.2,
# encodings.json): a label not listed here is unknown to browsers, whatever Python makes of it ("utf_8",
# "latin-1", "hex", "utf-7" are none).
_LABELS = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "ibm866": "866 cp866 csibm866 ibm866",
    "iso-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    "iso-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    "iso-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    "iso-8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988",
    "iso-8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
                  "iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    "iso-8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
                  "iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso-8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 "
                  "iso_8859-8 iso_8859-8:1988 visual",
    "iso-8859-8-i": "csiso88598i iso-8859-8-i logical",
    "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso-8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "macintosh": "csmacintosh mac macintosh x-mac-roman",
    "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "windows-1250": "cp1250 windows-1250 x-cp1250",
    "windows-1251": "cp1251 windows-1251 x-cp1251",
    "windows-1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 "
                    "iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    "windows-1253": "cp1253 windows-1253 x-cp1253",
    "windows-1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 "
                    "latin5 windows-1254 x-cp1254",
    "windows-1255": "cp1255 windows-1255 x-cp1255",
    "windows-1256": "cp1256 windows-1256 x-cp1256",
    "windows-1257": "cp1257 windows-1257 x-cp1257",
    "windows-1258": "cp1258 windows-1258 x-cp1258",
    "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gbk": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    "gb18030": "gb18030",
    "big5": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso-2022-jp": "csiso2022jp iso-2022-jp",
    "shift_jis": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "euc-kr": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 "
              "windows-949",
    "replacement": "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement",
    "utf-16be": "unicodefffe utf-16be",
    "utf-16le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    "x-user-defined": "x-user-defined",
}
_ENCODING = {label: name for name, labels in _LABELS.items() for label in labels.split()}
# The Python codec that decodes as the Encoding Standard's decoder does, where the same name would not:
# browsers read Shift_JIS with Microsoft's extensions (cp932: ① and ～ as Windows writes them), EUC-KR
# as Windows-949 (its Hangul beyond KS X 1001), Big5 with HKSCS, GBK with the GB18030 decoder, EUC-JP
# with the JIS X 0208 index Shift_JIS uses (_euc_jp). "replacement" and "x-user-defined" are decoded
# here (decode): Python has no codec for them.
_CODEC = {"ibm866": "cp866", "iso-8859-8-i": "iso8859-8", "macintosh": "mac-roman", "windows-874": "cp874",
          "x-mac-cyrillic": "mac-cyrillic", "gbk": "gb18030", "big5": "big5hkscs", "iso-2022-jp": "iso2022_jp",
          "shift_jis": "cp932", "euc-kr": "cp949", "utf-16be": "utf-16-be", "utf-16le": "utf-16-le",
          **{name: name.replace("windows-", "cp") for name in _LABELS if name.startswith("windows-125")}}


def encoding_for(label: str) -> str:
    """The WHATWG name of the encoding a browser uses for `label` (e.g. "latin1" → "windows-1252"), or ""
    for a label browsers do not know. Leading and trailing blanks and case do not matter."""
    return _ENCODING.get(label.strip("\t\n\x0c\r ").lower(), "")


def codec_for(label: str) -> str:
    """The codec `decode` reads an encoding label's bytes with (a Python codec name, or "euc-jp",
    "replacement" and "x-user-defined", which `decode` handles itself), or "" for a label browsers do
    not know."""
    name = encoding_for(label)
    return _CODEC.get(name, name)


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


def meta_encoding(head: bytes) -> str:
    """The WHATWG name of the encoding a page's `<meta>` makes a browser read it in, or "": a declared
    UTF-16 means UTF-8 (a page whose <meta> could be read as ASCII cannot be UTF-16) and x-user-defined
    means windows-1252 (HTML §13.2.3.2, the prescan's last steps)."""
    name = encoding_for(meta_label(head))
    return {"utf-16be": "utf-8", "utf-16le": "utf-8", "x-user-defined": "windows-1252"}.get(name, name)


def meta_charset(head: bytes) -> str:
    """The codec (as `codec_for` names it) a page's `<meta>` declares, or "" (see `meta_encoding`)."""
    name = meta_encoding(head)
    return _CODEC.get(name, name)


def css_encoding(head: bytes) -> str:
    """The WHATWG name of the encoding a stylesheet's `@charset "…";` rule declares, or "": only the exact bytes
    `@charset "` at its very start count, and a UTF-16 label means UTF-8 (CSS Syntax §3.2)."""
    found = re.match(rb'@charset "([^"]{1,64})";', head[:_PRESCAN_BYTES])
    name = encoding_for(found[1].decode("latin-1")) if found else ""
    return "utf-8" if name in ("utf-16be", "utf-16le") else name


def served_encoding(head: bytes, media: str, whole: bool) -> str:
    """The charset a static server should name for a text file of `media` type (e.g. "text/css") starting
    with `head` (the whole file when `whole`): what the file declares (a byte order mark, an HTML <meta>, a
    stylesheet's @charset), else "utf-8" when `head` is valid UTF-8, else "" (name none: the browser then
    reads the file as it would from any server that names none, e.g. in its page's encoding). Pure."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec.replace("-be", "be").replace("-le", "le")
    declared = meta_encoding(head) if is_html(media) else css_encoding(head) if media == "text/css" else ""
    if declared:
        return declared
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
    except UnicodeDecodeError:
        return ""
    return "utf-8"


def is_html(content_type: str) -> bool:
    """Whether a body of this Content-Type is prescanned for `<meta>`: text/html, XHTML, or no type at all."""
    media = content_type.partition(";")[0].strip().lower()
    return media in ("", "text/html", "application/xhtml+xml")


def sniff(body: bytes, content_type: str) -> tuple[str, int]:
    """(codec as `codec_for` names it, bytes of byte order mark to skip) for a body served with `content_type` (the
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
    body = body[skip:]
    if codec == "replacement":  # encodings browsers refuse to read (ISO-2022-KR, HZ): one U+FFFD
        return "\ufffd" if body else ""
    if codec == "x-user-defined":
        return "".join(chr(b) if b < 0x80 else chr(0xF780 + b - 0x80) for b in body)
    if codec == "euc-jp":
        return _euc_jp(body)
    return body.decode(codec, errors=_GB18030_EURO if codec == "gb18030" else "replace")


def _gb18030_euro(error: UnicodeError) -> tuple[str, int]:
    """The GB18030 decoder's one byte Python's lacks (Encoding Standard §11.2.1): a lone 0x80 is €, as in GBK;
    any other error is replaced."""
    assert isinstance(error, UnicodeDecodeError)
    if error.object[error.start] == 0x80:
        return "\u20ac", error.start + 1
    return "\ufffd", error.end


_GB18030_EURO = "deploylib-gb18030-euro"
codecs.register_error(_GB18030_EURO, _gb18030_euro)


def _euc_jp(body: bytes) -> str:
    """EUC-JP as the Encoding Standard decodes it (§12.1.1): a JIS X 0208 pair is read through the index
    Shift_JIS shares (as cp932 reads it, with ① and ～), 0x8E + byte is half-width katakana, 0x8F starts
    JIS X 0212. Python's euc_jp has neither Microsoft's characters nor the index's mappings."""
    out, at = [], 0
    while at < len(body):
        byte = body[at]
        second = body[at + 1] if at + 1 < len(body) else -1
        if byte < 0x80:
            out.append(chr(byte))
            at += 1
        elif byte == 0x8E and 0xA1 <= second <= 0xDF:
            out.append(chr(0xFF61 - 0xA1 + second))
            at += 2
        elif byte == 0x8F and 0xA1 <= second <= 0xFE and at + 2 < len(body) and 0xA1 <= body[at + 2] <= 0xFE:
            out.append(body[at:at + 3].decode("euc_jp", errors="replace"))
            at += 3
        elif 0xA1 <= byte <= 0xFE and 0xA1 <= second <= 0xFE:
            pointer = (byte - 0xA1) * 94 + second - 0xA1
            lead, trail = divmod(pointer, 188)
            sjis = bytes((lead + (0x81 if lead < 0x1F else 0xC1), trail + (0x40 if trail < 0x3F else 0x41)))
            try:
                out.append(sjis.decode("cp932"))
            except UnicodeDecodeError:  # a pointer the index leaves empty: one character replaced
                out.append("\ufffd")
            at += 2
        else:
            out.append("\ufffd")
            at += 1
    return "".join(out)
