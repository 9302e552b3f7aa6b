"""The browser issue's seed scenario through doit: a single-page app served by nginx whose new bundle
throws at load. Its HTML shell still answers 200, so the smoke checks pass; the browser check fails,
the deploy rolls back, and the incident shows the error and a screenshot of each release."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, git, missing, require, run_doit

pytestmark = pytest.mark.slow

CONFIG = """
[build]
command = "rm -rf out && cp -R site out"
output = "out"

[release]
push = false

[environments.production]
target = {{ type = "local", path = "../live" }}
url = "{url}"
confirm = false

[[environments.production.checks]]
name = "home"
path = "/"
contains = "Shop"

[[environments.production.checks]]
name = "bundle"
path = "/app.js"

[[environments.production.checks]]
kind = "browser"
name = "home in a browser"
contains = "Welcome"
timeout_s = 5
"""
SHELL = "<html><body><header>Shop</header><div id='app'></div><script src='/app.js'></script></body></html>"
WORKING = "document.getElementById('app').textContent = 'Welcome to the shop';"
THROWING = "const config = window.__CONFIG__; document.getElementById('app').textContent = config.greeting;"


@pytest.fixture
def spa(tmp_path: Path, nginx) -> Path:
    require("chromium")
    try:
        import PIL  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as err:
        missing(f"{err.name} is not installed (pip install -e '.[test]')")
    server = nginx(tmp_path / "live" / "current")
    repo = tmp_path / "spa"
    (repo / "site").mkdir(parents=True)
    (repo / "site" / "index.html").write_text(SHELL)
    (repo / "site" / "app.js").write_text(WORKING)
    (repo / ".gitignore").write_text("out/\n")
    (repo / "deploy.toml").write_text(CONFIG.format(url=server.url("")))
    shutil.copy(REPO / "dodo.py", repo / "dodo.py")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "config", "user.name", "Shop")
    git(repo, "config", "user.email", "shop@example.invalid")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat: the shop")
    return repo


def live(repo: Path) -> str:
    return json.loads(run_doit(repo, "status", "--json").stdout.splitlines()[-1])["environments"][0]["version"]


def assert_a_real_screenshot(path: Path) -> None:
    """A PNG that decodes, with more than one colour in it (the shell's header at least)."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        low, high = image.convert("L").getextrema()
    assert low < high, f"{path.name} is blank"


def test_a_bundle_that_throws_is_caught_in_the_browser_and_rolled_back(spa: Path) -> None:
    first = run_doit(spa, "deploy:production")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "✓ validate home in a browser" in first.stdout and "home in a browser: LCP " in first.stdout

    (spa / "site" / "app.js").write_text(THROWING)
    git(spa, "commit", "-qam", "feat: greet from the runtime config")
    result = run_doit(spa, "deploy:production")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "✓ validate home" in result.stdout and "✓ validate bundle" in result.stdout  # smoke still passes
    assert "failed validation on production (home in a browser) and was rolled back" in result.stderr
    assert live(spa) == "0.1.0"

    incidents = spa / ".deploylib" / "incidents"
    report = json.loads(next(incidents.glob("*.json")).read_text())
    failed = report["failed_checks"][0]
    assert failed["name"] == "home in a browser"
    assert failed["seen"].startswith("/: uncaught TypeError: Cannot read properties of undefined")
    assert [(r["name"], r["verdict"]) for r in report["recheck"]] == [
        ("home", "pass"), ("bundle", "pass"), ("home in a browser", "pass")]  # the restored release passes

    markdown = next(incidents.glob("*.md")).read_text()
    shots = {which: report[key][-1]["details"]["screenshot"] for which, key in (("failed", "failed_checks"),
                                                                               ("restored", "recheck"))}
    assert f"![home in a browser: the failed release]({shots['failed']})" in markdown
    assert f"![home in a browser: the restored release]({shots['restored']})" in markdown
    assert "uncaught TypeError" in markdown
    for name in shots.values():
        assert_a_real_screenshot(incidents / name)
