"""What every benchmark states beside its figures: whether Python's bytecode cache was on (the
variable PYTHONDONTWRITEBYTECODE is set or removed explicitly, never inherited), the machine's load,
where the measured files were (tmpfs or disk), and each figure as a median with its range."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

TMPFS = Path("/dev/shm")


def add_bytecode_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="set PYTHONDONTWRITEBYTECODE=1 (deploylib recompiled on every run); default: cache on")


def bytecode_env(off: bool, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for measured processes, with the bytecode cache on (variable removed) or off (=1).
    This process follows it too, for in-process measurements."""
    env = dict(os.environ if base is None else base)
    if off:
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def describe(off: bool) -> str:
    cache = "off (PYTHONDONTWRITEBYTECODE=1)" if off else "on (PYTHONDONTWRITEBYTECODE unset)"
    return f"bytecode cache {cache}; {os.cpu_count()} CPUs; load average {load()}"


def working_folder(prefix: str) -> Path:
    """A new folder for the measured files, in tmpfs (/dev/shm) where the machine has one, so that disk noise
    from other work (another process's writeback or syncs) does not decide the figures; the caller removes it."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=TMPFS if TMPFS.is_dir() else None))


def folder_kind(folder: Path) -> str:
    """"tmpfs" or "not tmpfs", for a folder made by working_folder."""
    return "tmpfs" if folder.parent == TMPFS else "not tmpfs"


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    """"median 0.123 s (0.101–0.150)" for a list of measurements."""
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    digits = 3 if unit == "s" else 2
    return f"median {mid:.{digits}f}{' ' if unit == 's' else ''}{unit} ({low:.{digits}f}–{high:.{digits}f})"


def ratio(ours: list[float], theirs: list[float]) -> float:
    return statistics.median(ours) / statistics.median(theirs)
