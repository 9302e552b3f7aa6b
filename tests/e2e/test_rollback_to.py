"""`doit rollback --to X` takes a version, its tag as tag_format makes it, or a release id; for a value that
names no kept release it lists them, newest first, each marked live, previous, never live or bad."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import git, run_doit
from tests.e2e.test_user_repo import CONFIG, make_repo

pytestmark = pytest.mark.slow


def live(repo: Path) -> dict:
    return json.loads(run_doit(repo, "status", "--json").stdout)["environments"][0]


def second_release(repo: Path) -> None:
    (repo / "site" / "index.html").write_text("<h1>Welcome</h1><p>News</p>")
    git(repo, "commit", "-qam", "feat: news")
    assert run_doit(repo, "deploy:production").returncode == 0


def three_releases(repo: Path) -> Path:
    """0.1.0 and 0.2.0 deployed, 0.3.0 failed its check and was rolled back: 0.2.0 live, 0.3.0 bad."""
    assert run_doit(repo, "deploy:production").returncode == 0
    second_release(repo)
    (repo / "site" / "index.html").write_text("<h2>Welcome</h2>")  # passes the gate, fails the check
    git(repo, "commit", "-qam", "feat: smaller heading")
    assert run_doit(repo, "deploy:production").returncode == 4
    return repo


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return three_releases(make_repo(tmp_path_factory.mktemp("rollback") / "site", CONFIG))


@pytest.fixture
def repo(kept: Path) -> Path:
    """The module's repository with 0.2.0 live again (a test may have rolled it back)."""
    if live(kept)["version"] != "0.2.0":
        assert run_doit(kept, "rollback", "--to", "0.2.0").returncode == 0
    return kept


def test_a_tag_names_its_version(repo: Path) -> None:
    result = run_doit(repo, "rollback", "--to", "v0.1.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert live(repo)["version"] == "0.1.0"


def test_a_release_id_names_its_release(repo: Path) -> None:
    listing = run_doit(repo, "rollback", "--to", "no-such").stderr
    found = re.search(r"\((0\.1\.0-[0-9a-f]{12})", listing)
    assert found, listing
    release_id = found[1]
    result = run_doit(repo, "rollback", "--to", release_id)
    assert result.returncode == 0, result.stdout + result.stderr
    assert live(repo)["version"] == "0.1.0"


def test_an_unknown_value_lists_the_kept_releases_newest_first_with_their_marks(repo: Path) -> None:
    result = run_doit(repo, "rollback", "--to", "9.9.9")
    assert result.returncode == 1, result.stdout + result.stderr
    said = result.stderr
    assert "holds no release 9.9.9" in said and "--to takes a version (" in said and ", its tag (v" in said
    lines = [line.strip() for line in said.splitlines()[1:]]
    assert [line.split()[0] for line in lines] == ["0.3.0", "0.2.0", "0.1.0"]
    assert "; bad: failed validation after its deploy (" in lines[0] and "incident report" in lines[0]
    assert lines[1].endswith("; live)") and lines[2].endswith("; previous)")


def test_the_tag_example_follows_tag_format(tmp_path: Path) -> None:
    config = CONFIG.replace("push = false", 'push = false\ntag_format = "site-{version}"')
    repo = make_repo(tmp_path / "site", config)
    assert run_doit(repo, "deploy:production").returncode == 0
    second_release(repo)
    unknown = run_doit(repo, "rollback", "--to", "v0.1.0")  # a tag this repository does not make
    assert unknown.returncode == 1 and "its tag (site-0.2.0)" in unknown.stderr
    assert run_doit(repo, "rollback", "--to", "site-0.1.0").returncode == 0
    assert live(repo)["version"] == "0.1.0"


def test_the_release_already_live_is_left_as_it_is(repo: Path) -> None:
    history = json.loads(run_doit(repo, "history", "--json").stdout)["entries"]
    result = run_doit(repo, "rollback", "--to", "0.2.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is already live on production: nothing was changed" in result.stdout and "rolled back" not in result.stdout
    assert json.loads(run_doit(repo, "history", "--json").stdout)["entries"] == history  # nothing recorded


def test_a_release_that_was_never_live_is_refused_unless_forced(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    assert run_doit(repo, "deploy:production").returncode == 0
    (repo / "site" / "index.html").write_text("<h1>Welcome</h1><p>Unseen</p>")
    git(repo, "commit", "-qam", "feat: unseen")
    killed = run_doit(repo, "deploy:production", env={"DEPLOYLIB_CRASH_AT": "deploy:uploaded"})
    assert killed.returncode != 0  # unpacked and verified, never switched: "never live"
    result = run_doit(repo, "rollback", "--to", "0.2.0")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0.2.0-" in result.stderr and "was never live on production" in result.stderr
    assert "doit rollback --to 0.2.0 --force" in result.stderr  # production is the default environment
    assert live(repo)["version"] == "0.1.0"
    forced = run_doit(repo, "rollback", "--to", "0.2.0", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert live(repo)["version"] == "0.2.0"
