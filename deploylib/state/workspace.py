"""Where deploylib works: the configuration, the repository it releases, and the state folder.

`doit` runs in a folder holding dodo.py (the workspace root). If that folder has a deploy.toml,
or a pyproject.toml with [tool.deploylib], that repository is released and deployed. Otherwise
deploylib runs its embedded demo: a sandbox app made from examples/demo-site under
.deploylib/demo/, deployed to local targets beside it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib.config.load import Config, load_file
from deploylib.config.tomlfile import read_table
from deploylib.errors import ConfigError, StateError
from deploylib.model import ARTIFACT_STORE, STATE_DIR, Below
from deploylib.resources import shipped
from deploylib.sizes import format_size
from deploylib.state.atomic import NotAFile, open_regular
from deploylib.values import frozen

if TYPE_CHECKING:
    from deploylib.state.ledger import Ledger



@frozen
class Workspace:
    """Where one run works: the folder doit runs in, the validated configuration, and whether it is the
    demo. Its properties are paths only: nothing is created by reading them."""

    root: Path  # where doit runs; holds the state folder
    config: Config
    demo: bool  # True when running the embedded demo
    # With `demo = true` the repository's own configuration releases it (release, changelog, next-version)
    # while the deploy tasks run the demo: `own` is that workspace, keeping its state in `.deploylib/<scope>`.
    own: Workspace | None = None
    scope: str = ""

    @property
    def releasing(self) -> Workspace:
        """The workspace the release tasks release: the repository's own under `demo = true`, else this one."""
        return self.own or self

    @property
    def app(self) -> Path:
        """The git repository being released and deployed."""
        return self.config.root

    @property
    def state(self) -> Path:
        """The state folder, `<root>/.deploylib` (see `ensure_state_dir`), or `<root>/.deploylib/<scope>`."""
        return self.root / STATE_DIR / self.scope if self.scope else self.root / STATE_DIR

    def ensure_state(self) -> Path:
        """Create the state folder (see `ensure_state_dir`) and return it. Raises StateError."""
        ensure_state_dir(self.root)
        if self.scope:
            try:
                self.state.mkdir(exist_ok=True)
            except OSError as err:
                raise StateError(f"deploylib cannot create its state folder {self.state} ({err.strerror}). "
                                 "Make the folder writable, then run the command again.") from None
        return self.state

    # In the state folder:
    artifacts = Below("state", ARTIFACT_STORE)  # built artifacts (names inside: build.artifact.stored)
    incidents = Below("state", "incidents")  # incident reports of failed validations
    build_record = Below("state", "build.json")  # the current build's artifact as JSON: later stages' file_dep

    @property
    def demo_notice(self) -> str:
        """What a run of the embedded demo says first, so nobody mistakes it for a deploy of their site."""
        if self.own:
            return (f"{self.own.config.path.name} says demo = true: the deploy tasks run deploylib's embedded demo (a "
                    f"sandbox site in {self.app}, deployed to folders beside it); doit release releases "
                    f"{self.root} itself.")
        return (f"no deploy.toml in {self.root}: this is deploylib's embedded demo (a sandbox site in "
                f"{self.app}, deployed to folders beside it), not your repository. To deploy your site, run "
                "deploylib init there (or write a deploy.toml: see the README).")

    @property
    def ledger(self) -> Ledger:
        """The ledger at `.deploylib/ledger.sqlite3`; the file is opened (and made) only when used."""
        from deploylib.state.ledger import Ledger  # sqlite3: only the stages that record need it

        return Ledger(self.state / "ledger.sqlite3")


def ensure_state_dir(root: Path) -> Path:
    """Create .deploylib/ with a .gitignore of its own, so no repository ever commits it.
    Raises StateError when it cannot be created."""
    state = root / STATE_DIR
    ignore = state / ".gitignore"
    try:
        state.mkdir(exist_ok=True)
        if not ignore.exists():
            ignore.write_text("# deploylib's local state: ledger, artifacts, incidents. Never committed.\n*\n")
    except OSError as err:
        if os.path.lexists(state) and not state.is_dir():  # a file, a link to nowhere or a link loop
            what = "a symbolic link to no folder" if state.is_symlink() else "a file"
            raise StateError(f"deploylib's state folder {state} is {what}, not a folder, so deploylib cannot keep its "
                             "ledger, builds and locks there; nothing was run. Move it away (deploylib makes the "
                             "folder), then run the command again.") from None
        raise StateError(f"Cannot create deploylib's state folder {state}: {err.strerror}. Make {root} writable "
                         "by this user, then run the command again.") from None
    return state


_MIN_FREE = 1 << 20  # bytes: room for the ledger's and doit's records of one run


def writable(folder: Path, file: Path) -> str:
    """Why this process cannot record state in `folder` and `file` (if it exists), or "" when it can: the
    folder must take a new file, the file must open for writing, and the disk must have 1 MiB free
    (statvfs(3) f_bavail, the blocks an unprivileged user may use).
    Tried, not inferred from permission bits: root ignores those, but not a read-only mount, an
    immutable flag or a full disk."""
    probe = folder / f".writable-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
        if os.path.lexists(file):  # a link to nowhere too: SQLite could not create the file it names
            with file.open("ab"):
                pass
        space = os.statvfs(folder)
    except OSError as err:
        return f"{err.filename or folder}: {err.strerror}"
    if space.f_bavail * space.f_frsize < _MIN_FREE:
        return f"the disk holding {folder} is full ({format_size(space.f_bavail * space.f_frsize)} free)"
    return ""


_SQLITE_HEADER = b"SQLite format 3\0"  # the first 16 bytes of every SQLite 3 database (sqlite.org/fileformat)


def set_aside_if_corrupt(database: Path) -> Path:
    """Move doit's dependency file out of the way (kept, as `<name>.corrupt-<time>`) with a warning when doit
    could not use it, so that doit starts a new one; returns `database`. Unusable: not a SQLite database (its
    header), damaged inside (SQLite's quick_check: truncated, pages overwritten), or a `doit` table doit cannot
    read back (`_unusable`). This runs on every doit start: a small file is checked in well under a
    millisecond. Raises StateError when the file cannot be read or moved."""
    try:
        with open(open_regular(database), "rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return database
    except NotAFile:
        header = b"-"  # a fifo, device or folder: not a database, set aside like one
    except OSError as err:
        raise StateError(f"Cannot read {database}: {err.strerror}. Fix its permissions, then run again.") from None
    if not header or header == _SQLITE_HEADER and not _unusable(database):
        return database
    from datetime import UTC, datetime

    from deploylib import report

    kept = database.with_name(f"{database.name}.corrupt-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
    try:
        os.replace(database, kept)
    except OSError as err:
        raise StateError(f"{database} is not a SQLite database (corrupted), and it cannot be moved aside: "
                         f"{err.strerror}. Move or delete it by hand; it only remembers which stages are up to "
                         "date.") from None
    report.state_warning("state", f"{database.name} was corrupted; kept it as {kept.name} and started a new "
                         "one (every stage checks itself again once)")
    return database


# A row doit reads back (doit/dependency.py SqliteDB): task_data is decoded as JSON and used as a dict.
_DOIT_ROWS = ("SELECT 1 FROM doit WHERE CASE WHEN json_valid(task_data) THEN json_type(task_data) END IS NOT 'object' "
              "LIMIT 1")


def _unusable(database: Path) -> bool:
    """Whether SQLite finds the database damaged, or its `doit` table has other columns or a row whose task
    data is not a JSON object: doit would stop with a traceback. Read only; a database SQLite cannot open
    for another reason (locked, unreadable) is left for doit to report."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
            if db.execute("PRAGMA quick_check(1)").fetchone() != ("ok",):
                return True
            columns = {row[1] for row in db.execute("PRAGMA table_info(doit)")}
            if not columns:  # no table yet: doit makes it
                return False
            return not {"task_id", "task_data"} <= columns or db.execute(_DOIT_ROWS).fetchone() is not None
    except sqlite3.DatabaseError as err:
        return any(sign in str(err) for sign in ("not a database", "malformed", "encrypted"))


def demo_app_dir(root: Path) -> Path:
    """Where the embedded demo's sandbox repository lives: `<root>/.deploylib/demo/app`."""
    return root / STATE_DIR / "demo" / "app"


def discover(root: Path) -> Workspace:
    """The workspace for `root`, with its configuration loaded and validated: deploy.toml, else
    [tool.deploylib] in pyproject.toml, else the embedded demo; a configuration with `demo = true` gives
    the demo's workspace with the repository's own as `own` (it releases, the demo deploys). Old key names
    a configuration uses are told once per process, on stderr. Raises ConfigError (exit 3) for an invalid
    configuration, for a file that looks meant to be deploy.toml (e.g. Deploy.toml, deploy.yaml) or a
    misspelt [tool.deploylib], rather than run the demo in their place."""
    deploy_toml, pyproject = root / "deploy.toml", root / "pyproject.toml"
    for path in (deploy_toml, *([] if os.path.lexists(deploy_toml) else [pyproject])):
        problem = _not_a_file(path)
        if problem:
            raise ConfigError(f"{path} {problem}, so deploylib cannot read it; it runs neither your configuration "
                              f"nor its embedded demo. Make {path.name} a regular file (or remove it).")
    own: Config | None = None
    if deploy_toml.is_file():
        own = _told(load_file(deploy_toml, root))
        if _configures_deploylib(pyproject):  # one would be ignored in silence: say which to keep
            raise ConfigError(f"{deploy_toml} and [tool.deploylib] in {pyproject} both configure deploylib, and only "
                              "deploy.toml would be read, so edits to the other would change nothing. Keep one: move "
                              "what you need into deploy.toml and remove [tool.deploylib], or the reverse.")
    elif pyproject.is_file() and _has_deploylib_table(pyproject):
        own = _told(load_file(pyproject, root, ("tool", "deploylib")))
    if own and not own.demo:
        return Workspace(root, own, demo=False)
    misnamed = "" if own else misnamed_config(p.name for p in root.iterdir() if p.is_file()) or _config_below(root)
    if misnamed:
        raise ConfigError(f"There is no deploy.toml in {root}, but there is {misnamed}. deploylib reads only "
                          "deploy.toml (TOML), or [tool.deploylib] in pyproject.toml; without either it runs its "
                          f"embedded demo, not your site. Rename or move {misnamed} to {root / 'deploy.toml'} (in TOML "
                          "form).")
    app = demo_app_dir(root)
    sandbox_config = app / "deploy.toml"
    config_file = sandbox_config if sandbox_config.is_file() else shipped("examples/demo-site") / "deploy.toml"
    return Workspace(root, load_file(config_file, app, demo=True), demo=True,
                     own=Workspace(root, own, demo=False, scope="self") if own else None)


def _config_below(root: Path) -> str:
    """A deploy.toml one or two folders down (config/deploy.toml, .github/deploy.toml, a monorepo's
    apps/web/deploy.toml), as a path relative to `root`, or "": deploylib reads only the one in the folder doit
    runs in, so that one was misplaced. deploylib's own state folder (where the demo keeps its app) and git's
    are not looked in, nor, two down, hidden folders and node_modules (thousands of packages, none the site's)."""
    skipped = (STATE_DIR, ".git")
    with contextlib.suppress(OSError):
        children = [child for child in sorted(root.iterdir()) if child.name not in skipped and child.is_dir()]
        for child in children:
            if (child / "deploy.toml").is_file():
                return f"{child.name}/deploy.toml"
        for child in children:
            if child.name.startswith(".") or child.name == "node_modules":
                continue
            with contextlib.suppress(OSError):
                for grandchild in sorted(child.iterdir()):
                    if grandchild.is_dir() and (grandchild / "deploy.toml").is_file():
                        return f"{child.name}/{grandchild.name}/deploy.toml"
    return ""


def _not_a_file(path: Path) -> str:
    """Why something named like a configuration file is not a readable file, or "" (it is one, or absent).
    Without this a dangling link or a folder named deploy.toml would silently run the demo, and a fifo hang."""
    import stat

    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return ""
    except OSError as err:
        return f"cannot be examined ({err.strerror})"
    if stat.S_ISLNK(mode):
        target = os.readlink(path)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            return f"is a symbolic link to {target}, which does not exist"
        except OSError as err:
            return f"is a symbolic link to {target}, which cannot be followed ({err.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    return "" if stat.S_ISREG(mode) else "is not a regular file (a fifo, socket or device)"


def _told(config: Config) -> Config:
    if config.renamed:
        _tell_renamed(config.path.name, config.renamed)
    return config


@functools.cache  # doit's task creators each load the configuration: the notice is given once per run
def _tell_renamed(file: str, renamed: tuple[tuple[str, str], ...]) -> None:
    from deploylib import report

    report.aside(f"{file} uses old key names: " + ", ".join(f"{old} is now {new}" for old, new in renamed)
                 + ". They still work for now; rename them.")


def misnamed_config(names: Iterable[str]) -> str:
    """The first of these file names (of a folder without deploy.toml) that looks meant to be deploy.toml:
    another case, suffix or format, or a typo; "" when none does. Scripts such as deploy.py or deploy.sh
    are not configuration."""
    for name in sorted(names):
        lower = name.lower()
        stem, suffix = Path(lower).stem, Path(lower).suffix
        if (lower.startswith("deploy.toml") or (stem in _CONFIG_STEMS and suffix in _CONFIG_SUFFIXES)
                or (_MAYBE_CLOSE <= len(lower) <= _MAYBE_CLOSE_MAX and _close_to_deploy_toml(lower))):
            return name
    return ""


# A ratio of 0.85 to the 11 characters of "deploy.toml" needs 9 to 14 characters (difflib's real_quick_ratio
# bound, 2 * min / total), so other names are judged without loading difflib.
_MAYBE_CLOSE, _MAYBE_CLOSE_MAX = 9, 14


def _close_to_deploy_toml(lower: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, lower, "deploy.toml").ratio() >= 0.85


_CONFIG_STEMS = ("deploy", ".deploy", "deploylib", ".deploylib", "deploy-config", "deploy_config")
_CONFIG_SUFFIXES = (".toml", ".tml", ".tom", ".yaml", ".yml", ".json", ".ini", ".cfg", ".conf", ".txt")


def _configures_deploylib(pyproject: Path) -> bool:
    """Whether `pyproject` exists and has a [tool.deploylib] table; its text is parsed only when it names
    deploylib at all."""
    try:
        if b"deploylib" not in pyproject.read_bytes():
            return False
    except OSError:  # no pyproject.toml (doit reports one it cannot read)
        return False
    tool = read_table(pyproject).get("tool")
    return isinstance(tool, dict) and "deploylib" in tool


def _has_deploylib_table(pyproject: Path) -> bool:
    """Whether `pyproject` has [tool.deploylib]. Raises ConfigError for a table meant to be it: a close name
    in [tool] ([tool.deploy]), or a deploylib table elsewhere ([deploylib], [tools.deploylib]), which would
    otherwise leave the embedded demo to run in its place."""
    table = read_table(pyproject)
    tool = table.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    if "deploylib" in tool:
        return True
    import difflib  # only for a pyproject.toml without [tool.deploylib]

    near = difflib.get_close_matches("deploylib", [str(key) for key in tool], n=1, cutoff=0.75)
    misplaced = [f"tool.{near[0]}"] if near else []
    misplaced += [name for name, value in table.items() if name.lower() == "deploylib" and isinstance(value, dict)]
    misplaced += [f"{name}.{key}" for name, value in table.items() if name != "tool" and isinstance(value, dict)
                  for key, inner in value.items() if key.lower() == "deploylib" and isinstance(inner, dict)]
    if misplaced:
        raise ConfigError(f"{pyproject.name} has [{misplaced[0]}] but no [tool.deploylib]: did you mean "
                          "[tool.deploylib]? Without it deploylib runs its embedded demo, not your site. Rename the "
                          "table.")
    return False
