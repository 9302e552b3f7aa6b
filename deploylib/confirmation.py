"""Ask before production (README, "Ask before production"): a production-like change is confirmed once,
on a terminal, by --yes or by DEPLOYLIB_YES=1; without any of them nothing changes (Aborted, exit 6).
Kept apart from the pipeline so that settling confirmation before a run does not load the deploy path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from deploylib import report
from deploylib.errors import Aborted

if TYPE_CHECKING:
    from deploylib.config.load import EnvironmentConfig


def confirm_changes(changes: list[str], rerun: str) -> str:
    """Ask once, before anything runs, for the production-like `changes` a run would make (e.g. "deploys
    to production"); returns how they were confirmed ("on the terminal", "by DEPLOYLIB_YES=1"). Raises
    Aborted when declined, or when there is no terminal to ask on (`rerun` is the command to repeat)."""
    what = " and ".join(changes)
    if os.environ.get("DEPLOYLIB_YES") == "1":
        return "by DEPLOYLIB_YES=1"
    if not os.isatty(0):
        raise Aborted(f"This run {what}, which needs confirmation, and there is no terminal to ask on. Nothing "
                      f"was gated, built, tagged, pushed or deployed. Re-run as {rerun}"
                      + ("." if rerun.startswith("DEPLOYLIB_YES") else ", or set DEPLOYLIB_YES=1."))
    if not report.ask(f"This run {what}. Proceed?"):
        raise Aborted("Not confirmed: nothing was gated, built, tagged, pushed or deployed.")
    return "on the terminal"


def confirm(env: EnvironmentConfig, what: str, assume_yes: bool, rerun: str, confirmed: str = "") -> None:
    """Ask before changing a production-like environment; without a terminal, proceed only when told to
    (`rerun` is the command to repeat with --yes, e.g. "doit rollback"). `confirmed` says how the whole
    run was confirmed before it started (see confirm_changes): then nothing is asked again."""
    if confirmed:
        report.stage(report.OK, "confirm", f"confirmed {confirmed}")
    elif assume_yes:
        report.stage(report.OK, "confirm", "confirmed by --yes")
    elif os.environ.get("DEPLOYLIB_YES") == "1":
        report.stage(report.OK, "confirm", "confirmed by DEPLOYLIB_YES=1")
    elif os.isatty(0):
        if not report.ask(f"{what}. Proceed?"):
            raise Aborted(f"Not confirmed: nothing was changed on {env.name}.")
        report.stage(report.OK, "confirm", "confirmed on the terminal")
    else:
        raise Aborted(f"{what} needs confirmation, and there is no terminal to ask on. Re-run with --yes "
                      f"({rerun} --yes) or set DEPLOYLIB_YES=1; nothing was changed.")
