"""The build's private folder (deploylib/build/place.py), through `doit build` in a user's repository:
what is packed is this run's output alone, the configured output is left as the user expects it, and
a killed run's folder is removed by the next build."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.conftest import git, run_doit, user_repo

CONFIG = """[build]
command = {command!r}
output = "{output}"

[release]
push = false
"""
COPY = "rm -rf out && cp -R site out"


def repo_with(tmp_path: Path, command: str, output: str = "out", extra: dict[str, str] | None = None) -> Path:
    files = {"site/index.html": "<h1>Welcome</h1>", ".gitignore": f"{output}/\n" if output == "out" else "",
             "deploy.toml": CONFIG.format(command=command, output=output), **(extra or {})}
    return user_repo(tmp_path / "repo", files)


def build(repo: Path, env: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    """`doit build`, which must succeed; the packed artifact's manifest."""
    done = run_doit(repo, "build", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return manifest(repo)


def manifest(repo: Path) -> dict[str, dict[str, object]]:
    record = json.loads((repo / ".deploylib" / "build.json").read_text())
    return dict(json.loads(Path(record["manifest"]).read_text()))


def builds(repo: Path) -> list[str]:
    folder = repo / ".deploylib" / "builds"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_build_told_deploy_output_is_packed_from_there_and_the_configured_output_is_left_alone(
        tmp_path: Path) -> None:
    repo = repo_with(tmp_path, 'cp -R site/. "$DEPLOY_OUTPUT"/')
    (repo / "out").mkdir()
    (repo / "out" / "mine.txt").write_text("the user's own")
    assert set(build(repo)) == {"index.html"}
    assert [p.name for p in (repo / "out").iterdir()] == ["mine.txt"]
    assert builds(repo) == []


def test_deploy_output_is_an_empty_folder_of_this_run_in_the_state_folder(tmp_path: Path) -> None:
    count, where = tmp_path / "count", tmp_path / "where"
    repo = repo_with(tmp_path, f'ls -A "$DEPLOY_OUTPUT" | wc -l > {count} && echo "$DEPLOY_OUTPUT" > {where} && '
                               'cp -R site/. "$DEPLOY_OUTPUT"/')
    build(repo)
    assert int(count.read_text()) == 0
    assert Path(where.read_text().strip()).parent.parent == repo / ".deploylib" / "builds"


def test_a_fixed_output_is_moved_in_and_back_not_copied(tmp_path: Path) -> None:
    inode = tmp_path / "inode"
    repo = repo_with(tmp_path, f"{COPY} && stat -c %i out > {inode}")
    assert set(build(repo)) == {"index.html"}
    assert (repo / "out" / "index.html").read_text() == "<h1>Welcome</h1>"
    assert os.stat(repo / "out").st_ino == int(inode.read_text())  # the very folder the build wrote
    assert builds(repo) == []


def test_a_stale_file_of_an_earlier_build_in_a_fixed_output_is_not_packed(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "mkdir -p out && cp -R site/. out/")  # a build that does not empty its folder
    (repo / "out").mkdir()
    (repo / "out" / "old-chunk.js").write_text("stale")
    assert set(build(repo)) == {"index.html"}
    assert not (repo / "out" / "old-chunk.js").exists()


def test_an_output_holding_tracked_files_is_copied_never_moved(tmp_path: Path) -> None:
    during = tmp_path / "during"
    repo = repo_with(tmp_path, f"cp site/index.html docs/index.html && git status --porcelain -- docs > {during}",
                     output="docs", extra={"docs/index.html": "<h1>Welcome</h1>", "docs/CNAME": "example.org"})
    inode = os.stat(repo / "docs").st_ino
    assert set(build(repo)) == {"index.html", "CNAME"}
    assert os.stat(repo / "docs").st_ino == inode and during.read_text() == ""
    assert git(repo, "status", "--porcelain", "--", "docs") == "" and builds(repo) == []


def test_a_failed_build_puts_back_the_output_it_moved_aside(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "exit 3")
    (repo / "out").mkdir()
    (repo / "out" / "index.html").write_text("the last good build")
    done = run_doit(repo, "build")
    assert done.returncode != 0 and "The build failed" in done.stdout + done.stderr
    assert (repo / "out" / "index.html").read_text() == "the last good build" and builds(repo) == []


def test_a_killed_runs_private_folder_is_removed_by_the_next_build(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, COPY)
    killed = run_doit(repo, "build", env={"DEPLOYLIB_CRASH_AT": "build:moved-in"})
    assert killed.returncode == -signal.SIGKILL
    assert len(builds(repo)) == 1 and not (repo / "out").exists()  # killed while packing its private folder
    assert set(build(repo)) == {"index.html"}
    assert builds(repo) == [] and (repo / "out" / "index.html").exists()


def test_what_another_process_writes_into_the_output_while_a_build_packs_is_never_packed(tmp_path: Path) -> None:
    """A run killed while its output sat in its private folder; meanwhile another process wrote half an output
    into out/. The next build moves that aside: the artifact is its own build, whole."""
    repo = repo_with(tmp_path, "mkdir -p out && cp -R site/. out/")
    assert run_doit(repo, "build", env={"DEPLOYLIB_CRASH_AT": "build:moved-in"}).returncode == -signal.SIGKILL
    (repo / "out").mkdir()
    (repo / "out" / "index.html").write_text("<h1>Wel")  # half written by the other process
    (repo / "out" / "half.js").write_text("")
    packed = build(repo)
    assert set(packed) == {"index.html"}
    assert (repo / "out" / "index.html").read_text() == "<h1>Welcome</h1>"


def test_a_build_writing_neither_output_names_both(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "true")
    done = run_doit(repo, "build")
    assert done.returncode != 0 and "Traceback" not in done.stdout + done.stderr
    assert "wrote nothing to" in done.stdout + done.stderr and "$DEPLOY_OUTPUT" in done.stdout + done.stderr
    assert builds(repo) == []


@pytest.mark.parametrize("output", [".", "./", "site/.."])
def test_an_output_holding_the_state_folder_is_refused_before_the_build(tmp_path: Path, output: str) -> None:
    marker = tmp_path / "ran"
    repo = repo_with(tmp_path, f"touch {marker}", output=output)
    done = run_doit(repo, "build")
    assert done.returncode == 3 and "Traceback" not in done.stdout + done.stderr  # found at load
    assert f'output = "{output}"' in done.stderr and "is the repository itself, which holds deploylib's state folder" \
        in done.stderr
    assert not marker.exists() and builds(repo) == []
