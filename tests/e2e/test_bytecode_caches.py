"""Python's bytecode caches never make the tree unclean: with PYTHONDONTWRITEBYTECODE unset (the default
outside this machine), importing dodo.py, what it imports, or what the gate's tests import writes
`__pycache__/` folders, and a Vite or Hugo repository seldom ignores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git, run_doit
from tests.e2e.test_user_repo import CONFIG, make_repo

pytestmark = pytest.mark.slow

WRITES_CACHES = {"PYTHONDONTWRITEBYTECODE": ""}  # empty is unset for Python: caches are written


def _dodo_imports_a_helper(repo: Path) -> None:
    (repo / "deploytools").mkdir()
    (repo / "deploytools" / "__init__.py").write_text("NAME = 'site'\n")
    (repo / "dodo.py").write_text("import deploytools  # noqa: F401\nfrom deploylib.tasks import *  # noqa: F403\n")


def _tests_import_a_module(repo: Path) -> None:
    (repo / "checks").mkdir()
    (repo / "checks" / "sitecheck.py").write_text("from pathlib import Path\nassert 'Welcome' in "
                                                  "Path('site/index.html').read_text()\n")
    config = (repo / "deploy.toml").read_text()
    (repo / "deploy.toml").write_text(config.replace('tests = "grep -q Welcome site/index.html"',
                                                     'tests = "python -c \'import sys; sys.path.insert(0, '
                                                     '\\"checks\\"); import sitecheck\'"'))


def _tests_import_a_package_in_a_new_folder(repo: Path) -> None:
    _tests_import_a_module(repo)
    (repo / "checks" / "__init__.py").write_text("")
    config = (repo / "deploy.toml").read_text()
    (repo / "deploy.toml").write_text(config.replace("sys.path.insert(0, \\\"checks\\\"); import sitecheck",
                                                     "import checks.sitecheck"))


@pytest.mark.parametrize("setup", [lambda repo: None, _dodo_imports_a_helper, _tests_import_a_module,
                                   _tests_import_a_package_in_a_new_folder],
                         ids=["beside-dodo", "beside-what-dodo-imports", "beside-what-tests-import",
                              "in-a-tested-package"])
def test_bytecode_caches_do_not_fail_the_clean_tree_gate(tmp_path: Path, setup) -> None:
    repo = make_repo(tmp_path / "site", CONFIG)
    setup(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "fix: python helpers", "--allow-empty")
    first = run_doit(repo, "deploy:production", env=WRITES_CACHES)
    assert first.returncode == 0, first.stdout + first.stderr
    assert list(repo.rglob("__pycache__"))  # the caches were written: the test tests something
    git(repo, "commit", "-q", "--allow-empty", "-m", "fix: a second release")
    second = run_doit(repo, "deploy:production", env=WRITES_CACHES)
    assert second.returncode == 0, second.stdout + second.stderr
    assert git(repo, "tag", "--list").split() == ["v0.1.0", "v0.1.1"]
