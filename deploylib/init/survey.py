"""Read what `deploylib init` needs from a repository, and nothing else. Reads only; no network."""

from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path
from typing import Any

from deploylib import jsontext
from deploylib.git import git_run
from deploylib.values import frozen

# Every file Hugo reads its configuration from, in the order init looks for publishDir: hugo.* before the older
# config.*, the root before the configuration folder config/_default/ (gohugo.io, "Configure Hugo").
HUGO_CONFIGS = tuple(f"{folder}{name}.{ext}" for folder in ("", "config/_default/") for name in ("hugo", "config")
                     for ext in ("toml", "yaml", "yml", "json"))
# Files whose presence says which tool builds the site (detect.py reads their names, and a few their text).
MARKERS = ("package.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock", "bun.lockb", "package-lock.json",
           "next.config.js", "next.config.mjs", "next.config.ts", "svelte.config.js", "svelte.config.ts",
           "astro.config.mjs", "astro.config.ts", "vite.config.js", "vite.config.ts", "vite.config.mjs",
           ".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs",
           "mkdocs.yml", "mkdocs.yaml", "docs/conf.py", "docs/source/conf.py", "conf.py",
           *HUGO_CONFIGS, "archetypes", "layouts", "content",
           "_config.yml", "Gemfile", "pyproject.toml", "pnpm-workspace.yaml")
READ = ("next.config.js", "next.config.mjs", "next.config.ts", "svelte.config.js", "svelte.config.ts",
        "astro.config.mjs", "astro.config.ts", "vite.config.js", "vite.config.ts", "vite.config.mjs",
        ".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs",
        "mkdocs.yml", "mkdocs.yaml", *HUGO_CONFIGS, "_config.yml", "pnpm-workspace.yaml")
MAX_WORKSPACES = 200  # package.json files read from a monorepo's workspaces; beyond that it is not one site
OUTPUTS = ("dist", "build", "out", "_site", "site", "public", "docs/_build/html", "_build/html")


@frozen
class Survey:
    """The facts of one repository that init's detection works from."""

    root: Path
    present: frozenset[str]  # the MARKERS that exist (files or folders)
    package: dict[str, Any] | None  # package.json, parsed; None when absent or not a JSON object
    texts: dict[str, str] = field(default_factory=dict)  # the READ files that exist, as text
    ignored: frozenset[str] = frozenset()  # the OUTPUTS folders git ignores
    tags: tuple[str, ...] = ()
    on_history: frozenset[str] | None = None  # the tags on HEAD's history; None: all of them
    branch: str = ""  # the checked-out branch, "" when detached
    origin_head: str = ""  # origin's default branch as last fetched ("main" for refs/remotes/origin/main), or ""
    holding_head: tuple[str, ...] = ()  # with HEAD detached, the local branches whose history holds its commit
    origin: str = ""  # the URL of the `origin` remote, "" when none
    pages: bool = False  # a gh-pages branch exists, here or on origin as last fetched
    pages_cname: str = ""  # the CNAME file on that branch, stripped
    workspaces: dict[str, dict[str, Any]] = field(default_factory=dict)  # a workspace's folder ("apps/web") → its
    # package.json, for package.json's `workspaces` or pnpm-workspace.yaml's `packages`


def survey(root: Path) -> Survey:
    """Read `root`'s repository. Raises nothing for odd files (an unreadable package.json is reported by
    detection as absent); git must work in `root` (the caller checked it is a repository)."""
    present = frozenset(name for name in MARKERS if (root / name).exists())
    texts = {name: _text(root / name) for name in READ if name in present}
    pages_ref = next((ref for ref in ("refs/heads/gh-pages", "refs/remotes/origin/gh-pages")
                      if _git(root, "rev-parse", "-q", "--verify", ref)), "")
    package = _package(root / "package.json")
    branch = _git(root, "symbolic-ref", "-q", "--short", "HEAD").strip()
    return Survey(root=root, present=present, package=package, texts=texts,
                  workspaces=_workspaces(root, workspace_patterns(package, texts.get("pnpm-workspace.yaml", ""))),
                  ignored=_ignored(root), tags=tuple(_git(root, "tag", "--list").split()),
                  on_history=frozenset(_git(root, "tag", "--merged", "HEAD").split()),
                  branch=branch,
                  origin_head=_git(root, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD").strip()
                  .removeprefix("origin/"),
                  holding_head=() if branch else tuple(_git(root, "for-each-ref", "--contains", "HEAD",
                                                            "--format=%(refname:short)", "refs/heads").split()),
                  origin=_git(root, "remote", "get-url", "origin").strip(), pages=bool(pages_ref),
                  pages_cname=_git(root, "show", f"{pages_ref}:CNAME").strip() if pages_ref else "")


def _git(root: Path, *args: str) -> str:
    """git's output, or "" when it fails (no such remote, ref or file: each an answer here, not an error)."""
    done = git_run(root, *args)
    return done.out if done.ok else ""


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace")  # a BOM, as Windows editors write, is no text
    except OSError:
        return ""


def _package(path: Path) -> dict[str, Any] | None:
    try:
        data = jsontext.loads(path.read_text(encoding="utf-8-sig"))  # npm and Node read past a BOM too
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _ignored(root: Path) -> frozenset[str]:
    return ignored(root, OUTPUTS)


def ignored(root: Path, folders: tuple[str, ...]) -> frozenset[str]:
    """The `folders` (relative to `root`) that git ignores, whether or not they exist."""
    done = git_run(root, "check-ignore", "--no-index", *(f"{name}/" for name in folders))  # exit 1: none ignored
    return frozenset(line.rstrip("/") for line in done.out.splitlines())


def workspace_patterns(package: dict[str, Any] | None, pnpm_workspace: str) -> tuple[str, ...]:
    """The workspace globs of a monorepo: package.json's `workspaces` (npm, yarn, bun: a list, or yarn's
    {"packages": [...]}) and pnpm-workspace.yaml's `packages` list. Exclusions ("!…") are dropped."""
    declared = package.get("workspaces") if package else None
    if isinstance(declared, dict):
        declared = declared.get("packages")
    patterns = [p for p in declared if isinstance(p, str)] if isinstance(declared, list) else []
    listing = re.search(r"(?ms)^packages\s*:\s*\n((?:[ \t]*(?:-.*)?\n?)*)", pnpm_workspace)
    if listing:
        patterns += re.findall(r"""(?m)^[ \t]*-[ \t]*['"]?([^'"#\n]+?)['"]?[ \t]*(?:#.*)?$""", listing.group(1))
    return tuple(p for p in patterns if not p.startswith("!"))


def _workspaces(root: Path, patterns: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for pattern in patterns:
        for path in sorted(root.glob(f"{pattern.strip('/')}/package.json")):
            if "node_modules" in path.parts or len(found) >= MAX_WORKSPACES:
                continue
            package = _package(path)
            if package is not None:
                found[path.parent.relative_to(root).as_posix()] = package
    return found
