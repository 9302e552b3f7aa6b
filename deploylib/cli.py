"""`deploylib`: the release stage's questions without doit's start-up, for scripts and CI, and `init`.

    deploylib next-version [--prerelease rc] [--hotfix]   the version the next release gets, or "none"
    deploylib changelog [--full]                          as `doit changelog`
    deploylib init [--dry-run]                            write a commented deploy.toml and dodo.py from the repository
    deploylib check                                       load and validate the configuration: deploy.toml (or
                                                          [tool.deploylib]) and pyproject.toml's [tool.doit],
                                                          naming the byte, line or key of what cannot work
    deploylib --version                                   the installed version

The workflow itself (gate, build, release, deploy, rollback) runs through doit; see dodo.py.
"""

from __future__ import annotations

import argparse
import atexit
import errno
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

from deploylib import cmdline, report
from deploylib.errors import DeployError, ExitCode

T = TypeVar("T")


def installed_version() -> str:
    """The version of the installed distribution (pip's metadata, not the source tree's pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deploylib")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """`--version`: reads the installed metadata only when asked (importlib.metadata costs ~20 ms of every start)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the installed version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"deploylib {installed_version()}")  # on stdout, as argparse's own "version" action
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse's parser (its subcommands' too), a command line it refuses exiting 3 as README's exit codes
    say: argparse's own 2 is deploylib's code for a bug."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.INVALID), f"{self.prog}: error: {message}\n")


def _argument(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An option type of cmdline.py for argparse, whose error then gives the type's own words (argparse
    would say "invalid prerelease value")."""

    def parsed(text: str) -> T:
        try:
            return parse(text)
        except cmdline.OptionValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="deploylib", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True)
    nxt = commands.add_parser("next-version", help="print the version the next release gets, or none")
    # no default string: argparse would pass it through the type (and "" is no token)
    nxt.add_argument("--prerelease", type=_argument(cmdline.prerelease), help="a prerelease token, e.g. rc")
    nxt.add_argument("--hotfix", action="store_true", help="a patch release, whatever the commits ask for")
    log = commands.add_parser("changelog", help="write the latest release's section into the changelog")
    log.add_argument("--full", action="store_true", help="regenerate the whole file from every tag")
    init = commands.add_parser("init", help="write a commented deploy.toml and dodo.py from what the repository holds")
    init.add_argument("--dry-run", action="store_true", help="print what would be written; write nothing")
    commands.add_parser("check", help="load and validate the configuration, naming what cannot work")
    args = parser.parse_args(argv)
    report.guard_stderr()
    atexit.register(report.flush_stdout)  # `VERSION=$(deploylib next-version | head -1)`: no traceback at exit
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        report.stdout_lost(OSError(errno.EBADF, "stdout is closed"))
    if args.command == "check":
        return check(Path.cwd())
    from deploylib.release.plan import plan_release, refuse_unless_plan_holds
    from deploylib.release.versioning.options import PlanOptions
    from deploylib.state.workspace import discover

    try:
        if args.command == "init":  # before discover(): there is no deploy.toml yet
            from deploylib.init.write import run

            run(Path.cwd(), args.dry_run)
            return int(ExitCode.OK)
        ws = discover(Path.cwd()).releasing
        if ws.demo:  # stdout stays the answer alone: VERSION=$(deploylib next-version)
            from deploylib.demo import start_demo

            _refuse_without_the_demo(Path.cwd())
            start_demo(ws, aside=True)
        if args.command == "next-version":
            from deploylib.git import head_of

            head = head_of(ws.app)  # refused in the same words as by every other reader of history
            plan = plan_release(ws, head.sha, PlanOptions(prerelease=args.prerelease or "", hotfix=args.hotfix))
            refuse_unless_plan_holds(ws, plan, head)  # never a version the release would refuse (as the dry run)
            report.plain(plan.version if plan.is_release else "none")
        else:
            from deploylib.release.stage import write_changelog

            write_changelog(ws, args.full)
    except DeployError as err:
        report.failure(str(err))
        return int(err.exit_code)
    return int(ExitCode.OK)


def _refuse_without_the_demo(folder: Path) -> None:
    """`next-version`, `changelog` and `check` answer as `doit release --dry-run`, `doit changelog` and doit's
    start-up would in `folder`:
    without a configuration, for the embedded demo only where doit runs it, beside deploylib's dodo.py (a
    new clone). Elsewhere doit finds no dodo.py and runs nothing; these refuse too, exit 3, before the demo's
    sandbox is made, so nothing is created in `folder` and a script run in the wrong folder gets no demo's
    version: outside a git repository or in one without commits with the paragraph every reader of history
    gives, else saying there is no deploy.toml. Raises NotARepository or ConfigError."""
    from deploylib.errors import ConfigError, NotARepository
    from deploylib.git import repository_problem

    if (folder / "dodo.py").is_file():
        return
    problem = repository_problem(folder)
    if problem:
        raise NotARepository(problem)
    raise ConfigError(f"There is no deploy.toml in {folder}, so there is no release to plan or write. Run deploylib "
                      "init there to write one (and dodo.py), or run the command in your repository's root. "
                      "(Without a configuration, deploylib answers for its embedded demo only beside deploylib's "
                      "dodo.py, where doit runs the demo.)")


def check(folder: Path) -> int:
    """`deploylib check`: what doit and deploylib would refuse, before either runs. doit parses pyproject.toml
    (and converts [tool.doit]) before it imports dodo.py, so only this names a fault there that stops doit
    itself. Exit 0 when everything loads, else the error's code (3) with its paragraph."""
    from deploylib.config import doitconf
    from deploylib.state.workspace import discover

    try:
        doitconf.check(folder)
        ws = discover(folder)
    except DeployError as err:
        report.failure(str(err))
        return int(err.exit_code)
    if (folder / "pyproject.toml").is_file():
        report.stage(report.OK, "pyproject.toml", "readable; [tool.doit] holds only values doit can use")
    if ws.demo:
        try:
            _refuse_without_the_demo(folder)
        except DeployError as err:
            report.failure(str(err))
            return int(err.exit_code)
        report.stage(report.OK, "configuration", f"no deploy.toml in {folder}: doit runs deploylib's embedded demo")
        return int(ExitCode.OK)
    names = ", ".join(ws.config.environments) or "none"
    report.stage(report.OK, ws.config.path.name, f"valid; environments: {names}")
    return int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
