"""What a repository's facts mean for its deploy.toml: the site's tool, build and test commands and output
folder, the tag format and highest tag, the GitHub repository and its Pages URL. Pure: works on a Survey.

Output folders are each tool's documented default: Vite and Astro `dist`, Create React App `build`,
Next.js static export (`output: 'export'`) `out`, Eleventy `_site`, SvelteKit with adapter-static
`build`, Docusaurus `build`, Gatsby `public`, VitePress `<root>/.vitepress/dist`, Nuxt's `nuxi generate`
`.output/public`, MkDocs `site`, Sphinx `docs/_build/html` (its quickstart's layout), Hugo `public`, Jekyll
`_site`. A folder the tool's own configuration sets instead is read where it is a literal.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from typing import Any

import semver

from deploylib.init.survey import HUGO_CONFIGS, Survey
from deploylib.values import frozen

_SEMVER = r"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)"
# A release tag: a version after a prefix ending in neither a digit nor a dot (`v`, `web-v`, `release-`, `V`,
# `app@` as changesets writes, `release/`), the shortest one (`1.0.0-2.0.0` is a prerelease, not a prefix);
# braces would make tag_format's own placeholder.
_RELEASE_TAG = re.compile(rf"^((?:[^{{}}]*?[^0-9.{{}}])??){_SEMVER}$")
_GITHUB = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?github\.com[:/]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$")
_NPM_PLACEHOLDER = "no test specified"  # the test script `npm init` writes, which always fails
# The option each tool's configuration moves its output folder with (its documentation's name), and the files
# it is read from; and the build command's flag that does the same.
_OUTPUT_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "Vite": (("vite.config.js", "vite.config.ts", "vite.config.mjs"), "outDir"),
    "Astro": (("astro.config.mjs", "astro.config.ts"), "outDir"),
    "SvelteKit (adapter-static)": (("svelte.config.js", "svelte.config.ts"), "pages"),
    "Eleventy": ((".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs"), "output"),
    "Next.js static export": (("next.config.js", "next.config.mjs", "next.config.ts"), "distDir"),
    "MkDocs": (("mkdocs.yml", "mkdocs.yaml"), "site_dir"),
    "Hugo": (HUGO_CONFIGS, "publishDir"),
    "Jekyll": (("_config.yml",), "destination"),
}
_OUTPUT_FLAGS = {"Vite": "--outDir", "Astro": "--outDir", "Eleventy": "--output"}


@frozen
class Site:
    """How the site is built and tested."""

    framework: str  # "Vite", "Hugo", …; "" when nothing known was found
    build: str  # the build command, "" when none was found
    output: str  # the folder the build writes
    tests: str  # the test command, "" when none
    deploy: str  # the project's own deploy script, e.g. "npm run deploy"; "" when none
    notes: tuple[str, ...] = ()  # what the user should check, written as comments
    output_from: str = ""  # where a configured output folder was read, e.g. "outDir in vite.config.ts"


@frozen
class Tags:
    """The release tags `deploylib init` found in the repository."""

    format: str  # tag_format, e.g. "v{version}"
    highest: str  # the highest tag in that format, "" when there is none
    count: int  # tags in that format
    notes: tuple[str, ...] = ()  # what the user should check: tags in other formats, higher ones off HEAD's history


@frozen
class Pages:
    """A GitHub Pages production found from an existing gh-pages branch."""

    remote: str  # the origin URL the branch is pushed to
    url: str  # where the site is served, "" when origin is not on github.com and there is no CNAME
    cname: str


@frozen
class Plan:
    """What `deploylib init` found in a repository, from which it writes deploy.toml."""

    site: Site
    tags: Tags
    branch: str  # the release branch
    branch_guessed: bool  # HEAD was detached: `branch` is a guess (`release_branch`)
    origin: str  # "" when the repository has no origin: nothing is pushed
    repository: str  # "OWNER/NAME" on github.com, "" otherwise
    pages: Pages | None
    output_ignored: bool  # git ignores the output folder (else the clean-tree gate fails after a build)


def release_branch(facts: Survey) -> str:
    """The branch releases are made from: the one checked out; with HEAD detached (a CI checkout, a bisect),
    origin's default branch, else a local branch holding HEAD's commit (main or master first), else "main"."""
    holding = [name for name in facts.holding_head if name != "gh-pages"]
    return facts.branch or facts.origin_head or next((name for name in ("main", "master") if name in holding),
                                                     holding[0] if holding else "main")


def detect(facts: Survey) -> Plan:
    site = detect_site(facts)
    repository = github_repository(facts.origin)
    pages = None
    if facts.pages and facts.origin:
        pages = Pages(facts.origin, pages_url(repository, facts.pages_cname), facts.pages_cname)
    return Plan(site=site, tags=tag_format(facts.tags, facts.on_history),
                branch=release_branch(facts), branch_guessed=not facts.branch,
                origin=facts.origin, repository=repository, pages=pages, output_ignored=site.output in facts.ignored)


def _runner(facts: Survey, package: dict[str, Any]) -> str:
    """The package manager the project uses: package.json's `packageManager` ("pnpm@9.1.0", which corepack
    enforces), else the one its lock file names (Bun's text `bun.lock` since 1.2, or `bun.lockb`); npm by
    default."""
    declared = package.get("packageManager")
    name = declared.split("@")[0] if isinstance(declared, str) else ""
    if name in ("npm", "pnpm", "yarn", "bun"):
        return name
    for lock, runner in (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lock", "bun"), ("bun.lockb", "bun")):
        if lock in facts.present:
            return runner
    return "npm"


def _node_framework(facts: Survey, deps: set[str], script: str) -> tuple[str, str, str, tuple[str, ...]]:
    """(framework, output, the build command without a build script, notes) of a package.json project whose
    build script is `script` ("" when none)."""
    has = facts.present.__contains__
    if "@docusaurus/core" in deps:
        return "Docusaurus", "build", "npx docusaurus build", ()
    if "gatsby" in deps:
        return "Gatsby", "public", "npx gatsby build", ()
    if "vitepress" in deps:  # `vitepress build docs` writes docs/.vitepress/dist
        root = re.search(r"vitepress build\s+([^\s;&|-][^\s;&|]*)", script)
        return "VitePress", _folder(f"{root.group(1)}/.vitepress/dist" if root else ".vitepress/dist"), \
            "npx vitepress build", ()
    if "nuxt" in deps:
        static = not script or "generate" in script
        return "Nuxt (static)", ".output/public", "npx nuxi generate", () if static else (
            "Nuxt writes a static site to .output/public only with nuxi generate; make it the build command",)
    if "next" in deps:
        config = " ".join(text for name, text in facts.texts.items() if name.startswith("next.config"))
        static = re.search(r"""output\s*:\s*['"]export['"]""", config) is not None
        return "Next.js static export", "out", "npx next build", () if static else (
            "Next.js writes a static site to out/ only with output: 'export' in next.config; add it",)
    if "astro" in deps or has("astro.config.mjs") or has("astro.config.ts"):
        return "Astro", "dist", "npx astro build", ()
    if "@sveltejs/kit" in deps:
        notes = () if "@sveltejs/adapter-static" in deps else (
            "SvelteKit writes a static site to build/ only with @sveltejs/adapter-static; add it",)
        return "SvelteKit (adapter-static)", "build", "npx vite build", notes
    if "@11ty/eleventy" in deps or any(has(n) for n in (".eleventy.js", "eleventy.config.js", "eleventy.config.mjs",
                                                         "eleventy.config.cjs")):
        return "Eleventy", "_site", "npx @11ty/eleventy", ()
    if "react-scripts" in deps:
        return "Create React App", "build", "npx react-scripts build", ()
    if "vite" in deps or any(has(n) for n in ("vite.config.js", "vite.config.ts", "vite.config.mjs")):
        return "Vite", "dist", "npx vite build", ()
    return "", "dist", "", ("no known framework found in package.json: check that output is the build's folder",)


def detect_site(facts: Survey) -> Site:
    """The site's tool, commands and output folder. A package.json naming a known framework wins; one that does
    not (a Hugo or MkDocs site keeping its CSS tools or a theme's build in npm) gives way to the static-site
    generator found, keeping its test and deploy scripts and naming its build script in a note."""
    site = _configured_output(_site(facts), facts)
    if facts.package is None and "package.json" in facts.present:  # there, but not JSON (a trailing comma, a merge)
        unread = ("package.json is not a JSON object init can read, so its scripts and dependencies were not used: "
                  "fix it, then run deploylib init --dry-run again")
        return replace(site, notes=(*site.notes, unread))
    return site


def _site(facts: Survey) -> Site:
    """The site with each tool's default output folder."""
    node = _node_site(facts, facts.package) if facts.package is not None else None
    if node is not None and node.framework:
        return node
    if node is not None and facts.workspaces:
        site = _workspace_site(facts, node)
        if site is not None:
            return site
    generator = _generator_site(facts)
    if generator is None:
        return node or Site("", "", "dist", "", "", ("no site generator found: set [build] command and output",))
    if node is None:
        return generator
    notes = (f"package.json's build script ({node.build}) is not a known framework's, so {generator.framework} "
             f"builds the site; if it needs that script first, use command = "
             f'"{node.build} && {generator.build}"',) if node.build else ()
    return Site(generator.framework, generator.build, generator.output, node.tests, node.deploy,
                generator.notes + notes)


def _configured_output(site: Site, facts: Survey) -> Site:
    """`site` with the output folder its tool's configuration sets instead of the default: the build script's
    flag (`vite build --outDir build`) first, as the command line overrides the file, then the file's key. A key
    set to something other than a literal (`outDir: resolve(__dirname, "build")`) is named in a note. Vite's
    folder is then put under its project root (see `_under_vite_root`)."""
    script = _build_script(facts.package) if site.build.endswith(" run build") else ""
    configured = _output_setting(site, facts, script)
    configured = _under_vite_root(configured, facts, script) if configured.framework == "Vite" else configured
    parts = posixpath.normpath(configured.output).split("/")
    if configured.output.startswith("/") or parts[0] == "..":  # deploylib builds only inside the repository
        return replace(site, notes=(*configured.notes, f"{configured.output_from} names {configured.output}, outside "
                                    "the repository, where deploylib does not build: make the build write a folder "
                                    'inside it (or "$DEPLOY_OUTPUT") and set output to that folder'))
    return configured


def _output_setting(site: Site, facts: Survey, script: str) -> Site:
    files, key = _OUTPUT_KEYS.get(site.framework, ((), ""))
    flag = _OUTPUT_FLAGS.get(site.framework, "")
    found = re.search(rf"(?:^|\s){flag}[= ]([^\s;&|]+)", script) if flag else None
    if found:
        return replace(site, output=_folder(found.group(1)), output_from=f"{flag} in package.json's build script")
    for name in files:
        value, readable = _literal(facts.texts.get(name, ""), key, name)
        if readable:
            return replace(site, output=readable, output_from=f"{key} in {name}")
        if value is not None:
            return replace(site, notes=(*site.notes, f"{name} sets {key} to {value}, which init cannot read: set "
                                                     "output to the folder it names"))
    return site


def _literal(text: str, key: str, name: str) -> tuple[str | None, str]:
    """(the value `key` is set to in the file `name`'s `text`, as written, or None; the folder it names when it
    is a literal: a quoted string without interpolation, or YAML's plain scalar of path characters, else "")."""
    yaml = name.endswith((".yml", ".yaml"))
    value = _key_value(text, key, yaml=yaml)
    if value is None:
        return None, ""
    literal = re.fullmatch(r"""(['"`])([^'"`$]+)\1""", value) or (
        re.fullmatch(r"()([\w.~/-]+)", value) if yaml else None)
    return value, _folder(literal.group(2)) if literal else ""


def _under_vite_root(site: Site, facts: Survey, script: str) -> Site:
    """Vite resolves build.outDir (and its default, dist) against the project root: `vite build DIR` in the build
    script, else `root` in vite.config.* (vite.dev, "Shared options: root"; "CLI: vite build [root]"), so
    `root: 'src'` builds into src/dist, and with `outDir: '../dist'` into dist. A root init cannot read is
    named in a note."""
    found = re.search(r"(?:^|[\s;&|])vite build\s+([^\s;&|-][^\s;&|]*)", script)
    root, where = (_folder(found.group(1)), "root in package.json's build script") if found else ("", "")
    for name in _OUTPUT_KEYS["Vite"][0] if not found else ():
        value, root = _literal(facts.texts.get(name, ""), "root", name)
        if value is not None and not root:
            return replace(site, notes=(*site.notes, f"{name} sets root to {value}, which init cannot read: set "
                                                     f"output to {site.output}/ under the folder it names"))
        if root:
            where = f"root in {name}"
            break
    if not root or root == "." or site.output.startswith("/"):
        return site
    return replace(site, output=_folder(posixpath.normpath(f"{root}/{site.output}")),
                   output_from=f"{site.output_from}, {where}" if site.output_from else where)


def _build_script(package: dict[str, Any] | None) -> str:
    scripts = package.get("scripts") if package else None
    build = scripts.get("build") if isinstance(scripts, dict) else None
    return build if isinstance(build, str) else ""


def _key_value(text: str, key: str, yaml: bool) -> str | None:
    """The value `key` is set to in a configuration file's text, as written (quotes kept), or None: a quoted
    string whole, else the rest of the line without a trailing comment, comma or closing brace. Lines that are
    comments are skipped; in YAML only a top-level key counts (an indented one belongs to another table)."""
    start = r"^" if yaml else r"(?:^|[\s{,])"
    pattern = re.compile(rf"{start}[\"']?{key}[\"']?[ \t]*[:=][ \t]*(\S.*)$", re.I)
    for line in text.splitlines():
        if line.lstrip().startswith(("#", "//", "/*", "*")):
            continue
        found = pattern.search(line)
        if found:
            value = found.group(1)
            quoted = re.match(r"""(['"`])(?:(?!\1).)*\1""", value)
            return quoted.group(0) if quoted else re.sub(r"\s+(?:#|//).*$", "", value).rstrip(" \t,}")
    return None


def _folder(path: str) -> str:
    """A folder as deploy.toml's output names it: without a leading "./" or a trailing "/"."""
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or "."


def _node_site(facts: Survey, package: dict[str, Any]) -> Site:
    """A package.json project's site; its framework is "" when none known is among its dependencies."""
    scripts = package.get("scripts")
    scripts = {k: v for k, v in scripts.items() if isinstance(v, str)} if isinstance(scripts, dict) else {}
    deps = {name for key in ("dependencies", "devDependencies")
            if isinstance(package.get(key), dict) for name in package[key]}
    framework, output, fallback, notes = _node_framework(facts, deps, scripts.get("build", ""))
    run = _runner(facts, package)
    # `bun test` is Bun's own test runner, not the script: `bun run test` runs the script
    test = f"{run} run test" if run == "bun" else f"{run} test"
    tests = test if "test" in scripts and _NPM_PLACEHOLDER not in scripts["test"] else ""
    return Site(framework, f"{run} run build" if "build" in scripts else fallback, output, tests,
                f"{run} run deploy" if "deploy" in scripts else "", notes)


def _workspace_site(facts: Survey, root: Site) -> Site | None:
    """A monorepo's site: the one workspace whose package.json names a known framework, its output under its
    folder, built by the root's build script (a Turborepo or Nx build builds every workspace) or in its folder.
    Several such workspaces: the root's site with a note naming them; none: None."""
    sites: list[tuple[str, str, str, tuple[str, ...]]] = []
    for folder, package in sorted(facts.workspaces.items()):
        deps = {name for key in ("dependencies", "devDependencies")
                if isinstance(package.get(key), dict) for name in package[key]}
        scripts = package.get("scripts")
        build = scripts.get("build") if isinstance(scripts, dict) else None
        framework, output, _, notes = _node_framework(replace(facts, present=frozenset(), texts={}), deps,
                                                      build if isinstance(build, str) else "")
        if framework:
            sites.append((folder, framework, f"{folder}/{output}", notes))
    if not sites:
        return None
    if len(sites) > 1:
        listed = ", ".join(f"{folder} ({framework}, {output}/)" for folder, framework, output, _ in sites)
        return replace(root, notes=(f"the workspaces hold several sites: {listed}; set output to the one to deploy",))
    folder, framework, output, notes = sites[0]
    scripts = facts.workspaces[folder].get("scripts")
    build = root.build or (f"cd {folder} && {_runner(facts, facts.package or {})} run build"
                           if isinstance(scripts, dict) and "build" in scripts else "")
    return Site(framework, build, output, root.tests, root.deploy, notes, f"the {folder} workspace")


def _generator_site(facts: Survey) -> Site | None:
    """A static-site generator's site (Hugo, Jekyll, MkDocs, Sphinx), or None."""
    has = facts.present.__contains__
    # hugo.* and the config/_default/ folder are Hugo's own; a config.* at the root is any tool's, so Hugo's
    # folders must be there too
    hugo_folders = has("archetypes") or (has("layouts") and has("content"))
    if any(has(name) and (name.startswith(("hugo.", "config/")) or hugo_folders) for name in HUGO_CONFIGS):
        return Site("Hugo", "hugo --minify", "public", "", "")
    if has("_config.yml"):
        # a Gemfile means Bundler holds Jekyll, named or through github-pages or a theme's gemspec
        return Site("Jekyll", "bundle exec jekyll build" if has("Gemfile") else "jekyll build", "_site", "", "")
    if has("mkdocs.yml") or has("mkdocs.yaml"):
        return Site("MkDocs", "mkdocs build --strict", "site", "", "")
    for source in ("docs/source", "docs", "."):
        if has(f"{source}/conf.py" if source != "." else "conf.py"):
            out = "_build/html" if source == "." else "docs/_build/html"
            return Site("Sphinx", f"sphinx-build -b html {source} {out}", out, "", "")
    return None


def tag_format(tags: tuple[str, ...], on_history: frozenset[str] | None = None) -> Tags:
    """The release tag format and its highest tag by semantic version (`v0.10.0` > `v0.9.0`), as deploylib's
    release reads them: only tags on HEAD's history (`on_history`; None: all of them) count as released.

    The format is the one of the highest version on HEAD's history (all tags when none is there): a project
    that moved from `1.4.0` to `v2.0.0` releases as `v…` now, however many old tags there are; a tie in
    version goes to the format more tags use. Tags in other formats, and higher tags in this format off
    HEAD's history (a maintenance branch's), are named in notes. No release tag: `v{version}`, deploylib's
    default."""
    found: dict[str, list[tuple[semver.Version, str]]] = {}
    for tag in tags:
        match = _RELEASE_TAG.match(tag)
        if match and semver.Version.is_valid(match[2]):  # not 2024.01.15: SemVer has no leading zeros
            found.setdefault(match[1] + "{version}", []).append((semver.Version.parse(match[2]), tag))
    if not found:
        return Tags("v{version}", "", 0)
    released = {fmt: [(v, t) for v, t in versions if on_history is None or t in on_history]
                for fmt, versions in found.items()}
    ranked = released if any(released.values()) else found
    best = max((fmt for fmt in ranked if ranked[fmt]), key=lambda fmt: (max(ranked[fmt])[0], len(found[fmt])))
    highest = max(released[best])[1] if released[best] else ""
    notes = [f"{len(versions)} tag(s) in another format, like {max(versions)[1]}, are not release tags for "
             f"deploylib; if they are, set tag_format to match them" for fmt, versions in found.items() if fmt != best]
    newer = [t for v, t in sorted(found[best], reverse=True) if not highest or v > max(released[best])[0]]
    if newer:
        notes.append(f"{', '.join(newer[:3])}{' …' if len(newer) > 3 else ''} tagged off this branch's history: "
                     f"releases here continue from {highest or 'the initial version'}, and one whose tag exists "
                     "elsewhere stops before writing anything")
    return Tags(best, highest, len(found[best]), tuple(notes))


def github_repository(url: str) -> str:
    """"OWNER/NAME" for a github.com remote in any of git's URL forms (https, ssh, scp-like); "" otherwise."""
    match = _GITHUB.match(url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else ""


def pages_url(repository: str, cname: str) -> str:
    """Where GitHub Pages serves a repository: its custom domain, `https://OWNER.github.io/` for the
    repository named `OWNER.github.io`, else `https://OWNER.github.io/NAME/` (GitHub Pages documentation,
    "Types of GitHub Pages sites"); "" when neither is known."""
    if cname:
        return f"https://{cname}/"
    if not repository:
        return ""
    owner, name = repository.split("/")
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"
