"""Nothing is written until everything that can be checked has been checked, and what cannot run is
said in words, not in git's or Python's: a user's repository with a deploy.toml, run with doit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_doit
from tests.deploytoml import COPY_SITE, check
from tests.e2e.test_user_repo import BUILD_AND_RELEASE, CONFIG, make_repo, with_origin

pytestmark = pytest.mark.slow

PUSHING = BUILD_AND_RELEASE.replace("push = false", "push = true")
LOCAL = CONFIG.replace("push = false", "push = true")  # one local environment, production


def nothing_written(repo: Path) -> None:
    """No tag, no release commit, no build, nothing live."""
    assert git(repo, "tag", "--list") == ""
    assert git(repo, "log", "-1", "--format=%s").startswith("feat: first page")
    assert not (repo / ".deploylib" / "build.json").exists() and not (repo.parent / "live").exists()


@pytest.mark.parametrize(("config", "fragment"), [
    (PUSHING + """
[environments.test]
target = { type = "github-pages", remote = "../pages.git" }
[[environments.test.checks]]
path = "/"
""", "[environments.test] url is missing: its github-pages target cannot serve releases"),
    (BUILD_AND_RELEASE + """
[environments.test]
target = { type = "command", deploy = "true" }
[[environments.test.checks]]
path = "/"
""", "[environments.test] url is missing: its command target cannot serve releases"),
    (LOCAL, '[release] push = true, but remote = "origin" (the default) is not a remote'),
    (LOCAL.replace("push = true", 'push = true\nremote = "upstream"'),
     '[release] push = true, but remote = "upstream" is not a remote'),
    (LOCAL.replace('{ type = "local", path = "../live" }', '{ type = "github-pages", remote = "../pages.git" }\n'
                   'url = "http://127.0.0.1:9"'),
     '[environments.production] target: remote = "../pages.git" is neither a URL nor an existing path'),
    (LOCAL.replace('{ type = "local", path = "../live" }', '{ type = "command", deploy = "no-such-publisher --now" }\n'
                   'url = "http://127.0.0.1:9"'),
     '[environments.production] target: deploy = "no-such-publisher --now" runs no-such-publisher, which is not '
     "installed"),
    (LOCAL.replace('path = "../live"', 'path = "site/index.html/live"'),
     "index.html is not a folder this user can write to"),
    (LOCAL + check("production", kind="browser", steps=[{"click": "button[type=submit"}]),
     '[environments.production.checks[1].steps[0]] click = "button[type=submit" (a string) is not a valid selector: '
     "a string, bracket or parenthesis is never closed"),
    (LOCAL.replace('output = "out"', 'output = "../origin.git"'),  # would be moved aside while the build runs
     '[build] output = "../origin.git" (a string) is outside the repository'),
    (LOCAL.replace('output = "out"', 'output = "."'), '[build] output = "." (a string) is the repository itself'),
    # a local target's folder in the repository: the build would move it aside, or the tree would be left dirty
    (LOCAL.replace('path = "../live"', 'path = "out/live"'), "which holds or is inside the build's output (out)"),
    (LOCAL.replace('path = "../live"', 'path = "."'), "which holds or is inside the build's output (out)"),
    (LOCAL.replace('path = "../live"', 'path = "site/live"'), "inside the repository where git does not ignore it"),
    (LOCAL.replace('path = "../live"', 'path = ".git/live"'), "inside .git, which is not a place"),
], ids=["pages-without-url", "command-without-url", "no-origin", "no-named-remote", "no-pages-remote",
        "no-publish-program", "target-under-a-file", "browser-selector", "output-outside", "output-the-repository",
        "target-in-the-output", "target-the-repository", "target-in-the-sources", "target-in-git"])
def test_a_configuration_that_cannot_finish_stops_with_exit_3_before_anything_is_written(
        tmp_path: Path, config: str, fragment: str) -> None:
    repo = make_repo(tmp_path / "site", config)
    if not fragment.startswith("[release] push"):  # only those cases lack the remote
        with_origin(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:test" if "environments.test" in config else "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()
    if "origin.git" in config:  # the output named the bare origin: it was never moved aside
        assert git(repo.parent / "origin.git", "rev-parse", "--is-bare-repository") == "true"


@pytest.mark.parametrize(("test_target", "place"), [
    ('{ type = "local", path = "../live" }', "local directory"),
    ('{ type = "local", path = "site/../../live" }', "local directory"),  # another spelling of the same folder
    ('{ type = "local", path = "../link-to-live" }', "local directory"),  # a link to it
], ids=["same-path", "same-folder-spelled-otherwise", "link-to-it"])
def test_two_environments_going_live_in_one_place_stop_with_exit_3_before_anything_is_written(
        tmp_path: Path, test_target: str, place: str) -> None:
    (tmp_path / "live").mkdir()
    (tmp_path / "link-to-live").symlink_to(tmp_path / "live")
    repo = make_repo(tmp_path / "site", CONFIG + f"""
[environments.test]
target = {test_target}
confirm = false
[[environments.test.checks]]
path = "/"
""")
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:test")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"[environments.production] and [environments.test] both go live in {place} {tmp_path / 'live'}" in \
        result.stderr and "Traceback" not in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


@pytest.mark.parametrize("command", [
    ["deploy:staging"], ["validate:staging"], ["rollback", "--env", "staging"], ["history", "--env", "staging"],
    ["promote", "--env", "staging"], ["hotfix", "--env", "staging"],
    ["deploy:production", "rollback", "--env", "staging"],  # checked before the deploy, not after it
    ["release", "history", "--env", "staging"],
])
def test_an_environment_named_on_the_command_line_that_does_not_exist_is_exit_3(tmp_path: Path,
                                                                                  command: list[str]) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    result = run_doit(repo, *command)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "staging" in result.stderr and "Traceback" not in result.stderr
    nothing_written(repo)


MALFORMED = [  # (a task and an option with a value it cannot take, what the refusal says)
    (["history", "--limit", "-1"], '--limit "-1" is not how many entries to show; give a whole number from 0 to '
                                   "9223372036854775807"),
    (["history", "--limit", "-99999999999"], '--limit "-99999999999" is not how many entries'),
    (["history", "--limit=", "--json"], '--limit "" is not how many entries'),  # an unset variable: --limit="$N"
    (["history", "--limit", "abc"], '--limit "abc" is not how many entries'),
    (["history", "--limit", "1.5"], '--limit "1.5" is not how many entries'),
    (["history", "--limit", str(2**63)], f'--limit "{2**63}" is not how many entries to show; give a whole number '
                                         f"from 0 to {2**63 - 1}"),
    (["history", "--env", "staging"], '--env "staging": deploy.toml: there is no environment "staging"; the '
                                      "configured environments are: production."),
    (["rollback", "--env="], '--env "" names no environment; the configured environments are: production'),
    (["rollback", "--to="], '--to "" names no release; give its version (1.1.0)'),
    (["release", "--version=", "--dry-run"], '--version "" is not a semantic version; give MAJOR.MINOR.PATCH'),
    (["release", "--version", "v2.0.0"], '--version "v2.0.0" is not a semantic version (without the tag\'s "v")'),
    (["release", "--version", "2.0"], '--version "2.0" is not a semantic version'),
    (["release", "--prerelease="], '--prerelease "" is not a prerelease token; give letters and digits only'),
    (["release", "--prerelease", "rc.1"], '--prerelease "rc.1" is not a prerelease token'),
    (["hotfix", "--env", "Production"], '--env "Production": deploy.toml: there is no environment "Production"; the '
                                        'configured environments are: production. Did you mean "production"?'),
    (["history", "--limit"], "option --limit requires argument"),
    (["history", "--bogus"], "option --bogus not recognized"),
]


@pytest.mark.parametrize(("command", "said"), MALFORMED, ids=[" ".join(c) for c, _ in MALFORMED])
def test_a_malformed_option_value_is_one_paragraph_and_exit_3_before_anything_runs(
        tmp_path: Path, command: list[str], said: str) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, *command)
    assert result.returncode == 3, result.stdout + result.stderr
    task = command[0]
    assert result.stderr == f"ERROR: doit {task}: {said}" + result.stderr.partition(said)[2]
    assert result.stderr.endswith(f". Nothing was run; doit help {task} lists its options.\n")
    assert result.stdout == "" and result.stderr.count("\n") == 1  # one paragraph: no traceback, nothing run
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


def test_an_unpushed_commit_that_releases_nothing_is_never_deployed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL)
    with_origin(repo)
    assert run_doit(repo, "deploy:production").returncode == 0
    (repo / "README.md").write_text("How to build the site.\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "docs: explain the build")  # not pushed, and no release would push it
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pushed: 1 commit(s) not pushed to origin/main" in result.stderr and "git push" in result.stderr
    assert json.loads(run_doit(repo, "status", "--json").stdout)["environments"][0]["commit"] != \
        git(repo, "rev-parse", "HEAD")


def test_an_unpushed_commit_on_a_branch_without_upstream_is_never_deployed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL)
    with_origin(repo)
    assert run_doit(repo, "deploy:production").returncode == 0
    git(repo, "branch", "--unset-upstream")  # origin still has main; only the tracking setting is gone
    (repo / "README.md").write_text("How to build the site.\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "docs: explain the build")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is on no branch of origin and this run pushes nothing" in result.stderr


def test_a_commit_pushed_only_to_a_fork_that_is_the_upstream_is_never_deployed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL)
    with_origin(repo)
    assert run_doit(repo, "deploy:production").returncode == 0
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "fork.git")], check=True)
    git(repo, "remote", "add", "fork", str(tmp_path / "fork.git"))
    (repo / "site" / "index.html").write_text("<h1>Welcome, reader</h1>")
    git(repo, "commit", "-qam", "docs: a warmer welcome")
    git(repo, "push", "-q", "-u", "fork", "main")  # the upstream is now fork/main; origin never saw the commit
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "HEAD is on fork/main but on no branch of origin, where releases are pushed" in result.stderr
    assert (repo.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome</h1>"


EMPTY_COMMIT = ["commit", "-q", "--allow-empty", "-m", "chore: nothing changed"]
NOT_PUSHED = "1 commit(s) not pushed to origin/main, and no commit since the last release asks for a new one"


@pytest.mark.parametrize(("push", "changes", "fragment"), [
    ("true", [EMPTY_COMMIT], NOT_PUSHED),
    ("true", [["commit", "-q", "--amend", "-m", "chore(release): v0.1.0, reworded"]], "1 commit(s) behind origin/main"),
    ("false", [["commit", "-q", "--allow-empty", "-m", "feat: empty"]], "1 commit(s) not pushed to origin/main; push"),
    ("true", [EMPTY_COMMIT, ["tag", "nightly"]], NOT_PUSHED),  # a tag, but not a release's
], ids=["empty-commit", "amended-commit", "push-false", "tagged-not-a-release"])
def test_a_new_unpushed_commit_with_the_same_sources_is_judged_by_the_pushed_gate_again(
        tmp_path: Path, push: str, changes: list[list[str]], fragment: str) -> None:
    # the build writes the commit it was built from: a new commit is a new artifact even with the same sources
    release = f'push = {push}\ntag_format = "{{version}}"'  # any tag could then look like a release's
    repo = make_repo(tmp_path / "site", LOCAL.replace("push = true", release).replace(
        "cp -R site/. out/", "cp -R site/. out/ && echo $DEPLOY_COMMIT > out/commit.txt"))
    with_origin(repo)
    assert run_doit(repo, "deploy:production").returncode == 0
    git(repo, "push", "-q")  # with push = false, the release commit is pushed by hand
    live = (repo.parent / "live" / "current" / "commit.txt").read_text()
    for change in changes:
        git(repo, *change)
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"gate pushed            {fragment}" in result.stdout
    assert (repo.parent / "live" / "current" / "commit.txt").read_text() == live


def test_an_unpushed_commit_that_a_release_pushes_is_deployed_pushed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL)
    origin = with_origin(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "fix: a typo")
    assert run_doit(repo, "deploy:production").returncode == 0
    deployed = json.loads(run_doit(repo, "status", "--json").stdout)["environments"][0]["commit"]
    assert git(origin, "branch", "--contains", deployed) == "* main"


@pytest.mark.parametrize("where", ["no repository", "no commits"])
def test_a_folder_that_is_not_a_repository_with_commits_is_one_clear_paragraph(tmp_path: Path, where: str) -> None:
    root = tmp_path / "site"
    (root / "site").mkdir(parents=True)
    (root / "site" / "index.html").write_text("<h1>Welcome</h1>")
    (root / "deploy.toml").write_text(CONFIG)
    (root / "dodo.py").write_text("from deploylib.tasks import *  # noqa: F403\n")
    if where == "no commits":
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}  # never find a repository above the test's folder
    result = run_doit(root, "deploy:production", env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    said = result.stderr.strip()
    assert "fatal:" not in said and "Traceback" not in said and len(said.splitlines()) == 1
    assert ("is not inside a git repository" if where == "no repository" else "has no commits yet") in said
    version = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=root, capture_output=True,
                             text=True, env={**os.environ, **env})
    assert version.returncode == 3 and "fatal:" not in version.stderr
    assert ("is not inside a git repository" if where == "no repository" else "has no commits yet") in version.stderr


def test_read_only_tasks_do_not_need_the_gates_programs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", CONFIG.replace('tests = "grep -q Welcome site/index.html"',
                                                                       'tests = "no-such-test-runner --all"'))
    for command in (["status"], ["status", "--json"], ["history"], ["list"], ["release", "--dry-run"]):
        result = run_doit(repo, *command)
        assert result.returncode == 0, (command, result.stdout + result.stderr)
    version = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=repo, capture_output=True,
                             text=True)
    assert (version.returncode, version.stdout) == (0, "0.1.0\n")
    deploy = run_doit(repo, "deploy:production")
    assert deploy.returncode == 1 and "Gate failed: tests:" in deploy.stderr
    assert "runs no-such-test-runner, which is not installed or not on PATH" in deploy.stderr
    nothing_written(repo)


@pytest.mark.parametrize("task", ["status", "history"])
def test_json_output_is_the_whole_of_stdout(tmp_path: Path, task: str) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    assert run_doit(repo, "deploy:production").returncode == 0
    result = run_doit(repo, task, "--json")
    assert result.returncode == 0
    document = json.loads(result.stdout)  # the whole of stdout, not its last line
    assert document[{"status": "environments", "history": "entries"}[task]]


@pytest.mark.parametrize("command", [("release", "--dry-run"), ("changelog", "--full")])
def test_reading_the_history_of_a_repository_without_commits_is_one_clear_paragraph(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    root = tmp_path / "site"
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / "deploy.toml").write_text(CONFIG)
    (root / "dodo.py").write_text("from deploylib.tasks import *  # noqa: F403\n")
    result = run_doit(root, *command)
    said = result.stderr.strip()
    assert result.returncode != 0 and "fatal:" not in result.stdout + said and "Traceback" not in said
    assert "has no commits yet" in said


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda p: p.symlink_to("config/deploy.toml"), "is a symbolic link to config/deploy.toml, which does not exist"),
    (lambda p: p.mkdir(), "is a folder, not a file"),
    (lambda p: p.symlink_to(p.parent / "site"), "is a folder, not a file"),  # a link to a folder
    (lambda p: p.symlink_to(p.name), "is a symbolic link to deploy.toml, which cannot be followed"),  # a loop
    (lambda p: os.mkfifo(p), "is not a regular file"),  # reading it would wait forever
], ids=["dangling-link", "folder", "link-to-folder", "link-loop", "fifo"])
def test_a_deploy_toml_that_is_not_a_file_is_named_instead_of_running_the_demo(tmp_path: Path, make,
                                                                                fragment: str) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    (repo / "deploy.toml").unlink()
    make(repo / "deploy.toml")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"deploy.toml {fragment}" in result.stderr and "Traceback" not in result.stderr
    assert not (repo / ".deploylib" / "demo").exists()


@pytest.mark.parametrize(("remote", "make", "kind"), [
    ("../pages", lambda p: p.mkdir(), "a folder"),
    ("../pages.git", lambda p: p.write_text("not a repository\n"), "a file"),
    ("../pages/www", lambda p: (p.mkdir(parents=True), git(p.parent, "init", "-q")), "a folder"),  # inside one
    ("file://{root}/pages", lambda p: p.mkdir(), "a folder"),
], ids=["empty-folder", "file", "folder-inside-a-repository", "file-url"])
def test_a_local_pages_remote_that_is_not_a_repository_stops_before_anything_is_tagged(
        tmp_path: Path, remote: str, make, kind: str) -> None:
    remote = remote.format(root=tmp_path)
    config = LOCAL.replace('{ type = "local", path = "../live" }',
                           f'{{ type = "github-pages", remote = "{remote}" }}\nurl = "http://127.0.0.1:9"')
    repo = make_repo(tmp_path / "site", config)
    with_origin(repo)
    local = Path(remote.removeprefix("file://")) if remote.startswith("file://") else repo / remote
    make(local.resolve())
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f'remote = "{remote}" is {kind} but not a git repository' in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


@pytest.mark.parametrize(("command", "said"), [
    (["deploy:staging"], 'there is no environment "staging"; the configured environments are: production.'),
    (["validate:staging"], 'there is no environment "staging"; the configured environments are: production.'),
    (["unlock:staging"], 'there is no environment "staging"; the configured environments are: production.'),
    (["releases:staging"], 'there is no environment "staging"; the configured environments are: production.'),
    (["release", "deploy:staging"], 'there is no environment "staging"'),  # refused before release runs
    (["deploy:Production"], 'Did you mean "production"?'),
], ids=["deploy", "validate", "unlock", "releases", "after-release", "case"])
def test_a_task_of_an_environment_that_is_not_configured_names_the_configured_ones(
        tmp_path: Path, command: list[str], said: str) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, *command)
    assert result.returncode == 3, result.stdout + result.stderr
    assert said in result.stderr and "Invalid parameter" not in result.stdout + result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


def test_with_no_environment_configured_the_refusal_says_none(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", "")
    result = run_doit(repo, "deploy:staging")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the configured environments are: none. Configure it in an [environments.staging] table." in \
        result.stderr


GARBAGE = b"this is not a SQLite database\n" * 4


@pytest.mark.parametrize("task", ["status", "history"])
@pytest.mark.parametrize("fault", ["corrupted ledger", "corrupted doit.sqlite3", "read-only state folder"])
def test_json_output_stays_pure_when_deploylib_repairs_or_cannot_write_its_state(tmp_path: Path, task: str,
                                                                                 fault: str) -> None:
    from tests.reliability.test_state_faults import immutable

    repo = make_repo(tmp_path / "site", CONFIG)
    assert run_doit(repo, "deploy:production").returncode == 0
    state = repo / ".deploylib"
    if fault.startswith("corrupted"):
        (state / fault.split()[1].replace("ledger", "ledger.sqlite3")).write_bytes(GARBAGE)
        result = run_doit(repo, task, "--json")
        said = "was unreadable" if "ledger" in fault else "was corrupted"
    else:
        with immutable(state):
            result = run_doit(repo, task, "--json")
        said = "cannot be written"
    assert result.returncode == 0, result.stdout + result.stderr
    json.loads(result.stdout)  # the whole of stdout is the document
    assert said in result.stderr


@pytest.mark.parametrize(("url", "fragment"), [
    ("/nonexistent/site.git", 'points at "/nonexistent/site.git", which is neither a URL nor an existing path'),
    ("file:///nonexistent/site.git", "which is neither a URL nor an existing path"),
    ("../a-file", "which is a file but not a git repository"),
    ("../a-folder", "which is a folder but not a git repository"),
], ids=["missing-path", "missing-file-url", "a-file", "a-plain-folder"])
def test_a_push_remote_on_this_machine_that_is_not_a_repository_is_exit_3(tmp_path: Path, url: str,
                                                                         fragment: str) -> None:
    repo = make_repo(tmp_path / "site", LOCAL)
    with_origin(repo)
    (tmp_path / "a-file").write_text("not a repository\n")
    (tmp_path / "a-folder").mkdir()
    git(repo, "remote", "set-url", "origin", url)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert '[release] push = true, but remote "origin" points at' in result.stderr and fragment in result.stderr
    assert "Traceback" not in result.stderr and "fatal:" not in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


def test_only_the_push_url_of_the_remote_counts(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL)
    origin = with_origin(repo)
    git(repo, "remote", "set-url", "origin", "/nonexistent/mirror.git")  # fetched from elsewhere …
    git(repo, "remote", "set-url", "--push", "origin", str(origin))  # … pushed where it can be
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(origin, "tag", "--list") == "v0.1.0"


@pytest.mark.parametrize(("token", "fragment"), [
    ("", "neither GITHUB_TOKEN nor GH_TOKEN is set (or they hold only blanks)"),
    ("   ", "neither GITHUB_TOKEN nor GH_TOKEN is set (or they hold only blanks)"),
    ("ghp_abc\nghp_def", "GITHUB_TOKEN holds a space, line break or non-ASCII character"),
    ("ghp_abc def", "GITHUB_TOKEN holds a space, line break or non-ASCII character"),
    ("ghp_abcé", "GITHUB_TOKEN holds a space, line break or non-ASCII character"),
], ids=["empty", "blanks", "two-lines", "a-space", "non-ascii"])
def test_a_token_that_cannot_be_sent_is_found_before_anything_is_written(tmp_path: Path, token: str,
                                                                          fragment: str) -> None:
    repo = make_repo(tmp_path / "site", LOCAL.replace(
        "push = true", 'push = true\n[release.github]\nrepository = "acme/site"\napi_url = "http://127.0.0.1:9"'))
    with_origin(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:production", env={"GITHUB_TOKEN": token, "GH_TOKEN": ""})
    assert result.returncode == 3, result.stdout + result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


def test_a_publish_script_that_cannot_be_started_is_exit_3_before_anything_is_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL.replace('{ type = "local", path = "../live" }',
                                                      '{ type = "command", deploy = "./publish.sh --now" }\n'
                                                      'url = "http://127.0.0.1:9"'))
    with_origin(repo)
    (repo / "publish.sh").write_text("#!/bin/sh\necho published\n")  # committed without the execute bit
    git(repo, "add", "publish.sh")
    git(repo, "commit", "-qm", "feat: publish script")
    git(repo, "push", "-q")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert 'deploy = "./publish.sh --now" runs ./publish.sh, which is not executable' in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()


@pytest.mark.parametrize(("release", "fragment"), [
    ('version_files = ["package.json"]', 'version_files names "package.json", but'),
    ("""version_files = ['site:__version__ = "{version}"']""", "/site is a folder"),
    ('changelog = "site"', '[release] changelog = "site" is not a file'),
    ('changelog = "docs/CHANGES.md"', '[release] changelog = "docs/CHANGES.md" is in a folder that does not exist'),
    ('templates = "changelog-templates"', '[release] templates = "changelog-templates" is not a folder'),
], ids=["missing-version-file", "version-file-is-a-folder", "changelog-is-a-folder", "changelog-folder-missing",
        "templates-missing"])
def test_a_file_the_release_names_that_cannot_work_is_exit_3_before_anything_is_written(
        tmp_path: Path, release: str, fragment: str) -> None:
    repo = make_repo(tmp_path / "site", LOCAL.replace("push = true", f"push = true\n{release}"))
    with_origin(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: something to release")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()
    assert not (repo.parent / "live").exists()


@pytest.mark.parametrize(("command", "fragment"), [
    ("no-such-e2e run", 'command = "no-such-e2e run" runs no-such-e2e, which is not installed or not on PATH'),
    ("CI=1 BASE=x no-such-e2e", "runs no-such-e2e, which is not installed"),
    ("./e2e.sh --headless", "runs ./e2e.sh, which is not executable"),
    ("./missing/run-e2e", "runs ./missing/run-e2e, which does not exist in"),
], ids=["not-installed", "after-assignments", "not-executable", "no-such-file"])
def test_a_command_check_whose_program_cannot_start_is_exit_3_before_anything_is_written(
        tmp_path: Path, command: str, fragment: str) -> None:
    repo = make_repo(tmp_path / "site", LOCAL + f'\n[[environments.production.checks]]\nkind = "command"\n'
                                                f'command = "{command}"\n')
    with_origin(repo)
    (repo / "e2e.sh").write_text("#!/bin/sh\nexit 0\n")  # committed without the execute bit
    git(repo, "add", "e2e.sh")
    git(repo, "commit", "-qm", "feat: an end-to-end suite")
    git(repo, "push", "-q")
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "[environments.production.checks[1]]" in result.stderr and fragment in result.stderr
    assert git(repo, "tag", "--list") == "" and not (repo / ".deploylib" / "build.json").exists()
    assert run_doit(repo, "status").returncode == 0  # a task that only reads never needs it


def test_a_command_check_whose_program_is_installed_passes_the_preflight(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL + '\n[[environments.production.checks]]\nkind = "command"\n'
                                                'command = "cd site && grep -q Welcome index.html"\n')
    with_origin(repo)
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_absolute_output_outside_the_repository_is_never_moved_aside(tmp_path: Path) -> None:
    served = tmp_path / "www"  # e.g. the web server's folder, named as the build's output by mistake
    served.mkdir()
    (served / "index.html").write_text("<h1>the live site</h1>")
    config = LOCAL.replace('output = "out"', f'output = "{served}"').replace(
        COPY_SITE, f"test -f {served}/index.html && {COPY_SITE}")  # the build sees the folder where it was
    repo = make_repo(tmp_path / "site", config)
    with_origin(repo)
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f'[build] output = "{served}" (a string) is outside the repository' in result.stderr
    assert (served / "index.html").read_text() == "<h1>the live site</h1>"
    assert git(repo, "tag", "--list") == ""


def test_a_local_target_in_a_folder_git_ignores_deploys_and_leaves_the_tree_clean(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", LOCAL.replace('path = "../live"', 'path = "public_html"'))
    (repo / ".gitignore").write_text("out/\npublic_html/\n")
    git(repo, "commit", "-qam", "chore: ignore the local web root")
    with_origin(repo)
    assert run_doit(repo, "deploy:production").returncode == 0
    assert (repo / "public_html" / "current" / "index.html").read_text() == "<h1>Welcome</h1>"
    assert git(repo, "status", "--porcelain") == "" and run_doit(repo, "deploy:production").returncode == 0


@pytest.mark.parametrize("where", ["outside", ".git/description"])
def test_a_changelog_outside_what_git_commits_is_refused_and_left_untouched(tmp_path: Path, where: str) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("notes of my own\n")
    repo = tmp_path / "site"
    changelog = str(outside) if where == "outside" else where
    repo = make_repo(repo, CONFIG.replace("push = false", f"push = false\nchangelog = {json.dumps(changelog)}"))
    kept = (repo / changelog).read_bytes()
    result = run_doit(repo, "deploy:production")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "[release] changelog = " in result.stderr and "Traceback" not in result.stderr
    assert (repo / changelog).read_bytes() == kept
    nothing_written(repo)
