"""The request line of deploylib's own HTTP client: percent-encoded as a browser sends it."""

from __future__ import annotations

import pytest

from deploylib.validate.session import _request_target


@pytest.mark.parametrize(("path", "query", "target"), [
    ("", "", "/"),
    ("/café.css", "", "/caf%C3%A9.css"),
    ("/a b/ü.js", "", "/a%20b/%C3%BC.js"),
    ("/already%20escaped", "", "/already%20escaped"),
    ("/search", "q=crème brûlée&x=1", "/search?q=cr%C3%A8me%20br%C3%BBl%C3%A9e&x=1"),
    ("/p;v=1/@x:y", "a=%2F", "/p;v=1/@x:y?a=%2F"),
])
def test_a_path_is_sent_percent_encoded_in_utf8(path: str, query: str, target: str) -> None:
    assert _request_target(path, query) == target
