"""The command line as doit 0.37 reads it, for what deploylib must know before doit parses it itself: the
task a run names first, whether it asks for its result as JSON, and the task option doit's parser will
refuse (unknown, missing its value, not among its choices, or a value one of the option types below
refuses). doit refuses such an option with "ERROR: …" and exit code 3 before any reporter exists, in its
own words (every option dumped, a type's repr), so without this a run asked for JSON or run under GitHub
Actions would get none of its outputs, and no run deploylib's paragraph. The words are split as doit
splits them, with doit's own parsers (read: doit_cmd.DoitMain.run, control.TaskControl._process_filter,
loader.load_tasks); doit is imported only when asked, and it is then already loaded (this runs inside a
doit process).
"""

from __future__ import annotations

import getopt
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

RESULT_TASKS = ("rollback", "promote", "hotfix")  # and deploy:ENV, release --dry-run (see `asks_result_json`)
_LARGEST = 2**63 - 1  # SQLite's largest integer, and the config's (config/schema.py)


def shown(value: str) -> str:
    """A value as messages quote it: in double quotes, escaped as JSON (a blank or a line break stays visible)."""
    return json.dumps(value, ensure_ascii=False)


class OptionValueError(ValueError):
    """A value one of deploylib's own options cannot take. Raised by the option types below, which doit's
    parser calls while it reads the command line; its text is the whole reason, naming the option, the value
    and the form expected (see `_message`)."""


def entries(text: str) -> int:
    """`--limit`'s type: how many ledger entries, a whole number from 0 to 2**63 - 1 in ASCII digits (SQLite
    reads a negative LIMIT as none at all). Raises OptionValueError."""
    if not re.fullmatch(r"[0-9]+", text.strip()) or int(text) > _LARGEST:
        raise OptionValueError(f"--limit {shown(text)} is not how many entries to show; give a whole number from 0 "
                               f"to {_LARGEST} (e.g. --limit 20)")
    return int(text)


def version(text: str) -> str:
    """`--version`'s type: a semantic version (SemVer 2.0, without the tag's prefix). Raises OptionValueError."""
    import semver  # only when --version is given

    if not semver.Version.is_valid(text):
        prefixed = text[:1] in ("v", "V") and semver.Version.is_valid(text[1:])
        hint = f' (without the tag\'s "{text[0]}")' if prefixed else ""
        raise OptionValueError(f"--version {shown(text)} is not a semantic version{hint}; give MAJOR.MINOR.PATCH, e.g. "
                               "--version 2.0.0 or --version 2.0.0-rc.1")
    return text


def prerelease(text: str) -> str:
    """`--prerelease`'s type: a token of ASCII letters and digits, the first identifier of a SemVer 2.0
    prerelease ("rc" makes 1.5.0-rc.1). Raises OptionValueError."""
    if not re.fullmatch(r"[0-9A-Za-z]+", text):
        raise OptionValueError(f"--prerelease {shown(text)} is not a prerelease token; give letters and digits only, "
                               "e.g. --prerelease rc (1.5.0-rc.1, then rc.2)")
    return text


def release(text: str) -> str:
    """`--to`'s type: a release named by its version, its tag or its release id, none of which is blank or has a
    space in it (which release it is, the rollback decides). Raises OptionValueError."""
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        raise OptionValueError(f"--to {shown(text)} names no release; give its version (1.1.0), its tag (v1.1.0) or "
                               "its release id (1.1.0-d24b1d017ee3), or leave --to out to restore the previous one")
    return text


def task_words(argv: Sequence[str]) -> list[str] | None:
    """The task selection doit's `run` command gets from `argv`: the words from the first task name on (each
    task's options after its name), `name=value` variables left out. None when `argv` runs another doit
    command (`list`, `help`, ...), or its own options cannot be parsed."""
    parsed = _run(argv)
    return None if parsed is None else parsed[1]


def processes(argv: Sequence[str]) -> int:
    """How many worker processes (or threads) `argv` asks doit's `run` for: `-n N`, `--process=N` (0: none,
    also for another doit command or options that cannot be parsed)."""
    parsed = _run(argv)
    return int(parsed[0].get("num_process") or 0) if parsed is not None else 0


def _run(argv: Sequence[str]) -> tuple[dict[str, Any], list[str]] | None:
    """doit's `run` command's own options and task selection in `argv`, split as doit splits them; None when
    `argv` runs another doit command or its options cannot be parsed."""
    from doit.cmd_base import DodoTaskLoader, DoitCmdBase
    from doit.cmd_run import Run
    from doit.cmdparse import CmdOption, CmdParse, CmdParseError
    from doit.doit_cmd import DoitMain

    try:  # loader options (-f, -d, -k) may come before the command name
        _, args = CmdParse([CmdOption(opt) for opt in DodoTaskLoader.cmd_options]).parse_only(list(argv))
    except CmdParseError:
        args = list(argv)
    args = [arg for arg in args if arg.startswith("-") or "=" not in arg]
    if args and args[0] in {command.get_name() for command in DoitMain.DOIT_CMDS}:
        if args[0] != Run.get_name():
            return None
        args = args[1:]
    options = (*DoitCmdBase.base_options, *DodoTaskLoader.cmd_options, *Run.cmd_options)
    try:
        params, words = CmdParse([CmdOption(opt) for opt in options]).parse(args)
    except CmdParseError:
        return None
    return dict(params), list(words)


def first_word(argv: Sequence[str]) -> str:
    """The first task `argv` names, or for another doit command its name ("" for none)."""
    words = task_words(argv)
    if words is None:
        words = [arg for arg in argv if not arg.startswith("-")]
    return words[0] if words else ""


def asks_result_json(argv: Sequence[str]) -> bool:
    """Whether the first task named is a result command (deploy:ENV, rollback, promote, hotfix, release: its
    --dry-run, or the refusal of --json without it) asked for its result as JSON (--json)."""
    command = first_word(argv)
    return "--json" in argv and (command in (*RESULT_TASKS, "release") or command.startswith("deploy:"))


def refusal(words: Sequence[str], options_of: Callable[[str], Sequence[dict[str, Any]] | None]) -> str:
    """What doit will refuse in the task selection `words` (task_words), as one message; "" when nothing.
    `options_of(name)` gives a task's option dicts (its `params`, or its creator's `@task_params`), None for
    a name it does not know: doit's split of the words after it cannot be known, so the check stops there.
    Each named task's options are parsed as doit parses them: from the words after its name up to the next
    word that is not an option or an option's value."""
    from doit.cmdparse import CmdOption, CmdParseError, TaskParse

    todo, seen = list(words), set()
    while todo:
        name = todo.pop(0)
        if "*" in name:  # a pattern takes no options
            continue
        options = options_of(name)
        if options is None or name in seen:  # doit parses a task's options once only
            return ""
        seen.add(name)
        try:
            _, todo = TaskParse([CmdOption(dict(opt)) for opt in options]).parse(todo)
        except CmdParseError as err:
            return _message(name, err)
    return ""


def _message(name: str, err: Exception) -> str:
    """deploylib's paragraph for doit's refusal of `name`'s options: an option type's reason (OptionValueError),
    getopt's (without doit's dump of every option), or doit's own words for a value not among the choices."""
    cause = err.__context__
    if isinstance(cause, OptionValueError):
        reason = str(cause)
    elif isinstance(cause, getopt.GetoptError):
        reason = cause.msg
    else:
        reason = " ".join(str(err).split())
    return f"doit {name}: {reason.rstrip('.')}. Nothing was run; doit help {name} lists its options."
