"""Everything the user sees: stage lines, summaries, tables, prompts and incident reports.

Stage lines read `  ✓ name   detail`; a failure's message goes to stderr as one paragraph. The stage
functions here (`stage`, `note`, `plain`, `command_line`) emit events (deploylib.events); `Terminal`
prints them as plain lines, one per event, the way a log or a pipe shows them.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import sys
import time
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from deploylib.model import CheckResult, Incident, LedgerEntry, Release, short_digest

if TYPE_CHECKING:
    from deploylib.targets.status import EnvironmentStatus

OK, FAIL, SKIP, WARN = "✓", "✗", "–", "!"
RUNNING = "…"
_RULE = "─" * 64

# deploylib is loaded as a doit run starts (dodo.py imports it first): a summary's duration counts from here,
# so it covers the whole run (gate, build, release and every deploy), not the last stage alone.
_LOADED = time.perf_counter()


def run_duration() -> str:
    """How long this run has taken so far, in seconds with two decimals, e.g. "7.26 s"."""
    return f"{time.perf_counter() - _LOADED:.2f} s"


def _out(text: str = "") -> None:
    try:
        print(text, flush=True)
    except OSError as err:
        stdout_lost(err)


def stdout_lost(err: OSError) -> None:
    """stdout took no more (`err` from a write or flush): a reader that closed early (EPIPE: `| head`) wants
    nothing more and is not told; any other error (a full disk, `>/dev/full`) is said once on stderr. Either
    way stdout then goes to /dev/null, so the run ends with its own exit code and no traceback."""
    if err.errno != errno.EPIPE:
        _err(f"{WARN} stdout cannot be written ({err.strerror or err}): the rest of this run's output is lost")
    if sys.__stdout__ is not None:  # else stdout was closed from the start: print() then writes nothing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)


def _err(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except OSError:
        _stderr_lost()


def _stderr_lost() -> None:
    """stderr took no more: the reader of `doit deploy 2>&1 | grep -m1 x` left, so nothing more can be told.
    stderr then goes to /dev/null and the run keeps its own exit code (an error raised while saying a
    failure would turn a failed gate into doit's exit 2, an unknown environment into a traceback)."""
    if sys.__stderr__ is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stderr__.fileno())
        os.close(devnull)


class _LenientStderr:
    """sys.stderr for the whole run, doit's own messages included ("ERROR: …" for an unknown task): a write
    or flush to a reader that left is dropped as `_stderr_lost` says, instead of raising."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError:
            _stderr_lost()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            _stderr_lost()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stderr() -> None:
    """Make writes to sys.stderr survive a reader that left (see `_LenientStderr`); once per process."""
    if sys.stderr is not None and not isinstance(sys.stderr, _LenientStderr):
        sys.stderr = _LenientStderr(sys.stderr)


def flush_stdout() -> None:
    """Flush stdout (at exit: what is still buffered), handling an error as `stdout_lost` does; Python would
    otherwise print "Exception ignored ... BrokenPipeError" while it shuts down."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as err:
        stdout_lost(err)


def stage(mark: str, name: str, detail: str = "") -> None:
    """A stage's result (`mark` OK, FAIL, SKIP or WARN), or with RUNNING, a stage that starts and streams."""
    from deploylib import events

    if mark == RUNNING:
        events.emit(events.StageStarted(name, detail, printed=True))
    else:
        events.emit(events.StageFinished(name, events.Mark(mark), detail))


def state_warning(name: str, detail: str) -> None:
    """A stage line about deploylib's own state (a corrupted file set aside, a folder that cannot be written),
    on stderr: it can happen in any command, and the stdout of `--json` must stay the document alone."""
    _err(f"  {WARN} {name:<22} {detail}".rstrip())


def plain(text: str) -> None:
    """Text exactly as given, e.g. release notes or a machine-readable line."""
    from deploylib import events

    events.emit(events.Text(text))


def note(text: str) -> None:
    from deploylib import events

    events.emit(events.Note(text))


def doit_command(task: str, env_name: str, *options: str) -> str:
    """A doit command as the user types it, for messages (--env only when it is not the default, production)."""
    return " ".join(["doit", task, *(["--env", env_name] if env_name != "production" else []), *options])


def command_line(line: str) -> None:
    """One line of a user command's output (tests, build), indented under its stage."""
    from deploylib import events

    events.emit(events.Output(line))


def stage_line(mark: str, name: str, detail: str = "") -> str:
    return f"  {mark} {name:<22} {detail}".rstrip()


def check_lines(results: Iterable[CheckResult], prefix: str) -> list[str]:
    """A round's results as stage lines, a failure's expectation under it."""
    lines = []
    for result in results:
        mark = OK if result.passed else FAIL
        detail = f"{result.seconds * 1000:.0f} ms" if result.passed else f"{result.verdict.value}: {result.seen}"
        if result.passed and result.details.get("summary"):
            detail += f"  {result.details['summary']}"
        lines.append(stage_line(mark, f"{prefix} {result.name}", detail))
        if not result.passed:
            lines.append(f"    expected {result.expected}")
    return lines


def round_lines(label: str, number: int, results: Iterable[CheckResult]) -> list[str]:
    """Every result of the first round; of later rounds, only those that did not pass."""
    if number == 1:
        return check_lines(results, label)
    return check_lines([r for r in results if not r.passed], f"{label} round {number}")


def summary_lines(rows: Iterable[tuple[str, str]]) -> list[str]:
    return [f"  {_RULE}", *(f"  {key:<10} {value}" for key, value in rows), f"  {_RULE}"]


class Terminal:
    """The plain report: each event as the lines a log shows, written to `stream` (stdout when None,
    looked up at each write so a redirected stdout is followed)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def write(self, lines: Iterable[str]) -> None:
        stream = self.stream or sys.stdout
        try:
            for line in lines:
                print(line, file=stream, flush=True)
        except OSError as err:  # a reader that closed early (`| head`), a full disk
            stdout_lost(err)

    def __call__(self, event: Any) -> None:
        self.write(self.lines(event))

    @staticmethod
    def lines(event: Any) -> list[str]:
        from deploylib import events

        match event:
            case events.StageStarted(name=name, detail=detail, printed=True):
                return [stage_line(RUNNING, name, detail)]
            case events.StageFinished(name=name, mark=mark, detail=detail):
                return [stage_line(mark, name, detail)]
            case events.Note(text=text):
                return [f"    {text}"]
            case events.Text(text=text):
                return [text]
            case events.Output(line=line):
                return [f"    │ {line}"]
            case events.RoundFinished(label=label, number=number, results=results):
                return round_lines(label, number, results)
            case events.Finished(rows=rows) if rows:
                return summary_lines(rows)
        return []


def aside(message: str) -> None:
    """A remark on stderr, for commands whose stdout is machine-readable (e.g. `deploylib next-version`)."""
    _err(f"{WARN} {message}")


def failure(message: str) -> None:
    """The one-paragraph message of a failure, on one line so logs can be searched for it."""
    _err(f"✗ {message}")


def ask(question: str) -> bool:
    """Ask on the terminal (the question on stderr: stdout may be a file or a --json result, which the question
    must not enter and where the person would not see it); Enter means yes, end of input no."""
    try:
        sys.stderr.write(f"  {question} [Y/n] ")
        sys.stderr.flush()
    except OSError:
        _stderr_lost()
    answer = sys.stdin.readline()
    return bool(answer) and answer.strip().lower() in ("", "y", "yes")


def release_label(release: Release | None) -> str:
    if release is None:
        return "nothing"
    if release.foreign:
        return release.foreign
    return f"{release.version} ({short_digest(release.digest)})"


def status(rows: list[EnvironmentStatus], as_json: bool) -> None:
    """Print `doit status`: a table with a line per environment and its notes, or (as_json) one JSON object
    {"environments": [row, …]} whose rows have EnvironmentStatus's fields as keys."""
    if as_json:
        _out(json.dumps({"environments": [dataclasses.asdict(row) for row in rows]}))
        return
    _table(["environment", "version", "digest", "commit", "deployed", "by", "target"],
           [[r.name, "unknown" if r.unreadable else r.version or ("not deploylib's" if r.foreign else "not deployed"),
             short_digest(r.digest) if r.digest else "", r.commit[:7], r.deployed_at, r.deployed_by,
             r.target] for r in rows])
    for row in rows:
        if row.unreadable:
            _out(f"  {FAIL} {row.name}: what it serves could not be read: {row.unreadable}")
        if row.foreign:
            note(f"{row.name} serves {row.foreign}")
        if row.failed_validation:
            _out(f"  {WARN} {row.name} serves {row.version}, which failed its validation there: it is not healthy. "
                 f"Deploy a fix, or roll back to a release that passes (doit releases:{row.name} lists them, and "
                 "the incident).")
        for cut in row.interrupted:
            _out(f"  {WARN} {row.name}: a {cut.action} of {cut.version} was interrupted (its process is "
                 "gone)" + (f"; {cut.version} is live but NOT validated" if cut.live else "; the release live "
                 "before is serving") + f". The next deploy, validate or rollback on {row.name} completes it.")


def history(entries: list[LedgerEntry], as_json: bool) -> None:
    if as_json:
        _out(json.dumps({"entries": [e.to_dict() for e in entries]}))
        return
    if not entries:
        _out("  The ledger is empty: nothing was deployed from here yet.")
        return
    _table(["#", "action", "environment", "version", "digest", "status", "started", "finished", "duration", "by"],
           [[str(e.id), e.action, e.environment, e.version, short_digest(e.digest), e.status, e.started_at,
             e.finished_at, f"{e.duration:.2f} s" if e.finished_at else "", e.actor] for e in entries])


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        _out("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


table = _table  # a table for a task outside this module (e.g. `doit releases:<env>`)


def incident_markdown(incident: Incident) -> str:
    """The incident report in Markdown. What a page, a check or a commit said is escaped (markdown.table_cell),
    so it shows as written when rendered, never as HTML that could hide the rest of the report."""
    from deploylib.markdown import table_cell

    lines = [f"# Incident: {release_label(incident.failed)} failed validation on {incident.environment}", "",
             f"- **Outcome:** {incident.outcome}",
             f"- **Failed release:** {incident.failed.version} `{incident.failed.digest}` "
             f"(commit {incident.failed.commit[:12]})",
             "- **Restored release:** " + (f"{incident.restored.version} `{incident.restored.digest}` (commit "
                                           f"{incident.restored.commit[:12]})" if incident.restored else "none"),
             ""]
    if incident.reasons:
        lines += ["## Why it was rolled back", "", *(f"- {table_cell(reason)}" for reason in incident.reasons), ""]
    lines += ["## Timeline", "", "| time (UTC) | event |", "|---|---|"]
    lines += [f"| {when} | {table_cell(what)} |" for when, what in incident.timeline]
    lines += ["", "## Failed checks", "", "| check | verdict | expected | seen | time |", "|---|---|---|---|---|"]
    lines += [_check_row(r) for r in incident.failed_checks]
    if incident.commits:
        lines += ["", "## Commits in the failed release", "",
                  *(f"- {table_cell(commit)}" for commit in incident.commits)]
    if incident.recheck:
        lines += ["", "## Checks against the restored release", "", "| check | verdict | expected | seen | time |",
                  "|---|---|---|---|---|"]
        lines += [_check_row(r) for r in incident.recheck]
    lines += _evidence(incident.failed_checks, "the failed release")
    lines += _evidence(incident.recheck, "the restored release")
    return "\n".join(lines) + "\n"


def _evidence(results: list[CheckResult], whose: str) -> list[str]:
    """Evidence checks kept, one section per check (its latest result): a browser check's screenshot (linked by
    file name: it sits beside the report), console messages and failed requests; a command check's failing
    tests with their messages and the end of its output; the issues users opened, linked."""
    lists = (("Issues opened after the switch", "issues", "{}"), ("Failed tests", "failed_tests", "`{}`"),
             ("Failed requests", "failed_requests", "`{}`"), ("Console messages", "console", "`{}`"))
    latest = {r.name: r for r in results if r.details.get("screenshot") or any(r.details.get(k) for _, k, _ in lists)}
    lines: list[str] = []
    for name, result in latest.items():
        details = result.details
        lines += ["", f"## {name}: {whose}", ""]
        lines += [f"![{name}: {whose}]({details['screenshot']})", ""] if details.get("screenshot") else []
        for title, key, form in lists:
            lines += [f"{title}:", "", *(f"- {form.format(entry)}" for entry in details[key]), ""] \
                if details.get(key) else []
        if details.get("output") and not result.passed:
            lines += ["Output (last lines):", "", "```", details["output"], "```", ""]
    return lines


def _check_row(result: CheckResult) -> str:
    from deploylib.markdown import table_cell

    cells = [result.name, result.verdict.value, result.expected, result.seen, f"{result.seconds * 1000:.0f} ms"]
    return "| " + " | ".join(table_cell(cell) for cell in cells) + " |"
