"""Which URLs from outside may become a link in a message.

A link is written into markup: Slack's `<url|text>`, Discord's `[text](url)`, an HTML `href`.
A URL holding a character that no valid URL holds (RFC 3986: space, `<`, `>`, `"`, `|`, a
backtick, `{`, `}`, `\\`, `^`, control characters) is not a link someone meant but a way out of
that markup (`https://x/><!channel>` pings a whole Slack channel), so it is not linked at all.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, SecretStr

_NEVER = frozenset('<>"`{}|\\^')
# Control and format characters (zero-width, bidi overrides) and every kind of space or line break.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def usable_url(text: str | None) -> bool:
    """An http(s) URL with a host and only characters a URL may hold: safe to write into a link."""
    if not text or not text.lower().startswith(("http://", "https://")):
        return False
    if any(ch in _NEVER or ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text):
        return False
    try:
        return bool(urlsplit(text).hostname)
    except ValueError:  # an unclosed `[` of an IPv6 host
        return False


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
