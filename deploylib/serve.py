"""A static HTTP server on 127.0.0.1 for validating a local target's live release.

It serves `root` by path on every request, so when `root` is a symlink switched by rename the
very next request sees the new release, as nginx does.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from deploylib.errors import TargetError


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Requests are reported by the checks that make them, not logged here."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True


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
    thread = threading.Thread(target=server.serve_forever, name=f"serve {what}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
