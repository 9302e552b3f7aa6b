"""State folders written by older deploylib versions, in the activation formats before revisions.log:
the command target's activations.json and the GitHub Pages target's releases.json with numbered
activations. They are still read, before the revisions.log that new activations are appended to."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from deploylib.targets.command import CommandOptions, CommandTarget
from deploylib.targets.ghpages import PagesOptions, PagesTarget
from tests.conftest import build_artifact

STATE = Path(".deploylib") / "targets" / "production"
# Records which command ran (deploy or rollback) in ran.txt, one line each.
DEPLOY = (f"{sys.executable} -c \"import os; open('ran.txt', 'a').write('deploy ' + os.environ['DEPLOY_VERSION'] "
          "+ '\\\\n')\"")
ROLLBACK = DEPLOY.replace("'deploy '", "'rollback '")


def command_target(root: Path) -> CommandTarget:
    return CommandTarget(CommandOptions(deploy=DEPLOY, rollback=ROLLBACK), root=root, environment="production")


def test_a_command_targets_old_activations_json_is_still_read(tmp_path: Path) -> None:
    target = command_target(tmp_path)
    one, two = (target.deploy(build_artifact(tmp_path, v, {"index.html": v})) for v in ("1.0.0", "2.0.0"))
    (tmp_path / STATE / "activations.json").write_text(json.dumps([
        {"id": one.id, "time": "2025-05-01T10:00:00Z", "by": "ann"},
        {"id": two.id, "time": "2025-05-02T10:00:00Z", "by": "bob"}]))
    again = command_target(tmp_path)
    assert again.live().id == two.id and again.live().activated_by == "bob"
    assert [(r.id, r.activated_at) for r in again.releases()] == [(one.id, "2025-05-01T10:00:00Z"),
                                                                   (two.id, "2025-05-02T10:00:00Z")]
    again.activate(one, "cy")  # activated before, in the old file: its rollback command runs
    assert (tmp_path / "ran.txt").read_text() == "rollback 1.0.0\n"
    assert again.live().id == one.id and [r.id for r in again.releases()] == [two.id, one.id]
    (written,) = (tmp_path / STATE / "revisions.log").read_text().splitlines()
    assert json.loads(written)["id"] == one.id and json.loads(written)["by"] == "cy"


def test_a_pages_targets_old_numbered_activations_are_still_read(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "remote.git")], check=True)
    target = PagesTarget(PagesOptions(remote="remote.git"), root=tmp_path, environment="production")
    one, two = (target.deploy(build_artifact(tmp_path, v, {"index.html": v})) for v in ("1.0.0", "2.0.0"))
    record_file = tmp_path / STATE / "releases.json"
    records = json.loads(record_file.read_text())
    records[two.id]["activations"] = [{"time": "2025-05-01T10:00:00Z", "by": "ann", "commit": "0" * 40, "n": 1}]
    records[one.id]["activations"] = [{"time": "2025-05-02T10:00:00Z", "by": "bob", "commit": "1" * 40, "n": 2}]
    record_file.write_text(json.dumps(records, indent=1))
    again = PagesTarget(PagesOptions(remote="remote.git"), root=tmp_path, environment="production")
    assert [(r.id, r.activated_by) for r in again.releases()] == [(two.id, "ann"), (one.id, "bob")]
    again.activate(two, "cy")
    assert again.live().id == two.id and again.live().activated_by == "cy"
    assert [r.id for r in again.releases()] == [one.id, two.id]
    (written,) = (tmp_path / STATE / "revisions.log").read_text().splitlines()
    assert json.loads(written)["id"] == two.id and len(json.loads(written)["commit"]) == 40
