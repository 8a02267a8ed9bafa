"""Which URLs from outside may become a link in a message.

A link is written into markup: Slack's `<url|text>`, Discord's `[text](url)`, an HTML `href`.
A URL holding a character that no valid URL holds (RFC 3986: space, `<`, `>`, `"`, `|`, a
backtick, `{`, `}`, `\\`, `^`, control characters) is not a link someone meant but a way out of
that markup (`https://x/><!channel>` pings a whole Slack channel), so it is not linked at all.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, SecretStr

from alerthub.validation import usable_url

__all__ = ["SecretWebUrl", "WebUrl", "usable_url"]

_NOT_A_URL = "must be an http(s) URL with a host; empty means an unset ${VAR} or a missing value"


def _web_url(value: str) -> str:
    if not usable_url(value):
        raise ValueError(_NOT_A_URL)  # never the value: a webhook URL is a secret
    return value


def _secret_web_url(value: SecretStr) -> SecretStr:
    _web_url(value.get_secret_value())
    return value


# Where a channel sends. Checked when the configuration is read: a channel with no URL used to be
# retried as if the service were down, for hours, instead of refusing to start.
WebUrl = Annotated[str, AfterValidator(_web_url)]
SecretWebUrl = Annotated[SecretStr, AfterValidator(_secret_web_url)]
