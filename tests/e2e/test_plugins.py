"""Plug-ins from outside deploylib: a forge, a target, a check kind and a notifier (tests/plugins/
acme_deploylib.py) installed as a distribution would install them — a `.dist-info` with entry_points.txt
in a folder on PYTHONPATH — and run by a real `doit deploy:production`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, git, run_doit, user_repo

pytestmark = pytest.mark.slow

ENTRY_POINTS = """[deploylib.forges]
jsonforge = acme_deploylib:JsonForge

[deploylib.targets]
folder = acme_deploylib:FolderTarget
brittle-folder = acme_deploylib:BrittleFolderTarget
faulty-folder = acme_deploylib:FaultyFolderTarget

[deploylib.checks]
min-bytes = acme_deploylib:MinBytesCheck
fragile = acme_deploylib:FragileCheck
leaky = acme_deploylib:LeakyCheck

[deploylib.notifiers]
jsonl = acme_deploylib:JsonLinesNotifier
jsonl-buggy = acme_deploylib:BuggyNotifier
"""

CONFIG = """[gate]
require_review = true
require_ci = true
blocking_labels = ["critical"]

[build]
command = "rm -rf out && mkdir -p out && cp -R site/. out/"
output = "out"

[release.forge]
type = "jsonforge"
state = "../forge.json"

[environments.production]
target = {{ type = "folder", path = "../live" }}
confirm = false
validation = {{ issue_labels = ["bug"] }}

[[environments.production.checks]]
kind = "min-bytes"
path = "/"
min_bytes = 10

[[notify]]
type = "jsonl"
path = "{events}"
"""


def install(site_packages: Path) -> Path:
    """The plug-ins' module and a .dist-info naming their entry points, as pip would leave them."""
    site_packages.mkdir()
    shutil.copy(REPO / "tests" / "plugins" / "acme_deploylib.py", site_packages / "acme_deploylib.py")
    info = site_packages / "acme_deploylib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-deploylib\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return site_packages


@pytest.fixture
def plugins(tmp_path: Path) -> dict[str, str]:
    """The environment a `doit` run needs to find the installed plug-ins."""
    installed = install(tmp_path / "site-packages")
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(installed), os.environ.get("PYTHONPATH", "")) if p)}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A user's repository with a bare origin, configured for the plug-ins only."""
    root = user_repo(tmp_path / "site", {"site/index.html": "<h1>Welcome to the plug-ins</h1>",
                                         "deploy.toml": CONFIG.format(events=tmp_path / "events.jsonl"),
                                         ".gitignore": "out/\n"}, "feat: first page (#5)")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "origin.git")], check=True)
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "push", "-q", "-u", "origin", "main")
    return root


def forge_state(site: Path, review: str = "approved", ci: str = "passed", issue_open: bool = False) -> Path:
    """The forge's answers about HEAD: PR #5 reviewed by ana, one CI check, and a critical issue."""
    head = git(site, "rev-parse", "HEAD")
    state = site.parent / "forge.json"
    state.write_text(json.dumps({
        "pulls": {head: [{"number": 5, "merged": True}]},
        "reviews": {"5": [{"author": "ana", "state": review}]},
        "checks": {head: [{"name": "tests", "state": ci}]},
        "issues": [{"number": 7, "title": "checkout down", "labels": ["critical"], "opened": "2026-01-01T00:00:00Z",
                    "open": issue_open}],
    }))
    return state


def configure(site: Path, old: str, new: str, message: str) -> None:
    """Replace `old` with `new` in deploy.toml and commit it as `message`."""
    config = site / "deploy.toml"
    config.write_text(config.read_text().replace(old, new))
    git(site, "commit", "-qam", message)


def deployed_after(site: Path, plugins: dict[str, str], old: str, new: str, message: str) -> str:
    """`configure`, then a deploy that must succeed without a traceback: its output as one line."""
    configure(site, old, new, message)
    forge_state(site)
    result = run_doit(site, "deploy:production", env=plugins)
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0 and "Traceback" not in out, out
    return out


def deploy_again(site: Path, plugins: dict[str, str], page: str, message: str) -> subprocess.CompletedProcess[str]:
    """Deploy (it must succeed), commit `page` as the site's index page as `message`, and deploy that: its result.
    The forge approves each commit."""
    forge_state(site)
    assert run_doit(site, "deploy:production", env=plugins).returncode == 0
    return commit_and_deploy(site, plugins, page, message)


def commit_and_deploy(site: Path, plugins: dict[str, str], page: str = "<h1>Welcome again to the plug-ins</h1>",
                      message: str = "feat: again (#6)") -> subprocess.CompletedProcess[str]:
    """Commit `page` as the site's index page as `message` and deploy it (the forge approves): its result."""
    (site / "site" / "index.html").write_text(page)
    git(site, "commit", "-qam", message)
    forge_state(site)
    return run_doit(site, "deploy:production", env=plugins)


def test_a_deploy_runs_on_a_plugin_forge_target_check_and_notifier(site: Path, plugins: dict[str, str]) -> None:
    state = forge_state(site)
    result = run_doit(site, "deploy:production", env=plugins)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "✓ gate review PR #5 approved by ana" in lines
    assert any(line.startswith("✓ gate ci ") and line.endswith(": 1 check(s) green") for line in lines)
    assert "✓ gate issues no open issue labelled critical" in lines
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"
    forge = json.loads(state.read_text())
    tar = Path(json.loads((site / ".deploylib" / "build.json").read_text())["tar"])
    release = forge["releases"]["v0.1.0"]
    assert release["assets"] == {"site-0.1.0.tar": hashlib.sha256(tar.read_bytes()).hexdigest()}
    assert release["commit"] == git(site, "rev-parse", "v0.1.0^{commit}") and "first page" in release["notes"]
    assert forge["deployments"] == [{"ref": "v0.1.0", "environment": "production",
                                     "statuses": ["in_progress", "success"]}]
    events = [json.loads(line) for line in (site.parent / "events.jsonl").read_text().splitlines()]
    assert [(e["event"], e["version"]) for e in events] == [("started", "0.1.0"), ("succeeded", "0.1.0")]


@pytest.mark.parametrize(("answers", "reason"), [
    ({"review": "changes_requested"}, "review: PR #5 has changes requested by ana"),
    ({"ci": "failed"}, "ci: "),
    ({"issue_open": True}, "issues: open blocking issue(s): #7 'checkout down' (critical)"),
])
def test_the_plugin_forges_answers_stop_the_deploy_at_the_gate(site: Path, plugins: dict[str, str],
                                                               answers: dict[str, object], reason: str) -> None:
    forge_state(site, **answers)  # type: ignore[arg-type]
    result = run_doit(site, "deploy:production", env=plugins)
    assert result.returncode == 1 and reason in result.stderr, result.stdout + result.stderr
    assert not (site.parent / "live").exists() and git(site, "tag", "--list") == ""


def test_an_issue_opened_after_the_switch_rolls_the_release_back(site: Path, plugins: dict[str, str]) -> None:
    state = forge_state(site)
    assert run_doit(site, "deploy:production", env=plugins).returncode == 0
    data = json.loads(state.read_text())
    data["issues"].append({"number": 8, "title": "blank page", "labels": ["bug"], "opened": "2999-01-01T00:00:00Z",
                           "open": True})  # opened after any switch
    state.write_text(json.dumps(data))
    (site / "site" / "index.html").write_text("<h1>Welcome back to the plug-ins</h1>")
    git(site, "commit", "-qam", "fix: warmer welcome (#6)")
    data["pulls"][git(site, "rev-parse", "HEAD")] = [{"number": 6, "merged": True}]
    data["reviews"]["6"] = [{"author": "ana", "state": "approved"}]
    data["checks"][git(site, "rev-parse", "HEAD")] = [{"name": "tests", "state": "passed"}]
    state.write_text(json.dumps(data))
    result = run_doit(site, "deploy:production", env=plugins)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "#8 'blank page'" in result.stdout + result.stderr
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"
    deployments = json.loads(state.read_text())["deployments"]
    assert [d["statuses"] for d in deployments] == [["in_progress", "success"], ["in_progress", "failure",
                                                                                  "inactive"]]
    events = [json.loads(line)["event"] for line in (site.parent / "events.jsonl").read_text().splitlines()]
    assert events[2:] == ["started", "failed", "rolled-back"]


def test_an_unknown_type_names_the_key_the_value_and_the_known_types_installed_ones_too(
        site: Path, plugins: dict[str, str]) -> None:
    configure(site, 'type = "folder"', 'type = "fodler"', "chore: typo")
    result = run_doit(site, "deploy:production", env=plugins)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert ('[environments.production.target] type = "fodler" is not a known type. Did you mean "folder"? Known: '
            "local, command, github-pages, ssh, brittle-folder, faulty-folder, folder; a plug-in adds one by an entry "
            "point in the group deploylib.targets") in result.stderr


def test_without_the_plugins_installed_their_kinds_are_unknown(site: Path) -> None:
    result = run_doit(site, "deploy:production")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert '[release.forge] type = "jsonforge" is not a known type. Known: github; a plug-in' in result.stderr


def test_a_check_kind_that_raises_is_an_error_the_release_is_rolled_back_exit_4(site: Path,
                                                                                plugins: dict[str, str]) -> None:
    configure(site, 'kind = "min-bytes"', 'kind = "fragile"\nname = "home page"', "chore: the fragile check")
    result = deploy_again(site, plugins, "<h1>Welcome <blink>to the plug-ins</blink></h1>", "fix: blink (#6)")
    out = result.stdout + result.stderr
    assert result.returncode == 4 and "Traceback" not in out, out
    assert ("the check home page (acme_deploylib.FragileCheck) raised ValueError: cannot parse <blink>" in out
            and "rolled back" in result.stderr)
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"


def test_a_check_kind_that_raises_on_both_releases_escalates_naming_the_check_not_the_release(
        site: Path, plugins: dict[str, str]) -> None:
    configure(site, 'kind = "min-bytes"', 'kind = "fragile"\nname = "home page"', "chore: the fragile check")
    forge_state(site)
    assert run_doit(site, "deploy:production", env=plugins).returncode == 0
    configure(site, 'name = "home page"', 'name = "home page"\nbreaks_on = "Welcome"', "chore: break on every page")
    result = commit_and_deploy(site, plugins)  # 0.1.1 over 0.1.0: the check raises on both
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 5 and "Traceback" not in out, out
    assert ("production is serving 0.1.0 (" in out and "), which could not be verified: the check(s) home page failed "
            "on it as a bug in their check kind, not as an answer from the release (see the incident report); fix or "
            "remove them, then run doit validate:production before anything else.") in out
    assert "NOT healthy" not in out
    page, live, ledger = serving(site, plugins)
    assert (page, live) == ("<h1>Welcome to the plug-ins</h1>", "0.1.0") and ledger[0][:2] == ("validate", "0.1.0")


def test_a_notifier_that_raises_is_a_warning_and_the_deploy_succeeds(site: Path, plugins: dict[str, str]) -> None:
    out = deployed_after(site, plugins, 'type = "jsonl"', 'type = "jsonl-buggy"', "chore: the buggy notifier")
    assert ("! notify the jsonl-buggy notifier failed while sending started: it raised RuntimeError: no handler for "
            "started (a bug in that notifier); nothing more was sent to it; the deploy is not affected") in out
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"


def test_a_forge_that_raises_fails_the_gate_naming_it_and_the_operation(site: Path, plugins: dict[str, str]) -> None:
    state = forge_state(site)
    state.write_text(json.dumps({"bug": "pulls"}))
    result = run_doit(site, "deploy:production", env=plugins)
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in out, out
    assert ("could not ask JsonForge: JsonForge (acme_deploylib.JsonForge) failed in pulls_for_commit: it "
            "raised KeyError: 'pulls'. This is a bug in that forge") in " ".join(out.split())
    assert git(site, "tag", "--list") == "" and not (site.parent / "live").exists()


def test_a_target_that_raises_puts_the_previous_release_back_and_names_itself(site: Path,
                                                                              plugins: dict[str, str]) -> None:
    configure(site, 'type = "folder"', 'type = "brittle-folder"', "chore: the brittle target")
    result = deploy_again(site, plugins, "<h1>Welcome again to the plug-ins</h1>", "feat: again (#6)")
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1 and "Traceback" not in out, out
    assert ("The brittle-folder target of production failed in rollout: it raised OSError: cannot switch to "
            "0.2.0") in out
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"


def test_the_plugins_and_the_readmes_example_type_check_strictly_against_deploylib(tmp_path: Path) -> None:
    """A plug-in's author checks it with `mypy --strict` against the types deploylib ships (py.typed)."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Writing a plug-in"):readme.index("## Development")]
    example = tmp_path / "readme_notifier.py"
    example.write_text(section.split("```python\n")[1].split("```")[0])
    plugins = REPO / "tests" / "plugins" / "acme_deploylib.py"
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(plugins), str(example)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def serving(site: Path, plugins: dict[str, str]) -> tuple[str, str, list[tuple[str, str, str]]]:
    """What production serves, what `status` says is live, and the ledger (action, version, status) newest first."""
    status = json.loads(run_doit(site, "status", "--json", env=plugins).stdout)
    history = json.loads(run_doit(site, "history", "--json", env=plugins).stdout)
    return ((site.parent / "live" / "current" / "index.html").read_text(), status["environments"][0]["version"],
            [(e["action"], e["version"], e["status"]) for e in history["entries"]])


def faulty_redeploy(site: Path, plugins: dict[str, str], spot: str) -> tuple[subprocess.CompletedProcess[str], str,
                                                                           tuple[str, str, list[tuple[str, str, str]]]]:
    """0.1.0 deployed with the faulty-folder target, then 0.2.0 deployed with the fault at `spot`: that deploy's
    result, its output as one line, and what was served before it (see `serving`)."""
    configure(site, 'type = "folder"', 'type = "faulty-folder"', "chore: the faulty target")
    forge_state(site)
    assert run_doit(site, "deploy:production", env=plugins).returncode == 0
    before = serving(site, plugins)
    (site.parent / "live" / "fault").write_text(spot)
    result = commit_and_deploy(site, plugins)
    return result, " ".join((result.stdout + result.stderr).split()), before


ENTERING = "The faulty-folder target of production failed in {op}: it raised RuntimeError: fault injected at {spot}."
LEAVING = ("! {op} The faulty-folder target of production failed in {op} (on leaving it): it raised RuntimeError: "
           "fault injected at {spot}.")


@pytest.mark.parametrize(("spot", "code", "said", "live"), [
    ("lock:enter", 1, ENTERING, "0.1.0"), ("serve:enter", 1, ENTERING, "0.1.0"),  # failed: the previous release stays
    ("lock:exit", 0, LEAVING, "0.2.0"), ("serve:exit", 0, LEAVING, "0.2.0"),  # a warning: the deploy stands
])
def test_a_target_whose_context_manager_raises_is_named_and_the_right_release_is_live(
        site: Path, plugins: dict[str, str], spot: str, code: int, said: str, live: str) -> None:
    result, out, before = faulty_redeploy(site, plugins, spot)
    assert result.returncode == code and "Traceback" not in out, out
    assert said.format(op=spot.split(":")[0], spot=spot) in out
    after = serving(site, plugins)
    assert after[1] == live and (after == before if live == "0.1.0" else after[2][0][1:] == ("0.2.0", "succeeded"))


def test_a_target_answering_a_wrong_type_fails_cleanly_with_the_previous_release_live(
        site: Path, plugins: dict[str, str]) -> None:
    configure(site, 'type = "folder"', 'type = "faulty-folder"', "chore: the faulty target")
    forge_state(site)
    assert run_doit(site, "deploy:production", env=plugins).returncode == 0
    before = serving(site, plugins)
    (site.parent / "live" / "fault").write_text("deploy:answer")
    result = commit_and_deploy(site, plugins)  # 0.2.0 over 0.1.0
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1 and "Traceback" not in out, out
    assert ("The faulty-folder target of production failed in deploy: it returned 42 (int) where a Release is due "
            "(README: Writing a plug-in).") in out
    page, live, ledger = serving(site, plugins)
    assert (page, live) == before[:2] and ledger[0][1:] == ("0.2.0", "failed") and ledger[1:] == before[2]


def test_a_target_whose_cleanup_raises_after_a_validated_deploy_is_a_warning_and_the_deploy_stands(
        site: Path, plugins: dict[str, str]) -> None:
    configure(site, 'type = "folder"', 'type = "faulty-folder"', "chore: the faulty target")
    forge_state(site)
    assert run_doit(site, "deploy:production", env=plugins).returncode == 0
    (site.parent / "live" / "fault").write_text("cleanup")
    result = commit_and_deploy(site, plugins)  # 0.2.0 over 0.1.0
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0 and "Traceback" not in out, out
    assert ("! cleanup The faulty-folder target of production failed in cleanup: it raised RuntimeError: fault "
            "injected at cleanup.") in out and "(the deploy itself succeeded)" in out
    page, live, ledger = serving(site, plugins)
    assert (page, live) == ("<h1>Welcome again to the plug-ins</h1>", "0.2.0")
    assert ledger[0][1:] == ("0.2.0", "succeeded")


@pytest.mark.parametrize("spot", ["lock:exit", "serve:exit", "rollout:close"])
def test_a_target_whose_clean_up_raises_after_a_rollback_keeps_exit_4(site: Path, plugins: dict[str, str],
                                                                       spot: str) -> None:
    configure(site, 'type = "folder"', 'type = "faulty-folder"', "chore: the faulty target")
    configure(site, "min_bytes = 10", "min_bytes = 20", "chore: a longer page")  # 0.2.0 fails this check
    forge_state(site)
    first = run_doit(site, "deploy:production", env=plugins)
    assert first.returncode == 0, first.stdout + first.stderr
    (site.parent / "live" / "fault").write_text(spot)
    (site / "site" / "index.html").write_text("<h1>short</h1>")
    git(site, "commit", "-qam", "feat: short (#6)")
    forge_state(site)
    result = run_doit(site, "deploy:production", env=plugins)
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 4 and "Traceback" not in out, out
    operation, leaving = spot.split(":")[0], "on stopping it" if spot == "rollout:close" else "on leaving it"
    assert f"failed in {operation} ({leaving}): it raised RuntimeError: fault injected at {spot}" in out
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"


def test_a_check_whose_shared_resource_raises_when_closed_is_a_warning_and_its_results_stand(
        site: Path, plugins: dict[str, str]) -> None:
    out = deployed_after(site, plugins, 'kind = "min-bytes"', 'kind = "leaky"', "chore: the leaky check")
    assert ('the resource "leaky" the round\'s checks shared raised RuntimeError: the leaky resource cannot close '
            "when it was closed (a bug in the check kind that opened it); the round's results stand") in out
    assert (site.parent / "live" / "current" / "index.html").read_text() == "<h1>Welcome to the plug-ins</h1>"
