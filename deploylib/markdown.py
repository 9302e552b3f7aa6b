"""Text put into Markdown as text (incident reports, the GitHub Actions job summary): what a page or a
command said shows as written when the Markdown is rendered, never as HTML, a link or emphasis."""

from __future__ import annotations

import re

# CommonMark's backslash escapes (§2.4) for the characters that start inline markup: emphasis and
# strikethrough (GFM), links and images, raw HTML and autolinks (an unclosed `<!--` or `<script` in an
# excerpt would hide the rest of the report), and `|`, which ends a GFM table cell.
_INLINE = re.compile(r"([\\*_~\[\]<>!|])")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)  # CommonMark §6.1: equal backtick runs


def table_cell(text: object) -> str:
    """`text` as one cell of a GFM table: markup characters escaped, line breaks as spaces. A code span
    (deploylib's words put commands in them: "`npm test` exited with code 1") stays one, since nothing in
    it is markup (only its `|` is escaped, as GFM tables need); a lone backtick is escaped."""
    text = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    out, at = [], 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_INLINE.sub(r"\\\1", text[at:span.start()]).replace("`", "\\`"))
        out.append(span[0].replace("|", "\\|"))
        at = span.end()
    out.append(_INLINE.sub(r"\\\1", text[at:]).replace("`", "\\`"))
    return "".join(out)
