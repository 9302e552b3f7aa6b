"""Which outputs a doit run subscribes to the event stream, chosen once when it starts (see tasks.Reporter):

- the terminal report: live (colour, a line for the running stage, progress; `live.py`) when stdout is a
  terminal other than TERM=dumb and neither NO_COLOR (not empty) nor `--no-color` is set; otherwise the
  plain lines, one per event;
- with `--json`: the human lines go to stderr, and stdout gets the run's one JSON object at the end;
- with GITHUB_ACTIONS=true: annotations and folded output, the human lines kept from being read as workflow
  commands, then the job summary and step outputs.

A plain run outside CI subscribes nothing: events go to the default plain report, and nothing more is
imported (the no-op `doit deploy:production` stays as fast as before).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import IO, Any


def open_run(command: str, as_json: bool, no_color: bool, stdout: IO[str],
             running: Callable[[], str] = str, results: Callable[[], bool] = lambda: True
             ) -> Callable[[], None] | None:
    """Subscribe the run's outputs; returns what ends the run (writes the JSON, the CI files), or None when
    the plain report alone is wanted. `running()` names the task running now (see RunResult); `results()`:
    the run deploys, rolls back, validates or plans a release, so under GitHub Actions it writes the job
    summary and step outputs (any other run gets the annotations and folded output only)."""
    in_ci = os.environ.get("GITHUB_ACTIONS") == "true"
    # NO_COLOR counts when set and not empty (no-color.org); a dumb terminal cannot redraw a live line
    live = (not as_json and not no_color and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
            and _is_terminal(stdout))
    if not (as_json or in_ci or live):
        return None
    from deploylib import ci, events
    from deploylib.report import Terminal
    from deploylib.result import RunResult

    human = sys.stderr if as_json else stdout
    result = RunResult(command, running=running)
    terminal: Any
    if live:
        from deploylib.live import LiveTerminal

        terminal = LiveTerminal(human)
    else:
        terminal = Terminal(human if as_json else None)
    shown = ci.Guarded(terminal) if in_ci and not live else terminal  # text a log would run as a command
    close_bus = events.open_run(*([ci.Actions(human)] if in_ci else []), shown, result, replace=True)

    def close() -> None:
        close_bus()
        if live:
            terminal.close()
        outcome = result.to_dict()
        if as_json:
            try:
                stdout.write(json.dumps(outcome, ensure_ascii=False) + "\n")
                stdout.flush()
            except OSError as err:  # a reader that closed early, a full disk
                from deploylib.report import stdout_lost

                stdout_lost(err)
        if in_ci and results():
            ci.write_files(outcome)

    return close


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
