"""`deploylib init`'s only writes: deploy.toml and dodo.py, each created only where no file is."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from deploylib.errors import ConfigError


def existing(root: Path, names: list[str]) -> list[str]:
    """The names among `names` that something (file, folder, link, even a dangling one) already holds."""
    return [name for name in names if (root / name).exists() or (root / name).is_symlink()]


def create(path: Path, text: str) -> None:
    """Write a new file; refuse when one appeared meanwhile (O_EXCL), so nothing is ever overwritten."""
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise ConfigError(f"{path} appeared while deploylib init ran; it was left as it is. Nothing else was "
                          "overwritten; run deploylib init again to see what it would write.") from None
    except OSError as err:
        raise ConfigError(f"Cannot write {path}: {err.strerror}. Make the folder writable and run deploylib init "
                          "again.") from None


def run(root: Path, dry_run: bool) -> None:
    """`deploylib init` in `root`: survey, detect, render, then write (or, with `dry_run`, print) deploy.toml and
    dodo.py (unless deploylib's own dodo.py is there). Raises ConfigError (exit 3) when `root` is not in a git
    repository, or, unless `dry_run`, when deploy.toml, a [tool.deploylib] table or a dodo.py of the user's own
    is already there: nothing is written then."""
    from deploylib import report
    from deploylib.git import repository_problem
    from deploylib.init.detect import detect
    from deploylib.init.render import DODO, deploy_toml, found
    from deploylib.init.survey import OUTPUTS, ignored, survey

    problem = repository_problem(root)
    if problem and "no commits" not in problem:  # a new repository is fine: init comes before the first commit
        raise ConfigError(problem)
    taken = _taken(root)
    if taken and not dry_run:
        raise ConfigError(f"{root / taken[0]} already exists; deploylib init never overwrites a file, so nothing was "
                          f"written. {_advice(taken[0])}")
    plan = detect(survey(root))
    if plan.site.output not in OUTPUTS:  # a folder the tool's configuration named: is it ignored too?
        plan = replace(plan, output_ignored=bool(ignored(root, (plan.site.output,))))
    ours = existing(root, ["dodo.py"]) and "dodo.py" not in taken  # deploylib's own dodo.py: kept as it is
    files = {"deploy.toml": deploy_toml(plan), **({} if ours else {"dodo.py": DODO})}
    if dry_run:
        for name, text in files.items():
            why = "already exists: init would stop here" if name in taken else "--dry-run: not written"
            report.plain(f"# ---- {root / name} ({why}) ----")
            report.plain(text.rstrip("\n"))
        return
    for name, text in files.items():
        create(root / name, text)
        report.stage(report.OK, "init", f"wrote {root / name}")
    report.note("found: " + "; ".join(found(plan)))
    report.note("next: read deploy.toml (lines marked CHECK), commit it with dodo.py (the clean-tree gate counts "
                "them), then doit release --dry-run and doit deploy:test")


def _taken(root: Path) -> list[str]:
    """What stops init: a configuration already there, or a dodo.py that is not deploylib's."""
    from deploylib.config.tomlfile import read_table
    from deploylib.init.render import DODO

    taken = existing(root, ["deploy.toml"])
    pyproject = root / "pyproject.toml"
    tool = read_table(pyproject).get("tool") if pyproject.is_file() else None
    if isinstance(tool, dict) and "deploylib" in tool:
        taken.append("pyproject.toml")
    dodo = root / "dodo.py"
    if dodo.exists() or dodo.is_symlink():
        try:
            ours = dodo.read_text() == DODO
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            taken.append("dodo.py")
    return taken


def _advice(name: str) -> str:
    return {"deploy.toml": "Run deploylib init --dry-run to see what it would write.",
            "pyproject.toml": "Its [tool.deploylib] table already configures deploylib; edit it there.",
            "dodo.py": "It holds your own doit tasks: add the line `from deploylib.tasks import *` to it, move it "
                       "aside and run init again, or run deploylib init --dry-run and copy what it prints."}[name]
