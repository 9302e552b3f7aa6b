"""The release stage on real git repositories with a bare origin: plan, publish, refuse, resume."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from deploylib.config import parse
from deploylib.errors import GitError, ReleaseError
from deploylib.release import last_release_tag, plan_release, publish
from deploylib.workspace import Workspace
from tests.conftest import git

_FILES = itertools.count()


def commit(repo: Path, message: str, name: str | None = None) -> str:
    path = repo / (name or f"file{next(_FILES)}.txt")
    path.write_text(message)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    git(work, "config", "user.name", "Test")
    git(work, "config", "user.email", "test@example.invalid")
    commit(work, "chore: start", "start.txt")
    git(work, "tag", "-a", "v1.0.0", "-m", "1.0.0")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "--follow-tags", "-u", "origin", "main")
    return work


def clone(source: str, dest: Path, *options: str) -> Path:
    subprocess.run(["git", "clone", "-q", *options, source, str(dest)], check=True)
    git(dest, "config", "user.name", "Other")
    git(dest, "config", "user.email", "other@example.invalid")
    return dest


def workspace(repo: Path, **release: object) -> Workspace:
    return Workspace(repo, parse({"release": release}, repo / "deploy.toml", repo), demo=False)


def plan(ws: Workspace):
    return plan_release(ws, git(ws.app, "rev-parse", "HEAD"))


def refused(repo: Path, error: type[Exception], match: str, **release: object) -> None:
    """Publishing the planned release from `repo` raises `error` (and, per the tests, writes nothing)."""
    ws = workspace(repo, **release)
    with pytest.raises(error, match=match):
        publish(ws, plan(ws))


def test_plan_reads_only_the_commits_since_the_last_tag(repo: Path) -> None:
    commit(repo, "feat: a")
    commit(repo, "fix: b")
    result = plan(workspace(repo))
    assert result.version == "1.1.0" and [c.description for c in result.commits] == ["b", "a"]


def test_tags_are_ordered_by_semver_not_by_name_or_date(repo: Path) -> None:
    for version in ("0.10.0", "0.9.0"):  # 0.9.0 is newer by date and sorts after 0.10.0 as a string
        commit(repo, f"chore: {version}")
        git(repo, "tag", "-a", f"v{version}", "-m", version)
    commit(repo, "chore: after")
    git(repo, "tag", "-a", "v1.2.0", "-m", "1.2.0", "HEAD~2")
    assert last_release_tag(workspace(repo)) == ("v1.2.0", "1.2.0")


def test_tags_not_matching_the_format_are_ignored(repo: Path) -> None:
    commit(repo, "feat: a")
    git(repo, "tag", "-a", "deploy-2026", "-m", "x")
    git(repo, "tag", "-a", "v9.9.9-rc.1", "-m", "prerelease")
    assert last_release_tag(workspace(repo)) == ("v1.0.0", "1.0.0")


def test_a_custom_tag_format(repo: Path) -> None:
    git(repo, "tag", "-a", "release/2.0.0", "-m", "x")
    commit(repo, "fix: a")
    assert plan(workspace(repo, tag_format="release/{version}")).version == "2.0.1"


def test_publish_commits_the_changelog_tags_and_pushes_atomically(repo: Path) -> None:
    commit(repo, "feat(ui): dark mode")
    ws = workspace(repo)
    tag = publish(ws, plan(ws))
    assert tag == "v1.1.0"
    assert git(repo, "log", "-1", "--format=%s") == "chore(release): v1.1.0"
    assert git(repo, "cat-file", "-t", "v1.1.0") == "tag"  # annotated
    assert "**ui:** dark mode" in (repo / "CHANGELOG.md").read_text()
    origin = repo.parent / "origin.git"
    assert git(origin, "rev-parse", "v1.1.0^{commit}") == git(repo, "rev-parse", "HEAD")
    assert git(origin, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_after_a_release_there_is_nothing_to_release(repo: Path) -> None:
    commit(repo, "feat: a")
    ws = workspace(repo)
    publish(ws, plan(ws))
    again = plan(ws)
    assert (again.version, again.is_release, again.commits) == ("1.1.0", False, ())


def test_a_failed_push_is_resumed_by_the_next_run_without_a_second_tag(repo: Path) -> None:
    commit(repo, "feat: a")
    ws = workspace(repo)
    origin = repo.parent / "origin.git"
    origin.rename(repo.parent / "away.git")
    with pytest.raises(GitError, match="push of .* failed"):
        publish(ws, plan(ws))
    assert git(repo, "tag", "--list", "v1.1.0") == "v1.1.0"  # tagged locally, not pushed
    (repo.parent / "away.git").rename(origin)
    assert publish(ws, plan(ws)) == "v1.1.0"
    assert git(origin, "rev-parse", "v1.1.0^{commit}") == git(repo, "rev-parse", "HEAD")
    assert git(repo, "log", "--format=%s").count("chore(release)") == 1


def test_release_refuses_a_dirty_tree_and_writes_nothing(repo: Path) -> None:
    commit(repo, "feat: a")
    (repo / "start.txt").write_text("edited")
    refused(repo, ReleaseError, "uncommitted changes")
    assert not (repo / "CHANGELOG.md").exists() and git(repo, "tag", "--list", "v1.1.0") == ""


def test_release_refuses_a_detached_head(repo: Path) -> None:
    commit(repo, "feat: a")
    git(repo, "checkout", "-q", "--detach")
    refused(repo, ReleaseError, "detached")


def test_release_refuses_another_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "feat: a")
    refused(repo, ReleaseError, "made from main, but .* feature is checked out")


def test_release_refuses_a_branch_behind_its_upstream(repo: Path, tmp_path: Path) -> None:
    other = clone(str(tmp_path / "origin.git"), tmp_path / "other")
    commit(other, "fix: elsewhere", "other.txt")
    git(other, "push", "-q", "origin", "main")
    commit(repo, "feat: here")
    git(repo, "fetch", "-q")
    refused(repo, ReleaseError, "behind its upstream")


def test_release_refuses_a_tag_that_points_elsewhere(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "experiment")
    commit(repo, "chore: try something")
    git(repo, "tag", "v1.1.0")  # the next version's tag, made by hand on a branch that was never merged
    git(repo, "checkout", "-q", "main")
    commit(repo, "feat: a")
    refused(repo, ReleaseError, "tag v1.1.0 already exists .* not on HEAD")
    assert git(repo, "log", "-1", "--format=%s") == "feat: a" and not (repo / "CHANGELOG.md").exists()


def test_a_shallow_clone_is_refused_with_how_to_fetch_history(repo: Path, tmp_path: Path) -> None:
    commit(repo, "feat: a")
    git(repo, "push", "-q", "origin", "main")
    shallow = clone(f"file://{tmp_path / 'origin.git'}", tmp_path / "shallow", "--depth", "1")
    refused(shallow, GitError, "shallow clone.*git fetch --unshallow --tags")


def test_a_missing_remote_is_named(repo: Path) -> None:
    commit(repo, "feat: a")
    refused(repo, GitError, 'no remote "upstream"', remote="upstream")


def test_nothing_releasable_writes_nothing(repo: Path) -> None:
    commit(repo, "docs: a")
    ws = workspace(repo)
    assert publish(ws, plan(ws)) == ""
    assert not (repo / "CHANGELOG.md").exists()
