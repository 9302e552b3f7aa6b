"""Running the user's commands (tests, build): output streamed as it comes, the end of it kept."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from deploylib.values import frozen

_KEPT_LINES = 30


@frozen
class CommandResult:
    """How a user command (tests, build, a check's command) ended, with its output."""

    command: str
    code: int
    seconds: float
    output: tuple[str, ...]  # every line of combined stdout and stderr
    timed_out: float = 0.0  # the timeout in seconds when the command was stopped for taking longer

    @property
    def tail(self) -> str:
        return "\n".join(self.output[-_KEPT_LINES:])

    @property
    def ok(self) -> bool:
        return self.code == 0

    def explain(self) -> str:
        """Why it failed, in words: exit 127 means the shell did not find the program."""
        if self.timed_out:
            return f"`{self.command}` did not finish within {self.timed_out:g} s and was stopped"
        if self.code == 127:
            return f"`{self.command}` could not be run: command not found (exit 127)"
        if self.code < 0:
            return f"`{self.command}` was killed by signal {-self.code}"
        return f"`{self.command}` exited with code {self.code}"


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGKILL it when deploylib dies (prctl PR_SET_PDEATHSIG).
    A deploy killed by SIGKILL must not leave its publish command running on, racing the next deploy
    that takes the lock the dead one held. Elsewhere (no prctl) this does nothing."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG, <linux/prctl.h>


def run_shell(command: str, cwd: Path, echo: Callable[[str], None], env: dict[str, str] | None = None,
              timeout: float | None = None) -> CommandResult:
    """Run `command` with /bin/sh in `cwd`, passing each output line to `echo` as it arrives. After `timeout`
    seconds the command and everything it started are killed (SIGKILL to its process group)."""
    started = time.perf_counter()
    kept: list[str] = []
    process = subprocess.Popen(command, shell=True, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               text=True, errors="replace", start_new_session=timeout is not None,
                               preexec_fn=_die_with_parent)
    fired = threading.Event()
    timer = threading.Timer(timeout, _kill_group, (process, fired)) if timeout is not None else None
    if timer is not None:
        timer.start()
    assert process.stdout is not None
    try:
        with process.stdout:
            for line in process.stdout:
                kept.append(line.rstrip("\n"))
                echo(line.rstrip("\n"))
        code = process.wait()
    finally:
        if timer is not None:
            timer.cancel()
    return CommandResult(command, code, time.perf_counter() - started, tuple(kept),
                         timeout if timeout is not None and fired.is_set() else 0.0)


def _kill_group(process: subprocess.Popen[str], fired: threading.Event) -> None:
    fired.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
