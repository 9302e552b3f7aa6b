"""The outputs of a run on the embedded demo, as CI and a person at a terminal see them: `--json` (one
object on stdout, valid against the schema the package ships), GitHub Actions' summary, step outputs,
annotations and folded output, and the live report under a pseudo-terminal."""

from __future__ import annotations

import json
import os
import re
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pexpect
import pytest
from jsonschema import Draft202012Validator

from tests.conftest import REPO, git, run_doit, user_repo

pytestmark = pytest.mark.slow
YES = {"DEPLOYLIB_YES": "1"}
SCHEMA = json.loads((files("deploylib") / "schemas" / "result.schema.json").read_text(encoding="utf-8"))
ESCAPE = re.compile(r"\x1b\[")


def result_of(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str, int]:
    """Run doit with --json; stdout must be exactly one JSON object valid against the shipped schema."""
    done = run_doit(root, *args, "--json", env={**YES, **(env or {})})
    result = json.loads(done.stdout)  # the whole of stdout, nothing before or after the object
    Draft202012Validator(SCHEMA).validate(result)
    assert result["exit_code"] == done.returncode
    return result, done.stderr, done.returncode


def break_the_about_page(root: Path) -> None:
    done = run_doit(root, "break-demo")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """One deploy of the demo to production with --json, shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("outputs") / "clone"
    root.mkdir()
    (root / "dodo.py").write_text((REPO / "dodo.py").read_text())
    result, stderr, code = result_of(root, "deploy:production")
    assert code == 0, stderr
    return root, result, stderr


def test_deploy_json_is_the_release_its_stages_and_checks(deployed: tuple[Path, dict[str, Any], str]) -> None:
    _, result, _ = deployed
    assert (result["command"], result["environment"], result["version"], result["tag"], result["outcome"]) == \
        ("deploy:production", "production", "1.1.0", "v1.1.0", "live")
    assert result["digest"].startswith("sha256:") and result["incident"] == "" and result["message"] == ""
    stages = {s["name"]: s for s in result["stages"]}
    assert stages["gate tests"]["result"] == "passed" and stages["switch:production"]["result"] == "passed"
    assert all(s["duration_s"] >= 0 for s in result["stages"])
    checks = [c for c in result["checks"] if c["phase"] == "validate"]
    assert {c["verdict"] for c in checks} == {"pass"} and {"home page", "about page"} <= {c["name"] for c in checks}


def test_with_json_the_human_report_goes_to_stderr(deployed: tuple[Path, dict[str, Any], str]) -> None:
    _, _, stderr = deployed
    assert ".  gate" in stderr and "✓ gate tests" in stderr and "deployed   1.1.0" in stderr


def test_a_dry_run_release_gives_the_plan_as_json(tmp_path: Path) -> None:
    (tmp_path / "dodo.py").write_text((REPO / "dodo.py").read_text())
    result, stderr, code = result_of(tmp_path, "release", "--dry-run")
    assert code == 0, stderr
    assert (result["command"], result["outcome"], result["version"], result["tag"]) == \
        ("release", "planned", "1.1.0", "v1.1.0")
    assert "next version: 1.1.0" in stderr


def test_a_failed_validation_gives_the_rollback_the_incident_and_exit_code_4(workspace: Path) -> None:
    first, stderr, code = result_of(workspace, "deploy:production")
    assert code == 0, stderr
    break_the_about_page(workspace)
    result, stderr, code = result_of(workspace, "deploy:production")
    assert (code, result["outcome"], result["environment"]) == (4, "rolled back", "test"), stderr
    assert Path(result["incident"]).is_file() and "failed validation on test" in result["message"]
    assert {c["verdict"] for c in result["checks"] if c["phase"] == "validate" and c["name"] == "about page"} \
        == {"fail"}
    assert any(c["phase"] == "re-validate" for c in result["checks"])


def test_a_rollback_with_nothing_earlier_is_a_failed_result(deployed: tuple[Path, dict[str, Any], str]) -> None:
    root, _, _ = deployed
    result, _, code = result_of(root, "rollback")
    assert (code, result["outcome"], result["command"]) == (1, "failed", "rollback")
    assert "no earlier good release" in result["message"]


@pytest.mark.parametrize("args", [("deploy:production",), ("rollback",), ("promote",), ("hotfix",),
                                  ("release", "--dry-run"), ("deploy:staging",)])
@pytest.mark.parametrize(("files", "named"), [
    ({"deploy.toml": "[build]\ncommand = 'true'\nbogus = 1\n"}, 'unknown key "bogus"'),
    ({"deploy.toml": "[environments.production]\ntarget = { type = 'local', path = 'live' }\n",
      "pyproject.toml": "[tool.doit]\nbackend = 'bogus'\n"}, 'backend = "bogus"'),
])
def test_a_configuration_refused_before_any_task_is_a_failed_result(tmp_path: Path, args: tuple[str, ...],
                                                                    files: dict[str, str], named: str) -> None:
    root = user_repo(tmp_path / "site", files)
    result, stderr, code = result_of(root, *args)
    assert (code, result["outcome"], result["command"]) == (3, "failed", args[0])
    assert named in result["message"] and named in stderr


def test_promote_and_hotfix_give_their_deploy_as_json(workspace: Path) -> None:
    tested, stderr, code = result_of(workspace, "deploy:test")
    assert (code, tested["outcome"]) == (0, "live"), stderr
    promoted, stderr, code = result_of(workspace, "promote")
    assert (code, promoted["outcome"], promoted["environment"], promoted["digest"]) == \
        (0, "live", "production", tested["digest"]), stderr
    app = workspace / ".deploylib" / "demo" / "app"
    (app / "src" / "about.html").write_text((app / "src" / "about.html").read_text() + "\n<!-- fixed -->\n")
    git(app, "commit", "-qam", "fix: a comment")
    fixed, stderr, code = result_of(workspace, "hotfix")
    assert (code, fixed["outcome"], fixed["version"], fixed["tag"]) == (0, "live", "1.1.1", "v1.1.1"), stderr
    assert "hotfix" in {s["name"] for s in fixed["stages"]}


def test_github_actions_get_a_summary_outputs_and_folded_output(workspace: Path, tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("earlier step\n")
    done = run_doit(workspace, "deploy:production", env={**YES, "GITHUB_ACTIONS": "true",
                                                          "GITHUB_STEP_SUMMARY": str(summary),
                                                          "GITHUB_OUTPUT": str(outputs)})
    assert done.returncode == 0, done.stdout + done.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["version"] == "1.1.0" and values["tag"] == "v1.1.0" and values["outcome"] == "live"
    assert values["digest"].startswith("sha256:") and values["url"] == ""
    text = summary.read_text()
    assert text.startswith("earlier step\n## deploylib deploy:production: live\n")  # appended, not replaced
    assert "| version | 1.1.0 |" in text and "### Stages" in text and "| switch:production | ✅ passed |" in text
    assert "### Checks" in text and "| home page | validate | 1 | pass |" in text
    assert "::group::gate tests: running" in done.stdout and "::endgroup::" in done.stdout


def test_github_actions_annotate_failed_checks(workspace: Path, tmp_path: Path) -> None:
    assert run_doit(workspace, "deploy:production", env=YES).returncode == 0
    break_the_about_page(workspace)
    outputs = tmp_path / "output.txt"
    done = run_doit(workspace, "deploy:production", env={**YES, "GITHUB_ACTIONS": "true",
                                                          "GITHUB_OUTPUT": str(outputs)})
    assert done.returncode == 4
    assert "::error title=validate about page::fail: " in done.stdout
    assert re.search(r"^::error::.*failed validation on test", done.stdout, re.M)
    assert "outcome=rolled back" in outputs.read_text().splitlines()


def test_github_actions_annotate_a_configuration_refused_before_any_task_and_get_outputs(tmp_path: Path) -> None:
    root = user_repo(tmp_path / "site", {"deploy.toml": "[build]\ncommand = 'true'\nbogus = 1\n"})
    summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
    done = run_doit(root, "deploy:production", env={**YES, "GITHUB_ACTIONS": "true",
                                                     "GITHUB_STEP_SUMMARY": str(summary),
                                                     "GITHUB_OUTPUT": str(outputs)})
    assert done.returncode == 3
    assert re.search(r'^::error::deploy.toml: .*unknown key "bogus"', done.stdout, re.M)
    assert "outcome=failed" in outputs.read_text().splitlines()
    assert summary.read_text().startswith("## deploylib deploy:production: failed\n")


def spawn_deploy(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    child = pexpect.spawn(sys.executable, ["-m", "doit", "deploy:production", *args], cwd=str(root),
                          encoding="utf-8", timeout=300, dimensions=(40, 120),
                          env={**os.environ, **YES, **(env or {})})
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def test_on_a_terminal_the_report_has_colour_and_progress(workspace: Path) -> None:
    out = spawn_deploy(workspace)
    assert "\x1b[32m✓" in out  # a green mark
    assert "\x1b[?25l" in out and "\x1b[2K" in out  # the live line: cursor hidden, line redrawn
    assert "validate\x1b[0m round 1 of 1" in out  # the monitoring window's progress
    assert "╭" in out and "live since" in out  # the summary block


@pytest.mark.parametrize(("args", "env"), [((), {"NO_COLOR": "1"}), (("--no-color",), {})])
def test_no_color_on_a_terminal_gives_the_plain_lines(workspace: Path, args: tuple[str, ...],
                                                      env: dict[str, str]) -> None:
    out = spawn_deploy(workspace, *args, env=env)
    assert not ESCAPE.search(out)
    assert "  ✓ gate tests" in out and "  deployed   1.1.0" in out


def test_without_a_terminal_the_lines_are_plain(deployed: tuple[Path, dict[str, Any], str]) -> None:
    root, _, _ = deployed
    done = run_doit(root, "validate:production")
    assert done.returncode == 0 and not ESCAPE.search(done.stdout)
    assert re.search(r"^  ✓ validate home page +\d+ ms$", done.stdout, re.M)
