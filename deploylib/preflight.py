"""The preflight: what the configuration implies about the machine, checked before the gate runs, so
that a run that cannot finish writes nothing (no tag, no push, no deploy). Each problem is a
ConfigError (exit 3). Checks that need only the file run at load instead (config/load.py).

    repository   the configured repository is a git repository with at least one commit
    release      the files [release] names: version files are files, the changelog is not a folder and
                 its folder exists, the templates folder is one
    remote       [release] push = true: the remote named by [release] remote exists, and when its push URL is a
                 path on this machine, it is a git repository (a network remote needs the network: the release
                 stage dry-runs its push before writing, release/stage.py `_refuse_unless_pushable`)
    forge        a forge is configured, or a gate asks one: it can be used (GitHub: GITHUB_TOKEN or GH_TOKEN
                 is set; Forge.problem, no network)
    targets      each environment's target can be used: its folder writable, its remote path, programs and
                 files present (Target.problem; nothing is changed and no network is used), and no two
                 environments go live in the same place (Target.places)
    checks       each environment's checks can run here: a command check's program is installed (Check.missing)
"""

from __future__ import annotations

import os
from pathlib import Path

from deploylib import report
from deploylib.errors import ConfigError
from deploylib.git import git_run, local_remote_problem, repository_problem, run_git
from deploylib.state.workspace import Workspace
from deploylib.targets import open_target


def preflight(ws: Workspace) -> None:
    """Run every check; raise ConfigError naming the first problem, else report what was checked."""
    from deploylib.forge import forge_class, forge_problem

    problem = repository_problem(ws.app)
    if problem:
        raise ConfigError(problem)
    checked = ["repository"]
    release, gate, name = ws.config.release, ws.config.gate, ws.config.path.name
    if release.push:
        remotes = run_git(ws.app, "remote").split()
        if release.remote not in remotes:
            default = " (the default)" if release.remote == "origin" else ""
            raise ConfigError(f'{name}: [release] push = true, but remote = "{release.remote}"{default} is not a '
                              f"remote of {ws.app} (its remotes: {', '.join(remotes) or 'none'}). Nothing was "
                              f"tagged or pushed. Add it (git remote add {release.remote} URL), name another "
                              "([release] remote), or set push = false.")
        url = run_git(ws.app, "remote", "get-url", "--push", release.remote).strip()
        problem = local_remote_problem(ws.app, url)
        if problem:
            raise ConfigError(f'{name}: [release] push = true, but remote "{release.remote}" points at "{url}", which '
                              f"{problem}. Nothing was tagged or pushed. Fix its address (git remote set-url "
                              f"{release.remote} URL), or set push = false.")
        checked.append(f"remote {release.remote}")
    problem = _release_files_problem(ws)
    if problem:
        raise ConfigError(f"{name}: {problem}. Nothing was tagged or pushed; fix deploy.toml or the file and run "
                          "again.")
    cls, forge = forge_class(release), release.forge
    if cls is not None and forge is not None:
        asks = [what for what, on in ((f"[{release.forge_table}]", True),
                                      ("[gate] require_review", gate.require_review),
                                      ("[gate] require_ci", gate.require_ci),
                                      ("[gate] blocking_labels", bool(gate.blocking_labels))) if on]
        problem = forge_problem(release, ws.app)
        if problem:
            raise ConfigError(f"{name}: {', '.join(asks)} needs {cls.label}, but {problem}. Nothing was tagged or "
                              "pushed; fix this and run again.")
        checked.append(f"{cls.label} access")
    seen: dict[str, str] = {}  # a place an environment's target goes live in -> that environment
    for env in ws.config.environments.values():
        target = open_target(env, ws.app)
        problem = target.problem() or _local_folder_problem(ws, env.target.options)
        if problem:
            raise ConfigError(f"{name}: [environments.{env.name}] target: {problem}. Nothing was tagged or pushed; "
                              "fix the target and run again.")
        for place in sorted(target.places()):
            other = seen.setdefault(place, env.name)
            if other != env.name:
                raise ConfigError(f"{name}: [environments.{other}] and [environments.{env.name}] both go live in "
                                  f"{place}, so a deploy to one would replace what the other serves, without its "
                                  "confirmation. Nothing was tagged or pushed; give each environment its own target.")
    for env in ws.config.environments.values():
        for index, check in enumerate(env.checks):
            problem = check.missing(ws.app)
            if problem:
                raise ConfigError(f"{name}: [environments.{env.name}.checks[{index}]] ({check.label}) {problem}, so "
                                  "the check could only fail after the switch and roll a good release back. Nothing "
                                  "was tagged or pushed; install it, or fix the command, and run again.")
    if ws.config.environments:
        checked.append("targets")
    report.stage(report.OK, "preflight", ", ".join(checked))


def _local_folder_problem(ws: Workspace, options: object) -> str:
    """Why a `local` target's folder cannot be in the repository where it is, or "": in the build's output (the
    build moves that folder aside while it runs, live releases with it, and would pack them), in `.git`, or
    anywhere in the working tree git does not ignore (each deploy would leave the tree dirty, and the next
    clean-tree gate fail). A folder outside the repository, or ignored (as deploylib init's test target in
    deploylib's state folder is), is fine."""
    from deploylib.targets.local import LocalOptions

    if not isinstance(options, LocalOptions):
        return ""
    app = ws.app.resolve()
    base = Path(os.path.abspath(ws.app / options.path)).resolve()
    if not base.is_relative_to(app):
        return ""
    output = Path(os.path.abspath(ws.app / ws.config.build.output)).resolve()
    where = f'path = "{options.path}" is {base}'
    if ws.config.build.command and (base.is_relative_to(output) or output.is_relative_to(base)):
        return (f"{where}, which holds or is inside the build's output ({ws.config.build.output}): the build moves "
                "that folder aside while it runs, the live releases with it")
    if base.relative_to(app).parts[:1] == (".git",):
        return f"{where}, inside .git, which is not a place to serve releases from"
    if git_run(ws.app, "check-ignore", "-q", "--", str(base / "current")).code != 0:
        return (f"{where}, inside the repository where git does not ignore it: each deploy would leave the tree "
                "dirty and the next clean-tree gate fail. Deploy outside the repository, or add the folder to "
                ".gitignore")
    return ""


def _release_files_problem(ws: Workspace) -> str:
    """What the release would find wrong with the files [release] names, "" when nothing: a version file
    that is not a file, a changelog path that is something other than a file or in a folder that does not
    exist, a templates folder that is
    not a folder (the built-in templates would be used in silence)."""
    from deploylib.release.version_files import VersionFile

    release = ws.config.release
    for spec in release.version_files:
        path = ws.app / VersionFile.parse(spec).path
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            return f'[release] version_files names "{spec}", but {path} {what}'
    changelog = ws.app / release.changelog
    if os.path.lexists(changelog) and not changelog.is_file():
        return f'[release] changelog = "{release.changelog}" is not a file ({changelog})'
    if not changelog.parent.is_dir():
        return f'[release] changelog = "{release.changelog}" is in a folder that does not exist ({changelog.parent})'
    if release.templates and not (ws.app / release.templates).is_dir():
        return (f'[release] templates = "{release.templates}" is not a folder ({ws.app / release.templates}); '
                "without it the built-in templates would be used")
    return ""
