"""Ctrl-C and SIGTERM as exceptions, so a run stopped either way cleans up and ends with its exit code 130
and one message rather than a traceback (or, for SIGTERM, no word at all)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType


class Terminated(BaseException):
    """SIGTERM (a cancelled CI job) turned into an exception, so cleanup runs as for Ctrl-C.
    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it."""


@contextlib.contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated; the handler before is restored after. Outside the main
    thread (where Python allows no handler) signals are left alone."""
    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
