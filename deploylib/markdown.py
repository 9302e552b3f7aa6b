"""Text put into Markdown as text (incident reports, the GitHub Actions job summary): what a page or a
command said shows as written when the Markdown is rendered, never as HTML, a link or emphasis."""

from __future__ import annotations

import re

# CommonMark's backslash escapes (§2.4) for the characters that start inline markup: code, emphasis and
# strikethrough (GFM), links and images, raw HTML and autolinks (an unclosed `<!--` or `<script` in an
# excerpt would hide the rest of the report), and `|`, which ends a GFM table cell.
_INLINE = re.compile(r"([\\`*_~\[\]<>!|])")


def table_cell(text: object) -> str:
    """`text` as one cell of a GFM table: markup characters escaped, line breaks as spaces."""
    return _INLINE.sub(r"\\\1", str(text)).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
