"""`[tool.doit]` in pyproject.toml: every value doit could not use, named by its key.

doit reads `[tool.doit]` as defaults of its command options (doit_cmd.py `load_config_toml`,
cmdparse.py `CmdOption.str2type`): a string is converted to the option's type, any other TOML value
is passed on as it is, so `outfile = 5` or `check_file_uptodate = 5` stop doit with a traceback
later, and an unknown key or a key doit takes only from dodo.py (`default_tasks`) is silently
ignored. `problems` judges a table against doit's own option list (`doit_options`), read from the
installed doit, with the choices doit accepts (its built-in backends, checkers, codecs, reporters
and parallel types, plus the plug-ins the table declares).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploylib.config.schema import nearest, show, toml_key
from deploylib.values import frozen

_BOOLEAN_WORDS = ("1", "yes", "true", "on", "0", "no", "false", "off")  # CmdOption.str2boolean
_FROM_DODO_ONLY = ("default_tasks", "minversion", "action_string_formatting")
_SUBTABLES = ("tasks", "commands", "plugins")
_CHOICES = {  # doit 0.36: cmd_base.py get_backends / get_checker_cls / get_codec_cls, cmd_run.py
    "backend": ("dbm", "json", "sqlite3"),
    "check_file_uptodate": ("md5", "timestamp"),
    "codec_cls": ("json",),
    "reporter": ("console", "executed-only", "json", "zero", "error-only"),
    "par_type": ("process", "thread"),
}
_PLUGIN_KINDS = {"backend": "BACKEND", "reporter": "REPORTER"}  # plug-ins add choices
_RANGES = {"verbosity": (0, 2), "failure_verbosity": (0, 2), "num_process": (0, 1024)}
# doit's -n/num_process runs tasks in worker processes or threads; each of deploylib's needs the one before,
# the stages share one repository lock and the run's outputs (--json, GitHub Actions) live in this process
PARALLEL = ("deploylib's tasks run one after another, so doit's parallel workers would only break the run (a "
            "false 'another run is building' lock, outputs without the workers' stages); use 0")
_FILES = ("dep_file", "outfile")  # doit writes them: their folder must exist and be writable
_PATHS = {"dodoFile": "file", "cwdPath": "folder"}  # doit reads them: they must exist


@frozen
class DoitOption:
    """One command-line option doit declares, as a `[doit]` key in deploy.toml must match it."""

    name: str
    kind: type  # bool, int, str or list, as doit declares it
    choices: tuple[str, ...] = ()  # empty: any value of the kind


def doit_options() -> dict[str, DoitOption]:
    """The options of the installed doit's commands (and its base options), by name."""
    from doit.cmd_base import DoitCmdBase, opt_cwd, opt_dodo, opt_seek_file
    from doit.cmdparse import CmdOption
    from doit.doit_cmd import DoitMain

    found: dict[str, DoitOption] = {}
    loader = (opt_dodo, opt_cwd, opt_seek_file)  # the task loader's own options
    for command in DoitMain.DOIT_CMDS:
        base = command.base_options if issubclass(command, DoitCmdBase) else ()
        for spec in (*loader, *base, *command.cmd_options):
            option = spec if isinstance(spec, CmdOption) else CmdOption(spec)
            found[option.name] = DoitOption(option.name, option.type, tuple(option.choices))
    return found


def problems(table: dict[str, Any], options: dict[str, DoitOption],
             path_problem: Callable[[str, str], str] = lambda key, value: "") -> list[str]:
    """Why each value of `[tool.doit]` (`table`) cannot work, as `key = value: what is expected` (keys
    dotted from [tool.doit]);
    `path_problem(key, value)` judges the file and folder options on the filesystem."""
    found = []
    declared = table.get("plugins")
    plugins: dict[str, Any] = declared if isinstance(declared, dict) else {}
    for key, value in table.items():
        shown = f"{toml_key(key)} = {show(value)}"
        if key in _SUBTABLES:
            found += _subtable_problems(key, value)
        elif key in _FROM_DODO_ONLY:
            found.append(f"{shown}: doit takes {key} only from dodo.py's DOIT_CONFIG and ignores it here "
                         "(deploylib sets what it needs)")
        elif key not in options:
            near = nearest(key, [*options, *_SUBTABLES])
            found.append(f"{shown}: doit has no such option and ignores it"
                         + (f" (did you mean {near}?)" if near else ""))
        else:
            extra = tuple(plugins.get(_PLUGIN_KINDS[key], {}) or ()) if key in _PLUGIN_KINDS else ()
            problem = _value_problem(options[key], value, extra) or (
                path_problem(key, value) if key in (*_FILES, *_PATHS) else "") or (
                PARALLEL if key == "num_process" and str(value).strip() != "0" else "")
            if problem:
                found.append(f"{shown}: {problem}")
    return found


def _value_problem(option: DoitOption, value: Any, extra: tuple[str, ...]) -> str:
    if option.kind is bool:
        ok = isinstance(value, bool) or isinstance(value, str) and value.lower() in _BOOLEAN_WORDS
        return "" if ok else "expected true or false"
    if option.kind is int:
        number = value if isinstance(value, int) and not isinstance(value, bool) else \
            int(value) if isinstance(value, str) and value.strip().isdigit() else None
        low, high = _RANGES.get(option.name, (0, 2**31))
        return "" if number is not None and low <= number <= high else f"expected a whole number from {low} to {high}"
    if option.kind is list:
        ok = isinstance(value, str) or isinstance(value, list) and all(isinstance(v, str) for v in value)
        return "" if ok else "expected a string or an array of strings"
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        return "expected a non-empty string"
    choices = (*(option.choices or _CHOICES.get(option.name, ())), *extra)
    if choices and value not in choices:
        return "expected one of " + ", ".join(f'"{c}"' for c in choices)
    return ""


def _subtable_problems(key: str, value: Any) -> list[str]:
    """`tasks` and `commands`: tables of tables; `plugins`: tables of "module:name" strings."""
    if not isinstance(value, dict):
        return [f"{key} = {show(value)}: expected a table of tables ([tool.doit.{key}.NAME])"]
    found = []
    for name, inner in value.items():
        where = f"{key}.{toml_key(name)}"
        if not isinstance(inner, dict):
            found.append(f"{where} = {show(inner)}: expected a table")
        elif key == "plugins":
            found += [f"{where}.{toml_key(k)} = {show(v)}: expected \"module:name\""
                      for k, v in inner.items() if not (isinstance(v, str) and ":" in v)]
    return found


def path_problem(folder: Path) -> Callable[[str, str], str]:
    """Judge the file and folder options as doit would use them, relative to `folder` (where doit runs)."""

    def judge(key: str, value: str) -> str:
        path = folder / value
        if key in _PATHS:
            exists = path.is_file() if _PATHS[key] == "file" else path.is_dir()
            return "" if exists else f"no such {_PATHS[key]}: {path}"
        parent = path.parent
        if not parent.is_dir():
            return f"its folder {parent} does not exist"
        return "" if os.access(parent, os.W_OK | os.X_OK) else f"its folder {parent} is not writable"

    return judge


def check(folder: Path) -> None:
    """Refuse a `[tool.doit]` in `folder`'s pyproject.toml that doit could not use. Raises ConfigError
    (exit 3) naming the byte, line or key of an unreadable file, or every key whose value cannot work."""
    from deploylib.config.tomlfile import read_table
    from deploylib.errors import ConfigError

    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return
    found = problems(read_table(pyproject, ("tool", "doit")), doit_options(), path_problem(folder))
    if found:
        raise ConfigError(f"{pyproject}: doit cannot use {'this value' if len(found) == 1 else 'these values'} "
                          f"of [tool.doit]: {'; '.join(found)}. Fix or remove {'it' if len(found) == 1 else 'them'} "
                          "and run the command again.")
