"""A static HTTP server on 127.0.0.1 for validating a local target's live release.

It serves `root` by path on every request, so when `root` is a symlink switched by rename the
very next request sees the new release, as nginx does. It stops at once when the with-block ends:
its loop waits on the listening socket and a wake-up pipe, never on a poll interval.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import selectors
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from deploylib.errors import TargetError
from deploylib.validate.charset import served_encoding

_TEXT_TYPES = ("application/javascript", "application/json", "image/svg+xml", "application/xml")
_HEAD_BYTES = 65536  # how much of a text file is read to tell whether it is UTF-8


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Requests are reported by the checks that make them, not logged here."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        """Text is sent with the charset a browser reads it in (validate/charset.py `served_encoding`): the
        one the file declares (an HTML <meta>, a stylesheet's @charset, a byte order mark), else UTF-8 when
        it is UTF-8, else none (as nginx sends none: a legacy file is not misnamed UTF-8)."""
        kind = str(super().guess_type(path))
        if not kind.startswith("text/") and kind not in _TEXT_TYPES:
            return kind
        head, whole = b"", True
        with contextlib.suppress(OSError), open(path, "rb") as file:
            head = file.read(_HEAD_BYTES)
            whole = len(head) < _HEAD_BYTES
        name = served_encoding(head, kind, whole)
        return f"{kind}; charset={name}" if name else kind

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _serve_until(server: _Server, wake: int) -> None:
    """Handle connections until `wake` becomes readable (socketserver's serve_forever would notice a
    shutdown only at its next poll, up to half a second later)."""
    with selectors.DefaultSelector() as selector:
        selector.register(server, selectors.EVENT_READ)
        selector.register(wake, selectors.EVENT_READ)
        while True:
            ready = selector.select()
            if any(key.fileobj == wake for key, _events in ready):
                return
            server._handle_request_noblock()  # type: ignore[attr-defined]  # the step serve_forever itself runs


@contextlib.contextmanager
def static_server(root: Path, port: int, what: str) -> Iterator[str]:
    """Serve `root` for a with-block and yield its base URL; port 0 picks a free port."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    try:
        server = _Server(("127.0.0.1", port), handler)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise TargetError(f"Port {port} on 127.0.0.1 is already in use, so {what} cannot be served for "
                              "validation. Stop whatever listens there, or set another port (port = 0 picks "
                              "a free one) in that target's table in deploy.toml.") from None
        raise TargetError(f"Cannot serve {what} on 127.0.0.1:{port}: {err.strerror}.") from None
    wake_read, wake_write = os.pipe()
    thread = threading.Thread(target=_serve_until, args=(server, wake_read), name=f"serve {what}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        os.write(wake_write, b"x")
        thread.join()
        server.server_close()
        os.close(wake_read)
        os.close(wake_write)
