"""The outputs of a run on the embedded demo, as CI and a person at a terminal see them: `--json` (one
object on stdout, valid against the schema the package ships), GitHub Actions' summary, step outputs,
annotations and folded output, and the live report under a pseudo-terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pexpect
import pytest
from jsonschema import Draft202012Validator

from tests.conftest import REPO, git, lock_held_by_another_process, run_doit, user_repo
from tests.deploytoml import COPY_SITE, WELCOME, local_environment, table

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
    assert {c["environment"] for c in checks} == {"test", "production"}  # the run deploys test first


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


@pytest.mark.parametrize("environment", ["production", "test"])
def test_a_deploy_with_nothing_to_do_tells_the_release_that_is_live(deployed: tuple[Path, dict[str, Any], str],
                                                                     environment: str) -> None:
    root, first, _ = deployed
    result, values, _, stderr = in_actions(root, f"deploy:{environment}")
    assert (result["outcome"], result["environment"], result["stages"]) == ("unchanged", environment, []), stderr
    assert (result["version"], result["tag"], result["digest"]) == ("1.1.0", "v1.1.0", first["digest"])
    assert values == {"version": "1.1.0", "tag": "v1.1.0", "digest": first["digest"], "url": "", "outcome": "unchanged"}


def actions_env(runner: Path) -> dict[str, str]:
    runner.mkdir(exist_ok=True)
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(runner / "output"),
            "GITHUB_STEP_SUMMARY": str(runner / "summary.md")}


@pytest.mark.parametrize("args", [("status",), ("history",), ("releases:production",), ("list",)])
def test_github_actions_outputs_are_only_a_deploys_rollbacks_validations_or_dry_runs(
        deployed: tuple[Path, dict[str, Any], str], tmp_path: Path, args: tuple[str, ...]) -> None:
    root, _, _ = deployed
    done = run_doit(root, *args, env=actions_env(tmp_path / "runner"))  # e.g. `doit deploy:test && doit status`
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "runner" / "output").exists() and not (tmp_path / "runner" / "summary.md").exists()


def test_github_actions_outputs_of_a_validation_are_the_release_it_checked(
        deployed: tuple[Path, dict[str, Any], str], tmp_path: Path) -> None:
    root, first, _ = deployed
    done = run_doit(root, "validate:production", env=actions_env(tmp_path / "runner"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "runner" / "output").read_text() == \
        f"version=1.1.0\ntag=v1.1.0\ndigest={first['digest']}\nurl=\noutcome=validated\n"


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
    assert "### Checks" in text and "| home page | production | validate | 1 | pass |" in text
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


@pytest.mark.parametrize(("args", "env"), [((), {"NO_COLOR": "1"}), (("--no-color",), {}),
                                           ((), {"TERM": "dumb"})])  # no cursor to move: no live line
def test_no_color_on_a_terminal_gives_the_plain_lines(workspace: Path, args: tuple[str, ...],
                                                      env: dict[str, str]) -> None:
    out = spawn_deploy(workspace, *args, env=env)
    assert not ESCAPE.search(out)
    assert "  ✓ gate tests" in out and "  deployed   1.1.0" in out


def test_an_empty_no_color_is_not_set(workspace: Path) -> None:
    assert "\x1b[32m✓" in spawn_deploy(workspace, env={"NO_COLOR": ""})  # no-color.org: present and not empty


def test_on_a_terminal_a_failure_is_printed_once_the_live_line_is_gone(tmp_path: Path) -> None:
    root = site_repo(tmp_path / "site", build="echo compiling; exit 4")
    child = pexpect.spawn(sys.executable, ["-m", "doit", "deploy:production"], cwd=str(root), encoding="utf-8",
                          timeout=300, dimensions=(40, 120), env={**os.environ, **YES})
    child.expect(pexpect.EOF)
    child.close()
    out = str(child.before)
    assert child.exitstatus == 1, out
    message = out.index("✗ The build failed")
    assert out.rfind("\x1b[2K", 0, message) > out.rfind("━", 0, message)  # the live line was erased first
    assert "\x1b[2K" not in out[message:] and "\x1b[1A" not in out[message:]  # nothing drawn over it after


def test_the_summary_duration_is_the_whole_run_not_the_deploy_alone(tmp_path: Path) -> None:
    slow_build = f"sleep 1.5 && {COPY_SITE}"  # the build takes 1.5 s; the local deploy a fraction of one
    config = table("build", command=slow_build, output="out") + table("release", push=False) \
        + local_environment("test", "../live-test")
    root = user_repo(tmp_path / "site", {"deploy.toml": config, "site/index.html": WELCOME, ".gitignore": "out/\n"})
    done = run_doit(root, "deploy:test")
    assert done.returncode == 0, done.stderr
    duration = re.search(r"^  duration   ([0-9.]+) s$", done.stdout, re.M)
    assert duration is not None and float(duration[1]) >= 1.5, done.stdout


def test_the_summary_shows_five_changes_and_says_how_many_more(tmp_path: Path) -> None:
    config = table("build", command=COPY_SITE, output="out") + table("release", push=False) \
        + local_environment("test", "../live-test")
    root = user_repo(tmp_path / "site", {"deploy.toml": config, "site/index.html": WELCOME, ".gitignore": "out/\n"})
    for n in range(1, 8):
        git(root, "commit", "-q", "--allow-empty", "-m", f"fix: bug {n}")
    done = run_doit(root, "deploy:test")
    assert done.returncode == 0, done.stderr
    changes = re.search(r"^  changes    (.*\n)((?:             .*\n)*)", done.stdout, re.M)
    assert changes is not None, done.stdout
    shown = [changes[1].strip(), *(line.strip() for line in changes[2].splitlines())]
    assert len(shown) == 6 and shown[-1] == "… and 3 more in CHANGELOG.md"  # 8: the site's feat and 7 fixes


def test_without_a_terminal_the_lines_are_plain(deployed: tuple[Path, dict[str, Any], str]) -> None:
    root, _, _ = deployed
    done = run_doit(root, "validate:production")
    assert done.returncode == 0 and not ESCAPE.search(done.stdout)
    assert re.search(r"^  ✓ validate home page +\d+ ms$", done.stdout, re.M)


SITE = """[gate]
tests = "{tests}"

[build]
command = "{build}"
output = "out"

[release]
push = false
{release}
[deploy]
staging = "test"

[environments.test]
target = {{ type = "local", path = "../live-test" }}
url = "http://test.example.invalid/"
confirm = false
[[environments.test.checks]]
path = "/"
contains = "Welcome"

[environments.production]
target = {{ type = "local", path = "../live" }}
url = "https://www.example.invalid/"
[[environments.production.checks]]
path = "/"
contains = "Welcome"
"""
BUILD = "rm -rf out && cp -R site out"
PRODUCTION = "https://www.example.invalid/"


def site_repo(root: Path, tests: str = "true", build: str = BUILD, release: str = "") -> Path:
    """A user's site, never released or deployed: first release 0.1.0, production's url configured."""
    return user_repo(root, {"deploy.toml": SITE.format(tests=tests, build=build, release=release),
                            "site/index.html": "<h1>Welcome</h1>", ".gitignore": "out/\n"})


def in_actions(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], dict[str, str],
                                                                                    str, str]:
    """Run doit with --json under GITHUB_ACTIONS=true: the JSON result (checked as `result_of` does), the
    step outputs written to $GITHUB_OUTPUT, the job summary, and stderr."""
    runner = root.parent / "runner"
    runner.mkdir(exist_ok=True)
    outputs, summary = runner / "output", runner / "summary.md"
    result, stderr, _ = result_of(root, *args, env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs),
                                                    "GITHUB_STEP_SUMMARY": str(summary), **(env or {})})
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return result, values, summary.read_text(), stderr


def known(result: dict[str, Any]) -> tuple[Any, ...]:
    digest = "sha256" if result["digest"].startswith("sha256:") else result["digest"]
    return (result["exit_code"], result["environment"], result["version"], result["tag"], digest,
            result["urls"]["environment"])


def assert_told_everywhere(result: dict[str, Any], values: dict[str, str], summary: str) -> None:
    """The step outputs and the summary say what the JSON result says."""
    assert values == {"version": result["version"], "tag": result["tag"], "digest": result["digest"],
                      "url": result["urls"]["environment"], "outcome": "failed"}
    assert summary.startswith(f"## deploylib {result['command']}: failed\n")
    for key, value in (("version", result["version"]), ("environment", result["environment"]),
                       ("url", result["urls"]["environment"])):
        assert (f"| {key} | {value} |" in summary) == bool(value), (key, summary)


@pytest.mark.parametrize(("site", "args", "expected"), [
    ({"tests": "false"}, ("deploy:production",), (1, "production", "0.1.0", "v0.1.0", "", PRODUCTION)),
    ({"release": 'version_files = ["package.json"]'}, ("deploy:production",),  # preflight: stopped before the plan
     (3, "production", "0.1.0", "v0.1.0", "", PRODUCTION)),
    ({"build": "false"}, ("deploy:production",), (1, "production", "0.1.0", "v0.1.0", "", PRODUCTION)),
    ({"tests": "false"}, ("hotfix",), (1, "production", "0.1.0", "v0.1.0", "", PRODUCTION)),
    ({}, ("rollback",), (1, "production", "", "", "", PRODUCTION)),  # nothing deployed: no earlier release
    ({}, ("promote",), (1, "production", "", "", "", PRODUCTION)),  # nothing live on test
    ({}, ("rollback", "--env", "test"), (1, "test", "", "", "", "http://test.example.invalid/")),
    ({"tests": "false"}, ("release", "--dry-run"), (0, "", "0.1.0", "v0.1.0", "", "")),  # a dry run runs no gate
])
def test_a_run_that_fails_before_its_deploy_still_tells_what_it_knew(tmp_path: Path, site: dict[str, str],
                                                                     args: tuple[str, ...],
                                                                     expected: tuple[Any, ...]) -> None:
    root = site_repo(tmp_path / "site", **site)
    result, values, summary, stderr = in_actions(root, *args)
    assert known(result) == expected, stderr
    if expected[0]:
        assert result["outcome"] == "failed"
        assert_told_everywhere(result, values, summary)


@pytest.mark.parametrize(("site", "stage", "detail"), [
    ({"build": "exit 2"}, "build", "The build failed: `exit 2` exited with code 2"),  # told by the run's failure
    ({"tests": "exit 3"}, "gate tests", "`exit 3` exited with code 3"),  # told by its own line
])
def test_the_stage_that_stopped_the_run_is_its_last_stage_failed(tmp_path: Path, site: dict[str, str], stage: str,
                                                                  detail: str) -> None:
    root = site_repo(tmp_path / "site", **site)
    result, _, summary, stderr = in_actions(root, "deploy:production")
    last = result["stages"][-1]
    assert (last["name"], last["result"]) == (stage, "failed"), stderr
    assert last["detail"].startswith(detail) and last["duration_s"] >= 0
    assert f"| {stage} | ❌ failed | {detail}" in summary


def test_github_actions_show_a_commit_messages_workflow_command_as_text(tmp_path: Path) -> None:
    root = site_repo(tmp_path / "site")
    git(root, "commit", "-q", "--allow-empty", "-m", "feat!: new api\n\nBREAKING CHANGE: the old api is gone\n"
                                                    "::warning title=x::from a commit")
    _, _, _, stderr = in_actions(root, "release", "--dry-run")
    lines = stderr.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("::warning title=x::from a commit"))  # the notes
    token = lines[at - 1].removeprefix("::stop-commands::")
    assert lines[at - 1] != token and lines[at + 1] == f"::{token}::"


def test_github_actions_show_a_commands_older_form_workflow_command_as_text(tmp_path: Path) -> None:
    root = site_repo(tmp_path / "site", tests="echo 'see ##[warning]from the tests'")  # the runner reads `##[` anywhere
    _, _, _, stderr = in_actions(root, "deploy:test")
    lines = stderr.splitlines()
    shown = [n for n, line in enumerate(lines) if "##[warning]" in line and not line.startswith("::group::")]
    assert [lines[n].split()[:2] for n in shown] == [["…", "gate"], ["│", "see"]]  # the stage's line, its output
    for n in shown:
        token = lines[n - 1].removeprefix("::stop-commands::")
        assert lines[n - 1] != token and lines[n + 1] == f"::{token}::"


def test_a_run_that_stops_on_test_does_not_tell_productions_url(tmp_path: Path) -> None:
    config = table("build", command=COPY_SITE, output="out") + table("release", push=False) \
        + table("deploy", require_staging=True) + local_environment("test", "../live-test", "Not on the page") \
        + local_environment("production", "../live", url=PRODUCTION)  # test has no url: deploylib serves it
    root = user_repo(tmp_path / "site", {"deploy.toml": config, "site/index.html": WELCOME, ".gitignore": "out/\n"})
    result, values, summary, stderr = in_actions(root, "deploy:production")
    assert (result["outcome"], result["environment"]) == ("escalated", "test"), stderr  # nothing to restore
    assert result["urls"]["environment"] == values["url"] == ""
    assert PRODUCTION not in summary


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[None]:
    """Another live process holds production's deploy lock (lock_wait_s is 0: a deploy would not wait)."""
    (tmp_path / "live").mkdir()
    with lock_held_by_another_process(tmp_path / "live" / ".deploy.lock"):
        yield


def test_a_release_refused_for_its_deploy_tells_the_build_it_made(tmp_path: Path, held_lock: None) -> None:
    root = site_repo(tmp_path / "site")
    result, values, summary, stderr = in_actions(root, "deploy:production")
    assert known(result) == (7, "production", "0.1.0", "v0.1.0", "sha256", PRODUCTION), stderr
    assert "Nothing was tagged or pushed" in result["message"] and git(root, "tag", "--list") == ""
    assert (result["stages"][-1]["name"], result["stages"][-1]["result"]) == ("release", "failed")  # its task
    assert_told_everywhere(result, values, summary)


def test_a_deploy_refused_after_its_release_tells_the_release(tmp_path: Path, held_lock: None) -> None:
    root = site_repo(tmp_path / "site")
    assert run_doit(root, "release").returncode == 0
    built = json.loads((root / ".deploylib" / "build.json").read_text())
    result, values, summary, stderr = in_actions(root, "deploy:production")
    assert known(result) == (7, "production", "0.1.0", "v0.1.0", "sha256", PRODUCTION), stderr
    assert result["digest"] == built["digest"]
    assert (result["stages"][-1]["name"], result["stages"][-1]["result"]) == ("deploy:production", "failed")
    assert_told_everywhere(result, values, summary)


def test_a_run_not_confirmed_tells_the_release_it_would_have_made(tmp_path: Path) -> None:
    root = site_repo(tmp_path / "site")
    result, values, summary, stderr = in_actions(root, "deploy:production", env={"DEPLOYLIB_YES": "0"})
    assert known(result) == (6, "production", "0.1.0", "v0.1.0", "", PRODUCTION), stderr
    assert "no terminal to ask on" in result["message"]
    assert_told_everywhere(result, values, summary)


def test_a_run_interrupted_in_its_gate_tells_the_release_it_was_making(tmp_path: Path) -> None:
    import signal
    import threading

    started = tmp_path / "tests-started"
    os.mkfifo(started)
    root = site_repo(tmp_path / "site", tests=f"echo go > {started} && exec sleep 60")
    runner = tmp_path / "runner"
    runner.mkdir()
    testing = threading.Event()
    threading.Thread(target=lambda: (started.read_text(), testing.set()), daemon=True).start()
    doit = subprocess.Popen([sys.executable, "-m", "doit", "deploy:production", "--json"], cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**os.environ, **YES, "GITHUB_ACTIONS": "true",
                                 "GITHUB_OUTPUT": str(runner / "output"),
                                 "GITHUB_STEP_SUMMARY": str(runner / "summary.md")})
    assert testing.wait(timeout=120), "the gate's tests never started"
    doit.send_signal(signal.SIGINT)
    out, err = doit.communicate(timeout=120)
    result = json.loads(out)
    Draft202012Validator(SCHEMA).validate(result)
    assert known(result) == (130, "production", "0.1.0", "v0.1.0", "", PRODUCTION), err
    assert (doit.returncode, result["outcome"]) == (130, "interrupted")
    assert (result["stages"][-1]["name"], result["stages"][-1]["result"]) == ("gate tests", "failed")
    assert "outcome=interrupted" in (runner / "output").read_text().splitlines()
    assert f"version=0.1.0\ntag=v0.1.0\ndigest=\nurl={PRODUCTION}\n" in (runner / "output").read_text()


@pytest.mark.parametrize(("args", "reason"), [
    (("deploy:production", "--json", "--bogus"), "option --bogus not recognized"),  # an unknown flag
    (("rollback", "--json", "--env", "typo"), 'there is no environment "typo"; the configured environments are: '
                                              "test, production."),
    (("promote", "--json", "--env"), "option --env requires argument"),  # a missing value
    (("hotfix", "--json", "--yes=no"), "option --yes must not have an argument"),
    (("release", "--dry-run", "--json", "--bogus"), "option --bogus not recognized"),  # parsed as doit loads
    (("-v", "2", "rollback", "--json", "--to"), "option --to requires argument"),  # after doit's own options
    (("deploy:production", "--json", "status", "--bogus"), "doit status: option --bogus not recognized"),
    (("release", "--json"), "--json prints the plan of a dry run"),  # a release has no result: not made
    (("-n", "2", "deploy:production", "--json"), "doit's parallel workers would only break the run"),
])
def test_an_option_doits_parser_refuses_is_a_failed_result(tmp_path: Path, args: tuple[str, ...],
                                                           reason: str) -> None:
    root = site_repo(tmp_path / "site")
    done = run_doit(root, *args, env=YES)
    result = json.loads(done.stdout)  # the whole of stdout: doit's refusal alone printed nothing there
    Draft202012Validator(SCHEMA).validate(result)
    assert (done.returncode, result["exit_code"], result["outcome"]) == (3, 3, "failed")
    assert result["command"] == next(arg for arg in args if not arg.startswith("-") and arg != "2")
    assert reason in result["message"] and f"ERROR: {result['message']}" in done.stderr
    assert result["urls"]["environment"] == (PRODUCTION if result["command"] == "deploy:production" else "")
    assert git(root, "tag", "--list") == "" and not (root / ".deploylib" / "build.json").exists()


@pytest.mark.parametrize(("args", "reason"), [
    (("deploy:production", "--bogus"), "doit deploy:production: option --bogus not recognized"),
    (("history", "--limit", "x"), 'doit history: --limit "x" is not how many entries to show'),  # a bad value
    (("rollback", "--env", "typo"), 'doit rollback: --env "typo": deploy.toml: there is no environment "typo"'),
])
def test_github_actions_annotate_an_option_doits_parser_refuses_and_get_outputs(tmp_path: Path,
                                                                                args: tuple[str, ...],
                                                                                reason: str) -> None:
    root = site_repo(tmp_path / "site")
    summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
    done = run_doit(root, *args, env={**YES, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
                                      "GITHUB_OUTPUT": str(outputs)})
    assert done.returncode == 3, done.stdout + done.stderr
    assert re.search(rf"^::error::{re.escape(reason)}", done.stdout, re.M)
    url = PRODUCTION if args[0] == "deploy:production" else ""
    assert outputs.read_text() == f"version=\ntag=\ndigest=\nurl={url}\noutcome=failed\n"
    assert summary.read_text().startswith(f"## deploylib {args[0]}: failed\n")


def test_a_command_line_doit_accepts_is_not_refused(tmp_path: Path) -> None:
    root = site_repo(tmp_path / "site")
    result, stderr, code = result_of(root, "-v", "2", "rollback", "--env", "production", "--to", "9.9.9", "--yes")
    assert (code, result["outcome"]) == (1, "failed"), stderr
    assert "holds no release 9.9.9" in result["message"]  # the rollback itself ran and answered
