"""deploylib: gate, build, release, deploy, validate and roll back web apps with doit."""

from deploylib import startup as _startup  # noqa: F401 (first: see startup.py)
