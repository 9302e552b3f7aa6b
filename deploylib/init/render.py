"""The text `deploylib init` writes: a deploy.toml whose comments say where each value came from, and the
dodo.py every deploylib repository holds. Pure."""

from __future__ import annotations

import json

from deploylib.init.detect import Plan

# The same bytes as dodo.py at the top of deploylib's own repository (a test keeps the two equal).
DODO = '''"""deploylib's tasks. Copy this file unchanged into any repository with a deploy.toml."""

from deploylib.tasks import *  # noqa: F403
'''

TEST_PATH = ".deploylib/test-site"  # inside the state folder, which git ignores: the clean-tree gate stays green


def _q(text: str) -> str:
    """A TOML basic string: JSON's escapes are all valid TOML escapes."""
    return json.dumps(text, ensure_ascii=False)


def _check(env: str) -> list[str]:
    return [f"[[environments.{env}.checks]]", 'name = "home page"', 'path = "/"',
            "status = 200  # add contains = \"…\" with a phrase your home page always shows", ""]


def found(plan: Plan) -> list[str]:
    """What init found, one phrase each, for the file's header and the command's output."""
    site, tags = plan.site, plan.tags
    facts = [f"{site.framework} site" if site.framework else "no known site generator"]
    facts += [f"tests: {site.tests}"] if site.tests else []
    facts += [f"{tags.count} release tag(s) like {tags.highest}"] if tags.highest else ["no release tag yet"]
    facts += [f"origin {plan.repository or plan.origin}"] if plan.origin else ["no origin remote"]
    facts += [f"a gh-pages branch served at {plan.pages.url or '(unknown URL)'}"] if plan.pages else []
    return facts


def deploy_toml(plan: Plan) -> str:
    """The whole deploy.toml for `plan`. It loads as written (commented-out tables aside)."""
    site, tags = plan.site, plan.tags
    lines = ["# deploy.toml, written by `deploylib init` from what it found in this repository:",
             *(f"#   {fact}" for fact in found(plan)),
             '# Every key is explained in deploylib\'s README ("Configuration reference"). Lines marked CHECK need',
             "# your eye. Try it with: doit release --dry-run   (then doit deploy:test)", ""]
    lines += ["[gate]"]
    lines += (["# package.json's test script: it must pass before anything is built", f"tests = {_q(site.tests)}"]
              if site.tests else ['# tests = "…"   the command that runs your tests; none was found'])
    lines += ["", "[build]"]
    lines += [f"# {site.framework} writes the site to {site.output}/"
              + (f" ({site.output_from})" if site.output_from else "") if site.framework else
              "# CHECK: the command that builds the site and the folder it writes"]
    lines += [f"command = {_q(site.build)}" if site.build else 'command = "true"  # CHECK: no build command found',
              f"output = {_q(site.output)}"]
    lines += [f"# CHECK: {note}" for note in site.notes]
    if not plan.output_ignored:
        lines += [f"# CHECK: {site.output}/ is not in .gitignore: add it, or the clean-tree gate fails once it is "
                  "built"]
    lines += ["", "[release]", f"branch = {_q(plan.branch)}  " + (
        "# CHECK: HEAD was detached when init ran; releases are made from this branch" if plan.branch_guessed else
        "# the branch checked out when init ran")]
    if tags.highest:
        lines += [f"# {tags.count} existing tag(s) in this format; the highest, {tags.highest}, is the last release",
                  f"tag_format = {_q(tags.format)}"]
    else:
        lines += ["# no release tag on this branch's history yet: the first release is 0.1.0, tagged "
                  + tags.format.replace("{version}", "0.1.0"), f"tag_format = {_q(tags.format)}"]
    lines += [f"# CHECK: {note}" for note in tags.notes]
    if not plan.origin:
        lines += ["push = false  # no origin remote: releases are tagged here only; add a remote and drop this line"]
    if plan.repository:
        lines += ["", "# A GitHub release for each new tag, with the artifact attached (needs GITHUB_TOKEN or GH_TOKEN "
                  "set);", "# delete this table to release without GitHub", "[release.github]",
                  f"repository = {_q(plan.repository)}"]
    active, production = _production(plan)
    if active:
        lines += ["", "[deploy]", "require_staging = true  # production takes only a build that passed on test",
                  'staging = "test"']
    lines += ["", "# test: a local folder deploylib serves on 127.0.0.1 for the checks (inside .deploylib/, which git",
              "# ignores). Validation runs after every switch; a failing check rolls back.", "[environments.test]",
              f'target = {{ type = "local", path = {_q(TEST_PATH)} }}', "", *_check("test"), *production]
    return "\n".join(lines).rstrip("\n") + "\n"


def _production(plan: Plan) -> tuple[bool, list[str]]:
    """The production environment's lines, and whether they are live TOML (else an example to complete, commented
    out so the file loads: a target without a known URL cannot be validated)."""
    pages, site = plan.pages, plan.site
    if pages is not None and pages.url:
        cname = f", cname = {_q(pages.cname)}" if pages.cname else ""
        return True, ["# production: the gh-pages branch of origin, served by GitHub Pages",
                "[environments.production]",
                f'target = {{ type = "github-pages", remote = {_q(pages.remote)}{cname} }}',
                f"url = {_q(pages.url)}", "", *_check("production")]
    if site.deploy:
        why = f"# production: your package.json's deploy script ({site.deploy}). Set its url, then uncomment:"
        target = f'target = {{ type = "command", deploy = {_q(site.deploy)} }}'
    elif pages is not None:
        why = "# production: the gh-pages branch, whose URL init could not tell. Set url, then uncomment:"
        target = f'target = {{ type = "github-pages", remote = {_q(pages.remote)} }}'
    else:
        why = ("# production: no deploy script or gh-pages branch was found. Pick a target (local, ssh, github-pages, "
               "command;\n# see the README), set url, then uncomment:")
        target = 'target = { type = "ssh", hosts = [{ address = "web1.example.com" }], path = "/srv/www/site" }'
    return False, [why, *(f"# {line}" if line else "#" for line in
                   ["[environments.production]", target, 'url = "https://example.com"', "", *_check("production")])]
