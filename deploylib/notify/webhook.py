"""What the webhook notifiers share: the URL (from the environment, preferably: it is a secret) and one
JSON POST per event. Each format is a subclass that says what the body is."""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import Any
from urllib.parse import urlsplit

from deploylib.config.schema import option, url_problem
from deploylib.notify.base import Event, Notifier, NotifierOptions, NotifyError
from deploylib.values import frozen


@frozen(kw_only=True)
class WebhookOptions(NotifierOptions):
    """The options of a `type = "webhook"` notifier: where the JSON event is posted."""

    url_env: str = option("", doc='the environment variable holding the webhook URL, e.g. "SLACK_WEBHOOK_URL"')
    url: str = option("", doc='the webhook URL itself (prefer url_env: webhook URLs are secrets)',
                      check=url_problem)

    def conflict(self) -> str:
        if bool(self.url) == bool(self.url_env):
            return ("url_env: give exactly one of url_env (the name of an environment variable holding the webhook "
                    "URL, preferred: it is a secret) or url.")
        return ""


def redact(url: str) -> str:
    """A webhook URL as messages show it: scheme and host only ("a webhook" without a host)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "a webhook"


class WebhookNotifier(Notifier):
    Options = WebhookOptions

    def _url(self) -> str:
        return os.environ.get(self.options.url_env, "") if self.options.url_env else str(self.options.url)

    def problem(self) -> str:
        return "" if self._url() else f"webhook: ${self.options.url_env} is not set"

    def describe(self) -> str:
        return redact(self._url())

    @abstractmethod
    def body(self, event: Event) -> dict[str, Any]:
        """The JSON object the webhook receives for `event`."""

    def send(self, event: Event) -> None:
        import requests

        try:
            response = requests.post(self._url(), json=self.body(event), timeout=self.options.timeout_s)
        except requests.RequestException as err:
            raise NotifyError(type(err).__name__) from None  # its text may quote the URL, which is secret
        if response.status_code >= 400:
            raise NotifyError(f"status {response.status_code}")
