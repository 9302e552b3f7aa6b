"""Named crash points for the reliability suite: `DEPLOYLIB_CRASH_AT=<name>` makes the process
SIGKILL itself when it reaches that point, so a test kills a run at an exact step instead of after
a guessed delay. Unset (always, outside tests), a crash point does nothing.

Points:
    build:moved-in        the build's output moved into its private folder, not packed or moved back
    build:packed          the artifact written, not yet renamed into the store
    release:edited        changelog and version files written, not committed
    release:committed     the release commit made, not tagged
    release:taking-back   a release the remote refused moved off HEAD, its tag not yet deleted
    staging:moved         a staging copy's previous release moved aside to become the next, not updated
    deploy:uploaded       the release unpacked on the target, not live
    deploy:switched       live, not validated
    deploy:rolling-back   failed its validation; the rollback recorded, not switched
    rollback:switched     an earlier release live again by `doit rollback`, not re-validated
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """SIGKILL this process if $DEPLOYLIB_CRASH_AT names this point."""
    if os.environ.get("DEPLOYLIB_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
