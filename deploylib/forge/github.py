"""GitHub's REST API (version 2022-11-28) over requests: releases and their assets, pull requests and
reviews, commit statuses and check runs, issues, deployments. GitHub's JSON is read here and nowhere
else: every answer becomes one of the forge interface's facts (forge/base.py).

Every call goes through `_request`, the one place that authenticates (Bearer token, never
printed), retries 5xx answers and timeouts with exponential backoff, and waits out rate limits:
a primary limit (403/429 with x-ratelimit-remaining: 0) until x-ratelimit-reset, a secondary
limit for retry-after seconds, or a minute and then backing off when GitHub gives no hint.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploylib.config.schema import nonempty_problem, option, optional, url_problem
from deploylib.forge.base import (
    CICheck,
    CIState,
    Deployment,
    DeploymentState,
    Forge,
    ForgeError,
    ForgeOptions,
    ForgeRelease,
    Issue,
    PullRequest,
    Review,
    ReviewState,
)
from deploylib.values import frozen

if TYPE_CHECKING:
    import requests

API_VERSION = "2022-11-28"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
_RETRIES = 5
_LONGEST_WAIT = 15 * 60  # a rate-limit reset further away than this is an error, not a wait
# check-run conclusions that are not green (GitHub REST: check runs); neutral and skipped are
_BAD_CONCLUSIONS = {"failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"}
_REVIEW_STATES = {"APPROVED": ReviewState.APPROVED, "CHANGES_REQUESTED": ReviewState.CHANGES_REQUESTED,
                  "DISMISSED": ReviewState.DISMISSED}  # COMMENTED and PENDING carry no verdict


def repository_problem(value: str) -> str:
    """"" for OWNER/NAME in GitHub's characters (it becomes part of API paths, so never "." or "..")."""
    if re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9_.-]+", value) and value.split("/")[1] not in (".", ".."):
        return ""
    return "is not OWNER/NAME (GitHub's characters: letters, digits, - and, in NAME, _ and .)"


@frozen(kw_only=True)
class GitHubOptions(ForgeOptions):
    """[release.forge] type = "github" (repository required) and the older [release.github] table."""

    repository: str = option(doc='"OWNER/NAME" of the GitHub repository', check=repository_problem)
    api_url: str = option("https://api.github.com", doc='the REST API base URL, e.g. "https://api.github.com" or '
                                                         '"https://github.example.com/api/v3" for GitHub Enterprise',
                          check=lambda v: nonempty_problem(v) or url_problem(v))

    def web_url(self) -> str:
        """api.github.com → github.com/OWNER/NAME; HOST/api/v3 (Enterprise) → HOST/OWNER/NAME."""
        host = self.api_url.rstrip("/").removesuffix("/api/v3").replace("://api.github.com", "://github.com")
        return f"{host}/{self.repository}"


@frozen(kw_only=True)
class GitHubTable(GitHubOptions):
    """The older [release.github] table: the same keys; an empty repository means no forge."""

    repository: str = option("", doc='"OWNER/NAME" of the GitHub repository (empty: no GitHub release)',
                             check=optional(repository_problem))


class GitHubError(ForgeError):
    """GitHub refused or failed a request; the message says which and what to do."""


def _token_variable() -> tuple[str, str]:
    """(variable, token) of the first of TOKEN_VARIABLES holding more than blanks, the token stripped of the
    blanks around it (a token read from a file keeps its line break); ("", "") when there is none."""
    return next(((name, os.environ[name].strip()) for name in TOKEN_VARIABLES if os.environ.get(name, "").strip()),
                ("", ""))


def _token() -> str:
    return _token_variable()[1]


def _token_problem() -> str:
    """What makes the environment's token unusable, "" when there is one. GitHub's tokens are printable ASCII
    without spaces; any other character cannot travel in an HTTP header, so it fails every request."""
    name, token = _token_variable()
    if not token:
        return ("neither GITHUB_TOKEN nor GH_TOKEN is set (or they hold only blanks). Export a token that may "
                "read pull requests and checks and write releases (contents: write)")
    if not all("!" <= char <= "~" for char in token):
        return (f"{name} holds a space, line break or non-ASCII character, which no GitHub token has. Export the "
                "token alone")
    return ""


class GitHub(Forge):
    """The GitHub forge. `token` defaults to $GITHUB_TOKEN or $GH_TOKEN; `sleep` and `timeout` (seconds) are
    for tests. Raises GitHubError when there is no token.

    `timeout` is per HTTP request. Every method raises GitHubError (a ReleaseError, exit 1) when GitHub
    refuses, or still fails after 6 tries (5xx, timeouts, rate limits up to a 15-minute wait)."""

    Options = GitHubOptions
    label = "GitHub"

    def __init__(self, options: GitHubOptions, root: Path, token: str = "",
                 sleep: Callable[[float], None] | None = None, timeout: float = 30.0) -> None:
        import requests

        super().__init__(options, root)
        if not token and _token_problem():
            raise GitHubError(f'The GitHub repository "{options.repository}" is configured, but '
                              f"{self.problem(options, root)}; nothing was written.")
        token = token or _token()
        self.api = options.api_url.rstrip("/")
        self.repository = options.repository
        self.sleep, self.timeout = time.sleep if sleep is None else sleep, timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                                     "X-GitHub-Api-Version": API_VERSION, "User-Agent": "deploylib"})

    @classmethod
    def problem(cls, options: Any, root: Path) -> str:
        return _token_problem()

    # -- transport ---------------------------------------------------------------------------

    def _request(self, method: str, url: str, expect: tuple[int, ...], **kwargs: Any) -> requests.Response:
        import requests

        url = url if url.startswith("http") else f"{self.api}/repos/{self.repository}{url}"
        backoff = 1.0
        for attempt in range(_RETRIES + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as err:
                if attempt == _RETRIES:
                    raise GitHubError(f"GitHub did not answer {method} {_path(url)} after {_RETRIES + 1} tries "
                                      f"({type(err).__name__}). Check the network and the GitHub api_url, "
                                      "then run the release again: it resumes.") from None
                self.sleep(backoff)
                backoff *= 2
                continue
            if response.status_code in expect:
                return response
            wait = self._wait_for(response, backoff)
            if wait is None or attempt == _RETRIES:
                raise self._error(method, url, response)
            self.sleep(wait)
            backoff *= 2
        raise AssertionError("unreachable: the loop returns or raises")

    def _wait_for(self, response: requests.Response, backoff: float) -> float | None:
        """Seconds to wait before trying again, or None when retrying cannot help."""
        status, headers = response.status_code, response.headers
        if status >= 500:
            return backoff
        if status in (403, 429):
            if headers.get("retry-after", "").isdigit():
                return float(headers["retry-after"])
            if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
                wait = float(headers["x-ratelimit-reset"]) - time.time() + 1
                return max(wait, 1.0) if wait <= _LONGEST_WAIT else None
            if "rate limit" in _message(response).lower():
                return max(60.0, backoff)  # a secondary limit without retry-after: at least a minute
        return None

    def _error(self, method: str, url: str, response: requests.Response) -> GitHubError:
        status, message = response.status_code, _message(response)
        where = f"{method} {_path(url)}"
        if status == 401:
            return GitHubError(f"GitHub rejected the token ({where}: {message}). Set a valid token in GITHUB_TOKEN "
                               "or GH_TOKEN.")
        if status == 429 or (status == 403 and (response.headers.get("x-ratelimit-remaining") == "0"
                                                or "rate limit" in message.lower())):
            return GitHubError(f"GitHub's rate limit stopped {where} ({message}); run the release again after it "
                               "resets: it resumes.")
        if status in (403, 404):
            return GitHubError(f"GitHub answered {status} to {where} ({message}): the repository "
                               f"{self.repository} does not exist or the token may not write releases to it "
                               "(it needs contents: write).")
        return GitHubError(f"GitHub answered {status} to {where}: {message}.")

    def _pages(self, url: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following the Link header's rel="next" as given."""
        next_url: str | None = url
        query: dict[str, Any] | None = {**params, "per_page": 100}
        while next_url:
            response = self._request("GET", next_url, (200,), params=query)
            yield from response.json()
            next_url, query = response.links.get("next", {}).get("url"), None

    # -- releases ------------------------------------------------------------------------------

    def _find_release(self, tag: str) -> dict[str, Any] | None:
        """The release for `tag`: published ones by tag; drafts only appear in the list."""
        response = self._request("GET", f"/releases/tags/{tag}", (200, 404))
        if response.status_code == 200:
            release: dict[str, Any] = response.json()
            return release
        return next((r for r in self._pages("/releases", {}) if r["tag_name"] == tag), None)

    def publish_release(self, release: ForgeRelease) -> str:
        """REST "Get a release by tag name", else the releases list (drafts), then "Create a release" or
        "Update a release"; `release.commit` is the target only when GitHub does not have the tag yet."""
        fields = {"tag_name": release.tag, "name": release.name, "body": release.notes,
                  "prerelease": release.prerelease, "draft": False}
        found = self._find_release(release.tag)
        if found is None:
            response = self._request("POST", "/releases", (201, 422),
                                     json={**fields, "target_commitish": release.commit})
            if response.status_code == 422:  # created meanwhile (a concurrent run): update that one instead
                found = self._find_release(release.tag)
                if found is None:
                    raise self._error("POST", "/releases", response)
            else:
                found = response.json()
        if any(found.get(key) != value for key, value in fields.items()):
            found = self._request("PATCH", f"/releases/{found['id']}", (200,), json=fields).json()
        for asset in release.assets:
            self._upload(found, asset.name, asset.path)
        url: str = found["html_url"]
        return url

    def _upload(self, release: dict[str, Any], name: str, path: Path) -> None:
        """Upload an asset, replacing one of the same name (GitHub answers 422 to a duplicate name).

        An upload GitHub answered with 5xx may still have left a "starter" asset of that name (state
        "starter", not downloadable), so the retry gets 422 (`already_exists`): that asset is then
        deleted and the upload made again, once (python-semantic-release and goreleaser users report it
        from the real API)."""
        import mimetypes

        self._delete_assets(release, name)
        upload_url = release["upload_url"].split("{", 1)[0]  # a URI template: …/assets{?name,label}
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        for attempt in range(2):
            response = self._request("POST", upload_url, (201, 422), params={"name": name}, data=path.read_bytes(),
                                     headers={"Content-Type": content_type})
            if response.status_code == 201:
                return
            if attempt == 0:  # 422: "an asset with the same filename" (GitHub's contract), the starter asset
                self._delete_assets(release, name)
                continue
            raise self._error("POST", upload_url, response)

    def _delete_assets(self, release: dict[str, Any], name: str) -> None:
        for asset in self._pages(f"/releases/{release['id']}/assets", {}):
            if asset["name"] == name:
                self._request("DELETE", f"/releases/assets/{asset['id']}", (204, 404))

    # -- gates and deployments ---------------------------------------------------------------------

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        """REST "List pull requests associated with a commit", every page; merged means merged_at is set."""
        return [PullRequest(int(p["number"]), bool(p.get("merged_at")))
                for p in self._pages(f"/commits/{sha}/pulls", {})]

    def reviews(self, number: int) -> list[Review]:
        """REST "List reviews for a pull request", every page; COMMENTED and PENDING read as COMMENTED."""
        return [Review((r.get("user") or {}).get("login", "someone"), _REVIEW_STATES.get(r["state"],
                                                                                         ReviewState.COMMENTED))
                for r in self._pages(f"/pulls/{number}/reviews", {})]

    def commit_checks(self, sha: str) -> list[CICheck]:
        """REST "Get the combined status for a specific reference" (each status) and "List check runs for a
        Git reference" (filter=latest, the first 100 runs). A status is red on error or failure; a check
        run is red on a conclusion in _BAD_CONCLUSIONS (neutral and skipped are green)."""
        combined: dict[str, Any] = self._request("GET", f"/commits/{sha}/status", (200,)).json()
        runs: list[dict[str, Any]] = self._request("GET", f"/commits/{sha}/check-runs", (200,),
                                                   params={"filter": "latest", "per_page": 100}).json()["check_runs"]
        statuses = [CICheck(s["context"], CIState.FAILED if s["state"] in ("error", "failure") else
                            CIState.RUNNING if s["state"] == "pending" else CIState.PASSED, "status(es)")
                    for s in combined.get("statuses", [])]
        return statuses + [CICheck(r["name"], CIState.RUNNING if r.get("status") != "completed" else
                                   CIState.FAILED if r.get("conclusion") in _BAD_CONCLUSIONS else CIState.PASSED,
                                   "check run(s)") for r in runs]

    def open_issues(self, label: str) -> list[Issue]:
        """REST "List repository issues" (state=open, labels), every page, pull requests left out."""
        return [_issue(i) for i in self._pages("/issues", {"state": "open", "labels": label})
                if "pull_request" not in i]

    def issues_opened_since(self, label: str, since: str) -> list[Issue]:
        """REST "List repository issues" (state=all, labels, since), narrowed to created_at >= `since`
        (both ISO 8601 UTC with a Z, so compared as text)."""
        # GitHub's `since` filters on updated_at, which is never before created_at: a superset to narrow.
        found = self._pages("/issues", {"state": "all", "labels": label, "since": since})
        return [_issue(i) for i in found if "pull_request" not in i and i["created_at"] >= since]

    def create_deployment(self, deployment: Deployment) -> str:
        """REST "Create a deployment"; the description is cut to GitHub's 140 characters, and an environment
        named "production" is marked production_environment. Returns the numeric id as text."""
        # auto_merge off and no required contexts: deploylib's own gates decided; GitHub only records it.
        body = {"ref": deployment.ref, "environment": deployment.environment,
                "description": deployment.description[:140], "auto_merge": False, "required_contexts": [],
                "production_environment": deployment.environment == "production"}
        created: dict[str, Any] = self._request("POST", "/deployments", (201,), json=body).json()
        return str(created["id"])

    def deployment_status(self, deployment: str, state: DeploymentState, description: str) -> None:
        """REST "Create a deployment status"; the description is cut to 140 characters."""
        body = {"state": state.value, "description": description[:140]}
        self._request("POST", f"/deployments/{deployment}/statuses", (201,), json=body)


def _issue(issue: dict[str, Any]) -> Issue:
    return Issue(int(issue["number"]), str(issue["title"]), tuple(label["name"] for label in issue["labels"]),
                 str(issue["html_url"]), str(issue["created_at"]))

def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1]


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", "")) or response.reason
    except ValueError:
        return response.text[:200] or response.reason
