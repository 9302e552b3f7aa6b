"""The GitHub client against a local server that validates every body against GitHub's contract."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deploylib.forge.base import ForgeRelease, ReleaseAsset
from deploylib.forge.github import GitHub, GitHubError, GitHubOptions
from tests.conftest import GITHUB_TOKEN as TOKEN
from tests.fakes.github import FakeGitHub, Fault


class Waits(list[float]):
    """Stands in for time.sleep: records each wait instead of spending it."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(github: FakeGitHub, token: str = TOKEN, waits: Waits | None = None) -> GitHub:
    return GitHub(GitHubOptions(repository="acme/site", api_url=github.api_url), Path("."), token,
                  sleep=waits if waits is not None else Waits())


def a_release(tag: str, notes: str = "notes", prerelease: bool = False, commit: str = "abc",
            assets: tuple[tuple[str, Path], ...] = ()) -> ForgeRelease:
    return ForgeRelease(tag, tag, notes, prerelease, commit, tuple(ReleaseAsset(n, p) for n, p in assets))


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "site-1.2.0.tar"
    path.write_bytes(b"tar bytes " * 100)
    return path


def test_creates_a_release_with_notes_and_an_asset(github: FakeGitHub, artifact: Path) -> None:
    url = client(github).publish_release(a_release("v1.2.0", "### Features\n- x", False, "abc123",
                                                   (("site-1.2.0.tar", artifact),)))
    assert url == "https://github.com/acme/site/releases/tag/v1.2.0"
    release = next(iter(github.releases.values()))
    assert (release["body"], release["prerelease"], release["target_commitish"]) == ("### Features\n- x", False,
                                                                                      "abc123")
    assert github.release_assets("v1.2.0") == {"site-1.2.0.tar": artifact.read_bytes()}


def test_marks_prereleases(github: FakeGitHub) -> None:
    client(github).publish_release(a_release("v2.0.0-rc.1", "notes", True, "abc"))
    assert next(iter(github.releases.values()))["prerelease"] is True


def test_publishing_again_updates_the_release_instead_of_duplicating_it(github: FakeGitHub, artifact: Path) -> None:
    gh = client(github)
    gh.publish_release(a_release("v1.2.0", "first notes", False, "abc", (("a.tar", artifact),)))
    artifact.write_bytes(b"rebuilt")
    gh.publish_release(a_release("v1.2.0", "better notes", False, "abc", (("a.tar", artifact),)))
    assert len(github.releases) == 1
    assert next(iter(github.releases.values()))["body"] == "better notes"
    assert github.release_assets("v1.2.0") == {"a.tar": b"rebuilt"}  # replaced, not a 422 on the name


def test_a_draft_release_is_found_through_the_list_and_published(github: FakeGitHub) -> None:
    github.add_release("v1.2.0", draft=True)
    client(github).publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert len(github.releases) == 1 and next(iter(github.releases.values()))["draft"] is False
    assert ("GET", "/repos/acme/site/releases/tags/v1.2.0") in github.requests  # 404 for the draft first


def test_the_list_is_followed_through_link_pagination(github: FakeGitHub) -> None:
    github.add_release("v0.0.1", draft=True)  # the oldest, so on the second page of 100
    for n in range(150):
        github.add_release(f"v1.0.{n}")
    client(github).publish_release(a_release("v0.0.1", "notes", False, "abc"))
    assert sum(1 for method, path in github.requests if path == "/repos/acme/site/releases") == 2
    assert len(github.releases) == 151


def test_a_release_created_meanwhile_is_updated_after_422_already_exists(github: FakeGitHub) -> None:
    github.faults.append(Fault(404, message="Not Found"))  # the by-tag lookup misses it...
    github.add_release("v1.2.0")  # ...because another run creates it in between
    client(github).publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert len(github.releases) == 1 and next(iter(github.releases.values()))["body"] == "notes"


def test_server_errors_are_retried_with_backoff(github: FakeGitHub) -> None:
    github.faults += [Fault(502, message="Bad Gateway"), Fault(503, message="Unavailable")]
    waits = Waits()
    client(github, waits=waits).publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert waits == [1.0, 2.0] and len(github.releases) == 1


def test_persistent_server_errors_end_in_a_clear_error(github: FakeGitHub) -> None:
    github.faults += [Fault(502, message="Bad Gateway")] * 6
    with pytest.raises(GitHubError, match="GitHub answered 502 to GET /repos/acme/site/releases/tags/v1.2.0"):
        client(github).publish_release(a_release("v1.2.0", "notes", False, "abc"))


def test_the_primary_rate_limit_is_waited_out_until_reset(github: FakeGitHub) -> None:
    reset = int(time.time()) + 30
    github.faults.append(Fault(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                               "API rate limit exceeded"))
    waits = Waits()
    client(github, waits=waits).publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert len(waits) == 1 and 25 <= waits[0] <= 32 and len(github.releases) == 1


def test_a_secondary_limit_honours_retry_after(github: FakeGitHub) -> None:
    github.faults.append(Fault(429, {"retry-after": "7"}, "You have exceeded a secondary rate limit"))
    waits = Waits()
    client(github, waits=waits).publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert waits == [7.0]


def test_a_secondary_limit_without_retry_after_waits_at_least_a_minute(github: FakeGitHub) -> None:
    github.faults.append(Fault(403, {}, "You have exceeded a secondary rate limit. Please wait."))
    waits = Waits()
    client(github, waits=waits).publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert waits == [60.0]


def test_a_reset_too_far_away_is_an_error_not_a_wait(github: FakeGitHub) -> None:
    github.faults.append(Fault(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 7200)},
                               "API rate limit exceeded"))
    with pytest.raises(GitHubError, match="rate limit"):
        client(github).publish_release(a_release("v1.2.0", "notes", False, "abc"))


def test_a_bad_token_is_named_without_printing_it(github: FakeGitHub) -> None:
    with pytest.raises(GitHubError) as caught:
        client(github, token="ghs_wrong").publish_release(a_release("v1.2.0", "notes", False, "abc"))
    assert "GITHUB_TOKEN" in str(caught.value) and "ghs_wrong" not in str(caught.value)


def test_the_token_is_sent_as_a_bearer_and_the_api_version_is_pinned(github: FakeGitHub) -> None:
    gh = client(github)
    assert gh.session.headers["Authorization"] == f"Bearer {TOKEN}"
    assert gh.session.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_an_unreachable_api_is_a_clear_error(tmp_path: Path) -> None:
    gh = GitHub(GitHubOptions(repository="acme/site", api_url="http://127.0.0.1:9"), tmp_path, TOKEN,
                sleep=Waits())  # port 9: nothing listens
    with pytest.raises(GitHubError, match="did not answer .* after 6 tries"):
        gh.publish_release(a_release("v1.2.0", "notes", False, "abc"))


def test_an_upload_answered_502_that_left_a_starter_asset_is_replaced(github: FakeGitHub, artifact: Path) -> None:
    github.faults.append(Fault(502, message="Bad Gateway", leaves_starter_asset=True))
    client(github).publish_release(a_release("v1.2.0", "notes", False, "abc", (("site.tar", artifact),)))
    assert github.release_assets("v1.2.0") == {"site.tar": artifact.read_bytes()}
    assert [a["state"] for a in github.assets.values()] == ["uploaded"]  # the starter asset was deleted
    writes = [method for method, path in github.requests if method in ("POST", "DELETE") and "assets" in path]
    assert writes == ["POST", "POST", "DELETE", "POST"]  # 502; retried: 422; the starter deleted; uploaded


def test_an_upload_that_keeps_meeting_an_existing_asset_is_an_error(github: FakeGitHub, artifact: Path) -> None:
    github.faults += [Fault(502, message="Bad Gateway", leaves_starter_asset=True)] * 12
    with pytest.raises(GitHubError, match="502"):
        client(github).publish_release(a_release("v1.2.0", "notes", False, "abc", (("site.tar", artifact),)))
