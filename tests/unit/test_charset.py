"""Response bodies are read as a browser reads them (WHATWG: BOM, header charset, <meta>, UTF-8)."""

from __future__ import annotations

import codecs

import pytest

from deploylib.validate.charset import decode, served_encoding

CAFE = "<h1>Welcome · café</h1>"


@pytest.mark.parametrize(("body", "content_type", "text"), [
    (CAFE.encode(), "text/html", CAFE),  # no charset anywhere: UTF-8, not ISO-8859-1
    (CAFE.encode(), "", CAFE),  # no Content-Type at all
    (CAFE.encode(), "text/plain", CAFE),
    (CAFE.encode(), "application/json", CAFE),
    (CAFE.encode(), "text/html; charset=utf-8", CAFE),
    (CAFE.encode(), 'text/html; charset="UTF-8"', CAFE),  # quoted, upper case
    (CAFE.encode("cp1252"), "text/html; charset=windows-1252", CAFE),
    (CAFE.encode("cp1252"), "text/html; charset=iso-8859-1", CAFE),  # browsers read latin1 as windows-1252
    ("“quoted”".encode("cp1252"), "text/html; charset=us-ascii", "“quoted”"),  # ascii label too
    ("<meta charset=iso-8859-1><p>café</p>".encode("cp1252"), "text/html",
     "<meta charset=iso-8859-1><p>café</p>"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>café</p>'.encode("cp1252"),
     "text/html", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>café</p>'),
    ("<meta charset='shift_jis'><p>日本</p>".encode("shift_jis"), "text/html", "<meta charset='shift_jis'><p>日本</p>"),
    ("<meta charset=utf-16><p>café</p>".encode(), "text/html", "<meta charset=utf-16><p>café</p>"),  # means UTF-8
    ("<meta charset=no-such-thing><p>café</p>".encode(), "text/html", "<meta charset=no-such-thing><p>café</p>"),
    # the <meta> prescan reads tags and attributes as a browser does (HTML §13.2.3.2), not any "charset="
    ('<!-- <meta charset="koi8-r"> --><meta charset="utf-8"><p>café</p>'.encode(), "text/html",
     '<!-- <meta charset="koi8-r"> --><meta charset="utf-8"><p>café</p>'),  # a <meta> in a comment
    ('<meta name="description" content="charset=koi8-r"><p>café</p>'.encode(), "text/html",
     '<meta name="description" content="charset=koi8-r"><p>café</p>'),  # content without http-equiv
    ('<meta data-x="charset=koi8-r" charset="utf-8"><p>café</p>'.encode(), "text/html",
     '<meta data-x="charset=koi8-r" charset="utf-8"><p>café</p>'),  # inside another attribute's value
    ('<img alt=\'<meta charset="koi8-r">\'><p>café</p>'.encode(), "text/html",
     '<img alt=\'<meta charset="koi8-r">\'><p>café</p>'),  # inside another tag
    ('<meta charset="bogus"><meta charset="windows-1252"><p>café</p>'.encode("cp1252"), "text/html",
     '<meta charset="bogus"><meta charset="windows-1252"><p>café</p>'),  # an unknown label: the next <meta>
    ('<META CONTENT="text/html; CHARSET=\'windows-1252\'" HTTP-EQUIV=Content-Type><p>café</p>'.encode("cp1252"),
     "text/html", '<META CONTENT="text/html; CHARSET=\'windows-1252\'" HTTP-EQUIV=Content-Type><p>café</p>'),
    # the header wins over the <meta>
    ("<meta charset=windows-1252><p>café</p>".encode(), "text/html; charset=utf-8",
     "<meta charset=windows-1252><p>café</p>"),
    # a <meta> only counts in HTML
    ("<meta charset=windows-1252> café".encode(), "text/plain", "<meta charset=windows-1252> café"),
    # a byte order mark wins over everything
    (codecs.BOM_UTF8 + CAFE.encode(), "text/html; charset=windows-1252", CAFE),
    (codecs.BOM_UTF16_LE + CAFE.encode("utf-16-le"), "text/html", CAFE),
    (codecs.BOM_UTF16_BE + CAFE.encode("utf-16-be"), "text/html", CAFE),
    # labels Python knows that name no browser encoding: unknown, as in a browser, never an error
    (CAFE.encode(), "text/html; charset=hex", CAFE),
    (CAFE.encode(), "text/html; charset=rot13", CAFE),
    (CAFE.encode(), "text/html; charset=base64", CAFE),
    (CAFE.encode(), "text/html; charset=undefined", CAFE),
    (CAFE.encode(), "text/html; charset=utf-7", CAFE),
    ("<meta charset=rot13><p>café</p>".encode(), "text/html", "<meta charset=rot13><p>café</p>"),
    ("<meta charset=idna><p>café</p>".encode(), "text/html", "<meta charset=idna><p>café</p>"),
    # WHATWG labels Python spells otherwise
    ("<p>฿</p>".encode("cp874"), "text/html; charset=windows-874", "<p>฿</p>"),
    ("<p>щ</p>".encode("mac-cyrillic"), "text/html; charset=x-mac-cyrillic", "<p>щ</p>"),
    ("<p>שלום</p>".encode("iso8859-8"), "text/html; charset=iso-8859-8-i", "<p>שלום</p>"),
    (CAFE.encode("utf-16-le"), "text/html; charset=utf-16", CAFE),  # a header saying UTF-16: little-endian
    (b"caf\xe9", "text/html", "caf\ufffd"),  # not UTF-8 and nothing declared: replaced, never an error
    (b"", "text/html", ""),
])
def test_a_body_is_decoded_as_a_browser_decodes_it(body: bytes, content_type: str, text: str) -> None:
    assert decode(body, content_type) == text


def test_a_meta_beyond_the_first_1024_bytes_is_not_seen() -> None:
    body = b" " * 1024 + "<meta charset=windows-1252>café".encode()
    assert decode(body, "text/html").endswith("café")


@pytest.mark.parametrize(("body", "content_type", "text"), [
    # Shift_JIS is read with Microsoft's extensions, under each of its labels
    ("<p>① ～ 日本</p>".encode("cp932"), "text/html; charset=shift_jis", "<p>① ～ 日本</p>"),
    ("<p>日本 ～</p>".encode("cp932"), "text/html; charset=windows-31j", "<p>日本 ～</p>"),
    ("<meta charset=sjis><p>①</p>".encode("cp932"), "text/html", "<meta charset=sjis><p>①</p>"),
    ("<p>①</p>".encode("cp932"), "text/html; charset=MS932", "<p>①</p>"),
    # EUC-JP through the same JIS X 0208 index, half-width katakana and JIS X 0212
    ("日本".encode("euc_jp") + b"\xad\xa1\xa1\xc1\x8e\xb1" + "丂".encode("euc_jp"), "text/html; charset=euc-jp",
     "日本①～ｱ丂"),
    (b"\xa4\xa2A\xa4", "text/html; charset=euc-jp", "あA\ufffd"),  # a cut pair: one U+FFFD
    # EUC-KR is Windows-949: Hangul beyond KS X 1001
    ("<meta charset=euc-kr><p>똠방각하</p>".encode("cp949"), "text/html", "<meta charset=euc-kr><p>똠방각하</p>"),
    ("<p>똠</p>".encode("cp949"), "text/html; charset=ks_c_5601-1987", "<p>똠</p>"),
    # Big5 has HKSCS; GBK is read by the GB18030 decoder (four-byte sequences, and 0x80 as €)
    ("<meta charset=big5><p>香港 𨋢</p>".encode("big5hkscs"), "text/html", "<meta charset=big5><p>香港 𨋢</p>"),
    ("<p>𠀀</p>".encode("gb18030"), "text/html; charset=gb2312", "<p>𠀀</p>"),
    (b"<p>\x80 5</p>", "text/html; charset=gbk", "<p>€ 5</p>"),
    (b"<p>\x80 5</p>", "text/html; charset=gb18030", "<p>€ 5</p>"),
    # labels Python does not know, or knows as another encoding
    ("<p>ґ</p>".encode("koi8-u"), "text/html; charset=koi8-ru", "<p>ґ</p>"),
    (CAFE.encode(), "text/html; charset=unicode-1-1-utf-8", CAFE),
    ("<meta charset=windows-1252><p>café</p>".encode("cp1252"), "text/html; charset=utf_8",  # not a label:
     "<meta charset=windows-1252><p>café</p>"),  # the <meta> decides
    ("<meta charset=windows-1252><p>café</p>".encode("cp1252"), "text/html; charset=latin-1",
     "<meta charset=windows-1252><p>café</p>"),
    ('<meta charset=" windows-1252 "><p>café</p>'.encode("cp1252"), "text/html",
     '<meta charset=" windows-1252 "><p>café</p>'),  # blanks around a label do not matter
    # encodings browsers read without a Python codec
    (b"<p>\xe9</p>", "text/html; charset=x-user-defined", "<p>\uf7e9</p>"),
    ("<meta charset=x-user-defined><p>café</p>".encode("cp1252"), "text/html",  # in a <meta>: windows-1252
     "<meta charset=x-user-defined><p>café</p>"),
    (CAFE.encode(), "text/html; charset=iso-2022-kr", "\ufffd"),  # the replacement encoding
    (CAFE.encode(), "text/html; charset=hz-gb-2312", "\ufffd"),
])
def test_each_encoding_is_read_with_the_decoder_browsers_use(body: bytes, content_type: str, text: str) -> None:
    assert decode(body, content_type) == text


@pytest.mark.parametrize(("head", "media", "whole", "name"), [
    ('@charset "iso-8859-1";\nb::after{content:"é"}'.encode("latin-1"), "text/css", True, "windows-1252"),
    (b'@charset "UTF-16";\nb{}', "text/css", True, "utf-8"),  # a UTF-16 label means UTF-8
    (b"@charset 'iso-8859-1';\nb{}", "text/css", True, "utf-8"),  # not the exact form: not a declaration
    (b' @charset "iso-8859-1";\nb{}', "text/css", True, "utf-8"),  # not at the very start
    ('/* é */ b{}'.encode("cp1252"), "text/css", True, ""),  # not UTF-8 and nothing declared: no charset
    ("var s = 'é';".encode("cp1252"), "text/javascript", True, ""),
    ("var s = 'é';".encode(), "text/javascript", True, "utf-8"),
    ("<p>é</p>".encode("cp1252"), "text/html", True, ""),
    ("<meta charset=windows-1252><p>é</p>".encode("cp1252"), "text/html", True, "windows-1252"),
    (codecs.BOM_UTF16_LE + "b{}".encode("utf-16-le"), "text/css", True, "utf-16le"),
    ("é".encode()[:1], "text/plain", False, "utf-8"),  # a character cut at the end of what was read
    ("é".encode()[:1], "text/plain", True, ""),
    (b"", "text/css", True, "utf-8"),
])
def test_a_static_server_names_the_encoding_a_browser_reads_the_file_in(head: bytes, media: str, whole: bool,
                                                                          name: str) -> None:
    assert served_encoding(head, media, whole) == name
