"""Where deploylib works: the configuration, the repository it releases, and the state folder.

`doit` runs in a folder holding dodo.py (the workspace root). If that folder has a deploy.toml,
or a pyproject.toml with [tool.deploylib], that repository is released and deployed. Otherwise
deploylib runs its embedded demo: a sandbox app made from examples/demo-site under
.deploylib/demo/, deployed to local targets beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deploylib.config import Config, load_file
from deploylib.model import STATE_DIR
from deploylib.resources import shipped
from deploylib.tomlfile import read_table

if TYPE_CHECKING:
    from deploylib.ledger import Ledger



@dataclass(frozen=True)
class Workspace:
    root: Path  # where doit runs; holds the state folder
    config: Config
    demo: bool  # True when running the embedded demo

    @property
    def app(self) -> Path:
        """The git repository being released and deployed."""
        return self.config.root

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def artifacts(self) -> Path:
        return self.state / "artifacts"

    @property
    def incidents(self) -> Path:
        return self.state / "incidents"

    @property
    def build_record(self) -> Path:
        """The current build's artifact as JSON: the digest file later stages depend on."""
        return self.state / "build.json"

    @property
    def ledger(self) -> Ledger:
        from deploylib.ledger import Ledger  # sqlite3: only the stages that record need it

        return Ledger(self.state / "ledger.sqlite3")


def ensure_state_dir(root: Path) -> Path:
    """Create .deploylib/ with a .gitignore of its own, so no repository ever commits it."""
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# deploylib's local state: ledger, artifacts, incidents. Never committed.\n*\n")
    return state


def demo_app_dir(root: Path) -> Path:
    return root / STATE_DIR / "demo" / "app"


def discover(root: Path) -> Workspace:
    """The workspace for `root`, with its configuration loaded and validated."""
    deploy_toml, pyproject = root / "deploy.toml", root / "pyproject.toml"
    if deploy_toml.is_file():
        return Workspace(root, load_file(deploy_toml, root), demo=False)
    if pyproject.is_file() and _has_deploylib_table(pyproject):
        return Workspace(root, load_file(pyproject, root, ("tool", "deploylib")), demo=False)
    app = demo_app_dir(root)
    sandbox_config = app / "deploy.toml"
    config_file = sandbox_config if sandbox_config.is_file() else shipped("examples/demo-site") / "deploy.toml"
    return Workspace(root, load_file(config_file, app), demo=True)


def _has_deploylib_table(pyproject: Path) -> bool:
    tool = read_table(pyproject).get("tool")
    return isinstance(tool, dict) and "deploylib" in tool
