"""The doit layer: every task deploylib offers, built from the workspace's configuration.

    gate ─► build ─► release ─► deploy:test ─► deploy:production      (validation and automatic
    (HEAD,   (sources,  (version      (uptodate: live    (require_staging:  rollback run inside
    config)  version)   tagged)        digest == build)   validated on test) each deploy)

Stages are chained by the build record (`file_dep`) and `uptodate` checks, never by `task_dep`
alone, so a no-op re-run shows every task as up to date. This module only wires: it turns a
`DeployError` into its message and exit code, and keeps uptodate checks from ever raising.
"""

from __future__ import annotations

import atexit
import errno
import functools
import gc
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from doit import task_params
from doit.reporter import ConsoleReporter

from deploylib import cmdline, report, startup
from deploylib.errors import ConfigError, DeployError, Interrupted, TargetError
from deploylib.interrupts import Terminated, sigterm_as_exception
from deploylib.release.versioning.options import PlanOptions
from deploylib.state.runfacts import RunFacts
from deploylib.state.workspace import Workspace, discover, ensure_state_dir, set_aside_if_corrupt, writable

__all__ = ["DOIT_CONFIG", "task_deploylib", "task_release"]  # noqa: F822 (DOIT_CONFIG: see __getattr__)


class Reporter(ConsoleReporter):
    """doit's console reporter. Before the first task it opens the run's outputs (deploylib.outputs), tells
    the release which environments the run deploys to (see `_tell_release`) and settles production
    confirmation (see `_confirm_run`); after the last it closes the outputs. A run asked for machine-readable
    output (a selected task's `--json`, named by its meta) gets no ".  status" title for that task and doit's
    other lines on stderr: stdout is then the JSON and nothing else."""

    def __init__(self, outstream: Any, options: Any) -> None:
        super().__init__(outstream, options)
        self._close: Callable[[], None] | None = None
        self._selected: list[str] = []
        self._running = ""  # the task running now: a stage of the result when it fails before telling one
        if outstream is None:  # started with stdout closed (`>&-`): Python has no sys.stdout
            report.stdout_lost(OSError(errno.EBADF, "stdout is closed"))

    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        super().initialize(tasks, selected_tasks)
        self._selected = selected_tasks
        chosen = [tasks[name] for name in selected_tasks if name in tasks]
        as_json = any(_flag(task, "machine_readable") for task in chosen)
        runs_json = any(_flag(task, "machine_readable") and (task.meta or {}).get("result") for task in chosen)
        no_color = any(_flag(task, "no_color") for task in chosen)
        stdout = self.outstream
        if as_json:
            import sys

            self.outstream = sys.stderr
        if stdout is not None and (runs_json or not as_json):  # `status --json` and others print their own
            from deploylib.outputs import open_run

            # a job summary and step outputs describe a deploy, rollback, validation or dry run; `doit status`
            # after `doit deploy:test` in one step must not replace its outputs with "unchanged"
            def results() -> bool:
                return any((tasks[name].meta or {}).get("result") for name in _closure(tasks, selected_tasks))

            self._close = open_run(selected_tasks[0] if selected_tasks else "", runs_json, no_color, stdout,
                                   lambda: self._running, results)
            if self._close is not None:  # a result listens (JSON, CI); plain lines need no identity, nor the bus
                _identify(tasks, selected_tasks)
        try:
            try:
                with sigterm_as_exception():
                    _tell_release(tasks, selected_tasks)
                    _confirm_run(tasks, selected_tasks)
            except (KeyboardInterrupt, Terminated):  # at the [Y/n] prompt: as a "no", but exit 130
                raise Interrupted("Interrupted before the run started: nothing was gated, built, tagged, "
                                  "pushed or deployed.") from None
        except DeployError as err:
            from deploylib import events

            if self._close is not None:
                _identify(tasks, selected_tasks, planned=True)
            events.emit(events.Failed(str(err), int(err.exit_code)))
            report.failure(str(err))
            raise SystemExit(int(err.exit_code)) from None

    def write(self, text: str) -> None:
        try:
            if self.outstream is not None:
                self.outstream.write(text)
        except OSError as err:  # a reader that closed early (`| head`), a full disk: see report.stdout_lost
            report.stdout_lost(err)

    def execute_task(self, task: Any) -> None:
        self._running = task.name
        if not _flag(task, "machine_readable"):
            super().execute_task(task)

    def skip_uptodate(self, task: Any) -> None:
        super().skip_uptodate(task)
        live = (task.meta or {}).get("live_release")
        if live is not None and self._close is not None and task.name in self._selected:
            live()  # nothing to deploy: the result and CI outputs still say which release is live

    def complete_run(self) -> None:
        super().complete_run()
        close: Callable[[], None] | None = getattr(self, "_close", None)
        self._close = None
        if close is not None:
            close()


def _flag(task: Any, key: str) -> bool:
    """Whether a task's meta `key` is on: True itself, or the name of a param given on the command line."""
    flag = (task.meta or {}).get(key)
    return bool(flag is True or (isinstance(flag, str) and (task.options or {}).get(flag)))


def _identify(tasks: dict[str, Any], selected: list[str], planned: bool = False) -> None:
    """Tell the run's outputs (events.Identified) the environment the last selected result command names
    (deploy:ENV, or its --env) with that environment's configured url; with `planned`, also the release the
    run makes, from the plan of a task it reaches that carries one (meta `release_facts`: the gate's, a
    hotfix's), read now. For a run stopped before its first task, whose stages told nothing yet."""
    from deploylib import events

    commands = [tasks[name] for name in selected if name in tasks and (tasks[name].meta or {}).get("result")]
    envs = [task.name.partition(":")[2] or (task.options or {}).get("env", "") for task in commands]
    env = next((name for name in reversed(envs) if name), "")
    config = _discovered(Path.cwd()).config
    if env in config.environments:
        events.emit(events.Identified(env, url=config.environments[env].url))
    facts = next((tasks[name].meta["release_facts"] for name in _closure(tasks, selected)
                  if "release_facts" in (tasks[name].meta or {})), None)
    if planned and facts is not None:
        from deploylib.stages import tell_release

        tell_release(facts)


def _identify_live(ws: Workspace, env_name: str) -> None:
    """Tell the run's outputs (events.Identified) the release `env_name` serves when its deploy task is up to
    date, which means the environment serves the build record's artifact; nothing when it cannot be read."""
    from deploylib import events
    from deploylib.build.record import read_record
    from deploylib.release.plan import release_tag

    try:
        artifact = read_record(ws)
    except DeployError:
        return
    events.emit(events.Identified(env_name, artifact.version, release_tag(ws, artifact.version), artifact.digest))


def doit_config(root: Path) -> dict[str, Any]:
    """doit settings; the state folder must exist before doit opens its dependency file there, and a
    dependency file SQLite cannot read is set aside (doit would stop with a traceback-like error).
    A `[tool.doit]` doit cannot use stops the run here (exit 3) with its key named (config/doitconf.py)."""
    try:
        if (root / "pyproject.toml").is_file():  # doit reads [tool.doit] from nowhere else
            from deploylib.config import doitconf

            doitconf.check(root)  # doit would stop later with a traceback, or ignore the value without a word
        state = ensure_state_dir(root)
        dep_file = set_aside_if_corrupt(state / "doit.sqlite3")
    except DeployError as err:
        raise _invalid(str(err)) from None
    problem = writable(state, dep_file)
    if problem:  # doit would stop with a traceback when it saves its record at the end of the run
        report.state_warning("state", f"{state} cannot be written ({problem}): commands that only read "
                                            "work; those that deploy or release stop before changing anything")
        dep_file = Path(":memory:")
    _refuse_bad_options(sys.argv[1:])
    _refuse_parallel(sys.argv[1:])
    return {"default_tasks": ["status"], "backend": "sqlite3", "dep_file": str(dep_file), "verbosity": 2,
            "reporter": Reporter}


def _refuse_parallel(argv: list[str]) -> None:
    """`doit -n N` / `--process=N` refused (exit 3) before any task runs, as [tool.doit] num_process is
    (config/doitconf.PARALLEL says why). doit parses its run options before it reads DOIT_CONFIG, so this
    parses the command line again, only when a word could be that option (getopt takes `-an2`, `--proc=2`)."""
    if not any(word.startswith("--p") or (word[:1] == "-" and word[1:2] != "-" and "n" in word) for word in argv):
        return
    from deploylib.config.doitconf import PARALLEL

    if cmdline.processes(argv) > 0:
        raise _invalid(f"doit -n/--process: {PARALLEL}. Nothing was run; drop -n.")


def _refuse_bad_options(argv: list[str]) -> None:
    """A task option doit will refuse (`doit rollback --env typo`, an unknown flag, a missing value, `--limit x`,
    a value one of the option types in cmdline.py refuses) refused here first, as a bad command line (exit 3,
    `_invalid`): in deploylib's words, naming the option, the value and the form expected, rather than doit's
    (its dump of every option, its type's repr), and with the run's outputs (--json, GitHub Actions), which doit
    would refuse it without. Checked when doit reads DOIT_CONFIG, because doit parses `release`'s options before
    it makes any task."""
    words = cmdline.task_words(argv)
    if not words or not any(word.startswith("-") for word in words):  # no option, nothing to refuse
        return
    options: dict[str, list[dict[str, Any]]] = {name: _PLAN_PARAMS for name in ("gate", "build", "release")}
    for task in _made():
        name = task["basename"] + (f":{task['name']}" if task.get("name") else "")
        options[name] = task.get("params", [])
    message = cmdline.refusal(words, options.get)
    if message:
        raise _invalid(message)


def __getattr__(name: str) -> Any:
    """`DOIT_CONFIG`, made when it is asked for (by dodo.py's `import *`, or doit) rather than on import:
    importing this module writes nothing. doit opens its dependency file right after it reads
    DOIT_CONFIG, before it loads any task, so the state folder is made then."""
    if name == "DOIT_CONFIG":
        return doit_config(Path.cwd())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "DOIT_CONFIG"])  # doit's ModuleTaskLoader lists a module's members by dir()


# At exit CPython runs a full garbage collection over every object the run created (GitPython, requests,
# Jinja2: ~0.6 s on a busy 2-core machine); nothing is left to collect then, so freeze them instead.
atexit.register(gc.freeze)
report.guard_stderr()  # `doit deploy 2>&1 | grep -m1 x`: doit's own "ERROR: …" must not raise either
atexit.register(report.flush_stdout)  # run before Python's own last flush, which would print a traceback


def _guarded(check: Callable[..., bool]) -> Callable[..., bool]:
    """An uptodate check that cannot raise: any error means "not up to date", and the task then
    runs and reports the real problem cleanly."""

    def uptodate(task: Any, values: dict[str, Any]) -> bool:
        try:
            return check(values)
        except Exception:
            return False

    return uptodate


def _action(run: Callable[..., Any]) -> Callable[..., Any]:
    """Run a stage; a DeployError becomes its message on stderr and its documented exit code, and so does
    Ctrl-C or SIGTERM (Interrupted, 130) that the stage itself did not turn into one: doit would print a
    traceback for the first, die without a word (or JSON result) on the second."""

    @functools.wraps(run)  # doit reads the signature through __wrapped__ and passes only those params
    def action(**params: Any) -> Any:
        try:
            try:
                with sigterm_as_exception():
                    return run(**params)
            except (KeyboardInterrupt, Terminated) as cut:
                how = "Ctrl-C" if isinstance(cut, KeyboardInterrupt) else "SIGTERM"
                raise Interrupted(f"Interrupted ({how}) during {run.__name__}. Run the command again: what "
                                  "this run left unfinished (a release, a deploy) is finished or undone "
                                  "first.") from None
        except DeployError as err:
            from deploylib import events

            events.emit(events.Failed(str(err), int(err.exit_code)))
            report.failure(str(err))
            raise SystemExit(int(err.exit_code)) from None

    return action


_YES = {"name": "yes", "long": "yes", "short": "y", "type": bool, "default": False,
        "help": "confirm a production change without asking (also: DEPLOYLIB_YES=1)"}
# Set by `_confirm_run` (never on the command line): how this run's production change was confirmed.
_CONFIRMED = {"name": "confirmed", "type": str, "default": ""}


def _confirm_run(tasks: dict[str, Any], selected: list[str]) -> None:
    """Ask once, before the gate, for every production-like change this run would make (a task whose meta
    says `confirms`: deploy:ENV of a confirm = true environment, promote, hotfix), whether named on the
    command line or reached as a dependency (`doit deploy`). Without a terminal, and without --yes or
    DEPLOYLIB_YES=1, nothing runs at all: raises Aborted (exit 6) before anything is gated, built, tagged,
    pushed or deployed. Confirmed on the terminal, each such task is told so (its `confirmed` option) and
    does not ask again. Rule: README, "Ask before production"."""
    changes = []
    for name in _closure(tasks, selected):
        task = tasks[name]
        confirms = (task.meta or {}).get("confirms")
        if not confirms:
            continue
        task.init_options()  # a dependency's options: its defaults (doit does the same before running it)
        env = confirms.get("env") or task.options.get("env", "")
        if env in confirms["needs"] and not task.options.get("yes"):
            changes.append((task, f"{confirms['what']} {env}"))
    if not changes:
        return
    from deploylib.confirmation import confirm_changes

    how = confirm_changes([what for _, what in changes], _rerun(selected, [task.name for task, _ in changes]))
    for task, _ in changes:
        task.options["confirmed"] = how


def _tell_release(tasks: dict[str, Any], selected: list[str]) -> None:
    """Give the release tasks (`release`, and the demo's own chain's) the environments this run deploys to (each
    deploy:ENV it reaches), in their meta `deploying`, so they refuse before tagging what those deploys would
    refuse (pipeline.refuse_before_release)."""
    deploying = [name.partition(":")[2] for name in _closure(tasks, selected) if name.startswith("deploy:")]
    for task in tasks.values():
        if "deploying" in (task.meta or {}):
            task.meta["deploying"] = deploying


def _closure(tasks: dict[str, Any], selected: list[str]) -> list[str]:
    """The selected tasks and everything they depend on (task_dep, also a group's subtasks), each once."""
    seen: list[str] = []
    todo = list(selected)
    while todo:
        name = todo.pop()
        if name in tasks and name not in seen:
            seen.append(name)
            todo.extend(tasks[name].task_dep)
    return seen


def _rerun(selected: list[str], confirming: list[str]) -> str:
    """The command line to repeat with confirmation: --yes after each confirming task the user named, else
    (a group, a dependency) with DEPLOYLIB_YES=1 before it."""
    words = sys.argv[1:] or selected
    named = [name for name in confirming if name in words]
    if len(named) != len(confirming):
        return "DEPLOYLIB_YES=1 doit " + " ".join(words)
    out = []
    for word in words:
        out.append(word)
        if word in named:
            out.append("--yes")
    return "doit " + " ".join(out)
_JSON = {"name": "as_json", "long": "json", "type": bool, "default": False, "help": "print one JSON object"}
_RESULT_JSON = {**_JSON, "help": "print the result as one JSON object on stdout (deploylib/schemas/"
                                 "result.schema.json); the report goes to stderr"}
_NO_COLOR = {"name": "no_color", "long": "no-color", "type": bool, "default": False,
             "help": "plain lines, no colour or progress, even on a terminal (also: NO_COLOR)"}
_RESULT_META = {"machine_readable": "as_json", "no_color": "no_color", "result": True}


def _env_param(ws: Workspace, default: str, text: str) -> dict[str, Any]:
    """An --env option whose value doit checks against the configured environments while it parses the
    command line, so `doit deploy:production rollback --env typo` stops (exit 3) before any task runs, in the
    words of every other unknown environment (Config.environment). "" is every environment where `default` is
    "" (history), and refused where the option names one."""
    choices = [*([("", "all environments")] if not default else []), *((name, "") for name in ws.config.environments)]

    def environment(name: str) -> str:  # doit calls the type before it checks the choices: refuse in words
        if not name and default:
            known = ", ".join(ws.config.environments) or "none"
            raise cmdline.OptionValueError(f'--env "" names no environment; the configured environments are: {known}')
        if name:
            try:
                ws.config.environment(name)
            except ConfigError as err:
                raise cmdline.OptionValueError(f"--env {cmdline.shown(name)}: {str(err).rstrip('.')}") from None
        return name

    return {"name": "env", "long": "env", "type": environment, "default": default, "help": text, "choices": choices}


def _workspace() -> Workspace:
    """The workspace, or doit's clean "ERROR: …" and exit code 3 for a bad configuration."""
    try:
        return _discovered(Path.cwd())
    except ConfigError as err:
        raise _invalid(str(err)) from None


@functools.cache
def _discovered(root: Path) -> Workspace:
    """The configuration is read once per doit run, though doit calls each task creator (a process runs
    one doit command; a configuration error is raised again, uncached, to each creator)."""
    return discover(root)


# The options that change which version is built and tagged. doit parses a creator's @task_params
# when its name ("release") is on the command line, before any task exists, so the gate, build and
# release tasks made here all see them: `doit release --version 2.0.0` builds 2.0.0, then tags it.
_PLAN_PARAMS = [
    {"name": "dry_run", "long": "dry-run", "type": bool, "default": False,
     "help": "print the next version and its release notes; write nothing"},
    {"name": "version", "long": "version", "type": cmdline.version, "default": "",
     "help": "release this version (X.Y.Z)"},
    {"name": "prerelease", "long": "prerelease", "type": cmdline.prerelease, "default": "",
     "help": "release a prerelease with this token: 1.5.0-rc.1, then rc.2"},
    {"name": "hotfix", "long": "hotfix", "type": bool, "default": False,
     "help": "a patch release, whatever the commits ask for"},
    {**_RESULT_JSON, "help": "with --dry-run: print the plan as one JSON object on stdout"}, _NO_COLOR,
]


@task_params(_PLAN_PARAMS)
def task_release(dry_run: bool, version: str, prerelease: str, hotfix: bool, as_json: bool,
                 no_color: bool) -> Iterator[dict[str, Any]]:
    """The stages that make a release: gate, build, release (of the repository itself under `demo = true`)."""
    if as_json and not dry_run:  # a release's result is its report; --json would be dropped once it had run
        raise _invalid("doit release: --json prints the plan of a dry run (doit release --dry-run --json); a "
                       "release itself has no JSON result. Nothing was run; add --dry-run, or drop --json.")
    ws = _workspace().releasing
    facts = RunFacts(ws, PlanOptions(version=version, prerelease=prerelease, hotfix=hotfix))
    if dry_run:
        yield {**_release_preview(ws, facts), "meta": {"machine_readable": as_json, "no_color": no_color,
                                                        "result": True}}
        return
    stages = [_gate(ws, facts), *([_build(ws, facts)] if ws.config.build.command else []), _release(ws, facts)]
    for stage in stages:
        yield {**stage, "meta": {**(stage.get("meta") or {}), "no_color": no_color}}


_PER_ENVIRONMENT = ("deploy", "validate", "unlock", "releases")  # task groups with one subtask per environment


def _check_environments_named(ws: Workspace, words: list[str]) -> None:
    """Refuse a command line naming a per-environment task of an environment that is not configured
    (`doit deploy:staging`), naming the configured ones; doit would only say "Invalid parameter"."""
    for word in words:
        group, colon, name = word.partition(":")
        if colon and group in _PER_ENVIRONMENT and name and name not in ws.config.environments:
            try:
                ws.config.environment(name)
            except ConfigError as err:
                raise _invalid(f"{word}: {err}") from None


def _invalid(message: str) -> Exception:
    """doit's clean "ERROR: …" and exit code 3 for a configuration or command line refused while the tasks
    are loaded. doit then runs no task, so no reporter would give this run's outputs; they are given here:
    a command asked for its result as JSON (`doit deploy:production --json`) gets its one object on stdout,
    outcome failed, and under GitHub Actions the refusal is annotated and the summary and step outputs are
    written (see deploylib.ci)."""
    from doit.exceptions import InvalidDodoFile

    from deploylib import ci

    command, as_json = cmdline.first_word(sys.argv[1:]), cmdline.asks_result_json(sys.argv[1:])
    if as_json or ci.active():
        import json

        from deploylib.result import refused

        result = refused(command, message, int(ConfigError.exit_code), _configured_url(command))
        if ci.active():
            print(ci.command("error", message), file=sys.stderr if as_json else sys.stdout, flush=True)
            ci.write_files(result)
        if as_json:
            report.plain(json.dumps(result, ensure_ascii=False))
    return InvalidDodoFile(message)


def _configured_url(command: str) -> str:
    """The configured url of the environment `command` deploys to (deploy:ENV); "" when there is none or the
    configuration cannot be read."""
    env = command.partition(":")[2] if command.startswith("deploy:") else ""
    try:
        environments = _discovered(Path.cwd()).config.environments if env else {}
    except DeployError:
        return ""
    return environments[env].url if env in environments else ""


def task_deploylib() -> Iterator[dict[str, Any]]:
    """The rest of deploylib's tasks (doit lists them by their own names). doit calls its creators in the order
    of their lines, this one last, so when it ends the tasks are loaded: collection resumes (startup.py)."""
    try:
        yield from (dict(task) for task in _made())  # a copy each: doit pops keys off the dicts it is given
    finally:
        startup.loaded()


def _made() -> tuple[dict[str, Any], ...]:
    """deploylib's tasks, made once a run: `_refuse_bad_options` reads their options before doit asks for them."""
    return _made_for(Path.cwd(), tuple(sys.argv[1:]))


@functools.cache
def _made_for(root: Path, argv: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    # keyed by what the tasks are made from (_workspace() reads root, _check_environments_named argv): a second
    # run in one process, elsewhere or with other words, makes its own
    return tuple(_deploylib_tasks())


def _deploylib_tasks() -> Iterator[dict[str, Any]]:
    ws = _workspace()
    _check_environments_named(ws, sys.argv[1:])
    yield _status(ws)
    yield _history(ws)
    yield _changelog(ws.releasing)
    if ws.own:  # `demo = true`: `release` releases the repository, so the demo's own chain gets its own names
        facts = RunFacts(ws, PlanOptions())
        yield _gate(ws, facts, _DEMO_CHAIN)
        if ws.config.build.command:
            yield _build(ws, facts, _DEMO_CHAIN)
        yield _release(ws, facts, _DEMO_CHAIN)
    yield from _deploy(ws)
    yield from _validate(ws)
    yield from _unlock(ws)
    yield from _releases(ws)
    yield _rollback(ws)
    if ws.demo:
        yield _break_demo(ws)
    if ws.config.environments:
        yield _shortcut(ws, "promote", "Deploy the artifact validated on staging to production (same digest, no "
                                       "rebuild)")
        yield _shortcut(ws, "hotfix", "Fast track a fix: patch release, configured gates waived, tests and "
                                      "validation always run")


def _status(ws: Workspace) -> dict[str, Any]:
    def status(as_json: bool) -> None:
        from deploylib.targets.status import environment_statuses

        if ws.demo and not as_json:
            report.stage(report.WARN, "demo", ws.demo_notice)
        rows = environment_statuses(ws)
        report.status(rows, as_json)
        unread = [row.name for row in rows if row.unreadable]
        if unread:
            raise TargetError(f"What {', '.join(unread)} serve{'s' if len(unread) == 1 else ''} could not be read "
                              f"({'said above' if not as_json else 'the unreadable key says why'}); the other rows "
                              "stand.")

    return {"basename": "status", "doc": "Show what each environment serves: version, digest, commit, when, by whom",
            "actions": [_action(status)], "params": [_JSON], "uptodate": [False], "verbosity": 2,
            "meta": {"machine_readable": "as_json"}}


def _history(ws: Workspace) -> dict[str, Any]:
    def history(as_json: bool, env: str, limit: int) -> None:
        if ws.demo and not as_json:
            report.stage(report.WARN, "demo", ws.demo_notice)
        if env:
            ws.config.environment(env)
        report.history(ws.ledger.entries(env, limit), as_json)

    return {"basename": "history", "doc": "List recorded deploys, validations and rollbacks, newest first",
            "actions": [_action(history)], "uptodate": [False], "verbosity": 2,
            "meta": {"machine_readable": "as_json"}, "params": [_JSON,
                       _env_param(ws, "", "only this environment"),
                       {"name": "limit", "long": "limit", "type": cmdline.entries, "default": 50,
                        "help": "how many entries"}]}


_DEMO_CHAIN = "demo-"  # under `demo = true`, the demo's stages are demo-gate, demo-build and demo-release


def _chain_doc(chain: str) -> str:
    return "The embedded demo's stage: " if chain else ""


def _gate(ws: Workspace, facts: RunFacts, chain: str = "") -> dict[str, Any]:
    def gate() -> dict[str, str]:
        from deploylib import stages

        key, head = stages.gate(ws, facts)
        return {"key": key, "head": head}

    def current(values: dict[str, Any]) -> bool:
        from deploylib.gates.quality import still_passes

        state = facts.repo_state()
        # The pushed gate judged the HEAD it passed at: a new commit with the same sources (an empty or
        # amended one) is judged again, unless it is the release commit a release made on top of it.
        judged = not ws.config.gate.require_pushed or values.get("head") == state.head or facts.head_released()
        return judged and still_passes(state, ws.config.release.branch, facts.gate_key(), values.get("key"))

    from deploylib.gates.quality import asks_forge

    return {"basename": f"{chain}gate",
            "doc": _chain_doc(chain) + "Check the repository may ship: clean tree, release branch, tests pass",
            "actions": [_action(gate)], "uptodate": [False if asks_forge(ws.config.gate) else _guarded(current)],
            "verbosity": 2, "meta": {"release_facts": facts}}


def _build(ws: Workspace, facts: RunFacts, chain: str = "") -> dict[str, Any]:
    def build() -> dict[str, str]:
        from deploylib import stages

        _, key = stages.build(ws, facts)
        return {"key": key}

    def current(values: dict[str, Any]) -> bool:
        from deploylib.build.record import is_current

        return is_current(ws, facts.build_key(), values.get("key"))

    return {"basename": f"{chain}build",
            "doc": _chain_doc(chain) + "Build the site and pack it into a reproducible, digest-named artifact",
            "actions": [_action(build)], "task_dep": [f"{chain}gate"], "targets": [str(ws.build_record)],
            "uptodate": [_guarded(current)], "verbosity": 2}


def _release(ws: Workspace, facts: RunFacts, chain: str = "") -> dict[str, Any]:
    def release(task: Any) -> dict[str, str]:
        from deploylib import stages
        from deploylib.build.record import read_record

        artifact = read_record(ws) if ws.config.build.command else None
        return {"version": stages.release(ws, facts, artifact, deploying=task.meta["deploying"])}

    def current(values: dict[str, Any]) -> bool:
        from deploylib.state.runkeys import is_done

        return is_done(facts.planned(), ws.config.release.push, values.get("version"))

    chained = {"file_dep": [str(ws.build_record)]} if ws.config.build.command else {"task_dep": [f"{chain}gate"]}
    return {"basename": f"{chain}release",
            "doc": _chain_doc(chain) + "Version from Conventional Commits, changelog, release commit and tag, push",
            "actions": [_action(release)], "uptodate": [_guarded(current)], "verbosity": 2,
            "meta": {"deploying": []}, **chained}


def _release_preview(ws: Workspace, facts: RunFacts) -> dict[str, Any]:
    def preview() -> None:
        from deploylib.demo import start_demo
        from deploylib.release.stage import preview

        if ws.demo:
            start_demo(ws)
        preview(ws, facts.plan())

    return {"basename": "release", "doc": "Print the next version and its release notes; write nothing",
            "actions": [_action(preview)], "uptodate": [False], "verbosity": 2}


def _changelog(ws: Workspace) -> dict[str, Any]:
    def changelog(full: bool) -> None:
        from deploylib.release.stage import write_changelog

        write_changelog(ws, full)

    return {"basename": "changelog",
            "doc": "Write the latest release's section into the changelog (--full: regenerate it from all tags)",
            "actions": [_action(changelog)], "uptodate": [False], "verbosity": 2,
            "params": [{"name": "full", "long": "full", "type": bool, "default": False,
                        "help": "regenerate the whole file from every tag in history"}]}


def _members(ws: Workspace, group: str) -> str:
    """A group task's subtasks for its doc, so `doit list` shows the environments without `--all`."""
    return ", ".join(f"{group}:{name}" for name in ws.config.environments) or "no environment is configured"


def _deploy(ws: Workspace) -> Iterator[dict[str, Any]]:
    yield {"basename": "deploy", "name": None,
           "doc": "Deploy the build to an environment, validate it, roll back automatically if it fails: "
                  + _members(ws, "deploy")}
    for env in ws.config.environments.values():
        def deploy(yes: bool, confirmed: str, env_name: str = env.name) -> None:
            from deploylib import pipeline
            from deploylib.build.record import read_record

            pipeline.deploy(ws, env_name, read_record(ws), yes, confirmed=confirmed)

        def live_is_build(values: dict[str, Any], env_name: str = env.name) -> bool:
            from deploylib.build.record import read_record
            from deploylib.targets import serves_build

            return serves_build(ws, env_name, read_record(ws))

        staging = ws.config.staging_for(env)
        yield {"basename": "deploy", "name": env.name, "doc": f"deploy to {env.name} ({env.target.type})",
               "actions": [_action(deploy)], "file_dep": [str(ws.build_record)],
               "params": [_YES, _CONFIRMED, _RESULT_JSON, _NO_COLOR],
               "task_dep": [_DEMO_CHAIN + "release" if ws.own else "release",
                            *([f"deploy:{staging.name}"] if staging else [])],
               "uptodate": [_guarded(live_is_build)], "io": {"capture": False}, "verbosity": 2,
               "meta": {**_RESULT_META, "confirms": {"env": env.name, "what": "deploys to",
                                                     "needs": _confirming(ws)},
                        "live_release": functools.partial(_identify_live, ws, env.name)}}


def _per_environment(ws: Workspace, group: str, doc: str, each: str, run: Callable[[Workspace, str], None],
                     **extra: Any) -> Iterator[dict[str, Any]]:
    """A group task (`doc`, naming its members) with one subtask per environment; `each` is the subtask's doc
    with {env} for its name, and `run(ws, env_name)` its action. `extra`: more keys for each subtask."""
    yield {"basename": group, "name": None, "doc": f"{doc}: {_members(ws, group)}"}
    for env in ws.config.environments.values():
        def action(env_name: str = env.name) -> None:
            run(ws, env_name)

        yield {"basename": group, "name": env.name, "doc": each.format(env=env.name),
               "actions": [_action(action)], "uptodate": [False], "verbosity": 2, **extra}


def _validate(ws: Workspace) -> Iterator[dict[str, Any]]:
    def validate(ws: Workspace, env_name: str) -> None:
        from deploylib import pipeline

        pipeline.validate(ws, env_name)

    yield from _per_environment(ws, "validate", "Run an environment's checks against its live release now",
                                "validate what {env} serves", validate, params=[_NO_COLOR],
                                meta={"no_color": "no_color", "result": True})


def _unlock(ws: Workspace) -> Iterator[dict[str, Any]]:
    def unlock(ws: Workspace, env_name: str) -> None:
        from deploylib import pipeline

        pipeline.unlock(ws, env_name)

    yield from _per_environment(ws, "unlock", "Break an environment's deploy lock left by a deploy that died",
                                "break {env}'s deploy lock", unlock)


def _releases(ws: Workspace) -> Iterator[dict[str, Any]]:
    yield {"basename": "releases", "name": None,
           "doc": "List the releases an environment's target keeps, marked live, previous or bad: "
                  + _members(ws, "releases")}
    for env in ws.config.environments.values():
        def releases(as_json: bool, env_name: str = env.name) -> None:
            import json

            from deploylib.model import short_digest
            from deploylib.targets import open_target
            from deploylib.targets.listing import listing

            if ws.demo and not as_json:
                report.stage(report.WARN, "demo", ws.demo_notice)
            target = open_target(ws.config.environment(env_name), ws.app)
            rows = listing(target.kept(), lambda digest: ws.ledger.failed(env_name, digest))
            if as_json:
                report.plain(json.dumps({"environment": env_name, "target": target.describe(),
                                         "releases": [row.to_dict() for row in rows]}))
            elif not rows:
                report.plain(f"  {target.describe()} keeps no release of {env_name} yet.")
            else:
                report.table(["release", "version", "digest", "activated", "by", ""],
                             [[r.release.id, r.release.version or r.release.foreign, short_digest(r.release.digest),
                               r.release.activated_at, r.release.activated_by, ", ".join(r.marks)] for r in rows])

        yield {"basename": "releases", "name": env.name, "doc": f"list the releases {env.name} keeps",
               "actions": [_action(releases)], "params": [_JSON], "uptodate": [False], "verbosity": 2,
               "meta": {"machine_readable": "as_json"}}


def _shortcut(ws: Workspace, name: str, doc: str) -> dict[str, Any]:
    """`doit promote` and `doit hotfix`: plain tasks (not groups), production unless --env says otherwise."""
    def shortcut(env: str, yes: bool, confirmed: str) -> None:
        from deploylib import fasttrack

        getattr(fasttrack, name)(ws, env, yes, confirmed=confirmed)

    shortcut.__name__ = name
    what = {"promote": "promotes staging's release to", "hotfix": "releases a HOTFIX and deploys it to"}[name]
    return {"basename": name, "doc": doc, "actions": [_action(shortcut)], "uptodate": [False],
            "io": {"capture": False}, "verbosity": 2,
            "params": [_env_param(ws, "production", "environment"), _YES, _CONFIRMED, _RESULT_JSON, _NO_COLOR],
            "meta": {**_RESULT_META, "confirms": {"what": what, "needs": _confirming(ws)},
                     **({"release_facts": RunFacts(ws, PlanOptions(hotfix=True))} if name == "hotfix" else {})}}


def _confirming(ws: Workspace) -> list[str]:
    """The environments a change to needs confirmation ([environments.*] confirm; production by default)."""
    return [env.name for env in ws.config.environments.values() if ws.config.needs_confirmation(env)]


def _break_demo(ws: Workspace) -> dict[str, Any]:
    def break_demo() -> None:
        from deploylib.demo import break_live_checks

        subject = break_live_checks(ws)
        report.stage(report.OK, "break-demo", f'committed "{subject}" in {ws.app}: the source tests pass, the '
                                              "about page check will not")
        report.note("now run doit deploy:production --yes: validation fails on test and test is rolled back")

    return {"basename": "break-demo", "doc": "Demo only: commit a change that only the live checks catch, to see "
                                             "a rollback",
            "actions": [_action(break_demo)], "uptodate": [False], "verbosity": 2}


def _rollback(ws: Workspace) -> dict[str, Any]:
    def rollback(env: str, to: str, yes: bool, force: bool) -> None:
        from deploylib import pipeline

        pipeline.rollback(ws, env, to, yes, force)

    return {"basename": "rollback", "meta": _RESULT_META,
            "doc": "Restore the last good release (production unless --env; --to VERSION picks one)",
            "actions": [_action(rollback)], "uptodate": [False], "io": {"capture": False}, "verbosity": 2,
            "params": [_env_param(ws, "production", "environment"),
                       {"name": "to", "long": "to", "type": cmdline.release, "default": "",
                        "help": "version to restore"}, _YES,
                       _RESULT_JSON, _NO_COLOR,
                       {"name": "force", "long": "force", "type": bool, "default": False,
                        "help": "restore a release marked bad, or replace what deploylib did not publish"}]}
