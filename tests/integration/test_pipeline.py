"""The deploy pipeline called directly, for paths the doit chain never reaches on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploylib import pipeline
from deploylib.artifact import pack
from deploylib.config import parse
from deploylib.errors import GateFailed
from deploylib.workspace import Workspace, ensure_state_dir

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
