"""HTTP smoke checks: what one check expects (`SmokeCheck`), how a response is judged (`evaluate`,
pure), and running a set of them concurrently against a base URL (`run_checks`, the I/O).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deploylib.model import CheckResult, Verdict
from deploylib.schema import option

if TYPE_CHECKING:
    import requests

_EXCERPT = 200


@dataclass(frozen=True)
class SmokeCheck:
    path: str = option(doc='a path starting with "/" or a full http(s) URL, e.g. "/health"',
                       check=lambda v: "" if v.startswith("/") or re.match(r"^https?://", v) else
                       'does not start with "/" or http(s)://')
    name: str = option("", doc="a short name shown in reports (default: the path)")
    status: int = option(200, doc="the HTTP status expected, e.g. 200",
                         check=lambda v: "" if 100 <= v <= 599 else "is not an HTTP status")
    contains: str = option("", doc="text the response body must contain")
    max_latency_ms: int = option(2000, doc="the slowest acceptable answer in milliseconds, e.g. 500",
                                 check=lambda v: "" if v > 0 else "must be positive")
    timeout_s: float = option(10.0, doc="seconds to wait for an answer before the check errors, e.g. 10",
                              check=lambda v: "" if v > 0 else "must be positive")

    @property
    def label(self) -> str:
        return self.name or self.path

    def expectation(self) -> str:
        parts = [f"status {self.status}", f"≤ {self.max_latency_ms} ms"]
        if self.contains:
            parts.append(f"body contains {self.contains!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Observed:
    """What an HTTP request produced: a response, or the reason there was none."""

    status: int | None
    body: str
    seconds: float
    error: str = ""


def evaluate(check: SmokeCheck, seen: Observed) -> CheckResult:
    """Judge one observation against its check."""
    expected = check.expectation()

    def result(verdict: Verdict, what: str) -> CheckResult:
        return CheckResult(check.label, verdict, expected, what, seen.seconds)

    if seen.status is None:
        return result(Verdict.ERROR, f"no answer: {seen.error}")
    ms = round(seen.seconds * 1000)
    if seen.status != check.status:
        return result(Verdict.FAIL, f"status {seen.status} in {ms} ms; body: {_excerpt(seen.body)}")
    if check.contains and check.contains not in seen.body:
        return result(Verdict.FAIL, f"status {seen.status}, body lacks {check.contains!r}: {_excerpt(seen.body)}")
    if ms > check.max_latency_ms:
        return result(Verdict.FAIL, f"status {seen.status} in {ms} ms, over the {check.max_latency_ms} ms budget")
    return result(Verdict.PASS, f"status {seen.status} in {ms} ms")


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return repr(text[:_EXCERPT] + ("…" if len(text) > _EXCERPT else ""))


def url_for(base_url: str, path: str) -> str:
    return path if re.match(r"^https?://", path) else base_url.rstrip("/") + path


def _observe(session: requests.Session, url: str, timeout: float) -> Observed:
    import requests

    started = time.perf_counter()
    try:
        response = session.get(url, timeout=timeout, allow_redirects=True)
        return Observed(response.status_code, response.text, time.perf_counter() - started)
    except requests.RequestException as err:
        return Observed(None, "", time.perf_counter() - started, error=f"{type(err).__name__}: {err}")


def run_checks(base_url: str, checks: tuple[SmokeCheck, ...]) -> list[CheckResult]:
    """Run every check at once; results come back in the configured order."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    pool = ThreadPoolExecutor(max_workers=min(16, len(checks) or 1))
    with requests.Session() as session:
        try:
            futures = [pool.submit(_observe, session, url_for(base_url, c.path), c.timeout_s) for c in checks]
            return [evaluate(check, future.result()) for check, future in zip(checks, futures, strict=True)]
        finally:  # when interrupted, do not wait for requests still in flight
            pool.shutdown(wait=False, cancel_futures=True)
