"""A doit run's start-up: while doit imports deploylib and loads its tasks, Python's cyclic garbage
collector is paused. Start-up makes tens of thousands of objects that live as long as the process
(modules, classes, the configuration, doit's tasks) and frees almost none, so each collection would walk
them again for nothing (about 2 ms of a no-op run). Once the tasks are loaded (`loaded`), what start-up
made is frozen (gc.freeze: never walked again) and collection resumes, before any task runs.
deploylib/__init__.py imports this module first; in any process other than the doit command (the
deploylib CLI, a test session, a program importing deploylib) that pause changes nothing.

In every process that imports deploylib, what is alive when Python exits is frozen too (an atexit
handler, so after every other one): the interpreter's last collections then skip it, about 8 ms of a
short run's exit. It frees nothing a process still holds (the OS takes its memory back); only a
reference cycle of its own holding an unclosed file would keep its last buffered bytes, and
deploylib closes every file it writes before it returns (`with` blocks, state/atomic.py)."""

from __future__ import annotations

import atexit
import gc
import os
import sys

_DOIT = os.path.basename(sys.argv[0]) == "doit" or sys.argv[0].endswith(os.path.join("doit", "__main__.py"))
PAUSED = _DOIT and gc.isenabled()  # the doit command, with collection on: pause it until the tasks are loaded
if PAUSED:
    gc.disable()
atexit.register(gc.freeze)  # after the handlers registered later: it changes only what the last collections walk


def loaded() -> None:
    """doit has loaded the tasks: freeze what start-up made and resume collection. A no-op when start-up did
    not pause it, or when it was resumed already."""
    if PAUSED and not gc.isenabled():
        gc.freeze()
        gc.enable()
