"""The program a shell command starts, and whether it can start: checked when the configuration is read
(a command that runs nothing) and before a gate or target runs it (a program that is missing or cannot
be executed), without running anything."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

# What /bin/sh runs itself, with no program on PATH to look for (POSIX XCU 2.4 reserved words, 2.14 special
# built-ins, 1.7 intrinsic utilities; `source` and `local` of dash and bash), and a few programs every system has.
_SHELL_WORDS = {"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until",
                "while", ":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
                "shift", "times", "trap", "unset", "alias", "bg", "cd", "command", "fc", "fg", "getopts", "hash",
                "jobs", "kill", "read", "type", "ulimit", "umask", "unalias", "wait", "source", "local",
                "test", "[", "true", "false", "echo", "printf", "env", "sh", "bash"}


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
    program = program.lstrip("(").rstrip(")")  # a subshell: `(cd web && npm test)` starts cd
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
