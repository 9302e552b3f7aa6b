"""Whether a configuration deploylib accepted can work, judged by the parts that will use it — the real
git, requests, http.client, the longest wait time.sleep and threads take, doit's task names — not by
deploylib's own checks, so the fuzz finds values those checks let through.
"""

from __future__ import annotations

import dataclasses
import http.client
import math
import posixpath
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import requests

from deploylib.config.load import Config

SECONDS = {"initial_delay_s", "interval_s", "duration_s", "timeout_s", "retry_delay_s", "lock_wait_s", "window_s",
           "lock_ttl_s", "initial_delay", "interval", "duration", "lock_wait", "lock_ttl"}  # the old names still work
URLS = {"url", "api_url"}
PATHS = {"path", "pages", "paths", "prometheus_url"}  # requested by checks: "/…" or a full URL ("": unset)
# (class, field) whose empty value cannot work: a path, a command, a remote, a file.
NON_EMPTY = {("ReleaseConfig", "changelog"), ("BuildConfig", "output"), ("LocalOptions", "path"),
             ("SshOptions", "path"), ("PagesOptions", "remote"), ("CommandOptions", "deploy"),
             ("LighthouseConfig", "command"), ("Budget", "glob")}
# (class, field) holding a shell command, when set: it must start a program, or it succeeds doing nothing.
COMMANDS = {("GateConfig", "tests"), ("GateConfig", "audit"), ("BuildConfig", "command"), ("CommandOptions", "deploy"),
            ("CommandOptions", "rollback"), ("CommandOptions", "live"), ("LighthouseConfig", "command")}
TASK_NAME = re.compile(r"[^\s:=\"'/\\]+")  # doit reads deploy:NAME from a command line


class Git:
    """`git check-ref-format`, asked once per name."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, ...], bool] = {}

    def accepts(self, *args: str) -> bool:
        if args not in self.seen:
            done = subprocess.run(["git", "check-ref-format", *args], cwd=Path("/"), capture_output=True)
            self.seen[args] = done.returncode == 0
        return self.seen[args]


def fields(node: Any, where: str = "") -> Iterator[tuple[str, str, str, Any]]:
    """(table, class name, key, value) of every option under `node`, a loaded configuration."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Path):
            continue
        yield where, type(node).__name__, f.name, value
        inner = [value] if dataclasses.is_dataclass(value) else list(value) if isinstance(value, tuple) else \
            list(value.values()) if f.name == "environments" else []
        for index, item in enumerate(inner):
            item = getattr(item, "options", item)  # a Variant's options
            if dataclasses.is_dataclass(item):
                yield from fields(item, f"{where}.{f.name}[{index}]")


def leaves(value: Any) -> Iterator[Any]:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending += [*item, *item.values()]
        elif isinstance(item, list | tuple):
            pending += list(item)
        else:
            yield item


def url_unusable(url: str) -> str:
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return "control character or space"
    try:
        prepared = requests.Request("GET", url).prepare()
    except (requests.RequestException, ValueError) as err:
        return f"requests refuses it: {err}"
    parsed = requests.utils.urlparse(prepared.url)
    if parsed.port == 0:
        return "port 0: connect(2) reaches nothing there"
    return "" if parsed.hostname else "no host"


def outside_commits(path: str) -> str:
    """Why `git add` could never commit the file `path` (relative to the repository), or ""."""
    parts = PurePosixPath(path).parts
    if PurePosixPath(path).is_absolute() or ".." in parts:
        return "outside the repository"
    return "in .git or .deploylib, which git never commits" if {".git", ".deploylib"} & set(parts) else ""


def holds_the_repository(output: str) -> bool:
    """Whether a build output folder (relative to the repository) is the repository, holds it or is in .git."""
    normal = posixpath.normpath(output.strip() or ".")
    return normal in (".", "/") or set(normal.split("/")) <= {".."} or ".git" in normal.split("/")


def header_unusable(name: str, value: str) -> str:
    try:
        requests.utils.check_header_validity((name, value))
        connection = http.client.HTTPConnection("example.com")  # connects only when the request is sent
        connection.putrequest("GET", "/")
        connection.putheader(name, value)
    except (requests.exceptions.InvalidHeader, ValueError, UnicodeEncodeError) as err:
        return f"{type(err).__name__}: {err}"
    return ""


def runs_nothing(command: str) -> bool:
    """True when sh would run no program: nothing but blanks and VAR=value assignments. Words are split as sh
    splits them (space, tab, newline), not as str.split() does: "\x85" (NEL) is a program name to sh."""
    return all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=[^ \t\n]*", word) for word in re.split(r"[ \t\n]+", command)
               if word)


def unusable(config: Config, git: Git) -> list[str]:
    """Every accepted value in `config` that cannot work, as "table key = value: why"."""
    found: list[str] = []
    for name in config.environments:
        if not TASK_NAME.fullmatch(name) or not name.isprintable() or name.startswith("-"):
            found.append(f"environment {name!r}: not usable as a task name")
    release = config.release
    if not git.accepts("--branch", release.branch):
        found.append(f"release.branch = {release.branch!r}: git refuses it")
    if release.remote.startswith("-") or not git.accepts(f"refs/remotes/{release.remote}/x"):
        found.append(f"release.remote = {release.remote!r}: git refuses it")
    tag = release.tag_format.replace("{version}", "1.2.3-rc.1+build.5")
    if release.tag_format.count("{version}") != 1 or not git.accepts(f"refs/tags/{tag}"):
        found.append(f"release.tag_format = {release.tag_format!r}: no valid tag")
    if config.environments and not config.build.command.strip():
        found.append("build.command is empty, yet environments are configured")
    for where, cls, key, value in fields(config):
        shown = f"{where} {key} = {value!r}"
        found += [f"{shown}: NUL" for leaf in leaves(value) if isinstance(leaf, str) and "\0" in leaf]
        found += [f"{shown}: not finite" for leaf in leaves(value) if isinstance(leaf, float) and
                  not math.isfinite(leaf)]
        found += [f"{shown}: beyond 64 bits" for leaf in leaves(value) if isinstance(leaf, int) and
                  not -(2**63) <= leaf < 2**63]
        if key in SECONDS and not 0 <= value <= threading.TIMEOUT_MAX:
            found.append(f"{shown}: no sleep or timeout takes it")
        if key in URLS and value and (why := url_unusable(value)):
            found.append(f"{shown}: {why}")
        requested = key in PATHS and value and (cls.endswith("Check") or cls in ("FlowStep", "LighthouseConfig"))
        for path in ([value] if isinstance(value, str) else value) if requested else []:
            why = url_unusable(path if path.startswith(("http://", "https://")) else f"http://example.com{path}")
            found += [f"{shown}: {why}"] if why else []
        if key == "headers":
            found += [f"{shown}: {why}" for k, v in value.items() if (why := header_unusable(k, v))]
        if (cls, key) in COMMANDS and value and runs_nothing(value):
            found.append(f"{shown}: the shell would run nothing")
        if (cls, key) in NON_EMPTY and not value.strip():
            found.append(f"{shown}: empty")
        if (cls, key) == ("ReleaseConfig", "changelog") and value.strip() and (why := outside_commits(value)):
            found.append(f"{shown}: {why}")
        if (cls, key) == ("ReleaseConfig", "version_files"):
            found += [f"{shown}: {why}" for spec in value if (why := outside_commits(spec.partition(":")[0]))]
        if (cls, key) == ("BuildConfig", "output") and value.strip() and holds_the_repository(value):
            found.append(f"{shown}: the build would move the repository or its .git aside")
        if cls == "PagesOptions" and key == "branch" and not git.accepts("--branch", value):
            found.append(f"{shown}: git refuses it")
    return found
