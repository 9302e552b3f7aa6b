"""Running the checks: each round at once (threads), each check retried for a slow start, rounds
repeated over the monitoring window until it ends or the monitor decides to roll back."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from deploylib.config.load import WindowPolicy
from deploylib.model import CheckResult, Severity, Verdict
from deploylib.validate.base import Check, Deployed, Round
from deploylib.validate.monitor import Decision, decide
from deploylib.validate.session import HttpSession
from deploylib.values import frozen


@frozen
class ValidationReport:
    """What one validation produced."""

    rounds: list[list[CheckResult]]  # oldest round first; each in configuration order
    decision: Decision
    seconds: float  # wall time from the start, initial delay included

    @property
    def latest(self) -> list[CheckResult]:
        """The last round's results; [] when no round ran."""
        return self.rounds[-1] if self.rounds else []

    @property
    def problems(self) -> list[CheckResult]:
        """Every result that did not pass, in any round, oldest first."""
        return [r for results in self.rounds for r in results if not r.passed]


def attempt(check: Check, within: Round, sleep: Callable[[float], None] = time.sleep) -> CheckResult:
    """Measure, trying again up to `retries` times while the answer is not a pass (a slow start), with
    `retry_delay_s` seconds between attempts; the last result counts. Never raises for the check's own
    bugs (see `measure_once`)."""
    result = measure_once(check, within)
    for _ in range(check.retries):
        if result.passed:
            break
        sleep(check.retry_delay_s)
        result = measure_once(check, within)
    return result


def measure_once(check: Check, within: Round) -> CheckResult:
    """One attempt of `check`. A check whose `run` or `measure` raises an unexpected exception, or returns
    something other than a CheckResult, is a bug in its kind (built in or a plug-in), not an answer from the
    release: it gives an ERROR result naming the check, its class and the exception's type and text, so the
    round fails as for a check that got no answer (Check's contract: README, Writing a plug-in). An exception
    saying the release did not answer (FetchError, or requests' own error from `session.get`) is that: an ERROR
    "no answer: …", as `observe` gives. Ctrl-C and SIGTERM (BaseException) still propagate."""
    started = time.perf_counter()
    try:
        result = check.run(within)
    except Exception as err:
        why = _no_answer(err)
        if why:
            return _unanswered(check, why, time.perf_counter() - started)
        return _broken(check, f"raised {type(err).__name__}: {err}", time.perf_counter() - started)
    if not isinstance(result, CheckResult):
        return _broken(check, f"returned {type(result).__name__}, not a CheckResult", time.perf_counter() - started)
    return result


def _no_answer(err: Exception) -> str:
    """Why the release gave no answer, when `err` says it gave none ("" otherwise): the round's session found none
    (FetchError: "<Kind>: <reason>"), or requests, which checks may call through it (`session.get`), raised its
    own error (a refused connection, a timeout)."""
    import sys

    from deploylib.validate.session import FetchError

    if isinstance(err, FetchError):
        return str(err)
    requests = sys.modules.get("requests")  # loaded if it raised: never imported here for nothing
    return f"{type(err).__name__}: {err}" if requests is not None and isinstance(err, requests.RequestException) else ""


def _unanswered(check: Check, why: str, seconds: float) -> CheckResult:
    """An ERROR result for a check whose request got no answer, as `observe` gives one: the release's fault."""
    label = _label(check)
    return CheckResult(label, Verdict.ERROR, "an answer", f"no answer: {why}", seconds, Severity(check.severity))


def _label(check: Check) -> str:
    try:
        return check.label
    except Exception:  # describe() is the plug-in's too
        return check.name or f"{type(check).__module__}.{type(check).__qualname__}"


def _broken(check: Check, what: str, seconds: float) -> CheckResult:
    kind = f"{type(check).__module__}.{type(check).__qualname__}"
    label = _label(check)
    named = label if label == kind else f"{label} ({kind})"  # describe() raised too: its class names it
    return CheckResult(label, Verdict.ERROR, "an answer from the check",
                       f"the check {named} {what}; this is a bug in that check kind, not an answer from the release",
                       seconds, Severity(check.severity), {"exception": what})


def run_round(base_url: str, checks: Sequence[Check], concurrency: int,
              deployed: Deployed | None = None) -> list[CheckResult]:
    """Every check at once; the round takes about as long as its slowest check. Results in config order.
    Resources the checks share (one browser) live as long as the round. `concurrency`: the most checks
    run at the same time; the workers are started first and then released together, so no check waits
    for the next thread to be created. A check that raises (a bug, not a failing release) gives an ERROR
    result (see `measure_once`)."""
    workers = min(concurrency, len(checks)) or 1
    pool = ThreadPoolExecutor(max_workers=workers)
    go = threading.Event()

    def started_together(check: Check, within: Round) -> CheckResult:
        go.wait()
        return attempt(check, within)

    with HttpSession(pool_size=max(concurrency, 10) + 16) as session:
        within = Round(base_url, session, deployed)
        try:
            # each in a copy of this context: what a check emits (a command check's output) reaches this
            # run's subscribers, not the default report on stdout
            futures = [pool.submit(contextvars.copy_context().run, started_together, check, within)
                       for check in checks]
            go.set()
            return [future.result() for future in futures]
        finally:  # when interrupted, do not wait for requests still in flight
            go.set()
            pool.shutdown(wait=False, cancel_futures=True)
            within.close()


def validate(base_url: str, checks: Sequence[Check], policy: WindowPolicy,
             on_round: Callable[[int, list[CheckResult]], None],
             sleep: Callable[[float], None] = time.sleep, deployed: Deployed | None = None) -> ValidationReport:
    """Rounds of checks from `initial_delay_s` until `duration_s` has passed (one round when it is 0), stopping
    early once the monitor decides to roll back. Times are seconds (WindowPolicy); a round starts every
    `interval_s` seconds after the previous one ended, and none starts that would end past the window.
    `on_round(number, results)` is called after each round, numbered from 1."""
    started = time.monotonic()
    sleep(policy.initial_delay_s)
    window_start = time.monotonic()
    rounds: list[list[CheckResult]] = []
    while True:
        rounds.append(run_round(base_url, checks, policy.concurrency, deployed))
        on_round(len(rounds), rounds[-1])
        more = policy.duration_s > 0 and time.monotonic() - window_start + policy.interval_s < policy.duration_s
        decision = decide(rounds, policy, final=not more)
        if decision.rollback or not more:
            return ValidationReport(rounds, decision, time.monotonic() - started)
        sleep(policy.interval_s)

