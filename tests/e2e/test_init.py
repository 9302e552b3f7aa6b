"""`deploylib init` in real repositories: one small skeleton per kind of project (no network, no npm install),
each giving the expected keys, loading, and running `doit release --dry-run`; one deploys for real."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from deploylib.init.render import DODO
from tests.conftest import REPO, git, new_repo, run_doit

pytestmark = pytest.mark.slow


def package(*deps: str, **scripts: str) -> str:
    return json.dumps({"name": "site", "private": True, "scripts": scripts,
                       "devDependencies": dict.fromkeys(deps, "*")})


# kind: (files, the [build] table init should write)
SKELETONS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "vite": ({"package.json": package("vite", build="vite build", test="vitest run"), "index.html": "<h1>Hi</h1>"},
             {"command": "npm run build", "output": "dist"}),
    "astro": ({"package.json": package("astro", build="astro build"), "astro.config.mjs": "export default {}",
               "src/pages/index.astro": "<h1>Hi</h1>"}, {"command": "npm run build", "output": "dist"}),
    "create-react-app": ({"package.json": package("react-scripts", build="react-scripts build"),
                          "public/index.html": "<div id=root></div>"}, {"command": "npm run build", "output": "build"}),
    "next-export": ({"package.json": package("next", build="next build"),
                     "next.config.mjs": "export default { output: 'export' }", "app/page.js": "export default 1"},
                    {"command": "npm run build", "output": "out"}),
    "eleventy": ({"package.json": package("@11ty/eleventy", build="eleventy"), "index.md": "# Hi"},
                 {"command": "npm run build", "output": "_site"}),
    "sveltekit-static": ({"package.json": package("@sveltejs/kit", "@sveltejs/adapter-static", "vite",
                                                  build="vite build"),
                          "svelte.config.js": "import adapter from '@sveltejs/adapter-static'"},
                         {"command": "npm run build", "output": "build"}),
    "mkdocs": ({"mkdocs.yml": "site_name: Docs\n", "docs/index.md": "# Hi"},
               {"command": "mkdocs build --strict", "output": "site"}),
    "sphinx": ({"docs/conf.py": "project = 'x'\n", "docs/index.rst": "Hi\n==\n",
                "pyproject.toml": "[project]\nname = 'x'\n[tool.ruff]\nline-length = 100\n"},
               {"command": "sphinx-build -b html docs docs/_build/html", "output": "docs/_build/html"}),
    "hugo": ({"hugo.toml": "title = 'x'\n", "content/_index.md": "Hi"},
             {"command": "hugo --minify", "output": "public"}),
    "hugo-config-folder": ({"config/_default/hugo.yaml": "publishDir: docs\n", "content/_index.md": "Hi"},
                           {"command": "hugo --minify", "output": "docs"}),
    "jekyll": ({"_config.yml": "title: x\n", "Gemfile": 'gem "jekyll"\n', "index.md": "# Hi"},
               {"command": "bundle exec jekyll build", "output": "_site"}),
    "vite-out-dir": ({"package.json": package("vite", "typescript", build="tsc && vite build"),
                      "vite.config.ts": "export default defineConfig({\n  build: { outDir: 'www' },\n})\n"},
                     {"command": "npm run build", "output": "www"}),
    "vite-root": ({"package.json": package("vite", build="vite build"),
                   "vite.config.js": "export default { root: 'src' }\n", "src/index.html": "<h1>Hi</h1>"},
                  {"command": "npm run build", "output": "src/dist"}),
    "mkdocs-site-dir": ({"mkdocs.yml": "site_name: Docs\nsite_dir: public_html\n", "docs/index.md": "# Hi"},
                        {"command": "mkdocs build --strict", "output": "public_html"}),
    "docusaurus": ({"package.json": package("@docusaurus/core", "react", build="docusaurus build"),
                    "docs/intro.md": "# Hi"}, {"command": "npm run build", "output": "build"}),
    "vitepress": ({"package.json": package("vitepress", build="vitepress build docs"), "docs/index.md": "# Hi"},
                  {"command": "npm run build", "output": "docs/.vitepress/dist"}),
    "npm-workspaces": ({"package.json": json.dumps({"name": "root", "private": True, "workspaces": ["apps/*"],
                                                    "scripts": {"build": "npm run build --workspaces --if-present"}}),
                        "apps/web/package.json": package("vite", build="vite build"),
                        "apps/web/index.html": "<h1>Hi</h1>", "packages/ui/package.json": package("typescript")},
                       {"command": "npm run build", "output": "apps/web/dist"}),
    "hugo-with-npm-tools": ({"hugo.toml": "publishDir = 'docs'\n", "content/_index.md": "Hi",
                             "package.json": package("postcss-cli", "tailwindcss")},
                            {"command": "hugo --minify", "output": "docs"}),
}


def init(repo: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deploylib", "init", *options], cwd=repo, capture_output=True,
                          text=True, timeout=120)


def written(repo: Path) -> dict[str, Any]:
    return tomllib.loads((repo / "deploy.toml").read_text())


@pytest.mark.parametrize("kind", list(SKELETONS))
def test_each_kind_of_project_gets_a_deploy_toml_that_loads_and_plans_a_release(kind: str, tmp_path: Path) -> None:
    files, build = SKELETONS[kind]
    repo = new_repo(tmp_path / kind, {**files, ".gitignore": f"{build['output']}/\nnode_modules/\n"}, "feat: site")
    done = init(repo)
    assert done.returncode == 0, done.stderr
    config = written(repo)
    assert config["build"] == build
    assert config["release"] == {"branch": "main", "tag_format": "v{version}", "push": False}
    assert config["environments"]["test"]["target"]["type"] == "local"
    assert (repo / "dodo.py").read_text() == DODO
    assert ".gitignore" not in (repo / "deploy.toml").read_text()  # the output folder written is the one ignored
    preview = run_doit(repo, "release", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "next version: 0.1.0" in preview.stdout


def test_an_output_folder_from_the_tools_configuration_that_git_does_not_ignore_is_pointed_out(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "site", {"hugo.toml": "publishDir = 'docs'\n", "content/_index.md": "Hi",
                                        ".gitignore": "public/\n"}, "feat: site")
    done = init(repo, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "# Hugo writes the site to docs/ (publishDir in hugo.toml)" in done.stdout
    assert "docs/ is not in .gitignore" in done.stdout


def test_on_a_detached_head_the_release_branch_is_the_local_one_holding_it_marked_check(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "docs", {"mkdocs.yml": "site_name: Docs\n", ".gitignore": "site/\n"}, "feat: docs")
    git(repo, "branch", "-m", "main", "master")  # an older repository's only branch, and no origin
    git(repo, "checkout", "-q", "--detach")  # as a CI checkout leaves it
    done = init(repo)
    assert done.returncode == 0, done.stderr
    assert written(repo)["release"]["branch"] == "master"
    assert 'branch = "master"  # CHECK: HEAD was detached' in (repo / "deploy.toml").read_text()


def test_tags_origin_and_gh_pages_give_the_release_and_a_pages_production(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "docs", {"mkdocs.yml": "site_name: Docs\n", "docs/index.md": "# Hi",
                                        ".gitignore": "site/\n"}, "feat: docs")
    for tag in ("docs-v1.2.0", "docs-v1.10.0", "unrelated"):
        git(repo, "tag", tag)
    git(repo, "remote", "add", "origin", "https://github.com/Acme/handbook.git")
    git(repo, "checkout", "-q", "--orphan", "gh-pages")
    git(repo, "rm", "-rfq", ".")
    (repo / "CNAME").write_text("handbook.acme.example\n")
    git(repo, "add", "CNAME")
    git(repo, "commit", "-qm", "publish")
    git(repo, "checkout", "-q", "main")
    assert init(repo).returncode == 0
    config = written(repo)
    assert config["release"] == {"branch": "main", "tag_format": "docs-v{version}",
                                 "github": {"repository": "Acme/handbook"}}
    production = config["environments"]["production"]
    assert production["target"] == {"type": "github-pages", "remote": "https://github.com/Acme/handbook.git",
                                    "cname": "handbook.acme.example"}
    assert production["url"] == "https://handbook.acme.example/"
    assert config["deploy"] == {"require_staging": True, "staging": "test"}
    assert "highest, docs-v1.10.0, is the last release" in (repo / "deploy.toml").read_text()
    preview = run_doit(repo, "release", "--dry-run")
    assert preview.returncode == 0 and "1.10.0 is already released" in preview.stdout, preview.stdout


def test_mixed_tags_and_a_maintenance_branch_give_the_format_and_last_release_the_release_uses(
        tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "docs", {**SKELETONS["mkdocs"][0], ".gitignore": "site/\n"}, "feat: docs")
    for n, tag in enumerate(("1.0.0", "1.1.0", "1.2.0", "v1.3.0")):  # three old tags, then the v format
        git(repo, "commit", "-q", "--allow-empty", "-m", f"feat: part {n}")
        git(repo, "tag", tag)
    git(repo, "checkout", "-q", "-b", "maint-1.3")
    git(repo, "commit", "-q", "--allow-empty", "-m", "fix: backport")
    git(repo, "tag", "v1.3.1")  # on the maintenance branch only
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: more")
    assert init(repo).returncode == 0
    text = (repo / "deploy.toml").read_text()
    assert written(repo)["release"]["tag_format"] == "v{version}"
    assert "the highest, v1.3.0, is the last release" in text
    assert "# CHECK: v1.3.1 tagged off this branch's history" in text
    assert "# CHECK: 3 tag(s) in another format, like 1.2.0" in text
    preview = run_doit(repo, "release", "--dry-run")
    assert preview.returncode == 0 and "next version: 1.4.0" in preview.stdout, preview.stdout + preview.stderr


def test_the_written_configuration_deploys_for_real_to_its_local_target(tmp_path: Path) -> None:
    build = ("node -e \"const fs=require('fs');fs.mkdirSync('dist',{recursive:true});"
             "fs.copyFileSync('index.html','dist/index.html')\"")
    repo = new_repo(tmp_path / "app", {"package.json": package("vite", build=build, test="node -e 0"),
                                       "index.html": "<h1>Hello</h1>", ".gitignore": "dist/\nnode_modules/\n"},
                    "feat: the site")
    assert init(repo).returncode == 0
    git(repo, "add", "deploy.toml", "dodo.py")
    git(repo, "commit", "-qm", "chore: deploylib init")
    deployed = run_doit(repo, "deploy:test")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert (repo / ".deploylib" / "test-site" / "current" / "index.html").read_text() == "<h1>Hello</h1>"
    assert git(repo, "tag", "--list") == "v0.1.0"
    assert "✓ validate home page" in deployed.stdout


def test_dry_run_prints_both_files_and_writes_nothing(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "site", SKELETONS["hugo"][0], "feat: site")
    done = init(repo, "--dry-run")
    assert done.returncode == 0
    assert f"# ---- {repo / 'deploy.toml'} (--dry-run: not written) ----" in done.stdout
    assert 'command = "hugo --minify"' in done.stdout and "from deploylib.tasks import *" in done.stdout
    assert "public/ is not in .gitignore" in done.stdout  # no .gitignore in this skeleton
    assert not (repo / "deploy.toml").exists() and not (repo / "dodo.py").exists()


@pytest.mark.parametrize(("name", "text"), [
    ("deploy.toml", "[build]\n"),
    ("dodo.py", "def task_hello():\n    return {'actions': ['echo hi']}\n"),
    ("pyproject.toml", "[tool.deploylib.build]\ncommand = 'make'\n"),
])
def test_an_existing_file_is_never_overwritten(name: str, text: str, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "site", {**SKELETONS["mkdocs"][0], name: text}, "feat: site")
    before = {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()}
    done = init(repo)
    assert done.returncode == 3 and f"{repo / name} already exists" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()} == before  # nothing written at all


def test_deploylibs_own_dodo_py_is_kept_and_only_deploy_toml_written(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "site", {**SKELETONS["mkdocs"][0], "dodo.py": (REPO / "dodo.py").read_text()},
                    "feat: site")
    done = init(repo)
    assert done.returncode == 0 and "wrote" in done.stdout and "dodo.py" not in done.stdout.split("found:")[0]
    assert (repo / "deploy.toml").is_file()


def test_outside_a_git_repository_init_says_so(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    done = init(tmp_path)
    assert done.returncode == 3 and "is not inside a git repository" in done.stderr
    assert not (tmp_path / "deploy.toml").exists()


def test_a_date_tag_that_is_not_semver_is_no_release_tag(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "site", {**SKELETONS["mkdocs"][0], ".gitignore": "site/\n"}, "feat: site")
    git(repo, "tag", "2024.01.15")  # CalVer with leading zeros: numbers SemVer refuses
    done = init(repo)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert written(repo)["release"]["tag_format"] == "v{version}"


@pytest.mark.parametrize(("tag", "tag_format", "next_version"), [
    ("site@1.4.0", "site@{version}", "1.5.0"),  # changesets' name@version
    ("release-2.0.0", "release-{version}", "2.1.0"),
    ("release/0.3.1", "release/{version}", "0.4.0"),
])
def test_a_tag_with_another_prefix_gives_its_format_and_the_release_continues_from_it(
        tmp_path: Path, tag: str, tag_format: str, next_version: str) -> None:
    repo = new_repo(tmp_path / "site", {**SKELETONS["mkdocs"][0], ".gitignore": "site/\n"}, "feat: site")
    git(repo, "tag", tag)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: more")
    assert init(repo).returncode == 0
    assert written(repo)["release"]["tag_format"] == tag_format
    preview = run_doit(repo, "release", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert f"next version: {next_version}" in preview.stdout


@pytest.mark.parametrize("text", ['{"scripts": {"build": "vite build",}}',  # a trailing comma
                                  '{"scripts": ' + "[" * 100_000 + "]" * 100_000 + "}"],  # nested past json's limit
                         ids=["trailing comma", "too deep"])
def test_a_package_json_that_is_not_json_is_pointed_out(tmp_path: Path, text: str) -> None:
    repo = new_repo(tmp_path / "site", {"package.json": text, "index.html": "<h1>Hi</h1>"}, "feat: site")
    done = init(repo, "--dry-run")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "# CHECK: package.json is not a JSON object init can read" in done.stdout


@pytest.mark.parametrize(("files", "build"), [
    ({"package.json": "\ufeff" + package("vite", build="vite build"), "index.html": "<h1>Hi</h1>"},
     {"command": "npm run build", "output": "dist"}),  # npm and Node strip it, as Windows editors write it
    ({"mkdocs.yml": "\ufeffsite_dir: www\nsite_name: Docs\n", "docs/index.md": "# Hi"},
     {"command": "mkdocs build --strict", "output": "www"}),  # a key on the first line
])
def test_a_file_starting_with_a_byte_order_mark_is_read_as_without_it(tmp_path: Path, files: dict[str, str],
                                                                     build: dict[str, str]) -> None:
    repo = new_repo(tmp_path / "site", {**files, ".gitignore": f"{build['output']}/\n"}, "feat: site")
    done = init(repo)
    assert done.returncode == 0, done.stderr
    assert written(repo)["build"] == build
    assert "not a JSON object" not in (repo / "deploy.toml").read_text()
