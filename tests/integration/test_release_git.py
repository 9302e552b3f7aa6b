"""The release stage on real git repositories with a bare origin: plan, publish, refuse, resume."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from deploylib.config.load import parse
from deploylib.errors import GitError, ReleaseError
from deploylib.release.stage import last_release_tag, plan_release, preview, publish
from deploylib.state.workspace import Workspace
from tests.conftest import GITHUB_TOKEN, git

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
        publish(ws, plan(ws), None)


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
    tag = publish(ws, plan(ws), None)
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
    publish(ws, plan(ws), None)
    again = plan(ws)
    assert (again.version, again.is_release, again.commits) == ("1.1.0", False, ())


def test_a_failed_push_is_resumed_by_the_next_run_without_a_second_tag(repo: Path) -> None:
    commit(repo, "feat: a")
    ws = workspace(repo)
    origin = repo.parent / "origin.git"
    origin.rename(repo.parent / "away.git")
    with pytest.raises(GitError, match="push of .* failed"):
        publish(ws, plan(ws), None)
    assert git(repo, "tag", "--list", "v1.1.0") == "v1.1.0"  # tagged locally, not pushed
    (repo.parent / "away.git").rename(origin)
    assert publish(ws, plan(ws), None) == "v1.1.0"
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


def test_the_dry_run_stops_where_the_release_would_at_a_tag_that_points_elsewhere(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "maint-1.0")  # jekyll/minima: patch releases on a maintenance branch only
    commit(repo, "fix: backport")
    git(repo, "tag", "v1.0.1")
    git(repo, "checkout", "-q", "main")
    commit(repo, "fix: here")  # main's next version is 1.0.1 too
    ws = workspace(repo)
    with pytest.raises(ReleaseError, match=r"tag v1\.0\.1 already exists .* not on HEAD .*doit release --version"):
        preview(ws, plan(ws))


def test_the_dry_run_of_a_release_whose_tag_is_free_prints_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "checkout", "-q", "-b", "maint-1.0")
    commit(repo, "fix: backport")
    git(repo, "tag", "v1.0.1")
    git(repo, "checkout", "-q", "main")
    commit(repo, "feat: here")  # 1.1.0: no tag in the way
    ws = workspace(repo)
    preview(ws, plan(ws))
    assert "next version: 1.1.0" in capsys.readouterr().out


def test_a_shallow_clone_is_refused_with_how_to_fetch_history(repo: Path, tmp_path: Path) -> None:
    commit(repo, "feat: a")
    git(repo, "push", "-q", "origin", "main")
    shallow = clone(f"file://{tmp_path / 'origin.git'}", tmp_path / "shallow", "--depth", "1")
    refused(shallow, GitError, "shallow clone.*git fetch --unshallow --tags")


def test_nothing_releasable_writes_nothing(repo: Path) -> None:
    commit(repo, "docs: a")
    ws = workspace(repo)
    assert publish(ws, plan(ws), None) == ""
    assert not (repo / "CHANGELOG.md").exists()


def test_version_files_are_updated_in_the_release_commit(repo: Path) -> None:
    (repo / "package.json").write_text('{\n  "name": "site",\n  "version": "1.0.0"\n}\n')
    (repo / "version.py").write_text('__version__ = "1.0.0"\n')
    commit(repo, "feat: a")
    ws = workspace(repo, version_files=["package.json", 'version.py:__version__ = "{version}"'])
    publish(ws, plan(ws), None)
    assert (repo / "package.json").read_text() == '{\n  "name": "site",\n  "version": "1.1.0"\n}\n'
    assert (repo / "version.py").read_text() == '__version__ = "1.1.0"\n'
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["CHANGELOG.md", "package.json", "version.py"]
    assert git(repo, "status", "--porcelain") == ""


def test_a_broken_version_file_stops_the_release_before_anything_is_written(repo: Path) -> None:
    (repo / "version.py").write_text("nothing to see\n")
    commit(repo, "feat: a")
    refused(repo, ReleaseError, "version.py does not contain the pattern", version_files=['version.py:V = "{version}"'])
    assert not (repo / "CHANGELOG.md").exists() and git(repo, "tag", "--list", "v1.1.0") == ""


def test_prereleases_count_up_and_then_finish(repo: Path) -> None:
    from deploylib.release.versioning.options import PlanOptions

    ws = workspace(repo)
    rc = PlanOptions(prerelease="rc")
    commit(repo, "feat: a")
    assert publish(ws, plan_release(ws, git(repo, "rev-parse", "HEAD"), rc), None) == "v1.1.0-rc.1"
    assert not plan_release(ws, git(repo, "rev-parse", "HEAD"), rc).is_release  # rc.1 is on HEAD already
    commit(repo, "fix: b")
    assert publish(ws, plan_release(ws, git(repo, "rev-parse", "HEAD"), rc), None) == "v1.1.0-rc.2"
    assert publish(ws, plan(ws), None) == "v1.1.0"  # finishing: every commit since v1.0.0 counts
    assert "## [1.1.0]" in (repo / "CHANGELOG.md").read_text()


def test_the_full_changelog_is_regenerated_from_every_tag(repo: Path) -> None:
    from deploylib.release.stage import write_changelog

    ws = workspace(repo)
    for message in ("feat: one", "fix: two", "feat: three"):
        commit(repo, message)
        publish(ws, plan(ws), None)
    (repo / "CHANGELOG.md").write_text("lost\n")
    write_changelog(ws, full=True)
    text = (repo / "CHANGELOG.md").read_text()
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        f"## [{v}] - {date}" for v, date in [("1.2.0", _today()), ("1.1.1", _today()), ("1.1.0", _today()),
                                             ("1.0.0", _today())]]
    assert text.index("three") < text.index("two") < text.index("one")


def test_writing_the_latest_section_twice_does_not_duplicate_it(repo: Path) -> None:
    from deploylib.release.stage import write_changelog

    commit(repo, "feat: one")
    ws = workspace(repo)
    publish(ws, plan(ws), None)
    write_changelog(ws, full=False)
    write_changelog(ws, full=False)
    assert (repo / "CHANGELOG.md").read_text().count("## [1.1.0]") == 1


def _today() -> str:
    import datetime

    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")


def test_a_github_release_is_published_with_notes_links_and_the_artifact(repo: Path, tmp_path: Path, github,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from deploylib.model import Artifact

    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    commit(repo, "feat(ui): dark mode (#12)")
    tar = tmp_path / "abc.tar"
    tar.write_bytes(b"artifact")
    ws = workspace(repo, github={"repository": "acme/site", "api_url": github.api_url})
    publish(ws, plan(ws), Artifact("sha256:abc", tar, tmp_path / "m.json", "1.1.0", "c"))
    release = next(iter(github.releases.values()))
    assert release["tag_name"] == "v1.1.0"
    assert f"[#12]({github.api_url}/acme/site/pull/12)" in release["body"]
    assert f"{github.api_url}/acme/site/compare/v1.0.0...v1.1.0" in release["body"]
    assert github.release_assets("v1.1.0") == {"work-1.1.0.tar": b"artifact"}


def test_a_missing_token_stops_a_github_release_before_anything_is_written(repo: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    commit(repo, "feat: a")
    refused(repo, ReleaseError, "neither GITHUB_TOKEN nor GH_TOKEN is set", github={"repository": "acme/site"})
    assert git(repo, "tag", "--list", "v1.1.0") == "" and not (repo / "CHANGELOG.md").exists()


def written(repo: Path, origin: str) -> tuple[str, str, str, str]:
    """What a release writes: HEAD, the local tags, the working tree's state and every ref on `origin`."""
    return (git(repo, "rev-parse", "HEAD"), git(repo, "tag", "--list"), git(repo, "status", "--porcelain"),
            git(repo, "ls-remote", origin))


def protect(origin: Path) -> None:
    """A pre-receive hook in the bare `origin` that refuses every update, as a protected branch does."""
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)


def test_a_push_refused_by_branch_protection_is_its_own_error_and_takes_the_release_back(repo: Path,
                                                                                        tmp_path: Path) -> None:
    protect(tmp_path / "origin.git")
    commit(repo, "feat: a")
    before = written(repo, str(tmp_path / "origin.git"))
    refused(repo, GitError, "refused by branch protection.*taken back")
    assert written(repo, str(tmp_path / "origin.git")) == before and not (repo / "CHANGELOG.md").exists()


def test_a_push_the_remote_refuses_as_non_fast_forward_writes_nothing(repo: Path, tmp_path: Path) -> None:
    other = clone(str(tmp_path / "origin.git"), tmp_path / "other")
    commit(other, "fix: elsewhere", "other.txt")
    git(other, "push", "-q", "origin", "main")  # origin's main moved on; this clone has not fetched it
    commit(repo, "feat: here")
    before = written(repo, str(tmp_path / "origin.git"))
    refused(repo, GitError, r"refused by the remote: refs/heads/main: \[rejected\] \(fetch first\).*git pull --rebase")
    assert written(repo, str(tmp_path / "origin.git")) == before


def test_a_version_files_release_refused_by_the_remote_puts_the_files_back(repo: Path, tmp_path: Path) -> None:
    (repo / "package.json").write_text('{"version": "1.0.0"}\n')
    (repo / "CHANGELOG.md").write_text("# Changelog\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat: a")
    protect(tmp_path / "origin.git")
    before = written(repo, str(tmp_path / "origin.git"))
    refused(repo, GitError, "taken back", version_files=["package.json"])
    assert written(repo, str(tmp_path / "origin.git")) == before
    assert (repo / "package.json").read_text() == '{"version": "1.0.0"}\n'
    assert (repo / "CHANGELOG.md").read_text() == "# Changelog\n"


@pytest.mark.parametrize("url", ["ssh://git@no-such-host.invalid/x.git", "https://no-such-host.invalid/x.git",
                                 "git@no-such-host.invalid:x.git", "git://no-such-host.invalid/x.git"])
def test_a_remote_whose_host_does_not_resolve_is_refused_before_anything_is_written(repo: Path, url: str) -> None:
    git(repo, "remote", "set-url", "origin", url)
    commit(repo, "feat: a")
    before = written(repo, str(repo.parent / "origin.git"))
    refused(repo, GitError, f'to the remote "origin" \\({url}\\), but git says it cannot: .*no-such-host.invalid.*'
            "Nothing was tagged or pushed; check its address \\(git remote set-url origin URL\\)")
    assert written(repo, str(repo.parent / "origin.git")) == before and not (repo / "CHANGELOG.md").exists()


def test_a_push_url_whose_host_does_not_resolve_is_refused_though_fetching_is_local(repo: Path) -> None:
    git(repo, "remote", "set-url", "--push", "origin", "ssh://git@no-such-host.invalid/x.git")
    commit(repo, "feat: a")
    before = written(repo, str(repo.parent / "origin.git"))
    refused(repo, GitError, r'"origin" \(ssh://git@no-such-host.invalid/x.git\), but git says it cannot')
    assert written(repo, str(repo.parent / "origin.git")) == before


def test_a_remote_with_the_branch_checked_out_refuses_and_the_release_is_taken_back(repo: Path,
                                                                                    tmp_path: Path) -> None:
    checked_out = clone(str(tmp_path / "origin.git"), tmp_path / "checked-out")  # not bare: main checked out
    git(repo, "remote", "set-url", "origin", str(checked_out))
    commit(repo, "feat: a")
    before = written(repo, str(checked_out))
    refused(repo, GitError, r"refused by the remote: refs/heads/main: \[remote rejected\] \(branch is currently "
            r"checked out\).*make the remote a bare repository.*taken back")
    assert written(repo, str(checked_out)) == before


def test_a_token_in_the_remote_url_is_not_shown(repo: Path) -> None:
    git(repo, "remote", "set-url", "origin", "https://bot:s3cret@no-such-host.invalid/x.git")
    commit(repo, "feat: a")
    ws = workspace(repo)
    with pytest.raises(GitError, match=r"\(https://bot:\*\*\*@no-such-host.invalid/x.git\)") as refusal:
        publish(ws, plan(ws), None)
    assert "s3cret" not in str(refusal.value)


def test_a_missing_remote_is_refused_before_anything_is_written(repo: Path) -> None:
    commit(repo, "feat: a")
    refused(repo, GitError, 'no remote "upstream".*Nothing was tagged or pushed', remote="upstream")
    assert git(repo, "tag", "--list") == "v1.0.0" and not (repo / "CHANGELOG.md").exists()


@pytest.fixture
def over_ssh(repo: Path, tmp_path: Path, ssh_hosts, monkeypatch: pytest.MonkeyPatch) -> str:
    """`repo`'s origin reached as a network remote, web1:<path> over a real sshd; returns origin's path."""
    monkeypatch.setenv("GIT_SSH_COMMAND", f"ssh -F {ssh_hosts.config}")
    origin = str(tmp_path / "origin.git")
    git(repo, "remote", "set-url", "origin", f"web1:{origin}")
    return origin


def test_a_network_remote_that_moved_on_is_refused_before_anything_is_written(repo: Path, tmp_path: Path,
                                                                              over_ssh: str) -> None:
    other = clone(over_ssh, tmp_path / "other")
    commit(other, "fix: elsewhere", "other.txt")
    git(other, "push", "-q", "origin", "main")
    commit(repo, "feat: here")
    before = written(repo, over_ssh)
    refused(repo, GitError, r"but git says it cannot: refs/heads/main: \[rejected\] \(fetch first\)\. Nothing was "
            r"tagged or pushed; the remote branch has commits this clone lacks: pull them \(git pull --rebase origin\)")
    assert written(repo, over_ssh) == before


def test_a_network_remote_that_refuses_access_is_refused_before_anything_is_written(
        repo: Path, tmp_path: Path, ssh_hosts, over_ssh: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stranger = tmp_path / "id_stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    config = ssh_hosts.write_config(tmp_path / "ssh_config")
    config.write_text(config.read_text().replace(str(ssh_hosts.user_key), str(stranger)))
    monkeypatch.setenv("GIT_SSH_COMMAND", f"ssh -F {config}")
    commit(repo, "feat: a")
    before = written(repo, over_ssh)
    refused(repo, GitError, "Permission denied.*Nothing was tagged or pushed; give this machine push access")
    assert written(repo, over_ssh) == before


def test_a_network_remote_that_already_has_the_tag_is_refused_before_anything_is_written(
        repo: Path, tmp_path: Path, over_ssh: str) -> None:
    other = clone(over_ssh, tmp_path / "other")
    git(other, "tag", "-a", "v1.1.0", "-m", "released elsewhere")
    git(other, "push", "-q", "origin", "v1.1.0")
    commit(repo, "feat: a")
    before = written(repo, over_ssh)
    refused(repo, GitError, r"refs/tags/v1.1.0: \[rejected\] \(already exists\).*git fetch --tags origin")
    assert written(repo, over_ssh) == before


def test_branch_protection_on_a_network_remote_takes_the_release_back(repo: Path, over_ssh: str) -> None:
    protect(Path(over_ssh))
    commit(repo, "feat: a")
    before = written(repo, over_ssh)
    refused(repo, GitError, "refused by branch protection.*taken back")
    assert written(repo, over_ssh) == before


def test_a_network_remote_that_takes_the_push_gets_the_release(repo: Path, over_ssh: str) -> None:
    commit(repo, "feat: a")
    ws = workspace(repo)
    assert publish(ws, plan(ws), None) == "v1.1.0"
    assert git(Path(over_ssh), "rev-parse", "v1.1.0^{commit}") == git(repo, "rev-parse", "HEAD")


def test_missing_tags_in_a_clone_are_detected_instead_of_restarting_the_version(repo: Path, tmp_path: Path) -> None:
    commit(repo, "feat: a")
    ws = workspace(repo)
    publish(ws, plan(ws), None)  # v1.1.0 with its chore(release) commit
    bare = clone(f"file://{tmp_path / 'origin.git'}", tmp_path / "notags", "--no-tags")
    assert git(bare, "tag", "--list") == ""
    commit(bare, "fix: b")
    refused(bare, GitError, "tags were not fetched.*git fetch --tags")


def test_squash_bodies_count_as_commits_when_asked(repo: Path) -> None:
    commit(repo, "fix: tidy (#9)\n\n* fix: spacing\n\n* feat!: remove the v1 endpoints")
    assert plan(workspace(repo)).version == "1.0.1"
    assert plan(workspace(repo, parse_squash_bodies=True)).version == "2.0.0"


def test_a_github_release_that_failed_is_finished_by_the_next_run(repo: Path, github,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from deploylib.forge.github import GitHubError
    from tests.fakes.github import Fault

    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setattr("deploylib.forge.github.time.sleep", lambda seconds: None)  # retries without waiting
    commit(repo, "feat: a")
    ws = workspace(repo, github={"repository": "acme/site", "api_url": github.api_url})
    github.faults += [Fault(502, message="Bad Gateway")] * 6
    with pytest.raises(GitHubError):
        publish(ws, plan(ws), None)
    assert git(repo, "tag", "--list", "v1.1.0") == "v1.1.0" and not github.releases  # tagged, not published
    again = plan(ws)
    assert not again.is_release  # HEAD carries v1.1.0: finish it, do not make v1.1.1
    assert publish(ws, again, None) == "v1.1.0"
    assert [r["tag_name"] for r in github.releases.values()] == ["v1.1.0"]
    assert "- a (" in next(iter(github.releases.values()))["body"]  # the notes of the commits since v1.0.0
    assert git(repo, "tag", "--list") == "v1.0.0\nv1.1.0"


def on_branch(repo: Path, branch: str, message: str, start: str, tag: str = "") -> None:
    """A commit on a new branch from `start` (tagged `tag`, if given), then back to main."""
    git(repo, "branch", branch, start)
    git(repo, "switch", "-q", branch)
    commit(repo, message)
    if tag:
        git(repo, "tag", "-a", tag, "-m", tag)
    git(repo, "switch", "-q", "main")


def test_every_section_written_at_release_time_is_the_one_full_regeneration_writes(repo: Path) -> None:
    from deploylib.release.changelog import section_of
    from deploylib.release.stage import write_changelog

    ws = workspace(repo)
    commit(repo, "feat: a")
    publish(ws, plan(ws), None)  # 1.1.0
    on_branch(repo, "maint", "fix: maintenance fix", "v1.1.0", tag="v1.1.1")  # a maintenance release
    on_branch(repo, "side", "feat: made early, merged late", "main")
    commit(repo, "feat: b")
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "maint")
    publish(ws, plan(ws), None)  # 1.2.0: b and the merge, not the maintenance fix 1.1.1 released
    commit(repo, "fix: d")
    commit(repo, "feat(theme): dark mode")
    git(repo, "revert", "--no-edit", "HEAD")
    publish(ws, plan(ws), None)  # 1.2.1: the revert pair cancels
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "side")
    commit(repo, "fix(assert): remove needless __proto__ use\r\n\r\nBREAKING CHANGE: <Header> moved\r\n")
    publish(ws, plan(ws), None)  # 2.0.0
    incremental = (repo / "CHANGELOG.md").read_text()
    write_changelog(ws, full=True)
    full = (repo / "CHANGELOG.md").read_text()
    for version in ("1.1.0", "1.2.0", "1.2.1", "2.0.0"):
        assert section_of(full, version) == section_of(incremental, version) != "", version
    assert "maintenance fix" in section_of(full, "1.1.1") and "maintenance fix" not in section_of(full, "1.2.0")
    assert "made early" in section_of(full, "2.0.0") and "dark mode" not in full


def test_a_release_tag_ahead_of_head_does_not_hide_heads_commits(repo: Path) -> None:
    commit(repo, "feat: a")
    git(repo, "checkout", "-q", "-b", "ahead")
    commit(repo, "fix: b")
    git(repo, "tag", "-a", "v1.1.0", "-m", "1.1.0")  # a later release HEAD is not part of
    git(repo, "checkout", "-q", "main")
    result = plan(workspace(repo))
    assert (result.version, [c.description for c in result.commits]) == ("1.1.0", ["a"])


def test_github_release_notes_show_markdown_and_html_in_subjects_as_written(repo: Path, github,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    commit(repo, "fix(assert): remove needless __proto__ use")
    commit(repo, "feat(layout): add <Header> to <App>")
    ws = workspace(repo, github={"repository": "acme/site", "api_url": github.api_url})
    publish(ws, plan(ws), None)
    body = next(iter(github.releases.values()))["body"]
    assert "**assert:** remove needless \\_\\_proto\\_\\_ use" in body
    assert "**layout:** add \\<Header\\> to \\<App\\>" in body
    changelog = (repo / "CHANGELOG.md").read_text()
    assert "remove needless \\_\\_proto\\_\\_ use" in changelog and "add \\<Header\\> to \\<App\\>" in changelog


def test_a_crlf_changelog_and_package_json_keep_crlf_and_change_only_what_the_release_adds(repo: Path) -> None:
    package = '{\r\n  "name": "site",\r\n  "version": "1.0.0"\r\n}\r\n'
    log = "# Changelog\r\n\r\n## [1.0.0] - 2026-01-01\r\n\r\n- first (aaaaaaa)\r\n"
    (repo / "package.json").write_bytes(package.encode())
    (repo / "CHANGELOG.md").write_bytes(log.encode())
    commit(repo, "feat: a")
    ws = workspace(repo, version_files=["package.json"])
    publish(ws, plan(ws), None)
    assert (repo / "package.json").read_bytes() == package.replace("1.0.0", "1.1.0").encode()
    new = (repo / "CHANGELOG.md").read_bytes().decode()
    assert new.startswith("# Changelog\r\n\r\n## [1.1.0] - ")
    assert new.endswith("\r\n\r\n" + log[len("# Changelog\r\n\r\n"):])
    assert "\n" not in new.replace("\r\n", "")
    diff = git(repo, "diff", "HEAD~1", "HEAD", "--numstat", "--", "package.json")
    assert diff.split()[:2] == ["1", "1"]  # one line changed
