"""deploylib's tasks. Copy this file unchanged into any repository with a deploy.toml."""

from deploylib.tasks import *  # noqa: F403
