"""The facts one run reads about a real repository: read once, read again after the lock and after a stage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploylib.config.load import parse
from deploylib.state.runfacts import RunFacts
from deploylib.state.runkeys import Planned
from deploylib.state.workspace import Workspace, ensure_state_dir
from tests.conftest import git, new_repo


@pytest.fixture
def facts(tmp_path: Path) -> RunFacts:
    repo = new_repo(tmp_path / "repo", {"index.html": "home"}, "feat: the site")
    git(repo, "tag", "-a", "v1.0.0", "-m", "1.0.0")
    git(repo, "commit", "-q", "--allow-empty", "-m", "feat: more")
    ensure_state_dir(repo)  # as doit's start does: the repository lock lives there
    return RunFacts(Workspace(repo, parse({"release": {"push": False}}, repo / "deploy.toml", repo), demo=False))


def test_the_repository_state_is_read_once_before_any_stage(facts: RunFacts) -> None:
    first = facts.repo_state()
    (facts.ws.app / "new.txt").write_text("untracked")
    assert facts.repo_state() is first


def test_taking_the_lock_reads_the_state_again(facts: RunFacts) -> None:
    facts.repo_state()
    (facts.ws.app / "new.txt").write_text("untracked")
    with facts.stage("gate"):
        assert facts.repo_state().changes == ("new.txt",)


def test_after_a_stage_the_state_is_read_again(facts: RunFacts) -> None:
    with facts.stage("build"):
        assert facts.repo_state().changes == ()
        (facts.ws.app / "new.txt").write_text("written by the build")
    assert facts.repo_state().changes == ("new.txt",)


def test_the_plan_is_kept_while_head_stays(facts: RunFacts) -> None:
    plan = facts.plan()
    with facts.stage("gate"):
        assert facts.plan() == plan
    with facts.stage("build"):
        (facts.ws.app / "new.txt").write_text("not committed")
    assert facts.plan() is facts.plan() == plan


def test_the_plan_and_fingerprint_are_made_again_when_head_moves(facts: RunFacts) -> None:
    with facts.stage("gate"):
        plan, fingerprint = facts.plan(), facts.fingerprint()
        assert plan.version == "1.1.0"
    with facts.stage("release"):
        (facts.ws.app / "page.html").write_text("page")
        git(facts.ws.app, "add", "page.html")
        git(facts.ws.app, "commit", "-qm", "feat!: a new site")
    assert facts.plan().version == "2.0.0" and facts.fingerprint() != fingerprint


def test_a_later_run_at_the_same_head_takes_the_fingerprint_from_its_memo(facts: RunFacts) -> None:
    fingerprint = facts.fingerprint()
    later = RunFacts(facts.ws)
    later.repo_state()
    (facts.ws.app / ".git" / "objects").rename(facts.ws.app / "hidden")  # git could not read the tree now
    assert later.fingerprint() == fingerprint


def test_the_remembered_fingerprint_is_the_one_git_computes(facts: RunFacts) -> None:
    from deploylib.git import source_fingerprint
    from deploylib.release.version_files import fingerprint_rules

    assert RunFacts(facts.ws).fingerprint() == RunFacts(facts.ws).fingerprint() == \
        source_fingerprint(facts.ws.app, *fingerprint_rules(facts.ws.config.release))


def test_a_later_run_after_the_history_was_deepened_plans_again(tmp_path: Path) -> None:
    origin = new_repo(tmp_path / "origin", {"index.html": "home"}, "fix: the site")
    git(origin, "tag", "-a", "v1.0.0", "-m", "1.0.0")
    git(origin, "commit", "-q", "--allow-empty", "-m", "feat: more")
    git(origin, "commit", "-q", "--allow-empty", "-m", "docs: words")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(clone)], check=True)
    git(clone, "fetch", "-q", "--depth", "1", "origin", "refs/tags/v1.0.0:refs/tags/v1.0.0")
    ensure_state_dir(clone)
    ws = Workspace(clone, parse({"release": {"push": False}}, clone / "deploy.toml", clone), demo=False)
    shallow = RunFacts(ws).planned()  # the tag's commit is not in HEAD's history as far as it is held
    git(clone, "fetch", "-q", "--unshallow")  # same HEAD, same tags, the whole history
    assert RunFacts(ws).planned() == Planned("1.1.0", True, 2) != shallow


VERSION_FILES = {  # spec: (text at 1.0.0, the same released as 1.1.0, another change to it)
    "package.json": ('{\n  "version": "1.0.0",\n  "scripts": {"test": "jest"}\n}\n',
                     '{\n  "version": "1.1.0",\n  "scripts": {"test": "jest"}\n}\n',
                     '{\n  "version": "1.0.0",\n  "scripts": {"test": "true"}\n}\n'),
    "package-lock.json": ('{"version": "1.0.0", "packages": {"": {"version": "1.0.0"}, "node_modules/a": '
                          '{"version": "2.0.0"}}}\n',
                          '{"version": "1.1.0", "packages": {"": {"version": "1.1.0"}, "node_modules/a": '
                          '{"version": "2.0.0"}}}\n',
                          '{"version": "1.0.0", "packages": {"": {"version": "1.0.0"}, "node_modules/a": '
                          '{"version": "2.0.1"}}}\n'),
    "pyproject.toml": ('[project]\nversion = "1.0.0"\ndependencies = ["a"]\n',
                       '[project]\nversion = "1.1.0"\ndependencies = ["a"]\n',
                       '[project]\nversion = "1.0.0"\ndependencies = ["b"]\n'),
    'app/__init__.py:__version__ = "{version}"': ('__version__ = "1.0.0"\nDEBUG = False\n',
                                                  '__version__ = "1.1.0"\nDEBUG = False\n',
                                                  '__version__ = "1.0.0"\nDEBUG = True\n'),
}


def fingerprint_of(tmp_path: Path, spec: str, text: str) -> str:
    """The source fingerprint of a repository whose version file (per `spec`) holds `text`."""
    path = spec.partition(":")[0]
    repo = tmp_path / f"repo{len(list(tmp_path.iterdir()))}"
    new_repo(repo, {"index.html": "home", path: text}, "feat: the site")
    ws = Workspace(repo, parse({"release": {"push": False, "version_files": [spec]}}, repo / "deploy.toml", repo),
                   demo=False)
    from deploylib.git import source_fingerprint
    from deploylib.release.version_files import fingerprint_rules

    return source_fingerprint(repo, *fingerprint_rules(ws.config.release))


@pytest.mark.parametrize("spec", VERSION_FILES)
def test_a_release_commit_leaves_the_fingerprint_as_it_was(tmp_path: Path, spec: str) -> None:
    before, released, _ = VERSION_FILES[spec]
    assert fingerprint_of(tmp_path, spec, released) == fingerprint_of(tmp_path, spec, before)


@pytest.mark.parametrize("spec", VERSION_FILES)
def test_any_other_change_to_a_version_file_changes_the_fingerprint(tmp_path: Path, spec: str) -> None:
    before, _, changed = VERSION_FILES[spec]
    assert fingerprint_of(tmp_path, spec, changed) != fingerprint_of(tmp_path, spec, before)


def test_a_version_file_holding_no_version_counts_as_it_is(tmp_path: Path) -> None:
    assert fingerprint_of(tmp_path, "package.json", "{}\n") != fingerprint_of(tmp_path, "package.json", "{ }\n")


def test_importing_the_tasks_writes_nothing(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import deploylib.tasks"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
