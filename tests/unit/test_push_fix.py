"""What deploylib tells a user to do about a push git could not make (git.push_fix): one fix per kind of
answer, whether it came from the transport (stderr) or the remote (a refused ref)."""

from __future__ import annotations

import pytest

from deploylib.git import push_fix, shown_url


@pytest.mark.parametrize(("said", "fix"), [
    ("ssh: Could not resolve hostname no-such-host.invalid: Name or service not known",
     "check its address (git remote set-url origin URL)"),
    ("fatal: unable to access 'https://no-such-host.invalid/x.git/': Could not resolve host: no-such-host.invalid",
     "check its address (git remote set-url origin URL)"),
    ("ssh: Temporary failure in name resolution", "check its address"),
    ("refs/heads/main: [rejected] (fetch first)", "pull them (git pull --rebase origin)"),
    ("refs/heads/main: [rejected] (non-fast-forward)", "pull them (git pull --rebase origin)"),
    ("refs/heads/main: [rejected] (stale info)", "pull them (git pull --rebase origin)"),
    ("refs/tags/v1.1.0: [rejected] (already exists)", "git fetch --tags origin"),
    ("refs/heads/main: [remote rejected] (pre-receive hook declined)", "allow the release user to push"),
    ("refs/heads/main: [remote rejected] (protected branch hook declined)", "allow the release user to push"),
    ("refs/heads/main: [remote rejected] (branch is currently checked out)", "make the remote a bare repository"),
    ("refs/heads/main: [remote rejected] (shallow update not allowed)", "fix the remote, or set [release] push"),
    ("git@127.0.0.1: Permission denied (publickey).", "give this machine push access"),
    ("remote: Permission to acme/site.git denied to bot. fatal: unable to access … The requested URL returned "
     "error: 403", "give this machine push access"),
    ("fatal: could not read Username for 'https://example.com': terminal prompts disabled",
     "give this machine push access"),
    ("ssh: connect to host example.com port 22: Connection refused", "make sure it is reachable from here"),
    ("ssh: connect to host example.com port 22: Connection timed out", "make sure it is reachable from here"),
    ("fatal: protocol error: bad line length character", "fix the remote, or set [release] push = false"),
])
def test_each_answer_gets_its_fix(said: str, fix: str) -> None:
    assert fix in push_fix(said, "origin")


@pytest.mark.parametrize(("url", "shown"), [
    ("https://bot:s3cret@example.com/acme/site.git", "https://bot:***@example.com/acme/site.git"),
    ("https://x-access-token:ghs_abc@github.com/a/b.git", "https://x-access-token:***@github.com/a/b.git"),
    ("ssh://git@example.com/acme/site.git", "ssh://git@example.com/acme/site.git"),
    ("git@example.com:acme/site.git", "git@example.com:acme/site.git"),
    ("https://example.com/a@b.git", "https://example.com/a@b.git"),
    ("/srv/git/site.git", "/srv/git/site.git"),
])
def test_a_secret_in_a_url_is_masked(url: str, shown: str) -> None:
    assert shown_url(url) == shown
