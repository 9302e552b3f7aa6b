"""pyproject.toml's `[tool.doit]` through the real `doit` and `deploylib check`: a value doit cannot use
stops the run with exit 3 naming its key, never doit's traceback. doit itself parses pyproject.toml
(and converts the option types it reads) before it imports dodo.py; for those faults `deploylib check`
names the byte, line or key (README: the one limit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_doit, user_repo

pytestmark = pytest.mark.slow

CONFIG = '[build]\ncommand = "mkdir -p out && cp -R site/. out/"\noutput = "out"\n\n[release]\npush = false\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return user_repo(tmp_path / "repo", {"site/index.html": "<h1>Welcome</h1>", ".gitignore": "out/\n",
                                         "deploy.toml": CONFIG})


def check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deploylib.cli", "check"], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)


# values doit reads only once it has imported dodo.py: deploylib refuses them first
@pytest.mark.parametrize(("line", "named"), [
    ('backend = "bogus"', 'backend = "bogus"'),
    ('dep_file = "/proc/no/such/folder/doit.db"', "dep_file"),
    ("check_file_uptodate = 5", "check_file_uptodate = 5"),
    ('check_file_uptodate = "sha1"', "check_file_uptodate"),
    ("outfile = 5", "outfile = 5"),
    ('codec_cls = "pickle"', "codec_cls"),
    ("num_process = -1", "num_process = -1"),
    ('par_type = "fork"', "par_type"),
    ('default_tasks = ["deploy:production"]', "default_tasks"),
    ("verbosty = 2", "verbosty"),
])
def test_doit_stops_with_exit_3_naming_the_key(repo: Path, line: str, named: str) -> None:
    (repo / "pyproject.toml").write_text(f"[tool.doit]\n{line}\n")
    done = run_doit(repo, "status")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert named in done.stderr and "[tool.doit]" in done.stderr
    assert check(repo).returncode == 3 and named in check(repo).stderr


@pytest.mark.parametrize(("content", "named"), [
    (b'[tool.doit]\nverbosity = "loud"\n', 'verbosity = "loud"'),  # doit converts it before dodo.py
    (b"[tool.doit]\ntasks = 5\n", "tasks = 5"),
    (b"[tool.doit\nverbosity = 1\n", "line 1, column 11"),
    (b'[project]\nname = "caf\xe9"\n', "byte 0xe9 at offset 21 (line 2, column 12)"),
    (b"tool = 5\n", "tool must be a table"),
])
def test_deploylib_check_names_what_stops_doit_itself(repo: Path, content: bytes, named: str) -> None:
    (repo / "pyproject.toml").write_bytes(content)
    done = check(repo)
    assert done.returncode == 3 and named in done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_deploylib_check_reports_a_valid_configuration(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.doit]\nverbosity = 2\n[tool.doit.tasks."deploy:production"]\nx = 1\n')
    done = check(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pyproject.toml" in done.stdout and "deploy.toml" in done.stdout and "valid" in done.stdout
    assert run_doit(repo, "status").returncode == 0


def test_deploylib_check_names_a_deploy_toml_fault(repo: Path) -> None:
    (repo / "deploy.toml").write_text(CONFIG.replace('output = "out"', 'output = 5'))
    done = check(repo)
    assert done.returncode == 3 and "output" in done.stderr, done.stdout + done.stderr


def test_tasks_run_with_garbage_collection_on_after_start_up_paused_it(repo: Path) -> None:
    (repo / "dodo.py").write_text((repo / "dodo.py").read_text() + (
        "\nimport gc\n\n\ndef task_gc_state():\n"
        "    return {'actions': [lambda: print('collecting:', gc.isenabled(), 'frozen:', gc.get_freeze_count() > 0)],"
        " 'verbosity': 2}\n"))
    done = run_doit(repo, "gc_state")
    assert done.returncode == 0 and "collecting: True frozen: True" in done.stdout, done.stdout + done.stderr


def test_importing_deploylib_elsewhere_leaves_garbage_collection_alone() -> None:
    done = subprocess.run([sys.executable, "-c", "import gc, deploylib.tasks; print(gc.isenabled())"],
                          capture_output=True, text=True, check=True)
    assert done.stdout == "True\n"
