"""The embedded default: a sandbox app repository made from examples/demo-site, with a short
conventional history and a local bare `origin`, so the whole workflow runs with no network."""

from __future__ import annotations

import shutil

from deploylib import report
from deploylib.resources import shipped
from deploylib.state.workspace import Workspace

# The sandbox's history: (commit message, paths it adds, tag). Paths not named go in the first commit.
HISTORY: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("chore: scaffold the demo site and its build", (), ""),
    ("feat: home page with styles, script and logo",
     ("src/index.html", "src/css/site.css", "src/js/app.js", "src/img/logo.svg"), "v1.0.0"),
    ("feat(about): add an about page", ("src/about.html",), ""),
    ("docs: explain how the demo is built and deployed", ("README.md",), ""),
)
_IDENTITY = ("deploylib demo", "demo@deploylib.invalid")


def start_demo(ws: Workspace, aside: bool = False) -> None:
    """Say that this run is the embedded demo (on stderr when `aside`, keeping stdout machine-readable),
    then make sure its sandbox exists."""
    if aside:
        report.aside(ws.demo_notice)
    else:
        report.stage(report.WARN, "demo", ws.demo_notice)
    ensure_sandbox(ws)


def ensure_sandbox(ws: Workspace) -> None:
    """Create the demo app repository and its bare origin, once."""
    app = ws.app
    if (app / ".git").exists():
        return
    from deploylib.git import NewCommit, create_repository

    template = shipped("examples/demo-site")
    if app.exists():
        shutil.rmtree(app)  # a half-made sandbox from an interrupted first run
    shutil.copytree(template, app, ignore=shutil.ignore_patterns("dist", "__pycache__", "CHANGELOG.md"))
    origin = app.parent / "origin.git"
    shutil.rmtree(origin, ignore_errors=True)
    named = {path for _, paths, _ in HISTORY for path in paths}
    everything = [p.relative_to(app).as_posix() for p in sorted(app.rglob("*"))
                  if p.is_file() and ".git" not in p.parts]
    create_repository(app, origin, _IDENTITY, [
        NewCommit(message, list(paths) if index else [p for p in everything if p not in named], tag,
                  f"Release {tag[1:]}" if tag else "")
        for index, (message, paths, tag) in enumerate(HISTORY)])


def break_live_checks(ws: Workspace) -> str:
    """Commit a change to the demo's about page that its source tests pass but its live check catches
    (the page no longer says "About"), so the next deploy fails validation on the staging environment
    and is rolled back there; run again, it commits another such change (a release that failed is never
    deployed again, so showing the rollback again needs a new one). Returns the commit's subject. Raises
    DeployError before the demo's first
    deploy: with nothing live there would be nothing to roll back to."""
    from deploylib.errors import DeployError
    from deploylib.git import commit_paths
    from deploylib.targets import open_target

    staging = ws.config.environment(ws.config.deploy.staging)
    if not (ws.app / ".git").exists() or open_target(staging, ws.app).live() is None:
        raise DeployError(f"Nothing of the demo is live on {staging.name} yet, so a broken release would have "
                          "nothing to roll back to. Deploy the demo first (doit deploy:production --yes), then "
                          "run doit break-demo.")
    page = ws.app / "src" / "about.html"
    text = page.read_text(encoding="utf-8")
    if "About" in text:
        text, subject = text.replace("About", "Team"), "fix(about): call the page Team"
    else:  # broken before: the failed release is never deployed again, so the recipe needs a new one
        times = text.count(_AGAIN) + 2
        text, subject = f"{text.rstrip()}\n{_AGAIN}\n", f"fix(about): tidy the Team page (break-demo #{times})"
    page.write_text(text, encoding="utf-8")
    commit_paths(ws.app, ["src/about.html"], subject)
    return subject


_AGAIN = "<!-- break-demo: still without the word the live check looks for -->"
