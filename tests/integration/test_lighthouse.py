"""The Lighthouse build gate with the real CLI and headless Chromium (about 10 s a page)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from deploylib.build.stage import build_gates
from deploylib.config.load import parse
from deploylib.errors import BuildError
from deploylib.state.workspace import Workspace
from tests.conftest import REPO, require

pytestmark = pytest.mark.slow

INACCESSIBLE = """<html><body style="color:#eee;background:#fff"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input type="text"><a href="#"></a><p>grey on white, no language, no title, no labels</p></body></html>"""


@pytest.fixture
def lighthouse() -> str:
    """The Lighthouse CLI: $LIGHTHOUSE, on PATH, or where .ci/run installs it."""
    require("chromium")
    found = os.environ.get("LIGHTHOUSE") or shutil.which("lighthouse")
    local = REPO / ".ci" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
    if not found and local.exists():
        found = str(local)
    return found or require("lighthouse")


def workspace(tmp_path: Path, lighthouse: str, scores: dict, pages: list[str]) -> Workspace:
    data = {"build": {"command": "true", "lighthouse": {"scores": scores, "pages": pages, "command": lighthouse}}}
    return Workspace(tmp_path, parse(data, tmp_path / "deploy.toml", tmp_path), demo=False)


def test_lighthouse_passes_a_good_page_and_fails_an_inaccessible_one(tmp_path: Path, lighthouse: str, capsys) -> None:
    site = tmp_path / "dist"
    shutil.copytree(REPO / "examples" / "demo-site" / "src", site)
    (site / "bad.html").write_text(INACCESSIBLE)
    ws = workspace(tmp_path, lighthouse, {"performance": 50, "accessibility": 90}, ["/index.html", "/bad.html"])
    with pytest.raises(BuildError) as caught:
        build_gates(ws, site, [])
    out = capsys.readouterr().out
    assert "✓ build lighthouse       Lighthouse score: performance " in out and "(/index.html)" in out
    assert "lighthouse: /bad.html: accessibility " in str(caught.value) and "< 90" in str(caught.value)


def test_a_missing_lighthouse_cli_is_a_clear_error(tmp_path: Path) -> None:
    require("chromium")
    site = tmp_path / "dist"
    site.mkdir()
    (site / "index.html").write_text("<html></html>")
    ws = workspace(tmp_path, "no-such-lighthouse", {"performance": 50}, ["/"])
    with pytest.raises(BuildError, match="could not audit /: .*command not found.*npm install -g lighthouse"):
        build_gates(ws, site, [])


WRITES_REPORT = "sh -c 'for a; do case $a in --output-path=*) printf %s \"$0\" > \"${a#--output-path=}\";; esac; done' "


@pytest.mark.parametrize(("command", "said"), [
    ("true", "Lighthouse ran for / (true) but left no report deploylib can read (No such file or directory)"),
    (WRITES_REPORT + "'{not json'", "left no report deploylib can read"),
    (WRITES_REPORT + "'" + "[" * 100_000 + "'", "left no report deploylib can read (it nests"),
    (WRITES_REPORT + "'[1, 2]'", "lighthouse: /: the report is not Lighthouse's JSON (no table of categories)"),
], ids=["no report", "not JSON", "too deep", "a list"])
def test_a_lighthouse_command_that_leaves_no_usable_report_is_a_clear_build_error(tmp_path: Path, command: str,
                                                                                 said: str) -> None:
    require("chromium")
    site = tmp_path / "dist"
    site.mkdir()
    (site / "index.html").write_text("<html></html>")
    with pytest.raises(BuildError) as caught:
        build_gates(workspace(tmp_path, command, {"performance": 50}, ["/"]), site, [])
    assert said in str(caught.value)

