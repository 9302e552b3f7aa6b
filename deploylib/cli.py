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
from pathlib import Path

from deploylib import report
from deploylib.errors import DeployError, ExitCode


def installed_version() -> str:
    """The version of the installed distribution (pip's metadata, not the source tree's pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deploylib")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploylib", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"deploylib {installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    nxt = commands.add_parser("next-version", help="print the version the next release gets, or none")
    nxt.add_argument("--prerelease", default="", help="a prerelease token, e.g. rc")
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
    from deploylib.release.versioning.bump import PlanOptions
    from deploylib.state.workspace import discover

    try:
        if args.command == "init":  # before discover(): there is no deploy.toml yet
            from deploylib.init.write import run

            run(Path.cwd(), args.dry_run)
            return int(ExitCode.OK)
        _refuse_outside_a_repository(Path.cwd())
        ws = discover(Path.cwd()).releasing
        if ws.demo:  # stdout stays the answer alone: VERSION=$(deploylib next-version)
            from deploylib.demo import start_demo

            start_demo(ws, aside=True)
        if args.command == "next-version":
            from deploylib.git import run_git

            head = run_git(ws.app, "rev-parse", "HEAD").strip()
            plan = plan_release(ws, head, PlanOptions(prerelease=args.prerelease, hotfix=args.hotfix))
            refuse_unless_plan_holds(ws, plan)  # never a version the release would refuse (as the dry run)
            report.plain(plan.version if plan.is_release else "none")
        else:
            from deploylib.release.stage import write_changelog

            write_changelog(ws, args.full)
    except DeployError as err:
        report.failure(str(err))
        return int(err.exit_code)
    return int(ExitCode.OK)


def _refuse_outside_a_repository(folder: Path) -> None:
    """`next-version` and `changelog` read the history of the repository they run in, as doit's tasks do: outside
    a git repository's working tree, or in one without commits, they stop with the same paragraph (exit 3)
    whether or not there is a deploy.toml, before the embedded demo is looked at, so nothing (no demo
    sandbox under .deploylib/) is created in a folder that is not a repository and a script run in the wrong
    folder gets no demo's version. Raises NotARepository."""
    from deploylib.errors import NotARepository
    from deploylib.git import repository_problem

    problem = repository_problem(folder)
    if problem:
        raise NotARepository(problem)


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
        report.stage(report.OK, "configuration", f"no deploy.toml in {folder}: doit runs deploylib's embedded demo")
        return int(ExitCode.OK)
    names = ", ".join(ws.config.environments) or "none"
    report.stage(report.OK, ws.config.path.name, f"valid; environments: {names}")
    return int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
