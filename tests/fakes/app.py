"""A small programmable HTTP app for validation tests: each route is a function of the request
that returns (status, headers, body), so a test can make slow starts, intermittent 500s, wrong
content types, missing assets, a login flow that breaks, or a webhook that records what it got."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


Response = tuple[int, dict[str, str], str | bytes]
Route = Callable[[Request], Response]


class App:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.hits: Counter[str] = Counter()
        self.received: list[Request] = []
        self._lock = threading.Lock()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, url.path, {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"",
                                  {k: v[-1] for k, v in parse_qs(url.query).items()})
                with app._lock:
                    app.hits[url.path] += 1
                    app.received.append(request)
                route = app.routes.get((self.command, url.path))
                status, headers, body = route(request) if route else (404, {}, "not found")
                data = body.encode() if isinstance(body, str) else body
                try:
                    self.send_response(status)
                    for key, value in {"Content-Type": "text/html", **headers}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout under test)

            do_GET = do_POST = do_HEAD = _serve  # noqa: N815 - stdlib names

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, path: str, answer: Route | Response, method: str = "GET") -> None:
        self.routes[method, path] = answer if callable(answer) else (lambda request: answer)

    def start(self) -> App:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
