"""What every check kind shares: its common options, one HTTP observation, and expectations on a
response (status, text, regex, JSON values, latency) judged without any I/O."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from deploylib.config.schema import is_http_url, option, positive_seconds_problem, seconds_problem, url_problem
from deploylib.model import CheckResult, Severity, Verdict
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

SEVERITIES = ("critical", "minor")
MAX_RETRIES = 100  # with the longest retry delay (MAX_SECONDS), still an end to a check
# A header name is an RFC 9110 token; a value is text http.client can send (latin-1, no CR, LF or other
# control characters but tab) that requests accepts (no leading whitespace).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e\x80-\xff][\t\x20-\x7e\x80-\xff]*)?")
_EXCERPT = 200


def regex_problem(value: str) -> str:
    """"" for a pattern Python's `re` compiles (the syntax `regex`/`not_regex` use), else why not."""
    try:
        re.compile(value)
    except re.error as err:
        return f"is not a valid regular expression ({err})"
    return ""


def path_problem(value: str) -> str:
    """"" for a path starting with "/" (control characters aside) or a full http(s) URL (see `url_problem`)."""
    if value.startswith("/"):
        return "contains a control character" if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) else ""
    if is_http_url(value):
        return url_problem(value)
    return 'does not start with "/" or http(s)://'


def headers_problem(headers: dict[str, str]) -> str:
    """"" when http.client and requests can send every header: names are tokens (RFC 9110 §5.6.2), values
    latin-1 text without control characters or leading whitespace; else the first offending header."""
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            return f"has the header name {json.dumps(name, ensure_ascii=False)}, which is not an HTTP token"
        if not _HEADER_VALUE.fullmatch(value):
            return (f"has the header {json.dumps(name)} = {json.dumps(value, ensure_ascii=False)}, which is not a "
                    "header value (latin-1 text, no line breaks or control characters, no leading space)")
    return ""


def paths_problem(paths: list[str]) -> str:
    """The first path `path_problem` refuses, quoted with its problem; "" when all are fine."""
    return next((f'"{path}" {why}' for path in paths if (why := path_problem(path))), "")


def some_paths_problem(paths: list[str]) -> str:
    """`paths_problem`, and an empty list refused: for a check that would have nothing to request."""
    return "is empty: give at least one path, e.g. [\"/\"]" if not paths else paths_problem(paths)


def path_option(default: Any = "/", doc: str = 'a path starting with "/" or a full http(s) URL, e.g. "/health"') -> Any:
    """A configuration field holding a path or URL, checked by `path_problem`."""
    return option(default, doc=doc, check=path_problem)


@frozen(kw_only=True)
class Check(ABC):
    """One kind of check; `measure` makes a single attempt, the runner adds retries and rounds.

    A subclass is a frozen keyword-only dataclass whose `option` fields are the keys of its
    `[[environments.<env>.checks]]` table (config/schema.py builds it from TOML and raises
    ConfigError, exit 3, for a bad value). Its `measure` and `run` never raise for a failure of the
    release under test: every outcome is a CheckResult (FAIL for a wrong answer, ERROR for no answer).
    """

    name: str = option("", doc="a short name shown in reports and incidents")
    severity: str = option("critical", doc='"critical" (a failure rolls back) or "minor" (a failure is reported '
                                           "and notified; the release stays)",
                           check=lambda v: "" if v in SEVERITIES else "is not critical or minor")
    timeout_s: float = option(10.0, doc="seconds to wait for an answer before the check errors, e.g. 10",
                              check=positive_seconds_problem)
    retries: int = option(0, doc=f"extra attempts before a failure counts, for slow starts, from 0 to {MAX_RETRIES}, "
                                 "e.g. 3",
                          check=lambda v: "" if 0 <= v <= MAX_RETRIES else f"must be between 0 and {MAX_RETRIES}")
    retry_delay_s: float = option(1.0, doc="seconds between those attempts, e.g. 0.5", check=seconds_problem)
    verify_tls: bool = option(True, doc="true or false: verify the server's TLS certificate")

    @property
    def label(self) -> str:
        """The name reports use: `name` if set, else `describe()`."""
        return self.name or self.describe()

    @abstractmethod
    def describe(self) -> str:
        """What is checked, as a default name, e.g. "GET /health"."""

    @abstractmethod
    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        """One attempt against the release at `base_url` (its root URL, e.g. "http://127.0.0.1:8080" or
        "https://acme.github.io/site"; paths are appended to it), through `session` (shared by the round's
        checks)."""

    def run(self, within: Round) -> CheckResult:
        """One attempt as part of a round; kinds that need more than an HTTP session (a shared browser,
        the repository, where to keep evidence) override this."""
        return self.measure(within.base_url, within.session)

    def unavailable(self) -> str:
        """What this machine lacks to run the check (e.g. a browser), as a sentence naming the fix; "" when
        nothing. Asked when the configuration is loaded, so it must be cheap and import nothing heavy."""
        return ""

    def missing(self, root: Path) -> str:
        """What this machine lacks to run the check from the repository at `root`, as the rest of a sentence
        naming it ("" when nothing): asked by the preflight before the gate of a run that deploys, not at load,
        so read-only tasks never need it (a program a command check runs)."""
        return ""

    def conflict(self) -> str:
        """A rule across this check's own keys that its values break, so that it could never pass, as the
        rest of a sentence naming the keys and the fix ("" when none): asked when the configuration is
        loaded, so such a check is refused before it can roll a good release back."""
        return ""

    def result(self, verdict: Verdict, expected: str, seen: str, seconds: float, **details: Any) -> CheckResult:
        """A CheckResult labelled and graded as this check: `seconds` is the attempt's wall time; `details`
        (JSON-serialisable values) go to reports and incidents."""
        return CheckResult(self.label, verdict, expected, seen, seconds, Severity(self.severity), details)


@frozen
class Deployed:
    """What is being validated, for checks that need more than its URL."""

    environment: str = ""
    version: str = ""
    root: Path | None = None  # the repository released: where a command check runs
    evidence: Path | None = None  # a folder for screenshots and the like (None: keep none)
    screenshot_always: bool = False  # keep evidence of a pass too (the restored release after a rollback)
    echo: Callable[[str], None] | None = None  # where a command check streams its output (None: nowhere)


T = TypeVar("T")


class Round:
    """What the checks of one round share: the URL, one HTTP session, what is deployed, and costly
    resources (one browser) opened by the first check that asks and closed when the round ends.
    Thread-safe: the round's checks run in a thread pool."""

    def __init__(self, base_url: str, session: HttpSession, deployed: Deployed | None = None) -> None:
        self.base_url, self.session, self.deployed = base_url, session, deployed or Deployed()
        self._opened: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._entered: list[tuple[str, contextlib.AbstractContextManager[Any]]] = []  # to close, oldest first

    def shared(self, key: str, opener: Callable[[], contextlib.AbstractContextManager[T]]) -> T:
        """The resource under `key`, opened on first use. A failure to open is kept and raised again to every
        later caller, so a browser that cannot start is tried once per round, not once per check."""
        with self._lock:
            if key not in self._opened:
                try:
                    manager = opener()
                    self._opened[key] = manager.__enter__()
                    self._entered.append((key, manager))
                except Exception as err:  # handed to each caller as it was raised
                    self._opened[key] = err
            found = self._opened[key]
        if isinstance(found, Exception):
            raise found
        return found  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close every shared resource the round opened, newest first, each even when another fails. A
        resource whose closing raises (a bug in the check kind that opened it: a check's interface allows
        no exception) is reported as a warning naming it: the round's results were measured and stand.
        Ctrl-C and SIGTERM (BaseException) pass, once every resource was closed."""
        interrupted: BaseException | None = None
        while self._entered:
            key, manager = self._entered.pop()
            try:
                manager.__exit__(None, None, None)
            except Exception as err:
                from deploylib import report  # only when a check kind failed

                report.stage(report.WARN, "validate", f'the resource "{key}" the round\'s checks shared raised '
                             f"{type(err).__name__}: {err} when it was closed (a bug in the check kind that "
                             "opened it); the round's results stand")
            except BaseException as stop:
                interrupted = interrupted or stop
        if interrupted is not None:
            raise interrupted


def measure_alone(check: Check, base_url: str, session: HttpSession) -> CheckResult:
    """`check.run` in a round of its own: for kinds whose `measure` needs round resources (a browser)."""
    within = Round(base_url, session)
    try:
        return check.run(within)
    finally:
        within.close()


@frozen
class Observed:
    """What one HTTP request produced: a response, or the reason there was none."""

    status: int | None  # the final HTTP status after redirects; None when there was no answer
    body: str  # decoded as a browser would (validate/charset.py)
    seconds: float  # wall time of the request, redirects included
    error: str = ""  # e.g. "ConnectTimeout: …" when status is None
    headers: dict[str, str] = field(default_factory=dict)  # names lower-case
    content: bytes | None = None  # the body's bytes (after content coding); None when only `body` is known

    @property
    def json_text(self) -> str:
        """The body as a browser's `response.json()` reads it: UTF-8, a byte order mark skipped, whatever
        charset the Content-Type names (Fetch's "parse JSON from bytes"; RFC 8259 §8.1). Servers that label
        JSON ISO-8859-1 (old Tomcat and Spring defaults) still send UTF-8."""
        return self.body if self.content is None else self.content.decode("utf-8-sig", errors="replace")

    @property
    def content_type(self) -> str:
        """The media type alone, lower-case, e.g. "text/html"; "" when the header is absent."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def url_for(base_url: str, path: str) -> str:
    """Where a check's `path` (a path starting with "/", or a full http(s) URL as `path_problem` allows) is
    reached for the release at `base_url`: the URL itself, else the path appended to the base."""
    return path if is_http_url(path) else base_url.rstrip("/") + path


def observe(session: HttpSession, method: str, url: str, timeout: float, verify: bool = True,
            headers: dict[str, str] | None = None, data: bytes | dict[str, str] | None = None) -> Observed:
    """One request, redirects followed, with `timeout` in seconds (for connecting and for each read);
    `headers` and `data` (a body, or a form) as sent. Never raises for the network: no answer becomes an
    Observed with status None and `error` set."""
    from deploylib.validate.charset import decode
    from deploylib.validate.session import FetchError

    started = time.perf_counter()
    try:
        answer = session.fetch(method, url, timeout, verify, headers, data)
    except FetchError as err:
        return Observed(None, "", time.perf_counter() - started, error=str(err))
    # Decoded as browsers decode: requests' own text reads text/* without a charset as ISO-8859-1 (RFC 2616).
    return Observed(answer.status, decode(answer.content, answer.headers.get("content-type", "")),
                    time.perf_counter() - started, headers=answer.headers, content=answer.content)


def excerpt(body: str) -> str:
    """The body's first 200 characters, whitespace collapsed, quoted (repr), "…" when cut."""
    text = " ".join(body.split())
    return repr(text[:_EXCERPT] + ("…" if len(text) > _EXCERPT else ""))


@frozen(kw_only=True)
class Expectations:
    """What a response must look like: shared by smoke checks and the steps of a flow."""

    status: int = option(200, doc="the HTTP status expected, e.g. 200",
                         check=lambda v: "" if 100 <= v <= 599 else "is not an HTTP status")
    contains: str = option("", doc="text the response body must contain")
    not_contains: str = option("", doc="text the response body must not contain, e.g. \"Traceback\"")
    regex: str = option("", doc="a regular expression the body must match", check=regex_problem)
    not_regex: str = option("", doc="a regular expression the body must not match", check=regex_problem)
    json: dict[str, Any] = option(factory=dict, doc='a table of dotted JSON paths and the values they must equal, '
                                                     'e.g. {"status" = "ok", "db.up" = true}')
    max_latency_ms: int = option(2000, doc="the slowest acceptable answer in milliseconds, e.g. 500",
                                 check=lambda v: "" if v > 0 else "must be positive")

    def expectation(self) -> str:
        """The expectations in words, e.g. "status 200, ≤ 2000 ms, body contains 'ok'"."""
        parts = [f"status {self.status}", f"≤ {self.max_latency_ms} ms"]
        parts += [f"body contains {self.contains!r}"] if self.contains else []
        parts += [f"body lacks {self.not_contains!r}"] if self.not_contains else []
        parts += [f"body matches /{self.regex}/"] if self.regex else []
        parts += [f"body does not match /{self.not_regex}/"] if self.not_regex else []
        parts += [f"JSON {path} = {value!r}" for path, value in self.json.items()]
        return ", ".join(parts)

    def judge(self, seen: Observed) -> tuple[Verdict, str]:
        """The verdict on one observation and what was seen, in words. Pure. ERROR when there was no
        answer; otherwise the first unmet expectation, in the order status, contains, not_contains,
        regex, not_regex, json, latency, gives FAIL; else PASS."""
        if seen.status is None:
            return Verdict.ERROR, f"no answer: {seen.error}"
        ms = round(seen.seconds * 1000)
        if seen.status != self.status:
            return Verdict.FAIL, f"status {seen.status} in {ms} ms; body: {excerpt(seen.body)}"
        if self.contains and self.contains not in seen.body:
            return Verdict.FAIL, f"status {seen.status}, body lacks {self.contains!r}: {excerpt(seen.body)}"
        if self.not_contains and self.not_contains in seen.body:
            return Verdict.FAIL, f"status {seen.status}, body contains {self.not_contains!r}: {excerpt(seen.body)}"
        if self.regex and not re.search(self.regex, seen.body):
            return Verdict.FAIL, f"status {seen.status}, body does not match /{self.regex}/: {excerpt(seen.body)}"
        if self.not_regex and re.search(self.not_regex, seen.body):
            return Verdict.FAIL, f"status {seen.status}, body matches /{self.not_regex}/: {excerpt(seen.body)}"
        if self.json:
            problem = _json_problem(seen.json_text, self.json)
            if problem:
                return Verdict.FAIL, f"status {seen.status}, {problem}"
        if ms > self.max_latency_ms:
            return Verdict.FAIL, f"status {seen.status} in {ms} ms, over the {self.max_latency_ms} ms budget"
        return Verdict.PASS, f"status {seen.status} in {ms} ms"


MISSING = object()


def json_value(document: Any, path: str) -> Any:
    """`a.b.0.c` into parsed JSON (a digit step indexes an array, from 0); MISSING when a step does not
    exist. A key that itself contains "." cannot be reached."""
    for part in path.split("."):
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return MISSING
    return document


def _json_problem(body: str, wanted: dict[str, Any]) -> str:
    from deploylib import jsontext

    try:
        document = jsontext.loads(body)
    except ValueError:
        return f"body is not JSON: {excerpt(body)}"
    for path, expected in wanted.items():
        actual = json_value(document, path)
        if actual is MISSING:
            return f"JSON has no {path}"
        if actual != expected:
            return f"JSON {path} is {actual!r}, expected {expected!r}"
    return ""
