"""Read what `deploylib init` needs from a repository, and nothing else. Reads only; no network."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Files whose presence says which tool builds the site (detect.py reads their names, and a few their text).
MARKERS = ("package.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock", "bun.lockb", "package-lock.json",
           "next.config.js", "next.config.mjs", "next.config.ts", "svelte.config.js", "svelte.config.ts",
           "astro.config.mjs", "astro.config.ts", "vite.config.js", "vite.config.ts", "vite.config.mjs",
           ".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs",
           "mkdocs.yml", "mkdocs.yaml", "docs/conf.py", "docs/source/conf.py", "conf.py",
           "hugo.toml", "hugo.yaml", "hugo.json", "config.toml", "archetypes", "layouts", "content",
           "_config.yml", "Gemfile", "pyproject.toml")
READ = ("next.config.js", "next.config.mjs", "next.config.ts", "svelte.config.js", "svelte.config.ts", "Gemfile",
        "astro.config.mjs", "astro.config.ts", "vite.config.js", "vite.config.ts", "vite.config.mjs",
        ".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs",
        "mkdocs.yml", "mkdocs.yaml", "hugo.toml", "hugo.yaml", "hugo.json", "config.toml", "_config.yml")
OUTPUTS = ("dist", "build", "out", "_site", "site", "public", "docs/_build/html", "_build/html")


@dataclass(frozen=True)
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
    origin: str = ""  # the URL of the `origin` remote, "" when none
    pages: bool = False  # a gh-pages branch exists, here or on origin as last fetched
    pages_cname: str = ""  # the CNAME file on that branch, stripped


def survey(root: Path) -> Survey:
    """Read `root`'s repository. Raises nothing for odd files (an unreadable package.json is reported by
    detection as absent); git must work in `root` (the caller checked it is a repository)."""
    present = frozenset(name for name in MARKERS if (root / name).exists())
    texts = {name: _text(root / name) for name in READ if name in present}
    pages_ref = next((ref for ref in ("refs/heads/gh-pages", "refs/remotes/origin/gh-pages")
                      if _git(root, "rev-parse", "-q", "--verify", ref)), "")
    return Survey(root=root, present=present, package=_package(root / "package.json"), texts=texts,
                  ignored=_ignored(root), tags=tuple(_git(root, "tag", "--list").split()),
                  on_history=frozenset(_git(root, "tag", "--merged", "HEAD").split()),
                  branch=_git(root, "symbolic-ref", "-q", "--short", "HEAD").strip(),
                  origin=_git(root, "remote", "get-url", "origin").strip(), pages=bool(pages_ref),
                  pages_cname=_git(root, "show", f"{pages_ref}:CNAME").strip() if pages_ref else "")


def _git(root: Path, *args: str) -> str:
    """git's output, or "" when it fails (no such remote, ref or file: each an answer here, not an error)."""
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else ""


def _text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _package(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _ignored(root: Path) -> frozenset[str]:
    return ignored(root, OUTPUTS)


def ignored(root: Path, folders: tuple[str, ...]) -> frozenset[str]:
    """The `folders` (relative to `root`) that git ignores, whether or not they exist."""
    done = subprocess.run(["git", "check-ignore", "--no-index", *(f"{name}/" for name in folders)], cwd=root,
                          capture_output=True, text=True, check=False)
    return frozenset(line.rstrip("/") for line in done.stdout.splitlines())
