"""Which outputs a doit run subscribes to the event stream, chosen once when it starts (see tasks.Reporter):

- with `--json`: the human lines go to stderr, and stdout gets the run's one JSON object at the end;
- with GITHUB_ACTIONS=true: annotations and folded output, then the job summary and step outputs.

A plain run outside CI subscribes nothing: events go to the default plain report, and nothing more is
imported (the no-op `doit deploy:production` stays as fast as before).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import IO


def open_run(command: str, as_json: bool, no_color: bool, stdout: IO[str]) -> Callable[[], None] | None:
    """Subscribe the run's outputs; returns what ends the run (writes the JSON, the CI files), or None when
    the plain report alone is wanted."""
    in_ci = os.environ.get("GITHUB_ACTIONS") == "true"
    if not (as_json or in_ci):
        return None
    from deploylib import ci, events
    from deploylib.report import Terminal
    from deploylib.result import RunResult

    human = sys.stderr if as_json else stdout
    result = RunResult(command)
    terminal = Terminal(human if as_json else None)
    close_bus = events.open_run(*([ci.Actions(human)] if in_ci else []), terminal, result, replace=True)

    def close() -> None:
        close_bus()
        outcome = result.to_dict()
        if as_json:
            stdout.write(json.dumps(outcome, ensure_ascii=False) + "\n")
            stdout.flush()
        if in_ci:
            ci.write_files(outcome)

    return close
