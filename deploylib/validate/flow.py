"""Critical paths: ordered requests sharing one session (cookies) and values captured on the way,
e.g. log in → open the dashboard → call an API with the token. The result names the step that broke."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from deploylib import jsontext
from deploylib.config.schema import option
from deploylib.model import CheckResult, Verdict
from deploylib.validate.base import (
    MISSING,
    Check,
    Expectations,
    Observed,
    headers_problem,
    json_value,
    observe,
    path_option,
    url_for,
)
from deploylib.validate.smoke import METHODS
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.validate.session import HttpSession

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _capture_problem(captures: dict[str, str]) -> str:
    for name, source in captures.items():
        kind, _, what = source.partition(":")
        if kind not in ("json", "header", "regex") or not what:
            return f'has {name} = "{source}", which is not json:PATH, header:NAME or regex:PATTERN'
        if kind == "regex":
            try:
                re.compile(what)
            except re.error as err:
                return f'has {name} = "{source}", whose regular expression is invalid ({err})'
    return ""


@frozen(kw_only=True)
class FlowStep(Expectations):
    """One request of a flow (`[[…checks.steps]]`) and the response it expects; its path, headers and
    body may use "{name}" placeholders for values captured by earlier steps."""

    path: str = path_option()
    name: str = option("", doc="what the step does, e.g. \"log in\"")
    method: str = option("GET", doc=f"an HTTP method: {', '.join(METHODS)}",
                         check=lambda v: "" if v in METHODS else "is not an HTTP method")
    headers: dict[str, str] = option(factory=dict, doc='a table of request headers; "{name}" inserts a captured value',
                                     check=headers_problem)
    form: dict[str, str] = option(factory=dict, doc='a table of form fields to POST, e.g. {user = "demo"}')
    body: str = option("", doc='a raw request body; "{name}" inserts a captured value')
    capture: dict[str, str] = option(factory=dict, doc='a table of values to keep for later steps: '
                                                       '{token = "json:auth.token"}, "header:Location" or '
                                                       '"regex:id=(\\\\d+)"', check=_capture_problem)

    @property
    def label(self) -> str:
        """`name`, else "METHOD path"."""
        return self.name or f"{self.method} {self.path}"


def fill(text: str, values: dict[str, str]) -> str:
    """Insert captured values into "{name}" placeholders; unknown names stay as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def captured(step: FlowStep, seen: Observed) -> tuple[dict[str, str], str]:
    """The values a step captures from its response, or the name of one it could not find.

    Returns ({name: value}, "") or (the values found so far, "could not capture NAME from SOURCE").
    `json:a.b` takes a scalar (non-string values as JSON text, e.g. "42", "true"); `regex:…` takes
    its first group, else the whole match; `header:Name` is case-insensitive. Never raises."""
    values: dict[str, str] = {}
    for name, source in step.capture.items():
        kind, _, what = source.partition(":")
        value: Any = None
        if kind == "header":
            value = seen.headers.get(what.lower())
        elif kind == "regex":
            found = re.search(what, seen.body)
            value = (found.group(1) if found.groups() else found.group(0)) if found else None
        else:
            try:
                value = json_value(jsontext.loads(seen.json_text), what)
            except ValueError:
                value = MISSING
            value = None if value is MISSING or isinstance(value, (dict, list)) else value
        if value is None:
            return values, f"could not capture {name} from {source}"
        values[name] = value if isinstance(value, str) else json.dumps(value)
    return values, ""


@frozen(kw_only=True)
class FlowCheck(Check):
    """`kind = "flow"`: the steps in order in a fresh session of their own (cookies kept between steps,
    never between runs); the first step that does not pass ends the flow and names it in the result."""

    steps: tuple[FlowStep, ...] = option(doc='an array of steps, e.g. [[environments.NAME.checks.steps]] '
                                             'path = "/login" method = "POST"',
                                         check=lambda v: "" if v else "is empty: a flow needs at least one step")

    def describe(self) -> str:
        return " → ".join(step.label for step in self.steps)

    def measure(self, base_url: str, session: HttpSession) -> CheckResult:
        from deploylib.validate.session import HttpSession

        started = time.perf_counter()
        values: dict[str, str] = {}
        with HttpSession(pool_size=1, cookies=True) as own:  # each run starts logged out: cookies for this run
            for number, step in enumerate(self.steps, 1):
                seen = observe(own, step.method, url_for(base_url, fill(step.path, values)), self.timeout_s,
                               self.verify_tls, headers={k: fill(v, values) for k, v in step.headers.items()},
                               data=({k: fill(v, values) for k, v in step.form.items()} or
                                     fill(step.body, values).encode() or None))
                verdict, what = step.judge(seen)
                if verdict is Verdict.PASS:
                    more, missing = captured(step, seen)
                    values.update(more)
                    if missing:
                        verdict, what = Verdict.FAIL, f"{what}, but {missing}"
                if verdict is not Verdict.PASS:
                    return self.result(verdict, f"step {number} ({step.label}): {step.expectation()}",
                                       f"step {number}/{len(self.steps)} '{step.label}' broke: {what}",
                                       time.perf_counter() - started, step=step.label)
        return self.result(Verdict.PASS, f"{len(self.steps)} steps pass", f"{len(self.steps)} steps passed",
                           time.perf_counter() - started)
