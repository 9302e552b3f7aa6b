"""GitHub Actions, when GITHUB_ACTIONS=true: `::error`/`::warning` annotations for failed gates and checks,
a user command's streamed output folded into a `::group::` (a stage's, or a round of command checks'), and at
the end of the run a Markdown job summary appended to $GITHUB_STEP_SUMMARY and step outputs (version, tag,
digest, url, outcome) in $GITHUB_OUTPUT. Workflow commands and file formats: GitHub's "Workflow commands for
GitHub Actions"."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from deploylib import events
from deploylib.model import Severity


def active() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, title: str = "") -> str:
    """One workflow command line, e.g. `::error title=gate tests::exited with code 1`."""
    return f"::{name}{' title=' + _property(title) if title else ''}::{_data(message)}"


def guarded(lines: Iterable[str]) -> list[str]:
    """`lines` as the runner must show them, one per physical line (the runner splits at CR and LF): a line it
    would run as a workflow command (`::` after leading blanks, or the older `##[name]` anywhere in the line, as
    the runner's ActionCommand.TryParseV2 and TryParse read them: a commit message's text in the release notes,
    a server's answer, a build's output) is put between `::stop-commands::TOKEN` and `::TOKEN::`, so it shows
    as written and runs nothing (GitHub's "Stopping and starting workflow commands")."""
    shown = []
    for line in lines:
        for physical in re.split(r"\r\n|\r|\n", line):
            if physical.lstrip().startswith("::") or "##[" in physical:
                token = uuid.uuid4().hex
                shown += [f"::stop-commands::{token}", physical, f"::{token}::"]
            else:
                shown.append(physical)
    return shown


class Guarded:
    """The plain terminal report, its lines `guarded`: what the human report shows in a GitHub Actions log."""

    def __init__(self, terminal: Any) -> None:
        self.terminal = terminal

    def __call__(self, event: object) -> None:
        self.terminal.write(guarded(self.terminal.lines(event)))


class Actions:
    """Subscriber writing workflow commands to `stream` (the stream the human lines go to). Subscribe it
    before the terminal report, so a stage's result line follows its group's end."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._group = ""
        self._window = ""  # the validation running: its command checks' output is folded under its name
        self._annotated: set[tuple[str, str]] = set()

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def __call__(self, event: object) -> None:
        match event:
            case events.StageStarted(name=name, detail=detail, printed=True):
                self._end_group()
                self._group = name
                self._write(f"::group::{_data(f'{name}: {detail}' if detail else name)}")
            case events.StageFinished(name=name, mark=mark, detail=detail):
                self._end_group()
                if name.startswith("gate ") and mark in (events.Mark.FAIL, events.Mark.WARN):
                    self._write(command("error" if mark == events.Mark.FAIL else "warning", detail, name))
            case events.WindowStarted(label=label):
                self._end_group()
                self._window = label
            case events.Output() if not self._group:  # a command check's output: no stage announced it
                self._group = "output"
                self._write(f"::group::{_data(self._window or 'command')}: command output")
            case events.RoundFinished(label=label, results=results):
                self._end_group()
                for result in results:
                    if result.passed or (label, result.name) in self._annotated:
                        continue  # one annotation per check and phase, however many rounds it fails
                    self._annotated.add((label, result.name))
                    kind = "warning" if result.severity == Severity.MINOR else "error"
                    self._write(command(kind, f"{result.verdict.value}: {result.seen} (expected {result.expected})",
                                        f"{label} {result.name}"))
            case events.Failed(message=message):
                self._end_group()
                self._write(command("error", message))

    def _end_group(self) -> None:
        if self._group:
            self._write("::endgroup::")
            self._group = ""


def summary_markdown(result: dict[str, Any]) -> str:
    """The job summary: what ran and how it ended, the release, its stages, its checks and links."""
    from deploylib.markdown import table_cell

    title = f"## deploylib {result['command']}: {result['outcome']}"
    # each fact as its cell: text escaped; the digest and incident path as code, the URLs as links
    facts = [(key, table_cell(result[key])) for key in ("version", "tag", "environment") if result[key]]
    facts += [("digest", f"`{result['digest']}`")] if result["digest"] else []
    facts += [(name, result["urls"][key].replace("|", "%7C")) for name, key in (("url", "environment"),
                                                                               ("release", "release"))
              if result["urls"][key]]
    facts += [("incident", f"`{result['incident']}`".replace("|", "\\|"))] if result["incident"] else []
    facts += [("exit code", result["exit_code"]), ("duration", f"{result['duration_s']:.1f} s")]
    lines = [title, ""]
    if result["message"]:
        # a quote, not a table: `|` stays as it is (in a code span a backslash would show), each line quoted
        lines += [*(f"> {line}" for line in result["message"].splitlines()), ""]
    lines += ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in facts), ""]
    if result["stages"]:
        marks = {"passed": "✅", "failed": "❌", "skipped": "⏭️", "warning": "⚠️"}
        lines += ["### Stages", "", "| stage | result | detail | duration |", "|---|---|---|---|"]
        lines += [f"| {table_cell(s['name'])} | {marks[s['result']]} {s['result']} | {table_cell(s['detail'])} | "
                  f"{s['duration_s']:.2f} s |" for s in result["stages"]]
        lines.append("")
    if result["checks"]:
        lines += ["### Checks", "", "| check | environment | phase | round | verdict | time | seen |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {table_cell(c['name'])} | {c['environment']} | {c['phase']} | {c['round']} | {c['verdict']} | "
                  f"{c['duration_s'] * 1000:.0f} ms | {table_cell(c['seen']) if c['verdict'] != 'pass' else ''} |"
                  for c in result["checks"]]
        lines.append("")
    return "\n".join(lines) + "\n"


def outputs(result: dict[str, Any]) -> dict[str, str]:
    return {"version": result["version"], "tag": result["tag"], "digest": result["digest"],
            "url": result["urls"]["environment"], "outcome": result["outcome"]}


def write_files(result: dict[str, Any]) -> None:
    """Append the summary to $GITHUB_STEP_SUMMARY and the outputs to $GITHUB_OUTPUT (each when set), on a line
    of their own; a file that cannot be written is told on stderr and costs the run nothing."""
    from deploylib import report

    for variable, text in (("GITHUB_STEP_SUMMARY", summary_markdown(result)),
                           ("GITHUB_OUTPUT", _output_lines(outputs(result)))):
        path = os.environ.get(variable, "")
        if not path:
            continue
        try:
            with Path(path).open("a+b") as file:
                if file.tell():  # an earlier command of the step may have left its last line unended
                    file.seek(-1, os.SEEK_END)
                    text = ("" if file.read(1) == b"\n" else "\n") + text
                file.write(text.encode("utf-8"))
        except OSError as err:
            report.aside(f"${variable} ({path}) could not be written: {err.strerror}; the run is not affected")


def _output_lines(values: dict[str, str]) -> str:
    """`name=value` lines; a value with a line break in GitHub's heredoc form."""
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    return "".join(lines)
