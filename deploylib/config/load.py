"""deploy.toml: the dataclasses that describe it, and the loader that validates it up front.

The dataclasses are the schema (see `schema.py` for how a table becomes one, or a clear error).
Rules that span sections run afterwards in `_check_consistency`. Nothing here touches git, the
network or a target.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

from deploylib.build.gates import Budget, LighthouseConfig
from deploylib.config.refname import branch_problem, refname_problem, remote_problem
from deploylib.config.schema import (
    Kinds,
    Variant,
    Where,
    build,
    build_kind,
    committed_path_problem,
    nearest,
    nonempty_problem,
    option,
    optional,
    reject_unknown,
    seconds_problem,
    subtable,
    url_problem,
)
from deploylib.config.tomlfile import MAX_DEPTH, read_table, too_deep_key
from deploylib.errors import ConfigError
from deploylib.forge import FORGES, forge_label
from deploylib.model import STATE_DIR, Verdict
from deploylib.notify import NOTIFIERS
from deploylib.programs import command_problem
from deploylib.release.version_files import spec_problem
from deploylib.targets import TARGETS, serves_itself, url_hint
from deploylib.validate import CHECKS
from deploylib.validate.base import Check, regex_problem
from deploylib.values import frozen

BUMP_LEVELS = ("major", "minor", "patch")  # SemVer 2.0 §6-§8
ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")  # usable in a doit task name (deploy:NAME): no ":", no space


def _tag_format_problem(value: str) -> str:
    """"" when each version makes a valid tag name: {version} once, and a git reference name around it."""
    if value.count("{version}") != 1:
        return "does not contain {version} exactly once"
    for version in ("0.1.0", "1.2.3-rc.1+build.5"):  # SemVer 2.0's characters: digits, letters, . - +
        problem = refname_problem("refs/tags/" + value.replace("{version}", version))
        if problem:
            return f'makes the tag "{value.replace("{version}", version)}", which {problem}'
    return ""


def _env_names_problem(env: dict[str, str]) -> str:
    """"" when every key can name an environment variable (POSIX: no "=", not empty)."""
    return next((f'has the variable name {json.dumps(name)}, which cannot name an environment variable'
                 for name in env if not name or "=" in name), "")


def _output_problem(value: str) -> str:
    """"" for a folder strictly inside the repository, judged on the path as written (`.` and `..` resolved,
    links not followed). The build moves the configured output aside and back (build/place.py): an output
    outside the repository (an absolute path such as "/var/www/html", or "../dist") would have another
    folder of this machine moved away while the build runs, and the repository itself, deploylib's state
    folder or git's would pack or move what is not the build's."""
    if not value.strip():
        return "is empty"
    parts = Path(os.path.normpath(value)).parts
    if Path(value).is_absolute() or parts[:1] == ("..",):
        return "is outside the repository, and the build moves its output folder aside and back while it runs"
    if parts in ((), (".",)):
        return "is the repository itself, which holds deploylib's state folder"
    if kept := next((part for part in parts if part in (STATE_DIR, ".git")), ""):
        return f"is inside {kept}, which is not the build's to write"
    return ""


_PLAIN_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")  # SemVer 2.0 §2


def _semver_problem(value: str) -> str:
    if _PLAIN_VERSION.fullmatch(value):  # the usual "1.0.0" is valid without loading semver (~3 ms)
        return ""
    import semver

    return "" if semver.Version.is_valid(value) else "is not a semantic version"


WAIVABLE_GATES = ("review", "ci", "audit", "issues", "staging")  # tests and validation are never waived


def _junit_glob_problem(pattern: str) -> str:
    """deploylib.gates.junit's rule for a junit glob, loaded only when one is configured (a run that reads a
    configuration without one never imports the JUnit reader)."""
    if not pattern:
        return ""
    from deploylib.gates.junit import junit_glob_problem

    return junit_glob_problem(pattern)


@frozen
class GateConfig:
    """The `[gate]` table: the checks that must pass before a build is deployed. Each field's `doc` is the
    form a user writes (quoted in ConfigError messages); the README's "Configuration reference" describes
    each gate."""

    tests: str = option("", doc='a shell command that runs the tests, e.g. "pytest -q"',
                        check=optional(command_problem))
    junit: str = option("", doc='a glob of the JUnit XML files the tests write, relative to the repository, e.g. '
                                '"reports/junit.xml": reported as "Tests: 335/335 passing"', check=_junit_glob_problem)
    audit: str = option("", doc='a security audit command, e.g. "pip-audit" or "npm audit --audit-level=high"',
                        check=optional(command_problem))
    require_review: bool = option(False, doc="true or false: HEAD's pull request needs an approving review and no "
                                             "outstanding changes requested (asks the forge)")
    require_ci: bool = option(False, doc="true or false: HEAD's commit statuses and check runs must be green (asks "
                                         "the forge)")
    blocking_labels: list[str] = option(factory=list, doc='an array of issue labels; an open issue with one of them '
                                                          'blocks deploys, e.g. ["critical", "P0"] (asks the forge)',
                                        check=lambda labels: "has an empty label" if "" in labels else "")
    require_pushed: bool = option(True, doc="true or false: HEAD must be pushed to its upstream branch")
    hotfix_waives: list[str] = option(
        factory=lambda: ["review", "staging"], doc=f"an array of gates a hotfix may skip, among "
                                                   f"{', '.join(WAIVABLE_GATES)} (tests and validation never)",
        check=lambda gates: next((f'"{g}" cannot be waived; waivable: {", ".join(WAIVABLE_GATES)}'
                                  for g in gates if g not in WAIVABLE_GATES), ""))


@frozen
class BuildConfig:
    """The `[build]` table: how the site is built and the build gates it must pass. Paths are relative to
    the repository; sizes in `budgets` are strings such as "500 KB" (see build/gates.py)."""

    command: str = option("", doc='a shell command that builds the site, e.g. "npm run build"',
                          check=optional(command_problem))
    output: str = option("dist", doc='the folder the build writes, inside the repository, e.g. "dist"',
                         check=_output_problem)
    env: dict[str, str] = option(factory=dict, doc='a table of environment variables, e.g. {NODE_ENV = "production"}',
                                 check=_env_names_problem)
    fail_on_warnings: bool = option(False, doc="true or false: a warning line in the build's output fails the build")
    warning_patterns: list[str] = option(
        factory=lambda: [r"(?i)\bwarn(ing)?s?\b"], doc='an array of regular expressions a warning line matches',
        check=lambda patterns: next((f'"{p}" {why}' for p in patterns if (why := regex_problem(p) or
                                                                            nonempty_problem(p))), ""))
    require_source_maps: bool = option(False, doc="true or false: every .js and .css file needs a source map")
    require_minified: bool = option(False, doc="true or false: .js and .css files must look minified")
    lighthouse: LighthouseConfig = option(factory=LighthouseConfig, doc="a table [build.lighthouse] with scores = "
                                                                         "{performance = 90}")
    budgets: tuple[Budget, ...] = option((), doc='an array of tables, e.g. [[build.budgets]] glob = "**/*.js" '
                                                 'max = "500 kB" max_gzip = "150 kB"')


@frozen
class ReleaseConfig:
    """The `[release]` table: versioning (SemVer 2.0 from Conventional Commits 1.0), the changelog (Keep a
    Changelog 1.1), tagging, pushing and the forge release. Tag, branch and remote names are checked by
    git's rules (git-check-ref-format(1), see refname.py)."""

    branch: str = option("main", doc='the branch releases are made from, a valid git branch name, e.g. "main"',
                         check=branch_problem)
    remote: str = option("origin", doc='the name of the git remote tags and release commits are pushed to, e.g. '
                                       '"origin"', check=remote_problem)
    tag_format: str = option(
        "v{version}", doc='a tag name containing {version} once, e.g. "v{version}", that git accepts as a tag',
        check=_tag_format_problem)
    initial_version: str = option("0.1.0", doc='a semantic version such as "0.1.0"', check=_semver_problem)
    major_on_zero: bool = option(False, doc="true or false: whether a breaking change before 1.0.0 bumps major")
    include_other: bool = option(False, doc='true or false: list commits that are not conventional under "Other"')
    parse_squash_bodies: bool = option(False, doc='true or false: read each "* feat: …" line of a squash '
                                                  "merge's body as a commit of its own")
    changelog: str = option("CHANGELOG.md", doc='the changelog file, relative to the repository',
                            check=committed_path_problem)
    templates: str = option("", doc='a folder of changelog templates overriding the defaults, '
                                    'e.g. "changelog_templates"')
    push: bool = option(True, doc="true or false: push the release commit and tag to the remote")
    version_files: list[str] = option(
        factory=list, doc='an array of files to write the version into: "package.json", "pyproject.toml" or '
                          '"PATH:PATTERN" such as \'src/app/__init__.py:__version__ = "{version}"\'',
        check=lambda specs: next((f'"{spec}" {problem}' for spec in specs if (problem := spec_problem(spec))), ""))
    forge: Variant | None = option(None, doc='a table [release.forge] with a type, e.g. {type = "github", repository '
                                              '= "OWNER/NAME"}', variant=Kinds(FORGES))
    # the older spelling of [release.forge] type = "github", read by _one_forge
    github: dict[str, Any] | None = option(None, doc='a table [release.github] with repository = "OWNER/NAME"')
    bump_rules: dict[str, str] = option(
        factory=lambda: {"feat": "minor", "fix": "patch", "perf": "patch", "revert": "patch"},
        doc='a table mapping a commit type to "major", "minor" or "patch", e.g. {feat = "minor"}',
        check=lambda rules: next((f'maps "{k}" to "{v}", which is not one of major, minor, patch'
                                  for k, v in rules.items() if v not in BUMP_LEVELS), ""))

    @property
    def forge_table(self) -> str:
        """The table the forge was configured in, for messages: "release.github" or "release.forge"."""
        return "release.github" if self.github is not None else "release.forge"


@frozen
class DeployConfig:
    """The `[deploy]` table: rules across environments."""

    require_staging: bool = option(
        False, doc="true or false: other environments take only an artifact validated on staging first")
    staging: str = option("test", doc="the name of the staging environment, e.g. \"test\"")


ACTIONS = ("rollback", "warn")


def _action(value: str) -> str:  # a window's on_fail, on_error, on_inconclusive
    return "" if value in ACTIONS else "is not rollback or warn"


def _not_negative(value: int) -> str:
    return "" if value >= 0 else "must not be negative"


@frozen
class WindowPolicy:
    """An environment's `[environments.<env>.validation]` table: the window's timing (seconds; the old names
    without `_s` are still read) and the Argo Rollouts AnalysisRun limits and actions that turn results into
    a decision."""

    initial_delay_s: float = option(0.0, doc="seconds to wait after the switch before the first round, e.g. 5",
                                    check=seconds_problem, was="initial_delay")
    interval_s: float = option(0.0, doc="seconds between rounds of checks, e.g. 10", check=seconds_problem,
                               was="interval")
    duration_s: float = option(0.0, doc="seconds to keep checking after the switch (0: one round), e.g. 60",
                               check=seconds_problem, was="duration")
    failure_limit: int = option(0, doc="failed results a check may have before it fails (Argo's failureLimit)",
                                check=_not_negative)
    consecutive_error_limit: int = option(4, doc="errors in a row a check may have (Argo's consecutiveErrorLimit)",
                                          check=_not_negative)
    inconclusive_limit: int = option(0, doc="no-data results a check may have before it is inconclusive",
                                     check=_not_negative)
    on_fail: str = option("rollback", doc='"rollback" or "warn": what a failed critical check does', check=_action)
    on_error: str = option("rollback", doc='"rollback" or "warn": what a critical check in error does',
                           check=_action)
    on_inconclusive: str = option("warn", doc='"rollback" or "warn": what an inconclusive critical check does',
                                  check=_action)
    concurrency: int = option(64, doc="checks run at once, e.g. 64",
                              check=lambda v: "" if 1 <= v <= 256 else "must be between 1 and 256")
    issue_labels: list[str] = option(factory=list, doc='an array of issue labels; an issue with one of them opened '
                                                       'after the switch, during the window, fails the round, e.g. '
                                                       '["bug", "p0"] (asks the forge)')
    issue_severity: str = option("critical", doc='"critical" (such an issue rolls back) or "minor" (it warns)',
                                 check=lambda v: "" if v in ("critical", "minor") else "is not critical or minor")

    def action(self, outcome: Verdict) -> str:
        """"rollback" or "warn" for a fail, error or inconclusive outcome; "" for a pass."""
        return {Verdict.FAIL: self.on_fail, Verdict.ERROR: self.on_error,
                Verdict.INCONCLUSIVE: self.on_inconclusive}.get(outcome, "")


@frozen
class EnvironmentConfig:
    """One `[environments.NAME]` table: where releases go (`target`, a Variant whose `type` picks the
    options class in deploylib.targets), how they are validated, and how many are kept. Times in seconds
    (`lock_wait_s`, formerly `lock_wait`)."""

    target: Variant = option(doc='a table with a type, e.g. {type = "local", path = "/srv/site"}',
                             variant=Kinds(TARGETS))
    checks: tuple[Check, ...] = option(
        (), doc='an array of tables, e.g. [[environments.NAME.checks]] path = "/" contains = "Welcome"',
        variant=Kinds(CHECKS, key="kind", default="smoke", wrap=False))
    validation: WindowPolicy = option(factory=WindowPolicy, doc="a table [environments.NAME.validation] with the "
                                                                "monitoring window, e.g. duration_s = 60 "
                                                                "interval_s = 10")
    url: str = option("", doc='the base URL checks run against, e.g. "https://example.com" '
                                      "(empty: the target serves its live release itself)",
                    check=url_problem)
    confirm: bool | None = option(None, doc="true or false: ask before deploying (default: true for production)")
    keep_releases: int = option(5, doc="a whole number of releases to keep, at least 2",
                              check=lambda v: "" if v >= 2 else "must be at least 2 so a rollback is always possible")
    lock_wait_s: float = option(0.0, doc="seconds to wait for another deploy's lock, e.g. 60",
                                check=seconds_problem, was="lock_wait")
    rollback: bool = option(True, doc="true or false: roll back automatically when validation fails")
    name: str = ""  # filled from the table's key, not read from TOML
    skipped: tuple[tuple[str, str], ...] = ()  # (check, why) the demo left out: this machine cannot run them


@frozen
class Config:
    """A whole, validated configuration: every value is checked and every cross-section rule holds."""

    path: Path  # the file the configuration came from
    root: Path  # the repository it configures; relative paths are relative to it
    gate: GateConfig
    build: BuildConfig
    release: ReleaseConfig
    deploy: DeployConfig
    environments: dict[str, EnvironmentConfig]
    notify: tuple[Variant, ...] = ()  # each notifier's type and options
    demo: bool = False  # `demo = true`: this repository only releases; its deploy tasks run the embedded demo
    renamed: tuple[tuple[str, str], ...] = ()  # ("[table] old key", new key) for each old key name the file used

    def environment(self, name: str) -> EnvironmentConfig:
        """The environment called `name`. Raises ConfigError (exit 3) listing the configured ones when none is."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(self.environments) or "none"
            near = nearest(name, self.environments)
            hint = f' Did you mean "{near}"?' if near else ""
            raise ConfigError(f'{self.path.name}: there is no environment "{name}"; the configured environments '
                              f"are: {known}.{hint} " + ("Use one of those, or c" if self.environments else "C")
                              + f"onfigure it in an [environments.{name}] table.") from None

    def needs_confirmation(self, env: EnvironmentConfig) -> bool:
        """`confirm` when set; otherwise True for an environment named "production" only."""
        return env.name == "production" if env.confirm is None else env.confirm

    def staging_for(self, env: EnvironmentConfig) -> EnvironmentConfig | None:
        """The environment that must validate an artifact before `env` may take it: None unless
        [deploy] require_staging is on and `env` is not the staging environment itself."""
        if not self.deploy.require_staging or env.name == self.deploy.staging:
            return None
        return self.environments[self.deploy.staging]


# [[notify]] type = "slack" (or the older format = "slack"); json when neither is given
_NOTIFIER_KINDS = Kinds(NOTIFIERS, default="json", alias="format")
_SECTIONS: dict[str, type] = {"gate": GateConfig, "build": BuildConfig, "release": ReleaseConfig,
                              "deploy": DeployConfig}


def load_file(path: Path, root: Path, table: tuple[str, ...] = (), demo: bool = False) -> Config:
    """Read and validate a configuration file; `table` is ("tool", "deploylib") for pyproject.toml. The `demo`
    leaves out checks this machine cannot run (no browser) instead of refusing them. `root`: the repository
    the configuration describes (Config.root). Raises ConfigError (exit 3), naming the file, table, key,
    value and the expected form, for an unreadable file, invalid TOML or any invalid value."""
    return parse(read_table(path, table), path, root, prefix=".".join(table), demo=demo)


def parse(data: dict[str, Any], path: Path, root: Path, prefix: str = "", demo: bool = False) -> Config:
    """Validate an already-parsed configuration table (`demo`: see load_file). `path` names the file in
    messages only; `prefix` is the dotted table `data` came from ("tool.deploylib" or ""). Raises
    ConfigError (exit 3) for the first problem found, in the order sections, environments, notify, then
    the rules that span sections."""
    ctx = Where(path.name, prefix)
    deep = too_deep_key(data)
    if deep:
        raise ConfigError(f"{ctx.file}: [{'.'.join(p for p in (prefix, deep) if p)}] is nested more than {MAX_DEPTH} "
                          "tables or arrays deep, more than deploylib reads. Flatten it.")
    reject_unknown(data, [*_SECTIONS, "environments", "notify", "demo"], ctx, "")
    demo_only = _demo_key(data, ctx)
    sections = {name: build(cls, subtable(data, name, ctx, ""), ctx, name) for name, cls in _SECTIONS.items()}
    sections["release"] = _one_forge(sections["release"], ctx)
    envs_table = subtable(data, "environments", ctx, "")
    environments = {}
    for name, table in envs_table.items():
        where = f"environments.{name}"
        if not ENV_NAME.fullmatch(name):
            raise ConfigError(f"{ctx.file}: [{ctx.section('environments')}] {json.dumps(name, ensure_ascii=False)} "
                              "is not a usable environment name: use letters, digits, - and _, starting with a "
                              "letter (it becomes a task name like deploy:NAME).")
        if not isinstance(table, dict):
            raise ConfigError(f"{ctx.file}: [{ctx.section('environments')}] {name} must be a table of settings.")
        environments[name] = _runnable(dataclasses.replace(build(EnvironmentConfig, table, ctx, where), name=name),
                                       ctx, where, demo)
    notify = data.get("notify", [])
    if not isinstance(notify, list) or not all(isinstance(item, dict) for item in notify):
        raise ConfigError(f"{ctx.key('', 'notify')} must be an array of tables, e.g. [[notify]] type = \"slack\" "
                          'url_env = "SLACK_WEBHOOK_URL".')
    notifiers = tuple(build_kind(item, _NOTIFIER_KINDS, ctx, f"notify[{i}]") for i, item in enumerate(notify))
    config = Config(path=path, root=root, environments=environments, notify=notifiers, demo=demo_only,
                    renamed=tuple(ctx.renamed.items()), **sections)
    _check_consistency(config, ctx)
    return config


def _one_forge(release: ReleaseConfig, ctx: Where) -> ReleaseConfig:
    """The release section with [release.github] read as [release.forge] type = "github" (an empty repository
    there means no forge, as it always did)."""
    if release.github is None:
        return release
    if release.forge is not None:
        raise ConfigError(f"{ctx.file}: [{ctx.section('release.github')}] and [{ctx.section('release.forge')}] are "
                          'both given; [release.github] is the older spelling of [release.forge] type = "github". '
                          "Keep one.")
    from deploylib.forge.github import GitHubTable

    table = build(GitHubTable, release.github, ctx, "release.github")
    return dataclasses.replace(release, forge=Variant("github", table) if table.repository else None)


def _runnable(env: EnvironmentConfig, ctx: Where, where: str, demo: bool) -> EnvironmentConfig:
    """The environment with checks this machine can run. A check whose keys conflict (Check.conflict), or a
    user's check that cannot run (a browser check and no browser), is a configuration error now, not a failed
    deploy later; the demo leaves a check that cannot run out and says why."""
    for index, check in enumerate(env.checks):
        conflict = _answer(check, "conflict", "whether its keys conflict", ctx, f"{where}.checks[{index}]",
                           "check kind")
        if conflict:
            raise ConfigError(f"{ctx.file}: [{ctx.section(f'{where}.checks[{index}]')}] ({check.label}) {conflict}")
    lacking = {index: why for index, check in enumerate(env.checks)
               if (why := _answer(check, "unavailable", "what this machine lacks to run it", ctx,
                                  f"{where}.checks[{index}]", "check kind"))}
    if lacking and not demo:
        index, why = next(iter(lacking.items()))
        raise ConfigError(f"{ctx.file}: [{ctx.section(f'{where}.checks[{index}]')}] ({env.checks[index].label}) "
                          f"{why}.")
    return dataclasses.replace(env, checks=tuple(c for i, c in enumerate(env.checks) if i not in lacking),
                               skipped=tuple((env.checks[i].label, why) for i, why in lacking.items()))


def _demo_key(data: dict[str, Any], ctx: Where) -> bool:
    """The top-level `demo` key: true when the repository releases itself but deploys the embedded demo (as
    deploylib's own repository does), so it declares no environments of its own."""
    demo = data.get("demo", False)
    if not isinstance(demo, bool):
        raise ConfigError(f"{ctx.key('', 'demo')} must be true or false, not {json.dumps(demo)}.")
    if demo and data.get("environments"):
        raise ConfigError(f"{ctx.key('', 'demo')} = true makes the deploy tasks run the embedded demo, so "
                          f"[{ctx.section('environments')}] would never be deployed. Remove one of them.")
    return demo


def _answer(kind: Any, method: str, question: str, ctx: Where, section: str, kind_word: str) -> str:
    """`kind.method()`, a question a check or notifier is asked while the configuration is read (`question`, in
    words: what this machine lacks to run it, whether its keys conflict); one that raises or answers no str (a
    bug in that kind) is a ConfigError naming the table `section`, its class and the exception, not a
    traceback."""
    from deploylib.plugins import contained, fault  # imported already by the registries: no cost

    def blame(operation: str, err: Exception) -> ConfigError:
        named = f"{type(kind).__module__}.{type(kind).__qualname__}"
        return ConfigError(f"{ctx.file}: [{ctx.section(section)}] ({named}): asked {question} ({operation}), "
                           f"{fault(err)}. This is a bug in that {kind_word}; report it to its authors, or use "
                           "another one.")

    said: str = contained(blame, method, getattr(kind, method), answer=((str,), "a str", ()))
    return said


def _check_consistency(config: Config, ctx: Where) -> None:
    """Rules that involve more than one key."""
    for env in config.environments.values():
        if not env.checks:
            raise ConfigError(
                f"{ctx.key(f'environments.{env.name}', 'checks')} is missing: deploylib never deploys without "
                f"validating. Add at least one check, e.g. [[{ctx.section(f'environments.{env.name}')}.checks]] "
                'path = "/" status = 200.')
    for env in config.environments.values():
        if not env.url and not serves_itself(env.target):
            raise ConfigError(f"{ctx.key(f'environments.{env.name}', 'url')} is missing: its {env.target.type} target "
                              "cannot serve releases for validation itself, so the checks need the address the site "
                              f"answers on. {url_hint(env.target)}")
    if config.environments and not config.build.command:
        raise ConfigError(f"{ctx.key('build', 'command')} is missing: environments are configured, so there must "
                          'be a build to deploy. Add it, e.g. [build] command = "npm run build".')
    for index, notifier in enumerate(config.notify):
        conflict = _answer(notifier.options, "conflict", "whether its keys conflict", ctx, f"notify[{index}]",
                           "notifier")
        if conflict:
            raise ConfigError(f"{ctx.file}: [{ctx.section(f'notify[{index}]')}] {conflict}")
    gate = config.gate
    remote_gates = [name for name, on in (("require_review", gate.require_review), ("require_ci", gate.require_ci),
                                          ("blocking_labels", bool(gate.blocking_labels))) if on]
    if remote_gates and config.release.forge is None:
        raise ConfigError(f"{ctx.key('gate', remote_gates[0])} asks GitHub, but [release.github] repository is not "
                          'set. Add it (repository = "OWNER/NAME") or another forge ([release.forge] type = "…"), '
                          "or turn the gate off.")
    watching = next((env for env in config.environments.values() if env.validation.issue_labels), None)
    if watching and config.release.forge is None:
        raise ConfigError(f"{ctx.key(f'environments.{watching.name}.validation', 'issue_labels')} asks GitHub, but "
                          '[release.github] repository is not set. Add it (repository = "OWNER/NAME") or another '
                          'forge ([release.forge] type = "…"), or remove issue_labels.')
    if config.release.forge is not None and config.environments and not config.release.push:
        table = ctx.section(config.release.forge_table)
        raise ConfigError(f"{ctx.key('release', 'push')} = false, but [{table}] is configured: a "
                          f"{forge_label(config.release)} release needs its tag pushed. Set push = true, or remove "
                          f"[{table}].")
    if config.deploy.require_staging and config.environments and config.deploy.staging not in config.environments:
        raise ConfigError(f'{ctx.key("deploy", "staging")} = "{config.deploy.staging}" names no configured '
                          f"environment (require_staging is true). Configured: {', '.join(config.environments)}.")
