"""A local GitHub REST server for tests, honest to GitHub's published contract.

Every request body it accepts and every response body it sends is validated against the
OpenAPI subset in ../shared/github-api/subset.json; a mismatch is recorded in
`contract_errors` (tests assert it stays empty) and answered with 500. It imitates what the
contract's README asks of a local server: 422 `already_exists`, 404 for drafts by tag, Link
pagination, rate-limit headers and limits, Bearer auth, and uploads on a host of their own.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "github-api" / "subset.json"
DOCS = "https://docs.github.com/rest"


class Contract:
    """Validators for the bodies of the subset's operations."""

    def __init__(self, path: Path) -> None:
        from jsonschema.validators import Draft4Validator  # noqa: F401 - registers the draft used below
        from openapi_schema_validator import OAS30Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.spec = json.loads(path.read_text())
        self.registry = Registry().with_resource("s", Resource.from_contents(self.spec, default_specification=DRAFT4))
        self._validator = OAS30Validator

    def _pointer(self, *parts: str) -> str:
        return "s#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)

    def errors(self, route: str, method: str, body: Any, status: int | None = None) -> list[str]:
        """Schema violations of a request body (status None) or of a response body."""
        operation = self.spec["paths"][route][method]
        if status is None:
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                return []
            pointer = self._pointer("paths", route, method, "requestBody", "content", "application/json", "schema")
        else:
            response = operation["responses"][str(status)]
            if "$ref" in response:
                name = response["$ref"].rsplit("/", 1)[1]
                response = self.spec["components"]["responses"][name]
                base = ("components", "responses", name)
            else:
                base = ("paths", route, method, "responses", str(status))
            if "application/json" not in response.get("content", {}):
                return [] if body is None else [f"{method} {route} {status} has no JSON body in the contract"]
            pointer = self._pointer(*base, "content", "application/json", "schema")
        validator = self._validator({"$ref": pointer}, registry=self.registry)
        return [f"{method.upper()} {route} {status or 'request'}: {e.message}" for e in validator.iter_errors(body)]

    def instance(self, schema_name: str, **fields: Any) -> dict[str, Any]:
        """A minimal object valid under components/schemas/<name>: every required property filled from
        its schema (strings, numbers, nested objects), then `fields` laid over it."""
        built = self._minimal(self.spec["components"]["schemas"][schema_name])
        return _merge(built, fields)

    def _minimal(self, schema: dict[str, Any]) -> Any:
        if "$ref" in schema:
            return self._minimal(self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        if schema.get("nullable"):
            return None
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                parts = [self._minimal(s) for s in (schema[key] if key == "allOf" else schema[key][:1])]
                merged: dict[str, Any] = {}
                for part in parts:
                    if not isinstance(part, dict):
                        return part
                    merged.update(part)
                return merged
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type", "object")
        if kind == "object":
            properties = schema.get("properties", {})
            return {name: self._minimal(properties.get(name, {"type": "string"}))
                    for name in schema.get("required", [])}
        if kind == "array":
            return []
        if kind == "string":
            return {"date-time": "2026-01-01T00:00:00Z", "uri": "https://example.invalid/x"}.get(
                schema.get("format", ""), "x")
        return {"integer": 1, "number": 1, "boolean": False}[kind]


def _merge(base: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in fields.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"
    # An asset upload answered with this fault still leaves a broken asset of that name behind, as the
    # real API does after a 502 (its state is "starter" there; the published contract knows only
    # "uploaded" and "open", so the fake says "open"). A retry then gets 422 already_exists. Such a
    # fault waits for the next upload, letting the requests before it through.
    leaves_starter_asset: bool = False


class FakeGitHub:
    """Start with `FakeGitHub(token).start()`; `api_url` is what [release.github] api_url points at."""

    def __init__(self, token: str, owner: str = "acme", repo: str = "site") -> None:
        self.token, self.owner, self.repo = token, owner, repo
        self.contract = Contract(CONTRACT)
        self.contract_errors: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.faults: list[Fault] = []  # answered, first in first out, before the real handling
        self.releases: dict[int, dict[str, Any]] = {}
        self.pulls: dict[str, list[dict[str, Any]]] = {}  # commit sha -> pull requests associated with it
        self.reviews: dict[int, list[dict[str, Any]]] = {}  # pull number -> reviews, oldest first
        self.statuses: dict[str, list[dict[str, Any]]] = {}  # ref -> commit statuses, newest first
        self.check_runs: dict[str, list[dict[str, Any]]] = {}  # ref -> check runs
        self.issues: list[dict[str, Any]] = []
        self.deployments: dict[int, dict[str, Any]] = {}
        self.deployment_statuses: dict[int, list[dict[str, Any]]] = {}  # deployment id -> statuses, newest first
        self.assets: dict[int, dict[str, Any]] = {}  # id -> asset with "_release" and "_data"
        self._ids = iter(range(1, 10**6))
        self._lock = threading.Lock()
        self.api = _serve(self, uploads=False)
        self.uploads = _serve(self, uploads=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api.server_address[1]}"

    @property
    def uploads_url(self) -> str:
        return f"http://127.0.0.1:{self.uploads.server_address[1]}"

    def start(self) -> FakeGitHub:
        for server in (self.api, self.uploads):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in (self.api, self.uploads):
            server.shutdown()
            server.server_close()

    # -- objects shaped as the contract's schemas ---------------------------------------------

    def user(self) -> dict[str, Any]:
        base = f"{self.api_url}/users/deploy-bot"
        return {"login": "deploy-bot", "id": 1, "node_id": "U_1", "avatar_url": "https://example.invalid/a.png",
                "gravatar_id": "", "url": base, "html_url": "https://github.com/deploy-bot",
                "followers_url": f"{base}/followers", "following_url": f"{base}/following{{/other_user}}",
                "gists_url": f"{base}/gists{{/gist_id}}", "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
                "subscriptions_url": f"{base}/subscriptions", "organizations_url": f"{base}/orgs",
                "repos_url": f"{base}/repos", "events_url": f"{base}/events{{/privacy}}",
                "received_events_url": f"{base}/received_events", "type": "Bot", "site_admin": False}

    def add_release(self, tag: str, draft: bool = False, **fields: Any) -> dict[str, Any]:
        release_id = next(self._ids)
        repo_api = f"{self.api_url}/repos/{self.owner}/{self.repo}"
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        release = {"url": f"{repo_api}/releases/{release_id}",
                   "html_url": f"https://github.com/{self.owner}/{self.repo}/releases/tag/{tag}",
                   "assets_url": f"{repo_api}/releases/{release_id}/assets",
                   "upload_url": f"{self.uploads_url}/repos/{self.owner}/{self.repo}/releases/{release_id}/assets"
                                 "{?name,label}",
                   "tarball_url": f"{repo_api}/tarball/{tag}", "zipball_url": f"{repo_api}/zipball/{tag}",
                   "id": release_id, "node_id": f"RE_{release_id}", "tag_name": tag, "target_commitish": "main",
                   "name": tag, "body": "", "draft": draft, "prerelease": False, "created_at": now,
                   "published_at": None if draft else now, "author": self.user(), "assets": []}
        release.update(fields)
        self.releases[release_id] = release
        return release

    def release_view(self, release: dict[str, Any]) -> dict[str, Any]:
        assets = [self.asset_view(a) for a in self.assets.values() if a["_release"] == release["id"]]
        return {**release, "assets": assets}

    def asset_view(self, asset: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in asset.items() if not k.startswith("_")}

    def add_pull(self, sha: str, number: int, merged: bool = True) -> None:
        pull = self.contract.instance("pull-request-simple", number=number, state="closed" if merged else "open",
                                      merged_at="2026-01-01T00:00:00Z" if merged else None, title=f"PR {number}")
        self.pulls.setdefault(sha, []).append(pull)

    def add_review(self, number: int, login: str, state: str) -> None:
        review = self.contract.instance("pull-request-review", id=next(self._ids), state=state,
                                        user=self.contract.instance("simple-user", login=login))
        self.reviews.setdefault(number, []).append(review)

    def add_status(self, ref: str, context: str, state: str) -> None:
        status = self.contract.instance("simple-commit-status", id=next(self._ids), context=context, state=state)
        self.statuses.setdefault(ref, []).insert(0, status)

    def add_check_run(self, ref: str, name: str, status: str, conclusion: str | None) -> None:
        run = self.contract.instance("check-run", id=next(self._ids), head_sha=ref, name=name, status=status,
                                     conclusion=conclusion)
        self.check_runs.setdefault(ref, []).append(run)

    def add_issue(self, title: str, labels: list[str], pull_request: bool = False, **fields: Any) -> None:
        number = next(self._ids)
        issue = self.contract.instance("issue", id=number, number=number, title=title, state="open",
                                       labels=[{"name": label} for label in labels],
                                       html_url=f"https://github.com/{self.owner}/{self.repo}/issues/{number}",
                                       **fields)
        if pull_request:
            issue["pull_request"] = {"url": "https://example.invalid/pull", "html_url": None, "diff_url": None,
                                     "patch_url": None}
        self.issues.append(issue)

    def deployment_states(self, environment: str) -> list[tuple[str, list[str]]]:
        """(ref, states oldest first) of every deployment to `environment`, oldest first, for assertions."""
        return [(d["ref"], [s["state"] for s in reversed(self.deployment_statuses[d["id"]])])
                for d in sorted(self.deployments.values(), key=lambda d: d["id"]) if d["environment"] == environment]

    def release_assets(self, tag: str) -> dict[str, bytes]:
        """name -> bytes of the assets of the release for `tag`, for assertions."""
        release = next(r for r in self.releases.values() if r["tag_name"] == tag)
        return {a["name"]: a["_data"] for a in self.assets.values() if a["_release"] == release["id"]}


def _serve(fake: FakeGitHub, uploads: bool) -> ThreadingHTTPServer:
    class Handler(_Handler):
        pass

    Handler.fake, Handler.is_uploads = fake, uploads
    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def _route_pattern(route: str) -> str:
    """The regex of the paths a contract route answers: `{owner}` and `{repo}` are one segment, a parameter
    ending in _id or _number is digits, any other (a tag, a sha, a ref) is the rest; each is a named group."""
    def parameter(found: re.Match[str]) -> str:
        name = found[1]
        if name in ("owner", "repo"):
            return "[^/]+"
        return f"(?P<{name}>{'[0-9]+' if name.endswith(('_id', '_number')) else '.+'})"

    return re.sub(r"\{(\w+)\}", parameter, route)


_ROUTES = [(method, _route_pattern(route), route) for method, route in [  # the contract's routes the fake serves
    ("get", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    ("get", "/repos/{owner}/{repo}/releases"),
    ("post", "/repos/{owner}/{repo}/releases"),
    ("patch", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("get", "/repos/{owner}/{repo}/releases/{release_id}/assets"),
    ("delete", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
    ("get", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/deployments"),
    ("post", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"),
]]
_UPLOAD = ("post", _route_pattern("/repos/{owner}/{repo}/releases/{release_id}/assets"),
           "/repos/{owner}/{repo}/releases/{release_id}/assets")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    is_uploads: bool

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib names
        self._handle("get")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("post")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("patch")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("delete")

    def _handle(self, method: str) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with fake._lock:
            fake.requests.append((method.upper(), url.path))
            applies = [i for i, f in enumerate(fake.faults) if self.is_uploads or not f.leaves_starter_asset]
            if applies:
                fault = fake.faults.pop(applies[0])
                if fault.leaves_starter_asset and re.fullmatch(_UPLOAD[1], url.path):
                    self._store_asset(url.path, query, b"", "open")
                return self._send(fault.status, {"message": fault.message, "documentation_url": DOCS}, None,
                                  extra=fault.headers)
            auth = self.headers.get("Authorization", "")
            if auth not in (f"Bearer {fake.token}", f"token {fake.token}"):
                return self._send(401, {"message": "Bad credentials", "documentation_url": DOCS}, None)
            version = self.headers.get("X-GitHub-Api-Version")
            if version and version != "2022-11-28":
                return self._send(400, {"message": f"API version {version} is not supported.",
                                        "documentation_url": DOCS}, None)
            routes = [_UPLOAD] if self.is_uploads else _ROUTES
            for route_method, pattern, route in routes:
                found = re.fullmatch(pattern, url.path)
                if found and route_method == method:
                    return self._route(method, route, found.groupdict(), query, raw)
            return self._send(404, {"message": "Not Found", "documentation_url": DOCS}, None)

    def _route(self, method: str, route: str, params: dict[str, str], query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        body: Any = None
        if method in ("post", "patch") and not self.is_uploads:
            body = json.loads(raw or b"{}")
            errors = fake.contract.errors(route, method, body)
            if errors:
                fake.contract_errors.extend(errors)
                return self._send(422, {"message": "Invalid request.", "documentation_url": DOCS}, route)
        not_found = {"message": "Not Found", "documentation_url": DOCS}
        if "/commits/" in route or route.endswith(("/reviews", "/issues")) or "/deployments" in route:
            return self._checks_and_deployments(route, params, query, body)
        if route.endswith("/releases/tags/{tag}"):
            release = next((r for r in fake.releases.values() if r["tag_name"] == params["tag"] and not r["draft"]),
                           None)  # "a published release with the specified tag": never a draft
            return self._send(200, fake.release_view(release), route) if release else self._send(404, not_found, route)
        if route.endswith("/releases") and method == "get":
            releases = sorted(fake.releases.values(), key=lambda r: -r["id"])
            return self._page(route, [fake.release_view(r) for r in releases], query)
        if route.endswith("/releases") and method == "post":
            if any(r["tag_name"] == body["tag_name"] for r in fake.releases.values()):
                return self._send(422, {"message": "Validation Failed", "documentation_url": DOCS, "errors": [
                    {"resource": "Release", "code": "already_exists", "field": "tag_name"}]}, route)
            release = fake.add_release(body["tag_name"], **{k: v for k, v in body.items() if k != "tag_name"})
            return self._send(201, fake.release_view(release), route, extra={"Location": release["url"]})
        if route.endswith("/{release_id}") and method == "patch":
            release = fake.releases.get(int(params["release_id"]))
            if release is None:
                return self._send(404, not_found, route)
            release.update(body)
            if not release["draft"] and release["published_at"] is None:
                release["published_at"] = release["created_at"]
            return self._send(200, fake.release_view(release), route)
        if route.endswith("/assets") and method == "get":
            assets = [fake.asset_view(a) for a in fake.assets.values() if a["_release"] == int(params["release_id"])]
            return self._page(route, assets, query)
        if route.endswith("/assets/{asset_id}"):
            if fake.assets.pop(int(params["asset_id"]), None) is None:
                return self._send(404, not_found, route)
            return self._send(204, None, route)
        return self._upload(route, int(params["release_id"]), query, raw)

    def _checks_and_deployments(self, route: str, params: dict[str, str], query: dict[str, str], body: Any) -> None:
        fake = self.fake
        if route.endswith("/pulls"):
            return self._page(route, fake.pulls.get(params["commit_sha"], []), query)
        if route.endswith("/reviews"):
            return self._page(route, fake.reviews.get(int(params["pull_number"]), []), query)
        if route.endswith("/status"):
            latest: dict[str, dict[str, Any]] = {}
            for status in fake.statuses.get(params["ref"], []):  # newest first: the first per context counts
                latest.setdefault(status["context"], status)
            states = {s["state"] for s in latest.values()}
            state = "failure" if states & {"error", "failure"} else "pending" if not states or "pending" in states \
                else "success"
            combined = fake.contract.instance("combined-commit-status", state=state, sha=params["ref"],
                                              total_count=len(latest), statuses=list(latest.values()))
            return self._send(200, combined, route)
        if route.endswith("/check-runs"):
            runs = fake.check_runs.get(params["ref"], [])
            return self._send(200, {"total_count": len(runs), "check_runs": runs}, route)
        if route.endswith("/issues"):
            wanted = set(filter(None, query.get("labels", "").split(",")))
            state = query.get("state", "open")
            found = [i for i in fake.issues if (state == "all" or i["state"] == state)
                     and wanted <= {label["name"] for label in i["labels"]}
                     and i["updated_at"] >= query.get("since", "")]
            return self._page(route, found, query)
        if route.endswith("/deployments"):
            deployment_id = next(fake._ids)
            deployment = fake.contract.instance(
                "deployment", id=deployment_id, ref=body["ref"], sha=body["ref"], task=body.get("task", "deploy"),
                environment=body.get("environment", "production"), description=body.get("description"),
                payload=body.get("payload", {}), creator=fake.user(),
                statuses_url=f"{fake.api_url}/repos/{fake.owner}/{fake.repo}/deployments/{deployment_id}/statuses")
            fake.deployments[deployment_id] = deployment
            fake.deployment_statuses[deployment_id] = []
            return self._send(201, deployment, route)
        deployment_id = int(params["deployment_id"])
        if deployment_id not in fake.deployments:
            return self._send(404, {"message": "Not Found", "documentation_url": DOCS}, None)
        status = fake.contract.instance("deployment-status", id=next(fake._ids), state=body["state"],
                                        description=body.get("description", ""), creator=fake.user(),
                                        environment=fake.deployments[deployment_id]["environment"],
                                        environment_url=body.get("environment_url", ""))
        fake.deployment_statuses[deployment_id].insert(0, status)
        return self._send(201, status, route)

    def _upload(self, route: str, release_id: int, query: dict[str, str], raw: bytes) -> None:
        fake = self.fake
        name = query.get("name", "")
        if release_id not in fake.releases or not name:
            return self._send(404, {"message": "Not Found", "documentation_url": DOCS}, None)
        if any(a["name"] == name and a["_release"] == release_id for a in fake.assets.values()):
            return self._send(422, None, route)  # the contract gives this answer no body
        return self._send(201, fake.asset_view(self._store_asset(self.path, query, raw, "uploaded")), route)

    def _store_asset(self, path: str, query: dict[str, str], raw: bytes, state: str) -> dict[str, Any]:
        """Keep an asset of the release the upload path names, in `state` ("open": a broken upload)."""
        import hashlib

        fake = self.fake
        found = re.fullmatch(_UPLOAD[1], urlsplit(path).path)
        release_id, name = int(found["release_id"]) if found else 0, query.get("name", "")
        asset_id = next(fake._ids)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        asset = {"url": f"{fake.api_url}/repos/{fake.owner}/{fake.repo}/releases/assets/{asset_id}",
                 "browser_download_url": f"https://github.com/{fake.owner}/{fake.repo}/releases/download/x/{name}",
                 "id": asset_id, "node_id": f"RA_{asset_id}", "name": name, "label": None, "state": state,
                 "content_type": self.headers.get("Content-Type", "application/octet-stream"), "size": len(raw),
                 "digest": "sha256:" + hashlib.sha256(raw).hexdigest(), "download_count": 0, "created_at": now,
                 "updated_at": now, "uploader": fake.user(), "_release": release_id, "_data": raw}
        fake.assets[asset_id] = asset
        return asset

    def _page(self, route: str, items: list[Any], query: dict[str, str]) -> None:
        """One page of a list, with a Link header naming the others (omitted when one page holds all)."""
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.fake.api_url}{urlsplit(self.path).path}?per_page={per_page}&page="
        if page < last:
            links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        if page > 1:
            links += [f'<{base}{page - 1}>; rel="prev"', f'<{base}1>; rel="first"']
        extra = {"Link": ", ".join(links)} if links else {}
        return self._send(200, items[(page - 1) * per_page:page * per_page], route, extra=extra)

    def _send(self, status: int, body: Any, route: str | None, extra: dict[str, str] | None = None) -> None:
        fake = self.fake
        if route is not None:
            errors = fake.contract.errors(route, self.command.lower(), body, status)
            if errors:  # the fake itself broke the contract: make the test fail loudly
                fake.contract_errors.extend(errors)
                status, body = 500, {"message": "fake server broke the contract", "documentation_url": DOCS}
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        headers = {"Content-Type": "application/json; charset=utf-8", "Content-Length": str(len(data)),
                   "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-used": "1",
                   "x-ratelimit-reset": str(int(time.time()) + 3600), "x-ratelimit-resource": "core",
                   **(extra or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
