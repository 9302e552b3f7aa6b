"""`deploylib init`'s detection and rendering, on facts alone (no repository)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deploylib.init.detect import Pages, Plan, Site, Tags, detect, detect_site, github_repository, pages_url, tag_format
from deploylib.init.render import DODO, deploy_toml
from deploylib.init.survey import Survey, workspace_patterns
from tests.conftest import REPO


def facts(*present: str, package: dict[str, Any] | None = None, texts: dict[str, str] | None = None,
          **more: Any) -> Survey:
    return Survey(root=Path("."), present=frozenset(present), package=package, texts=texts or {}, **more)


def npm(*deps: str, **scripts: str) -> dict[str, Any]:
    return {"scripts": scripts, "devDependencies": dict.fromkeys(deps, "*")}


@pytest.mark.parametrize(("tags", "expected"), [
    ((), Tags("v{version}", "", 0)),
    (("v1.2.3", "v1.10.0", "v1.9.9"), Tags("v{version}", "v1.10.0", 3)),  # by semantic version, not text
    (("1.2.3", "1.3.0"), Tags("{version}", "1.3.0", 2)),
    (("site-v0.4.0", "site-v0.10.1"), Tags("site-v{version}", "site-v0.10.1", 2)),
    (("v1.0.0", "2.0.0", "2.1.0"), Tags("{version}", "2.1.0", 2)),
    (("v1.0.0", "3.0.0"), Tags("{version}", "3.0.0", 1)),
    # pmndrs/react-three-next: ten tags like 1.4.0, then v1.5.0 on: the format releases use now, not the most common
    (("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "v1.5.0", "v2.0.0"), Tags("v{version}", "v2.0.0", 2)),
    (("1.0.0", "v1.0.0", "v0.9.0"), Tags("v{version}", "v1.0.0", 2)),  # the same version: the format more tags use
    (("v2.0.0-rc.1", "v1.9.0"), Tags("v{version}", "v2.0.0-rc.1", 2)),
    (("latest", "deploy-2024", "v1.2"), Tags("v{version}", "", 0)),  # not release tags
    (("2024.01.15", "v1.02.3", "v1.0.0"), Tags("v{version}", "v1.0.0", 1)),  # leading zeros: not SemVer, no crash
    (("api-v1.0.0", "web-v2.0.0", "web-v2.1.0"), Tags("web-v{version}", "web-v2.1.0", 2)),
    # any prefix before the version: changesets' name@, a word, a folder, a capital V
    (("site@1.4.0", "site@1.10.0"), Tags("site@{version}", "site@1.10.0", 2)),
    (("release-1.2.3",), Tags("release-{version}", "release-1.2.3", 1)),
    (("release/2.0.0", "release/2.0.1"), Tags("release/{version}", "release/2.0.1", 2)),
    (("V2.0.0",), Tags("V{version}", "V2.0.0", 1)),
    (("1.0.0-2.0.0",), Tags("{version}", "1.0.0-2.0.0", 1)),  # a prerelease of 1.0.0, not a prefix "1.0.0-"
    (("1.2.3.4", "{x}1.0.0"), Tags("v{version}", "", 0)),  # a fourth number, or braces: not a tag_format
])
def test_the_tag_format_and_highest_tag(tags: tuple[str, ...], expected: Tags) -> None:
    assert replace(tag_format(tags), notes=()) == expected


# jekyll/minima: v2.5.1 and v2.5.2 are on the 2.5-stable branch; master's history reaches v2.5.0.
@pytest.mark.parametrize(("tags", "on_history", "expected"), [
    (("v2.4.0", "v2.5.0", "v2.5.1", "v2.5.2"), {"v2.4.0", "v2.5.0"}, Tags("v{version}", "v2.5.0", 4)),
    (("1.0.0", "1.1.0", "v9.0.0"), {"1.0.0", "1.1.0"}, Tags("{version}", "1.1.0", 2)),  # the format released here
    (("v1.0.0",), set(), Tags("v{version}", "", 1)),  # only tags elsewhere: the first release here is new
])
def test_only_tags_on_heads_history_are_released(tags: tuple[str, ...], on_history: set[str], expected: Tags) -> None:
    assert replace(tag_format(tags, frozenset(on_history)), notes=()) == expected


@pytest.mark.parametrize(("tags", "on_history", "note"), [
    (("v2.4.0", "v2.5.0", "v2.5.1", "v2.5.2"), {"v2.4.0", "v2.5.0"},
     "v2.5.2, v2.5.1 tagged off this branch's history: releases here continue from v2.5.0"),
    (("v1.0.0",), set(), "v1.0.0 tagged off this branch's history: releases here continue from the initial version"),
    (("1.3.0", "1.4.0", "v2.0.0"), None, "2 tag(s) in another format, like 1.4.0, are not release tags"),
    (("api-v1.0.0", "web-v2.0.0"), None, "1 tag(s) in another format, like api-v1.0.0"),
])
def test_tags_deploylib_will_not_release_from_are_named(tags: tuple[str, ...], on_history: set[str] | None,
                                                         note: str) -> None:
    notes = tag_format(tags, None if on_history is None else frozenset(on_history)).notes
    assert any(note in line for line in notes), notes


def test_one_release_tag_format_gives_no_notes() -> None:
    assert tag_format(("v1.0.0", "v1.1.0", "latest"), frozenset({"v1.0.0", "v1.1.0"})).notes == ()


def test_the_tags_notes_are_checks_in_the_file() -> None:
    text = deploy_toml(plan(tags=Tags("v{version}", "v2.5.0", 4, ("v2.5.2 tagged off this branch's history",))))
    assert "# CHECK: v2.5.2 tagged off this branch's history" in text


@pytest.mark.parametrize(("url", "expected"), [
    ("git@github.com:acme/site.git", "acme/site"),
    ("https://github.com/acme/site.git", "acme/site"),
    ("https://github.com/acme/site", "acme/site"),
    ("ssh://git@github.com/acme/my.site.git", "acme/my.site"),
    ("https://user@github.com/acme/site/", "acme/site"),
    ("git@gitlab.com:acme/site.git", ""),
    ("/srv/git/site.git", ""),
    ("", ""),
])
def test_the_github_repository_of_a_remote_url(url: str, expected: str) -> None:
    assert github_repository(url) == expected


@pytest.mark.parametrize(("repository", "cname", "expected"), [
    ("Acme/site", "", "https://acme.github.io/site/"),
    ("acme/acme.github.io", "", "https://acme.github.io/"),  # the user or organisation site
    ("acme/site", "www.example.com", "https://www.example.com/"),
    ("", "docs.example.com", "https://docs.example.com/"),
    ("", "", ""),
])
def test_the_pages_url(repository: str, cname: str, expected: str) -> None:
    assert pages_url(repository, cname) == expected


@pytest.mark.parametrize(("survey", "framework", "build", "output"), [
    (facts("package.json", package=npm("vite", build="vite build")), "Vite", "npm run build", "dist"),
    (facts("package.json", package=npm("astro", build="astro build")), "Astro", "npm run build", "dist"),
    (facts("package.json", package=npm("react-scripts", build="react-scripts build")), "Create React App",
     "npm run build", "build"),
    (facts("package.json", "next.config.mjs", package=npm("next", build="next build"),
           texts={"next.config.mjs": "export default { output: 'export' }"}), "Next.js static export",
     "npm run build", "out"),
    (facts("package.json", package=npm("@11ty/eleventy")), "Eleventy", "npx @11ty/eleventy", "_site"),
    (facts("package.json", package=npm("@sveltejs/kit", "@sveltejs/adapter-static", "vite", build="vite build")),
     "SvelteKit (adapter-static)", "npm run build", "build"),
    (facts("package.json", "pnpm-lock.yaml", package=npm("vite", build="vite build")), "Vite", "pnpm run build",
     "dist"),
    (facts("package.json", "yarn.lock", package=npm("vite")), "Vite", "npx vite build", "dist"),
    (facts("package.json", package=npm("@docusaurus/core", "react", build="docusaurus build")), "Docusaurus",
     "npm run build", "build"),
    (facts("package.json", package=npm("gatsby", "react", build="gatsby build")), "Gatsby", "npm run build", "public"),
    (facts("package.json", package=npm("vitepress", "vue", build="vitepress build docs")), "VitePress",
     "npm run build", "docs/.vitepress/dist"),
    (facts("package.json", package=npm("vitepress", build="vitepress build")), "VitePress", "npm run build",
     ".vitepress/dist"),
    (facts("package.json", package=npm("vitepress")), "VitePress", "npx vitepress build", ".vitepress/dist"),
    (facts("package.json", package=npm("nuxt", build="nuxt generate")), "Nuxt (static)", "npm run build",
     ".output/public"),
    (facts("mkdocs.yml"), "MkDocs", "mkdocs build --strict", "site"),
    (facts("docs/conf.py"), "Sphinx", "sphinx-build -b html docs docs/_build/html", "docs/_build/html"),
    (facts("docs/source/conf.py"), "Sphinx", "sphinx-build -b html docs/source docs/_build/html",
     "docs/_build/html"),
    (facts("hugo.toml"), "Hugo", "hugo --minify", "public"),
    (facts("config.toml", "archetypes"), "Hugo", "hugo --minify", "public"),
    # every name Hugo reads its configuration from: hugo.* and config.* in toml, yaml, yml, json, at the root or
    # in its configuration folder config/_default/ (Hugo's "Configure Hugo": configuration file and directory)
    (facts("hugo.yml"), "Hugo", "hugo --minify", "public"),
    (facts("config.yaml", "archetypes"), "Hugo", "hugo --minify", "public"),
    (facts("config.yml", "layouts", "content"), "Hugo", "hugo --minify", "public"),
    (facts("config.json", "archetypes"), "Hugo", "hugo --minify", "public"),
    (facts("config/_default/hugo.toml", "content"), "Hugo", "hugo --minify", "public"),
    (facts("config/_default/config.yaml", "content"), "Hugo", "hugo --minify", "public"),
    (facts("_config.yml", "Gemfile", texts={"Gemfile": 'gem "jekyll", "~> 4.3"'}), "Jekyll",
     "bundle exec jekyll build", "_site"),
    (facts("_config.yml"), "Jekyll", "jekyll build", "_site"),
    (facts("_config.yml", "Gemfile", texts={"Gemfile": 'source "https://rubygems.org"\ngem "github-pages"\n'}),
     "Jekyll", "bundle exec jekyll build", "_site"),  # GitHub Pages' gem brings Jekyll
    (facts("_config.yml", "Gemfile", texts={"Gemfile": 'source "https://rubygems.org"\ngemspec\n'}), "Jekyll",
     "bundle exec jekyll build", "_site"),  # a theme's repository: Jekyll comes from its gemspec
])
def test_each_site_kind_gives_its_build_and_output(survey: Survey, framework: str, build: str, output: str) -> None:
    site = detect_site(survey)
    assert (site.framework, site.build, site.output) == (framework, build, output)


@pytest.mark.parametrize(("package", "present", "note"), [
    (npm("next", build="next build"), (), "output: 'export'"),
    (npm("@sveltejs/kit", build="vite build"), (), "adapter-static"),
    (npm(build="webpack"), (), "no known framework"),
    (npm("nuxt", build="nuxt build"), (), "nuxi generate"),  # a server build, not a static site
])
def test_a_site_that_may_not_be_static_says_what_to_check(package: dict[str, Any], present: tuple[str, ...],
                                                          note: str) -> None:
    assert any(note in line for line in detect_site(facts("package.json", *present, package=package)).notes)


# A static-site generator's repository often has a package.json for its CSS tools or a theme's build
# (gohugoio/hugoDocs, squidfunk/mkdocs-material): without a known framework in it, the generator builds the site.
@pytest.mark.parametrize(("survey", "expected"), [
    (facts("package.json", "hugo.toml", package={"scripts": {"test": 'echo "Error: no test specified" && exit 1'}}),
     ("Hugo", "hugo --minify", "public", "")),
    (facts("package.json", "mkdocs.yml", package=npm("typescript", build="ts-node tools/build")),
     ("MkDocs", "mkdocs build --strict", "site", "")),
    (facts("package.json", "_config.yml", package=npm("jest", test="jest")), ("Jekyll", "jekyll build", "_site",
                                                                              "npm test")),
    (facts("package.json", "docs/conf.py", package=npm()), ("Sphinx", "sphinx-build -b html docs docs/_build/html",
                                                            "docs/_build/html", "")),
    (facts("package.json", "config.toml", "archetypes", "yarn.lock", package=npm("postcss-cli", test="stylelint .")),
     ("Hugo", "hugo --minify", "public", "yarn test")),
    (facts("package.json", "mkdocs.yml", package=npm("vite", build="vite build")), ("Vite", "npm run build", "dist",
                                                                                     "")),  # a framework wins
])
def test_a_package_json_without_a_known_framework_gives_way_to_the_site_generator(
        survey: Survey, expected: tuple[str, str, str, str]) -> None:
    site = detect_site(survey)
    assert (site.framework, site.build, site.output, site.tests) == expected
    assert not any("no known framework" in note for note in site.notes)


@pytest.mark.parametrize("name", ["config.yaml", "config.yml", "config.json"])
def test_a_config_file_alone_is_not_a_hugo_site(name: str) -> None:
    assert detect_site(facts(name)).framework == ""  # without Hugo's folders, any tool's configuration


def test_the_package_json_build_script_a_generator_may_need_first_is_named() -> None:
    site = detect_site(facts("package.json", "mkdocs.yml", package=npm(build="ts-node tools/build")))
    assert any('"npm run build && mkdocs build --strict"' in note for note in site.notes)


# Each tool's own option moving its output folder (its documentation's name for it), in each file form.
@pytest.mark.parametrize(("survey", "output", "source"), [
    (facts("mkdocs.yml", texts={"mkdocs.yml": "site_name: Docs\nsite_dir: public_html  # for the host\n"}),
     "public_html", "site_dir in mkdocs.yml"),
    (facts("mkdocs.yaml", texts={"mkdocs.yaml": "site_name: Docs\nsite_dir: 'build/site/'\n"}), "build/site",
     "site_dir in mkdocs.yaml"),
    (facts("hugo.toml", texts={"hugo.toml": "title = 'x'\npublishDir = \"docs\"\n"}), "docs",
     "publishDir in hugo.toml"),
    (facts("config.toml", "archetypes", texts={"config.toml": "publishdir = 'out'\n"}), "out",
     "publishDir in config.toml"),  # Hugo's keys are case-insensitive
    (facts("hugo.yaml", texts={"hugo.yaml": "publishDir: dist\n"}), "dist", "publishDir in hugo.yaml"),
    (facts("hugo.json", texts={"hugo.json": '{\n  "publishDir": "www",\n  "title": "x"\n}\n'}), "www",
     "publishDir in hugo.json"),
    (facts("hugo.yml", texts={"hugo.yml": "publishDir: docs\n"}), "docs", "publishDir in hugo.yml"),
    (facts("config.yaml", "archetypes", texts={"config.yaml": "baseURL: /\npublishDir: out\n"}), "out",
     "publishDir in config.yaml"),
    (facts("config/_default/hugo.toml", texts={"config/_default/hugo.toml": "publishDir = 'docs'\n"}), "docs",
     "publishDir in config/_default/hugo.toml"),
    (facts("_config.yml", texts={"_config.yml": "title: x\ndestination: ./docs\n"}), "docs",
     "destination in _config.yml"),
    (facts("package.json", "vite.config.ts", package=npm("vite", build="tsc && vite build"),
           texts={"vite.config.ts": "export default defineConfig({\n  build: { outDir: 'build' },\n})\n"}), "build",
     "outDir in vite.config.ts"),
    (facts("package.json", package=npm("vite", build="tsc -b && vite build --outDir www")), "www",
     "--outDir in package.json's build script"),
    (facts("package.json", "vite.config.ts", package=npm("vite", build="vite build --outDir=www"),
           texts={"vite.config.ts": "build: { outDir: 'build' }"}), "www",
     "--outDir in package.json's build script"),  # the command line overrides the file
    # Vite resolves outDir (dist by default) against its project root: `root` in vite.config.*, or `vite build DIR`
    (facts("package.json", "vite.config.js", package=npm("vite", build="vite build"),
           texts={"vite.config.js": "export default {\n  root: 'src',\n  build: { outDir: '../dist' },\n}\n"}),
     "dist", "outDir in vite.config.js, root in vite.config.js"),
    (facts("package.json", "vite.config.ts", package=npm("vite", build="vite build"),
           texts={"vite.config.ts": "export default defineConfig({ root: './web' })\n"}),
     "web/dist", "root in vite.config.ts"),
    (facts("package.json", package=npm("vite", build="vite build src --outDir public")), "src/public",
     "--outDir in package.json's build script, root in package.json's build script"),
    (facts("package.json", "astro.config.mjs", package=npm("astro", build="astro build"),
           texts={"astro.config.mjs": "export default defineConfig({ outDir: './build' });"}), "build",
     "outDir in astro.config.mjs"),
    (facts("package.json", "svelte.config.js", package=npm("@sveltejs/kit", "@sveltejs/adapter-static",
                                                           build="vite build"),
           texts={"svelte.config.js": "kit: { adapter: adapter({ pages: 'public', assets: 'public' }) }"}), "public",
     "pages in svelte.config.js"),
    (facts("package.json", ".eleventy.js", package=npm("@11ty/eleventy", build="eleventy"),
           texts={".eleventy.js": "return { dir: { input: 'src', output: 'dist' } };"}), "dist",
     "output in .eleventy.js"),
    (facts("package.json", "next.config.mjs", package=npm("next", build="next build"),
           texts={"next.config.mjs": "export default { output: 'export', distDir: 'static' }"}), "static",
     "distDir in next.config.mjs"),
])
def test_an_output_folder_the_tools_configuration_sets_is_read(survey: Survey, output: str, source: str) -> None:
    site = detect_site(survey)
    assert (site.output, site.output_from) == (output, source)


@pytest.mark.parametrize(("survey", "named"), [
    (facts("package.json", "vite.config.js", package=npm("vite", build="vite build"),
           texts={"vite.config.js": "export default {\n  build: {\n    outDir: \"../server/public\",\n  }\n}\n"}),
     "outDir in vite.config.js names ../server/public, outside the repository"),
    (facts("hugo.toml", texts={"hugo.toml": "publishDir = '/var/www/html'\n"}),
     "publishDir in hugo.toml names /var/www/html, outside the repository"),
])
def test_an_output_folder_outside_the_repository_is_a_check_not_the_output(survey: Survey, named: str) -> None:
    site = detect_site(survey)  # deploylib builds only inside the repository ([build] output is refused outside)
    assert (site.output, site.output_from) == ({"Vite": "dist", "Hugo": "public"}[site.framework], "")
    assert any(note.startswith(named) for note in site.notes), site.notes


@pytest.mark.parametrize(("survey", "default"), [
    (facts("mkdocs.yml", texts={"mkdocs.yml": "site_name: x\n# site_dir: old\nnav:\n  - site_dir: a.md\n"}),
     "site"),  # a comment, and a nested key of another table
    (facts("package.json", "vite.config.ts", package=npm("vite", build="vite build"),
           texts={"vite.config.ts": "// outDir: 'old'\nexport default {}\n"}), "dist"),
])
def test_comments_and_nested_keys_leave_the_default_output(survey: Survey, default: str) -> None:
    site = detect_site(survey)
    assert (site.output, site.output_from) == (default, "")


@pytest.mark.parametrize(("survey", "value"), [
    (facts("package.json", "vite.config.ts", package=npm("vite", build="vite build"),
           texts={"vite.config.ts": "build: {\n  outDir: resolve(__dirname, 'build'),\n}"}),
     "resolve(__dirname, 'build')"),
    (facts("package.json", "astro.config.mjs", package=npm("astro", build="astro build"),
           texts={"astro.config.mjs": "outDir: `${root}/out`,"}), "`${root}/out`"),  # interpolated
    (facts("mkdocs.yml", texts={"mkdocs.yml": "site_dir: !ENV [SITE_DIR, 'site']\n"}), "!ENV [SITE_DIR, 'site']"),
    (facts("hugo.toml", texts={"hugo.toml": "publishDir = env.OUT\n"}), "env.OUT"),
])
def test_an_output_folder_set_by_an_expression_is_flagged(survey: Survey, value: str) -> None:
    site = detect_site(survey)
    default = {"Vite": "dist", "Astro": "dist", "MkDocs": "site", "Hugo": "public"}[site.framework]
    assert (site.output, site.output_from) == (default, "")
    assert any(f"sets {_key(site.framework)} to {value}, which init cannot read" in note for note in site.notes), \
        site.notes


def _key(framework: str) -> str:
    return {"Vite": "outDir", "Astro": "outDir", "MkDocs": "site_dir", "Hugo": "publishDir"}[framework]


def test_where_the_output_folder_was_read_is_said_in_the_file() -> None:
    text = deploy_toml(plan(site=Site("Vite", "npm run build", "build", "", "", (), "outDir in vite.config.ts")))
    assert "# Vite writes the site to build/ (outDir in vite.config.ts)" in text


@pytest.mark.parametrize(("scripts", "tests", "deploy"), [
    ({"test": "vitest run"}, "npm test", ""),
    ({"test": 'echo "Error: no test specified" && exit 1'}, "", ""),  # npm init's placeholder always fails
    ({"deploy": "gh-pages -d dist"}, "", "npm run deploy"),
    ({}, "", ""),
])
def test_package_scripts_give_the_test_and_deploy_commands(scripts: dict[str, str], tests: str, deploy: str) -> None:
    site = detect_site(facts("package.json", package={"scripts": scripts, "dependencies": {"vite": "5"}}))
    assert (site.tests, site.deploy) == (tests, deploy)


@pytest.mark.parametrize(("present", "package", "build", "tests"), [
    (("pnpm-lock.yaml",), npm("vite", build="vite build", test="vitest"), "pnpm run build", "pnpm test"),
    (("yarn.lock",), npm("vite", build="vite build", test="vitest"), "yarn run build", "yarn test"),
    (("bun.lock",), npm("vite", build="vite build", test="vitest"), "bun run build", "bun run test"),  # Bun >= 1.2
    (("bun.lockb",), npm("vite", build="vite build", test="vitest"), "bun run build", "bun run test"),
    ((), {**npm("vite", build="vite build", test="vitest"), "packageManager": "pnpm@9.1.0"}, "pnpm run build",
     "pnpm test"),  # corepack refuses another package manager
    (("package-lock.json",), {**npm("vite", build="vite build", test="t"), "packageManager": "yarn@4.2.2+sha256.ab"},
     "yarn run build", "yarn test"),
    ((), {**npm("vite", build="vite build", test="vitest"), "packageManager": "bun@1.1.0"}, "bun run build",
     "bun run test"),
    ((), {**npm("vite", build="vite build", test="vitest"), "packageManager": 3}, "npm run build", "npm test"),
    ((), npm("vite", build="vite build", test="vitest"), "npm run build", "npm test"),
])
def test_the_package_manager_the_project_uses_runs_its_scripts(present: tuple[str, ...], package: dict[str, Any],
                                                               build: str, tests: str) -> None:
    site = detect_site(facts("package.json", *present, package=package))
    assert (site.build, site.tests) == (build, tests)


def monorepo(*present: str, root: dict[str, Any], **workspaces: dict[str, Any]) -> Survey:
    return facts("package.json", *present, package=root,
                 workspaces={folder.replace("__", "/"): package for folder, package in workspaces.items()})


@pytest.mark.parametrize(("survey", "expected"), [
    (monorepo(root={"workspaces": ["apps/*"], **npm("turbo", build="turbo run build", test="turbo run test")},
              apps__web=npm("vite", build="tsc && vite build"), packages__ui=npm("typescript", build="tsc")),
     ("Vite", "npm run build", "apps/web/dist", "npm test", "the apps/web workspace")),
    (monorepo("pnpm-lock.yaml", root=npm("prettier"), site=npm("astro", build="astro build")),
     ("Astro", "cd site && pnpm run build", "site/dist", "", "the site workspace")),  # no root build script
    (monorepo(root=npm(build="nx run-many -t build"), apps__docs=npm("@11ty/eleventy")),
     ("Eleventy", "npm run build", "apps/docs/_site", "", "the apps/docs workspace")),
])
def test_a_monorepos_one_site_workspace_gives_the_output_under_its_folder(
        survey: Survey, expected: tuple[str, str, str, str, str]) -> None:
    site = detect_site(survey)
    assert (site.framework, site.build, site.output, site.tests, site.output_from) == expected


def test_a_monorepo_with_several_sites_names_them_all() -> None:
    site = detect_site(monorepo(root=npm(build="turbo run build"), apps__web=npm("vite"), apps__docs=npm("astro")))
    assert site.framework == "" and site.output == "dist"
    assert ("the workspaces hold several sites: apps/docs (Astro, apps/docs/dist/), apps/web (Vite, apps/web/dist/)"
            in site.notes[0])


def test_a_monorepo_without_a_site_workspace_is_a_package_json_without_a_framework() -> None:
    site = detect_site(monorepo(root=npm(build="turbo run build"), packages__lib=npm("typescript")))
    assert (site.framework, site.output) == ("", "dist") and "no known framework" in site.notes[0]


@pytest.mark.parametrize(("package", "pnpm", "expected"), [
    ({"workspaces": ["apps/*", "packages/*"]}, "", ("apps/*", "packages/*")),
    ({"workspaces": {"packages": ["sites/*"], "nohoist": ["**/x"]}}, "", ("sites/*",)),  # yarn 1's form
    (None, "packages:\n  - 'apps/*'\n  - \"docs\"  # the handbook\n  - '!**/test/**'\ncatalog:\n  x: 1\n",
     ("apps/*", "docs")),
    ({"workspaces": "apps/*"}, "", ()),
    ({}, "", ()),
])
def test_the_workspace_globs_of_npm_yarn_bun_and_pnpm(package: dict[str, Any] | None, pnpm: str,
                                                      expected: tuple[str, ...]) -> None:
    assert workspace_patterns(package, pnpm) == expected


def test_a_package_json_that_is_not_an_object_counts_as_absent_and_is_named() -> None:
    site = detect_site(facts("package.json", "mkdocs.yml", package=None))
    assert site.framework == "MkDocs"
    assert any("package.json is not a JSON object init can read" in note for note in site.notes)


def test_without_a_package_json_nothing_is_said_of_it() -> None:
    assert not any("package.json" in note for note in detect_site(facts("mkdocs.yml")).notes)


def test_a_gh_pages_branch_with_a_cname_serves_at_the_domain() -> None:
    plan = detect(facts("mkdocs.yml", origin="git@github.com:acme/docs.git", pages=True, pages_cname="docs.acme.io"))
    assert plan.pages == Pages("git@github.com:acme/docs.git", "https://docs.acme.io/", "docs.acme.io")


def plan(**changes: Any) -> Plan:
    base = Plan(site=Site("Vite", "npm run build", "dist", "npm test", ""), tags=Tags("v{version}", "v1.2.0", 3),
                branch="main", branch_guessed=False, origin="git@github.com:acme/site.git", repository="acme/site",
                pages=Pages("git@github.com:acme/site.git", "https://acme.github.io/site/", ""), output_ignored=True)
    return replace(base, **changes)


def rendered(p: Plan) -> dict[str, Any]:
    return tomllib.loads(deploy_toml(p))


def test_the_rendering_carries_every_detected_value() -> None:
    config = rendered(plan())
    assert config["gate"] == {"tests": "npm test"}
    assert config["build"] == {"command": "npm run build", "output": "dist"}
    assert config["release"] == {"branch": "main", "tag_format": "v{version}", "github": {"repository": "acme/site"}}
    assert config["deploy"] == {"require_staging": True, "staging": "test"}
    assert config["environments"]["production"]["target"] == {"type": "github-pages",
                                                               "remote": "git@github.com:acme/site.git"}
    assert config["environments"]["production"]["url"] == "https://acme.github.io/site/"
    assert config["environments"]["test"]["target"]["type"] == "local"


@pytest.mark.parametrize(("changes", "absent"), [
    ({"pages": None}, "production"),  # no gh-pages: production is an example to complete, commented out
    ({"pages": Pages("/srv/git/site.git", "", "")}, "production"),  # no URL known
    ({"pages": None, "site": Site("Vite", "npm run build", "dist", "", "npm run deploy")}, "production"),
])
def test_a_production_without_a_known_url_is_written_commented_out(changes: dict[str, Any], absent: str) -> None:
    text = deploy_toml(plan(**changes))
    assert absent not in rendered(plan(**changes))["environments"] and "# [environments.production]" in text
    assert "deploy" not in rendered(plan(**changes))  # require_staging only with a production


def test_without_origin_nothing_is_pushed_and_no_github_release_is_made() -> None:
    config = rendered(plan(origin="", repository="", pages=None))
    assert config["release"]["push"] is False and "github" not in config["release"]


def test_values_with_quotes_and_backslashes_stay_toml() -> None:
    config = rendered(plan(site=Site("", 'echo "a\\b" && make', "out dir", "", ""), branch="feat/ünï"))
    assert (config["build"]["command"], config["build"]["output"]) == ('echo "a\\b" && make', "out dir")
    assert config["release"]["branch"] == "feat/ünï"


def test_an_output_folder_git_does_not_ignore_is_pointed_out() -> None:
    assert "dist/ is not in .gitignore" in deploy_toml(plan(output_ignored=False))
    assert ".gitignore" not in deploy_toml(plan())


@pytest.mark.parametrize(("branch", "origin_head", "holding", "expected"), [
    ("trunk", "main", ("main",), ("trunk", False)),
    ("", "master", ("main",), ("master", True)),  # detached (a CI checkout, a bisect): origin's default branch
    ("", "", ("master",), ("master", True)),  # no origin: the local branch holding HEAD's commit
    ("", "", ("feature", "master", "zeta"), ("master", True)),  # main or master first
    ("", "", ("gh-pages", "trunk"), ("trunk", True)),  # never the served branch
    ("", "", (), ("main", True)),
])
def test_the_release_branch_is_the_checked_out_one_or_a_guess_marked_check(
        branch: str, origin_head: str, holding: tuple[str, ...], expected: tuple[str, bool]) -> None:
    found = detect(facts("mkdocs.yml", branch=branch, origin_head=origin_head, holding_head=holding))
    assert (found.branch, found.branch_guessed) == expected
    assert ("# CHECK: HEAD was detached" in deploy_toml(found)) is expected[1]


def test_the_dodo_py_written_is_deploylibs_own() -> None:
    assert (REPO / "dodo.py").read_text() == DODO
