"""GitHub's REST API (version 2022-11-28) over requests: releases and their assets.

Every call goes through `_request`, the one place that authenticates (Bearer token, never
printed), retries 5xx answers and timeouts with exponential backoff, and waits out rate limits:
a primary limit (403/429 with x-ratelimit-remaining: 0) until x-ratelimit-reset, a secondary
limit for retry-after seconds, or a minute and then backing off when GitHub gives no hint.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploylib.errors import ReleaseError
from deploylib.forge.base import Forge

if TYPE_CHECKING:
    import requests

API_VERSION = "2022-11-28"
_RETRIES = 5
_LONGEST_WAIT = 15 * 60  # a rate-limit reset further away than this is an error, not a wait


class GitHubError(ReleaseError):
    """GitHub refused or failed a request; the message says which and what to do."""


class GitHub(Forge):
    def __init__(self, api_url: str, repository: str, token: str, sleep: Callable[[float], None] | None = None,
                 timeout: float = 30.0) -> None:
        import requests

        self.api = api_url.rstrip("/")
        self.repository = repository
        self.sleep, self.timeout = time.sleep if sleep is None else sleep, timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                                     "X-GitHub-Api-Version": API_VERSION, "User-Agent": "deploylib"})

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
                                      f"({type(err).__name__}). Check the network and [release.github] api_url, "
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

    def publish_release(self, tag: str, name: str, notes: str, prerelease: bool, commit: str,
                        assets: list[tuple[str, Path]]) -> str:
        fields = {"tag_name": tag, "name": name, "body": notes, "prerelease": prerelease, "draft": False}
        release = self._find_release(tag)
        if release is None:
            response = self._request("POST", "/releases", (201, 422), json={**fields, "target_commitish": commit})
            if response.status_code == 422:  # created meanwhile (a concurrent run): update that one instead
                release = self._find_release(tag)
                if release is None:
                    raise self._error("POST", "/releases", response)
            else:
                release = response.json()
        if any(release.get(key) != value for key, value in fields.items()):
            release = self._request("PATCH", f"/releases/{release['id']}", (200,), json=fields).json()
        for asset_name, path in assets:
            self._upload(release, asset_name, path)
        url: str = release["html_url"]
        return url

    def _upload(self, release: dict[str, Any], name: str, path: Path) -> None:
        """Upload an asset, replacing one of the same name (GitHub answers 422 to a duplicate name).

        An upload GitHub answered with 5xx may still have left a "starter" asset of that name (state
        "starter", not downloadable), so the retry gets 422 (`already_exists`): that asset is then
        deleted and the upload made again, once (python-semantic-release and goreleaser users report it
        from the real API)."""
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

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/commits/{sha}/pulls", {}))

    def reviews(self, number: int) -> list[dict[str, Any]]:
        return list(self._pages(f"/pulls/{number}/reviews", {}))

    def commit_checks(self, sha: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        combined: dict[str, Any] = self._request("GET", f"/commits/{sha}/status", (200,)).json()
        runs: list[dict[str, Any]] = self._request("GET", f"/commits/{sha}/check-runs", (200,),
                                                   params={"filter": "latest", "per_page": 100}).json()["check_runs"]
        return combined, runs

    def open_issues(self, label: str) -> list[dict[str, Any]]:
        return [i for i in self._pages("/issues", {"state": "open", "labels": label}) if "pull_request" not in i]

    def issues_opened_since(self, label: str, since: str) -> list[dict[str, Any]]:
        # GitHub's `since` filters on updated_at, which is never before created_at: a superset to narrow.
        found = self._pages("/issues", {"state": "all", "labels": label, "since": since})
        return [i for i in found if "pull_request" not in i and i["created_at"] >= since]

    def create_deployment(self, ref: str, environment: str, description: str) -> int:
        # auto_merge off and no required contexts: deploylib's own gates decided; GitHub only records it.
        body = {"ref": ref, "environment": environment, "description": description[:140], "auto_merge": False,
                "required_contexts": [], "production_environment": environment == "production"}
        deployment: dict[str, Any] = self._request("POST", "/deployments", (201,), json=body).json()
        return int(deployment["id"])

    def deployment_status(self, deployment: int, state: str, description: str, url: str = "") -> None:
        body = {"state": state, "description": description[:140], **({"environment_url": url} if url else {})}
        self._request("POST", f"/deployments/{deployment}/statuses", (201,), json=body)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1]


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", "")) or response.reason
    except ValueError:
        return response.text[:200] or response.reason
