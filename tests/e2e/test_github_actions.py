"""examples/github-actions/deploy.yml: valid against GitHub's workflow schema (SchemaStore's, shipped in
check-jsonschema: no network), shaped as the README promises, and its deploy steps' command lines deploy a
real local repository to test and then, the same digest, to production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO, git, run_doit, user_repo
from tests.deploytoml import local_environment, table

pytestmark = pytest.mark.slow

WORKFLOW = REPO / "examples" / "github-actions" / "deploy.yml"
JOBS = {"test": "test", "production": "production"}  # job id: the environment it deploys


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text())  # YAML 1.2: `on` stays a string
    return data


def test_the_workflow_is_valid_for_github() -> None:
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_deploys_on_push_to_main_through_test_to_production() -> None:
    flow = workflow()
    assert flow["on"]["push"] == {"branches": ["main"]}
    jobs = flow["jobs"]
    assert jobs["production"]["needs"] == "test"
    assert {job: jobs[job]["environment"]["name"] for job in JOBS} == JOBS  # production waits for its reviewers


@pytest.mark.parametrize("job", list(JOBS))
def test_each_environment_deploys_one_run_at_a_time_never_cancelled(job: str) -> None:
    concurrency = workflow()["jobs"][job]["concurrency"]
    assert concurrency == {"group": f"deploy-{JOBS[job]}", "cancel-in-progress": False}


def test_permissions_are_none_by_default_and_only_what_each_job_uses() -> None:
    flow = workflow()
    assert flow["permissions"] == {}
    assert flow["jobs"]["test"]["permissions"] == {"contents": "write", "deployments": "write"}  # release, push
    assert flow["jobs"]["production"]["permissions"] == {"contents": "read", "deployments": "write"}


@pytest.mark.parametrize("job", list(JOBS))
def test_each_job_checks_out_the_whole_history_with_tags_and_caches(job: str) -> None:
    steps = workflow()["jobs"][job]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"] == {"fetch-depth": 0, "fetch-tags": True}
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["cache"] == "pip"


def deploy_step(job: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in workflow()["jobs"][job]["steps"] if s.get("id") == "deploy")
    return step


CONFIG = (table("gate", tests="npm test") + table("build", command="npm run build", output="dist")
          + table("deploy", require_staging=True) + local_environment("test", "../test-site", "Hello", check_name="")
          + local_environment("production", "../production-site", "Hello", check_name=""))
BUILD = ("node -e \"const fs=require('fs');fs.mkdirSync('dist',{recursive:true});"
         "fs.copyFileSync('index.html','dist/index.html')\"")


def run_step(repo: Path, step: dict[str, Any], runner: Path) -> subprocess.CompletedProcess[str]:
    """A step's `run` lines as the runner runs them (bash -e), with the variables GitHub Actions sets."""
    assert "${{" not in step["run"]  # run verbatim: no expression for GitHub to fill in
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "CI": "true",
           "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(repo), "GITHUB_OUTPUT": str(runner / "output"),
           "GITHUB_STEP_SUMMARY": str(runner / "summary"), "GITHUB_REF": "refs/heads/main",
           "RUNNER_TEMP": str(runner), **{key: "" for key in step.get("env", {})}}  # secrets: none needed here
    env.pop("DEPLOYLIB_YES", None)
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)


def live(repo: Path) -> dict[str, str]:
    status = json.loads(run_doit(repo, "status", "--json").stdout)
    return {env["name"]: env["digest"] for env in status["environments"]}


def test_the_deploy_steps_take_a_repository_to_test_then_the_same_digest_to_production(tmp_path: Path) -> None:
    package = {"name": "site", "private": True, "scripts": {"build": BUILD, "test": "node -e 0"}}
    source = user_repo(tmp_path / "source", {"deploy.toml": CONFIG, "package.json": json.dumps(package),
                                             "index.html": "<h1>Hello</h1>", ".gitignore": "dist/\n"})
    git(tmp_path, "clone", "-q", "--bare", str(source), "origin.git")
    # what actions/checkout leaves with fetch-depth 0: a clone on main, origin/main and every tag, no git identity
    git(tmp_path, "clone", "-q", "--no-local", "origin.git", "site")
    repo = tmp_path / "site"
    runner = tmp_path / "runner"
    runner.mkdir()
    identity = next(s for s in workflow()["jobs"]["test"]["steps"] if "git config user.name" in s.get("run", ""))
    assert run_step(repo, identity, runner).returncode == 0
    tested = run_step(repo, deploy_step("test"), runner)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    digests = live(repo)
    assert digests["test"] and not digests["production"]
    promoted = run_step(repo, deploy_step("production"), runner)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert live(repo) == {"test": digests["test"], "production": digests["test"]}  # the bytes test validated
    assert "build" not in [line.split()[1] for line in promoted.stdout.splitlines() if line.startswith("  ✓")]
    assert git(tmp_path / "origin.git", "tag", "--list") == "v0.1.0"  # the release was pushed


def test_the_workflow_installs_the_deploylib_this_repository_releases_and_each_release_keeps_it_so() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert workflow()["env"]["DEPLOYLIB_VERSION"] == project["project"]["version"]  # not an older one
    spec = f"{WORKFLOW.relative_to(REPO)}:DEPLOYLIB_VERSION: \"{{version}}\""
    assert spec in project["tool"]["deploylib"]["release"]["version_files"]
