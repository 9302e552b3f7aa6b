"""The browser issue's seed scenario through doit: a single-page app served by nginx whose new bundle
throws at load. Its HTML shell still answers 200, so the smoke checks pass; the browser check fails,
the deploy rolls back, and the incident shows the error and a screenshot of each release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git, local_production, require_browser, run_doit, user_repo
from tests.deploytoml import check

pytestmark = pytest.mark.slow

CHECKS = (check("production", name="home", path="/", contains="Shop")
          + check("production", name="bundle", path="/app.js")
          + check("production", kind="browser", name="home in a browser", contains="Welcome", timeout_s=5))
SHELL = "<html><body><header>Shop</header><div id='app'></div><script src='/app.js'></script></body></html>"
WORKING = "document.getElementById('app').textContent = 'Welcome to the shop';"
THROWING = "const config = window.__CONFIG__; document.getElementById('app').textContent = config.greeting;"


@pytest.fixture
def spa(tmp_path: Path, nginx) -> Path:
    require_browser("PIL")
    server = nginx(tmp_path / "live" / "current")
    return user_repo(tmp_path / "spa", {"site/index.html": SHELL, "site/app.js": WORKING, ".gitignore": "out/\n",
                                        "deploy.toml": local_production(server.url("")) + CHECKS})


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
