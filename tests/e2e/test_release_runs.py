"""The release stage as users run it on real histories: `doit release --dry-run`, `deploylib next-version`
and `doit release` agree on every case, the build sees the version it is tagged with, and a failed
build leaves the tree as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from deploylib.release.changelog import section_of
from tests.conftest import git, run_doit
from tests.e2e.test_user_repo import make_repo as make_user_repo

pytestmark = pytest.mark.slow


def make_repo(root: Path, config: str = "[release]\npush = false\n", tag: str = "v1.0.0") -> Path:
    """A user's repository (deploylib's dodo.py, `config` as deploy.toml, one commit), tagged `tag` ("": none)."""
    repo = make_user_repo(root, config)
    if tag:
        git(repo, "tag", "-a", tag, "-m", tag)
    return repo


def commit(repo: Path, message: str, *options: str) -> str:
    """Commit a new file with `message` exactly as given (no clean-up, so \\r\\n stays)."""
    name = f"f{len(list(repo.glob('f*.txt')))}.txt"
    (repo / name).write_text(name)
    git(repo, "add", name)
    git(repo, "commit", "-q", "--cleanup=verbatim", "-m", message, *options)
    return git(repo, "rev-parse", "HEAD")


def next_version(repo: Path, *options: str) -> str:
    done = subprocess.run([sys.executable, "-m", "deploylib", "next-version", *options], cwd=repo,
                          capture_output=True, text=True, env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def dry_run(repo: Path, *options: str) -> str:
    done = run_doit(repo, "release", "--dry-run", *options)
    assert done.returncode == 0, done.stdout + done.stderr
    return next(line for line in done.stdout.splitlines() if "next version:" in line).split(": ", 1)[1]


def release(repo: Path, *options: str) -> str:
    """`doit release`; the tag it made on HEAD, or "none"."""
    before = set(git(repo, "tag", "--list").split())
    done = run_doit(repo, "release", *options)
    assert done.returncode == 0, done.stdout + done.stderr
    made = set(git(repo, "tag", "--list").split()) - before
    return made.pop().removeprefix("v") if made else "none"


def agree(repo: Path, *options: str) -> str:
    """The one version all three ways give (the real release last, as it writes)."""
    answers = {"next-version": next_version(repo, *options), "dry-run": dry_run(repo, *options)}
    answers["release"] = release(repo, *options)
    assert len(set(answers.values())) == 1, answers
    return answers["release"]


def crlf_breaking(repo: Path) -> None:
    commit(repo, "feat(api): rename the export route\r\n\r\nA body paragraph.\r\n\r\n"
                 "BREAKING CHANGE: /export is gone\r\n")


def squash(repo: Path) -> None:
    commit(repo, "Rework the export (#41)\n\n* feat(export): stream the CSV\n\nBREAKING CHANGE: export() now returns "
                 "an iterator\n\n* fix(export): quote fields with commas\n")


def revert_pair(repo: Path) -> None:
    commit(repo, "feat(theme): dark mode")
    git(repo, "revert", "--no-edit", "HEAD")
    commit(repo, "docs: explain themes")


def revert_of_a_release(repo: Path) -> None:
    git(repo, "revert", "--no-edit", "HEAD")  # v1.0.0 released it


def reapplied(repo: Path) -> None:
    commit(repo, "feat(theme): dark mode")
    git(repo, "revert", "--no-edit", "HEAD")
    git(repo, "revert", "--no-edit", "HEAD")


def breaking_mid_body(repo: Path) -> None:
    commit(repo, "fix: config keys\n\nBREAKING CHANGE: `out` is now `output`\n\nMigrate by renaming the key.\n")


def bold_breaking_in_squash_body(repo: Path) -> None:
    commit(repo, "feat: new login (#42)\n\n* feat: new login\n* **BREAKING CHANGE:** the session cookie is renamed\n")


def breaking_revert_of_a_release(repo: Path) -> None:
    git(repo, "revert", "--no-edit", "HEAD")  # v1.0.0 released it; the revert says what its removal breaks
    git(repo, "commit", "-q", "--amend", "-m",
        git(repo, "log", "-1", "--format=%B") + "\n\nBREAKING CHANGE: the dark theme is gone\n")


def breaking_under_a_prose_subject(repo: Path) -> None:
    commit(repo, "Rework the export\n\nBREAKING CHANGE: export() now returns an iterator\n")


def merged_branch(repo: Path) -> None:
    """The issue's history: "search box" is made before v1.0.0 but merged after it, so it is 1.1.0's."""
    git(repo, "tag", "-d", "v1.0.0")
    git(repo, "checkout", "-q", "-b", "search")
    commit(repo, "feat: search box")
    git(repo, "checkout", "-q", "main")
    commit(repo, "feat: about page")
    git(repo, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "search")
    commit(repo, "fix: footer links")


def nothing(repo: Path) -> None:
    commit(repo, "docs: only docs\r\n")


CASES: list[tuple[Callable[[Path], None], str, str]] = [
    (crlf_breaking, "", "2.0.0"),
    (squash, "[release]\npush = false\nparse_squash_bodies = true\n", "2.0.0"),
    (revert_pair, "", "none"),
    (revert_of_a_release, "", "1.0.1"),
    (reapplied, "", "1.1.0"),
    (breaking_mid_body, "", "2.0.0"),
    (bold_breaking_in_squash_body, "", "2.0.0"),
    (breaking_revert_of_a_release, "", "2.0.0"),
    (breaking_under_a_prose_subject, "", "2.0.0"),
    (merged_branch, "", "1.1.0"),
    (nothing, "", "none"),
]


@pytest.mark.parametrize(("history", "config", "version"), CASES, ids=[c[0].__name__ for c in CASES])
def test_dry_run_next_version_and_release_agree(tmp_path: Path, history: Callable[[Path], None], config: str,
                                                version: str) -> None:
    repo = make_repo(tmp_path / "repo", config or "[release]\npush = false\n")
    if history in (revert_of_a_release, breaking_revert_of_a_release):  # a feature released in 1.0.0
        git(repo, "tag", "-d", "v1.0.0")
        commit(repo, "feat(theme): dark mode")
        git(repo, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    history(repo)
    assert agree(repo) == version


def test_a_release_holds_what_its_tag_reaches_in_the_changelog_written_either_way(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    merged_branch(repo)
    assert agree(repo) == "1.1.0"
    incremental = (repo / "CHANGELOG.md").read_text()
    assert run_doit(repo, "changelog", "--full").returncode == 0
    full = (repo / "CHANGELOG.md").read_text()
    assert section_of(full, "1.1.0") == section_of(incremental, "1.1.0")
    assert "search box" in section_of(full, "1.1.0") and "search box" not in section_of(full, "1.0.0")


@pytest.mark.parametrize(("second", "then", "tags"), [
    ("fix: a fix", "0.1.0-rc.2", ["v0.1.0", "v0.1.0-rc.1", "v0.1.0-rc.2"]),
    ("docs: a readme", "none", ["v0.1.0", "v0.1.0-rc.1"]),  # a prerelease needs a releasable commit since the last
])
def test_a_first_prerelease_counts_up_on_releasable_commits_then_finishes(tmp_path: Path, second: str, then: str,
                                                                          tags: list[str]) -> None:
    repo = make_repo(tmp_path / "new", tag="")
    commit(repo, "feat: first feature")
    assert agree(repo, "--prerelease", "rc") == "0.1.0-rc.1"
    commit(repo, second)
    assert agree(repo, "--prerelease", "rc") == then
    assert agree(repo) == "0.1.0"  # finishing the prerelease is a release
    assert git(repo, "tag", "--list").splitlines() == tags
    log = (repo / "CHANGELOG.md").read_text()
    assert all(f"## [{tag[1:]}]" in log for tag in tags) and log.index("## [0.1.0]") < log.index("## [0.1.0-rc.1]")


def test_a_release_continues_from_a_prerelease_made_with_an_explicit_version(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, "fix: a")
    assert run_doit(repo, "release", "--version", "2.0.0-rc.1").returncode == 0
    commit(repo, "fix: b")
    assert agree(repo, "--prerelease", "rc") == "2.0.0-rc.2"
    assert agree(repo) == "2.0.0"


# A build that reads its version from package.json, as Vite's npm_package_version does.
VERSIONED_BUILD = """[build]
command = "python3 build.py"
output = "out"

[release]
push = false
version_files = ["package.json", "package-lock.json"]
"""
PACKAGE = '{\r\n  "name": "site",\r\n  "version": "1.0.0"\r\n}\r\n'
LOCK = '{\r\n  "name": "site",\r\n  "version": "1.0.0",\r\n  "lockfileVersion": 3,\r\n  "packages": {\r\n' \
       '    "": {\r\n      "name": "site",\r\n      "version": "1.0.0"\r\n    }\r\n  }\r\n}\r\n'
BUILD = """import json, pathlib
pathlib.Path("out").mkdir(exist_ok=True)
pathlib.Path("out/version.txt").write_text(json.load(open("package.json"))["version"])
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "app", VERSIONED_BUILD, tag="")
    (repo / "package.json").write_bytes(PACKAGE.encode())
    (repo / "package-lock.json").write_bytes(LOCK.encode())
    (repo / "build.py").write_text(BUILD)
    (repo / "CHANGELOG.md").write_bytes(b"# Changelog\r\n\r\n## [Unreleased]\r\n\r\n## [1.0.0] - 2026-01-01\r\n\r\n"
                                        b"- first (aaaaaaa)")  # CRLF, and no final newline
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "chore: package files")
    git(repo, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    commit(repo, "feat: a feature")
    return repo


def artifact_file(repo: Path, name: str) -> str:
    record = json.loads((repo / ".deploylib" / "build.json").read_text())
    with tarfile.open(record["tar"]) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(name))
        return tar.extractfile(member).read().decode()  # type: ignore[union-attr]


def test_the_build_sees_the_version_it_is_tagged_with(app: Path) -> None:
    assert release(app) == "1.1.0"
    assert artifact_file(app, "version.txt") == "1.1.0"
    assert git(app, "status", "--porcelain") == ""
    assert sorted(git(app, "show", "--name-only", "--format=", "HEAD").split()) == [
        "CHANGELOG.md", "package-lock.json", "package.json"]


def test_the_release_commit_changes_only_the_version_lines_and_the_new_section_keeping_crlf(app: Path) -> None:
    release(app)
    assert (app / "package.json").read_bytes() == PACKAGE.replace("1.0.0", "1.1.0").encode()
    assert (app / "package-lock.json").read_bytes() == LOCK.replace("1.0.0", "1.1.0").encode()
    changelog = (app / "CHANGELOG.md").read_bytes().decode()
    assert changelog.startswith("# Changelog\r\n\r\n## [Unreleased]\r\n\r\n## [1.1.0] - ")
    assert changelog.endswith("\r\n\r\n## [1.0.0] - 2026-01-01\r\n\r\n- first (aaaaaaa)")
    assert "\n" not in changelog.replace("\r\n", "")


def test_the_regenerated_changelog_keeps_crlf_and_the_missing_final_newline(app: Path) -> None:
    release(app)
    done = subprocess.run([sys.executable, "-m", "deploylib", "changelog", "--full"], cwd=app, capture_output=True,
                          text=True, env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
    changelog = (app / "CHANGELOG.md").read_bytes().decode()
    assert changelog.startswith("# Changelog\r\n") and "\n" not in changelog.replace("\r\n", "")
    assert "## [1.0.0] - " in changelog and not changelog.endswith("\n")


def test_running_the_release_again_runs_nothing(app: Path) -> None:
    release(app)
    assert run_doit(app, "release").stdout.splitlines() == ["-- gate", "-- build", "-- release"]


def test_a_commit_changing_a_version_file_otherwise_runs_the_gate_and_the_build_again(app: Path) -> None:
    release(app)
    (app / "package.json").write_bytes((app / "package.json").read_bytes().replace(b'"name": "site"',
                                                                                   b'"name": "renamed"'))
    git(app, "commit", "-qam", "chore: rename the package")
    lines = run_doit(app, "release").stdout.splitlines()
    assert ".  gate" in lines and ".  build" in lines, lines


@pytest.mark.parametrize("failure", [
    "exit 3",  # the build command fails
    "mkdir -p out && echo 'warning: deprecated' && echo x > out/x",  # a build gate fails
])
def test_a_failed_build_leaves_the_tree_as_it_was(app: Path, failure: str) -> None:
    config = (app / "deploy.toml").read_text()
    build = config.split("\n")[1]
    (app / "deploy.toml").write_text(config.replace(build, f'command = "{failure}"\nfail_on_warnings = true'))
    git(app, "commit", "-qam", "build: break the build")
    before = {p.name: p.read_bytes() for p in app.iterdir() if p.is_file()}
    assert run_doit(app, "release").returncode != 0
    assert git(app, "status", "--porcelain") == ""
    assert {p.name: p.read_bytes() for p in app.iterdir() if p.is_file()} == before
    assert git(app, "tag", "--list") == "v1.0.0"


def test_edits_a_killed_build_left_behind_are_put_back_before_the_next_run(app: Path) -> None:
    from deploylib.config.load import parse
    from deploylib.release import staged_edits
    from deploylib.state.workspace import Workspace

    ws = Workspace(app, parse({"release": {"push": False, "version_files": ["package.json"]}}, app / "deploy.toml",
                              app), demo=False)
    staged_edits.stage(ws, git(app, "rev-parse", "HEAD"), "1.1.0", {"package.json": "half-done\n"})
    assert git(app, "status", "--porcelain") == "M package.json"
    assert release(app) == "1.1.0"
    assert artifact_file(app, "version.txt") == "1.1.0"


def test_edits_a_killed_build_left_behind_that_the_user_committed_are_theirs(app: Path) -> None:
    from deploylib.config.load import parse
    from deploylib.release import staged_edits
    from deploylib.state.workspace import Workspace

    ws = Workspace(app, parse({"release": {"push": False, "version_files": ["package.json"]}}, app / "deploy.toml",
                              app), demo=False)
    staged_edits.stage(ws, git(app, "rev-parse", "HEAD"), "1.1.0", {"package.json": '{"version": "1.1.0"}\n'})
    git(app, "commit", "-qam", "chore: what the killed run left")  # `git commit -a` on the tree as it was left
    committed = git(app, "rev-parse", "HEAD")
    assert staged_edits.unstage(ws)
    assert git(app, "status", "--porcelain") == "" and git(app, "rev-parse", "HEAD") == committed
    assert (app / "package.json").read_text() == '{"version": "1.1.0"}\n'


def test_a_file_the_edits_of_a_killed_build_created_is_removed_though_git_ignores_no_change_in_it(app: Path) -> None:
    from deploylib.config.load import parse
    from deploylib.release import staged_edits
    from deploylib.state.workspace import Workspace

    ws = Workspace(app, parse({"release": {"push": False}}, app / "deploy.toml", app), demo=False)
    staged_edits.stage(ws, git(app, "rev-parse", "HEAD"), "1.1.0", {"NEW.md": "## 1.1.0\n"})  # untracked, new
    assert staged_edits.unstage(ws)
    assert not (app / "NEW.md").exists() and git(app, "status", "--porcelain") == ""


def test_a_version_file_the_release_cannot_edit_fails_the_dry_run_as_it_fails_the_release(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", "[release]\npush = false\n"
                                        "version_files = ['src/v.py:VERSION = \"{version}\"']\n")
    (repo / "src").mkdir()
    (repo / "src" / "v.py").write_text('NAME = "site"\n')  # no VERSION line for the pattern to find
    git(repo, "add", "-A")
    commit(repo, "fix: b")
    dry, real = run_doit(repo, "release", "--dry-run"), run_doit(repo, "release")
    assert dry.returncode == real.returncode == 1
    assert "does not contain the pattern" in dry.stderr and "does not contain the pattern" in real.stderr
    assert "next version" not in dry.stdout



# A changelog template of the user's ([release] templates) is rendered by `deploylib next-version` and the dry run
# as by the release, so each refuses what the release refuses, in the same words; deploylib's own is not rendered
# by them (it renders every release: tests/unit/test_changelog.py).
TEMPLATES = [
    ("syntax-error", "{% for r in releases %}\n## [{{ r.version }]\n{% endfor %}\n", "line 2, is invalid"),
    ("undefined-name", "{% for r in releases %}\n## [{{ r.version }}] {{ r.codename }}\n{% endfor %}\n",
     "failed while rendering"),
    ("no-section-heading", "{% for r in releases %}\n# {{ r.version }}\n{% endfor %}\n",
     "rendered no '## [1.0.1]' heading"),
    ("usable", "{% for r in releases %}\n## [{{ r.version }}] custom\n{% endfor %}\n", "1.0.1"),
]


@pytest.mark.parametrize(("case", "template", "expected"), TEMPLATES, ids=[c[0] for c in TEMPLATES])
def test_a_users_changelog_template_is_refused_by_next_version_and_the_dry_run_as_by_the_release(
        tmp_path: Path, case: str, template: str, expected: str) -> None:
    repo = make_repo(tmp_path / "site", '[release]\npush = false\ntemplates = "templates"\n')
    (repo / "templates").mkdir()
    (repo / "templates" / "CHANGELOG.md.j2").write_text(template)
    git(repo, "add", "-A")
    commit(repo, "fix: b")
    cli = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=repo, capture_output=True,
                         text=True, env=os.environ, timeout=120)
    dry, real = run_doit(repo, "release", "--dry-run"), run_doit(repo, "release")
    if expected[0].isdigit():
        assert (cli.returncode, cli.stdout.strip(), real.returncode) == (0, expected, 0), cli.stderr + real.stderr
        assert f"next version: {expected}" in dry.stdout and "## [1.0.1] custom" in (repo / "CHANGELOG.md").read_text()
        return
    assert outcome(cli) == outcome(dry) == outcome(real), (cli.stderr, dry.stderr, real.stderr)
    assert outcome(cli)[0] == 1 and expected in outcome(cli)[1] and "Traceback" not in cli.stderr + dry.stderr
    assert cli.stdout == "" and "next version" not in dry.stdout and git(repo, "tag", "--list") == "v1.0.0"



def test_a_changelog_that_is_not_utf8_is_refused_alike_by_every_command_that_reads_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site")
    (repo / "CHANGELOG.md").write_bytes("# Changelog\n\nCaf\xe9\n".encode("latin-1"))
    git(repo, "add", "-A")
    commit(repo, "fix: b")
    cli = [subprocess.run([sys.executable, "-m", "deploylib", *args], cwd=repo, capture_output=True, text=True,
                          env=os.environ, timeout=120) for args in (["next-version"], ["changelog"])]
    doit = [run_doit(repo, *args) for args in (["release", "--dry-run"], ["release"], ["changelog"])]
    outcomes = {outcome(done) for done in cli + doit}
    assert outcomes == {(1, "✗ The changelog CHANGELOG.md ([release] changelog) is not UTF-8 text. Save it as UTF-8; "
                            "nothing was written.")}, [done.stderr for done in cli + doit]
    assert git(repo, "tag", "--list") == "v1.0.0" and git(repo, "status", "--porcelain") == ""


def test_a_changelog_path_that_is_a_folder_is_refused_by_next_version_and_the_dry_run_without_a_traceback(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site")
    (repo / "CHANGELOG.md").mkdir()
    (repo / "CHANGELOG.md" / "notes.md").write_text("notes")
    git(repo, "add", "-A")
    commit(repo, "fix: b")
    cli = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=repo, capture_output=True,
                         text=True, env=os.environ, timeout=120)
    dry = run_doit(repo, "release", "--dry-run")
    assert outcome(cli) == outcome(dry) == (1, "✗ The changelog CHANGELOG.md ([release] changelog) cannot be read: "
                                               "Is a directory. Fix the path in deploy.toml; nothing was written.")
    assert "Traceback" not in cli.stderr + dry.stderr

def test_a_shallow_clone_is_refused_by_next_version_and_the_dry_run_as_by_the_release(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    commit(origin, "fix: b")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(tmp_path / "shallow")], check=True)
    repo = tmp_path / "shallow"
    cli = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=repo, capture_output=True,
                         text=True, env=os.environ, timeout=120)
    dry, real = run_doit(repo, "release", "--dry-run"), run_doit(repo, "release")
    assert outcome(cli) == outcome(dry) == outcome(real), (cli.stderr, dry.stderr, real.stderr)
    assert outcome(cli)[0] == 1 and "shallow clone" in outcome(cli)[1] and cli.stdout == ""

# Tag layouts around a maintenance line (jekyll/minima): main's last reachable release is v2.5.0, fix commits
# follow, and a v2.5.1 tag exists somewhere. `deploylib next-version`, the dry run and the release give the same
# answer, or the same refusal (exit code and message), on every layout.
def _maintenance(repo: Path, tag: Callable[[Path], None], merge: bool = False) -> None:
    git(repo, "checkout", "-q", "-b", "maint-2.5")
    commit(repo, "fix: backport")
    tag(repo)
    git(repo, "checkout", "-q", "main")
    if merge:
        git(repo, "merge", "-q", "--no-ff", "--no-edit", "maint-2.5")
    commit(repo, "fix: here")


def _annotated(repo: Path) -> None:
    git(repo, "tag", "-a", "v2.5.1", "-m", "2.5.1")


def _lightweight(repo: Path) -> None:
    git(repo, "tag", "v2.5.1")


def _on_a_tree(repo: Path) -> None:
    git(repo, "tag", "v2.5.1", "HEAD^{tree}")


def _on_a_blob(repo: Path) -> None:
    git(repo, "tag", "-a", "v2.5.1", "-m", "a file", git(repo, "rev-parse", "HEAD:deploy.toml"))


LAYOUTS: list[tuple[str, Callable[[Path], None], bool, str]] = [
    ("annotated-tag-on-an-unmerged-branch", _annotated, False, "tag v2.5.1 already exists"),
    ("lightweight-tag-on-an-unmerged-branch", _lightweight, False, "tag v2.5.1 already exists"),
    ("annotated-tag-on-a-merged-branch", _annotated, True, "2.5.2"),
    ("lightweight-tag-on-a-merged-branch", _lightweight, True, "2.5.2"),
    ("tag-on-a-tree", _on_a_tree, False, "names a tree, not a commit"),
    ("annotated-tag-on-a-blob", _on_a_blob, False, "names a blob, not a commit"),
]


def outcome(done: subprocess.CompletedProcess[str]) -> tuple[int, str]:
    """(exit code, the failure's one-line message, or "") of a run."""
    return done.returncode, next((line for line in done.stderr.splitlines() if line.startswith("✗ ")), "")


@pytest.mark.parametrize(("layout", "tag", "merge", "expected"), LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_next_version_and_the_dry_run_answer_or_refuse_as_the_release_does(
        tmp_path: Path, layout: str, tag: Callable[[Path], None], merge: bool, expected: str) -> None:
    repo = make_repo(tmp_path / "repo", tag="v2.5.0")
    _maintenance(repo, tag, merge)
    tags = git(repo, "tag", "--list")
    cli = subprocess.run([sys.executable, "-m", "deploylib", "next-version"], cwd=repo, capture_output=True,
                         text=True, env=os.environ, timeout=120)
    dry, real = run_doit(repo, "release", "--dry-run"), run_doit(repo, "release")
    if expected[0].isdigit():
        assert (cli.returncode, dry.returncode, real.returncode) == (0, 0, 0), cli.stderr + dry.stderr + real.stderr
        assert cli.stdout.strip() == expected and f"next version: {expected}" in dry.stdout
        assert f"v{expected}" in git(repo, "tag", "--list").split()
        return
    assert outcome(cli) == outcome(dry) == outcome(real), (cli.stderr, dry.stderr, real.stderr)
    assert outcome(cli)[0] == 1 and expected in outcome(cli)[1] and "Traceback" not in cli.stderr + dry.stderr
    assert cli.stdout == "" and "next version" not in dry.stdout
    assert git(repo, "tag", "--list") == tags and git(repo, "log", "-1", "--format=%s") == "fix: here"


@pytest.mark.parametrize("protected_then", [True, False])
def test_a_release_killed_while_taking_back_what_the_remote_refused_is_taken_back_by_the_next_run(
        tmp_path: Path, protected_then: bool) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    repo = make_repo(tmp_path / "repo", "[release]\npush = true\n")
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "--follow-tags", "origin", "main")
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = commit(repo, "feat: a page")
    killed = run_doit(repo, "release", env={"DEPLOYLIB_CRASH_AT": "release:taking-back"})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    if not protected_then:
        hook.unlink()
    done = run_doit(repo, "release")
    assert "Traceback" not in done.stdout + done.stderr
    assert "took back v1.1.0, which the remote refused" in done.stdout + done.stderr
    if protected_then:
        assert done.returncode == 1 and "taken back" in done.stderr, done.stdout + done.stderr
        assert git(repo, "rev-parse", "HEAD") == before and git(repo, "tag", "--list") == "v1.0.0"
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert git(origin, "rev-parse", "v1.1.0^{commit}") == git(repo, "rev-parse", "HEAD") != before
    assert git(repo, "status", "--porcelain") == ""
