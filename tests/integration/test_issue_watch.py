"""Issues users report during the monitoring window, asked of the contract-checked GitHub fake: one with
a watched label opened after the switch rolls the release back and the incident links it; older issues,
other labels and pull requests do not count."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib import pipeline
from deploylib.build.artifact import pack
from deploylib.config.load import parse
from deploylib.errors import ValidationFailed
from deploylib.model import Artifact, utc_now
from deploylib.state.workspace import Workspace, ensure_state_dir
from tests.conftest import GITHUB_TOKEN
from tests.fakes.app import App


def workspace(root: Path, github, app: App, **validation: object) -> Workspace:
    ensure_state_dir(root)
    env = {"target": {"type": "local", "path": "live"}, "url": app.url, "confirm": False,
           "checks": [{"path": "/"}], "validation": validation}
    data = {"build": {"command": "true"}, "environments": {"production": env},
            "release": {"github": {"repository": "acme/site", "api_url": github.api_url}}}
    return Workspace(root, parse(data, root / "deploy.toml", root), demo=False)


def artifact(ws: Workspace, version: str) -> Artifact:
    site = ws.root / f"site-{version}"
    site.mkdir()
    (site / "index.html").write_text(f"shop {version}")
    return pack(site, ws.artifacts, version, f"commit{version}")


@pytest.fixture
def live(tmp_path: Path, github, app: App, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Production running 1.0.0, deployed without watching issues; old issues already on GitHub."""
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    app.route("/", (200, {}, "shop"))
    github.add_issue("Old crash on search", ["bug"])  # created long before the switch
    ws = workspace(tmp_path, github, app)
    pipeline.deploy(ws, "production", artifact(ws, "1.0.0"), assume_yes=True)
    return ws


def users_report_after_the_switch(app: App, github, title: str, labels: list[str], **kind: object) -> None:
    """The first visit of the new release makes a user open an issue (created now, after the switch)."""
    reported: list[int] = []

    def home(request: object) -> tuple[int, dict[str, str], str]:
        if not reported:
            reported.append(1)
            now = utc_now()
            github.add_issue(title, labels, created_at=now, updated_at=now, **kind)
        return 200, {}, "shop"

    app.route("/", home)


def test_an_issue_opened_after_the_switch_rolls_back_and_the_incident_links_it(live: Workspace, github,
                                                                             app: App) -> None:
    ws = workspace(live.root, github, app, issue_labels=["bug", "p0"], interval_s=0.05, duration_s=60)
    users_report_after_the_switch(app, github, "Checkout button does nothing", ["p0", "checkout"])
    with pytest.raises(ValidationFailed, match=r"\(user-reported issues\) and was rolled back"):
        pipeline.deploy(ws, "production", artifact(ws, "1.1.0"), assume_yes=True)
    markdown = next((ws.incidents).glob("*.md")).read_text()
    number = github.issues[-1]["number"]
    assert f"- [#{number} Checkout button does nothing (p0, checkout)](https://github.com/acme/site/issues/{number})" \
           in markdown
    assert "Old crash on search" not in markdown


@pytest.mark.parametrize(("labels", "kind"), [(["question"], {}), (["bug"], {"pull_request": True})])
def test_issues_with_other_labels_and_pull_requests_do_not_count(live: Workspace, github, app: App, labels: list,
                                                                 kind: dict, capsys) -> None:
    ws = workspace(live.root, github, app, issue_labels=["bug"], interval_s=0.05, duration_s=0.3)
    users_report_after_the_switch(app, github, "How do I pay?", labels, **kind)
    pipeline.deploy(ws, "production", artifact(ws, "1.1.0"), assume_yes=True)
    assert "✓ validate user-reported issues" in capsys.readouterr().out


def test_a_minor_issue_severity_only_warns(live: Workspace, github, app: App, capsys) -> None:
    ws = workspace(live.root, github, app, issue_labels=["bug"], issue_severity="minor", interval_s=0.05,
                   duration_s=0.5)
    users_report_after_the_switch(app, github, "Typo on the about page", ["bug"])
    pipeline.deploy(ws, "production", artifact(ws, "1.1.0"), assume_yes=True)
    assert "warning: user-reported issues (minor): fail" in capsys.readouterr().out


def test_watching_issues_needs_a_github_repository(tmp_path: Path) -> None:
    from deploylib.errors import ConfigError

    env = {"target": {"type": "local", "path": "live"}, "checks": [{"path": "/"}],
           "validation": {"issue_labels": ["bug"]}}
    with pytest.raises(ConfigError, match=r"\[environments.production.validation\] issue_labels asks GitHub, but "
                                          r"\[release.github\] repository is not set"):
        parse({"build": {"command": "true"}, "environments": {"production": env}}, tmp_path / "deploy.toml",
              tmp_path)
