"""`doit releases:<env>`: the releases a target keeps, marked live, previous and bad, and `doit rollback`
restoring exactly the one marked previous."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git, run_doit, user_repo
from tests.deploytoml import local_environment, table

pytestmark = pytest.mark.slow

CONFIG = (table("build", command="rm -rf out && cp -R site out", output="out") + table("release", push=False)
          + local_environment("production", "../live", "Welcome", confirm=False))


def ship(repo: Path, page: str, message: str) -> int:
    (repo / "site" / "index.html").write_text(page)
    git(repo, "commit", "-qam", message)
    return run_doit(repo, "deploy:production").returncode


def listed(repo: Path) -> list[tuple[str, list[str]]]:
    result = run_doit(repo, "releases:production", "--json")
    assert result.returncode == 0, result.stderr
    return [(r["version"], r["marks"]) for r in json.loads(result.stdout)["releases"]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three deploys to production: 0.1.0 and 0.1.1 pass, 0.1.2 fails its check and is rolled back."""
    repo = user_repo(tmp_path_factory.mktemp("releases") / "site",
                     {"deploy.toml": CONFIG, "site/index.html": "Welcome 1", ".gitignore": "out/\n"})
    assert run_doit(repo, "deploy:production").returncode == 0
    assert ship(repo, "Welcome 2", "fix: second") == 0
    assert ship(repo, "Broken", "fix: third") == 4
    return repo


def test_the_json_listing_marks_live_previous_and_bad_newest_first(site: Path) -> None:
    assert listed(site) == [("0.1.1", ["live"]), ("0.1.2", ["bad"]), ("0.1.0", ["previous"])]


def test_each_release_names_its_id_digest_and_activation(site: Path) -> None:
    release = json.loads(run_doit(site, "releases:production", "--json").stdout)["releases"][0]
    assert release["id"] == f"0.1.1-{release['digest'].split(':')[1][:12]}"
    assert release["activated_at"].endswith("Z") and release["activated_by"]


def test_the_table_shows_the_marks_beside_the_versions(site: Path) -> None:
    result = run_doit(site, "releases:production")
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("  0.1.")]
    assert [(row[1], row[-1]) for row in rows] == [("0.1.1", "live"), ("0.1.2", "bad"), ("0.1.0", "previous")]


def test_doit_list_names_the_environments_of_each_group(site: Path) -> None:
    listing = run_doit(site, "list").stdout
    for group in ("deploy", "validate", "releases", "unlock"):
        assert f"{group}:production" in listing


def test_rollback_to_the_live_release_changes_and_records_nothing(site: Path) -> None:
    before = json.loads(run_doit(site, "history", "--json").stdout)
    result = run_doit(site, "rollback", "--to", "0.1.1")
    assert result.returncode == 0, result.stderr
    assert "0.1.1" in result.stdout and "is already live on production: nothing was changed" in result.stdout
    assert "re-validate" not in result.stdout
    assert json.loads(run_doit(site, "history", "--json").stdout) == before
    assert listed(site) == [("0.1.1", ["live"]), ("0.1.2", ["bad"]), ("0.1.0", ["previous"])]


def test_rollback_restores_the_release_listed_as_previous(site: Path) -> None:  # changes `site`: kept last
    assert run_doit(site, "rollback", "--yes").returncode == 0
    assert listed(site) == [("0.1.0", ["live"]), ("0.1.1", ["previous"]), ("0.1.2", ["bad"])]


def test_an_environment_with_nothing_deployed_says_so(tmp_path: Path) -> None:
    repo = user_repo(tmp_path / "site", {"deploy.toml": CONFIG, "site/index.html": "Welcome"})
    result = run_doit(repo, "releases:production")
    assert result.returncode == 0 and "keeps no release of production yet" in result.stdout


def test_rollback_to_the_live_release_asks_nothing_where_production_needs_confirmation(tmp_path: Path) -> None:
    config = CONFIG.replace("confirm = false\n", "")
    repo = user_repo(tmp_path / "site", {"deploy.toml": config, "site/index.html": "Welcome", ".gitignore": "out/\n"})
    assert run_doit(repo, "deploy:production", "--yes").returncode == 0
    result = run_doit(repo, "rollback", "--to", "0.1.0")  # no terminal and no --yes: a change would stop with 6
    assert result.returncode == 0, result.stderr
    assert "is already live on production: nothing was changed" in result.stdout
