"""The gates on a real repository, asking the contract-checked GitHub fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib.config.load import parse
from deploylib.errors import GateFailed
from deploylib.gates.quality import run_gates
from deploylib.state.workspace import Workspace
from tests.conftest import GITHUB_TOKEN, git, new_repo


@pytest.fixture
def repo(tmp_path: Path, github, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    return new_repo(tmp_path / "work", {"a.txt": "a"}, "feat: a (#5)", user="T")


def workspace(repo: Path, github, **gate: object) -> Workspace:
    data = {"gate": gate, "release": {"github": {"repository": "acme/site", "api_url": github.api_url}}}
    return Workspace(repo, parse(data, repo / "deploy.toml", repo), demo=False)


def stage_lines(out: str) -> list[str]:
    """Report lines with their column padding folded, so assertions do not depend on alignment."""
    return [" ".join(line.split()) for line in out.splitlines()]


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def test_an_approved_pull_request_with_green_ci_passes(repo: Path, github, capsys) -> None:
    github.add_pull(head(repo), 5)
    github.add_review(5, "ana", "APPROVED")
    github.add_status(head(repo), "ci/test", "success")
    github.add_check_run(head(repo), "build", "completed", "success")
    github.add_issue("old crash", ["bug"])
    run_gates(workspace(repo, github, require_review=True, require_ci=True, blocking_labels=["critical"]), "k")
    lines = stage_lines(capsys.readouterr().out)
    assert "✓ gate review PR #5 approved by ana" in lines
    assert {line.split()[2] for line in lines if line.startswith("✓")} >= {"review", "ci", "issues"}


def test_changes_requested_blocks_the_deploy(repo: Path, github) -> None:
    github.add_pull(head(repo), 5)
    github.add_review(5, "ana", "APPROVED")
    github.add_review(5, "bob", "CHANGES_REQUESTED")
    with pytest.raises(GateFailed, match="review: PR #5 has changes requested by bob"):
        run_gates(workspace(repo, github, require_review=True), "k")


def test_a_direct_push_is_reported_as_such(repo: Path, github) -> None:
    with pytest.raises(GateFailed, match="came in by a direct push"):
        run_gates(workspace(repo, github, require_review=True), "k")


def test_the_review_of_the_source_commit_counts_not_the_release_commit(repo: Path, github) -> None:
    source = head(repo)
    github.add_pull(source, 5)
    github.add_review(5, "ana", "APPROVED")
    git(repo, "commit", "-q", "--allow-empty", "-m", "chore(release): v1.0.0")
    run_gates(workspace(repo, github, require_review=True), "k")


def test_red_ci_blocks_the_deploy(repo: Path, github) -> None:
    github.add_status(head(repo), "ci/test", "failure")
    with pytest.raises(GateFailed, match="ci: .*failing: ci/test"):
        run_gates(workspace(repo, github, require_ci=True), "k")


def test_an_open_blocking_issue_blocks_the_deploy(repo: Path, github) -> None:
    github.add_issue("checkout is down", ["critical"])
    github.add_issue("a pull request is not an issue", ["critical"], pull_request=True)
    with pytest.raises(GateFailed, match="issues: open blocking issue\\(s\\): #\\d+ 'checkout is down' \\(critical\\)$"
                       .replace("$", ".*")):
        run_gates(workspace(repo, github, blocking_labels=["critical"]), "k")


def test_a_failing_audit_blocks_the_deploy(repo: Path, github) -> None:
    with pytest.raises(GateFailed, match="audit: `sh -c 'echo 1 high severity vulnerability; exit 1'` exited"):
        run_gates(workspace(repo, github, audit="sh -c 'echo 1 high severity vulnerability; exit 1'"), "k")


def test_a_hotfix_waives_the_review_but_not_the_tests(repo: Path, github, capsys) -> None:
    ws = workspace(repo, github, require_review=True, tests="false")
    with pytest.raises(GateFailed) as caught:
        run_gates(ws, "k", waived=frozenset({"review"}))
    assert "tests:" in str(caught.value) and "review" not in str(caught.value)
    assert "– gate review waived for this hotfix" in stage_lines(capsys.readouterr().out)


def test_tests_that_passed_for_the_same_sources_are_not_run_again(repo: Path, github) -> None:
    runs = repo.parent / "runs.txt"
    ws = workspace(repo, github, tests=f"echo run >> {runs}")
    run_gates(ws, "sources-1")
    run_gates(ws, "sources-1")
    assert runs.read_text() == "run\n"
    run_gates(ws, "sources-2")
    assert runs.read_text() == "run\nrun\n"


def test_without_a_token_the_github_gates_fail_clearly(repo: Path, github, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(GateFailed, match="review: could not ask GitHub: .*neither GITHUB_TOKEN nor GH_TOKEN"):
        run_gates(workspace(repo, github, require_review=True), "k")


def test_a_passing_audit_is_shown(repo: Path, github, capsys) -> None:
    run_gates(workspace(repo, github, audit="true"), "k")
    assert any(line.startswith("✓ gate audit passed in") for line in stage_lines(capsys.readouterr().out))
