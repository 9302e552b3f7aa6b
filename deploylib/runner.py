"""Running the user's commands (tests, build): output streamed as it comes, the end of it kept."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_KEPT_LINES = 30


@dataclass(frozen=True)
class CommandResult:
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


_SHELL_WORDS = {"cd", "set", "export", "exec", "test", "[", "true", "false", "echo", ":", ".", "source", "if",
                "for", "while", "case", "(", "{", "!", "command", "env", "sh", "bash", "printf", "read", "eval"}


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")  # VAR=value before the program


def command_problem(command: str) -> str:
    """"" when the shell command runs a program. A blank one, or only VAR=value assignments, would run
    nothing and succeed: a test gate would pass, a rollback would restore nothing."""
    try:
        return "" if program_name(command) else "runs no program"
    except ValueError as err:
        return f"is not a valid shell command ({err})"


def program_name(command: str) -> str:
    """The program a shell command starts: its first word after any VAR=value assignments ("" for none).
    Raises ValueError when the command does not split as the shell would (an open quote)."""
    return next((word for word in shlex.split(command) if not _ASSIGNMENT.match(word)), "")


def program_problem(command: str, root: Path) -> str:
    """Why the program a shell command starts cannot be found, or "": the first word after any
    VAR=value assignments, looked up on PATH (or as a path in `root`); shell syntax is left alone."""
    try:
        program = program_name(command)
    except ValueError as err:
        return f"is not a valid shell command ({err})"
    if not program or program in _SHELL_WORDS:
        return ""
    if "/" in program:
        path = root / program
        if not path.exists():
            return f"runs {program}, which does not exist in {root}"
        return _executable_problem(program, path)
    found = shutil.which(program)
    if not found:
        return f"runs {program}, which is not installed or not on PATH"
    return _executable_problem(program, Path(found))


def _executable_problem(program: str, path: Path) -> str:
    """Why the existing file `path` cannot be started as a program, or "": a folder, a file without the
    execute bit, or a script whose #! interpreter is missing (the shell would say exit 126 or 127)."""
    if path.is_dir():
        return f"runs {program}, which is a folder, not a program"
    if not os.access(path, os.X_OK):
        return f"runs {program}, which is not executable (chmod +x {program}, or start it with its interpreter)"
    try:
        with path.open("rb") as file:
            first = file.readline(256)
    except OSError as err:
        return f"runs {program}, which cannot be read ({err.strerror})"
    words = first[2:].decode(errors="replace").split() if first.startswith(b"#!") else []
    if words and words[0].startswith("/") and not os.access(words[0], os.X_OK):
        return f"runs {program}, whose first line starts it with {words[0]}, which is not installed"
    return ""


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
