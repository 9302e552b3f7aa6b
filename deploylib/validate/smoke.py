"""Smoke checks: one request, judged against its expectations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deploylib.config.schema import option
from deploylib.model import CheckResult
from deploylib.validate.base import Check, Expectations, headers_problem, observe, path_option, url_for
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@frozen(kw_only=True)
class SmokeCheck(Expectations, Check):
    """`kind = "smoke"` (the default): one request to `path`, judged by `Expectations.judge`."""

    path: str = path_option(doc='a path starting with "/" or a full http(s) URL, e.g. "/health"')
    method: str = option("GET", doc=f"an HTTP method: {', '.join(METHODS)}",
                         check=lambda v: "" if v in METHODS else "is not an HTTP method")
    headers: dict[str, str] = option(factory=dict, doc='a table of request headers, e.g. {Accept = "text/html"}',
                                     check=headers_problem)
    body: str = option("", doc="the request body, e.g. for a POST")

    def describe(self) -> str:
        return self.path if self.method == "GET" else f"{self.method} {self.path}"

    def conflict(self) -> str:
        """Body expectations on an answer that has no body (RFC 9110 §9.3.2 HEAD, §15.3.5 204, §15.4.5 304)."""
        if self.method == "HEAD":
            why = 'method = "HEAD" is answered without a body'
        elif self.status in (204, 304):
            why = f"status = {self.status} is an answer without a body"
        else:
            return ""
        wanted = [key for key, unmet in (("contains", bool(self.contains)), ("json", bool(self.json)),
                                         ("regex", bool(self.regex) and re.search(self.regex, "") is None)) if unmet]
        if not wanted:
            return ""
        return (f"{why}, so {' and '.join(wanted)} could never be met and the check would always fail. Drop "
                f"{'it' if len(wanted) == 1 else 'them'}, or check a GET answered with a body.")

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        seen = observe(session, self.method, url_for(base_url, self.path), self.timeout_s, self.verify_tls,
                       headers=self.headers, data=self.body.encode() if self.body else None)
        verdict, what = self.judge(seen)
        return self.result(verdict, self.expectation(), what, seen.seconds)
