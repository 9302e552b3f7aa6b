"""The HTTP session a round's checks share. Plain requests (http or https, no proxy, no netrc) go
through the standard library's http.client, with connections kept per host; anything else goes
through requests, whose proxy and CA-bundle environment is then read once per host.

Why two ways: importing requests costs more than a rollback's whole re-validation against a local
server (about 0.1 s of CPU, charset detection and urllib3 included), and requests reads the proxy
environment on every request (about 0.1 ms of CPU each, under the GIL, so 50 checks started together
wait on each other's lookups). What a check sees is the same either way: the status, the headers, the
body after gzip or deflate content coding, redirects followed as requests follows them.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from deploylib.values import frozen

if TYPE_CHECKING:
    import http.client
    import ssl

    import requests

MAX_REDIRECTS = 30  # requests' limit
_REDIRECTS = (301, 302, 303, 307, 308)
_NETRC_FILES = ("~/.netrc", "~/_netrc")  # where requests looks when $NETRC is unset
_DEFAULT_HEADERS = {"User-Agent": "deploylib-check", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}


class FetchError(Exception):
    """No answer: `str(err)` is "<Kind>: <reason>", e.g. "ConnectionError: [Errno 111] Connection refused"."""


@frozen
class Answer:
    """An HTTP response as the checks read it."""

    status: int
    headers: dict[str, str]  # names in lower case
    content: bytes  # after the content coding (gzip, deflate) is undone


def needs_requests(environ: Mapping[str, str]) -> bool:
    """True when a proxy variable (http_proxy, HTTPS_PROXY, all_proxy, …) or a netrc file could change
    how a request is sent: requests' rules then apply, as they always have."""
    if any(name.lower().endswith("_proxy") and name.lower() != "no_proxy" and value
           for name, value in environ.items()):
        return True
    if environ.get("NETRC"):
        return True
    return any(os.path.exists(os.path.expanduser(name)) for name in _NETRC_FILES)


class HttpSession:
    """What the checks of a round share for HTTP. Thread-safe. `fetch` either answers or raises
    FetchError; a redirect is followed (GET after 303, and after 301/302 of a POST), up to 30.
    `cookies=True` keeps cookies between requests (a flow's steps): requests does that."""

    def __init__(self, pool_size: int = 10, cookies: bool = False, environ: Mapping[str, str] | None = None) -> None:
        self._pool_size = pool_size
        self._plain = not cookies and not needs_requests(os.environ if environ is None else environ)
        self._idle: dict[tuple[str, str, bool], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._requests: requests.Session | None = None
        self._tls: dict[bool, ssl.SSLContext] = {}

    def fetch(self, method: str, url: str, timeout: float, verify: bool = True,
              headers: Mapping[str, str] | None = None, data: bytes | dict[str, str] | None = None) -> Answer:
        """One request and its redirects; `timeout` in seconds for connecting and for each read; `data`
        a body, or a form (sent form-encoded). Raises FetchError when no answer came."""
        parts = urlsplit(url)
        if not self._plain or isinstance(data, dict) or parts.scheme not in ("http", "https") or "@" in parts.netloc:
            return self._through_requests(method, url, timeout, verify, headers, data)  # forms, credentials in URLs
        sent = dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            status, answer_headers, content = self._once(method, url, timeout, verify, sent, data)
            location = answer_headers.get("location")
            if status not in _REDIRECTS or not location:
                return Answer(status, answer_headers, content)
            following = urljoin(url, _as_sent(location))
            if urlsplit(following).scheme not in ("http", "https") or "@" in urlsplit(following).netloc:
                return self._through_requests(method, following, timeout, verify, sent, data)
            if urlsplit(following).hostname != urlsplit(url).hostname:  # as requests: credentials stay home
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            url = following
            if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
                method, data = "GET", None
        raise FetchError(f"TooManyRedirects: Exceeded {MAX_REDIRECTS} redirects.")

    def __getattr__(self, name: str) -> Any:
        """Everything else is requests' session (`get`, `post`, `request`, `headers`, ...): checks written
        against requests.Session, such as plug-ins, keep working, with the environment read per host."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._requests_session(), name)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
        if self._requests is not None:
            self._requests.close()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _once(self, method: str, url: str, timeout: float, verify: bool, headers: Mapping[str, str],
              data: bytes | None) -> tuple[int, dict[str, str], bytes]:
        import http.client

        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, verify)
        target = _request_target(parts.path, parts.query)
        sent = {**_DEFAULT_HEADERS, **headers}
        connection = self._take(key)
        reused = connection is not None
        while True:
            if connection is None:
                connection = self._connect(key, timeout)
            try:
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
                connection.request(method, target, body=data, headers=sent)
                response = connection.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as err:
                connection.close()
                if not reused:  # a kept connection the server has since closed: once more on a new one
                    raise FetchError(f"ConnectionError: {err}") from err
                connection, reused = None, False
            except TimeoutError as err:
                connection.close()
                raise FetchError(f"ReadTimeout: read timed out after {timeout} s ({url})") from err
            except (OSError, http.client.HTTPException) as err:
                connection.close()
                raise FetchError(f"ConnectionError: {err}") from err
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        if response.will_close:
            connection.close()
        else:
            self._give_back(key, connection)
        return response.status, answer_headers, _decoded(body, answer_headers.get("content-encoding", ""))

    def _connect(self, key: tuple[str, str, bool], timeout: float) -> http.client.HTTPConnection:
        import http.client

        scheme, netloc, verify = key
        if scheme == "http":
            connection = http.client.HTTPConnection(netloc, timeout=timeout)
        else:
            connection = http.client.HTTPSConnection(netloc, timeout=timeout, context=self._context(verify))
        try:
            connection.connect()
        except TimeoutError as err:
            raise FetchError(f"ConnectTimeout: connecting to {netloc} timed out after {timeout} s") from err
        except OSError as err:  # refused, unreachable, a name that does not resolve, a TLS failure
            kind = "SSLError" if type(err).__module__ == "ssl" else "ConnectionError"
            raise FetchError(f"{kind}: {err}") from err
        return connection

    def _context(self, verify: bool) -> ssl.SSLContext:
        """The TLS settings requests uses: its CA bundle (certifi, or $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE)."""
        with self._lock:
            if verify not in self._tls:
                import ssl

                if verify:
                    import certifi

                    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                    context = ssl.create_default_context(cafile=bundle or certifi.where())
                else:
                    context = ssl.create_default_context()
                    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
                self._tls[verify] = context
            return self._tls[verify]

    def _take(self, key: tuple[str, str, bool]) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(key)
            return idle.pop() if idle else None

    def _give_back(self, key: tuple[str, str, bool], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._pool_size:
                idle.append(connection)
                return
        connection.close()

    def _requests_session(self) -> requests.Session:
        with self._lock:
            if self._requests is None:
                self._requests = _host_settings_session(self._pool_size)
            return self._requests

    def _through_requests(self, method: str, url: str, timeout: float, verify: bool,
                          headers: Mapping[str, str] | None, data: bytes | dict[str, str] | None) -> Answer:
        import requests

        try:
            response = self._requests_session().request(method, url, timeout=timeout, verify=verify,
                                                        allow_redirects=True, headers=headers, data=data)
        except requests.RequestException as err:
            raise FetchError(f"{type(err).__name__}: {err}") from err
        headers = {k.lower(): v for k, v in response.headers.items()}
        decodable = getattr(response.raw, "CONTENT_DECODERS", ("gzip", "x-gzip", "deflate"))
        left = [c for c in (c.strip().lower() for c in headers.get("content-encoding", "").split(","))
                if c not in ("", "identity", *decodable)]
        # urllib3 leaves a coding it cannot undo (br without its decoder): undone here, or no answer
        return Answer(response.status_code, headers, _decoded(response.content, ", ".join(left)))


def _as_sent(location: str) -> str:
    """A Location header as its bytes meant it: http.client reads them as latin-1, but non-ASCII bytes there
    are UTF-8 (nginx's `return 301 /über/`), as browsers and requests read them; bytes that are not UTF-8
    are sent back percent-encoded, as browsers send them."""
    try:
        raw = location.encode("latin-1")
    except UnicodeEncodeError:
        return location
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return quote(raw, safe=bytes(range(0x21, 0x7F)))


def _request_target(path: str, query: str) -> str:
    """The request line's target, percent-encoded as a browser sends it (UTF-8, RFC 3986 §2.1): a path such as
    `/café.css` becomes `/caf%C3%A9.css`; escapes already there and the reserved characters stay as they are."""
    target = quote(path or "/", safe="/%:@!$&'()*+,;=~")
    return f"{target}?{quote(query, safe='/%:@!$&()*+,;=~?')}" if query else target


def _decoded(body: bytes, coding: str) -> bytes:
    """The body without its content codings (RFC 9110 §8.4: listed in the order applied, so undone last
    first), as browsers and urllib3 undo them: gzip, deflate with or without zlib's header, and br (Brotli,
    which a server may send unasked, e.g. a file stored precompressed) when a Brotli decoder is installed;
    `identity` is none. An empty body (the answer to HEAD, a 204, a 304) has nothing to undo. Raises
    FetchError (no answer) for a body that is not valid in its coding, or in one that cannot be undone
    here: its bytes are not the text a browser shows, so they are never judged as such."""
    for name in reversed([c.strip().lower() for c in coding.split(",")]):
        if not body or name in ("", "identity"):
            continue
        body = _undone(body, name)
    return body


def _undone(body: bytes, name: str) -> bytes:
    """`body` without the one content coding `name`; raises FetchError as `_decoded` says."""
    try:
        if name in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if name == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as err:
        raise FetchError(f"ContentDecodingError: the body is not valid {name} ({err})") from err
    brotli = _brotli() if name == "br" else None
    if brotli is None:
        fix = " (pip install brotli)" if name == "br" else ""
        raise FetchError(f"ContentDecodingError: the body is in the content coding {name!r}, which deploylib "
                         f"cannot undo{fix}, so its text cannot be checked")
    try:
        return bytes(brotli.decompress(body))
    except Exception as err:  # brotli.error, or brotlicffi's: the body is not valid Brotli
        raise FetchError(f"ContentDecodingError: the body is not valid br ({err})") from err


def _brotli() -> Any:
    """The Brotli decoder urllib3 would use (brotli, else brotlicffi), or None when neither is installed."""
    import importlib

    for module in ("brotli", "brotlicffi"):
        try:
            return importlib.import_module(module)
        except ImportError:
            continue
    return None


def _host_settings_session(pool_size: int) -> requests.Session:
    """A requests session whose environment settings (`*_proxy`, `no_proxy`, `REQUESTS_CA_BUNDLE`) are
    looked up once per scheme, host and TLS setting instead of once per request."""
    import requests
    from requests.adapters import HTTPAdapter

    class HostSettingsSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self._settings: dict[tuple[str, str, object, object], dict[str, Any]] = {}

        def merge_environment_settings(self, url: str, proxies: Any, stream: Any, verify: Any,
                                       cert: Any) -> dict[str, Any]:
            if proxies or cert is not None:  # uncommon: requests' own way
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, stream, verify)
            found = self._settings.get(key)  # a race computes it twice: same value, no harm
            if found is None:
                found = self._settings[key] = super().merge_environment_settings(url, {}, stream, verify, None)
            return dict(found, proxies=dict(found["proxies"]))

    session = HostSettingsSession()
    session.headers["User-Agent"] = _DEFAULT_HEADERS["User-Agent"]  # the same on either way
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
