"""Full pipelines racing in one repository (issue 12, row 2): 2 to 8 `doit deploy:production` at
once after a new commit. Every round ends with the new build released and deployed once; the
other runs wait for the repository lock, or stop with exit 7 naming its holder; no traceback.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import git
from tests.reliability.harness import Site, check_invariants, doit_command, doit_env, make_site, trials

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def race(site: Site, processes: int) -> list[subprocess.CompletedProcess[str]]:
    """`processes` runs of `doit deploy:production` started together; their results."""
    started = [subprocess.Popen(doit_command("deploy:production"), cwd=site.repo, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=doit_env())
               for _ in range(processes)]
    results = []
    for process in started:
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def assert_round(site: Site, before: str, results: list[subprocess.CompletedProcess[str]], waits: bool) -> None:
    for done in results:
        assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        if done.returncode == 7:
            assert not waits, done.stderr
            assert "(pid " in done.stderr, done.stderr  # names the holder
        else:
            assert done.returncode == 0, done.stdout + done.stderr
    assert any(done.returncode == 0 for done in results)
    live = site.live_digest()
    assert live != before
    deploys = site.ledger_rows("action = 'deploy' AND digest = ?", (live,))
    assert [status for _, status, _, _ in deploys] == ["succeeded"]  # deployed once
    assert len(git(site.repo, "tag", "--list").split()) == site.commits + 1  # released once
    check_invariants(site, before)


@pytest.mark.parametrize(("lock_wait", "sizes"), [(0, [2, 4, 8]), (600, [3])], ids=["refuse", "wait"])
def test_racing_pipelines_release_and_deploy_the_new_build_once(tmp_path: Path, lock_wait: float,
                                                                sizes: list[int]) -> None:
    site = make_site(tmp_path, "local", lock_wait=lock_wait)
    rounds = trials(len(sizes))
    pool = sizes if rounds == len(sizes) else list(range(2, 9))  # raised counts: every size from 2 to 8
    for number in range(rounds):
        before = site.live_digest()
        site.new_commit()
        assert_round(site, before, race(site, pool[number % len(pool)]), waits=lock_wait > 0)
    print(f"\nreliability: racing pipelines (lock_wait {lock_wait}): {rounds}/{rounds} rounds deployed the new "
          "build once, 0 tracebacks")


def test_a_build_that_failed_validation_marks_the_artifact_bad_not_the_commit(tmp_path: Path) -> None:
    """A half-copied build output (as a race once produced) fails validation and is rolled back; a clean
    rebuild of the same commit gives another digest and may be deployed."""
    site = make_site(tmp_path, "local")
    half_copied = tmp_path / "half-copied"  # outside the repository: the sources stay the same
    config = site.repo / "deploy.toml"
    config.write_text(config.read_text().replace(
        'cp -R site/. out/"', f'cp -R site/. out/ && if [ -e {half_copied} ]; then echo torn > out/index.html; fi"'))
    site.new_commit()
    half_copied.touch()
    failed = site.doit("deploy:production")
    assert failed.returncode == 4, failed.stdout + failed.stderr
    bad = site.ledger_rows("action = 'deploy' AND status = 'rolled-back'")[0][2]
    half_copied.unlink()
    done = site.doit("deploy:production")
    assert done.returncode == 0, done.stdout + done.stderr
    assert site.live_digest() != bad and site.validated(site.live_digest())
    assert len(git(site.repo, "tag", "--list").split()) == 2  # the same release, rebuilt: no new version
