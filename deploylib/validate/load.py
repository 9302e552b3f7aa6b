"""Error rate and latency: N requests over a window to given paths, judged on the error percentage
and p95/p99 latency; optionally an error counter read from a Prometheus text endpoint before and after."""

from __future__ import annotations

import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from deploylib.config.schema import option, optional, seconds_problem
from deploylib.model import CheckResult, Verdict
from deploylib.validate.base import Check, observe, path_problem, some_paths_problem, url_for
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_SELECTOR = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})?$")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it.
    `p` in (0, 100]; the result is in the values' unit. Raises IndexError for an empty `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _labels(text: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', text or ""))


def selector_problem(selector: str) -> str:
    """"" for "" or a metric name with an optional label set (Prometheus exposition format), else why not."""
    return "" if not selector or _SELECTOR.match(selector) else 'is not a metric such as http_errors_total{code="500"}'


def counter_total(exposition: str, selector: str) -> float | None:
    """The sum of the samples a selector such as `http_requests_total{code="500"}` names in a Prometheus
    text exposition, or None when there is no such sample (no data). A sample matches when it has the
    selector's name and at least its labels (equality only; no regex matchers). `selector` must pass
    `selector_problem` (AssertionError otherwise); a sample value that is not a number raises ValueError."""
    wanted = _SELECTOR.match(selector)
    assert wanted is not None, "validated at config load"
    wanted_labels = _labels(wanted["labels"])
    total, found = 0.0, False
    for line in exposition.splitlines():
        sample = _SAMPLE.match(line)
        if sample and sample["name"] == wanted["name"] and wanted_labels.items() <= _labels(sample["labels"]).items():
            total, found = total + float(sample["value"]), True
    return total if found else None


@frozen
class LoadFigures:
    """What a load check's requests produced; latencies of answered requests only, in milliseconds."""

    requests: int
    errors: int  # no answer, or a 5xx
    unanswered: int
    p95_ms: float
    p99_ms: float

    @property
    def error_rate(self) -> float:
        """Errors as a percentage of requests (0 to 100); 0.0 when no request was made."""
        return 100 * self.errors / self.requests if self.requests else 0.0


def figures(samples: list[tuple[int | None, float]]) -> LoadFigures:
    """(status or None, seconds) per request → error count and latency percentiles of the answered ones
    (0.0 when none answered). Pure."""
    answered = [seconds * 1000 for status, seconds in samples if status is not None]
    errors = sum(1 for status, _ in samples if status is None or status >= 500)
    return LoadFigures(len(samples), errors, len(samples) - len(answered),
                       percentile(answered, 95) if answered else 0.0, percentile(answered, 99) if answered else 0.0)


@frozen(kw_only=True)
class LoadCheck(Check):
    """`kind = "load"`: `requests` GETs round-robin over `paths`, `concurrency` at a time, spread evenly
    over `window_s` seconds; FAIL over the error rate or a latency budget or when the Prometheus counter
    grew too much, ERROR when no request was answered, INCONCLUSIVE when the counter could not be read."""

    paths: list[str] = option(factory=lambda: ["/"], check=some_paths_problem,
                              doc='an array of paths to spread requests over, e.g. ["/", "/api"]')
    requests: int = option(50, doc="how many requests in all, e.g. 200",
                           check=lambda v: "" if 1 <= v <= 100_000 else "must be between 1 and 100000")
    window_s: float = option(0.0, doc="seconds to spread them over (0: as fast as concurrency allows)",
                             check=seconds_problem)
    concurrency: int = option(8, doc="requests in flight at once, e.g. 8",
                              check=lambda v: "" if 1 <= v <= 256 else "must be between 1 and 256")
    max_error_rate: float = option(1.0, doc="the highest acceptable percentage of errors (no answer or 5xx), e.g. 1",
                                   check=lambda v: "" if 0 <= v <= 100 else "must be a percentage")
    p95_ms: int = option(0, doc="the p95 latency budget in milliseconds (0: none)",
                         check=lambda v: "" if v >= 0 else "must not be negative")
    p99_ms: int = option(0, doc="the p99 latency budget in milliseconds (0: none)",
                         check=lambda v: "" if v >= 0 else "must not be negative")
    prometheus_url: str = option("", doc="a Prometheus text endpoint to read an error counter from, e.g. \"/metrics\"",
                                 check=optional(path_problem))
    prometheus_metric: str = option("", doc='the error counter, e.g. "http_requests_total{code=\\"500\\"}"',
                                    check=selector_problem)
    max_metric_increase: float = option(0.0, doc="how much that counter may grow during the check, e.g. 0",
                                        check=lambda v: "" if v >= 0 else "must not be negative")

    def describe(self) -> str:
        return f"load {', '.join(self.paths)}"

    def conflict(self) -> str:
        """The error counter needs both where to read it and which one it is."""
        if self.prometheus_metric and not self.prometheus_url:
            return (f'prometheus_metric = "{self.prometheus_metric}" is set without prometheus_url, so the counter '
                    'could never be read and the check would always be inconclusive. Add where to read it, e.g. '
                    'prometheus_url = "/metrics".')
        if self.prometheus_url and not self.prometheus_metric:
            return (f'prometheus_url = "{self.prometheus_url}" is set without prometheus_metric, so nothing would be '
                    'read there. Name the error counter, e.g. prometheus_metric = "errors_total", or remove '
                    "prometheus_url.")
        return ""

    def expectation(self) -> str:
        parts = [f"errors ≤ {self.max_error_rate:g} % of {self.requests}"]
        parts += [f"p95 ≤ {self.p95_ms} ms"] if self.p95_ms else []
        parts += [f"p99 ≤ {self.p99_ms} ms"] if self.p99_ms else []
        parts += [f"{self.prometheus_metric} grows ≤ {self.max_metric_increase:g}"] if self.prometheus_metric else []
        return ", ".join(parts)

    def _counter(self, base_url: str, session: HttpSession) -> float | None:
        seen = observe(session, "GET", url_for(base_url, self.prometheus_url), self.timeout_s, self.verify_tls)
        return counter_total(seen.body, self.prometheus_metric) if seen.status == 200 else None

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        started = time.perf_counter()
        before = self._counter(base_url, session) if self.prometheus_metric else None
        gap = self.window_s / self.requests

        def one(index: int) -> tuple[int | None, float]:
            if gap:  # spread over the window: request i leaves at i * gap
                time.sleep(max(0.0, started + index * gap - time.perf_counter()))
            seen = observe(session, "GET", url_for(base_url, self.paths[index % len(self.paths)]), self.timeout_s,
                           self.verify_tls)
            return seen.status, seen.seconds

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            found = figures(list(pool.map(one, range(self.requests))))
        seconds = time.perf_counter() - started
        seen = (f"{found.requests} requests, {found.error_rate:.1f} % errors, p95 {found.p95_ms:.0f} ms, "
                f"p99 {found.p99_ms:.0f} ms")
        details = {"requests": found.requests, "errors": found.errors, "p95_ms": found.p95_ms, "p99_ms": found.p99_ms}
        if found.unanswered == found.requests:
            return self.result(Verdict.ERROR, self.expectation(), f"no request was answered; {seen}", seconds,
                               **details)
        problems = []
        if found.error_rate > self.max_error_rate:
            problems.append(f"error rate {found.error_rate:.1f} % over {self.max_error_rate:g} %")
        if self.p95_ms and found.p95_ms > self.p95_ms:
            problems.append(f"p95 {found.p95_ms:.0f} ms over {self.p95_ms} ms")
        if self.p99_ms and found.p99_ms > self.p99_ms:
            problems.append(f"p99 {found.p99_ms:.0f} ms over {self.p99_ms} ms")
        if self.prometheus_metric:
            after = self._counter(base_url, session)
            if before is None or after is None:
                return self.result(Verdict.INCONCLUSIVE, self.expectation(),
                                   f"{seen}; no {self.prometheus_metric} sample at {self.prometheus_url}", seconds,
                                   **details)
            seen += f", {self.prometheus_metric} +{after - before:g}"
            if after - before > self.max_metric_increase:
                problems.append(f"{self.prometheus_metric} grew by {after - before:g}")
        verdict = Verdict.FAIL if problems else Verdict.PASS
        return self.result(verdict, self.expectation(), "; ".join([*problems, seen]), seconds, **details)
