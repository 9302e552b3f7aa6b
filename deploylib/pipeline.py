"""The deploy story as plain code: preflight → lock → upload → switch → validate →
(rollback → re-validate → incident) → record. Also manual validation and rollback.

Invariant: whatever happens (a failed check, an error, Ctrl-C, SIGTERM), the release that was
live before a deploy is live again unless the new one passed validation, and every action has
a closed ledger row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploylib import events, jsontext, report
from deploylib.config.load import EnvironmentConfig
from deploylib.confirmation import confirm
from deploylib.crash import crash_point
from deploylib.errors import (
    ConfigError,
    DeployError,
    Escalation,
    GateFailed,
    GitError,
    Interrupted,
    LockHeld,
    NeedsForce,
    ValidationFailed,
)
from deploylib.git import log_messages, run_git
from deploylib.interrupts import sigterm_as_exception
from deploylib.model import (
    Artifact,
    CheckResult,
    Incident,
    IncidentOutcome,
    LedgerAction,
    LedgerEntry,
    LedgerStatus,
    Outcome,
    Release,
    Severity,
    short_digest,
    utc_now,
)
from deploylib.state.atomic import read_regular
from deploylib.state.ledger import Ledger
from deploylib.state.lock import LockHolder, actor_name
from deploylib.state.workspace import Workspace
from deploylib.targets import open_target
from deploylib.targets.base import Kept, Target
from deploylib.targets.listing import previous as previous_release
from deploylib.validate.base import Check
from deploylib.validate.runner import ValidationReport


@dataclass
class Timeline:
    """What happened when, for the incident report."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.events.append((utc_now(), what))


command_line = report.doit_command  # fasttrack.py and the messages below


@contextlib.contextmanager
def _recorded(ws: Workspace) -> Iterator[None]:
    """For a command that changes or checks an environment, subscribe the outputs that keep its record: the
    ledger, the notifications (sent by the end of the block) and the forge's deployment statuses."""
    from deploylib.forge.deployments import DeploymentStatuses
    from deploylib.notify.delivery import DeployNotices
    from deploylib.state.ledger import Recorder

    notifier = DeployNotices(ws.config.notify)
    with events.subscribed(Recorder(ws.ledger), notifier, DeploymentStatuses(ws)):
        try:
            yield
        finally:
            notifier.flush()


def _start(action: LedgerAction, env_name: str, release: Release | Artifact, actor: str, details: dict[str, Any],
           notice: str = "") -> events.ActionStarted:
    started = events.ActionStarted(action, env_name, release.version, release.digest, release.commit, actor,
                                   details, notice)
    events.emit(started)
    return started


def _finish(started: events.ActionStarted | None, status: LedgerStatus, details: dict[str, Any] | None = None,
            row: int = 0) -> None:
    events.emit(events.ActionFinished(started, status, details or {}, row))


def _tag(ws: Workspace, version: str) -> str:
    """The tag of a released version; "" for a build of unreleased commits (`1.2.0+abc1234`)."""
    from deploylib.release.plan import release_tag

    return release_tag(ws, version)


@contextlib.contextmanager
def _base_url(ws: Workspace, env: EnvironmentConfig, target: Target) -> Iterator[str]:
    """Where the checks go: the configured url, else the target serving its live release itself."""
    with target.serve() as served:
        url = env.url or served
        if not url:
            raise ConfigError(f'{ws.config.path.name}: [environments.{env.name}] url is missing: the '
                              f"{env.target.type} target cannot serve releases for validation itself. Set url to "
                              "the address the site answers on.")
        yield url



def _validate(ws: Workspace, ledger: Ledger, env: EnvironmentConfig, release: Release, base_url: str, during: str,
              label: str = "validate", for_incident: bool = False) -> ValidationReport:
    """Run the environment's checks against `release` (live at base_url) over its monitoring window;
    report each round and record the whole report in the ledger. Evidence of failures (screenshots) goes to
    the state folder until an incident report takes it; `for_incident` keeps evidence of passes too (the
    release restored after a failed deploy)."""
    from deploylib.validate.base import Deployed
    from deploylib.validate.runner import validate as run

    entry = _start(LedgerAction.VALIDATE, env.name, release, actor_name(), {"during": during, "url": base_url})
    # A new release (also one a killed deploy left unvalidated) is watched over the whole window; a restored
    # one, or a check by hand, gets one round.
    policy = env.validation if during in ("deploy", "recovery") else dataclasses.replace(
        env.validation, initial_delay_s=0, interval_s=0, duration_s=0)
    rounds = 1 + (int(policy.duration_s // policy.interval_s) if policy.duration_s and policy.interval_s else 0)
    closes = time.monotonic() + policy.initial_delay_s + policy.duration_s

    def show(number: int, results: list[CheckResult]) -> None:
        events.emit(events.RoundFinished(label, number, tuple(results), max(rounds, number),
                                         max(0.0, closes - time.monotonic())))

    if during != "rollback":
        for name, why in env.skipped:
            report.stage(report.SKIP, f"{label} {name}", f"left out: this check {why}")
    deployed = Deployed(env.name, release.version, ws.app, ws.state / "evidence",
                        screenshot_always=for_incident, echo=report.command_line)
    checks = env.checks
    if during == "deploy" and env.validation.issue_labels:
        checks = (*checks, _issue_watch(ws, env, since=utc_now()))
    events.emit(events.WindowStarted(label, base_url, rounds, policy.duration_s, len(checks)))
    try:
        found = run(base_url, checks, policy, show, deployed=deployed)
    except BaseException as err:  # interrupted mid-check: the row must not stay "running"
        _finish(entry, LedgerStatus.INTERRUPTED, {"signal": type(err).__name__})
        raise
    latest, decision = found.latest, found.decision
    passed = sum(r.passed for r in latest)
    over = f" over {len(found.rounds)} rounds" if len(found.rounds) > 1 else ""
    report.stage(report.FAIL if decision.rollback else report.WARN if decision.warnings else report.OK, label,
                 f"{passed}/{len(latest)} checks passed{over} against {base_url} in {found.seconds:.2f} s")
    for warning in decision.warnings:
        report.note(f"warning: {warning}")
    _finish(entry, LedgerStatus.FAILED if decision.rollback else LedgerStatus.SUCCEEDED, {
        "outcome": decision.outcome, "reasons": decision.reasons, "warnings": decision.warnings,
        "rounds": [[{"name": r.name, "verdict": r.verdict.value, "severity": r.severity, "expected": r.expected,
                     "seen": r.seen, "seconds": round(r.seconds, 4)} for r in results] for results in found.rounds]})
    return found


def _issue_watch(ws: Workspace, env: EnvironmentConfig, since: str) -> Check:
    """The check for issues users open (on the forge) with one of the environment's issue_labels after `since`."""
    from deploylib.forge import forge_label, open_forge
    from deploylib.forge.base import Issue
    from deploylib.validate.issues import ReportedIssues

    def ask(label: str, since: str) -> list[Issue]:
        forge = open_forge(ws.config.release, ws.app)  # a missing token raises: the check errors, naming it
        assert forge is not None, "config validation requires a forge for issue_labels"
        return forge.issues_opened_since(label, since)

    return ReportedIssues(labels=tuple(env.validation.issue_labels), since=since, ask=ask,
                          severity=env.validation.issue_severity, forge=forge_label(ws.config.release))


def deploy(ws: Workspace, env_name: str, artifact: Artifact, assume_yes: bool, hotfix: bool = False,
           rerun: str = "", confirmed: str = "") -> None:
    """Deploy `artifact` to an environment and keep it live only if it passes validation. A hotfix skips
    the staging requirement when [gate] hotfix_waives says so, and is marked as such everywhere. `rerun`
    is the command the user ran (default: doit deploy:ENV), repeated with --yes to confirm; `confirmed`:
    how the run was confirmed before it started (see confirm)."""
    env = ws.config.environment(env_name)
    events.emit(events.Identified(env.name, artifact.version, _tag(ws, artifact.version), artifact.digest, env.url))
    target, ledger = open_target(env, ws.app), ws.ledger
    with _recorded(ws):
        recover(ws, env, target, ledger)
        _preflight(ws, env, artifact, ledger, hotfix)
        if not _anything_new(ws, env, target, artifact):
            events.emit(events.Finished("deploy", Outcome.UNCHANGED, env.name, artifact.version, artifact.digest,
                                        url=env.url, tag=_tag(ws, artifact.version)))
            return
        if ws.config.needs_confirmation(env):
            what = "HOTFIX " if hotfix else ""
            confirm(env, f"Deploy {what}{artifact.version} ({short_digest(artifact.digest)}) to {env.name}",
                    assume_yes, rerun or f"doit deploy:{env.name}", confirmed)
        _deploy_locked(ws, env, target, ledger, artifact, hotfix)


def _deploy_locked(ws: Workspace, env: EnvironmentConfig, target: Target, ledger: Ledger, artifact: Artifact,
                   hotfix: bool) -> None:
    holder = LockHolder.me("deploy", artifact.version)
    with target.lock(holder, env.lock_wait_s) as left_behind, _base_url(ws, env, target) as base_url:
        _recover(ws, ledger, env, target, base_url, left_behind)
        previous = target.live()
        entry = _start(LedgerAction.DEPLOY, env.name, artifact, holder.user,
                       {"target": target.describe(), "previous": previous.digest if previous else "",
                        "hotfix": hotfix},
                       notice=f"deploying {'hotfix ' if hotfix else ''}{artifact.release_id} "
                              f"(live: {report.release_label(previous)})")
        timeline = Timeline()
        try:
            events.emit(events.StageStarted(f"deploy:{env.name}", f"uploading {artifact.release_id} to "
                                                                  f"{target.describe()}"))
            release = target.deploy(artifact)
            crash_point("deploy:uploaded")
            timeline.add(f"{release.id} uploaded and verified on {target.describe()}")
            report.stage(report.OK, f"deploy:{env.name}", f"{release.id} unpacked and verified on {target.describe()}")
            with sigterm_as_exception():
                try:
                    found, checked = _roll_out(ws, ledger, env, target, release, previous, base_url, holder.user,
                                               timeline)
                except BaseException:
                    _restore_after_interruption(target, previous, holder.user)
                    raise
        except Exception as err:
            _finish(entry, LedgerStatus.FAILED, {"error": str(err)})
            raise
        except BaseException as err:  # Ctrl-C, SIGTERM: the previous release is back (see above)
            _finish(entry, LedgerStatus.INTERRUPTED, {"signal": type(err).__name__})
            raise Interrupted(f"Interrupted while deploying {artifact.release_id} to {env.name}; "
                              f"{report.release_label(target.live())} is serving.") from None
        decision = found.decision
        if not decision.rollback:
            _finish(entry, LedgerStatus.SUCCEEDED, {"warnings": decision.warnings})
            _cleanup(target, env, {release.id, *([previous.id] if previous else [])})
            _live(ws, env, release, previous, found, timeline, hotfix)
            return
        _finish(entry, LedgerStatus.ROLLED_BACK if previous and env.rollback else LedgerStatus.FAILED,
                {"reasons": decision.reasons})
        timeline.add(f"validation failed: {'; '.join(decision.reasons)}")
        _recover_from_failed_validation(ws, env, target, ledger, release, previous, found, checked, timeline,
                                        holder.user)


def _live(ws: Workspace, env: EnvironmentConfig, release: Release, previous: Release | None,
          found: ValidationReport, timeline: Timeline, hotfix: bool) -> None:
    """The summary of a deploy that stays live: what went live when, where, what it brings, how to undo it."""
    from deploylib.release.stage import release_links

    decision, checked = found.decision, len(found.latest)
    try:
        tag, release_url, highlights = release_links(ws, release.version)
    except DeployError:  # the tags cannot be read (e.g. deployed from another clone): the summary goes without
        tag, release_url, highlights = "", "", []
    went_live = next((when for when, what in timeline.events if what.startswith("switched")), utc_now())
    rows = [("deployed", f"{release.version} ({short_digest(release.digest)}) to {env.name}"
                         + ("  [HOTFIX]" if hotfix else "")),
            ("status", f"live and validated: {sum(r.passed for r in found.latest)}/{checked} checks passed"
                       + (f"; {len(decision.warnings)} warning(s)" if decision.warnings else "")),
            *([("tag", tag)] if tag else []),
            ("live since", went_live),
            *([("url", env.url)] if env.url else []),
            *([("release", release_url)] if release_url else []),
            *((("changes" if n == 0 else "", line) for n, line in enumerate(highlights))),
            ("duration", report.run_duration()),
            ("rollback", f"doit rollback --env {env.name}" +
             (f"   (restores {report.release_label(previous)})" if previous else
              "   (first release here: nothing to restore)"))]
    events.emit(events.Finished("deploy", Outcome.DEGRADED if decision.warnings else Outcome.LIVE, env.name,
                                release.version, release.digest, tuple(rows), url=env.url, tag=tag,
                                release_url=release_url))


def _preflight(ws: Workspace, env: EnvironmentConfig, artifact: Artifact, ledger: Ledger, hotfix: bool,
               released: bool = True) -> None:
    """Refusals that need no lock and change nothing; the staging gate is reported either way. `released`:
    False when they are asked before the release stage (see `refuse_before_release`), to say so."""
    after = "" if released else " Nothing was tagged or pushed."
    if ledger.failed(env.name, artifact.digest):
        raise GateFailed(f"{artifact.release_id} (artifact {short_digest(artifact.digest)}) failed validation on "
                         f"{env.name} before (doit history --env {env.name} says when, and what followed); "
                         f"deploylib will not deploy it there again.{after} "
                         "Fix forward with a new commit that changes what the build produces (a rebuild with the "
                         "same bytes has the same digest).")
    staging = ws.config.staging_for(env)
    if staging is None:
        return
    if hotfix and "staging" in ws.config.gate.hotfix_waives:
        report.stage(report.SKIP, "gate staging", f"waived for this hotfix (not validated on {staging.name})")
    elif not ledger.validated(staging.name, artifact.digest):
        raise GateFailed(f"{artifact.release_id} has not passed validation on {staging.name}, and require_staging "
                         f"is true.{after} Deploy it there first: doit deploy:{staging.name}"
                         + (", or waive staging for hotfixes ([gate] hotfix_waives)." if hotfix else "."))
    else:
        report.stage(report.OK, "gate staging", f"{artifact.release_id} passed validation on {staging.name}")


def refuse_before_release(ws: Workspace, env_names: list[str], artifact: Artifact, hotfix: bool = False) -> None:
    """Before the release stage tags or pushes anything: every refusal of `deploy:<env>` (for each of
    `env_names`, the environments this run deploys `artifact` to) that the build record, the
    ledger and the target's state decide now, so a run that would stop at a deploy writes no tag.

    Checked: `artifact` marked bad on the environment (GateFailed); with require_staging, its staging
    environment's validation when that environment is not deployed in this run (before it, as task_dep
    orders them; a hotfix: unless waived); a deploy lock held by a live process when lock_wait_s is 0, so
    the deploy would not wait (LockHeld, exit 7; only a lock seen without the network, Target.busy). Not
    checked: a lock the deploy waits for (it may be free by then), and what the deploy itself finds
    (upload, validation). Rule: README, "Preflight"."""
    for name in env_names:
        env = ws.config.environment(name)
        staging = ws.config.staging_for(env)
        if staging is None or staging.name not in env_names or ws.ledger.failed(env.name, artifact.digest):
            _preflight(ws, env, artifact, ws.ledger, hotfix, released=False)
        if env.lock_wait_s == 0:
            target = open_target(env, ws.app)
            holder = target.busy()
            if holder is not None:
                raise LockHeld(f"{target.describe()} is locked by {holder.describe()}, which is still running, and "
                               f"[environments.{env.name}] lock_wait_s is 0, so deploy:{env.name} would not wait for "
                               "it. Nothing was tagged or pushed. Run again once that deploy is done, or set "
                               "lock_wait_s (seconds) to wait for it.")


def _anything_new(ws: Workspace, env: EnvironmentConfig, target: Target, artifact: Artifact) -> bool:
    """Report how far the build is ahead of what the environment runs; False when it runs this very build."""
    live = target.live()
    if live is None:
        report.stage(report.OK, "gate ahead", f"first deploy to {env.name}")
        return True
    if live.foreign:
        report.stage(report.WARN, "gate ahead", f"{env.name} serves {live.foreign}; {artifact.release_id} is "
                                                "published on top of it")
        return True
    if live.digest == artifact.digest:
        report.stage(report.OK, "gate ahead", f"nothing new: {live.id} is already live on {env.name}; not deploying")
        return False
    try:
        ahead = int(run_git(ws.app, "rev-list", "--count", f"{live.commit}..{artifact.commit}").strip())
        what = f"{ahead} commit(s) ahead of {env.name} ({live.version})"
    except GitError:  # the live release came from commits this repository does not have
        what = f"{env.name} runs {live.version} from commits not in this repository"
    report.stage(report.OK, "gate ahead", what)
    return True


def recover(ws: Workspace, env: EnvironmentConfig, target: Target, ledger: Ledger) -> None:
    """Before a command touches `env`: when a run on it was killed (a "running" ledger row whose
    process is gone), take the environment's lock and complete what it left (see `_recover`)."""
    if not ledger.interrupted(env.name):
        return
    with target.lock(LockHolder.me("recovery", ""), env.lock_wait_s) as left_behind, \
            _base_url(ws, env, target) as base_url:
        _recover(ws, ledger, env, target, base_url, left_behind)


def _recover(ws: Workspace, ledger: Ledger, env: EnvironmentConfig, target: Target, base_url: str,
             left_behind: LockHolder | None) -> None:
    """Under the lock: complete the invariant a killed run left open, then close its ledger rows.

    The newest cut-short deploy or rollback says which release it was making live (`digest`) and which
    was live before. If the one it was making live is serving, unvalidated, it is validated now (a deploy's
    whole window, on every part of the target as a rollout checks them: each SSH host) and kept, or the one
    live before is restored on every part and re-validated; a rollout cut short part-way (after its canary)
    is put back on every part; a rollback killed before it switched away from a release marked bad is
    completed. Every other row is closed "interrupted"."""
    if left_behind is not None:
        report.stage(report.WARN, "lock", f"recovered the lock left by {left_behind.describe()}, no longer running")
    rows = ledger.interrupted(env.name)
    if not rows:
        return
    cut = next((r for r in reversed(rows) if r.action in (LedgerAction.DEPLOY, LedgerAction.ROLLBACK)), None)
    for row in rows:
        if row is not cut:
            _finish(None, LedgerStatus.INTERRUPTED, {"recovered_by": os.getpid()}, row=row.id)
    report.stage(report.WARN, "recover", f"found {len(rows)} action(s) on {env.name} cut short by a process that "
                 "is gone: " + ", ".join(f"{r.action} of {r.version} (pid {r.details.get('pid', '?')})" for r in rows))
    if cut is not None:
        _complete(ws, ledger, env, target, base_url, cut)


def _complete(ws: Workspace, ledger: Ledger, env: EnvironmentConfig, target: Target, base_url: str,
              cut: LedgerEntry) -> None:
    """Finish the deploy or rollback `cut` short, so that what serves is the release live before it or
    one that passed validation, and close its ledger row with the outcome."""
    live = target.live()
    before = str(cut.details.get("previous" if cut.action == LedgerAction.DEPLOY else "from", ""))
    by = actor_name()
    if live is not None and before and live.digest == before and cut.action == LedgerAction.ROLLBACK \
            and ledger.failed(env.name, before):
        restore = _release_with(target, cut.digest)
        if restore is not None:
            target.activate(restore, by)
            events.emit(events.RolledBack(env.name, live.id, restore))
            report.stage(report.OK, f"rollback:{env.name}", f"{live.id} → {restore.id} (completing the rollback)")
            live = restore
    if live is None or live.digest != cut.digest:
        if live is not None and len(target.parts()) > 1:  # a rollout cut short (after its canary, say)
            target.activate(live, by)  # every part back on what the last one, switched last, serves
            report.stage(report.OK, "recover", f"{live.id} is live again on every part of {target.describe()}")
        _finish(None, LedgerStatus.INTERRUPTED, {"recovered_by": os.getpid()}, row=cut.id)
        report.stage(report.OK, "recover", f"{report.release_label(live)} is serving on {env.name}, as before the "
                     f"interrupted {cut.action}; nothing else to do")
        return
    urls = _part_urls(target, base_url)
    if cut.action == LedgerAction.DEPLOY and ledger.failed(env.name, live.digest):
        reasons = [f"{live.id} failed its validation before the run was killed"]  # no second chance
    else:
        reasons = _validate_everywhere(ws, ledger, env, live, urls,
                                       "recovery" if cut.action == LedgerAction.DEPLOY else "rollback",
                                       "recover validate")
        if not reasons:
            _finish(None, LedgerStatus.SUCCEEDED, {"recovered_by": os.getpid()}, row=cut.id)
            report.stage(report.OK, "recover", f"{live.id} passed validation and stays live on {env.name}")
            return
    previous = _release_with(target, before) if cut.action == LedgerAction.DEPLOY and env.rollback else None
    if previous is None:
        _finish(None, LedgerStatus.FAILED, {"recovered_by": os.getpid(), "reasons": reasons}, row=cut.id)
        report.stage(report.FAIL, "recover", f"{live.id} fails validation on {env.name} and there is no release to "
                     f"restore automatically; choose one: doit rollback --env {env.name} --to VERSION")
        return
    target.activate(previous, by)  # on every part, though only one failed
    events.emit(events.RolledBack(env.name, live.id, previous))
    report.stage(report.OK, f"rollback:{env.name}", f"{live.id} → {previous.id}")
    failing = _validate_everywhere(ws, ledger, env, previous, urls, "rollback", "re-validate")
    _finish(None, LedgerStatus.ROLLED_BACK, {"recovered_by": os.getpid(), "reasons": reasons}, row=cut.id)
    report.stage(report.OK if not failing else report.FAIL, "recover",
                 f"{live.id} failed validation; {previous.id} is live again"
                 + ("" if not failing else " but FAILS its checks too: act by hand"))


def _part_urls(target: Target, base_url: str) -> list[str]:
    """Where a release live on the whole target is checked, as a rollout checks it: each part (SSH host) on
    its own address, else on the environment's; each address once."""
    return list(dict.fromkeys(url for part in target.parts() for url in (part.urls or (base_url,))))


def _validate_everywhere(ws: Workspace, ledger: Ledger, env: EnvironmentConfig, release: Release, urls: list[str],
                         during: str, label: str) -> list[str]:
    """Validate `release` at each of `urls` in turn, stopping at the first that calls for a rollback;
    its reasons, or [] when every one passed."""
    for url in urls:
        found = _validate(ws, ledger, env, release, url, during=during, label=label)
        if found.decision.rollback:
            return found.decision.reasons
    return []


def _release_with(target: Target, digest: str) -> Release | None:
    """The newest complete release on the target with this digest."""
    return next((r for r in reversed(target.releases()) if r.digest == digest), None) if digest else None


def _roll_out(ws: Workspace, ledger: Ledger, env: EnvironmentConfig, target: Target, release: Release,
              previous: Release | None, base_url: str, by: str,
              timeline: Timeline) -> tuple[ValidationReport, list[str]]:
    """Switch to `release` step by step (one step for most targets, host batches for some), validating
    after each; stop at the first validation that calls for a rollback. Returns the last report and the
    addresses of every part switched (where a rollback must be checked again)."""
    found: ValidationReport | None = None
    switched: list[str] = []
    with contextlib.closing(target.rollout(release, by)) as steps:
        for step in steps:
            where = f"{step.name}: " if step.name else ""
            timeline.add(f"switched {where or env.name + ' '}from {report.release_label(previous)} to {release.id}")
            events.emit(events.Switched(env.name, step.name, previous, release))
            report.stage(report.OK, f"switch:{env.name}", f"{where}{report.release_label(previous)} → {release.id}")
            crash_point("deploy:switched")
            urls = step.urls or (base_url,)
            switched.extend(urls)
            for url in urls:
                found = _validate(ws, ledger, env, release, url, during="deploy")
                if found.decision.rollback:
                    return found, switched
    assert found is not None, "a rollout has at least one step"
    return found, switched


def _restore_after_interruption(target: Target, previous: Release | None, by: str) -> None:
    """Interrupted (or crashed) during the switch or before a passing validation: put the previous release
    back on every part of the target (activating what is already live changes nothing)."""
    if previous is not None:
        target.activate(previous, by)
        report.stage(report.WARN, "restore", f"interrupted: {previous.id} is live again")


def _cleanup(target: Target, env: EnvironmentConfig, protect: set[str]) -> None:
    """Remove old releases after a deploy that stays live. What fails here, a release left behind or a target's
    error (a plug-in's bug, contained as a TargetError), is a warning: the deploy is recorded as succeeded and
    stands, and the next deploy's clean-up tries again."""
    try:
        problems = target.cleanup(env.keep_releases, protect)
    except DeployError as err:
        report.stage(report.WARN, "cleanup", f"{err} (the deploy itself succeeded)")
        return
    for problem in problems:
        report.stage(report.WARN, "cleanup", f"could not remove {problem} (the deploy itself succeeded)")


def _commits_between(ws: Workspace, older: Release | None, newer: Release) -> list[str]:
    """`short sha subject` of the commits the failed release added over the restored one, for the incident."""
    if older is None or not older.commit or not newer.commit:
        return []
    try:
        return [f"{sha[:7]} {message.strip().splitlines()[0] if message.strip() else ''}"
                for sha, message in log_messages(ws.app, f"{older.commit}..{newer.commit}")]
    except GitError:  # the commits are not in this repository (e.g. deployed from elsewhere)
        return []


def _recover_from_failed_validation(ws: Workspace, env: EnvironmentConfig, target: Target, ledger: Ledger,
                                    release: Release, previous: Release | None, found: ValidationReport,
                                    checked: list[str], timeline: Timeline, by: str) -> None:
    """Roll back to the release live before the deploy, re-validate it, write the incident, and raise."""
    failed = found.problems
    recheck: list[CheckResult] = []
    if not env.rollback:
        outcome = IncidentOutcome.NOT_ROLLED_BACK
    elif previous is None:
        outcome = IncidentOutcome.NOTHING_BEFORE
    else:
        entry = _start(LedgerAction.ROLLBACK, env.name, previous, by,
                       {"from": release.digest, "reason": "validation failed"})
        crash_point("deploy:rolling-back")
        target.activate(previous, by)
        timeline.add(f"rolled back {env.name} to {previous.id}")
        events.emit(events.RolledBack(env.name, release.id, previous))
        report.stage(report.OK, f"rollback:{env.name}", f"{release.id} → {previous.id}")
        healthy = True
        for url in dict.fromkeys(checked):  # every part the failed release reached
            again = _validate(ws, ledger, env, previous, url, during="rollback", label="re-validate",
                              for_incident=True)
            recheck += again.latest
            healthy = healthy and not again.decision.rollback
        _finish(entry, LedgerStatus.SUCCEEDED if healthy else LedgerStatus.FAILED)
        timeline.add(f"restored release {'passes' if healthy else 'FAILS'} validation")
        outcome = IncidentOutcome.ROLLED_BACK if healthy else IncidentOutcome.ROLLBACK_FAILED
    incident = Incident(env.name, release, previous, outcome, timeline.events, failed, recheck,
                        _commits_between(ws, previous, release), found.decision.reasons)
    path = write_incident(ws, incident)
    events.emit(events.IncidentWritten(path))
    serving = target.live()
    rows = (("release", f"{release.version} ({short_digest(release.digest)}) on {env.name}: FAILED "
                        f"{len(found.decision.reasons)} critical check(s)"),
            ("status", outcome.value),
            ("serving", report.release_label(serving)),
            ("incident", path),
            ("duration", report.run_duration()))
    names = ", ".join(dict.fromkeys(r.name for r in failed if r.severity == Severity.CRITICAL))

    def finished(result: Outcome, notice: str = "", about: Release | None = None) -> None:
        events.emit(events.Finished("deploy", result, env.name, release.version, release.digest, rows, notice,
                                    about, url=env.url, tag=_tag(ws, release.version)))

    if outcome is IncidentOutcome.ROLLED_BACK:
        finished(Outcome.ROLLED_BACK, f"{release.id} failed ({names}); {report.release_label(previous)} is serving "
                                      f"again and passes its checks. Incident: {path}", previous)
        raise ValidationFailed(f"{release.id} failed validation on {env.name} ({names}) and was rolled back: "
                               f"{report.release_label(previous)} is serving again and passes its checks. The "
                               f"release is marked bad. Incident report: {path}")
    if outcome is IncidentOutcome.NOT_ROLLED_BACK:
        finished(Outcome.NOT_ROLLED_BACK)
        raise ValidationFailed(f"{release.id} failed validation on {env.name} ({names}) and stays live because "
                               f"rollback = false. Roll back by hand with doit rollback --env {env.name}. Incident "
                               f"report: {path}")
    escalation = Escalation.act_by_hand(env.name, f"{release.id} failed validation on {env.name} and {outcome}. "
                                        f"{env.name} is serving {report.release_label(serving)}, which "
                                        f"{_unverified(recheck, env.name)}", str(path))
    finished(Outcome.ESCALATED, str(escalation))
    raise escalation


def _unverified(recheck: list[CheckResult], env_name: str) -> str:
    """What the failed re-validation of a restored release says of it, as the end of a sentence: "is NOT healthy",
    unless every check that failed is broken itself (a check kind's bug: runner.measure_once), which says
    nothing of the release: then it could not be verified, naming those checks."""
    failed = [r for r in recheck if not r.passed]
    if not failed or any("exception" not in r.details for r in failed):
        return "is NOT healthy"
    names = ", ".join(dict.fromkeys(r.name for r in failed))
    return (f"could not be verified: the check(s) {names} failed on it as a bug in their check kind, not as an "
            f"answer from the release (see the incident report); fix or remove them, then run doit validate:"
            f"{env_name} before anything else")


def _why_bad(ws: Workspace, env_name: str, digest: str) -> str:
    """Why a digest is marked bad on an environment, from its newest incident report."""
    for path in sorted(ws.incidents.glob(f"*-{env_name}.json"), reverse=True):
        try:
            incident = jsontext.loads(read_regular(path))
        except (OSError, ValueError):
            continue
        if incident.get("failed", {}).get("digest") == digest:
            reasons = "; ".join(incident.get("reasons") or []) or "its checks failed"
            return f"it failed validation after its deploy ({reasons}); incident report {path.with_suffix('.md')}."
    return "it failed validation after its deploy (no incident report is left on this machine)."


def write_incident(ws: Workspace, incident: Incident) -> str:
    """Write the incident report; returns its path, or why it could not be written (the rollback it
    reports has happened already: a full or read-only state folder must not hide it)."""
    now = datetime.now(UTC)
    # to the microsecond: two failed deploys within a second (the demo's rollback recipe run twice) keep
    # both reports (writing one takes longer than that), and names still sort by time (see `_why_bad`)
    stamp = f"{now:%Y%m%dT%H%M%S%f}Z"
    base = ws.incidents / f"{stamp}-{incident.environment}"
    try:
        ws.incidents.mkdir(parents=True, exist_ok=True)
        incident = dataclasses.replace(incident, recheck=_keep_evidence(incident.recheck, base, "restored"),
                                       failed_checks=_keep_evidence(incident.failed_checks, base, "failed"))
        base.with_suffix(".md").write_text(report.incident_markdown(incident), encoding="utf-8")
        base.with_suffix(".json").write_text(json.dumps(incident.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    except OSError as err:
        return f"not written ({err.filename}: {err.strerror})"
    return str(base.with_suffix(".md"))


def _keep_evidence(results: list[CheckResult], base: Path, which: str) -> list[CheckResult]:
    """Move each result's screenshot beside the incident report (`<base>-<which>-<n>.png`), so the report links
    it by a relative name and the folder can be copied or attached as a whole."""
    kept, moved_count = [], 0
    for result in results:
        shot = Path(result.details.get("screenshot", ""))
        if shot.name and shot.is_file():
            moved_count += 1
            moved = base.with_name(f"{base.name}-{which}-{moved_count}{shot.suffix}")
            shutil.move(shot, moved)
            result = dataclasses.replace(result, details={**result.details, "screenshot": moved.name})
        kept.append(result)
    return kept


@contextlib.contextmanager
def _on_environment(ws: Workspace, env_name: str) -> Iterator[tuple[EnvironmentConfig, Target, Ledger, Release | None]]:
    """A command acting on one environment (validate, rollback): names it to the run's outputs
    (events.Identified), keeps its record (`_recorded`) and first completes a run killed on it (`recover`);
    gives (environment, its target, the ledger, the release live there or None)."""
    env = ws.config.environment(env_name)
    events.emit(events.Identified(env.name, url=env.url))
    target, ledger = open_target(env, ws.app), ws.ledger
    with _recorded(ws):
        recover(ws, env, target, ledger)
        yield env, target, ledger, target.live()


def validate(ws: Workspace, env_name: str) -> None:
    """Check the live release of an environment now; report only (`doit rollback` restores)."""
    with _on_environment(ws, env_name) as (env, target, ledger, live):
        if live is None:
            raise DeployError(f"Nothing is deployed on {env.name} ({target.describe()}), so there is nothing to "
                              f"validate. Deploy first: doit deploy:{env.name}.")
        with _base_url(ws, env, target) as base_url:
            found = _validate(ws, ledger, env, live, base_url, during="manual")
    events.emit(events.Finished("validate", Outcome.INVALID if found.decision.rollback else Outcome.VALIDATED,
                                env.name, live.version, live.digest, url=env.url, tag=_tag(ws, live.version)))
    for result in found.latest:  # no incident takes these: say where they are
        if result.details.get("screenshot"):
            report.note(f"screenshot of {result.name}: {result.details['screenshot']}")
    if found.decision.rollback:
        raise ValidationFailed(f"{live.id}, live on {env.name}, fails validation ({'; '.join(found.decision.reasons)}"
                               f"). To restore the previous release: doit rollback --env {env.name}.")


def unlock(ws: Workspace, env_name: str) -> None:
    """Break an environment's deploy lock by force (a deploy died and the lock cannot tell by itself)."""
    env = ws.config.environment(env_name)
    target = open_target(env, ws.app)
    holder = target.unlock()
    if holder is None:
        report.stage(report.OK, f"unlock:{env.name}", f"{target.describe()} was not locked")
        return
    closed = ws.ledger.mark_interrupted(env.name)
    report.stage(report.WARN, f"unlock:{env.name}", f"broke the lock of {holder.describe()} on {target.describe()}"
                 + (f"; marked {closed} unfinished ledger entr{'y' if closed == 1 else 'ies'} interrupted"
                    if closed else ""))


def rollback(ws: Workspace, env_name: str, to_version: str, assume_yes: bool, force: bool = False) -> None:
    """Make an earlier release live again: the last good one before the current, or `to_version`. A release
    marked bad or never live, or replacing what deploylib did not publish, only with `force`; the release
    already live is left as it is (nothing recorded)."""
    with _on_environment(ws, env_name) as (env, target, ledger, live):
        choice = _rollback_choice(ws, target, ledger, env, live, to_version, force)
        events.emit(events.Identified(version=choice.version, tag=_tag(ws, choice.version), digest=choice.digest))
        if live is not None and choice.id == live.id:  # `--to` the live release: nothing to switch, ask or record
            report.stage(report.OK, f"rollback:{env.name}", f"{report.release_label(live)} is already live on "
                         f"{env.name}: nothing was changed (doit validate:{env.name} checks it again)")
            events.emit(events.Finished("rollback", Outcome.UNCHANGED, env.name, live.version, live.digest,
                                        url=env.url, tag=_tag(ws, live.version)))
            return
        picked = ["--to", to_version] if to_version else []
        if live is not None and live.foreign and not force:
            raise DeployError(f"{env.name} serves {live.foreign}. A rollback would replace it; deploylib never does "
                              f"that unless told to. Nothing was changed. To replace it with {choice.id}: "
                              f"{command_line('rollback', env.name, *picked, '--force')}.")
        if ws.config.needs_confirmation(env):
            confirm(env, f"Roll {env.name} back from {report.release_label(live)} to {report.release_label(choice)}",
                    assume_yes, command_line("rollback", env.name, *picked, *(["--force"] if force else [])))
        holder = LockHolder.me("rollback", choice.version)
        with target.lock(holder, env.lock_wait_s) as left_behind, _base_url(ws, env, target) as base_url:
            _recover(ws, ledger, env, target, base_url, left_behind)
            entry = _start(LedgerAction.ROLLBACK, env.name, choice, holder.user,
                           {"from": live.digest if live else "", "reason": "requested"})
            try:
                target.activate(choice, holder.user, force=force)
            except NeedsForce as err:
                _finish(entry, LedgerStatus.FAILED, {"error": str(err)})
                raise NeedsForce(f"{err} That is: {command_line('rollback', env.name, *picked, '--force')}.") from None
            except DeployError as err:
                _finish(entry, LedgerStatus.FAILED, {"error": str(err)})
                raise
            events.emit(events.RolledBack(env.name, report.release_label(live), choice))
            report.stage(report.OK, f"rollback:{env.name}", f"{report.release_label(live)} → {choice.id}")
            crash_point("rollback:switched")
            found = _validate(ws, ledger, env, choice, base_url, during="rollback", label="re-validate")
            healthy = not found.decision.rollback
            _finish(entry, LedgerStatus.SUCCEEDED if healthy else LedgerStatus.FAILED)
        rows = (("rolled back", f"{env.name} to {report.release_label(choice)}"),
                ("status", "live and validated" if healthy else "live but FAILING its checks"),
                ("duration", report.run_duration()))
        if not healthy:
            escalation = Escalation.act_by_hand(env.name, f"{env.name} was rolled back to {choice.id}, but it "
                                                "fails its checks too")
            events.emit(events.Finished("rollback", Outcome.ESCALATED, env.name, choice.version, choice.digest, rows,
                                        str(escalation), choice, url=env.url, tag=_tag(ws, choice.version)))
            raise escalation
        events.emit(events.Finished("rollback", Outcome.ROLLED_BACK, env.name, choice.version,
                                    choice.digest, rows, f"rolled back by hand from {report.release_label(live)}",
                                    choice, url=env.url, tag=_tag(ws, choice.version)))


def _rollback_choice(ws: Workspace, target: Target, ledger: Ledger, env: EnvironmentConfig, live: Release | None,
                     to: str, force: bool) -> Release:
    """The release a rollback restores: the one `to` names (a version, its tag, or a release id), else the newest
    one live before the current one and not marked bad (targets/listing.previous). Raises DeployError listing
    the kept releases when `to` names none, GateFailed when it names a release marked bad or one that was never
    live (unless `force`)."""
    from deploylib.release.plan import tag_name
    from deploylib.rollback_choice import find, kept_lines
    from deploylib.targets.listing import listing

    releases = target.releases()
    kept = Kept(live, releases)

    def bad(digest: str) -> bool:
        return ledger.failed(env.name, digest)

    if to:
        matching = find(releases, to, ws.config.release.tag_format)
        if not matching:
            why = {r.digest: _why_bad(ws, env.name, r.digest).removeprefix("it ").rstrip(".") for r in releases
                   if bad(r.digest)}
            lines = "".join(f"\n  {line}" for line in kept_lines(listing(kept, bad), why)) or " none"
            example = releases[-1] if releases else None
            forms = (f"a version ({example.version}), its tag ({tag_name(ws, example.version)}) or a release id "
                     f"({example.id})" if example else "a version, its tag or a release id")
            raise DeployError(f"{env.name} holds no release {to} ({target.describe()}); --to takes {forms}. "
                              f"Releases kept there, newest version first:{lines}")
        choice = matching[-1]
        if live is not None and choice.id == live.id:
            return choice
        if not choice.activated_at and not force:
            raise GateFailed(f"{choice.id} was never live on {env.name}: a deploy unpacked it and stopped before its "
                             "switch, so it was never validated there, and a rollback only restores a release that "
                             f"was live. Nothing was changed. Deploy it (doit deploy:{env.name}: gates, staging and "
                             "confirmation apply), or make it live anyway with "
                             + command_line("rollback", env.name, "--to", to, "--force") + ".")
        if bad(choice.digest) and not force:
            raise GateFailed(f"{choice.id} is marked bad on {env.name}: {_why_bad(ws, env.name, choice.digest)} "
                             f"Restoring it would leave {env.name} failing its checks, so nothing was changed. Pick "
                             f"another release (doit releases:{env.name} lists them), or restore it anyway with "
                             + command_line("rollback", env.name, "--to", to, "--force")
                             + ".")
        return choice
    before = previous_release(kept, bad)
    if before is None:
        raise DeployError(f"{env.name} has no earlier good release to roll back to ({target.describe()} holds "
                          f"{len(releases)} release(s); releases that failed validation are skipped).")
    return before
