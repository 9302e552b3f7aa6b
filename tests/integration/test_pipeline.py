"""The deploy pipeline called directly, for paths the doit chain never reaches on its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploylib import pipeline
from deploylib.build.artifact import pack
from deploylib.config.load import parse
from deploylib.errors import DeployError, GateFailed
from deploylib.state.workspace import Workspace, ensure_state_dir
from tests.conftest import git

ENV = {"target": {"type": "local", "path": ""}, "checks": [{"path": "/", "contains": "hello"}], "confirm": False}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ensure_state_dir(tmp_path)
    data = {"build": {"command": "true"}, "deploy": {"require_staging": True, "staging": "test"},
            "environments": {"test": {**ENV, "target": {"type": "local", "path": "t"}},
                             "production": {**ENV, "target": {"type": "local", "path": "p"}}}}
    return Workspace(tmp_path, parse(data, tmp_path / "deploy.toml", tmp_path), demo=False)


def artifact(ws: Workspace, body: str):  # noqa: ANN201
    site = ws.root / f"site-{body}"
    site.mkdir()
    (site / "index.html").write_text(body)
    return pack(site, ws.artifacts, "1.0.0", "c0ffee")


def test_production_refuses_an_artifact_not_validated_on_staging(ws: Workspace) -> None:
    with pytest.raises(GateFailed, match="has not passed validation on test, and require_staging is true"):
        pipeline.deploy(ws, "production", artifact(ws, "hello"), assume_yes=True)
    assert not (ws.root / "p" / "current").exists()


def test_production_takes_the_artifact_once_staging_validated_it(ws: Workspace, capsys) -> None:
    built = artifact(ws, "hello")
    pipeline.deploy(ws, "test", built, assume_yes=True)
    pipeline.deploy(ws, "production", built, assume_yes=True)
    assert (ws.root / "p" / "current" / "index.html").read_text() == "hello"
    assert "passed validation on test" in capsys.readouterr().out


@pytest.fixture
def pages_ws(tmp_path: Path, app) -> Workspace:  # noqa: ANN001 - the App fixture
    """An environment on a GitHub Pages branch (a bare remote), served by an app showing the branch's tip."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "pages.git")], check=True)
    app.route("/", lambda request: (200, {}, git(tmp_path / "pages.git", "show", "gh-pages:index.html")))
    ensure_state_dir(tmp_path)
    data = {"build": {"command": "true"}, "environments": {"docs": {
        **ENV, "url": app.url, "target": {"type": "github-pages", "remote": "pages.git"}}}}
    return Workspace(tmp_path, parse(data, tmp_path / "deploy.toml", tmp_path), demo=False)


def publish_by_hand(root: Path, text: str) -> str:
    clone = root / "someone"
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(root / "pages.git"), str(clone)], check=True,
                   capture_output=True)
    (clone / "index.html").write_text(text)
    git(clone, "-c", "user.name=Jane Doe", "-c", "user.email=jane@example.invalid", "commit", "-qam", "their publish")
    git(clone, "push", "-q", "origin", "gh-pages")
    return git(clone, "rev-parse", "HEAD")


def test_a_deploy_over_a_foreign_commit_says_what_is_live(pages_ws: Workspace, capsys) -> None:
    pipeline.deploy(pages_ws, "docs", artifact(pages_ws, "hello"), assume_yes=True)
    theirs = publish_by_hand(pages_ws.root, "hello from Jane")
    site = pages_ws.root / "site-2"
    site.mkdir()
    (site / "index.html").write_text("hello again")
    pipeline.deploy(pages_ws, "docs", pack(site, pages_ws.artifacts, "1.1.0", "c0ffee"), assume_yes=True)
    out = capsys.readouterr().out
    assert f'docs serves commit {theirs[:7]} "their publish" by Jane Doe' in out
    assert "commit(s) ahead" not in out and "unknown" not in out


def test_a_rollback_never_replaces_a_foreign_commit_without_force(pages_ws: Workspace) -> None:
    pipeline.deploy(pages_ws, "docs", artifact(pages_ws, "hello"), assume_yes=True)
    site = pages_ws.root / "site-2"
    site.mkdir()
    (site / "index.html").write_text("hello again")
    pipeline.deploy(pages_ws, "docs", pack(site, pages_ws.artifacts, "1.1.0", "c0ffee"), assume_yes=True)
    theirs = publish_by_hand(pages_ws.root, "hello from Jane")
    with pytest.raises(DeployError, match=f'docs serves commit {theirs[:7]} "their publish" .*doit rollback --env '
                                          "docs --force"):
        pipeline.rollback(pages_ws, "docs", "", assume_yes=True)
    assert git(pages_ws.root / "pages.git", "rev-parse", "gh-pages") == theirs
    pipeline.rollback(pages_ws, "docs", "", assume_yes=True, force=True)  # to deploylib's last release
    assert git(pages_ws.root / "pages.git", "show", "gh-pages:index.html") == "hello again"


def test_two_incidents_on_one_environment_within_a_second_keep_both_reports(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from deploylib.model import Incident, IncidentOutcome, Release
    from deploylib.pipeline import write_incident

    ws = SimpleNamespace(incidents=tmp_path / "incidents")
    paths = [write_incident(ws, Incident("test", Release(f"1.1.{n}-abc", f"1.1.{n}", "sha256:" + "a" * 64, "c" * 40),
                                         None, IncidentOutcome.NOTHING_BEFORE, [], [], []))  # type: ignore[arg-type]
             for n in (1, 2)]
    assert len(set(paths)) == 2 and sorted(paths) == paths  # distinct, and named in time order
    assert ["1.1.1" in Path(p).read_text() for p in paths] == [True, False]
