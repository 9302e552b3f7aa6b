"""Which outputs a doit run subscribes to the event stream, chosen once when it starts (see tasks.Reporter):
with `--json`, the human lines go to stderr, and stdout gets the run's one JSON object at the end.

A plain run subscribes nothing: events go to the default plain report, and nothing more is imported
(the no-op `doit deploy:production` stays as fast as before).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO


def open_run(command: str, as_json: bool, no_color: bool, stdout: IO[str]) -> Callable[[], None] | None:
    """Subscribe the run's outputs; returns what ends the run (writes the JSON), or None when the plain
    report alone is wanted."""
    if not as_json:
        return None
    from deploylib import events
    from deploylib.report import Terminal
    from deploylib.result import RunResult

    result = RunResult(command)
    close_bus = events.open_run(Terminal(sys.stderr), result, replace=True)

    def close() -> None:
        close_bus()
        stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        stdout.flush()

    return close
